using System;
using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Examples
{
    /// <summary>The gallery's quick `bench` figures: the median of single timed calls after warm-up (BenchmarkDotNet in Bench/ is the careful measurement).</summary>
    internal static class QuickTiming
    {
        /// <summary>Median milliseconds of <paramref name="repeats"/> calls of <paramref name="step"/> after 3 warm-up calls; each result is disposed.</summary>
        public static double MedianMs(int repeats, Func<Tensor> step)
        {
            for (int i = 0; i < 3; i++) step().Dispose();
            var times = new double[repeats];
            for (int i = 0; i < repeats; i++)
            {
                var clock = Stopwatch.StartNew();
                using (var result = step()) { if (result.device_type != DeviceType.CPU) cuda.synchronize(); }
                times[i] = clock.Elapsed.TotalMilliseconds;
            }
            Array.Sort(times);
            return repeats % 2 == 1 ? times[repeats / 2] : 0.5 * (times[repeats / 2 - 1] + times[repeats / 2]);
        }
    }
}
