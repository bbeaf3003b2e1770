using System;
using Dsl.Examples.Experiments;
using Dsl.GeneratedCode;
using Dsl.Models;
using Dsl.Sampling;
using Dsl.Sde;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// Issue 21 item 2: the predictor–corrector sampler on the shared-time host path (<c>SharedTimeSteps</c>). With
    /// <see cref="TimeScores.FromPerturbedData"/> of a generated noise-conditional model on the CPU, the reverse-diffusion
    /// predictor is one fused kernel call per step (c = 2 − α, a = β, b = √β), the SNR Langevin corrector one kernel call for
    /// the score (b = 0: no noise drawn) plus two host passes (z and the norms; the update), the fixed-step corrector one kernel
    /// call. Checked against the known marginal p_ε of Gaussian data (4 standard errors of N plus the 1% discretisation
    /// allowance of <see cref="SdeSamplingTests"/>), against the torch-ops score path on the same counter noise (float64: equal
    /// to rounding), for repeatability, and for a steady state that keeps no new tensor alive.
    /// </summary>
    public class FusedPcTests
    {
        private static PerturbedGaussianMixture Data(int dim = 2) => SdeExperiments.GaussianData(dim);

        private static SdeSamplerOptions Pc(int steps, long seed, PcOrder order = PcOrder.CorrectorFirst, double? gamma = null, Predictor predictor = Predictor.ReverseDiffusion) => new()
        {
            Steps = steps, Predictor = predictor, Corrector = Corrector.Langevin, Snr = 0.16, CorrectorStepSize = gamma, Order = order, Seed = seed,
        };

        [Theory]
        [InlineData("float32")]
        [InlineData("float64")]
        public void The_fused_pc_sampler_matches_the_known_marginal_calls_two_kernels_a_step_and_repeats_with_its_seed(string dtypeName)
        {
            const int n = 4000, steps = 300, dim = 2;
            var dtype = dtypeName == "float32" ? ScalarType.Float32 : ScalarType.Float64;
            var data = Data(dim);
            if (dtype == ScalarType.Float32) data.to(ScalarType.Float32);
            var sde = new VpSde();
            var score = TimeScores.FromPerturbedData(data, sde);
            var options = Pc(steps, 5);
            int before = FusedKernels.Calls;
            using var first = SdeSolvers.Sample(sde, score, n, options, dtype);
            // one corrector score (b = 0) and one predictor step a time step; the last predictor step's mean is the kernel with b = 0
            Assert.Equal(2 * steps, FusedKernels.Calls - before);
            Assert.Equal(2 * steps, first.FunctionEvaluations);
            using var second = SdeSolvers.Sample(sde, score, n, options, dtype);
            Assert.True((first.Samples - second.Samples).abs().max().ToDoubleValue() == 0, "the same seed gives the same samples");
            double eps = options.Epsilon, m = sde.MeanCoefficientAt(eps), trueStd = System.Math.Sqrt(m * m * 0.25 + sde.MarginalVarianceAt(eps));
            var mu = SdeExperiments.DataMean(dim);
            using var mean = first.Samples.to_type(ScalarType.Float64).mean(new long[] { 0 });
            using var std = first.Samples.to_type(ScalarType.Float64).std(0L);
            double seMean = trueStd / System.Math.Sqrt(n), seStd = trueStd / System.Math.Sqrt(2.0 * n), bias = 0.01 * SdeExperiments.DataStd;
            for (int d = 0; d < dim; d++)
            {
                Assert.True(System.Math.Abs(mean[d].ToDoubleValue() - m * mu[d]) <= 4 * seMean + bias, $"{dtypeName}: mean[{d}] {mean[d].ToDoubleValue():F4} vs {m * mu[d]:F4} (SE {seMean:E2})");
                Assert.True(System.Math.Abs(std[d].ToDoubleValue() - trueStd) <= 4 * seStd + bias, $"{dtypeName}: std[{d}] {std[d].ToDoubleValue():F4} vs {trueStd:F4} (SE {seStd:E2})");
            }
        }

        /// <summary>
        /// The fused kernels against the torch-ops score (<see cref="KernelPath.TorchOps"/>: the score by torch ops, the same host passes
        /// and the same counter noise) on every built-in combination: in float64 the two runs differ only by the rounding of the score.
        /// </summary>
        [Theory]
        [InlineData(Predictor.ReverseDiffusion, PcOrder.CorrectorFirst, null)]
        [InlineData(Predictor.ReverseDiffusion, PcOrder.PredictorFirst, null)]
        [InlineData(Predictor.ReverseDiffusion, PcOrder.CorrectorFirst, 0.005)]
        [InlineData(Predictor.EulerMaruyama, PcOrder.CorrectorFirst, null)]   // EM with a corrector stays generic (generator noise); the corrector is fused
        [InlineData(Predictor.None, PcOrder.CorrectorFirst, null)]
        public void Fused_and_torch_ops_paths_agree_to_rounding_on_the_same_noise(Predictor predictor, PcOrder order, double? gamma)
        {
            const int n = 600, steps = 60;
            var data = Data();
            var sde = new VpSde();
            var score = TimeScores.FromPerturbedData(data, sde);
            var options = Pc(steps, 9, order, gamma, predictor);
            data.Kernels = KernelPath.Fused;
            int before = FusedKernels.Calls;
            using var fused = SdeSolvers.Sample(sde, score, n, options, ScalarType.Float64);
            Assert.True(FusedKernels.Calls - before >= steps, "the fused path ran");
            data.Kernels = KernelPath.TorchOps;
            before = FusedKernels.Calls;
            using var torchOps = SdeSolvers.Sample(sde, score, n, options, ScalarType.Float64);
            Assert.Equal(0, FusedKernels.Calls - before);
            Assert.Equal(fused.FunctionEvaluations, torchOps.FunctionEvaluations);
            double diff = (fused.Samples - torchOps.Samples).abs().max().ToDoubleValue();
            Assert.True(diff <= 1e-9, $"{predictor}/{order}/γ={gamma}: fused and torch-ops samples differ by {diff:E2}");
            Assert.True(fused.Samples.std().ToDoubleValue() > 0.3, "the samples are spread (not a degenerate run)");
        }

        /// <summary>
        /// One SNR corrector step from the prior, checked against score_sde's formula computed here by torch ops from the same
        /// counter noise (z = draw 0 of step 0 of the run's key): x + εs + √(2ε)z with ε = 2α(r·mean‖z‖/mean‖s‖)².
        /// </summary>
        [Fact]
        public void The_fused_snr_corrector_takes_score_sdes_step_on_the_runs_counter_noise()
        {
            var data = Data();
            var sde = new VpSde();
            var score = TimeScores.FromPerturbedData(data, sde);
            const int n = 3000;   // three blocks of 1024 rows, the last one partial
            var options = new SdeSamplerOptions { Steps = 1, Predictor = Predictor.None, Corrector = Corrector.Langevin, Snr = 0.16, Denoise = false, Seed = 4 };
            using var run = SdeSolvers.Sample(sde, score, n, options, ScalarType.Float64);
            using var g = new Generator(4, CPU);
            using var x = sde.SamplePrior(n, 2, g, ScalarType.Float64, CPU);
            ulong key = CounterRandom.KeyFrom(g);
            using var z = new CounterNoise(CounterRandom.SubKey(key, 0), 0).Sample(x);
            using var t = ScalarOps.Full(new long[] { n }, sde.EndTime, ScalarType.Float64);
            data.Kernels = KernelPath.TorchOps;
            using var s = score.Score(x, t);
            data.Kernels = KernelPath.Auto;
            double dt = sde.EndTime - options.Epsilon;
            var (alpha, beta) = SdeSolvers.Transition(sde, sde.EndTime, dt);
            double a = alpha < 1 ? 1 - beta : 1;
            double sNorm = s.norm(1).mean().ToDoubleValue(), zNorm = z.norm(1).mean().ToDoubleValue();
            double step = 2 * a * System.Math.Pow(0.16 * zNorm / sNorm, 2);
            using var expected = x.Add(s, step).Add_(z, System.Math.Sqrt(2 * step));
            double diff = (run.Samples - expected).abs().max().ToDoubleValue();
            Assert.True(diff <= 1e-12, $"the fused SNR corrector step differs from x + εs + √(2ε)z by {diff:E2}");
        }

        /// <summary>
        /// The steady state keeps no new tensor alive and creates no tensor with storage: across 200 steps the thread's live-tensor
        /// count does not move between steps, and the tensors created per step are the generated kernels' views of x
        /// (<c>x.contiguous()</c> of a contiguous x: a handle on x's storage, disposed in the kernel's scope), one per kernel call,
        /// whatever N.
        /// </summary>
        [Theory]
        [InlineData(PcOrder.CorrectorFirst, null)]
        [InlineData(PcOrder.PredictorFirst, 0.005)]
        public void The_fused_pc_steady_state_keeps_no_tensor_alive(PcOrder order, double? gamma)
        {
            var data = Data();
            var sde = new VpSde();
            var score = TimeScores.FromPerturbedData(data, sde);
            foreach (int n in new[] { 256, 4096 })
            {
                var probe = new Probe();
                var options = new SdeSamplerOptions
                {
                    Steps = 200, Predictor = Predictor.ReverseDiffusion, Corrector = Corrector.Langevin, CorrectorStepSize = gamma, Order = order, Seed = 1, Progress = probe,
                };
                using var result = SdeSolvers.Sample(sde, score, n, options, ScalarType.Float64);
                var steady = probe.Window(50, 190);
                Assert.True(steady.Live.Count == 1, $"N = {n}: live tensors between steps changed: {string.Join(", ", steady.Live)}");
                Assert.True(steady.CreatedPerStep <= 2, $"N = {n}: {steady.CreatedPerStep:F2} tensors created per step (the two kernel calls' views of x)");
            }
        }

        /// <summary>
        /// A generated step kernel with b = 0 reads zeros instead of drawing (the corrector's score pass and the denoised mean): its
        /// output is c·x + a·s(u·x, σ) bit for bit whatever the noise key, and equals the torch-ops value to rounding.
        /// </summary>
        [Fact]
        public void A_step_kernel_with_b_zero_is_noise_free()
        {
            var data = Data();
            data.Kernels = KernelPath.Fused;
            using var x = empty(2500, 2, dtype: ScalarType.Float64).normal_(0, 1, generator: new Generator(2));
            using var one = data.ScoreStepNoGrad(x, 0.3, 0.9, 0.7, 1.3, 0, new CounterNoise(1, 0));
            using var other = data.ScoreStepNoGrad(x, 0.3, 0.9, 0.7, 1.3, 0, new CounterNoise(2, 5));
            Assert.True((one - other).abs().max().ToDoubleValue() == 0, "b = 0: the output does not depend on the noise");
            using var levels = ScalarOps.Full(new long[] { 2500 }, 0.3, ScalarType.Float64);
            data.Kernels = KernelPath.TorchOps;
            using var s = data.ScoreNoGrad(x.Mul(0.9), levels);
            using var expected = x.Mul(0.7).Add_(s, 1.3);
            Assert.True((one - expected).abs().max().ToDoubleValue() <= 1e-12, "b = 0: c·x + a·s");
            using var noisy = data.ScoreStepNoGrad(x, 0.3, 0.9, 0.7, 1.3, 0.5, new CounterNoise(1, 0));
            Assert.True((noisy - one).abs().max().ToDoubleValue() > 0.1, "b ≠ 0 does draw");
        }

        /// <summary>
        /// The probability-flow ODE's right-hand side a(t)·x − ½g²s through the generated fused kernel (b = 0): one kernel call per
        /// evaluation, and in float64 the same samples and NFE as the torch-op right-hand side to rounding, fixed-step and RK45.
        /// </summary>
        [Theory]
        [InlineData(Dsl.Solvers.OdeMethod.Euler)]
        [InlineData(Dsl.Solvers.OdeMethod.Heun)]
        [InlineData(Dsl.Solvers.OdeMethod.Rk4)]
        [InlineData(Dsl.Solvers.OdeMethod.Rk45)]
        public void The_probability_flow_right_hand_side_runs_fused_and_agrees_with_torch_ops(Dsl.Solvers.OdeMethod method)
        {
            var data = Data();
            var sde = new VpSde();
            var score = TimeScores.FromPerturbedData(data, sde);
            SdeSampleResult Run()
            {
                return method == Dsl.Solvers.OdeMethod.Rk45
                    ? ProbabilityFlow.Sample(sde, score, 500, new Dsl.Solvers.OdeOptions { Method = method, RelativeTolerance = 1e-5, AbsoluteTolerance = 1e-5 }, 1e-3, 3, ScalarType.Float64)
                    : ProbabilityFlow.Sample(sde, score, 500, TimeGrid.Uniform(sde, 40, 1e-3), method, 3, ScalarType.Float64);
            }
            data.Kernels = KernelPath.Fused;
            int before = FusedKernels.Calls;
            using var fused = Run();
            Assert.Equal(fused.FunctionEvaluations, FusedKernels.Calls - before);
            data.Kernels = KernelPath.TorchOps;
            before = FusedKernels.Calls;
            using var torchOps = Run();
            Assert.Equal(0, FusedKernels.Calls - before);
            Assert.Equal(torchOps.FunctionEvaluations, fused.FunctionEvaluations);
            double diff = (fused.Samples - torchOps.Samples).abs().max().ToDoubleValue();
            Assert.True(diff <= 1e-9, $"{method}: fused and torch-ops probability-flow samples differ by {diff:E2}");
        }

        /// <summary>Reads TorchSharp's counts of this thread after every step (synchronously, on the sampler's thread).</summary>
        private sealed class Probe : IProgress<SamplerProgress>
        {
            private readonly System.Collections.Generic.List<(long Step, long Live, long Created)> rows = new();

            public void Report(SamplerProgress value)
            {
                var stats = DisposeScopeManager.Statistics.TensorStatistics;
                rows.Add((value.Step, stats.ThreadTotalLiveCount, stats.CreatedInScopeCount + stats.CreatedOutsideScopeCount));
            }

            public (System.Collections.Generic.HashSet<long> Live, double CreatedPerStep) Window(int from, int to)
            {
                var live = new System.Collections.Generic.HashSet<long>();
                long createdFrom = 0, createdTo = 0;
                foreach (var r in rows)
                {
                    if (r.Step >= from && r.Step <= to) live.Add(r.Live);
                    if (r.Step == from) createdFrom = r.Created;
                    if (r.Step == to) createdTo = r.Created;
                }
                return (live, (createdTo - createdFrom) / (double)(to - from));
            }
        }
    }
}
