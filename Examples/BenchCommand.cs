using System;
using System.CommandLine;
using System.Diagnostics;
using System.Linq;
using Dsl.Models;
using Dsl.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Examples
{
    /// <summary>
    /// `dsl bench langevin`: a quick figure (median over repeats) to compare with other tools in one run. The
    /// careful numbers are BenchmarkDotNet's, in Bench/.
    /// </summary>
    internal static class BenchCommand
    {
        public static Command Build(GalleryOptions o)
        {
            var bench = new Command("bench", "Quick timings of the gallery's workloads (BenchmarkDotNet suites are in Bench/).");
            var repeats = new Option<int>("--repeats") { Description = "Timed steps (after 3 warm-up steps).", DefaultValueFactory = _ => 30 };
            var n = new Option<int>("--n") { Description = "Number of chains.", DefaultValueFactory = _ => 100_000 };
            var langevin = new Command("langevin", "One Langevin step with the exact Gaussian-mixture score (N = 100 000, D = 2, K = 2, float32): generated vs eager autograd.");
            langevin.Options.Add(repeats);
            langevin.Options.Add(n);
            langevin.SetAction(r => o.Run("bench langevin", r, run =>
            {
                int reps = r.GetValue(repeats), chains = r.GetValue(n);
                if (reps < 1 || chains < 1) return SamplingCommands.Fail("bench langevin", "--repeats and --n must be positive.");
                // libtorch's intra-op pool as BenchmarkDotNet's suite sets it, so the two figures are comparable.
                torch.set_num_threads(Environment.ProcessorCount);
                using var scope = NewDisposeScope();
                var model = (GaussianMixture)ModelCatalog.Find("GaussianMixture")!.Create(run.Seed);
                model.to(run.Device);
                var x = empty(chains, 2).normal_(0, 2, generator: new Generator((ulong)run.Seed)).to(run.Device);
                var g = new Generator((ulong)run.Seed + 1, run.Device);
                double generated = QuickTiming.MedianMs(reps, () => Samplers.LangevinStep(model, x, 0.01, g));
                var eager = Autograd.EagerScoreModel(model);
                double autograd = QuickTiming.MedianMs(System.Math.Max(3, reps / 3), () => Samplers.LangevinStep(eager, x, 0.01, g));
                return run.Finish(new
                {
                    command = "bench langevin", model = "GaussianMixture", n = chains, dim = 2, k = 2, dtype = "float32", device = run.Device.ToString(),
                    ms_per_step = generated, autograd_ms_per_step = autograd, repeats = reps, threads = torch.get_num_threads(),
                }, false);
            }));
            bench.Subcommands.Add(langevin);
            return bench;
        }
    }
}
