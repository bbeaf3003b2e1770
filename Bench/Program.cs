using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Dsl.Bench
{
    /// <summary>
    /// dotnet run --project Bench -c Release -- [BenchmarkDotNet arguments, e.g. --filter '*Mixture*' --job short],
    /// or -- --interleaved-discrete [rounds] (<see cref="InterleavedDiscrete"/>), or -- quick [W1 W3 W4 W5] (<see cref="QuickTiming"/>), or -- random (<see cref="RandomTiming"/>).
    /// After a BenchmarkDotNet run, the workloads' hand-written PyTorch peers run in the same run (<see cref="PeerTables"/>).
    /// Benchmarks run in process: the TorchSharp natives in this output folder are the ones the build patched.
    /// </summary>
    public static class Program
    {
        public static void Main(string[] args)
        {
            if (args.Length > 0 && args[0] == "--interleaved-discrete")
            {
                InterleavedDiscrete.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 30);
                return;
            }
            if (args.Length > 0 && args[0] == "random")
            {
                RandomTiming.Run(args[1..]);
                return;
            }
            if (args.Length > 0 && args[0] == "profile")
            {
                Profiling.Run(args[1..]);
                return;
            }
            if (args.Length > 0 && args[0] == "quick")
            {
                QuickTiming.Run(args[1..]);
                return;
            }
            var config = DefaultConfig.Instance.AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance));
            var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
            PeerTables.Print(summaries);
        }
    }
}
