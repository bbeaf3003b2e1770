using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;

namespace Dsl.Bench
{
    /// <summary>
    /// `dotnet run --project Bench -c Release -- --interleaved-discrete [rounds]`: the discrete benchmarks' methods timed in
    /// alternating rounds (generated, hand-written, generated, …) and reported as medians. On a shared machine the load
    /// drifts during a BenchmarkDotNet run, which times one method after the other; interleaving puts both sides under the
    /// same drift, so the ratio of medians is the figure that survives.
    /// </summary>
    public static class InterleavedDiscrete
    {
        public static void Run(int rounds)
        {
            var cases = new List<(string Name, Action Run)>();
            foreach (int chains in new[] { 1, 8 })
            {
                var ising = new IsingSweepBenchmarks { Chains = chains };
                ising.Setup();
                cases.Add(($"Ising sweep 256x256, {chains} chain(s), generated", () => ising.Generated()));
                cases.Add(($"Ising sweep 256x256, {chains} chain(s), hand-written", () => ising.HandWritten()));
            }
            var rbm = new RbmCd1Benchmarks();
            rbm.Setup();
            cases.Add(("CD-1 step digits 1797x64, H = 64, generated", rbm.Generated));
            cases.Add(("CD-1 step digits 1797x64, H = 64, hand-written", rbm.HandWritten));
            foreach (var c in cases) for (int i = 0; i < 3; i++) c.Run();   // warm-up
            var times = cases.Select(_ => new List<double>()).ToList();
            var clock = new Stopwatch();
            for (int r = 0; r < rounds; r++)
                for (int k = 0; k < cases.Count; k++)
                {
                    clock.Restart();
                    cases[k].Run();
                    times[k].Add(clock.Elapsed.TotalMilliseconds);
                }
            Console.WriteLine($"{rounds} interleaved rounds, {Environment.ProcessorCount} cores, load average {System.IO.File.ReadAllText("/proc/loadavg").Split(' ')[0]} at the end");
            for (int k = 0; k < cases.Count; k++)
            {
                var sorted = times[k].OrderBy(t => t).ToArray();
                Console.WriteLine($"{cases[k].Name,-52} median {sorted[sorted.Length / 2],9:F3} ms   p25 {sorted[sorted.Length / 4],9:F3} ms   p75 {sorted[3 * sorted.Length / 4],9:F3} ms");
            }
        }
    }
}
