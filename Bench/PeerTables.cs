using System;
using System.Collections.Generic;
using System.Linq;
using BenchmarkDotNet.Reports;

namespace Dsl.Bench
{
    /// <summary>
    /// After a BenchmarkDotNet run: for every workload category (W1, W3, W4, W5) among the benchmarks that ran, runs that
    /// workload's hand-written PyTorch peer in the same process run and prints BenchmarkDotNet's medians beside the peer's, with
    /// the target ratios (<see cref="QuickTiming.Table"/>).
    /// </summary>
    public static class PeerTables
    {
        /// <summary>Prints the tables for <paramref name="summaries"/>.</summary>
        public static void Print(IEnumerable<Summary> summaries)
        {
            var rows = new List<TimedRow>();
            foreach (var report in summaries.SelectMany(s => s.Reports))
            {
                var stats = report.ResultStatistics;
                var categories = report.BenchmarkCase.Descriptor.Categories;
                string? w = categories.FirstOrDefault(c => Workloads.PeerScripts.ContainsKey(c));
                if (stats is null || w is null) continue;
                string path = categories.FirstOrDefault(c => c != w) ?? "";
                double per = w == "W4" ? ReverseVpBenchmarks.Steps : 1;
                string name = report.BenchmarkCase.Descriptor.WorkloadMethodDisplayInfo
                    + (report.BenchmarkCase.HasParameters ? " (" + report.BenchmarkCase.Parameters.DisplayInfo + ")" : "");
                rows.Add(new TimedRow(path == "eager autograd" && w == "W1" ? "W2" : w, path, name, stats.Median / 1e6 / per, stats.Min / 1e6 / per));
            }
            if (rows.Count == 0) return;
            int threads = TorchSharp.torch.get_num_threads();
            Console.WriteLine("\n## BenchmarkDotNet medians beside the hand-written PyTorch peers (same run)\n\n" + QuickTiming.MachineLine(threads));
            string? missing = PeerRunner.Unavailable();
            if (missing is not null) Console.WriteLine("**PyTorch peer not run:** " + missing);
            foreach (var group in rows.GroupBy(r => r.Workload == "W2" ? "W1" : r.Workload))
            {
                string? problem = null;
                var peer = missing is null ? PeerRunner.Run(Workloads.PeerScripts[group.Key], threads, QuickTiming.PeerArguments(group.Key, group.Key == "W4" ? 3 : 15, ReverseVpBenchmarks.Steps), out problem) : null;
                if (problem is not null && missing is null) Console.WriteLine("peer failed: " + problem);
                Console.WriteLine(QuickTiming.Table(group.Key, group.ToList(), peer, "BenchmarkDotNet median and minimum"));
            }
        }
    }
}
