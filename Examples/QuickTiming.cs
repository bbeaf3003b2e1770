using System;
using System.CommandLine;
using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Examples
{
    /// <summary>One path's figures: the median of the timed calls after warm-up (the steady state), the first call (cold: JIT and first-touch costs), and the warm-up it took.</summary>
    internal sealed record Timing(double WarmMs, double ColdMs, int WarmupCalls, double WarmupSeconds)
    {
        /// <summary>The same figures divided by <paramref name="steps"/> (per step of a multi-step call).</summary>
        public Timing PerStep(int steps) => this with { WarmMs = WarmMs / steps, ColdMs = ColdMs / steps };
    }

    /// <summary>
    /// The gallery's quick `bench` figures: the median of single timed calls after a warm-up long enough for tiered JIT to
    /// have promoted the kernels to optimised code (a method runs tier-0 code for its first ~30 calls, then waits for a
    /// background compile; a short run times tier-0 code, e.g. `bench reverse-vp` at 20 steps measured 4 ms a step cold against
    /// 0.69 ms at 1000 steps). The first call is reported beside it as the cold figure. BenchmarkDotNet in Bench/ is the careful measurement.
    /// </summary>
    internal static class QuickTiming
    {
        /// <summary>The default warm-up: at least this many seconds of calls (and at least 3 calls), as Bench/'s quick suite.</summary>
        public const double DefaultWarmupSeconds = 1.5;

        /// <summary>The `--warmup` option every `bench` command takes: seconds of untimed calls per path before timing.</summary>
        public static Option<double> WarmupOption() =>
            new Option<double>("--warmup") { Description = "Seconds of untimed calls per path before timing (at least 3 calls), so tiered JIT has optimised the kernels; the first call is reported as cold.", DefaultValueFactory = _ => DefaultWarmupSeconds }.InRange(0, 600);

        /// <summary>
        /// Times <paramref name="step"/>: one cold call, untimed calls until <paramref name="warmupSeconds"/> have passed (at least
        /// 3 calls, at most 100 000), then the median of <paramref name="repeats"/> timed calls; each result is disposed.
        /// </summary>
        public static Timing Measure(int repeats, double warmupSeconds, Func<Tensor> step)
        {
            var warm = Stopwatch.StartNew();
            using (var first = step()) Synchronize(first);
            double cold = warm.Elapsed.TotalMilliseconds;
            int calls = 1;
            while ((calls < 3 || warm.Elapsed.TotalSeconds < warmupSeconds) && calls < 100_000)
            {
                using (var result = step()) Synchronize(result);
                calls++;
            }
            double warmup = warm.Elapsed.TotalSeconds;
            var times = new double[repeats];
            for (int i = 0; i < repeats; i++)
            {
                var clock = Stopwatch.StartNew();
                using (var result = step()) Synchronize(result);
                times[i] = clock.Elapsed.TotalMilliseconds;
            }
            Array.Sort(times);
            double median = repeats % 2 == 1 ? times[repeats / 2] : 0.5 * (times[repeats / 2 - 1] + times[repeats / 2]);
            return new Timing(median, cold, calls, warmup);
        }

        private static void Synchronize(Tensor result)
        {
            if (result.device_type != DeviceType.CPU) cuda.synchronize();
        }
    }
}
