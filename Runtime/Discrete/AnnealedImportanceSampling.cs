using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Discrete
{
    /// <summary>An AIS estimate of log Z with its spread over runs.</summary>
    /// <param name="LogZ">log of the mean importance weight times Z_A.</param>
    /// <param name="StandardError">Delta-method standard error of log Z over the runs.</param>
    /// <param name="Runs">Independent annealing runs.</param>
    public sealed record AisEstimate(double LogZ, double StandardError, int Runs);

    /// <summary>
    /// Annealed importance sampling (Neal 2001; Salakhutdinov &amp; Murray 2008) for the partition function of a bipartite
    /// model: runs anneal from a tractable base (β = 0) to the target (β = 1) through models whose generated free energies
    /// give the unnormalised marginals p*_β(v) = e^{−F_β(v)}, with one block Gibbs sweep per temperature.
    /// </summary>
    public static class AnnealedImportanceSampling
    {
        /// <summary>
        /// log Z of <paramref name="modelAt"/>(1). <paramref name="modelAt"/>(β) returns the intermediate model (it may reuse one
        /// instance); <paramref name="sampleBase"/> draws n exact samples of the β = 0 model, whose log-partition is <paramref name="logZBase"/>.
        /// </summary>
        public static AisEstimate LogPartition(Func<double, IBipartiteModel> modelAt, double logZBase, Func<int, Generator, Tensor> sampleBase,
            IReadOnlyList<double> betas, int runs, Generator generator)
        {
            if (runs < 2) throw new ArgumentException("AIS: runs must be ≥ 2, got " + runs + ".", nameof(runs));
            if (betas.Count < 2 || betas[0] != 0 || betas[betas.Count - 1] != 1 || betas.Zip(betas.Skip(1), (a, b) => b > a).Any(up => !up))
                throw new ArgumentException("AIS: betas must increase strictly from 0 to 1.", nameof(betas));
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var v = sampleBase(runs, generator);
            var logWeight = zeros(runs, dtype: v.dtype, device: v.device);
            for (int k = 1; k < betas.Count; k++)
            {
                using var step = NewDisposeScope();
                var previous = modelAt(betas[k - 1]).FreeEnergy(v);
                var current = modelAt(betas[k]);
                logWeight.Add_(previous - current.FreeEnergy(v));                 // log p*_k(v) − log p*_{k−1}(v)
                var next = BoltzmannLearning.Gibbs(current, v, 1, generator);
                v = next.MoveToOuterDisposeScope();
            }
            // log mean w and its delta-method standard error sd(w)/(√n · mean w).
            double max = logWeight.max().ToDoubleValue();
            var w = (logWeight.Sub(max)).exp();
            double mean = w.mean().ToDoubleValue();
            double sd = w.std().ToDoubleValue();
            return new AisEstimate(logZBase + max + System.Math.Log(mean), sd / (System.Math.Sqrt(runs) * mean), runs);
        }

        /// <summary>Linearly spaced inverse temperatures 0 = β₀ &lt; … &lt; β_K = 1.</summary>
        public static double[] LinearSchedule(int steps) =>
            steps < 1 ? throw new ArgumentException("AIS: at least one step.", nameof(steps)) : Enumerable.Range(0, steps + 1).Select(i => i / (double)steps).ToArray();
    }
}
