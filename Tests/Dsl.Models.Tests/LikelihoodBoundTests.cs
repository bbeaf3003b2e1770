using System;
using System.IO;
using Dsl.Examples.Experiments;
using Dsl.Sde;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// The continuous-time likelihood bound (LikelihoodBound) against independent truth. What is compared, precisely:
    /// <list type="bullet">
    /// <item>Exact score sₜ = ∇log pₜ of the data (TimeScores.FromPerturbedData): per data point x₀ the estimator's expectation is
    /// E_{x_ε|x₀}[−log p_ε(x_ε)] + E_{x_T|x₀}[log p_T(x_T) − log π(x_T)] (Itô's formula for log pₜ; not −log p₀(x₀): the bound is for the
    /// point smoothed to time ε, and it carries the prior mismatch). The test draws one x_ε and one x_T per x₀, evaluates the closed-form
    /// p_ε, p_T (the generated PerturbedGaussianMixture at σ̃ = √v/m) and π (the SDE's PriorLogProb), and asserts that the mean of the
    /// per-point differences is within 4 standard errors (computed from those differences) of 0.</item>
    /// <item>Gaussian data: the mean bound over x₀ ~ p₀ equals H(p_ε) + KL(p_T‖π), both in closed form, within 4 SE.</item>
    /// <item>Perturbed score s + c: averaged over the data (not per point) the bound exceeds the exact one by ½‖c‖²∫_ε^T g² dt, with ∫g² in
    /// closed form per SDE; the same paired statistic minus that gap is within 4 SE of 0, and the bound exceeds H-plus-mismatch by more than 4 SE.</item>
    /// </list>
    /// Sizes: 4000 points (12 000 for the perturbed mixture, whose standard error is the largest); one (t, z) draw per point with the
    /// control variate and antithetic z (the plain estimator is checked once).
    /// </summary>
    [Collection("Console")]
    public class LikelihoodBoundTests
    {
        [Theory]
        [InlineData("vp", "gaussian")]
        [InlineData("vp", "gmm")]
        [InlineData("ve", "gaussian")]
        [InlineData("ve", "gmm")]
        [InlineData("subvp", "gaussian")]
        [InlineData("subvp", "gmm")]
        public void The_exact_score_bound_equals_the_smoothed_nll_plus_the_prior_mismatch_per_point(string sde, string data)
        {
            var r = ElboExperiment.RunKnown(sde, data, perturbed: false, samples: 4000, seed: 3, odePoints: 0);
            Assert.True(System.Math.Abs(r.Z!.Value) < 4, $"{sde}/{data}: bound {r.BoundNatsPerDim:F4} vs predicted {r.PredictedNatsPerDim:F4} nats/dim, z = {r.Z:F2}");
            Assert.True(r.DifferenceStandardError < 0.1, $"{sde}/{data}: SE {r.DifferenceStandardError}");
            if (data == "gaussian")
            {
                double closed = ElboExperiment.GaussianEntropyPlusPriorKl(ElboExperiment.Sde(sde));
                Assert.True(System.Math.Abs(r.BoundNatsPerDim - closed) < 4 * r.StandardError, $"{sde}: bound {r.BoundNatsPerDim:F4} vs H(p_ε) + KL(p_T‖π) = {closed:F4} (SE {r.StandardError:E2})");
            }
        }

        [Theory]
        [InlineData("vp")]
        [InlineData("ve")]
        [InlineData("subvp")]
        public void A_constant_score_error_adds_half_c_squared_times_the_integral_of_g_squared_on_average(string sde)
        {
            var r = ElboExperiment.RunKnown(sde, "gmm", perturbed: true, samples: 12000, seed: 5, odePoints: 0);
            Assert.True(System.Math.Abs(r.Z!.Value) < 4, $"{sde}: bound {r.BoundNatsPerDim:F4} vs predicted {r.PredictedNatsPerDim:F4} (gap {r.GapPredicted:F4}), z = {r.Z:F2}");
            double excess = r.BoundNatsPerDim - r.ExactNllNatsPerDim!.Value - r.PriorMismatchNatsPerDim!.Value;
            Assert.True(excess > 4 * r.DifferenceStandardError!.Value, $"{sde}: the bound exceeds the entropy by {excess:F4} only (SE {r.DifferenceStandardError:E2})");
        }

        [Fact]
        public void The_plain_estimator_without_control_variate_or_antithetic_draws_is_unbiased_too()
        {
            var r = ElboExperiment.RunKnown("vp", "gmm", perturbed: false, samples: 4000, seed: 7, odePoints: 0, controlVariate: false, antithetic: false);
            Assert.True(System.Math.Abs(r.Z!.Value) < 4, $"plain estimator: z = {r.Z:F2}");
        }

        [Theory]
        [InlineData("vp")]
        [InlineData("ve")]
        [InlineData("subvp")]
        public void The_importance_normalizer_is_the_integral_of_g_squared_over_the_variance(string name)
        {
            // Z = ∫_ε^T g²/v dt by composite Simpson in u = log t (the integrand is smooth in log t), from the generated g and v.
            // ε = 1e-3, not the bound's 1e-5: the generated sub-VP v(t) = 1 − e^{−B} + (e^{−2B} − e^{−B}) cancels catastrophically
            // at t ~ 1e-5 (v ~ 1e-12, relative error ~1e-4), which moves both sides by ~1e-4 (Z ≈ 38) there.
            var sde = ElboExperiment.Sde(name);
            double eps = 1e-3, T = sde.EndTime;
            int n = 20000;
            double a = System.Math.Log(eps), b = System.Math.Log(T), h = (b - a) / n, sum = 0;
            for (int i = 0; i <= n; i++)
            {
                double t = System.Math.Exp(a + i * h), gt = sde.DiffusionAt(t);
                double f = gt * gt / sde.MarginalVarianceAt(t) * t;
                sum += f * (i == 0 || i == n ? 1 : i % 2 == 1 ? 4 : 2);
            }
            double quadrature = sum * h / 3;
            double z = LikelihoodBound.Normalizer(sde, eps, BoundTimeSampling.Importance);
            Assert.True(System.Math.Abs(z - quadrature) < 1e-6 * System.Math.Abs(z), $"{name}: Z = {z} vs quadrature {quadrature}");
            // The sampled times follow p(t) ∝ g²/v: the fraction below the median time of u = log(v/m²) is ½ (binomial SE).
            using var g = new Generator(11);
            using var times = LikelihoodBound.SampleTimes(sde, 20000, eps, BoundTimeSampling.Importance, g);
            Assert.True(times.min().ToDoubleValue() >= eps && times.max().ToDoubleValue() <= T);
            double half = 0.5 * (System.Math.Log(sde.MarginalVarianceAt(eps) / System.Math.Pow(sde.MeanCoefficientAt(eps), 2))
                + System.Math.Log(sde.MarginalVarianceAt(T) / System.Math.Pow(sde.MeanCoefficientAt(T), 2)));
            int below = 0;
            foreach (var t in times.data<double>().ToArray())
                if (System.Math.Log(sde.MarginalVarianceAt(t) / System.Math.Pow(sde.MeanCoefficientAt(t), 2)) < half) below++;
            double frac = below / 20000.0, se = System.Math.Sqrt(0.25 / 20000);
            Assert.True(System.Math.Abs(frac - 0.5) < 4 * se, $"{name}: {frac} of the times below the log-SNR midpoint");
        }

        [Fact]
        public void Bad_shapes_and_settings_are_refused_with_the_reason()
        {
            var sde = new VpSde();
            using var data = SdeExperiments_GaussianData();
            var score = TimeScores.FromPerturbedData(data, sde);
            using var wrong = zeros(5, 3, dtype: ScalarType.Float64);
            var e = Assert.Throws<ArgumentException>(() => LikelihoodBound.Estimate(sde, score, wrong));
            Assert.Contains("[N, 2]", e.Message);
            using var ints = zeros(new long[] { 5, 2 }, dtype: ScalarType.Int64);
            Assert.Throws<ArgumentException>(() => LikelihoodBound.Estimate(sde, score, ints));
            using var ok = zeros(5, 2, dtype: ScalarType.Float64);
            e = Assert.Throws<ArgumentException>(() => LikelihoodBound.Estimate(sde, score, ok, new LikelihoodBoundOptions { Epsilon = 2.0 }));
            Assert.Contains("ε", e.Message);
            e = Assert.Throws<ArgumentException>(() => LikelihoodBound.Estimate(sde, score, ok, new LikelihoodBoundOptions { Draws = 0 }));
            Assert.Contains("Draws", e.Message);
            using var nan = ScalarOps.Full(new long[] { 5, 2 }, double.NaN, ScalarType.Float64);
            Assert.ThrowsAny<ArgumentException>(() => LikelihoodBound.Estimate(sde, score, nan));
            // Same seed, same result; per-point standard errors with two or more draws.
            using var r1 = LikelihoodBound.Estimate(sde, score, ok, new LikelihoodBoundOptions { Seed = 4, Draws = 3 });
            using var r2 = LikelihoodBound.Estimate(sde, score, ok, new LikelihoodBoundOptions { Seed = 4, Draws = 3 });
            Assert.Equal(r1.Mean, r2.Mean);
            Assert.NotNull(r1.PointStandardError);
        }

        private static PerturbedGaussianMixture SdeExperiments_GaussianData() => SdeExperiments.GaussianData(2);

        [Fact]
        public void Dsl_elbo_prints_the_bound_the_prediction_and_the_ode_nll_and_refuses_bad_options()
        {
            var json = Gallery.RunJson("elbo", "--sde", "ve", "--data", "gmm", "--score", "perturbed", "--samples", "2000", "--ode-points", "5");
            Assert.Equal("ve", json.GetProperty("sde").GetString());
            double z = json.GetProperty("z").GetDouble();
            Assert.True(System.Math.Abs(z) < 4, "z = " + z);
            Assert.True(json.GetProperty("gap_predicted").GetDouble() > 0);
            Assert.True(double.IsFinite(json.GetProperty("ode_nll_nats_per_dim").GetDouble()));
            Assert.Equal(json.GetProperty("bound_nats_per_dim").GetDouble() / System.Math.Log(2), json.GetProperty("bound_bits_per_dim").GetDouble(), 12);
            var (code, _, err) = Gallery.Run("elbo", "--sde", "cosine", "--json");
            Assert.Equal(2, code);
            Assert.Contains("vp, ve, subvp", err);
            (code, _, err) = Gallery.Run("elbo", "--score", "nowhere.ckpt", "--json");
            Assert.Equal(2, code);
            Assert.Contains("--score", err);
            (code, _, err) = Gallery.Run("elbo", "--data", "ring", "--json");
            Assert.Equal(2, code);
            Assert.Contains("gaussian, gmm", err);
        }

        [Fact]
        public void Dsl_elbo_loads_a_score_sde_checkpoint()
        {
            var dir = Path.Combine(Path.GetTempPath(), "dsl-elbo-" + Guid.NewGuid().ToString("N"));
            try
            {
                var ckpt = Path.Combine(dir, "vp.ckpt");
                var (code, _, err) = Gallery.Run("score-sde", "--data", "gaussians8", "--steps", "10", "--width", "16", "--depth", "1", "--n", "10",
                    "--sampler", "ode", "--sample-steps", "4", "--checkpoint", ckpt, "--out", dir, "--json");
                Assert.True(code == 0, err);
                var json = Gallery.RunJson("elbo", "--score", ckpt, "--samples", "200", "--ode-points", "5");
                Assert.Equal("vp", json.GetProperty("sde").GetString());
                Assert.Equal("gaussians8", json.GetProperty("data").GetString());
                Assert.True(double.IsFinite(json.GetProperty("bound_nats_per_dim").GetDouble()));
                Assert.True(double.IsFinite(json.GetProperty("ode_nll_nats_per_dim").GetDouble()));
                // A file that is not a checkpoint is one line, exit 2.
                var junk = Path.Combine(dir, "junk.ckpt");
                File.WriteAllText(junk, "not a checkpoint");
                (code, _, err) = Gallery.Run("elbo", "--score", junk, "--json");
                Assert.Equal(2, code);
            }
            finally { try { Directory.Delete(dir, true); } catch (IOException) { } }
        }
    }
}
