using System;
using CsCheck;
using Xunit.Sdk;

namespace Dsl.Symbolic.Tests.Properties
{
    /// <summary>
    /// Runs a property deterministically and shrinks a failure with CsCheck.
    ///
    /// CsCheck's own <c>Sample(seed: …)</c> replays only the first case from the seed and draws the rest from a time-seeded
    /// generator, so it is not reproducible run to run. Here the cases are drawn from one PCG started at a fixed seed, in
    /// order: the same cases on every run and machine. On the first failure the case's own PCG state is handed to
    /// <c>Check.Sample</c> as its seed, which replays it and then searches for smaller failing cases (CsCheck's shrinking,
    /// by the size of the Gen combinators' choices); the message carries the original case, its seed and the shrunk case.
    /// </summary>
    public static class PropertyRunner
    {
        /// <summary>Iterations CsCheck spends shrinking a failure.</summary>
        public const int ShrinkIterations = 2000;

        public static void Run<T>(string name, Gen<T> gen, Action<T> assert, ulong seed, int count, Func<T, string> print)
        {
            var pcg = new PCG(1, seed);
            for (int i = 0; i < count; i++)
            {
                ulong state = pcg.State;
                var t = gen.Generate(pcg, null, out _);
                try
                {
                    assert(t);
                }
                catch (Exception e)
                {
                    string caseSeed = pcg.ToString(state);
                    string shrunk;
                    try
                    {
                        gen.Sample(assert, seed: caseSeed, iter: ShrinkIterations, threads: 1, print: print);
                        shrunk = "(CsCheck did not reproduce the failure from its seed)";
                    }
                    catch (Exception s)
                    {
                        shrunk = s.Message + (s.InnerException is null ? "" : "\n" + s.InnerException.GetType().Name + ": " + s.InnerException.Message);
                    }
                    throw new XunitException(
                        $"{name}: case {i + 1} of {count} failed (CsCheck seed \"{caseSeed}\"):\n{print(t)}\n{e.GetType().Name}: {e.Message}\n"
                        + $"--- shrunk by CsCheck ---\n{shrunk}");
                }
            }
        }
    }
}
