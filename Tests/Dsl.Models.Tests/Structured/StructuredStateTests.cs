using System;
using Dsl.Models;
using Dsl.Models.Tests.Structured;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// Structured state (slices, indices, Concat, Vec.Of, Mat.Of, Eye, Block, sizes "2*D"): the generated energy, score and
    /// divergence equal the eager equation and autograd of it, and PhaseSpaceGaussian's equal its closed form.
    /// </summary>
    public class StructuredStateTests
    {
        private static double MaxAbs(Tensor a, Tensor b) => (a - b).abs().max().ToDoubleValue();

        [Theory]
        [InlineData(3, 0.3)]
        [InlineData(2, -1.1)]
        [InlineData(1, 0.0)]
        public void Phase_space_gaussian_matches_autograd_and_its_closed_form(int d, double kappa)
        {
            using var scope = NewDisposeScope();
            int s = 2 * d;
            var m = new PhaseSpaceGaussian(D: d, generator: new Generator(3)) { Kappa = kappa };
            Assert.Equal(d, m.D);
            Assert.Equal(s, m.Dim);
            var g = new Generator(17);
            m.SetParameter("Mu", empty(d, dtype: ScalarType.Float64).normal_(0, 1, generator: g));
            m.SetParameter("LogPrecision", empty(d, dtype: ScalarType.Float64).normal_(0, 0.5, generator: g));
            m.to(ScalarType.Float64);
            var u = empty(30, s, dtype: ScalarType.Float64).normal_(0, 1.5, generator: new Generator(5));

            var reference = Autograd.Score(m.EnergyEager, u);
            Assert.True(MaxAbs(m.Energy(u), m.EnergyEager(u)) < 1e-12);
            Assert.True(MaxAbs(m.Score(u), reference) < 1e-12);
            Assert.True(MaxAbs(m.ScoreNoGrad(u), reference) < 1e-12);
            var divergence = Autograd.Divergence(x => Autograd.Score(m.EnergyEager, x, createGraph: true), u);
            Assert.True(MaxAbs(m.ScoreDivergence(u), divergence) < 1e-10);

            // Closed form (S = 2D): s_q = −λ(q − μ) − κ u_{S−1} e₀, s_p = −p − κ u₀ e_{D−1}; ΔE = Σλ + D.
            var mu = m.get_parameter("Mu")!;
            var lambda = m.get_parameter("LogPrecision")!.exp();
            var k = tensor(kappa, dtype: ScalarType.Float64);
            var unit = eye(s, dtype: ScalarType.Float64);
            var expected = cat(new[] { (u.narrow(1, 0, d) - mu).mul(lambda).neg(), u.narrow(1, d, s - d).neg() }, 1)
                - k * u.select(1, s - 1).unsqueeze(1) * unit.select(0, 0)
                - k * u.select(1, 0).unsqueeze(1) * unit.select(0, s - 1);
            Assert.True(MaxAbs(m.Score(u), expected) < 1e-12);
            var laplacian = lambda.sum() + tensor((double)(s - d), dtype: ScalarType.Float64);
            Assert.True(MaxAbs(m.ScoreDivergence(u), laplacian.neg().expand(30)) < 1e-12);
        }

        [Theory]
        [InlineData(2, 5)]
        [InlineData(3, 6)]
        public void Every_structured_construct_matches_autograd_of_the_eager_equation(int d, int s)
        {
            using var scope = NewDisposeScope();
            var m = new StructuredOpsModel(S: s, D: d, generator: new Generator(11)) { Beta = 0.9 };
            m.to(ScalarType.Float64);
            Assert.Equal(new long[] { 2 * d }, m.get_parameter("W")!.shape);
            var u = empty(25, s, dtype: ScalarType.Float64).normal_(0, 1, generator: new Generator(2));

            var reference = Autograd.Score(m.EnergyEager, u);
            Assert.True(MaxAbs(m.Energy(u), m.EnergyEager(u)) < 1e-12);
            Assert.True(MaxAbs(m.EnergyNoGrad(u), m.EnergyEager(u)) < 1e-12);
            Assert.True(MaxAbs(m.Score(u), reference) < 1e-12);
            Assert.True(MaxAbs(m.ScoreNoGrad(u), reference) < 1e-12);
            var divergence = Autograd.Divergence(x => Autograd.Score(m.EnergyEager, x, createGraph: true), u);
            Assert.True(MaxAbs(m.ScoreDivergence(u), divergence) < 1e-10);
        }

        [Fact]
        public void Eager_slices_and_indices_read_the_entries_they_name()
        {
            using var scope = NewDisposeScope();
            var v = new Vec(arange(12, dtype: ScalarType.Float64).reshape(2, 6));
            Assert.Equal(new[] { 1.0, 7.0 }, v[1].Tensor.data<double>().ToArray());
            Assert.Equal(new[] { 5.0, 11.0 }, v[^1].Tensor.data<double>().ToArray());
            Assert.Equal(new[] { 2.0, 3.0, 8.0, 9.0 }, v[2..4].Tensor.data<double>().ToArray());
            Assert.Equal(new[] { 4.0, 5.0, 10.0, 11.0 }, v[^2..].Tensor.data<double>().ToArray());
            Assert.Throws<ArgumentOutOfRangeException>(() => v[4..7]);
            var c = Dsl.Math.Concat(Dsl.Math.Concat(v[..1], v[^1]), Vec.Of(9.0));
            Assert.Equal(new[] { 0.0, 5.0, 9.0, 6.0, 11.0, 9.0 }, c.Tensor.to(ScalarType.Float64).data<double>().ToArray());
        }
    }
}
