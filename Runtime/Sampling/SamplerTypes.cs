using System;
using System.Threading;
using static TorchSharp.torch;

namespace Dsl.Sampling
{
    /// <summary>What every sampler shares: how long to run, what to record, the seed, progress and cancellation.</summary>
    public sealed class SamplerOptions
    {
        /// <summary>Steps after burn-in (the ones whose acceptance is reported and whose states may be recorded).</summary>
        public int Steps { get; init; } = 1000;

        /// <summary>Steps run first and discarded; adaptive step sizes adapt only here, so the chain after it is a valid MCMC chain.</summary>
        public int BurnIn { get; init; }

        /// <summary>Record every <c>Thin</c>-th state after burn-in into <see cref="SamplerResult.Trajectory"/>; 0 records nothing.</summary>
        public int Thin { get; init; }

        /// <summary>Seed of the sampler's own torch.Generator: the same seed and start give the same chains.</summary>
        public long Seed { get; init; }

        /// <summary>Check the chains for NaN/Inf every this many steps (1 = every step; the check costs one reduction).</summary>
        public int CheckFiniteEvery { get; init; } = 1;

        /// <summary>Receives progress about a hundred times per run.</summary>
        public IProgress<SamplerProgress>? Progress { get; init; }

        /// <summary>Stops the run between steps; the result then holds the chains so far and <see cref="SamplerResult.Cancelled"/>.</summary>
        public CancellationToken Cancellation { get; init; }

        internal void Validate(string sampler)
        {
            if (Steps < 0) throw new ArgumentException(sampler + ": Steps must be ≥ 0, got " + Steps + ".", nameof(Steps));
            if (BurnIn < 0) throw new ArgumentException(sampler + ": BurnIn must be ≥ 0, got " + BurnIn + ".", nameof(BurnIn));
            if (Thin < 0) throw new ArgumentException(sampler + ": Thin must be ≥ 0 (0 records no trajectory), got " + Thin + ".", nameof(Thin));
            if (CheckFiniteEvery < 1) throw new ArgumentException(sampler + ": CheckFiniteEvery must be ≥ 1, got " + CheckFiniteEvery + ".", nameof(CheckFiniteEvery));
        }
    }

    /// <summary>A progress report: the step reached (burn-in included), the total, and the running acceptance rate (NaN for unadjusted samplers).</summary>
    public readonly record struct SamplerProgress(string Sampler, long Step, long TotalSteps, double AcceptanceRate);

    /// <summary>
    /// Samples and diagnostics of one run. Owns its tensors: dispose it (or move the tensors out) when done.
    /// </summary>
    public sealed class SamplerResult : IDisposable
    {
        internal SamplerResult(string sampler, Tensor samples, Tensor? trajectory, long steps, double acceptanceRate, double finalStepSize, TimeSpan elapsed, bool cancelled)
        {
            Sampler = sampler; Samples = samples; Trajectory = trajectory; Steps = steps; AcceptanceRate = acceptanceRate;
            FinalStepSize = finalStepSize; Elapsed = elapsed; Cancelled = cancelled;
        }

        /// <summary>The sampler's name.</summary>
        public string Sampler { get; }

        /// <summary>The final state of every chain: [N, D].</summary>
        public Tensor Samples { get; }

        /// <summary>Recorded states after burn-in, every Thin-th step: [T, N, D]; null when Thin = 0.</summary>
        public Tensor? Trajectory { get; }

        /// <summary>Steps run in total, burn-in included.</summary>
        public long Steps { get; }

        /// <summary>Mean Metropolis acceptance over chains and post-burn-in steps (over burn-in when Steps = 0); NaN for unadjusted samplers.</summary>
        public double AcceptanceRate { get; }

        /// <summary>The step size used after burn-in (the adapted one when adaptation was on).</summary>
        public double FinalStepSize { get; }

        /// <summary>Wall-clock time of the run.</summary>
        public TimeSpan Elapsed { get; }

        /// <summary>True when the run stopped early at the cancellation token's request.</summary>
        public bool Cancelled { get; }

        /// <summary>Disposes the tensors.</summary>
        public void Dispose()
        {
            Samples.Dispose();
            Trajectory?.Dispose();
        }
    }

    /// <summary>Thrown when a chain leaves the finite numbers: the step size is too large for the model.</summary>
    public sealed class SamplerDivergedException : ArithmeticException
    {
        /// <summary>Creates the exception.</summary>
        public SamplerDivergedException(string sampler, string model, long step, double stepSize)
            : base(sampler + " on " + model + ": a chain became NaN or Inf at step " + step + " with step size " + stepSize.ToString("G4", System.Globalization.CultureInfo.InvariantCulture)
                + ". The step is too large for this model's curvature; try a smaller step (e.g. " + (stepSize / 10).ToString("G3", System.Globalization.CultureInfo.InvariantCulture) + ").")
        {
            Sampler = sampler; Model = model; Step = step; StepSize = stepSize;
        }

        /// <summary>The sampler.</summary>
        public string Sampler { get; }
        /// <summary>The model.</summary>
        public string Model { get; }
        /// <summary>The step at which the non-finite value was detected.</summary>
        public long Step { get; }
        /// <summary>The step size in use.</summary>
        public double StepSize { get; }
    }
}
