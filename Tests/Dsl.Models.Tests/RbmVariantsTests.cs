using System;
using System.Linq;
using Dsl.Discrete;
using Dsl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// The spin RBM and the Gaussian–Bernoulli RBM: their generated free energies and conditionals against enumeration, closed
    /// forms and numerical quadrature, their samplers against exact moments, and CD-1 learning of the Gaussian–Bernoulli RBM.
    /// </summary>
    public class RbmVariantsTests
    {
        private static Tensor Normal(Generator g, double std, params long[] shape) => empty(shape, dtype: ScalarType.Float64).normal_(0, std, generator: g);

        private static SpinRbm Spin(long seed)
        {
            var g = new Generator((ulong)seed);
            var rbm = new SpinRbm(V: 4, H: 3, generator: g);
            rbm.to(ScalarType.Float64);
            rbm.SetParameter("W", Normal(g, 0.7, 4, 3));
            rbm.SetParameter("B", Normal(g, 0.5, 4));
            rbm.SetParameter("C", Normal(g, 0.5, 3));
            return rbm;
        }

        private static GaussianBernoulliRbm Gaussian(long seed, double sigma)
        {
            var g = new Generator((ulong)seed);
            var rbm = new GaussianBernoulliRbm(V: 2, H: 3, generator: g) { Sigma = sigma };
            rbm.to(ScalarType.Float64);
            rbm.SetParameter("W", Normal(g, 0.8, 2, 3));
            rbm.SetParameter("B", Normal(g, 1.0, 2));
            rbm.SetParameter("C", Normal(g, 0.5, 3));
            return rbm;
        }

        private static Tensor Spins(int n) => FullyVisibleLearning.AllStates(UnitKind.Spins, n);

        [Fact]
        public void Spin_rbm_free_energies_are_log_2cosh_sums_by_enumeration()
        {
            using var scope = NewDisposeScope();
            var rbm = Spin(3);
            var vs = Spins(4);
            var hs = Spins(3);
            var free = rbm.FreeEnergy(vs);
            for (int i = 0; i < 16; i++)
            {
                double exact = -(-rbm.EnergyEager(vs[i].unsqueeze(0).expand(8, 4), hs)).logsumexp(0).item<double>();
                Assert.Equal(exact, free[i].item<double>(), 10);
            }
            var hiddenFree = rbm.HiddenFreeEnergy(hs);
            for (int j = 0; j < 8; j++)
            {
                double exact = -(-rbm.EnergyEager(vs, hs[j].unsqueeze(0).expand(16, 3))).logsumexp(0).item<double>();
                Assert.Equal(exact, hiddenFree[j].item<double>(), 10);
            }
        }

        [Fact]
        public void Spin_rbm_conditionals_equal_ratios_of_exact_probabilities()
        {
            using var scope = NewDisposeScope();
            var rbm = Spin(4);
            var vs = Spins(4);
            var hs = Spins(3);
            var logJoint = zeros(16, 8, dtype: ScalarType.Float64);
            for (int i = 0; i < 16; i++) logJoint[i] = -rbm.EnergyEager(vs[i].unsqueeze(0).expand(8, 4), hs);
            var joint = (logJoint - logJoint.reshape(-1).logsumexp(0)).exp();
            var pv = joint.sum(new long[] { 1 });
            var pUp = rbm.HiddenProbabilities(vs);
            var mean = rbm.HiddenMeans(vs);
            for (int j = 0; j < 3; j++)
            {
                var up = (hs.select(1, j).Add(1)).Div(2);
                var exact = (joint * up).sum(new long[] { 1 }) / pv;
                Assert.True((exact - pUp.select(1, j)).abs().max().ToDoubleValue() < 1e-12, "p(h_" + j + " = +1 | v)");
                Assert.True((exact.Mul(2).Sub(1) - mean.select(1, j)).abs().max().ToDoubleValue() < 1e-12, "E[h_" + j + " | v]");
            }
            var samples = rbm.SampleVisible(hs, new Generator(1));
            Assert.True(samples.abs().Eq(1).all().item<bool>(), "spin samples are ±1");
        }

        [Theory]
        [InlineData(1.0)]
        [InlineData(0.6)]
        public void Gaussian_bernoulli_conditionals_are_the_closed_forms(double sigma)
        {
            using var scope = NewDisposeScope();
            var rbm = Gaussian(5, sigma);
            var w = rbm.get_parameter("W")!; var b = rbm.get_parameter("B")!; var c = rbm.get_parameter("C")!;
            var hs = FullyVisibleLearning.AllStates(UnitKind.Bits, 3);
            var expectedMean = b.Add(hs.matmul(w.t()).Mul(sigma));                        // E[v | h] = b + σWh
            Assert.True((rbm.VisibleMeans(hs) - expectedMean).abs().max().ToDoubleValue() < 1e-12, "E[v | h]");
            Assert.True((rbm.VisiblePrecision(hs).Sub(1 / (sigma * sigma))).abs().max().ToDoubleValue() < 1e-12, "precision 1/σ²");
            var v = Normal(new Generator(6), 2.0, 7, 2);
            var expectedHidden = (c.Add(v.matmul(w).Div(sigma))).sigmoid();              // p(hⱼ = 1 | v) = σ(cⱼ + (Wᵀv)ⱼ/σ)
            Assert.True((rbm.HiddenProbabilities(v) - expectedHidden).abs().max().ToDoubleValue() < 1e-12, "p(h | v)");
        }

        [Fact]
        public void Gaussian_bernoulli_free_energies_match_enumeration_and_quadrature_and_the_density_is_normalised()
        {
            using var scope = NewDisposeScope();
            var rbm = Gaussian(7, 0.8);
            var hs = FullyVisibleLearning.AllStates(UnitKind.Bits, 3);
            var v = Normal(new Generator(8), 1.5, 5, 2);
            var free = rbm.FreeEnergy(v);
            for (int i = 0; i < 5; i++)
            {
                double exact = -(-rbm.EnergyEager(v[i].unsqueeze(0).expand(8, 2), hs)).logsumexp(0).item<double>();
                Assert.Equal(exact, free[i].item<double>(), 10);
            }
            // −log ∫ e^{−E(v,h)} dv by a Riemann sum on a fine grid (the integrand is a Gaussian, negligible at the edges).
            const double step = 0.02, half = 14;
            var axis = arange(-half, half, step, dtype: ScalarType.Float64);
            var grid = stack(meshgrid(new[] { axis, axis }, indexing: "ij"), 2).reshape(-1, 2);
            var hiddenFree = rbm.HiddenFreeEnergy(hs);
            for (int j = 0; j < 8; j++)
            {
                var energies = rbm.EnergyEager(grid, hs[j].unsqueeze(0).expand(grid.shape[0], 3));
                double exact = -((-energies).logsumexp(0).item<double>() + 2 * System.Math.Log(step));
                Assert.True(System.Math.Abs(exact - hiddenFree[j].item<double>()) < 1e-8, $"G(h_{j}): quadrature {exact} vs generated {hiddenFree[j].item<double>()}");
            }
            var logDensity = BoltzmannLearning.ExactLogLikelihood(rbm, grid);
            double mass = (logDensity.logsumexp(0).Add(2 * System.Math.Log(step))).exp().item<double>();
            Assert.True(System.Math.Abs(mass - 1) < 1e-8, "∫ p(v) dv = " + mass);
        }

        [Fact]
        public void Gaussian_bernoulli_visible_samples_have_the_conditional_moments()
        {
            using var scope = NewDisposeScope();
            var rbm = Gaussian(9, 0.7);
            const int n = 20000;
            var h = zeros(n, 3, dtype: ScalarType.Float64).bernoulli_(0.5, generator: new Generator(10));
            var v = rbm.SampleVisible(h, new Generator(11));
            var residual = (v - rbm.VisibleMeans(h)).Div(0.7);                          // should be standard normal
            double mean = residual.mean().item<double>(), variance = residual.var().item<double>();
            double se = 1 / System.Math.Sqrt(2.0 * n);
            Assert.True(System.Math.Abs(mean) < 4 * se, "residual mean " + mean);
            Assert.True(System.Math.Abs(variance - 1) < 4 * System.Math.Sqrt(2.0 / (2.0 * n)), "residual variance " + variance);
        }

        [Fact]
        public void Gaussian_bernoulli_rbm_learns_a_two_cluster_density_with_CD1()
        {
            using var scope = NewDisposeScope();
            var g = new Generator(12);
            const int n = 2000;
            var centre = zeros(n, 2, dtype: ScalarType.Float64).bernoulli_(0.5, generator: g).Mul(4).Sub(2);    // clusters at (±2, ±2)
            var data = centre.Add(Normal(g, 0.6, n, 2));
            var rbm = new GaussianBernoulliRbm(V: 2, H: 4, generator: new Generator(13));
            rbm.to(ScalarType.Float64);
            rbm.SetParameter("W", Normal(new Generator(14), 0.01, 2, 4));
            double before = BoltzmannLearning.ExactLogLikelihood(rbm, data).mean().item<double>();
            using var objective = new ContrastiveDivergence(rbm, 1, null);
            Trainer.Train(rbm, new TensorDataStream(data, 100, seed: 15), objective.Loss, new TrainerOptions { Steps = 400, LearningRate = 0.02, Seed = 16 });
            double after = BoltzmannLearning.ExactLogLikelihood(rbm, data).mean().item<double>();
            // A single Gaussian N(0, 2² + 0.6²) per coordinate scores ≈ −4.2 nats; the mixture's own density ≈ −3.4.
            Assert.True(after > before + 1.0, $"log-likelihood {before:F3} → {after:F3} nats");
            Assert.True(after > -4.0, $"better than one broad Gaussian: {after:F3}");
        }
    }
}
