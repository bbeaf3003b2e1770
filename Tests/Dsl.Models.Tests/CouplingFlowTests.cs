using System;
using System.Linq;
using Dsl.Examples.Experiments;
using Dsl.Flows;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// The generated affine couplings (RealNVP) against independent truth: the inverse composes with the forward to the identity,
    /// the triangular log-determinant equals log|det| of the autograd Jacobian of the user's own transform, a stack's
    /// change-of-variables density integrates to one, and a short maximum-likelihood run beats the standard Gaussian on test data.
    /// </summary>
    public class CouplingFlowTests
    {
        private static IInvertibleFlowLayer Create(bool swapped, int k, int h, Generator g) =>
            swapped ? new AffineCouplingSwapped(k, h, g) : new AffineCoupling(k, h, g);

        /// <summary>A float64 layer with every parameter random (the heads start at zero otherwise, which makes the layer the identity).</summary>
        private static IInvertibleFlowLayer Randomised(bool swapped, int k, int h, Generator g, double headScale)
        {
            var layer = Create(swapped, k, h, g);
            var module = (ParameterModule)layer;
            module.to(ScalarType.Float64);
            foreach (var (name, p) in module.named_parameters().ToList())
            {
                double scale = name.StartsWith("W", StringComparison.Ordinal) && name.Length == 2 && char.IsDigit(name[1]) ? 1.0 : headScale;
                module.SetParameter(name, randn(p.shape, dtype: ScalarType.Float64, generator: g).Mul(scale));
            }
            return layer;
        }

        [Theory]
        [InlineData(false, 1, 8)]
        [InlineData(true, 1, 8)]
        [InlineData(false, 3, 5)]
        [InlineData(true, 3, 5)]
        public void Forward_and_inverse_compose_to_the_identity(bool swapped, int k, int h)
        {
            foreach (var seed in FixedSeeds.For("coupling-inverse" + swapped + k, 3))
            {
                using var scope = NewDisposeScope();
                var g = new Generator((ulong)seed);
                var layer = Randomised(swapped, k, h, g, 1.0);
                var z = randn(new long[] { 200, 2 * k }, dtype: ScalarType.Float64, generator: g).Mul(2);
                var y = layer.Forward(z);
                Assert.True((y - z).abs().max().ToDoubleValue() > 0.1, "the randomised layer must not be the identity");
                double roundTrip = (layer.Inverse(y) - z).abs().max().ToDoubleValue();
                double otherWay = (layer.Forward(layer.Inverse(z)) - z).abs().max().ToDoubleValue();
                Assert.True(roundTrip < 1e-5 && otherWay < 1e-5, "seed " + seed + ": |f⁻¹(f(z)) − z| = " + roundTrip + ", |f(f⁻¹(z)) − z| = " + otherWay);
                Assert.True(roundTrip < 1e-12, "float64 round trip " + roundTrip);   // exact arithmetic up to rounding
                // The copied block is unchanged, the forward equals the user's transform run eagerly.
                Assert.True((layer.Forward(z) - layer.TransformEager(z)).abs().max().ToDoubleValue() < 1e-12);
            }
        }

        [Theory]
        [InlineData(false, 1, 8)]
        [InlineData(true, 1, 8)]
        [InlineData(false, 2, 6)]
        [InlineData(true, 3, 5)]
        public void Generated_log_determinant_matches_the_autograd_Jacobian(bool swapped, int k, int h)
        {
            foreach (var seed in FixedSeeds.For("coupling-logdet" + swapped + k, 3))
            {
                using var scope = NewDisposeScope();
                var g = new Generator((ulong)seed);
                var layer = Randomised(swapped, k, h, g, 1.0);
                var z = randn(new long[] { 64, 2 * k }, dtype: ScalarType.Float64, generator: g).Mul(2);
                var reference = FlowJacobian.LogAbsDet(layer, z);
                var generated = layer.LogDetJacobian(z);
                Assert.True(reference.abs().max().ToDoubleValue() > 0.1, "a non-trivial log-determinant");
                double err = (generated - reference).abs().max().ToDoubleValue();
                Assert.True(err < 1e-10, "seed " + seed + ": max |log det − autograd| = " + err);

                var (output, logDet) = layer.ForwardAndLogDet(z);
                var (outputNoGrad, logDetNoGrad) = layer.ForwardAndLogDetNoGrad(z);
                Assert.True((logDet - generated).abs().max().ToDoubleValue() < 1e-12 && (logDetNoGrad - generated).abs().max().ToDoubleValue() < 1e-12);
                Assert.True((outputNoGrad - output).abs().max().ToDoubleValue() < 1e-12);
                // InverseAndLogDet(y) gives f⁻¹(y) and the forward log-determinant at f⁻¹(y).
                var (back, logDetBack) = layer.InverseAndLogDet(output);
                Assert.True((back - z).abs().max().ToDoubleValue() < 1e-12);
                Assert.True((logDetBack - generated).abs().max().ToDoubleValue() < 1e-12);
            }
        }

        [Fact]
        public void A_stack_s_change_of_variables_density_integrates_to_one()
        {
            // ∫ q(x) dx over [−L, L]² by the midpoint rule, q from FlowStack.LogProb (inverse passes and −Σ log|det|). A sign error in
            // the log-determinant, or a log-determinant of the wrong point, moves the integral far from 1.
            using var scope = NewDisposeScope();
            var g = new Generator(11);
            var layers = Enumerable.Range(0, 4).Select(i => (IFlowLayer)Randomised(i % 2 == 1, 1, 6, g, 0.4)).ToList();
            var stack = new FlowStack("Stack", layers);
            const double half = 12;
            const int n = 600;
            double h = 2 * half / n;
            var axis = linspace(-half + h / 2, half - h / 2, n, dtype: ScalarType.Float64);
            var grid = meshgrid(new[] { axis, axis }, indexing: "ij");
            var points = stack_points(grid);
            double integral;
            using (no_grad()) integral = stack.LogProb(points).exp().sum().ToDoubleValue() * h * h;
            Assert.True(System.Math.Abs(integral - 1) < 2e-3, "∫ q = " + integral);
            // The density differs from the base: the layers are not the identity.
            using (no_grad()) Assert.True((stack.LogProb(points) - FlowStack.BaseLogProb(points)).abs().max().ToDoubleValue() > 0.1);

            static Tensor stack_points(Tensor[] grid) => torch.stack(new[] { grid[0].reshape(-1), grid[1].reshape(-1) }, 1);
        }

        [Fact]
        public void Maximum_likelihood_beats_the_standard_Gaussian_on_test_data_by_many_standard_errors()
        {
            // 4 couplings, H = 16, 150 Adam steps on moons (seed 5): the paired gain over −log N(x; 0, I) on 500 test points must exceed
            // 6 standard errors of the per-point differences, and the test NLL must drop below the untrained flow's.
            var r = RealNvpExperiment.Run("moons", 4, 16, 150, 5e-3, 5, null, default);
            Assert.Equal(150, r.Steps);
            Assert.True(System.Math.Abs(r.TestNllBefore - r.BaselineNll) < 1e-6, "the untrained stack is the identity: " + r.TestNllBefore + " vs " + r.BaselineNll);
            Assert.True(r.GainZ > 6, "gain " + r.GainOverBaseline + " ± " + r.GainStandardError + " nats (z = " + r.GainZ + ")");
            Assert.True(r.TestNll < r.BaselineNll - 6 * r.GainStandardError);
            // Same seed, same result.
            var again = RealNvpExperiment.Run("moons", 4, 16, 150, 5e-3, 5, null, default);
            Assert.Equal(r.TestNll, again.TestNll);
        }
    }

    /// <summary>`dsl flow`: the option errors (the training itself is asserted through the same experiment above).</summary>
    [Collection("Console")]
    public class FlowCliTests
    {
        [Fact]
        public void Bad_layers_and_data_exit_2_with_one_line_and_a_short_run_prints_json()
        {
            var (code, _, err) = Gallery.Run(new[] { "flow", "--layers", "planar", "--json" });
            Assert.Equal(2, code);
            Assert.Contains("valid: realnvp", err);
            (code, _, err) = Gallery.Run(new[] { "flow", "--data", "nope", "--json" });
            Assert.Equal(2, code);
            Assert.Contains("moons, gaussians8, swissroll, checkerboard, ring", err);
            var json = Gallery.RunJson("flow", "--steps", "5", "--depth", "2", "--hidden", "4", "--cnf-steps", "0");
            Assert.Equal("realnvp", json.GetProperty("layers").GetString());
            Assert.Equal(5, json.GetProperty("steps").GetInt32());
            Assert.True(json.GetProperty("test_nll").GetDouble() is double nll && nll > 0 && nll < 10, "test NLL");
        }

        [Fact]
        public void Couplings_with_linear_layers_start_as_the_identity_and_train()
        {
            // Every layer starts as the identity (zero heads, W = 0, b = 0): the untrained NLL is the standard Gaussian's.
            var json = Gallery.RunJson("flow", "--layers", "realnvp-linear", "--steps", "40", "--depth", "2", "--hidden", "4", "--cnf-steps", "0", "--lr", "0.01");
            Assert.Equal("realnvp-linear", json.GetProperty("layers").GetString());
            double baseline = json.GetProperty("baseline_nll").GetDouble(), before = json.GetProperty("test_nll_before").GetDouble();
            Assert.True(System.Math.Abs(before - baseline) < 1e-4, "untrained " + before + " vs baseline " + baseline);
            double gainZ = json.GetProperty("gain_z").GetDouble();
            Assert.True(gainZ > 4, "40 steps beat the standard Gaussian on the test points by " + gainZ + " paired standard errors");
        }
    }
}
