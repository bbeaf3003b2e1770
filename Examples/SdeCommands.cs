using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Diagnostics;
using System.Linq;
using System.Text.Json;
using Dsl.Examples.Experiments;
using Dsl.Models;
using Dsl.Sampling;
using Dsl.Sde;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Examples
{
    /// <summary>`dsl sde-sample`, `dsl likelihood` and `dsl bench reverse-vp`: the SDE half of the lectures on data with known densities.</summary>
    internal static class SdeCommands
    {
        private static readonly string[] Sdes = { "vp", "ve", "subvp", "cosine" };

        public static IEnumerable<Command> Build(GalleryOptions o)
        {
            var sde = new Option<string>("--sde") { Description = "vp, ve, subvp or cosine.", DefaultValueFactory = _ => "vp" };
            var sampler = new Option<string>("--sampler") { Description = "em (reverse Euler–Maruyama), pc (reverse diffusion + Langevin corrector), ode (probability flow, RK45) or heun (EDM's Heun on the probability flow, Euler last step).", DefaultValueFactory = _ => "pc" };
            var grid = new Option<string>("--grid") { Description = "Time grid of the fixed-step samplers (em, pc, heun, ode with a fixed-step method): uniform (in t), logsnr (uniform in log-SNR) or karras (EDM's ρ = 7 grid in σ). Default: karras for heun, uniform otherwise." };
            var churn = new Option<double>("--churn") { Description = "For --sampler heun: EDM's stochastic churn S_churn ≥ 0 (0: deterministic).", DefaultValueFactory = _ => 0.0 };
            var data = new Option<string>("--data") { Description = "gaussian (N(μ, 0.25 I)) or gmm (0.2·N((−5,−5), I) + 0.8·N((5,5), I)).", DefaultValueFactory = _ => "gmm" };
            var dim = new Option<int>("--dim") { Description = "Dimension of the Gaussian data (1…64).", DefaultValueFactory = _ => 2 }.InRange(1, 64);
            var n = new Option<int>("--n") { Description = "Number of samples.", DefaultValueFactory = _ => 2000 }.AtLeast(2);
            var steps = new Option<int>("--steps") { Description = "Time steps of the SDE samplers.", DefaultValueFactory = _ => 1000 }.AtLeast(1);
            var odeMethod = new Option<string>("--ode-method") { Description = "For --sampler ode: rk45 (adaptive, rtol = atol = 1e-5), rk4, heun or euler (fixed steps: min(--steps, 200)).", DefaultValueFactory = _ => "rk45" };
            var correctorStep = new Option<double?>("--corrector-step") { Description = "For --sampler pc: a fixed Langevin corrector step γ (x ← x + γs + √(2γ)z) instead of the signal-to-noise rule r = 0.16." }.PositiveFinite();
            var pcOrder = new Option<string>("--pc-order") { Description = "For --sampler pc: corrector-first (score_sde's code) or predictor-first (Song et al. 2021 Algorithm 2, the lecture).", DefaultValueFactory = _ => "corrector-first" };
            var sample = new Command("sde-sample", "Sample the data back from the prior with the exact score of every pₜ (from the generated marginals): scatter and trajectory PNGs.");
            foreach (var opt in new Option[] { sde, sampler, data, dim, n, steps, odeMethod, grid, churn, correctorStep, pcOrder }) sample.Options.Add(opt);
            var shards = new ShardOptions();
            shards.AddTo(sample);
            sample.SetAction(r => o.Run("sde-sample", r, run =>
            {
                string s = r.GetValue(sde)!.ToLowerInvariant(), m = r.GetValue(sampler)!.ToLowerInvariant(), d = r.GetValue(data)!.ToLowerInvariant();
                if (!Sdes.Contains(s)) return SamplingCommands.Fail("sde-sample", "unknown --sde '" + s + "'; valid: " + string.Join(", ", Sdes) + ".");
                if (m != "em" && m != "pc" && m != "ode" && m != "heun") return SamplingCommands.Fail("sde-sample", "unknown --sampler '" + m + "'; valid: em, pc, ode, heun.");
                string g = (r.GetValue(grid) ?? (m == "heun" ? "karras" : "uniform")).ToLowerInvariant();
                if (g != "uniform" && g != "logsnr" && g != "karras") return SamplingCommands.Fail("sde-sample", "unknown --grid '" + g + "'; valid: uniform, logsnr, karras.");
                double churnValue = r.GetValue(churn);
                if (!(churnValue >= 0) || double.IsInfinity(churnValue)) return SamplingCommands.Fail("sde-sample", "--churn must be finite and ≥ 0, got " + churnValue + ".");
                if (churnValue > 0 && m != "heun") return SamplingCommands.Fail("sde-sample", "--churn is for --sampler heun (got --sampler " + m + ").");
                string order = r.GetValue(pcOrder)!.ToLowerInvariant();
                if (order != "corrector-first" && order != "predictor-first") return SamplingCommands.Fail("sde-sample", "unknown --pc-order '" + order + "'; valid: corrector-first, predictor-first.");
                double? gamma = r.GetValue(correctorStep);
                if (m != "pc" && (gamma.HasValue || order != "corrector-first")) return SamplingCommands.Fail("sde-sample", "--corrector-step and --pc-order are for --sampler pc (got --sampler " + m + ").");
                if (d != "gaussian" && d != "gmm") return SamplingCommands.Fail("sde-sample", "unknown --data '" + d + "'; valid: gaussian, gmm.");
                int D = r.GetValue(dim), N = r.GetValue(n), T = r.GetValue(steps);
                Dsl.Solvers.OdeMethod? method = r.GetValue(odeMethod)!.ToLowerInvariant() switch
                {
                    "rk45" => Dsl.Solvers.OdeMethod.Rk45, "rk4" => Dsl.Solvers.OdeMethod.Rk4, "heun" => Dsl.Solvers.OdeMethod.Heun, "euler" => Dsl.Solvers.OdeMethod.Euler, _ => null,
                };
                if (method == null) return SamplingCommands.Fail("sde-sample", "unknown --ode-method '" + r.GetValue(odeMethod) + "'; valid: rk45, rk4, heun, euler.");
                // The state, drift, score, noise and corrector buffers (about ten [N, D] float64 tensors) and the trajectory of 11
                // recorded states.
                if (MemoryBudget.Refusal("--n " + N + " with --dim " + D, (double)N * D, 8, 21) is string tooLarge) return SamplingCommands.Fail("sde-sample", tooLarge);
                if (Shard.TryParse(r.GetValue(shards.ShardOption), out var shard) is string badShard) return SamplingCommands.Fail("sde-sample", badShard);
                var config = new SdeSampleConfig(s, m, g, churnValue, gamma, order, d, N, d == "gmm" ? 2 : D, T, r.GetValue(odeMethod)!.ToLowerInvariant());
                var progress = run.Progress<SamplerProgress>(p => $"step {p.Step}/{p.TotalSteps}");
                try
                {
                    return ShardedRun.Execute(run, SdeSampleCommand.Instance, config, new RowBlocks(N, r.GetValue(shards.Block)), shard, r.GetValue(shards.SaveSamples), (block, start, rows, seed) =>
                    {
                        var sampled = SdeExperiments.SampleBlock(s, m, d, rows, config.Dim, T, seed, progress, run.Cancellation, method.Value, g, churnValue,
                            gamma, order == "predictor-first" ? PcOrder.PredictorFirst : PcOrder.CorrectorFirst);
                        var output = new BlockOutput { Cancelled = sampled.Cancelled };
                        output.Rows["samples"] = sampled.Samples;
                        if (block == 0 && sampled.Trajectory is not null) output.Rows["trajectory"] = sampled.Trajectory;
                        output.Counters["nfe"] = sampled.Nfe;
                        output.Counters["seconds"] = sampled.Seconds;
                        return output;
                    });
                }
                catch (Exception e) when (e is ArgumentException || e is ArithmeticException) { return SamplingCommands.Fail("sde-sample", e.Message); }
            }));

            var likelihoodSde = new Option<string>("--sde") { Description = "vp, ve, subvp or cosine.", DefaultValueFactory = _ => "vp" };
            var likelihoodData = new Option<string>("--data") { Description = "gaussian (the data whose log-density is known).", DefaultValueFactory = _ => "gaussian" };
            var estimator = new Option<string>("--estimator") { Description = "exact (generated divergence) or hutchinson (Gaussian probes).", DefaultValueFactory = _ => "exact" };
            var likelihoodDim = new Option<int>("--dim") { Description = "Dimension D (1…64).", DefaultValueFactory = _ => 2 }.InRange(1, 64);
            var likelihoodN = new Option<int>("--n") { Description = "Data points.", DefaultValueFactory = _ => 500 }.AtLeast(2);
            var modelDtype = new Option<string>("--model-dtype") { Description = "float64 or float32: the dtype of the data model's parameters and of x (the ODE state is float64 either way; on the CPU the generated one-pass flow evaluates the score in double, the torch-op path in this dtype; score_sde evaluates in float32).", DefaultValueFactory = _ => "float64" };
            var likelihoodRtol = new Option<double>("--rtol") { Description = "RK45 relative tolerance (score_sde: 1e-5).", DefaultValueFactory = _ => 1e-5 }.InRange(1e-12, 0.1);
            var likelihoodAtol = new Option<double>("--atol") { Description = "RK45 absolute tolerance (score_sde: 1e-5).", DefaultValueFactory = _ => 1e-5 }.InRange(1e-12, 0.1);
            var likelihood = new Command("likelihood", "Exact log-likelihood by the probability-flow ODE (RK45, rtol = atol = 1e-5) against the analytic density and against the ODE's exact value.");
            foreach (var opt in new Option[] { likelihoodSde, likelihoodData, estimator, likelihoodDim, likelihoodN, modelDtype, likelihoodRtol, likelihoodAtol }) likelihood.Options.Add(opt);
            var likelihoodShards = new ShardOptions(samples: false);
            likelihoodShards.AddTo(likelihood);
            likelihood.SetAction(r => o.Run("likelihood", r, run =>
            {
                string s = r.GetValue(likelihoodSde)!.ToLowerInvariant(), e = r.GetValue(estimator)!.ToLowerInvariant();
                if (!Sdes.Contains(s)) return SamplingCommands.Fail("likelihood", "unknown --sde '" + s + "'; valid: " + string.Join(", ", Sdes) + ".");
                if (r.GetValue(likelihoodData) != "gaussian") return SamplingCommands.Fail("likelihood", "unknown --data '" + r.GetValue(likelihoodData) + "'; valid: gaussian.");
                if (e != "exact" && e != "hutchinson") return SamplingCommands.Fail("likelihood", "unknown --estimator '" + e + "'; valid: exact, hutchinson.");
                string md = r.GetValue(modelDtype)!.ToLowerInvariant();
                if (md != "float64" && md != "float32") return SamplingCommands.Fail("likelihood", "unknown --model-dtype '" + md + "'; valid: float64, float32.");
                int D = r.GetValue(likelihoodDim), N = r.GetValue(likelihoodN);
                double rtol = r.GetValue(likelihoodRtol), atol = r.GetValue(likelihoodAtol);
                // RK45 keeps seven stages of the augmented state [N, D + 1] plus the error estimate and the divergence's buffers.
                if (MemoryBudget.Refusal("--n " + N + " with --dim " + D, (double)N * (D + 1), 8, 16) is string tooLarge) return SamplingCommands.Fail("likelihood", tooLarge);
                if (Shard.TryParse(r.GetValue(likelihoodShards.ShardOption), out var shard) is string badShard) return SamplingCommands.Fail("likelihood", badShard);
                var config = new LikelihoodConfig(s, e, N, D, md, rtol, atol);
                var divergence = e == "exact" ? DivergenceEstimator.Exact : DivergenceEstimator.HutchinsonGaussian;
                // The data rows come from one stream seeded by --seed (row i is the same point whichever block holds it); a block's
                // seed drives only its Hutchinson probes.
                using var points = SdeExperiments.GaussianSample(N, D, run.Seed);
                return ShardedRun.Execute(run, LikelihoodCommand.Instance, config, new RowBlocks(N, r.GetValue(likelihoodShards.Block)), shard, false, (block, start, rows, seed) =>
                {
                    using var x = points.narrow(0, start, rows);
                    var result = SdeExperiments.LikelihoodBlock(s, x, divergence, seed + 1, rtol, atol, md == "float32" ? ScalarType.Float32 : ScalarType.Float64);
                    var output = new BlockOutput();
                    output.Rows["log_likelihood"] = result.Rows;
                    output.Counters["nfe"] = result.Nfe;
                    output.Counters["seconds"] = result.Seconds;
                    return output;
                });
            }));
            return new[] { sample, likelihood };
        }

        /// <summary>`dsl bench reverse-vp`: reverse Euler–Maruyama steps of the VP SDE through <see cref="SdeSolvers.Sample"/>, N = 100 000, D = 2, exact VP score of Gaussian data.</summary>
        public static Command BenchReverseVp(GalleryOptions o)
        {
            var repeats = new Option<int>("--repeats") { Description = "Timed runs per path (after the warm-up).", DefaultValueFactory = _ => 5 }.AtLeast(1);
            var warmup = QuickTiming.WarmupOption();
            var steps = new Option<int>("--steps") { Description = "Reverse steps per timed run (W4 in Bench/ runs 1000).", DefaultValueFactory = _ => 20 }.AtLeast(1);
            var n = new Option<int>("--n") { Description = "Number of samples.", DefaultValueFactory = _ => 100_000 }.AtLeast(1);
            var command = new Command("reverse-vp", "Reverse Euler–Maruyama steps of the VP SDE with the exact score of Gaussian data (N = 100 000, D = 2, float32), timed through the solver: fused and torch-op generated scores vs autograd; ms per step.");
            command.Options.Add(repeats);
            command.Options.Add(steps);
            command.Options.Add(n);
            command.Options.Add(warmup);
            command.SetAction(r => o.Run("bench reverse-vp", r, run =>
            {
                int reps = r.GetValue(repeats), count = r.GetValue(n), k = r.GetValue(steps);
                double warm = r.GetValue(warmup);
                // The solver's state, drift, score and noise buffers and the autograd path's graph: about ten [n, 2] float32 tensors.
                if (MemoryBudget.Refusal("--n " + count, count * 2.0, 4, 10) is string tooLarge) return SamplingCommands.Fail("bench reverse-vp", tooLarge);
                torch.set_num_threads(Environment.ProcessorCount);
                using var scope = NewDisposeScope();
                var sde = new VpSde();
                var data = SdeExperiments.GaussianData(2);
                data.to(ScalarType.Float32);
                var generated = TimeScores.FromPerturbedData(data, sde);
                var eager = TimeScores.FromPerturbedDataByAutograd(data, sde);
                var options = new SdeSamplerOptions { Steps = k, Seed = run.Seed };
                Timing PerStep(ITimeScoreModel score) => QuickTiming.Measure(reps, warm, () => SdeSolvers.Sample(sde, score, count, options).Samples.clone()).PerStep(k);
                data.Kernels = KernelPath.Fused;
                Timing fused = PerStep(generated);
                data.Kernels = KernelPath.TorchOps;
                Timing torchOps = PerStep(generated);
                double autograd = PerStep(eager).WarmMs;
                var best = BenchCommand.Fastest(("fused", fused), ("torch-ops", torchOps));
                return run.Finish(new
                {
                    command = "bench reverse-vp", sde = "vp", n = count, dim = 2, dtype = "float32", device = run.Device.ToString(), steps_per_run = k,
                    path = best.Path, ms_per_step = best.Timing.WarmMs, cold_ms_per_step = best.Timing.ColdMs, warmup_calls = best.Timing.WarmupCalls, warmup_seconds = best.Timing.WarmupSeconds,
                    ms_per_step_fused = fused.WarmMs, ms_per_step_torch_ops = torchOps.WarmMs, autograd_ms_per_step = autograd,
                    repeats = reps, threads = torch.get_num_threads(),
                }, false);
            }, writesFiles: false));
            return command;
        }
    }

    /// <summary>The configuration of a `dsl sde-sample` run: everything its figures depend on besides the seed.</summary>
    internal sealed record SdeSampleConfig(string Sde, string Sampler, string Grid, double Churn, double? CorrectorStep, string PcOrder, string Data, int N, int Dim, int Steps, string OdeMethod);

    /// <summary>`dsl sde-sample` as blocks of chains: the figures of the whole run (or of its merged shards) from the samples.</summary>
    internal sealed class SdeSampleCommand : ShardableCommand
    {
        public static readonly SdeSampleCommand Instance = new();

        public override string Name => "sde-sample";

        public override object Summarise(JsonElement configJson, RunRows rows, GalleryRun run, long seed, bool saveSamples)
        {
            var c = configJson.Deserialize<SdeSampleConfig>()!;
            var x = rows.Array("samples")!;
            int n = (int)x.shape[0], nfe = (int)rows.Counters["nfe"].Max();
            var (mean, std, trueMean, trueStd, minor) = SdeExperiments.SampleStatistics(c.Sde, c.Data, c.Dim, x);
            string stem = $"sde-sample-{c.Sde}-{c.Sampler}-{c.Data}";
            double[] Column(int k) => x.select(1, k).contiguous().data<double>().ToArray();
            var scatter = Plots.Scatter(run.Output(stem + ".png"), $"{c.Sde.ToUpperInvariant()} SDE, {c.Sampler} sampler, {c.Data} data ({nfe} score evaluations)",
                new[] { ("samples (x₁, x₂)", Column(0), c.Dim > 1 ? Column(1) : new double[n]) });
            string? trajectoryPng = null;
            if (rows.Array("trajectory") is Tensor trajectory)
            {
                var chains = Enumerable.Range(0, (int)trajectory.shape[0]).Select(k =>
                {
                    var values = trajectory[k].contiguous().data<double>().ToArray();
                    return ("chain " + k, Enumerable.Range(0, values.Length).Select(i => (double)i).ToArray(), values);
                }).ToList();
                trajectoryPng = Plots.Line(run.Output(stem + "-trajectory.png"), "x₁ along reverse time (recorded every Steps/10)", "recorded step (T → ε)", "x₁", chains);
            }
            string? samplesFile = ShardedRun.SaveSamples(run, stem + ".npy", x, saveSamples);
            bool mixture = minor.HasValue;
            return new
            {
                command = "sde-sample", sde = c.Sde, sampler = c.Sampler, grid = c.Grid, churn = c.Churn,
                corrector_step = c.Sampler == "pc" ? c.CorrectorStep : null, pc_order = c.Sampler == "pc" ? c.PcOrder : null, data = c.Data, n, dim = c.Dim,
                mean = mixture ? null : mean, std = mixture ? null : std, true_mean = mixture ? null : trueMean, true_std = mixture ? null : trueStd,
                minor_mode_weight = minor, nfe = (int)rows.Counters["nfe"].Max(), blocks = rows.Counters["nfe"].Length, seconds = rows.Sum("seconds"), scatter_png = scatter, trajectory_png = trajectoryPng, samples_npy = samplesFile,
            };
        }
    }

    /// <summary>The configuration of a `dsl likelihood` run: everything its figures depend on besides the seed.</summary>
    internal sealed record LikelihoodConfig(string Sde, string Estimator, int N, int Dim, string ModelDtype, double Rtol, double Atol);

    /// <summary>`dsl likelihood` as blocks of data rows (each block its own RK45 solve): the figures from the rows of every block.</summary>
    internal sealed class LikelihoodCommand : ShardableCommand
    {
        public static readonly LikelihoodCommand Instance = new();

        public override string Name => "likelihood";

        public override object Summarise(JsonElement configJson, RunRows rows, GalleryRun run, long seed, bool saveSamples)
        {
            var c = configJson.Deserialize<LikelihoodConfig>()!;
            var nfe = rows.Counters["nfe"];
            var result = SdeExperiments.LikelihoodSummary(c.Sde, c.Estimator == "exact" ? DivergenceEstimator.Exact : DivergenceEstimator.HutchinsonGaussian, c.Dim,
                rows.Array("log_likelihood")!, (int)nfe.Max(), rows.Sum("seconds"));
            return new
            {
                command = "likelihood", sde = c.Sde, data = "gaussian", estimator = c.Estimator, n = result.N, dim = result.Dim,
                nll_nats_per_dim = result.NllNatsPerDim, exact_nll_nats_per_dim = result.ExactNllNatsPerDim, abs_err_nats_per_dim = result.AbsErrNatsPerDim,
                standard_error_nats_per_dim = result.StandardErrorNatsPerDim, bits_per_dim = result.BitsPerDim, bits_per_dim_data_range = "[-1, 1] on 256 levels (+7)",
                ode_err_nats_per_dim = result.OdeErrNatsPerDim, ode_mean_abs_err_nats_per_dim = result.OdeMeanAbsErrNatsPerDim,
                tolerance_nats_per_dim = result.ToleranceNatsPerDim, prior_gap_nats_per_dim = result.PriorGapNatsPerDim, model_dtype = c.ModelDtype, rtol = c.Rtol, atol = c.Atol,
                nfe = result.Nfe, nfe_mean = nfe.Average(), blocks = nfe.Length, seconds = result.Seconds,
            };
        }
    }
}
