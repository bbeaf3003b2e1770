using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Dsl.GeneratedCode;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Sampling
{
    /// <summary>The MCMC transition that leaves each intermediate distribution of a continuous AIS run invariant.</summary>
    public enum AisTransition
    {
        /// <summary>Metropolis-adjusted Langevin (<see cref="Samplers.Mala"/>) on the intermediate energy: needs the target's score.</summary>
        Mala,
        /// <summary>Random-walk Metropolis–Hastings (<see cref="Samplers.MetropolisHastings"/>) on the intermediate energy: needs only E.</summary>
        MetropolisHastings,
    }

    /// <summary>Settings of <see cref="ContinuousAis.LogPartition"/>.</summary>
    public sealed class ContinuousAisOptions
    {
        /// <summary>Independent annealing runs (chains), each giving one importance weight.</summary>
        public int Chains { get; init; } = 1000;

        /// <summary>K: the intermediate distributions, at β_k = k/K for k = 0 … K (ignored when <see cref="Betas"/> is set).</summary>
        public int Temperatures { get; init; } = 100;

        /// <summary>An explicit schedule 0 = β₀ &lt; β₁ &lt; … &lt; β_K = 1, overriding <see cref="Temperatures"/>.</summary>
        public IReadOnlyList<double>? Betas { get; init; }

        /// <summary>MCMC steps at each intermediate β_k, k ≥ 1.</summary>
        public int StepsPerTemperature { get; init; } = 1;

        /// <summary>The MCMC step: ε of MALA or the proposal scale h of Metropolis–Hastings (fixed; no adaptation, which would break AIS's weights).</summary>
        public double StepSize { get; init; } = 0.1;

        /// <summary>The transition kernel.</summary>
        public AisTransition Transition { get; init; } = AisTransition.Mala;

        /// <summary>The base distribution's mean m: p₀ = N(m·1, s²I).</summary>
        public double BaseMean { get; init; }

        /// <summary>The base distribution's standard deviation s &gt; 0.</summary>
        public double BaseStd { get; init; } = 1.0;

        /// <summary>Seed of the base draws and of every transition (the same seed gives the same estimate).</summary>
        public long Seed { get; init; }

        /// <summary>Receives a report after each temperature (Step = k, TotalSteps = K, AcceptanceRate = the running mean).</summary>
        public IProgress<SamplerProgress>? Progress { get; init; }

        /// <summary>Stops the run between temperatures; the estimate then covers β only up to the last completed one and <see cref="ContinuousAisEstimate.Cancelled"/> is set.</summary>
        public CancellationToken Cancellation { get; init; }
    }

    /// <summary>A continuous AIS estimate of log Z.</summary>
    /// <param name="LogZ">log of the mean importance weight: log (1/n) Σᵢ wᵢ.</param>
    /// <param name="StandardError">Delta-method standard error of log Z: sd(w)/(√n · mean w).</param>
    /// <param name="Chains">n, the number of weights.</param>
    /// <param name="Temperatures">K, the number of annealing steps completed.</param>
    /// <param name="EffectiveSampleSize">(Σw)²/Σw² of the final weights: n for equal weights, 1 when one dominates.</param>
    /// <param name="AcceptanceRate">Mean Metropolis acceptance over all transitions.</param>
    /// <param name="Cancelled">True when the run stopped before β = 1 (then LogZ is not log Z of the target).</param>
    public sealed record ContinuousAisEstimate(double LogZ, double StandardError, int Chains, int Temperatures, double EffectiveSampleSize,
        double AcceptanceRate, bool Cancelled);

    /// <summary>
    /// Annealed importance sampling (Neal 2001) for the partition function Z = ∫ e^{−E(x)} dx of a continuous energy model over ℝ^D.
    /// The geometric path f_β(x) = p₀(x)^{1−β} e^{−βE(x)} runs from the normalised Gaussian base p₀ = N(m·1, s²I) (Z₀ = 1) to
    /// e^{−E} (Z₁ = Z). Each chain starts at x₀ ~ p₀; for k = 1 … K it adds the log-weight increment
    /// log f_{β_k}(x) − log f_{β_{k−1}}(x) = (β_k − β_{k−1})(−E(x) − log p₀(x)) and then moves x by an MCMC transition that leaves
    /// f_{β_k} invariant (MALA or Metropolis–Hastings on E_β(x) = (1 − β)‖x − m‖²/(2s²) + βE(x), whose x-free constant cancels).
    /// E[w] = Z₁/Z₀ = Z, so log Z ≈ log mean w (the discrete-model counterpart is <see cref="Dsl.Discrete.AnnealedImportanceSampling"/>).
    /// </summary>
    public static class ContinuousAis
    {
        /// <summary>
        /// Estimates log Z of <paramref name="target"/> (a MALA transition needs an <see cref="IEnergyScoreModel"/>). The chains use
        /// <paramref name="dtype"/> and <paramref name="device"/>, by default the model's own (a <see cref="ParameterModule"/>'s parameters),
        /// else float64 on the CPU.
        /// </summary>
        public static ContinuousAisEstimate LogPartition(IEnergyModel target, ContinuousAisOptions options, ScalarType? dtype = null, Device? device = null)
        {
            const string name = "ContinuousAis";
            if (target is null) throw new ArgumentNullException(nameof(target));
            if (options is null) throw new ArgumentNullException(nameof(options), name + ": options are required (new ContinuousAisOptions { Chains = …, Temperatures = … }).");
            if (options.Chains < 2) throw new ArgumentException(name + ": Chains must be ≥ 2, got " + options.Chains + ".", nameof(options));
            if (options.Betas is null && options.Temperatures < 1) throw new ArgumentException(name + ": Temperatures must be ≥ 1, got " + options.Temperatures + ".", nameof(options));
            if (options.StepsPerTemperature < 1) throw new ArgumentException(name + ": StepsPerTemperature must be ≥ 1, got " + options.StepsPerTemperature + ".", nameof(options));
            ChainLoop.CheckStepSize(name, nameof(options.StepSize), options.StepSize);
            ChainLoop.CheckStepSize(name, nameof(options.BaseStd), options.BaseStd);
            if (double.IsNaN(options.BaseMean) || double.IsInfinity(options.BaseMean)) throw new ArgumentException(name + ": BaseMean must be finite.", nameof(options));
            if (ModelSupport.Of(target) != SupportKind.RealLine)
                throw new ArgumentException(name + ": '" + target.ModelName + "' declares a constrained support; the Gaussian path and its transitions assume ℝ^D.", nameof(target));
            if (options.Transition == AisTransition.Mala && target is not IEnergyScoreModel)
                throw new ArgumentException(name + ": MALA needs the score; '" + target.ModelName + "' is not an IEnergyScoreModel (use AisTransition.MetropolisHastings).", nameof(options));
            var betas = options.Betas?.ToArray() ?? Discrete.AnnealedImportanceSampling.LinearSchedule(options.Temperatures);
            if (betas.Length < 2 || betas[0] != 0 || betas[betas.Length - 1] != 1 || betas.Zip(betas.Skip(1), (a, b) => b > a).Any(up => !up))
                throw new ArgumentException(name + ": betas must increase strictly from 0 to 1.", nameof(options));

            var module = target as ParameterModule;
            var type = dtype ?? (module?.DType ?? ScalarType.Float64);
            device ??= module?.Device ?? CPU;
            int n = options.Chains, d = target.Dim;
            double m = options.BaseMean, s = options.BaseStd;
            double logNormaliser = -0.5 * d * System.Math.Log(2 * System.Math.PI * s * s);
            using var noGrad = no_grad();
            using var generator = new Generator((ulong)options.Seed, device);
            var x = empty(new long[] { n, d }, type, device).normal_(m, s, generator: generator);
            var logWeight = zeros(n, dtype: type, device: device);
            double acceptance = 0;
            int completed = 0;
            bool cancelled = false;
            try
            {
                for (int k = 1; k < betas.Length; k++)
                {
                    if (options.Cancellation.IsCancellationRequested) { cancelled = true; break; }
                    using (var step = NewDisposeScope())
                    {
                        // Δ log w = (β_k − β_{k−1})(−E(x) − log p₀(x)), log p₀(x) = −‖x − m‖²/(2s²) + logNormaliser.
                        var e = target.EnergyNoGrad(x);
                        var logBase = x.Sub(m).Square().sum(1).Mul_(-0.5 / (s * s)).Add_(logNormaliser);
                        var increment = e.neg().sub_(logBase).Mul_(betas[k] - betas[k - 1]);
                        logWeight.Add_(increment);
                    }
                    var tempered = Tempered.Create(target, betas[k], m, s);
                    var run = new SamplerOptions { Steps = options.StepsPerTemperature, BurnIn = 0, Seed = unchecked(options.Seed * 1_000_003L + k) };
                    using var result = options.Transition == AisTransition.Mala
                        ? Samplers.Mala((IEnergyScoreModel)tempered, x, options.StepSize, run)
                        : Samplers.MetropolisHastings(tempered, x, options.StepSize, run);
                    var next = result.Samples.clone();
                    x.Dispose();
                    x = next;
                    acceptance += result.AcceptanceRate;
                    completed = k;
                    options.Progress?.Report(new SamplerProgress(name, k, betas.Length - 1, acceptance / k));
                }
                // log mean w = max + log mean e^{log w − max}; SE by the delta method, sd(w)/(√n mean w); ESS = (Σw)²/Σw².
                using var summary = NewDisposeScope();
                double max = logWeight.max().ToDoubleValue();
                var w = logWeight.Sub(max).exp_();
                double mean = w.mean().ToDoubleValue();
                double sd = w.std().ToDoubleValue();
                double sumSq = w.Square().sum().ToDoubleValue();
                double ess = mean * mean * n * n / sumSq;
                return new ContinuousAisEstimate(max + System.Math.Log(mean), sd / (System.Math.Sqrt(n) * mean), n, completed, ess,
                    completed > 0 ? acceptance / completed : double.NaN, cancelled);
            }
            finally
            {
                x.Dispose();
                logWeight.Dispose();
            }
        }

        /// <summary>E_β(x) = (1 − β)‖x − m‖²/(2s²) + βE(x) and its score −(1 − β)(x − m)/s² + β s(x).</summary>
        private class Tempered : IEnergyModel
        {
            protected readonly IEnergyModel target;
            protected readonly double beta, mean, std;

            protected Tempered(IEnergyModel target, double beta, double mean, double std) { this.target = target; this.beta = beta; this.mean = mean; this.std = std; }

            public static Tempered Create(IEnergyModel target, double beta, double mean, double std) =>
                target is IEnergyScoreModel ? new TemperedWithScore(target, beta, mean, std) : new Tempered(target, beta, mean, std);

            public string ModelName => target.ModelName + "@β=" + beta.ToString("G4", System.Globalization.CultureInfo.InvariantCulture);
            public int Dim => target.Dim;

            public Tensor Energy(Tensor x) { using var e = target.Energy(x); return Combine(x, e); }
            public Tensor EnergyNoGrad(Tensor x) { using var e = target.EnergyNoGrad(x); return Combine(x, e); }

            protected Tensor Combine(Tensor x, Tensor e)
            {
                using var scope = NewDisposeScope();
                var quadratic = x.Sub(mean).Square().sum(1).Mul_((1 - beta) / (2 * std * std));
                return quadratic.Add_(e, beta).MoveToOuterDisposeScope();
            }

            protected Tensor CombineScore(Tensor x, Tensor s)
            {
                using var scope = NewDisposeScope();
                return x.Sub(mean).Mul_(-(1 - beta) / (std * std)).Add_(s, beta).MoveToOuterDisposeScope();
            }
        }

        private sealed class TemperedWithScore : Tempered, IEnergyScoreModel
        {
            private readonly IEnergyScoreModel scored;

            public TemperedWithScore(IEnergyModel target, double beta, double mean, double std) : base(target, beta, mean, std) => scored = (IEnergyScoreModel)target;

            public Tensor Score(Tensor x) { using var s = scored.Score(x); return CombineScore(x, s); }
            public Tensor ScoreNoGrad(Tensor x) { using var s = scored.ScoreNoGrad(x); return CombineScore(x, s); }

            public (Tensor Energy, Tensor Score) EnergyAndScore(Tensor x)
            {
                var (e, s) = scored.EnergyAndScore(x);
                using (e) using (s) return (Combine(x, e), CombineScore(x, s));
            }

            public (Tensor Energy, Tensor Score) EnergyAndScoreNoGrad(Tensor x)
            {
                var (e, s) = scored.EnergyAndScoreNoGrad(x);
                using (e) using (s) return (Combine(x, e), CombineScore(x, s));
            }
        }
    }
}
