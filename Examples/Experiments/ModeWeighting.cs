using System;
using System.Linq;
using System.Threading;
using Dsl.Models;
using Dsl.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Examples.Experiments
{
    /// <summary>The outcome of one Figure-3 run.</summary>
    public sealed record ModeWeightingResult(string Sampler, int Chains, double MinorModeWeight, double StandardError, long Steps, double Seconds,
        double[] Xs, double[] Ys, double[] StartXs, double[] StartYs, bool Cancelled);

    /// <summary>
    /// Song &amp; Ermon (2019), Figure 3: p = 0.2·N((−5,−5), I) + 0.8·N((5,5), I) with chains started uniformly in [−8, 8]².
    /// Langevin with the exact score keeps each chain in the basin it starts in, so the modes end up weighted by
    /// their basins (≈ ½ each); annealed Langevin on the exactly perturbed mixture recovers the 0.2 weight.
    /// </summary>
    public static class ModeWeighting
    {
        /// <summary>The minor mode's weight.</summary>
        public const double MinorWeight = 0.2;

        /// <summary>Runs plain (ε = 0.1, 1000 steps) or annealed (σ 20 → 1 over 10 levels, ε = 0.1, 100 steps each) Langevin.</summary>
        public static ModeWeightingResult Run(bool annealed, long seed, int chains = 2000, Device? device = null,
            IProgress<SamplerProgress>? progress = null, CancellationToken cancellation = default)
        {
            using var scope = NewDisposeScope();
            device ??= CPU;
            var start = empty(chains, 2, dtype: ScalarType.Float64).uniform_(-8, 8, generator: new Generator((ulong)seed)).to(device);
            var options = new SamplerOptions { Steps = 1000, Seed = seed + 1, Progress = progress, Cancellation = cancellation };
            SamplerResult result;
            if (annealed)
            {
                var model = new PerturbedGaussianMixture(D: 2, K: 2);
                Configure(model, device);
                result = Samplers.AnnealedLangevin(model, start, NoiseSchedule.Geometric(20, 1, 10), 0.1, 100, options);
            }
            else
            {
                var model = new GaussianMixture(D: 2, K: 2);
                Configure(model, device);
                result = Samplers.Langevin(model, start, 0.1, options);
            }
            using (result)
            {
                var minor = (result.Samples.select(1, 0).Add(result.Samples.select(1, 1)).Lt(0)).to_type(ScalarType.Float64).mean().item<double>();
                return new ModeWeightingResult(result.Sampler, chains, minor, System.Math.Sqrt(MinorWeight * (1 - MinorWeight) / chains), result.Steps,
                    result.Elapsed.TotalSeconds, Column(result.Samples, 0), Column(result.Samples, 1), Column(start, 0), Column(start, 1), result.Cancelled);
            }
        }

        private static void Configure(ParameterModule model, Device device)
        {
            model.to(ScalarType.Float64);
            model.SetParameter("Mu", tensor(new[] { -5.0, -5.0, 5.0, 5.0 }).reshape(2, 2));
            model.SetParameter("LogW", tensor(new[] { System.Math.Log(MinorWeight), System.Math.Log(1 - MinorWeight) }));
            model.SetParameter("Sigma", tensor(1.0));
            model.to(device);
        }

        internal static double[] Column(Tensor t, int c) => t.select(1, c).to_type(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();
    }
}
