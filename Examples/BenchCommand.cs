using System;
using System.CommandLine;
using System.Linq;
using Dsl.Models;
using Dsl.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Examples
{
    /// <summary>
    /// `dsl bench langevin|divergence` (and `reverse-vp`, `ising` beside their models): quick figures, the median of single
    /// timed calls after a warm-up of <c>--warmup</c> seconds (tiered JIT's optimised code: the steady state a long run sees), to
    /// compare with other tools in one run. Each times every generated path (the fused C# kernel and torch ops) and reports the
    /// fastest as <c>ms_per_step</c> with <c>path</c> naming it, the others beside it, and that path's first call as
    /// <c>cold_ms_per_step</c> (with <c>warmup_calls</c>, <c>warmup_seconds</c>). The careful numbers,
    /// with the hand-written PyTorch peers in the same run, come from Bench/ (docs/perf.md).
    /// </summary>
    internal static class BenchCommand
    {
        public static Command Build(GalleryOptions o)
        {
            var bench = new Command("bench", "Quick timings of the gallery's workloads (BenchmarkDotNet suites and the PyTorch peers are in Bench/).");
            bench.Subcommands.Add(Langevin(o));
            bench.Subcommands.Add(Divergence(o));
            return bench;
        }

        /// <summary>The fastest of the timed generated paths by their warm (steady-state) figure.</summary>
        internal static (string Path, Timing Timing) Fastest(params (string Path, Timing Timing)[] paths) => paths.OrderBy(p => p.Timing.WarmMs).First();

        private static Command Langevin(GalleryOptions o)
        {
            var repeats = new Option<int>("--repeats") { Description = "Timed steps per path (after the warm-up).", DefaultValueFactory = _ => 30 }.AtLeast(1);
            var n = new Option<int>("--n") { Description = "Number of chains.", DefaultValueFactory = _ => 100_000 }.AtLeast(1);
            var warmup = QuickTiming.WarmupOption();
            var langevin = new Command("langevin", "One Langevin step with the exact Gaussian-mixture score (N = 100 000, D = 2, K = 2, float32): fused and torch-op generated paths vs eager autograd.");
            langevin.Options.Add(repeats);
            langevin.Options.Add(n);
            langevin.Options.Add(warmup);
            langevin.SetAction(r => o.Run("bench langevin", r, run =>
            {
                int reps = r.GetValue(repeats), chains = r.GetValue(n);
                double warm = r.GetValue(warmup);
                // The chains, noise and score of the fused and torch-op paths, and eager autograd's graph: about ten [n, 2] float32 tensors.
                if (MemoryBudget.Refusal("--n " + chains, chains * 2.0, 4, 10) is string tooLarge) return SamplingCommands.Fail("bench langevin", tooLarge);
                // libtorch's intra-op pool as BenchmarkDotNet's suite sets it, so the two figures are comparable.
                torch.set_num_threads(Environment.ProcessorCount);
                using var scope = NewDisposeScope();
                var model = (GaussianMixture)ModelCatalog.Find("GaussianMixture")!.Create(run.Seed);
                model.to(run.Device);
                var x = empty(chains, 2).normal_(0, 2, generator: new Generator((ulong)run.Seed)).to(run.Device);
                var g = new Generator((ulong)run.Seed + 1, run.Device);
                Timing Time(KernelPath path)
                {
                    model.Kernels = path;
                    return QuickTiming.Measure(reps, warm, () => Samplers.LangevinStep(model, x, 0.01, g));
                }
                Timing fused = Time(KernelPath.Fused), torchOps = Time(KernelPath.TorchOps);
                var eager = Autograd.EagerScoreModel(model);
                double autograd = QuickTiming.Measure(System.Math.Max(3, reps / 3), warm, () => Samplers.LangevinStep(eager, x, 0.01, g)).WarmMs;
                var best = Fastest(("fused", fused), ("torch-ops", torchOps));
                return run.Finish(new
                {
                    command = "bench langevin", model = "GaussianMixture", n = chains, dim = 2, k = 2, dtype = "float32", device = run.Device.ToString(),
                    path = best.Path, ms_per_step = best.Timing.WarmMs, cold_ms_per_step = best.Timing.ColdMs, warmup_calls = best.Timing.WarmupCalls, warmup_seconds = best.Timing.WarmupSeconds,
                    ms_per_step_fused = fused.WarmMs, ms_per_step_torch_ops = torchOps.WarmMs, autograd_ms_per_step = autograd,
                    autograd_over_generated = autograd / best.Timing.WarmMs, repeats = reps, threads = torch.get_num_threads(),
                }, false);
            }, writesFiles: false));
            return langevin;
        }

        private static Command Divergence(GalleryOptions o)
        {
            var repeats = new Option<int>("--repeats") { Description = "Timed evaluations per path (after the warm-up).", DefaultValueFactory = _ => 20 }.AtLeast(1);
            var batch = new Option<int>("--n") { Description = "Batch size.", DefaultValueFactory = _ => 1024 }.AtLeast(1);
            var warmup = QuickTiming.WarmupOption();
            var command = new Command("divergence", "Exact divergence of the score of the MLP energy w₂·tanh(W₁x + b₁) (D = 32, H = 64, batch 1024, float32): generated closed form (fused, torch ops) vs autograd's loop over D and a 1-probe Hutchinson estimate.");
            command.Options.Add(repeats);
            command.Options.Add(batch);
            command.Options.Add(warmup);
            command.SetAction(r => o.Run("bench divergence", r, run =>
            {
                int reps = r.GetValue(repeats), count = r.GetValue(batch);
                double warm = r.GetValue(warmup);
                // Autograd's exact divergence keeps the [n, 64] hidden activations of each of the D = 32 backward passes' graphs.
                if (MemoryBudget.Refusal("--n " + count, count * 64.0 * 32, 4, 4) is string tooLarge) return SamplingCommands.Fail("bench divergence", tooLarge);
                torch.set_num_threads(Environment.ProcessorCount);
                using var scope = NewDisposeScope();
                var model = new MlpEnergy(D: 32, H: 64, generator: new Generator((ulong)run.Seed));
                var x = empty(count, 32).normal_(0, 1, generator: new Generator((ulong)run.Seed + 1));
                var g = new Generator((ulong)run.Seed + 2);
                Timing Time(KernelPath path)
                {
                    model.Kernels = path;
                    return QuickTiming.Measure(reps, warm, () => model.ScoreDivergenceNoGrad(x));
                }
                Timing fused = Time(KernelPath.Fused), torchOps = Time(KernelPath.TorchOps);
                Tensor AutogradScore(Tensor xx) => Autograd.Score(model.EnergyEager, xx, createGraph: true);
                double autograd = QuickTiming.Measure(System.Math.Max(3, reps / 4), warm, () => Autograd.Divergence(AutogradScore, x)).WarmMs;
                double hutchinson = QuickTiming.Measure(reps, warm, () =>
                {
                    using var e = DivergenceEstimators.Hutchinson(AutogradScore, x, 1, ProbeDistribution.Rademacher, g);
                    return e.Value.clone();
                }).WarmMs;
                var best = Fastest(("fused", fused), ("torch-ops", torchOps));
                return run.Finish(new
                {
                    command = "bench divergence", model = "MlpEnergy", n = count, dim = 32, hidden = 64, dtype = "float32",
                    path = best.Path, ms_per_step = best.Timing.WarmMs, cold_ms_per_step = best.Timing.ColdMs, warmup_calls = best.Timing.WarmupCalls, warmup_seconds = best.Timing.WarmupSeconds,
                    ms_per_step_fused = fused.WarmMs, ms_per_step_torch_ops = torchOps.WarmMs,
                    autograd_exact_ms = autograd, hutchinson_1_probe_ms = hutchinson, autograd_over_generated = autograd / best.Timing.WarmMs,
                    repeats = reps, threads = torch.get_num_threads(),
                }, false);
            }, writesFiles: false));
            return command;
        }
    }
}
