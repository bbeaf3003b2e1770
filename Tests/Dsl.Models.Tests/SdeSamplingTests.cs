using System;
using System.Linq;
using Dsl.Examples.Experiments;
using Dsl.GeneratedCode;
using Dsl.Models;
using Dsl.Sde;
using Dsl.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// Reverse-time sampling and probability-flow likelihoods with exact scores of known data (the generated kernels
    /// and the generated noise-conditional mixture). Tolerances: 4 standard errors of the sample size, plus 1% of the
    /// data scale for the O(Δt) bias of 1000-step discretisations.
    /// </summary>
    public class SdeSamplingTests
    {
        [Theory]
        [InlineData("vp", "em", 2)]
        [InlineData("vp", "pc", 4)]
        [InlineData("vp", "ode", 8)]
        [InlineData("subvp", "em", 3)]
        [InlineData("ve", "pc", 2)]
        [InlineData("ve", "ode", 4)]
        public void Reverse_samples_of_Gaussian_data_match_its_mean_and_standard_deviation(string sde, string sampler, int dim)
        {
            const int n = 3000;
            var r = SdeExperiments.Sample(sde, sampler, "gaussian", n, dim, steps: 1000, seed: 5);
            for (int d = 0; d < dim; d++)
            {
                double seMean = r.TrueStd[d] / System.Math.Sqrt(n), seStd = r.TrueStd[d] / System.Math.Sqrt(2.0 * n);
                double bias = 0.01 * SdeExperiments.DataStd;
                Assert.True(System.Math.Abs(r.Mean[d] - r.TrueMean[d]) <= 4 * seMean + bias, $"{sde}/{sampler} D={dim}: mean[{d}] {r.Mean[d]:F4} vs {r.TrueMean[d]:F4} (SE {seMean:E2})");
                Assert.True(System.Math.Abs(r.Std[d] - r.TrueStd[d]) <= 4 * seStd + bias, $"{sde}/{sampler} D={dim}: std[{d}] {r.Std[d]:F4} vs {r.TrueStd[d]:F4} (SE {seStd:E2})");
            }
            Assert.True(r.Nfe > 0);
        }

        /// <summary>
        /// Reverse VP Euler–Maruyama on a generated noise-conditional data model takes the fused step (score, update and the
        /// counter-based noise in one kernel call per step; the final denoising step keeps the torch ops), the same seed repeats
        /// the samples bit for bit, and the samples still match N(μ, s²) (4 SE + the 1% discretisation allowance).
        /// </summary>
        [Fact]
        public void The_fused_reverse_step_runs_one_kernel_per_step_and_repeats_with_its_seed()
        {
            using var scope = NewDisposeScope();
            var data = new PerturbedGaussianMixture(D: 2, K: 1);
            data.SetParameter("Mu", tensor(new[] { 0.5f, -0.75f }).reshape(1, 2));
            data.SetParameter("Sigma", tensor(0.5f));
            var score = TimeScores.FromPerturbedData(data, new VpSde());
            var options = new SdeSamplerOptions { Steps = 400, Seed = 3 };
            const int n = 4000;
            int before = FusedKernels.Calls;
            using var first = SdeSolvers.Sample(new VpSde(), score, n, options);
            Assert.Equal(options.Steps, FusedKernels.Calls - before);          // 399 fused steps + the fused score of the final denoising step
            using var second = SdeSolvers.Sample(new VpSde(), score, n, options);
            Assert.True((first.Samples - second.Samples).abs().max().ToDoubleValue() == 0, "the same seed gives the same samples");
            var mean = first.Samples.mean(new long[] { 0 });
            var std = first.Samples.std(0);
            var expected = new[] { 0.5, -0.75 };
            double seMean = 0.5 / System.Math.Sqrt(n), seStd = 0.5 / System.Math.Sqrt(2.0 * n);
            for (int d = 0; d < 2; d++)
            {
                Assert.True(System.Math.Abs(mean[d].ToDoubleValue() - expected[d]) <= 4 * seMean + 0.005, $"mean[{d}] {mean[d].ToDoubleValue():F4}");
                Assert.True(System.Math.Abs(std[d].ToDoubleValue() - 0.5) <= 4 * seStd + 0.005, $"std[{d}] {std[d].ToDoubleValue():F4}");
            }
        }

        [Theory]
        [InlineData(OdeMethod.Euler, 200, 200)]
        [InlineData(OdeMethod.Heun, 200, 400)]
        [InlineData(OdeMethod.Rk4, 200, 800)]
        public void Fixed_step_probability_flow_samplers_report_their_NFE_and_sample_the_data(OdeMethod method, int steps, int nfe)
        {
            const int n = 3000;
            var r = SdeExperiments.Sample("vp", "ode", "gaussian", n, 2, steps, seed: 9, odeMethod: method);
            Assert.Equal(nfe, r.Nfe);
            double tolerance = method == OdeMethod.Euler ? 0.05 : 0.02;   // Euler's O(Δt) error on a stiff-ish VP flow at 200 steps
            for (int d = 0; d < 2; d++)
            {
                Assert.True(System.Math.Abs(r.Mean[d] - r.TrueMean[d]) <= 4 * r.TrueStd[d] / System.Math.Sqrt(n) + tolerance, $"{method}: mean[{d}] {r.Mean[d]:F4} vs {r.TrueMean[d]:F4}");
                Assert.True(System.Math.Abs(r.Std[d] - r.TrueStd[d]) <= 4 * r.TrueStd[d] / System.Math.Sqrt(2.0 * n) + tolerance, $"{method}: std[{d}] {r.Std[d]:F4} vs {r.TrueStd[d]:F4}");
            }
        }

        [Theory]
        [InlineData("ve")]
        [InlineData("vp")]
        public void Predictor_corrector_sampling_recovers_the_mode_weights(string sde)
        {
            const int n = 2000;
            var r = SdeExperiments.Sample(sde, "pc", "gmm", n, steps: 1000, seed: 7);
            double se = System.Math.Sqrt(0.2 * 0.8 / n);
            Assert.True(System.Math.Abs(r.MinorModeWeight!.Value - 0.2) <= 4 * se, $"{sde}: minor-mode weight {r.MinorModeWeight:F3}, expected 0.2 ± {4 * se:F3}");
        }

        [Theory]
        [InlineData("vp", 2)]
        [InlineData("ve", 4)]
        [InlineData("subvp", 8)]
        public void Probability_flow_likelihood_equals_the_analytic_Gaussian_density(string sde, int dim)
        {
            var r = SdeExperiments.Likelihood(sde, dim, DivergenceEstimator.Exact, n: 300, rtol: 1e-5, atol: 1e-5);
            Assert.True(r.AbsErrNatsPerDim < 1e-3, $"{sde} D={dim}: NLL {r.NllNatsPerDim:F5} vs exact {r.ExactNllNatsPerDim:F5} nats/dim");
            Assert.True(r.Nfe > 10);
        }

        // Issue 21's setup: Gaussian data, D = 4, N = 1000, RK45 rtol = atol = 1e-5, exact score and divergence. The target is the
        // ODE's exact value log π(Φ(x)) + D log(σ_T/σ_ε) (Φ the exact, affine flow map), not log p_ε: the two differ by
        // log π(x_T) − log p_T(x_T), a random quantity of order 1e-4 nats/dim for VE (LikelihoodRun's remarks). The tolerance is
        // what rtol and atol ask of the final state, carried to log p̂ per sample: atol + rtol|Δ| for the accumulator and
        // Σᵢ |∂log π/∂xᵢ|(atol + rtol|x_T,i|) for the latent (LikelihoodRun.ToleranceNatsPerDim). The NFE bound is what scipy's
        // solve_ivp takes on the same data in score_sde_pytorch's likelihood.py and in the hand-written peer (Bench/peers/w6_likelihood.py,
        // measured in docs/perf.md): 44, 116 and 62 at 1e-5, 380 for VE at 1e-8. The VE case at 1e-8 with a float32 score is the
        // one a float32 ODE state fails (mean |error| 3.3e-7 nats/dim against a tolerance of 5.9e-8; the float64 state gives 3.6e-8).
        [Theory]
        [InlineData("vp", "float32", 1e-5, 44)]
        [InlineData("ve", "float32", 1e-5, 116)]
        [InlineData("subvp", "float32", 1e-5, 62)]
        [InlineData("vp", "float64", 1e-5, 44)]
        [InlineData("ve", "float32", 1e-8, 380)]
        public void Probability_flow_likelihood_is_within_the_tolerance_of_the_exact_ODE_value(string sde, string dtype, double tolerance, int scoreSdeNfe)
        {
            var r = SdeExperiments.Likelihood(sde, 4, DivergenceEstimator.Exact, n: 1000, seed: 0, rtol: tolerance, atol: tolerance,
                dtype: dtype == "float32" ? ScalarType.Float32 : ScalarType.Float64);
            Assert.True(r.OdeMeanAbsErrNatsPerDim <= r.ToleranceNatsPerDim,
                $"{sde} ({dtype} score, tolerance {tolerance}): mean |error| {r.OdeMeanAbsErrNatsPerDim:E2} nats/dim against the exact ODE value, the tolerances ask ≤ {r.ToleranceNatsPerDim:E2}");
            Assert.True(r.Nfe <= scoreSdeNfe, $"{sde}: {r.Nfe} evaluations, scipy's RK45 takes {scoreSdeNfe} on the same data");
        }

        // The likelihood of a generated noise-conditional data model takes the one-pass flow (FlowAndDivergenceNoGrad): one fused
        // kernel per evaluation of the right-hand side, nothing else fused, and the same log-likelihoods as the torch-op path of
        // the same model (float64 model: the same arithmetic up to rounding; float32 model: the torch ops evaluate in float32,
        // the fused loop in double, so they agree to the float32 evaluation's precision, far inside the solver tolerance 1e-5).
        [Theory]
        [InlineData("vp", "float64", 1e-9)]
        [InlineData("ve", "float32", 1e-4)]
        [InlineData("subvp", "float32", 1e-4)]
        public void The_likelihood_of_a_generated_data_model_is_one_fused_pass_per_evaluation(string sdeName, string dtype, double tolerance)
        {
            using var scope = NewDisposeScope();
            var sde = SdeExperiments.Sde(sdeName);
            var data = SdeExperiments.GaussianData(4);
            var modelType = dtype == "float32" ? ScalarType.Float32 : ScalarType.Float64;
            data.to(modelType);
            var score = TimeScores.FromPerturbedData(data, sde);
            var x = SdeExperiments.GaussianSample(200, 4, 5).to_type(modelType);
            var options = new LikelihoodOptions { Epsilon = 1e-5 };
            int before = FusedKernels.Calls;
            using var fused = ProbabilityFlow.LogLikelihood(sde, score, x, options);
            Assert.Equal(fused.FunctionEvaluations, FusedKernels.Calls - before);
            data.Kernels = KernelPath.TorchOps;
            before = FusedKernels.Calls;
            using var torchOps = ProbabilityFlow.LogLikelihood(sde, score, x, options);
            Assert.Equal(0, FusedKernels.Calls - before);
            double difference = (fused.LogLikelihood - torchOps.LogLikelihood).abs().max().ToDoubleValue() / (1 + torchOps.LogLikelihood.abs().max().ToDoubleValue());
            Assert.True(difference <= tolerance, $"{sdeName} ({dtype} model): fused and torch-op log-likelihoods differ by {difference:E2} (relative), {fused.FunctionEvaluations} and {torchOps.FunctionEvaluations} NFE");
            Assert.True(fused.DeltaLogProb.abs().max().ToDoubleValue() > 0.1, "the divergence term must matter for this test to mean anything");
        }

        // The likelihood's steady state writes into the solver's buffers: over a solve, no tensor is created per extra evaluation
        // of the right-hand side (two tolerances, different NFE). Before issue 21's buffers every stage sum and every right-hand
        // side made state-sized tensors (f̃, ∇·f̃, the stage state, the casts); with the buffers and the one-pass flow one alias
        // handle per evaluation remained (the kernel's x.contiguous(), 1.00 per evaluation), gone since a contiguous x is read as it is.
        [Fact]
        public void The_likelihood_creates_no_state_tensors_per_evaluation()
        {
            using var scope = NewDisposeScope();
            var sde = new VpSde();
            var data = SdeExperiments.GaussianData(4);
            var score = TimeScores.FromPerturbedData(data, sde);
            var x = SdeExperiments.GaussianSample(300, 4, 2);
            (long Tensors, int Nfe) Run(double tolerance)
            {
                var stats = DisposeScopeManager.Statistics.TensorStatistics;
                long before = stats.CreatedInScopeCount + stats.CreatedOutsideScopeCount;
                using var r = ProbabilityFlow.LogLikelihood(sde, score, x, new LikelihoodOptions { Ode = new OdeOptions { RelativeTolerance = tolerance, AbsoluteTolerance = tolerance } });
                return (stats.CreatedInScopeCount + stats.CreatedOutsideScopeCount - before, r.FunctionEvaluations);
            }
            Run(1e-4);
            var loose = Run(1e-4);
            var tight = Run(1e-8);
            Assert.True(tight.Nfe >= loose.Nfe + 50, $"NFE {loose.Nfe} and {tight.Nfe}");
            double perEvaluation = (tight.Tensors - loose.Tensors) / (double)(tight.Nfe - loose.Nfe);
            Assert.True(perEvaluation <= PerEvaluationHandles, $"{perEvaluation:F2} tensors created per evaluation ({loose.Tensors} for {loose.Nfe} NFE, {tight.Tensors} for {tight.Nfe})");
        }

        private const double PerEvaluationHandles = 0;

        [Theory]
        [InlineData("vp")]
        [InlineData("ve")]
        [InlineData("subvp")]
        [InlineData("cosine")]
        public void The_host_drift_coefficient_equals_the_generated_drift(string sdeName)
        {
            using var scope = NewDisposeScope();
            ISde sde = sdeName == "cosine" ? new CosineVpSde() : SdeExperiments.Sde(sdeName);
            foreach (double t in new[] { 1e-5, 0.013, 0.37, 0.5, 0.91, 1.0 })
            {
                double host = sde.DriftCoefficientAt(t);
                double drift = sde.Drift(ones(1, 1, dtype: ScalarType.Float64), ScalarOps.Full(new long[] { 1 }, t, dtype: ScalarType.Float64)).ToDoubleValue();
                Assert.True(System.Math.Abs(host - drift) <= 1e-12 * (1 + System.Math.Abs(drift)), $"{sdeName} at t = {t}: host a(t) = {host}, drift of ones {drift}");
            }
        }

        [Fact]
        public void Hutchinson_likelihood_is_unbiased()
        {
            // Gaussian probes (a Rademacher probe is exact for this diagonal Jacobian): the mean over samples of
            // (Hutchinson − exact) is within 3 standard errors of 0.
            var exact = SdeExperiments.Likelihood("vp", 4, DivergenceEstimator.Exact, n: 400, seed: 3);
            var hutchinson = SdeExperiments.Likelihood("vp", 4, DivergenceEstimator.HutchinsonGaussian, n: 400, seed: 3);
            double difference = hutchinson.NllNatsPerDim - exact.NllNatsPerDim;
            Assert.True(System.Math.Abs(difference) <= 3 * hutchinson.StandardErrorNatsPerDim, $"mean difference {difference:E2} nats/dim, SE {hutchinson.StandardErrorNatsPerDim:E2}");
            Assert.True(hutchinson.StandardErrorNatsPerDim > 1e-4, "a Gaussian probe must add variance");
        }

        [Fact]
        public void The_autograd_divergence_loop_gives_the_likelihood_of_the_generated_divergence()
        {
            var sde = new VeSde();
            var exact = TimeScores.FromPerturbedData(SdeExperiments.GaussianData(3), sde);
            var scoreOnly = TimeScores.FromScorePrediction(3, exact.Score, "score only");   // no generated divergence: D autograd passes
            var x = empty(64, 3, dtype: ScalarType.Float64).normal_(0, 0.5, generator: new Generator(4));
            using var a = ProbabilityFlow.LogLikelihood(sde, exact, x, new LikelihoodOptions());
            using var b = ProbabilityFlow.LogLikelihood(sde, scoreOnly, x, new LikelihoodOptions());
            Assert.True((a.LogLikelihood - b.LogLikelihood).abs().max().item<double>() < 1e-6);
            Assert.True(a.DeltaLogProb.abs().max().item<double>() > 1, "the divergence term must matter for this test to mean anything");
        }

        [Fact]
        public void Noise_and_data_parametrisations_convert_to_the_same_score()
        {
            var sde = new VpSde();
            var data = SdeExperiments.GaussianData(3);
            var exact = TimeScores.FromPerturbedData(data, sde);
            var x = empty(50, 3, dtype: ScalarType.Float64).normal_(0, 1, generator: new Generator(2));
            var t = empty(50, dtype: ScalarType.Float64).uniform_(0.01, 1, generator: new Generator(3));
            var s = exact.Score(x, t);
            var viaNoise = TimeScores.FromNoisePrediction(sde, 3, (xx, tt) => TimeScores.NoiseFromScore(sde, exact.Score(xx, tt), tt)).Score(x, t);
            var viaData = TimeScores.FromDataPrediction(sde, 3, (xx, tt) => TimeScores.DataFromScore(sde, xx, exact.Score(xx, tt), tt)).Score(x, t);
            Assert.True((viaNoise - s).abs().max().item<double>() < 1e-10);
            Assert.True((viaData - s).abs().max().item<double>() < 1e-10);
            // The exact score of Gaussian data: −(x − mμ)/(m²s² + v).
            var m = sde.MeanCoefficient(t).unsqueeze(1);
            var variance = m.Square().Mul(0.25).Add(sde.MarginalStd(t).Square().unsqueeze(1));
            var closed = -(x - m * tensor(SdeExperiments.DataMean(3))) / variance;
            Assert.True((closed - s).abs().max().item<double>() < 1e-10);
        }

        [Fact]
        public void Bits_per_dimension_add_the_documented_offsets()
        {
            Assert.Equal(8 + 1.0 / System.Math.Log(2), ProbabilityFlow.BitsPerDimension(1.0, DataRange.UnitInterval), 12);
            Assert.Equal(7 + 1.0 / System.Math.Log(2), ProbabilityFlow.BitsPerDimension(1.0, DataRange.Symmetric), 12);
        }

        [Fact]
        public void An_adaptive_solver_over_its_step_budget_says_so()
        {
            var sde = new VpSde();
            var score = TimeScores.FromPerturbedData(SdeExperiments.GaussianData(2), sde);
            var e = Assert.Throws<OdeStepBudgetException>(() => ProbabilityFlow.Sample(sde, score, 10, new OdeOptions { RelativeTolerance = 1e-12, AbsoluteTolerance = 1e-12, MaxSteps = 5 }, dtype: ScalarType.Float64));
            Assert.Contains("5", e.Message);
        }
    }
}
