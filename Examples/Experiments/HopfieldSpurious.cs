using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.Discrete;
using Dsl.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Examples.Experiments
{
    /// <summary>Counts of Hopfield states by kind: stored patterns ξ^μ, their inverses −ξ^μ, three-pattern mixtures sign(±ξᵃ ± ξᵇ ± ξᶜ), others.</summary>
    public sealed record HopfieldStateCounts(int Stored, int Inverse, int Mixture, int Other)
    {
        /// <summary>All states counted.</summary>
        public int Total => Stored + Inverse + Mixture + Other;
    }

    /// <summary>
    /// What `dsl hopfield --spurious` prints: where asynchronous dynamics from random starts end (counted per start and as distinct
    /// states), and, for N ≤ 20, every fixed point of the network found by enumerating all 2^N states, by kind.
    /// </summary>
    public sealed record HopfieldSpuriousRun(int N, int Patterns, int Starts, int Converged, HopfieldStateCounts EndStates, HopfieldStateCounts DistinctEndStates,
        HopfieldStateCounts? EnumeratedFixedPoints, bool EndStatesAreEnumeratedFixedPoints, double PatternFixedPointFraction, int[][] StoredPatterns);

    /// <summary>What `dsl hopfield --synchronous` prints: a start from which synchronous updates alternate between two states while asynchronous updates converge.</summary>
    public sealed record HopfieldCycleRun(int N, int Patterns, bool Found, int StartsTried, int[]? Start, int[]? CycleA, int[]? CycleB, int SynchronousSteps,
        bool AsynchronousConverged, int[]? AsynchronousEnd, string? AsynchronousEndKind, int[][] StoredPatterns);

    /// <summary>
    /// MacKay (2003) §42.5, Figure 42.3: a Hebbian network's attractors are the stored patterns, their inverses (E(−s) = E(s) without
    /// biases) and spurious mixtures such as sign(ξ¹ + ξ² + ξ³); and synchronous updates can oscillate with period 2 where asynchronous
    /// updates (a Lyapunov descent) cannot. The setup here is this project's (random ±1 patterns, W = ξᵀξ/N with zero diagonal), not the
    /// figure's digit patterns.
    /// </summary>
    public static class HopfieldSpurious
    {
        /// <summary>The most units whose 2^N states are enumerated.</summary>
        public const int MaxEnumerated = 20;

        private static (HopfieldNetwork Net, Tensor Patterns) Network(int n, int patterns, Generator g)
        {
            if (n < 2) throw new ArgumentException("Hopfield: N must be at least 2, got " + n + ".", nameof(n));
            if (patterns < 1) throw new ArgumentException("Hopfield: at least one pattern, got " + patterns + ".", nameof(patterns));
            var xi = empty(patterns, n, dtype: ScalarType.Float64).bernoulli_(0.5, generator: g).Mul_(2).Sub_(1);
            var net = new HopfieldNetwork(N: n);
            net.to(ScalarType.Float64);
            using (var w = HopfieldDynamics.HebbianWeights(xi)) net.SetParameter("W", w);
            return (net, xi);
        }

        /// <summary>The reference states of each kind as sets of ±1 strings.</summary>
        private static (HashSet<string> Stored, HashSet<string> Inverse, HashSet<string> Mixture) Kinds(double[][] xi)
        {
            int p = xi.Length, n = xi[0].Length;
            var stored = new HashSet<string>(xi.Select(Key));
            var inverse = new HashSet<string>(xi.Select(x => Key(x.Select(v => -v).ToArray())));
            var mixture = new HashSet<string>();
            for (int a = 0; a < p; a++)
                for (int b = a + 1; b < p; b++)
                    for (int c = b + 1; c < p; c++)
                        for (int signs = 0; signs < 8; signs++)
                        {
                            double sa = (signs & 1) == 0 ? 1 : -1, sb = (signs & 2) == 0 ? 1 : -1, sc = (signs & 4) == 0 ? 1 : -1;
                            mixture.Add(Key(Enumerable.Range(0, n).Select(i => System.Math.Sign(sa * xi[a][i] + sb * xi[b][i] + sc * xi[c][i]) * 1.0).ToArray()));
                        }
            mixture.ExceptWith(stored);
            mixture.ExceptWith(inverse);
            return (stored, inverse, mixture);
        }

        private static int[][] IntRows(Tensor t) => Rows(t).Select(r => r.Select(v => (int)v).ToArray()).ToArray();

        private static string Key(double[] s) => new string(s.Select(v => v > 0 ? '+' : '-').ToArray());

        private static HopfieldStateCounts Count(IEnumerable<string> states, (HashSet<string> Stored, HashSet<string> Inverse, HashSet<string> Mixture) kinds)
        {
            int stored = 0, inverse = 0, mixture = 0, other = 0;
            foreach (var s in states)
            {
                if (kinds.Stored.Contains(s)) stored++;
                else if (kinds.Inverse.Contains(s)) inverse++;
                else if (kinds.Mixture.Contains(s)) mixture++;
                else other++;
            }
            return new HopfieldStateCounts(stored, inverse, mixture, other);
        }

        private static double[][] Rows(Tensor t) => Enumerable.Range(0, (int)t.shape[0]).Select(i => t[i].data<double>().ToArray()).ToArray();

        /// <summary>Fixed points of asynchronous updates (sᵢaᵢ ≥ 0 for every unit: ties keep sᵢ) among all 2^N states.</summary>
        private static List<string> EnumerateFixedPoints(HopfieldNetwork net, int n)
        {
            var found = new List<string>();
            const int chunk = 1 << 14;
            for (long first = 0; first < 1L << n; first += chunk)
            {
                using var scope = NewDisposeScope();
                long count = System.Math.Min(chunk, (1L << n) - first);
                var index = ScalarOps.Arange(count, ScalarType.Int64).Add(first).unsqueeze(1);
                var bits = index.bitwise_right_shift(ScalarOps.Arange(n, ScalarType.Int64).unsqueeze(0)).bitwise_and(ScalarOps.Full(new long[] { 1 }, 1L, ScalarType.Int64));
                var states = bits.to_type(ScalarType.Float64).Mul_(2).Sub_(1);
                var stable = (net.ScoreNoGrad(states) * states).Ge(0).all(1);
                var rows = stable.nonzero().squeeze(1);
                if (rows.shape[0] > 0) found.AddRange(Rows(states.index_select(0, rows)).Select(Key));
            }
            return found;
        }

        /// <summary>Asynchronous dynamics from <paramref name="starts"/> uniform random states to fixed points, classified; deterministic in the seed.</summary>
        public static HopfieldSpuriousRun Run(int n = 16, int patterns = 3, int starts = 500, long seed = 0)
        {
            if (starts < 1) throw new ArgumentException("Hopfield: at least one start, got " + starts + ".", nameof(starts));
            using var scope = NewDisposeScope();
            var g = new Generator((ulong)seed);
            var (net, xi) = Network(n, patterns, g);
            using var _ = net;
            var kinds = Kinds(Rows(xi));
            var start = empty(starts, n, dtype: ScalarType.Float64).bernoulli_(0.5, generator: g).Mul_(2).Sub_(1);
            var run = HopfieldDynamics.Asynchronous(net, start, 100, g);
            var stable = (net.ScoreNoGrad(run.States) * run.States).Ge(0).all(1).data<bool>().ToArray();
            var ends = Rows(run.States).Select(Key).ToList();
            var converged = ends.Where((s, i) => stable[i]).ToList();
            HopfieldStateCounts? enumerated = null;
            bool endsEnumerated = true;
            if (n <= MaxEnumerated)
            {
                var fixedPoints = EnumerateFixedPoints(net, n);
                enumerated = Count(fixedPoints, kinds);
                var set = new HashSet<string>(fixedPoints);
                endsEnumerated = converged.All(set.Contains);
            }
            return new HopfieldSpuriousRun(n, patterns, starts, converged.Count, Count(converged, kinds), Count(converged.Distinct(), kinds), enumerated, endsEnumerated,
                HopfieldLearning.FixedPointFraction(net, xi), IntRows(xi));
        }

        /// <summary>
        /// Searches random starts (up to <paramref name="maxStarts"/>) for one whose synchronous updates s ← sign(Ws) enter a period-2 cycle
        /// (s_{t+2} = s_t ≠ s_{t+1}), and runs asynchronous updates from the same start; deterministic in the seed.
        /// </summary>
        public static HopfieldCycleRun Cycle(int n = 16, int patterns = 3, int maxStarts = 4096, long seed = 0)
        {
            using var scope = NewDisposeScope();
            var g = new Generator((ulong)seed);
            var (net, xi) = Network(n, patterns, g);
            using var _ = net;
            var kinds = Kinds(Rows(xi));
            var start = empty(maxStarts, n, dtype: ScalarType.Float64).bernoulli_(0.5, generator: g).Mul_(2).Sub_(1);
            Tensor Step(Tensor s)
            {
                var a = net.ScoreNoGrad(s);
                return where(a.Gt(0), ones_like(s), where(a.Lt(0), -ones_like(s), s));     // ties keep sᵢ, as HopfieldDynamics.Synchronous
            }
            // Synchronous dynamics on ℝ^N with a symmetric W end in a fixed point or a 2-cycle (Goles et al. 1985): 2N + 2 steps settle it here.
            var s0 = start;
            var s1 = Step(s0);
            int steps = 1;
            for (; steps < 4 * n + 4; steps++)
            {
                Tensor s2;
                using (NewDisposeScope()) s2 = Step(s1).MoveToOuterDisposeScope();   // the step's fields and masks go at once
                s0 = s1; s1 = s2;
            }
            var s3 = Step(s1);
            var cycling = (s3.eq(s0).all(1)).logical_and(s1.ne(s0).any(1));
            var which = cycling.nonzero();
            if (which.shape[0] == 0) return new HopfieldCycleRun(n, patterns, false, maxStarts, null, null, null, steps, false, null, null, IntRows(xi));
            long k = which[0, 0].ToInt64Value();
            int[] Ints(Tensor row) => row.data<double>().Select(v => (int)v).ToArray();
            var startRow = start[k].unsqueeze(0);
            var asyncRun = HopfieldDynamics.Asynchronous(net, startRow, 100, g);
            var end = asyncRun.States[0].data<double>().ToArray();
            var endKind = Count(new[] { Key(end) }, kinds) switch
            {
                { Stored: 1 } => "stored",
                { Inverse: 1 } => "inverse",
                { Mixture: 1 } => "mixture",
                _ => "other",
            };
            return new HopfieldCycleRun(n, patterns, true, maxStarts, Ints(start[k]), Ints(s0[k]), Ints(s1[k]), steps, asyncRun.Converged, end.Select(v => (int)v).ToArray(), endKind, IntRows(xi));
        }
    }
}
