using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;

namespace Dsl.Bench
{
    /// <summary>
    /// <c>dotnet run --project Bench -c Release -- profile W1|W4|W5 [seconds]</c>: runs the workload's fused generated path in a
    /// loop for a while, so that a sampling profiler (Bench/profile.sh: dotnet-trace) sees its steady state.
    /// </summary>
    public static class Profiling
    {
        /// <summary>Loops the fused case of <paramref name="args"/>[0] for args[1] seconds (default 8) and prints ms per step.</summary>
        public static void Run(string[] args)
        {
            string workload = args.Length > 0 ? args[0].ToUpperInvariant() : "W1";
            double seconds = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 8;
            var cases = workload switch
            {
                "W1" => Workloads.Langevin(),
                "W4" => Workloads.ReverseVp(200),
                "W5" => Workloads.Ising(),
                _ => throw new ArgumentException("profile: W1, W4 or W5, not '" + workload + "'."),
            };
            var fused = cases.First(c => c.Path == (workload == "W5" ? "fused sweep" : "fused"));
            var clock = Stopwatch.StartNew();
            long steps = 0;
            while (clock.Elapsed.TotalSeconds < seconds) { fused.Run(); steps += fused.StepsPerCall; }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{workload} {fused.Name}: {steps} steps, {clock.Elapsed.TotalMilliseconds / steps:F3} ms a step"));
        }
    }
}
