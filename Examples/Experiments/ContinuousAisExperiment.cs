using System;
using System.Threading;
using Dsl.Models;
using Dsl.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Examples.Experiments
{
    /// <summary>What `dsl ais` prints: the AIS estimate of log Z against the exact value.</summary>
    public sealed record ContinuousAisRun(string Model, string Transition, int Chains, int Temperatures, double StepSize, double LogZ, double StandardError,
        double ExactLogZ, double ExactLogZFromLogProb, double Z, double EffectiveSampleSize, double AcceptanceRate, double Seconds, bool Cancelled);

    /// <summary>
    /// Annealed importance sampling for a continuous energy (<see cref="ContinuousAis"/>) on the gallery's Gaussian mixture, whose
    /// log Z is known in closed form: two components at (−2, 0) and (2, 1), σ = 0.6, unnormalised weights 1 and 3, so
    /// Z = Σₖ wₖ (2πσ²)^{D/2} = 4·2π·0.36 and log Z = log 4 + log(0.72π) ≈ 2.2029.
    /// </summary>
    public static class ContinuousAisExperiment
    {
        /// <summary>The mixture's means, σ and unnormalised weights.</summary>
        public static readonly double[,] Means = { { -2.0, 0.0 }, { 2.0, 1.0 } };
        /// <summary>σ of both components.</summary>
        public const double Sigma = 0.6;
        /// <summary>Unnormalised weights wₖ (their sum 4 enters log Z).</summary>
        public static readonly double[] Weights = { 1.0, 3.0 };

        /// <summary>log Z = log Σₖ wₖ + (D/2) log(2πσ²), computed here from the numbers above (independent of the generated code).</summary>
        public static double ExactLogZ => System.Math.Log(Weights[0] + Weights[1]) + 0.5 * 2 * System.Math.Log(2 * System.Math.PI * Sigma * Sigma);

        /// <summary>The mixture as the generated GaussianMixture (float64).</summary>
        public static GaussianMixture Mixture()
        {
            var model = new GaussianMixture(D: 2, K: 2);
            model.to(ScalarType.Float64);
            using (var mu = tensor(new double[] { Means[0, 0], Means[0, 1], Means[1, 0], Means[1, 1] }, new long[] { 2, 2 }, ScalarType.Float64))
                model.SetParameter("Mu", mu);
            using (var logW = tensor(new double[] { System.Math.Log(Weights[0]), System.Math.Log(Weights[1]) }, ScalarType.Float64))
                model.SetParameter("LogW", logW);
            using (var sigma = tensor(Sigma, ScalarType.Float64))
                model.SetParameter("Sigma", sigma);
            return model;
        }

        /// <summary>One AIS run from N(0, 3²I) to the mixture.</summary>
        public static ContinuousAisRun Run(int chains, int temperatures, int stepsPerTemperature, double stepSize, AisTransition transition, long seed,
            IProgress<SamplerProgress>? progress = null, CancellationToken cancellation = default)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var model = Mixture();
            var estimate = ContinuousAis.LogPartition(model, new ContinuousAisOptions
            {
                Chains = chains, Temperatures = temperatures, StepsPerTemperature = stepsPerTemperature, StepSize = stepSize, Transition = transition,
                BaseMean = 0, BaseStd = 3, Seed = seed, Progress = progress, Cancellation = cancellation,
            });
            // log Z = −E(x) − log p(x) at any x, from the generated LogProb (the [LogPartition] equation): a second, generated route.
            double fromLogProb;
            using (var scope = NewDisposeScope())
            using (no_grad())
            {
                var x = zeros(1, 2, dtype: ScalarType.Float64);
                fromLogProb = model.EnergyNoGrad(x).neg().sub_(model.LogProb(x)).ToDoubleValue();
            }
            return new ContinuousAisRun("GaussianMixture", transition == AisTransition.Mala ? "mala" : "mh", estimate.Chains, estimate.Temperatures, stepSize,
                estimate.LogZ, estimate.StandardError, ExactLogZ, fromLogProb, System.Math.Exp(estimate.LogZ), estimate.EffectiveSampleSize, estimate.AcceptanceRate,
                clock.Elapsed.TotalSeconds, estimate.Cancelled);
        }
    }
}
