using System;
using System.Linq;
using Dsl.Models;
using Dsl.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// Samplers against distributions with known moments. Every tolerance is a number of Monte-Carlo standard
    /// errors √(var/ESS), with the ESS estimated from the recorded chains, so it tightens as runs grow.
    /// </summary>
    public class SamplerTests
    {
        private const int Chains = 1000;
        private const double Sigmas = 4.0;   // tolerance in standard errors

        /// <summary>E(x) = ½(x − μ)ᵀP(x − μ) with P = [[2, 0.9], [0.9, 1]]: correlated, condition number 5.4.</summary>
        internal static FullCovarianceGaussian CorrelatedGaussian()
        {
            var m = new FullCovarianceGaussian(D: 2);
            m.to(ScalarType.Float64);
            m.SetParameter("Mu", tensor(new[] { 0.5, 0.0 }));
            m.SetParameter("P", tensor(new[] { 2.0, 0.9, 0.9, 1.0 }).reshape(2, 2));
            return m;
        }

        internal static (double[] Mean, double[,] Cov) GaussianTruth()
        {
            double det = 2.0 * 1.0 - 0.9 * 0.9;
            return (new[] { 0.5, 0.0 }, new[,] { { 1.0 / det, -0.9 / det }, { -0.9 / det, 2.0 / det } });
        }

        /// <summary>
        /// Product of two Student-t experts with orthonormal filters wₖ (rotation by 30°) and α = (3, 4): yₖ = wₖᵀx are
        /// independent with density ∝ (1 + y²)^(−α), i.e. t_ν/√ν with ν = 2α − 1, so Var yₖ = 1/(ν − 2) = 1/3, 1/5.
        /// </summary>
        private static ProductOfStudentT StudentExperts()
        {
            var m = new ProductOfStudentT(D: 2, K: 2);
            m.to(ScalarType.Float64);
            double c = System.Math.Cos(System.Math.PI / 6), s = System.Math.Sin(System.Math.PI / 6);
            m.SetParameter("W", tensor(new[] { c, s, -s, c }).reshape(2, 2));
            m.SetParameter("Alpha", tensor(new[] { 3.0, 4.0 }));
            return m;
        }

        private static (double[] Mean, double[,] Cov) StudentTruth()
        {
            double c = System.Math.Cos(System.Math.PI / 6), s = System.Math.Sin(System.Math.PI / 6);
            double[] v = { 1.0 / 3, 1.0 / 5 };
            double[,] w = { { c, s }, { -s, c } };
            var cov = new double[2, 2];
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 2; j++)
                    cov[i, j] = w[0, i] * v[0] * w[0, j] + w[1, i] * v[1] * w[1, j];   // Wᵀ diag(v) W
            return (new[] { 0.0, 0.0 }, cov);
        }

        internal static Tensor Start(long seed) => empty(Chains, 2, dtype: ScalarType.Float64).normal_(0, 1, generator: new Generator((ulong)seed));

        /// <summary>Checks E[x], Var and Cov from the trajectory against the truth within a few ESS-based standard errors.</summary>
        internal static void AssertMoments(SamplerResult result, (double[] Mean, double[,] Cov) truth, string what)
        {
            Assert.False(result.Cancelled);
            var t = result.Trajectory!;
            var x0 = t.select(2, 0).Sub(truth.Mean[0]);
            var x1 = t.select(2, 1).Sub(truth.Mean[1]);
            // Statistics whose expectations are known: means, second central moments about the true mean, cross moment.
            var stats = stack(new[] { t.select(2, 0), t.select(2, 1), x0 * x0, x1 * x1, x0 * x1 }, 2);
            var summary = ChainDiagnostics.Summarize(stats);
            double[] expected = { truth.Mean[0], truth.Mean[1], truth.Cov[0, 0], truth.Cov[1, 1], truth.Cov[0, 1] };
            string[] names = { "E[x₁]", "E[x₂]", "Var x₁", "Var x₂", "Cov(x₁,x₂)" };
            for (int k = 0; k < expected.Length; k++)
            {
                double z = (summary.Mean[k] - expected[k]) / summary.StandardError[k];
                Assert.True(System.Math.Abs(z) <= Sigmas,
                    $"{what}: {names[k]} = {summary.Mean[k]:F4} vs truth {expected[k]:F4}, {z:F1} standard errors (SE {summary.StandardError[k]:E2}, ESS {summary.EffectiveSampleSize[k]:F0})");
                Assert.True(summary.EffectiveSampleSize[k] > 500, $"{what}: ESS of {names[k]} only {summary.EffectiveSampleSize[k]:F0}");
            }
        }

        [Fact]
        public void Metropolis_Hastings_with_adaptive_step_matches_the_correlated_Gaussian()
        {
            using var scope = NewDisposeScope();
            using var r = Samplers.MetropolisHastings(CorrelatedGaussian(), Start(1), 0.3, new SamplerOptions { BurnIn = 500, Steps = 1500, Thin = 3, Seed = 7 }, adaptStep: true);
            Assert.InRange(r.AcceptanceRate, 0.15, 0.35);          // adapted towards 0.234
            AssertMoments(r, GaussianTruth(), "MH on the correlated Gaussian");
        }

        [Fact]
        public void Unadjusted_Langevin_with_small_step_matches_the_correlated_Gaussian()
        {
            using var scope = NewDisposeScope();
            using var r = Samplers.Langevin(CorrelatedGaussian(), Start(2), 0.01, new SamplerOptions { BurnIn = 1500, Steps = 4000, Thin = 10, Seed = 8 });
            Assert.True(double.IsNaN(r.AcceptanceRate));
            AssertMoments(r, GaussianTruth(), "ULA on the correlated Gaussian");
        }

        [Fact]
        public void MALA_matches_the_correlated_Gaussian_and_reports_its_acceptance()
        {
            using var scope = NewDisposeScope();
            using var r = Samplers.Mala(CorrelatedGaussian(), Start(3), 0.5, new SamplerOptions { BurnIn = 300, Steps = 1500, Thin = 3, Seed = 9 }, adaptStep: true);
            Assert.InRange(r.AcceptanceRate, 0.45, 0.7);            // adapted towards 0.574
            AssertMoments(r, GaussianTruth(), "MALA on the correlated Gaussian");
        }

        [Fact]
        public void Metropolis_Hastings_matches_the_product_of_Student_t_experts()
        {
            using var scope = NewDisposeScope();
            using var r = Samplers.MetropolisHastings(StudentExperts(), Start(4), 0.5, new SamplerOptions { BurnIn = 500, Steps = 2000, Thin = 4, Seed = 10 }, adaptStep: true);
            AssertMoments(r, StudentTruth(), "MH on the product of experts");
        }

        [Fact]
        public void Unadjusted_Langevin_with_small_step_matches_the_product_of_Student_t_experts()
        {
            using var scope = NewDisposeScope();
            using var r = Samplers.Langevin(StudentExperts(), Start(5), 0.01, new SamplerOptions { BurnIn = 1000, Steps = 3000, Thin = 6, Seed = 11 });
            AssertMoments(r, StudentTruth(), "ULA on the product of experts");
        }

        [Fact]
        public void MALA_matches_the_product_of_Student_t_experts()
        {
            using var scope = NewDisposeScope();
            using var r = Samplers.Mala(StudentExperts(), Start(6), 0.3, new SamplerOptions { BurnIn = 300, Steps = 1500, Thin = 3, Seed = 12 }, adaptStep: true);
            AssertMoments(r, StudentTruth(), "MALA on the product of experts");
        }

        /// <summary>Song &amp; Ermon (2019), Figure 3: p = 0.2·N((−5,−5), I) + 0.8·N((5,5), I), chains uniform in [−8, 8]².</summary>
        [Fact]
        public void Annealed_Langevin_recovers_the_minor_mode_weight_that_plain_Langevin_misses()
        {
            using var scope = NewDisposeScope();
            const int n = 2000;
            double se = System.Math.Sqrt(0.2 * 0.8 / n);
            var start = empty(n, 2, dtype: ScalarType.Float64).uniform_(-8, 8, generator: new Generator(21));

            var plain = new GaussianMixture(D: 2, K: 2);
            plain.to(ScalarType.Float64);
            plain.SetParameter("Mu", tensor(new[] { -5.0, -5.0, 5.0, 5.0 }).reshape(2, 2));
            plain.SetParameter("LogW", tensor(new[] { System.Math.Log(0.2), System.Math.Log(0.8) }));
            plain.SetParameter("Sigma", tensor(1.0));
            using var langevin = Samplers.Langevin(plain, start, 0.1, new SamplerOptions { Steps = 1000, Seed = 22 });
            double plainMinor = MinorFraction(langevin.Samples);
            Assert.True(System.Math.Abs(plainMinor - 0.2) > 10 * se, $"plain Langevin should mis-weight the modes, got minor weight {plainMinor:F3}");

            var perturbed = new PerturbedGaussianMixture(D: 2, K: 2);
            perturbed.to(ScalarType.Float64);
            perturbed.SetParameter("Mu", tensor(new[] { -5.0, -5.0, 5.0, 5.0 }).reshape(2, 2));
            perturbed.SetParameter("LogW", tensor(new[] { System.Math.Log(0.2), System.Math.Log(0.8) }));
            perturbed.SetParameter("Sigma", tensor(1.0));
            using var annealed = Samplers.AnnealedLangevin(perturbed, start, NoiseSchedule.Geometric(20, 1, 10), 0.1, 100, new SamplerOptions { Seed = 23 });
            double annealedMinor = MinorFraction(annealed.Samples);
            Assert.True(System.Math.Abs(annealedMinor - 0.2) <= Sigmas * se, $"annealed Langevin minor weight {annealedMinor:F3}, expected 0.2 ± {Sigmas * se:F3}");
            Assert.Equal(1000, annealed.Steps);
        }

        internal static double MinorFraction(Tensor samples) => (samples.select(1, 0).Add(samples.select(1, 1)).Lt(0)).to_type(ScalarType.Float64).mean().item<double>();

        [Fact]
        public void The_same_seed_gives_the_same_chains_and_another_seed_does_not()
        {
            using var scope = NewDisposeScope();
            var model = CorrelatedGaussian();
            var options = new SamplerOptions { Steps = 50, Seed = 3 };
            using var a = Samplers.Mala(model, Start(1), 0.3, options);
            using var b = Samplers.Mala(model, Start(1), 0.3, options);
            using var c = Samplers.Mala(model, Start(1), 0.3, new SamplerOptions { Steps = 50, Seed = 4 });
            Assert.Equal(0.0, (a.Samples - b.Samples).abs().max().item<double>());
            Assert.NotEqual(0.0, (c.Samples - a.Samples).abs().max().item<double>());
        }

        [Fact]
        public void Thinned_trajectory_has_one_entry_per_thin_steps_after_burn_in()
        {
            using var scope = NewDisposeScope();
            using var r = Samplers.Langevin(CorrelatedGaussian(), Start(1), 0.1, new SamplerOptions { BurnIn = 10, Steps = 40, Thin = 4, Seed = 1 });
            Assert.Equal(new long[] { 10, Chains, 2 }, r.Trajectory!.shape);
            Assert.Equal(0.0, (r.Trajectory[9] - r.Samples).abs().max().item<double>());
            Assert.Equal(50, r.Steps);
        }

        [Fact]
        public void ESS_of_AR1_chains_matches_the_closed_form()
        {
            // x_t = ρ x_{t−1} + √(1 − ρ²) ε_t has integrated autocorrelation time (1 + ρ)/(1 − ρ).
            using var scope = NewDisposeScope();
            const double rho = 0.9;
            const int T = 4000, M = 100;
            var g = new Generator(5);
            var noise = empty(T, M, 1, dtype: ScalarType.Float64).normal_(0, 1, generator: g);
            var data = new double[T * M];
            var eps = noise.data<double>().ToArray();
            var x = eps.Take(M).ToArray();
            for (int t = 0; t < T; t++)
                for (int m = 0; m < M; m++)
                {
                    if (t > 0) x[m] = rho * x[m] + System.Math.Sqrt(1 - rho * rho) * eps[t * M + m];
                    data[t * M + m] = x[m];
                }
            var ess = ChainDiagnostics.EffectiveSampleSize(tensor(data, new long[] { T, M, 1 }))[0];
            double expected = T * M * (1 - rho) / (1 + rho);
            Assert.InRange(ess, 0.85 * expected, 1.15 * expected);
        }

        [Fact]
        public void A_step_that_blows_up_stops_with_an_error_naming_the_step()
        {
            var e = Assert.Throws<SamplerDivergedException>(() => Samplers.Langevin(CorrelatedGaussian(), Start(1), 10.0, new SamplerOptions { Steps = 5000, Seed = 1 }));
            Assert.Contains("FullCovarianceGaussian", e.Message);
            Assert.Contains("at step " + e.Step, e.Message);
            Assert.Contains("smaller step", e.Message);
            Assert.InRange(e.Step, 2, 5000);
        }

        [Theory]
        [InlineData(0.0)]
        [InlineData(-0.1)]
        [InlineData(double.NaN)]
        [InlineData(double.PositiveInfinity)]
        public void Non_positive_step_sizes_are_rejected_by_name(double step)
        {
            var model = CorrelatedGaussian();
            Assert.Equal("epsilon", Assert.Throws<ArgumentException>(() => Samplers.Langevin(model, Start(1), step, new SamplerOptions())).ParamName);
            Assert.Equal("epsilon", Assert.Throws<ArgumentException>(() => Samplers.Mala(model, Start(1), step, new SamplerOptions())).ParamName);
            Assert.Equal("stepSize", Assert.Throws<ArgumentException>(() => Samplers.MetropolisHastings(model, Start(1), step, new SamplerOptions())).ParamName);
        }

        [Fact]
        public void Noise_schedules_that_do_not_decrease_are_rejected_by_name()
        {
            var model = new PerturbedGaussianMixture(D: 2, K: 2);
            var x = zeros(4, 2);
            var e = Assert.Throws<ArgumentException>(() => Samplers.AnnealedLangevin(model, x, new[] { 1.0, 2.0 }, 0.1, 10, new SamplerOptions()));
            Assert.Equal("sigmas", e.ParamName);
            Assert.Contains("strictly decreasing", e.Message);
            Assert.Throws<ArgumentException>(() => Samplers.AnnealedLangevin(model, x, new[] { 1.0, 0.0 }, 0.1, 10, new SamplerOptions()));
            Assert.Throws<ArgumentException>(() => NoiseSchedule.Geometric(1, 2, 10));
        }

        [Fact]
        public void A_start_of_the_wrong_shape_names_the_model_and_the_expected_shape()
        {
            var e = Assert.Throws<ArgumentException>(() => Samplers.Langevin(CorrelatedGaussian(), zeros(5, 3), 0.1, new SamplerOptions()));
            Assert.Contains("FullCovarianceGaussian", e.Message);
            Assert.Contains("[N, 2]", e.Message);
        }
    }
}
