using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Bench
{
    /// <summary>
    /// <c>dotnet run --project Bench -c Release -- random [--rounds 200]</c>: <see cref="RandomBenchmarks"/>' calls timed in
    /// interleaved rounds (a shared machine's load hits them alike), printed as one markdown table with median and minimum.
    /// </summary>
    public static class RandomTiming
    {
        /// <summary>Runs the interleaved timing with the arguments after <c>random</c>.</summary>
        public static void Run(string[] args)
        {
            int rounds = 200;
            for (int i = 0; i < args.Length; i++)
            {
                if (args[i] == "--rounds") rounds = int.Parse(args[++i], CultureInfo.InvariantCulture);
                else throw new ArgumentException("random: unknown argument '" + args[i] + "'; valid: --rounds n.");
            }
            var b = new RandomBenchmarks();
            b.Setup();
            var cases = new List<BenchCase>
            {
                new("noise", "counter", "CounterRandom.FillNormal float, 200 000, one thread", b.NormalSingles),
                new("noise", "counter", "CounterRandom.FillNormal double, 200 000, one thread", b.NormalDoubles),
                new("noise", "counter", "CounterRandom.FillUniform float, 200 000, one thread", b.UniformSingles),
                new("noise", "counter", "CounterRandom.FillUniform double, 200 000, one thread", b.UniformDoubles),
                new("noise", "counter", "CounterRandom.FillNormal float32 tensor, parallel chunks", b.NormalSingleTensor),
                new("noise", "counter", "CounterRandom.FillNormal float64 tensor, parallel chunks", b.NormalDoubleTensor),
                new("noise", "torch", "torch normal_ float32, generator", b.TorchNormalSingles),
                new("noise", "torch", "torch normal_ float64, generator", b.TorchNormalDoubles),
                new("noise", "torch", "torch uniform_ float32, generator", b.TorchUniformSingles),
            };
            var times = QuickTiming.Time(cases, rounds);
            Console.WriteLine(QuickTiming.MachineLine(torch.get_num_threads()));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"\n{rounds} interleaved rounds; ms per call; load average {System.IO.File.ReadAllText("/proc/loadavg").Split(' ')[0]} at the end\n"));
            Console.WriteLine("| what | median | min |");
            Console.WriteLine("|---|---:|---:|");
            for (int k = 0; k < cases.Count; k++)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {cases[k].Name} | {QuickTiming.Median(times[k]):F3} | {times[k].Min():F3} |"));
        }
    }
}
