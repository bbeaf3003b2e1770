using System;
using System.Linq;
using Dsl.Models;
using Dsl.Sde;
using Dsl.Solvers;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// Time grids, the Heun sampler (EDM Algorithms 1 and 2) and the denoiser parametrisation, with the exact score of
    /// Gaussian data N(μ, s²I): pₜ = N(mμ, (m²s² + v)I), s(x, t) = −(x − mμ)/(m²s² + v), whose probability-flow ODE keeps
    /// (x − m(t)μ)/√(m²s² + v) constant (the closed-form solution the order test measures against).
    /// </summary>
    public class SdeGridSamplingTests
    {
        private static readonly double[] Mu = { 0.5, -0.75 };
        private const double S = 0.5;
        private readonly ITestOutputHelper output;

        public SdeGridSamplingTests(ITestOutputHelper output) => this.output = output;

        private static ITimeScoreModel GaussianScore(ISde sde) =>
            TimeScores.FromScorePrediction(2, (x, t) =>
            {
                using var scope = NewDisposeScope();
                var m = sde.MeanCoefficient(t).unsqueeze(1);
                var std = sde.MarginalStd(t).unsqueeze(1);
                var mu = tensor(Mu, dtype: x.dtype).reshape(1, 2);
                var variance = m.Square().Mul(S * S).Add(std.Square());
                return (x - m * mu).neg().div(variance).MoveToOuterDisposeScope();
            }, "exact Gaussian score");

        // The exact probability-flow map from T to ε of a prior draw x_T.
        private static Tensor ExactFlow(ISde sde, Tensor xT, double eps)
        {
            double T = sde.EndTime;
            double mT = sde.MeanCoefficientAt(T), mE = sde.MeanCoefficientAt(eps);
            double sdT = System.Math.Sqrt(mT * mT * S * S + sde.MarginalVarianceAt(T)), sdE = System.Math.Sqrt(mE * mE * S * S + sde.MarginalVarianceAt(eps));
            var mu = tensor(Mu, dtype: ScalarType.Float64).reshape(1, 2);
            return xT.Sub(mu, mT).Mul(sdE / sdT).Add(mu, mE);
        }

        private static Tensor Prior(ISde sde, long n, long seed)
        {
            using var g = new Generator((ulong)seed, CPU);
            return sde.SamplePrior(n, 2, g, ScalarType.Float64, CPU);
        }

        private static double RmsError(Tensor a, Tensor b) => (a - b).Square().mean().sqrt().ToDoubleValue();

        [Fact]
        public void The_grids_are_uniform_in_their_own_variable_and_end_at_T_and_epsilon()
        {
            var vp = new VpSde();
            const int n = 20;
            var u = TimeGrid.Uniform(vp, n, 1e-3);
            var l = TimeGrid.LogSnr(vp, n, 1e-3);
            var k = TimeGrid.Karras(vp, n, 1e-3, 7);
            foreach (var g in new[] { u, l, k })
            {
                Assert.Equal(n, g.Steps);
                Assert.Equal(1.0, g.Start);
                Assert.Equal(1e-3, g.End);
            }
            double dl = TimeGrid.LogSnrAt(vp, l[1]) - TimeGrid.LogSnrAt(vp, l[0]);
            double a = System.Math.Pow(TimeGrid.NoiseLevel(vp, k[0]), 1 / 7.0), b = System.Math.Pow(TimeGrid.NoiseLevel(vp, k[n]), 1 / 7.0);
            for (int i = 0; i < n; i++)
            {
                Assert.Equal((1 - 1e-3) / n, u[i] - u[i + 1], 12);
                Assert.Equal(dl, TimeGrid.LogSnrAt(vp, l[i + 1]) - TimeGrid.LogSnrAt(vp, l[i]), 9);
                Assert.Equal(a + (i + 1.0) / n * (b - a), System.Math.Pow(TimeGrid.NoiseLevel(vp, k[i + 1]), 1 / 7.0), 9);
            }
            // VE: σ(t) = √v(t) (m = 1).
            var ve = new VeSde();
            var kv = TimeGrid.Karras(ve, n, 1e-5);
            Assert.Equal(System.Math.Sqrt(ve.MarginalVarianceAt(kv[3])), TimeGrid.NoiseLevel(ve, kv[3]), 12);
        }

        [Fact]
        public void Bad_grids_are_refused_with_one_line_naming_the_argument()
        {
            var e1 = Assert.Throws<ArgumentException>(() => new TimeGrid(new[] { 1.0, 0.5, 0.5 }));
            Assert.Equal("times", e1.ParamName);
            Assert.Contains("strictly decreasing", e1.Message);
            Assert.Equal("times", Assert.Throws<ArgumentException>(() => new TimeGrid(new[] { 1.0, double.NaN })).ParamName);
            Assert.Equal("times", Assert.Throws<ArgumentException>(() => new TimeGrid(new[] { 1.0, -0.1 })).ParamName);
            var vp = new VpSde();
            var score = GaussianScore(vp);
            var beyond = new TimeGrid(new[] { 1.5, 0.5, 0.01 });
            var e2 = Assert.Throws<ArgumentException>(() => HeunSampler.Sample(vp, score, 10, beyond));
            Assert.Equal("grid", e2.ParamName);
            Assert.DoesNotContain("\n", e2.Message);
            var late = new TimeGrid(new[] { 0.9, 0.5, 0.01 });
            Assert.Equal("Grid", Assert.Throws<ArgumentException>(() => SdeSolvers.Sample(vp, score, 10, new SdeSamplerOptions { Grid = late })).ParamName);
            Assert.Equal("grid", Assert.Throws<ArgumentException>(() => ProbabilityFlow.Sample(vp, score, 10, new TimeGrid(new[] { 1.0, 0.0 }))).ParamName);
            Assert.Equal("times", Assert.Throws<ArgumentException>(() => OdeSolvers.Solve((t, y) => y, new[] { zeros(1) }, new[] { 0.0, 1.0, 1.0 }, new OdeOptions { Method = OdeMethod.Euler })).ParamName);
        }

        [Fact]
        public void A_uniform_grid_takes_exactly_the_steps_of_the_step_count_overloads()
        {
            var vp = new VpSde();
            var score = GaussianScore(vp);
            using var a = ProbabilityFlow.Sample(vp, score, 200, new OdeOptions { Method = OdeMethod.Heun, Steps = 50 }, epsilon: 1e-3, seed: 4, dtype: ScalarType.Float64);
            using var b = ProbabilityFlow.Sample(vp, score, 200, TimeGrid.Uniform(vp, 50, 1e-3), OdeMethod.Heun, seed: 4, dtype: ScalarType.Float64);
            Assert.True((a.Samples - b.Samples).abs().max().ToDoubleValue() == 0, "ODE on the uniform grid is bit-identical");
            using var c = SdeSolvers.Sample(vp, score, 200, new SdeSamplerOptions { Steps = 100, Seed = 6 }, ScalarType.Float64);
            using var d = SdeSolvers.Sample(vp, score, 200, new SdeSamplerOptions { Grid = TimeGrid.Uniform(vp, 100, 1e-3), Seed = 6 }, ScalarType.Float64);
            double diff = (c.Samples - d.Samples).abs().max().ToDoubleValue();
            output.WriteLine($"reverse EM, steps vs uniform grid: max |Δ| = {diff:E2}");
            Assert.True(diff < 1e-10, $"reverse EM on the uniform grid differs from the step count by {diff:E2} (only Δt rounding may differ)");
        }

        [Fact]
        public void Forward_Euler_Maruyama_on_a_Karras_grid_matches_the_kernel_moments()
        {
            var vp = new VpSde();
            const int n = 20000;
            using var scope = NewDisposeScope();
            var x0 = ones(n, 1, dtype: ScalarType.Float64);
            using var g = new Generator(11, CPU);
            var grid = TimeGrid.Karras(vp, 400, 1e-3);
            var x = SdeSolvers.EulerMaruyama(vp, x0, grid, g);
            double mean = x.mean().ToDoubleValue(), std = x.std().ToDoubleValue();
            // from ε to T: x_T | x_ε is N(m(T)/m(ε)·x_ε, v(T) − (m(T)/m(ε))² v(ε)); here x_ε = 1 exactly
            double ratio = vp.MeanCoefficientAt(1) / vp.MeanCoefficientAt(1e-3);
            double trueMean = ratio, trueStd = System.Math.Sqrt(vp.MarginalVarianceAt(1) - ratio * ratio * vp.MarginalVarianceAt(1e-3));
            double seMean = trueStd / System.Math.Sqrt(n), seStd = trueStd / System.Math.Sqrt(2.0 * n);
            output.WriteLine($"forward EM on Karras grid: mean {mean:F5} vs {trueMean:F5} (SE {seMean:E2}), std {std:F5} vs {trueStd:F5} (SE {seStd:E2})");
            Assert.True(System.Math.Abs(mean - trueMean) <= 4 * seMean, $"mean {mean} vs {trueMean}");
            Assert.True(System.Math.Abs(std - trueStd) <= 4 * seStd, $"std {std} vs {trueStd}");
        }

        /// <summary>
        /// Global error at ε against the closed-form flow, on grids of N and 2N steps (Karras ρ-grids for Heun, which steps in σ
        /// where σ(t) ~ √t near 0 would spoil a uniform-t refinement; uniform grids for Euler in t): the ratio e_N/e_{2N} tends to
        /// 2^p for a method of order p; the asserted band is an observed order log₂(ratio) within ±0.3 of p.
        /// </summary>
        [Theory]
        [InlineData("vp")]
        [InlineData("ve")]
        public void Heun_is_second_order_and_Euler_first_order_on_the_closed_form_flow(string kind)
        {
            ISde sde = kind == "vp" ? new VpSde() : new VeSde { SigmaMax = 5 };
            double eps = kind == "vp" ? 1e-3 : 1e-2;
            var score = GaussianScore(sde);
            const long n = 500;
            using var prior = Prior(sde, n, 2);
            using var exact = ExactFlow(sde, prior, eps);
            double Heun(int steps)
            {
                using var r = HeunSampler.Sample(sde, score, n, TimeGrid.Karras(sde, steps, eps), new HeunOptions { Seed = 2 }, ScalarType.Float64);
                Assert.Equal(2 * steps - 1, r.FunctionEvaluations);
                return RmsError(r.Samples, exact);
            }
            double Euler(int steps)
            {
                using var r = ProbabilityFlow.Sample(sde, score, n, TimeGrid.Uniform(sde, steps, eps), OdeMethod.Euler, seed: 2, dtype: ScalarType.Float64);
                return RmsError(r.Samples, exact);
            }
            double h1 = Heun(100), h2 = Heun(200), e1 = Euler(200), e2 = Euler(400);
            double heunOrder = System.Math.Log2(h1 / h2), eulerOrder = System.Math.Log2(e1 / e2);
            output.WriteLine($"{kind}: Heun rms error {h1:E3} → {h2:E3}, ratio {h1 / h2:F3} (order {heunOrder:F3}); Euler {e1:E3} → {e2:E3}, ratio {e1 / e2:F3} (order {eulerOrder:F3})");
            Assert.InRange(heunOrder, 2 - 0.3, 2 + 0.3);
            Assert.InRange(eulerOrder, 1 - 0.3, 1 + 0.3);
        }

        /// <summary>
        /// Heun samples (deterministic on a Karras grid; with churn on a log-SNR grid) recover the moments. Deterministic runs
        /// are compared with the exact flow of the prior (which includes the prior's mismatch with p_T); churn runs with p_ε on a
        /// VP SDE with β_max = 30, where that mismatch, asserted below, is under a tenth of a standard error. Tolerance 4 SE.
        /// </summary>
        [Theory]
        [InlineData("vp", "karras", 0.0)]
        [InlineData("ve", "karras", 0.0)]
        [InlineData("vp30", "logsnr", 40.0)]
        [InlineData("vp30", "karras", 40.0)]
        public void Heun_samples_recover_the_Gaussian_moments(string kind, string gridKind, double churn)
        {
            ISde sde = kind switch { "vp" => new VpSde(), "vp30" => new VpSde { BetaMax = 30 }, _ => new VeSde() };
            double eps = kind == "ve" ? 1e-4 : 1e-3;
            const int n = 4000, steps = 256;
            var grid = gridKind == "karras" ? TimeGrid.Karras(sde, steps, eps) : TimeGrid.LogSnr(sde, steps, eps);
            var options = new HeunOptions { Seed = 8, Churn = churn, ChurnMinNoise = 0.01, ChurnMaxNoise = 50 };
            using var r = HeunSampler.Sample(sde, GaussianScore(sde), n, grid, options, ScalarType.Float64);
            var mean = r.Samples.mean(new long[] { 0 });
            var std = r.Samples.std(0);
            double mE = sde.MeanCoefficientAt(eps), sdE = System.Math.Sqrt(mE * mE * S * S + sde.MarginalVarianceAt(eps));
            double mT = sde.MeanCoefficientAt(sde.EndTime), sdT = System.Math.Sqrt(mT * mT * S * S + sde.MarginalVarianceAt(sde.EndTime));
            // Deterministic runs: the sampler's moments equal those of the exact flow of the same prior draws to a tenth of an SE,
            // so what remains against the truth below is the prior sample's own fluctuation.
            using var exactFlow = churn > 0 ? null : ExactFlow(sde, Prior(sde, n, options.Seed), eps);
            for (int d = 0; d < 2; d++)
            {
                double trueMean = mE * Mu[d], trueStd = sdE;
                double flowMean = mE * Mu[d] - sdE / sdT * mT * Mu[d], flowStd = sdE / sdT * System.Math.Sqrt(sde.MarginalVarianceAt(sde.EndTime));
                double seMean = trueStd / System.Math.Sqrt(n), seStd = trueStd / System.Math.Sqrt(2.0 * n);
                if (churn > 0)
                {
                    Assert.True(System.Math.Abs(flowMean - trueMean) < 0.1 * seMean && System.Math.Abs(flowStd - trueStd) < 0.1 * seStd, "prior mismatch negligible");
                }
                else { trueMean = flowMean; trueStd = flowStd; }
                double m = mean[d].ToDoubleValue(), s = std[d].ToDoubleValue();
                if (exactFlow is not null)
                {
                    double fm = exactFlow.mean(new long[] { 0 })[d].ToDoubleValue(), fs = exactFlow.std(0)[d].ToDoubleValue();
                    output.WriteLine($"  exact flow of the same draws: mean[{d}] {fm:F5} (sampler − flow {(m - fm) / seMean:F3} SE), std[{d}] {fs:F5} ({(s - fs) / seStd:F3} SE)");
                    Assert.True(System.Math.Abs(m - fm) <= 0.1 * seMean && System.Math.Abs(s - fs) <= 0.1 * seStd, $"discretisation bias: mean {m - fm:E2}, std {s - fs:E2}");
                }
                output.WriteLine($"{kind}/{gridKind}/churn {churn}: mean[{d}] {m:F5} vs {trueMean:F5} ({(m - trueMean) / seMean:F2} SE), std[{d}] {s:F5} vs {trueStd:F5} ({(s - trueStd) / seStd:F2} SE), NFE {r.FunctionEvaluations}");
                Assert.True(System.Math.Abs(m - trueMean) <= 4 * seMean, $"mean[{d}] {m} vs {trueMean} (SE {seMean:E2})");
                Assert.True(System.Math.Abs(s - trueStd) <= 4 * seStd, $"std[{d}] {s} vs {trueStd} (SE {seStd:E2})");
            }
        }

        [Fact]
        public void Every_prediction_converts_to_every_other_and_back()
        {
            using var scope = NewDisposeScope();
            using var g = new Generator(21, CPU);
            var x = empty(64, 3, dtype: ScalarType.Float64).normal_(0, 1, generator: g);
            var kinds = Enum.GetValues<PredictionKind>();
            foreach (var (alpha, beta) in new[] { (0.8, 0.6), (1.0, 3.5), (0.3, 2.0) })
                foreach (var from in kinds)
                    foreach (var to in kinds)
                    {
                        var value = empty(64, 3, dtype: ScalarType.Float64).normal_(0, 1, generator: g);
                        var there = Predictions.Convert(value, from, to, x, alpha, beta);
                        var back = Predictions.Convert(there, to, from, x, alpha, beta);
                        double err = (back - value).abs().max().ToDoubleValue();
                        Assert.True(err < 1e-12, $"{from} → {to} → {from} at α = {alpha}, β = {beta}: {err:E2}");
                    }
            // The identities written in the docs, at α = 1, β = σ: s = (D − x)/σ², ε = (x − D)/σ; v = αε − βx₀.
            var D = empty(64, 3, dtype: ScalarType.Float64).normal_(0, 1, generator: g);
            const double sigma = 1.7;
            Assert.True(torch.allclose(Predictions.Convert(D, PredictionKind.Data, PredictionKind.Score, x, 1, sigma), (D - x).Div(sigma * sigma), 1e-12, 1e-12));
            Assert.True(torch.allclose(Predictions.Convert(D, PredictionKind.Data, PredictionKind.Noise, x, 1, sigma), (x - D).Div(sigma), 1e-12, 1e-12));
            var eps = Predictions.Convert(D, PredictionKind.Data, PredictionKind.Noise, x, 0.8, 0.6);
            Assert.True(torch.allclose(Predictions.Convert(D, PredictionKind.Data, PredictionKind.Velocity, x, 0.8, 0.6), eps.Mul(0.8).Sub(D, 0.6), 1e-12, 1e-12));
        }

        [Theory]
        [InlineData(0.05)]
        [InlineData(0.4)]
        [InlineData(0.9)]
        public void The_denoiser_from_the_exact_score_is_the_posterior_mean(double t)
        {
            using var scope = NewDisposeScope();
            var vp = new VpSde();
            using var g = new Generator(3, CPU);
            var x = empty(32, 2, dtype: ScalarType.Float64).normal_(0, 1, generator: g);
            var time = ScalarOps.Full(new long[] { 32 }, t, ScalarType.Float64);
            var s = GaussianScore(vp).Score(x, time);
            double alpha = vp.MeanCoefficientAt(t), beta = System.Math.Sqrt(vp.MarginalVarianceAt(t));
            var x0 = Predictions.Convert(s, PredictionKind.Score, PredictionKind.Data, x, alpha, beta);
            // E[x₀ | x] = μ + αs²/(α²s² + β²)·(x − αμ) for x₀ ~ N(μ, s²I), x = αx₀ + βε
            var mu = tensor(Mu, dtype: ScalarType.Float64).reshape(1, 2);
            var posterior = x.Sub(mu, alpha).Mul(alpha * S * S / (alpha * alpha * S * S + beta * beta)).Add(mu);
            double err = (x0 - posterior).abs().max().ToDoubleValue();
            Assert.True(err < 1e-12, $"t = {t}: |D − E[x₀|x]| = {err:E2}");
            // The same through the σ-parametrisation: x̃ = x/α, σ = β/α, D = x̃ + σ² s̃ with s̃ = α s.
            double sigma = beta / alpha;
            var d = Predictions.Convert(s.Mul(alpha), PredictionKind.Score, PredictionKind.Data, x.Div(alpha), 1, sigma);
            Assert.True((d - posterior).abs().max().ToDoubleValue() < 1e-12);
        }

        [Fact]
        public void The_preconditionings_reproduce_EDM_table_1_and_invert_their_training_target()
        {
            using var scope = NewDisposeScope();
            const double sd = 0.5;
            var edm = DenoiserParametrisation.Edm(sd);
            var vp = new VpSde();
            using var g = new Generator(5, CPU);
            foreach (var p in new[] { edm, DenoiserParametrisation.Ve(), DenoiserParametrisation.Vp(vp) })
                foreach (var sigma in new[] { 0.002, 0.3, 1.0, 80.0 })
                {
                    var x0 = empty(16, 2, dtype: ScalarType.Float64).normal_(0, sd, generator: g);
                    var x = empty(16, 2, dtype: ScalarType.Float64).normal_(0, sigma, generator: g).Add(x0);
                    var target = p.NetworkTarget(x0, x, sigma);
                    // a network that outputs the target exactly makes D(x; σ) = x₀
                    var d = p.Denoise((input, cNoise) => target.clone(), x, sigma);
                    Assert.True((d - x0).abs().max().ToDoubleValue() < 1e-9 * System.Math.Max(1, sigma), $"{p.Name} σ = {sigma}");
                }
            foreach (var sigma in new[] { 0.1, 1.0, 10.0 })
            {
                // EDM: unit-variance input and target for Var(x₀) = σ_d², and λ = 1/c_out².
                Assert.Equal(1.0, edm.CIn(sigma) * edm.CIn(sigma) * (sd * sd + sigma * sigma), 12);
                double c = edm.CSkip(sigma), o = edm.COut(sigma);
                Assert.Equal(1.0, ((1 - c) * (1 - c) * sd * sd + c * c * sigma * sigma) / (o * o), 12);
                Assert.Equal(0.25 * System.Math.Log(sigma), edm.CNoise(sigma), 12);
                Assert.Equal(System.Math.Log(0.5 * sigma), DenoiserParametrisation.Ve().CNoise(sigma), 12);
            }
            // VP: c_noise = (M − 1)·t with σ(t) = σ.
            Assert.Equal(999 * 0.3, DenoiserParametrisation.Vp(vp).CNoise(TimeGrid.NoiseLevel(vp, 0.3)), 9);
        }
    }
}
