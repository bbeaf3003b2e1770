using System;
using System.Linq;
using Dsl.ScoreMatching;
using Dsl.Sde;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// The lectures' equivalences as numbers, through the library's own losses (ScoreMatchingLosses, ContinuousTimeScoreMatching)
    /// and the generated models: ISM = ESM + C with C = −½E‖∇log p‖² (Hyvärinen 2005, integration by parts), DSM = ESM + C′ with
    /// C′ = ½E‖∇log q(x̃|x)‖² − ½E‖∇log q(x̃)‖² (Vincent 2011), Tweedie's E[x₀ | xₜ] = (xₜ + v(t)∇log pₜ(xₜ))/m(t) against
    /// Monte-Carlo posterior means, and √E‖∇log p₀ₜ(xₜ|x₀)‖² = √D/σₜ. Each Monte-Carlo side carries its standard error
    /// (the spread of 40 independent batch means, or of the samples), each check a z-score; fixed seeds, |z| &lt; 4.
    /// </summary>
    public class ScoreMatchingEquivalenceTests
    {
        private const int Batches = 40;
        private const int BatchSize = 4000;
        private const double MaxZ = 4.0;
        private static readonly double[] TrueMean = { 0.3, -0.2 };
        private const double TrueStd = 0.8;
        private readonly ITestOutputHelper output;

        public ScoreMatchingEquivalenceTests(ITestOutputHelper output) => this.output = output;

        /// <summary>Gaussian data N((0.3, −0.2), 0.8²I), or the mixture 0.3·N((−1, 0), 0.5²I) + 0.7·N((1.5, 0.5), 0.5²I).</summary>
        private static Tensor Sample(bool mixture, int n, Generator generator)
        {
            if (!mixture) return randn(n, 2, dtype: ScalarType.Float64, generator: generator).mul_(TrueStd).add_(tensor(TrueMean));
            using var scope = NewDisposeScope();
            var minor = rand(n, dtype: ScalarType.Float64, generator: generator).lt(0.3).to_type(ScalarType.Float64).unsqueeze(1);
            var centre = minor * tensor(new[] { -1.0, 0.0 }) + (1 - minor) * tensor(new[] { 1.5, 0.5 });
            return (randn(n, 2, dtype: ScalarType.Float64, generator: generator).mul_(0.5) + centre).MoveToOuterDisposeScope();
        }

        /// <summary>The mixture above as the generated PerturbedGaussianMixture (its score at noise level σ is that of the data ∗ N(0, σ²I)).</summary>
        private static PerturbedGaussianMixture Mixture()
        {
            var data = new PerturbedGaussianMixture(D: 2, K: 2);
            data.to(ScalarType.Float64);
            data.SetParameter("Mu", tensor(new[] { -1.0, 0.0, 1.5, 0.5 }).reshape(2, 2));
            data.SetParameter("LogW", tensor(new[] { System.Math.Log(0.3), System.Math.Log(0.7) }));
            data.SetParameter("Sigma", tensor(0.5));
            return data;
        }

        /// <summary>The score of the data convolved with N(0, σ²I) (σ = 0: the data's own score).</summary>
        private static Func<Tensor, Tensor> DataScore(bool mixture, PerturbedGaussianMixture data, double sigma) => x =>
            mixture ? data.ScoreNoGrad(x, full(x.shape[0], sigma, dtype: ScalarType.Float64))
                    : (x - tensor(TrueMean)).div_(-(TrueStd * TrueStd + sigma * sigma));

        private static IsotropicGaussian Model(double mu0, double mu1, double sigma)
        {
            var model = new IsotropicGaussian(D: 2);
            model.to(ScalarType.Float64);
            model.SetParameter("Mu", tensor(new[] { mu0, mu1 }));
            model.SetParameter("Sigma", tensor(sigma));
            return model;
        }

        private static (double Mean, double Se) MeanAndSe(double[] values)
        {
            double mean = values.Average();
            double variance = values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1);
            return (mean, System.Math.Sqrt(variance / values.Length));
        }

        /// <summary>C = −½E‖∇log p‖² (closed form −D/(2s²) for Gaussian data, Monte Carlo with its standard error for the mixture).</summary>
        private static (double C, double Se) FisherConstant(bool mixture, PerturbedGaussianMixture data, double sigma, Generator generator)
        {
            if (!mixture) return (-0.5 * 2 / (TrueStd * TrueStd + sigma * sigma), 0);
            var score = DataScore(true, data, sigma);
            return MeanAndSe(Enumerable.Range(0, Batches).Select(_ =>
            {
                using var scope = NewDisposeScope();
                var x = Sample(true, BatchSize, generator);
                if (sigma > 0) x = x + randn(x.shape, dtype: ScalarType.Float64, generator: generator) * sigma;
                return -0.5 * score(x).square().sum(1).mean().item<double>();
            }).ToArray());
        }

        [Theory]
        [InlineData(false, 0.0, 0.0, 1.0)]
        [InlineData(false, 0.5, -0.3, 0.7)]
        [InlineData(false, -1.0, 1.0, 1.5)]
        [InlineData(true, 0.0, 0.0, 1.0)]
        [InlineData(true, 1.0, 0.2, 0.6)]
        [InlineData(true, -0.5, 0.5, 2.0)]
        public void Implicit_equals_explicit_score_matching_plus_minus_half_the_data_Fisher_information(bool mixture, double mu0, double mu1, double sigma)
        {
            using var data = Mixture();
            using var model = Model(mu0, mu1, sigma);
            var generator = new Generator(11);
            var target = DataScore(mixture, data, 0);
            var differences = Enumerable.Range(0, Batches).Select(_ =>
            {
                using var scope = NewDisposeScope();
                var x = Sample(mixture, BatchSize, generator);
                return ScoreMatchingLosses.Implicit(model, x).item<double>() - ScoreMatchingLosses.Explicit(model, x, target).item<double>();
            }).ToArray();
            var (difference, se) = MeanAndSe(differences);
            var (c, seC) = FisherConstant(mixture, data, 0, new Generator(12));
            double z = (difference - c) / System.Math.Sqrt(se * se + seC * seC);
            output.WriteLine($"ISM − ESM = {difference:F5} ± {se:F5}, C = {c:F5} ± {seC:F5}, z = {z:F2}");
            Assert.True(System.Math.Abs(z) < MaxZ, $"ISM − ESM = {difference:F5} ± {se:F5} vs C = {c:F5} ± {seC:F5}: z = {z:F2}");
            // The test can fail: C depends on the data, not on θ, and is far from 0 (−½E‖∇log p‖² ≈ −1.6 for the Gaussian).
            Assert.True(System.Math.Abs(c) > 20 * System.Math.Sqrt(se * se + seC * seC));
        }

        [Theory]
        [InlineData(false, 0.0, 0.0, 1.0, 0.5)]
        [InlineData(false, 0.5, -0.3, 0.7, 0.3)]
        [InlineData(true, 0.0, 0.0, 1.0, 0.5)]
        [InlineData(true, 1.0, 0.2, 0.6, 0.3)]
        public void Denoising_equals_explicit_score_matching_on_the_noisy_data_plus_a_constant(bool mixture, double mu0, double mu1, double sigma, double noise)
        {
            using var data = Mixture();
            using var model = Model(mu0, mu1, sigma);
            var generator = new Generator(21);
            // ESM against the score of q_σ = p ∗ N(0, σ²I), on the same x̃ = x + σz that Denoising draws from the same seed.
            var target = DataScore(mixture, data, noise);
            var differences = Enumerable.Range(0, Batches).Select(b =>
            {
                using var scope = NewDisposeScope();
                var x = Sample(mixture, BatchSize, generator);
                double dsm = ScoreMatchingLosses.Denoising(model, x, noise, new Generator(1000 + (ulong)b)).item<double>();
                var noisy = x + noise * empty_like(x).normal_(0, 1, generator: new Generator(1000 + (ulong)b));
                return dsm - ScoreMatchingLosses.Explicit(model, noisy, target).item<double>();
            }).ToArray();
            var (difference, se) = MeanAndSe(differences);
            // C′ = ½E‖z/σ‖² − ½E‖∇log q_σ(x̃)‖² = D/(2σ²) + C(q_σ).
            var (c, seC) = FisherConstant(mixture, data, noise, new Generator(22));
            double expected = 2 / (2 * noise * noise) + c;
            double z = (difference - expected) / System.Math.Sqrt(se * se + seC * seC);
            output.WriteLine($"DSM − ESM = {difference:F5} ± {se:F5}, C′ = {expected:F5} ± {seC:F5}, z = {z:F2}");
            Assert.True(System.Math.Abs(z) < MaxZ, $"DSM − ESM = {difference:F5} ± {se:F5} vs C′ = {expected:F5} ± {seC:F5}: z = {z:F2}");
            Assert.True(System.Math.Abs(expected) > 20 * System.Math.Sqrt(se * se + seC * seC));
        }

        [Theory]
        [InlineData(0.1)]
        [InlineData(0.3)]
        public void Continuous_time_denoising_equals_explicit_score_matching_on_p_t_plus_a_constant(double time)
        {
            // The library's ContinuousTimeScoreMatching at a fixed t with the likelihood weighting λ = g², for a deliberately
            // wrong score 0.7·∇log pₜ + 0.1: ½λE‖s − ∇log p₀ₜ‖² = ½λE‖s − ∇log pₜ‖² + ½λ(D/v − E‖∇log pₜ‖²).
            using var data = Mixture();
            var sde = new VpSde();
            var exact = TimeScores.FromPerturbedData(data, sde);
            var wrong = TimeScores.FromScorePrediction(2, (x, t) => exact.Score(x, t) * 0.7 + 0.1, "0.7·s + 0.1");
            var generator = new Generator(31);
            double m = sde.MeanCoefficientAt(time), v = sde.MarginalVarianceAt(time), g2 = sde.DiffusionAt(time) * sde.DiffusionAt(time);
            var differences = Enumerable.Range(0, Batches).Select(_ =>
            {
                using var scope = NewDisposeScope();
                var x0 = Sample(true, BatchSize, generator);
                var t = full(BatchSize, time, dtype: ScalarType.Float64);
                var z = randn(x0.shape, dtype: ScalarType.Float64, generator: generator);
                double dsm = ContinuousTimeScoreMatching.PerSample(sde, wrong, x0, t, z, TimeWeighting.Likelihood).mean().item<double>();
                var xt = sde.Perturb(x0, t, z);
                double esm = 0.5 * g2 * (wrong.Score(xt, t) - exact.Score(xt, t)).square().sum(1).mean().item<double>();
                return dsm - esm;
            }).ToArray();
            var (difference, se) = MeanAndSe(differences);
            var fisher = MeanAndSe(Enumerable.Range(0, Batches).Select(_ =>
            {
                using var scope = NewDisposeScope();
                var xt = Sample(true, BatchSize, generator) * m + System.Math.Sqrt(v) * randn(BatchSize, 2, dtype: ScalarType.Float64, generator: generator);
                return exact.Score(xt, full(BatchSize, time, dtype: ScalarType.Float64)).square().sum(1).mean().item<double>();
            }).ToArray());
            double expected = 0.5 * g2 * (2 / v - fisher.Mean), seC = 0.5 * g2 * fisher.Se;
            double zScore = (difference - expected) / System.Math.Sqrt(se * se + seC * seC);
            output.WriteLine($"t = {time}: DSM(t) − ESM(t) = {difference:F5} ± {se:F5}, C′(t) = {expected:F5} ± {seC:F5}, z = {zScore:F2}");
            Assert.True(System.Math.Abs(zScore) < MaxZ, $"t = {time}: DSM − ESM = {difference:F5} ± {se:F5} vs C′ = {expected:F5} ± {seC:F5}: z = {zScore:F2}");
        }

        [Theory]
        [InlineData(0.1)]
        [InlineData(0.4)]
        public void Tweedie_posterior_mean_from_the_generated_score_matches_exact_and_Monte_Carlo_posterior_means(double time)
        {
            using var data = Mixture();
            var sde = new VpSde();
            var score = TimeScores.FromPerturbedData(data, sde);
            double m = sde.MeanCoefficientAt(time), v = sde.MarginalVarianceAt(time);
            // Points in both modes and between them (where the posterior mixes the two components).
            var points = new[] { new[] { -1.0, 0.0 }, new[] { 0.25, 0.25 }, new[] { 0.5, 0.3 }, new[] { 1.5, 0.5 } }.Select(p => p.Select(c => c * m).ToArray()).ToArray();
            using var xt = tensor(points.SelectMany(p => p).ToArray()).reshape(points.Length, 2);
            using var t = full(points.Length, time, dtype: ScalarType.Float64);
            using var s = score.Score(xt, t);
            using var tweedie = (xt + v * s) / m;
            var x0 = Sample(true, 400_000, new Generator(41));
            double maxZ = 0, maxExactError = 0;
            for (int i = 0; i < points.Length; i++)
            {
                using var scope = NewDisposeScope();
                var exact = ExactPosteriorMean(points[i], m, v);
                // Self-normalised importance sampling: E[x₀ | xₜ] = E_p₀[w x₀]/E_p₀[w], w = N(xₜ; m x₀, vI), delta-method standard error.
                var logW = (x0 * m - tensor(points[i])).square().sum(1).div(-2 * v);
                var w = (logW - logW.max()).exp();
                var weights = w / w.sum();
                var estimate = (weights.unsqueeze(1) * x0).sum(0L);
                var se = (weights.square().unsqueeze(1) * (x0 - estimate).square()).sum(0L).sqrt();
                for (int c = 0; c < 2; c++)
                {
                    double tw = tweedie[i, c].item<double>();
                    double z = (tw - estimate[c].item<double>()) / se[c].item<double>();
                    maxZ = System.Math.Max(maxZ, System.Math.Abs(z));
                    maxExactError = System.Math.Max(maxExactError, System.Math.Abs(tw - exact[c]));
                    output.WriteLine($"t = {time}, x = ({points[i][0]:F3}, {points[i][1]:F3}), coordinate {c}: Tweedie {tw:F5}, exact {exact[c]:F5}, Monte Carlo {estimate[c].item<double>():F5} ± {se[c].item<double>():F5}, z = {z:F2}");
                }
            }
            Assert.True(maxExactError < 1e-10, $"Tweedie vs the closed-form posterior mean: {maxExactError:E2}");
            Assert.True(maxZ < MaxZ, $"Tweedie vs Monte Carlo: largest |z| {maxZ:F2}");
        }

        /// <summary>E[x₀ | xₜ] for the mixture: Σₖ rₖ(μₖ + (m s²/τ²)(xₜ − mμₖ)), rₖ ∝ wₖN(xₜ; mμₖ, τ²I), τ² = m²s² + v.</summary>
        private static double[] ExactPosteriorMean(double[] x, double m, double v)
        {
            var mus = new[] { new[] { -1.0, 0.0 }, new[] { 1.5, 0.5 } };
            var w = new[] { 0.3, 0.7 };
            double s2 = 0.25, tau2 = m * m * s2 + v;
            var logR = mus.Select((mu, k) => System.Math.Log(w[k]) - mu.Select((c, j) => (x[j] - m * c) * (x[j] - m * c)).Sum() / (2 * tau2)).ToArray();
            double max = logR.Max();
            var r = logR.Select(l => System.Math.Exp(l - max)).ToArray();
            double total = r.Sum();
            return Enumerable.Range(0, 2).Select(j => Enumerable.Range(0, 2).Sum(k => r[k] / total * (mus[k][j] + m * s2 / tau2 * (x[j] - m * mus[k][j])))).ToArray();
        }

        [Theory]
        [InlineData(0.05)]
        [InlineData(0.5)]
        public void The_kernel_score_has_root_mean_square_norm_root_D_over_sigma_t(double time)
        {
            // √E‖∇log p₀ₜ(xₜ|x₀)‖² = √D/σₜ (∇log p₀ₜ = −z/σₜ, E‖z‖² = D); the tutorial writes 1/σₜ, off by √D.
            const int dim = 8, n = 200_000;
            var sde = new VpSde();
            var generator = new Generator(51 + (ulong)(time * 100));
            using var scope = NewDisposeScope();
            var x0 = randn(n, dim, dtype: ScalarType.Float64, generator: generator);
            var t = full(n, time, dtype: ScalarType.Float64);
            var z = randn(n, dim, dtype: ScalarType.Float64, generator: generator);
            var xt = sde.Perturb(x0, t, z);
            double m = sde.MeanCoefficientAt(time), v = sde.MarginalVarianceAt(time), g2 = sde.DiffusionAt(time) * sde.DiffusionAt(time);
            var norm2 = (xt - x0 * m).div(-v).square().sum(1);
            var (mean, se) = MeanAndSe(norm2.data<double>().ToArray());
            double zMean = (mean - dim / v) / se;
            double rms = System.Math.Sqrt(mean), rmsSe = se / (2 * rms);
            output.WriteLine($"t = {time}: √E‖∇log p₀ₜ‖² = {rms:F5} ± {rmsSe:F5}, √D/σₜ = {System.Math.Sqrt(dim / v):F5}, 1/σₜ = {1 / System.Math.Sqrt(v):F5}, z = {zMean:F2}");
            Assert.True(System.Math.Abs(zMean) < MaxZ, $"E‖∇log p₀ₜ‖² = {mean:F4} ± {se:F4} vs D/v = {dim / v:F4}");
            Assert.True(System.Math.Abs(rms - 1 / System.Math.Sqrt(v)) > 100 * rmsSe, "the statement without √D must be rejected");
            // The library's continuous-time loss of the zero score is ½λE‖∇log p₀ₜ‖² = ½g²D/v with λ = g².
            var zero = TimeScores.FromScorePrediction(dim, (x, _) => zeros_like(x), "zero");
            var (lossMean, lossSe) = MeanAndSe(ContinuousTimeScoreMatching.PerSample(sde, zero, x0, t, z, TimeWeighting.Likelihood).data<double>().ToArray());
            double zLoss = (lossMean - 0.5 * g2 * dim / v) / lossSe;
            output.WriteLine($"t = {time}: ½g²E‖∇log p₀ₜ‖² = {lossMean:F4} ± {lossSe:F4} vs ½g²D/v = {0.5 * g2 * dim / v:F4}, z = {zLoss:F2}");
            Assert.True(System.Math.Abs(zLoss) < MaxZ);
        }
    }
}
