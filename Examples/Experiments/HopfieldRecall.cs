using System;
using System.Linq;
using Dsl.Discrete;
using Dsl.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Examples.Experiments
{
    /// <summary>The outcome of a Hopfield recall experiment.</summary>
    public sealed record HopfieldRecallRun(int N, int Patterns, double Noise, double RecallRate, double FinalOverlap, double InitialOverlap, double MeanSweeps, bool EnergyNeverIncreased,
        string Rule = "hebbian", double FixedPointFraction = 0, double PseudoLogLikelihoodBefore = 0, double PseudoLogLikelihood = 0);

    /// <summary>
    /// Store P random patterns in N units by the Hebbian rule (or, with rule "gradient", by the pseudo-likelihood gradient
    /// rule started from the Hebbian couplings; with rule "mackay", by MacKay's Algorithm 42.9 with weight decay α, 500 iterations, η = 0.01), corrupt a fraction of each pattern's bits, run asynchronous
    /// updates to a fixed point and count exact recalls (the lectures' capacity experiment: Hebbian recall collapses near P/N ≈ 0.14).
    /// </summary>
    public static class HopfieldRecall
    {
        /// <summary>The storage rules.</summary>
        public static readonly string[] Rules = { "hebbian", "gradient", "mackay" };

        /// <summary>The gradient rule's settings used here (full batch, from the Hebbian couplings).</summary>
        public static HopfieldGradientOptions GradientOptions { get; } = new HopfieldGradientOptions { Steps = 300, LearningRate = 0.1 };

        /// <summary>Runs the experiment; deterministic in <paramref name="seed"/>.</summary>
        public static HopfieldRecallRun Run(int n = 100, int patterns = 5, double noise = 0.1, long seed = 0, string rule = "hebbian", double alpha = 0.1)
        {
            rule = (rule ?? "").ToLowerInvariant();
            if (!Rules.Contains(rule)) throw new ArgumentException("Hopfield: unknown --rule '" + rule + "'; valid: " + string.Join(", ", Rules) + ".", nameof(rule));
            if (n < 2) throw new ArgumentException("Hopfield: N must be at least 2, got " + n + ".", nameof(n));
            if (patterns < 1) throw new ArgumentException("Hopfield: at least one pattern, got " + patterns + ".", nameof(patterns));
            if (!(noise >= 0 && noise <= 0.5)) throw new ArgumentException("Hopfield: noise must lie in [0, 0.5], got " + noise + ".", nameof(noise));
            using var scope = NewDisposeScope();
            var g = new Generator((ulong)seed);
            var xi = empty(patterns, n).bernoulli_(0.5, generator: g).Mul_(2).Sub_(1);
            var net = new HopfieldNetwork(N: n);
            net.SetParameter("W", HopfieldDynamics.HebbianWeights(xi));
            double pllBefore = HopfieldLearning.PseudoLogLikelihood(net, xi).mean().ToDoubleValue(), pll = pllBefore;
            if (rule == "gradient") pll = HopfieldLearning.Gradient(net, xi, GradientOptions).PseudoLogLikelihood[^1];
            if (rule == "mackay")
            {
                HopfieldLearning.MacKay(net, xi, new HopfieldMacKayOptions { Iterations = 500, Eta = 0.01, Alpha = alpha });
                pll = HopfieldLearning.PseudoLogLikelihood(net, xi).mean().ToDoubleValue();
            }
            double fixedPoints = HopfieldLearning.FixedPointFraction(net, xi);
            // Flip exactly round(noise·N) distinct bits of each pattern.
            int flips = (int)System.Math.Round(noise * n);
            var start = xi.clone();
            for (int p = 0; p < patterns; p++)
            {
                var which = randperm(n, generator: g).narrow(0, 0, flips);
                if (flips > 0) start[p].index_put_(-start[p].index_select(0, which), which);
            }
            double initial = HopfieldDynamics.Overlap(start, xi).mean().ToDoubleValue();
            var run = HopfieldDynamics.Asynchronous(net, start, 50, g, trace: true);
            var overlaps = HopfieldDynamics.Overlap(run.States, xi);
            double recall = (overlaps.Gt(0.9999)).to_type(ScalarType.Float32).mean().ToDoubleValue();
            // float32 energies: allow the rounding of an unchanged (or tied) state's recomputed energy, relative to its size
            bool monotone = run.EnergyTrace.Zip(run.EnergyTrace.Skip(1), (a, b) => b <= a + 1e-9 + 1e-6 * System.Math.Abs(a)).All(ok => ok);
            return new HopfieldRecallRun(n, patterns, noise, recall, overlaps.mean().ToDoubleValue(), initial, run.Sweeps, monotone, rule, fixedPoints, pllBefore, pll);
        }
    }
}
