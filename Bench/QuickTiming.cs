using System;
using System.Diagnostics;
using System.Linq;
using Dsl.Models;
using Dsl.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Bench
{
    /// <summary>
    /// `dotnet run --project Bench -c Release -- quick`: W1 (N = 100 000, D = 2, K = 2, float32) without BenchmarkDotNet, the
    /// paths interleaved round by round so that machine load hits them alike; prints min and median ms per call. A sanity
    /// check for shared machines, where BenchmarkDotNet's means are dominated by whoever else is running.
    /// </summary>
    public static class QuickTiming
    {
        public static void Run()
        {
            torch.set_num_threads(Environment.ProcessorCount);
            var model = (GaussianMixture)ModelCatalog.Find("GaussianMixture")!.Create(0);
            var eager = Autograd.EagerScoreModel(model);
            var x = empty(100_000, 2).normal_(0, 1.5, generator: new Generator(1));
            var g = new Generator(2);
            var cases = new (string Name, Action Run)[]
            {
                ("score, torch ops", () => { model.Kernels = KernelPath.TorchOps; using var s = model.ScoreNoGrad(x); }),
                ("score, fused", () => { model.Kernels = KernelPath.Auto; using var s = model.ScoreNoGrad(x); }),
                ("score, autograd of the equations", () => { using var scope = NewDisposeScope(); Autograd.Score(model.EnergyEager, x); }),
                ("Langevin step, torch ops", () => { model.Kernels = KernelPath.TorchOps; using var s = Samplers.LangevinStep(model, x, 0.01, g); }),
                ("Langevin step, fused", () => { model.Kernels = KernelPath.Auto; using var s = Samplers.LangevinStep(model, x, 0.01, g); }),
                ("Langevin step, autograd", () => { using var s = Samplers.LangevinStep(eager, x, 0.01, g); }),
                ("noise draw alone", () => { using var z = empty_like(x).normal_(0, 1, generator: g); }),
            };
            const int rounds = 40;
            var times = cases.Select(_ => new double[rounds]).ToArray();
            foreach (var c in cases) for (int i = 0; i < 3; i++) c.Run();
            for (int r = 0; r < rounds; r++)
                for (int c = 0; c < cases.Length; c++)
                {
                    var sw = Stopwatch.StartNew();
                    cases[c].Run();
                    times[c][r] = sw.Elapsed.TotalMilliseconds;
                }
            Console.WriteLine($"W1, N = 100 000, D = 2, K = 2, float32, {Environment.ProcessorCount} threads, {rounds} interleaved rounds");
            for (int c = 0; c < cases.Length; c++)
            {
                var sorted = times[c].OrderBy(t => t).ToArray();
                Console.WriteLine($"{cases[c].Name,-36} min {sorted[0],8:F3} ms   median {sorted[rounds / 2],8:F3} ms");
            }
        }
    }
}
