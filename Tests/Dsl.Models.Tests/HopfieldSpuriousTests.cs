using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.Examples.Experiments;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// MacKay's Figure 42.3 claims on a small Hebbian net, checked by an enumeration written here in plain arithmetic (W = ξᵀξ/N with
    /// zero diagonal, every one of the 2^N states tested for sᵢhᵢ ≥ 0), independent of the generated model the experiment runs.
    /// </summary>
    public class HopfieldSpuriousTests
    {
        private static double[,] Hebb(int[][] xi)
        {
            int n = xi[0].Length;
            var w = new double[n, n];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    if (i != j) w[i, j] = xi.Sum(x => x[i] * x[j]) / (double)n;
            return w;
        }

        private static double Field(double[,] w, int[] s, int i)
        {
            double h = 0;
            for (int j = 0; j < s.Length; j++) h += w[i, j] * s[j];
            return h;
        }

        private static string Key(IEnumerable<int> s) => new string(s.Select(v => v > 0 ? '+' : '-').ToArray());

        [Fact]
        public void Fixed_points_are_patterns_inverses_and_mixtures_and_the_dynamics_reach_only_them()
        {
            var run = HopfieldSpurious.Run(n: 20, patterns: 3, starts: 300, seed: 2);
            var xi = run.StoredPatterns;
            int n = 20;
            var w = Hebb(xi);
            var stored = new HashSet<string>(xi.Select(Key));
            var inverse = new HashSet<string>(xi.Select(x => Key(x.Select(v => -v))));
            var mixtures = new HashSet<string>();
            foreach (var e in new[] { 1, -1 }.SelectMany(a => new[] { 1, -1 }.SelectMany(b => new[] { 1, -1 }.Select(c => (a, b, c)))))
                mixtures.Add(Key(Enumerable.Range(0, n).Select(i => System.Math.Sign(e.a * xi[0][i] + e.b * xi[1][i] + e.c * xi[2][i]))));
            int fs = 0, fi = 0, fm = 0, fo = 0;
            var s = new int[n];
            for (int code = 0; code < 1 << n; code++)
            {
                for (int i = 0; i < n; i++) s[i] = ((code >> i) & 1) == 1 ? 1 : -1;
                bool fixedPoint = true;
                for (int i = 0; i < n && fixedPoint; i++) fixedPoint = s[i] * Field(w, s, i) >= 0;
                if (!fixedPoint) continue;
                var k = Key(s);
                if (stored.Contains(k)) fs++; else if (inverse.Contains(k)) fi++; else if (mixtures.Contains(k)) fm++; else fo++;
            }
            var enumerated = run.EnumeratedFixedPoints!;
            Assert.Equal((fs, fi, fm, fo), (enumerated.Stored, enumerated.Inverse, enumerated.Mixture, enumerated.Other));
            Assert.Equal((3, 3), (fs, fi));                                       // every pattern and its inverse is a fixed point
            Assert.True(fm > 0, "some three-pattern mixtures are fixed points");
            Assert.True(run.EndStatesAreEnumeratedFixedPoints);
            Assert.Equal(300, run.Converged);
            Assert.Equal(300, run.EndStates.Total);
            Assert.True(run.EndStates.Mixture > 0, "random starts reach spurious mixtures");
            // E(−s) = E(s) and the starts are symmetric: patterns and inverses are reached equally often, within 4 SE of a fair split.
            int pair = run.EndStates.Stored + run.EndStates.Inverse;
            Assert.True(System.Math.Abs(run.EndStates.Stored - run.EndStates.Inverse) <= 4 * System.Math.Sqrt(pair), $"stored {run.EndStates.Stored} vs inverse {run.EndStates.Inverse}");
        }

        [Fact]
        public void Synchronous_updates_alternate_with_period_two_where_asynchronous_updates_converge()
        {
            var run = HopfieldSpurious.Cycle(n: 16, patterns: 3, seed: 0);
            Assert.True(run.Found);
            var w = Hebb(run.StoredPatterns);
            int[] Sync(int[] s) => Enumerable.Range(0, s.Length).Select(i => { double h = Field(w, s, i); return h > 0 ? 1 : h < 0 ? -1 : s[i]; }).ToArray();
            var a = run.CycleA!;
            var b = run.CycleB!;
            Assert.NotEqual(a, b);
            Assert.Equal(b, Sync(a));
            Assert.Equal(a, Sync(b));
            Assert.True(run.AsynchronousConverged);
            var end = run.AsynchronousEnd!;
            Assert.All(Enumerable.Range(0, end.Length), i => Assert.True(end[i] * Field(w, end, i) >= 0, "unit " + i + " of the asynchronous end state is stable"));
        }
    }

    /// <summary>`dsl hopfield --spurious` and `--synchronous`.</summary>
    [Collection("Console")]
    public class HopfieldSpuriousCliTests
    {
        [Fact]
        public void Hopfield_command_prints_the_spurious_counts_and_the_cycle()
        {
            var spurious = Gallery.RunJson("hopfield", "--spurious", "--N", "16", "--patterns", "3", "--starts", "200");
            Assert.Equal(200, spurious.GetProperty("end_states").GetProperty("total").GetInt32());
            Assert.True(spurious.GetProperty("end_states_are_enumerated_fixed_points").GetBoolean());
            var cycle = Gallery.RunJson("hopfield", "--synchronous", "--N", "16", "--patterns", "3");
            Assert.True(cycle.GetProperty("found").GetBoolean());
            Assert.Equal(2, cycle.GetProperty("cycle").GetArrayLength());
            var (code, _, err) = Gallery.Run(new[] { "hopfield", "--spurious", "--rule", "gradient", "--json" });
            Assert.Equal(2, code);
            Assert.Contains("--spurious and --synchronous study the Hebbian net", err);
        }
    }
}
