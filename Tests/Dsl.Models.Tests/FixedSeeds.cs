using System.Collections.Generic;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// Deterministic seeds for the randomised numeric tests: the same list on every run and machine (a test that fails
    /// names its seed), unlike a property-test runner that draws new cases each run and can turn CI red by chance.
    /// </summary>
    internal static class FixedSeeds
    {
        /// <summary><paramref name="count"/> seeds in [0, 1 000 000) derived from <paramref name="salt"/> (a test's name).</summary>
        public static IEnumerable<long> For(string salt, int count)
        {
            ulong state = 1469598103934665603UL;                       // FNV-1a of the salt, then SplitMix64
            foreach (char c in salt) state = (state ^ c) * 1099511628211UL;
            for (int i = 0; i < count; i++)
            {
                ulong z = state += 0x9E3779B97F4A7C15UL;
                z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
                z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
                yield return (long)((z ^ (z >> 31)) % 1_000_000UL);
            }
        }
    }
}
