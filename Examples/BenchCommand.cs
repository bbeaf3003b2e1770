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
    /// timed calls, to compare with other tools in one run. Each times every generated path (the fused C# kernel and torch
    /// ops) and reports the fastest as <c>ms_per_step</c> with <c>path</c> naming it, the others beside it. The careful numbers,
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

        /// <summary>The fastest of the timed generated paths: (name, ms).</summary>
        internal static (string Path, double Ms) Fastest(params (string Path, double Ms)[] paths) => paths.OrderBy(p => p.Ms).First();

        private static Command Langevin(GalleryOptions o)
        {
            var repeats = new Option<int>("--repeats") { Description = "Timed steps per path (after 3 warm-up steps).", DefaultValueFactory = _ => 30 }.AtLeast(1);
            var n = new Option<int>("--n") { Description = "Number of chains.", DefaultValueFactory = _ => 100_000 }.AtLeast(1);
            var langevin = new Command("langevin", "One Langevin step with the exact Gaussian-mixture score (N = 100 000, D = 2, K = 2, float32): fused and torch-op generated paths vs eager autograd.");
            langevin.Options.Add(repeats);
            langevin.Options.Add(n);
            langevin.SetAction(r => o.Run("bench langevin", r, run =>
            {
                int reps = r.GetValue(repeats), chains = r.GetValue(n);
                // The chains, noise and score of the fused and torch-op paths, and eager autograd's graph: about ten [n, 2] float32 tensors.
                if (MemoryBudget.Refusal("--n " + chains, chains * 2.0, 4, 10) is string tooLarge) return SamplingCommands.Fail("bench langevin", tooLarge);
                // libtorch's intra-op pool as BenchmarkDotNet's suite sets it, so the two figures are comparable.
                torch.set_num_threads(Environment.ProcessorCount);
                using var scope = NewDisposeScope();
                var model = (GaussianMixture)ModelCatalog.Find("GaussianMixture")!.Create(run.Seed);
                model.to(run.Device);
                var x = empty(chains, 2).normal_(0, 2, generator: new Generator((ulong)run.Seed)).to(run.Device);
                var g = new Generator((ulong)run.Seed + 1, run.Device);
                double Time(KernelPath path)
                {
                    model.Kernels = path;
                    return QuickTiming.MedianMs(reps, () => Samplers.LangevinStep(model, x, 0.01, g));
                }
                double fused = Time(KernelPath.Fused), torchOps = Time(KernelPath.TorchOps);
                var eager = Autograd.EagerScoreModel(model);
                double autograd = QuickTiming.MedianMs(System.Math.Max(3, reps / 3), () => Samplers.LangevinStep(eager, x, 0.01, g));
                var best = Fastest(("fused", fused), ("torch-ops", torchOps));
                return run.Finish(new
                {
                    command = "bench langevin", model = "GaussianMixture", n = chains, dim = 2, k = 2, dtype = "float32", device = run.Device.ToString(),
                    path = best.Path, ms_per_step = best.Ms, ms_per_step_fused = fused, ms_per_step_torch_ops = torchOps, autograd_ms_per_step = autograd,
                    autograd_over_generated = autograd / best.Ms, repeats = reps, threads = torch.get_num_threads(),
                }, false);
            }, writesFiles: false));
            return langevin;
        }

        private static Command Divergence(GalleryOptions o)
        {
            var repeats = new Option<int>("--repeats") { Description = "Timed evaluations per path (after 3 warm-up calls).", DefaultValueFactory = _ => 20 }.AtLeast(1);
            var batch = new Option<int>("--n") { Description = "Batch size.", DefaultValueFactory = _ => 1024 }.AtLeast(1);
            var command = new Command("divergence", "Exact divergence of the score of the MLP energy w₂·tanh(W₁x + b₁) (D = 32, H = 64, batch 1024, float32): generated closed form (fused, torch ops) vs autograd's loop over D and a 1-probe Hutchinson estimate.");
            command.Options.Add(repeats);
            command.Options.Add(batch);
            command.SetAction(r => o.Run("bench divergence", r, run =>
            {
                int reps = r.GetValue(repeats), count = r.GetValue(batch);
                // Autograd's exact divergence keeps the [n, 64] hidden activations of each of the D = 32 backward passes' graphs.
                if (MemoryBudget.Refusal("--n " + count, count * 64.0 * 32, 4, 4) is string tooLarge) return SamplingCommands.Fail("bench divergence", tooLarge);
                torch.set_num_threads(Environment.ProcessorCount);
                using var scope = NewDisposeScope();
                var model = new MlpEnergy(D: 32, H: 64, generator: new Generator((ulong)run.Seed));
                var x = empty(count, 32).normal_(0, 1, generator: new Generator((ulong)run.Seed + 1));
                var g = new Generator((ulong)run.Seed + 2);
                double Time(KernelPath path)
                {
                    model.Kernels = path;
                    return QuickTiming.MedianMs(reps, () => model.ScoreDivergenceNoGrad(x));
                }
                double fused = Time(KernelPath.Fused), torchOps = Time(KernelPath.TorchOps);
                Tensor AutogradScore(Tensor xx) => Autograd.Score(model.EnergyEager, xx, createGraph: true);
                double autograd = QuickTiming.MedianMs(System.Math.Max(3, reps / 4), () => Autograd.Divergence(AutogradScore, x));
                double hutchinson = QuickTiming.MedianMs(reps, () =>
                {
                    using var e = DivergenceEstimators.Hutchinson(AutogradScore, x, 1, ProbeDistribution.Rademacher, g);
                    return e.Value.clone();
                });
                var best = Fastest(("fused", fused), ("torch-ops", torchOps));
                return run.Finish(new
                {
                    command = "bench divergence", model = "MlpEnergy", n = count, dim = 32, hidden = 64, dtype = "float32",
                    path = best.Path, ms_per_step = best.Ms, ms_per_step_fused = fused, ms_per_step_torch_ops = torchOps,
                    autograd_exact_ms = autograd, hutchinson_1_probe_ms = hutchinson, autograd_over_generated = autograd / best.Ms,
                    repeats = reps, threads = torch.get_num_threads(),
                }, false);
            }, writesFiles: false));
            return command;
        }
    }
}
