using System;
using System.Globalization;
using System.IO;
using Dsl.Networks;

namespace Dsl.Examples
{
    /// <summary>
    /// Refuses a run whose sizes cannot fit in memory before anything is allocated: libtorch's out-of-memory error is a native
    /// frame dump, and a lattice too large to hold can spend a minute before it fails. A command states the tensors its run keeps
    /// alive (elements × bytes per element × how many such buffers live at once); the estimate is deliberately a lower bound of
    /// the real peak, so a refusal is never wrong, only late for runs close to the limit.
    /// </summary>
    internal static class MemoryBudget
    {
        /// <summary>
        /// Null when <paramref name="elements"/> × <paramref name="bytesPerElement"/> × <paramref name="liveBuffers"/> fits in the
        /// memory available now; otherwise the one-line reason, naming <paramref name="sizes"/> (the options that set the size).
        /// </summary>
        public static string? Refusal(string sizes, double elements, int bytesPerElement, int liveBuffers)
        {
            double needed = elements * bytesPerElement * liveBuffers;
            long available = AvailableBytes();
            if (needed <= available) return null;
            return sizes + " needs ≈ " + Gib(needed) + " (" + elements.ToString("0.##e+0", CultureInfo.InvariantCulture) + " values × " + bytesPerElement + " bytes × "
                + liveBuffers + " live buffers); this machine has " + Gib(available) + " available.";
        }

        /// <summary>
        /// Training a score or noise network on --batch: the activations kept for the backward pass, float32, twice (forward values and
        /// their gradients). TimeMlp (2D): batch × width × (2·depth + 4); DigitUNet (digits): batch × 64 pixels × channels × 24 (its two
        /// resolutions, skip connections and normalisations).
        /// </summary>
        public static string? NetworkTraining(bool digits, int batch, int width, int depth, int channels) => digits
            ? Refusal("--batch " + batch + " with --channels " + channels, (double)batch * 64 * channels * 24, 4, 2)
            : Refusal("--batch " + batch + " with --width " + width + " and --depth " + depth, (double)batch * width * (2.0 * depth + 4), 4, 2);

        /// <summary>
        /// Memory a new allocation can use: MemAvailable from /proc/meminfo on Linux (free plus reclaimable cache), else what the
        /// runtime reports as available to the process (physical memory or the container's limit).
        /// </summary>
        public static long AvailableBytes()
        {
            const string meminfo = "/proc/meminfo";
            if (File.Exists(meminfo))
            {
                foreach (var line in File.ReadLines(meminfo))
                {
                    if (!line.StartsWith("MemAvailable:", StringComparison.Ordinal)) continue;
                    var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (parts.Length >= 2 && long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out long kib)) return kib * 1024;
                }
            }
            return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        }

        private static string Gib(double bytes) => (bytes / (1L << 30)).ToString(bytes < 10.0 * (1L << 30) ? "F1" : "F0", CultureInfo.InvariantCulture) + " GiB";
    }
}
