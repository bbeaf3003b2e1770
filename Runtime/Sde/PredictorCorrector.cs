using System;
using Dsl.GeneratedCode;
using Dsl.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Sde
{
    /// <summary>
    /// One time step of a reverse-time run as its predictor and corrector see it (score_sde's <c>update_fn(x, t)</c> arguments,
    /// typed): the SDE, the score, the run's generator, the step's time t (the step goes from t to t − Δt) and the buffers the
    /// run reuses. Made by <see cref="SdeSolvers.Sample(ISde, ITimeScoreModel, long, SdePredictor?, SdeCorrector?, SdeSamplerOptions, ScalarType, Device?)"/>;
    /// a predictor or corrector only reads it and calls <see cref="Score"/>.
    /// </summary>
    public sealed class SdeStepContext
    {
        private readonly string entryPoint;
        private readonly Tensor timeBuffer;
        private bool timeFilled;
        private ulong? noiseKey;
        private int drawsThisStep;
        private Tensor? scoreBuffer;
        private double[]? normPartials;

        internal SdeStepContext(ISde sde, ITimeScoreModel model, Generator generator, long n, int steps, double dt, bool denoise, bool hasCorrector, string entryPoint, Tensor timeBuffer)
        {
            Sde = sde; Model = model; Generator = generator; N = n; Steps = steps; Dt = dt; Denoise = denoise; HasCorrector = hasCorrector;
            this.entryPoint = entryPoint; this.timeBuffer = timeBuffer;
        }

        /// <summary>The SDE being reversed.</summary>
        public ISde Sde { get; }
        /// <summary>The score model s(x, t).</summary>
        public ITimeScoreModel Model { get; }
        /// <summary>The run's generator (seeded from <see cref="SdeSamplerOptions.Seed"/>): draw every random number from it.</summary>
        public Generator Generator { get; }
        /// <summary>The number of samples N.</summary>
        public long N { get; }
        /// <summary>The number of time steps of the run.</summary>
        public int Steps { get; }
        /// <summary>The current step's length Δt &gt; 0: (T − ε)/Steps on equal steps, grid[Step] − grid[Step + 1] on a <see cref="SdeSamplerOptions.Grid"/>.</summary>
        public double Dt { get; private set; }
        /// <summary>Whether the run returns the noise-free mean of the last predictor step.</summary>
        public bool Denoise { get; }
        /// <summary>Whether the run has a corrector besides the predictor.</summary>
        public bool HasCorrector { get; }
        /// <summary>The index of the current step, 0 … Steps − 1.</summary>
        public int Step { get; private set; }
        /// <summary>The current time t (T − Step·Δt on equal steps, grid[Step] on a grid); the step ends at t − Δt.</summary>
        public double Time { get; private set; }
        /// <summary>Whether this is the run's last step.</summary>
        public bool IsLastStep => Step == Steps - 1;
        /// <summary>Score evaluations so far (the run's NFE).</summary>
        public int Evaluations { get; private set; }

        /// <summary>The current time as a [N] tensor of x's dtype and device (one buffer for the run, filled once per step on first use).</summary>
        public Tensor TimeTensor
        {
            get
            {
                if (!timeFilled) { timeBuffer.Fill_(Time); timeFilled = true; }
                return timeBuffer;
            }
        }

        /// <summary>s(x, t) at the current time, checked to be [N, D]; counts one evaluation.</summary>
        public Tensor Score(Tensor x)
        {
            var s = ScoreOutput.CheckShape(entryPoint, Model.ModelName, Model.Score(x, TimeTensor), x);
            Evaluations++;
            return s;
        }

        /// <summary>Counts a score evaluation made without <see cref="Score"/> (a fused step that evaluates the score itself).</summary>
        public void CountEvaluation() => Evaluations++;

        /// <summary>The run's counter-noise key, drawn from <see cref="Generator"/> on first use (so a run that never asks draws nothing).</summary>
        public ulong CounterNoiseKey() => noiseKey ??= CounterRandom.KeyFrom(Generator);

        internal string EntryPoint => entryPoint;

        /// <summary>
        /// The next noise of the current step from the run's counter-based stream: draw k of step i (k counting from 0 at each
        /// step, corrector and predictor draws alike) is elements k·N·D … of <see cref="CounterRandom.SubKey"/>(run key, i), so
        /// the first draw of a step is <see cref="CounterNoise.ForStep"/>(run key, i).
        /// </summary>
        internal CounterNoise StepNoise(Tensor x) => new CounterNoise(CounterRandom.SubKey(CounterNoiseKey(), Step), drawsThisStep++ * x.numel());

        /// <summary>A buffer of x's shape, dtype and device for a score, allocated on first use and kept for the run.</summary>
        internal Tensor ScoreBuffer(Tensor x)
        {
            if (scoreBuffer is null || !scoreBuffer.shape.AsSpan().SequenceEqual(x.shape) || scoreBuffer.dtype != x.dtype || scoreBuffer.device_type != x.device_type)
            {
                scoreBuffer?.Dispose();
                scoreBuffer = empty_like(x).DetachFromDisposeScope();
            }
            return scoreBuffer;
        }

        /// <summary>The partial sums of the corrector's norm pass (two per block of rows), kept for the run.</summary>
        internal double[] NormPartials(Tensor x)
        {
            int length = 2 * SharedTimeSteps.Blocks(x.shape[0]);
            if (normPartials is null || normPartials.Length < length) normPartials = new double[length];
            return normPartials;
        }

        /// <summary>Disposes the buffers kept for the run (called when it ends).</summary>
        internal void DisposeBuffers()
        {
            scoreBuffer?.Dispose();
            scoreBuffer = null;
        }

        /// <summary>
        /// True while a corrector runs after the predictor (<see cref="PcOrder.PredictorFirst"/>): <see cref="Time"/> is then the step's
        /// end time t − Δt, and the step just taken covered [Time, Time + Dt].
        /// </summary>
        public bool AfterPredictor { get; private set; }

        internal void Begin(int step, double time, double dt)
        {
            Step = step; Time = time; Dt = dt; timeFilled = false; AfterPredictor = false; drawsThisStep = 0;
        }

        internal void BeginCorrectionAfterPredictor(double time)
        {
            Time = time; timeFilled = false; AfterPredictor = true;
        }
    }

    /// <summary>
    /// What a predictor step returns: the next state and, when the predictor has one, its noise-free mean (which
    /// <see cref="SdeSamplerOptions.Denoise"/> returns after the last step).
    /// </summary>
    /// <param name="Next">The state at t − Δt: the <c>noise</c> buffer the step was given, <c>x</c> itself (updated in place) or a fresh tensor.</param>
    /// <param name="Mean">The noise-free mean of the step, or null; a fresh tensor the run takes over.</param>
    public readonly record struct PredictorStep(Tensor Next, Tensor? Mean);

    /// <summary>
    /// The predictor of a reverse-time sampler: one step from t to t − Δt (score_sde's <c>Predictor.update_fn</c>). Subclass it to
    /// add one; <see cref="SdeSolvers.Sample(ISde, ITimeScoreModel, long, SdePredictor?, SdeCorrector?, SdeSamplerOptions, ScalarType, Device?)"/>
    /// runs it, with its run loop's checks, progress reporting, cancellation, trajectory and denoising.
    /// </summary>
    public abstract class SdePredictor
    {
        /// <summary>The name in messages and progress reports (e.g. "Reverse Euler–Maruyama").</summary>
        public abstract string Name { get; }

        /// <summary>Whether the predictor needs the SDE's Gaussian perturbation kernel (a drift a(t)·x); the run refuses other SDEs.</summary>
        public virtual bool RequiresGaussianKernel => false;

        /// <summary>
        /// One step at <see cref="SdeStepContext.Time"/>. <paramref name="x"/> is the state [N, D] (the step may overwrite it);
        /// <paramref name="noise"/> is a scratch buffer of x's shape, dtype and device that the step may fill and return as the next state.
        /// Runs under no_grad inside a dispose scope of its own.
        /// </summary>
        public abstract PredictorStep Step(SdeStepContext context, Tensor x, Tensor noise);
    }

    /// <summary>
    /// The corrector of a predictor–corrector sampler: one MCMC step at the current time t (score_sde's <c>Corrector.update_fn</c>),
    /// run <see cref="SdeSamplerOptions.CorrectorSteps"/> times before each predictor step. Subclass it to add one.
    /// </summary>
    public abstract class SdeCorrector
    {
        /// <summary>The name in messages when the corrector runs alone (e.g. "Langevin corrector").</summary>
        public abstract string Name { get; }

        /// <summary>Whether the corrector needs the SDE's Gaussian perturbation kernel; the run refuses other SDEs.</summary>
        public virtual bool RequiresGaussianKernel => false;

        /// <summary>
        /// One corrector step at <see cref="SdeStepContext.Time"/>; returns the new state: <paramref name="noise"/> (a scratch buffer
        /// of x's shape), <paramref name="x"/> updated in place, or a fresh tensor. Runs under no_grad inside a dispose scope of its own.
        /// </summary>
        public abstract Tensor Step(SdeStepContext context, Tensor x, Tensor noise);
    }

    /// <summary>
    /// Reverse Euler–Maruyama: x ← x − [f − g²s]Δt + g√Δt z (score_sde's EulerMaruyamaPredictor). For an SDE with drift a(t)·x
    /// and no corrector, every sample shares t, so the step is (1 − aΔt)x + g²Δt s + g√Δt z with a, g computed once per step — in one
    /// fused pass with counter noise when the score is <see cref="TimeScores.FromPerturbedData"/> of a generated noise-conditional model on the CPU.
    /// </summary>
    public sealed class EulerMaruyamaPredictor : SdePredictor
    {
        /// <inheritdoc/>
        public override string Name => "Reverse Euler–Maruyama";

        /// <inheritdoc/>
        public override PredictorStep Step(SdeStepContext context, Tensor x, Tensor noise)
        {
            var sde = context.Sde;
            double time = context.Time, dt = context.Dt;
            if (!context.HasCorrector && sde.HasGaussianKernel) return SharedTimeStep(context, x, noise);
            var s = context.Score(x);
            noise.normal_(0, 1, generator: context.Generator);
            var t = context.TimeTensor;
            if (sde is IGeneralSde general && (general.DiffusionForm != DiffusionForm.Scalar || general.DiffusionDependsOnState))
            {
                // x − [f − GGᵀs]·dt + G√Δt z for a per-coordinate, matrix or state-dependent diffusion
                var mean = sde.ReverseDrift(x, t, s).Mul_(-dt).Add_(x);
                var next = general.DiffusionTimes(x, t, noise).Mul_(System.Math.Sqrt(dt)).Add_(mean);
                noise.copy_(next);
                next.Dispose();
                return new PredictorStep(noise, mean);
            }
            var g = sde.Diffusion(t).unsqueeze(1);
            // x − [f − g²s]·dt (dt > 0 here: the reverse step goes back in time), written into the fresh drift
            var xMean = sde.ReverseDrift(x, t, s).Mul_(-dt).Add_(x);
            noise.mul_(g).Mul_(System.Math.Sqrt(dt));
            noise.Add_(xMean);                                    // the noise plus the mean: the next state
            return new PredictorStep(noise, xMean);
        }

        private static PredictorStep SharedTimeStep(SdeStepContext context, Tensor x, Tensor noise)
        {
            // Every sample sits at the same t, and the drift is a(t)·x: the reverse step is
            // x − [a x − g² s]Δt + g√Δt z = (1 − aΔt) x + g²Δt s + g√Δt z with a, g in float64 once per step,
            // two passes over x after the noise draw (scaled by the RNG call itself) — or one fused pass, below.
            var sde = context.Sde;
            double time = context.Time, dt = context.Dt;
            double a = sde.DriftCoefficientAt(time), g = sde.DiffusionAt(time);
            bool last = context.Denoise && context.IsLastStep;
            var shared = context.Model as ISharedTimeScoreModel;
            // A generated noise-conditional data model on the CPU: score, update and noise in one pass, z from a
            // counter-based stream keyed once per run from the generator (the same numbers whatever the chunking).
            if (!last && shared is not null && x.device_type == DeviceType.CPU
                && shared.TryStepNoGrad(x, time, 1 - a * dt, g * g * dt, g * System.Math.Sqrt(dt), context.StepNoise(x), noise))
            {
                context.CountEvaluation();
                return new PredictorStep(noise, null);
            }
            Tensor s;
            if (shared is not null)
            {
                s = ScoreOutput.CheckShape(context.EntryPoint, context.Model.ModelName, shared.ScoreAtNoGrad(x, time), x);
                context.CountEvaluation();
            }
            else s = context.Score(x);
            Tensor? mean = last ? (s.Mul((g * g * dt))).Add_(x, alpha: 1 - a * dt) : null;
            noise.normal_(0, g * System.Math.Sqrt(dt), generator: context.Generator).Add_(s, alpha: g * g * dt).Add_(x, alpha: 1 - a * dt);
            return new PredictorStep(noise, mean);
        }
    }

    /// <summary>
    /// Reverse diffusion (Song et al. 2021, Eq. 46; score_sde's ReverseDiffusionPredictor) on the kernel's exact one-step
    /// discretisation x_t = αx_{t−Δt} + √β z: x_{t−Δt} = x − (α − 1)x + βs + √β z. With <see cref="TimeScores.FromPerturbedData"/>
    /// of a generated noise-conditional model and x a contiguous float CPU tensor, the step is (2 − α)x + βs + √β z in one
    /// fused pass with z from the run's counter-based stream (docs/sde.md, "Predictor–corrector on the shared-time host path").
    /// </summary>
    public sealed class ReverseDiffusionPredictor : SdePredictor
    {
        /// <inheritdoc/>
        public override string Name => "Reverse diffusion";

        /// <inheritdoc/>
        public override bool RequiresGaussianKernel => true;

        /// <inheritdoc/>
        public override PredictorStep Step(SdeStepContext context, Tensor x, Tensor noise)
        {
            if (SharedTimeSteps.Applies(context, x, out var shared))
            {
                // x_{t−Δt} = (2 − α)x + βs + √β z: the shared-time step c·x + a·s + b·z with c = 2 − α, a = β, b = √β, in one fused pass.
                var (alpha, b2) = SdeSolvers.Transition(context.Sde, context.Time, context.Dt);
                return SharedTimeSteps.Predict(context, shared, x, noise, 2 - alpha, b2, System.Math.Sqrt(b2));
            }
            var s = context.Score(x);
            noise.normal_(0, 1, generator: context.Generator);
            var (a, beta) = SdeSolvers.Transition(context.Sde, context.Time, context.Dt);
            // x_{t−Δt} = x − f + G² s + G z with f = (α − 1)x, G² = β (the discretisation's forward step).
            var xMean = (x - x.Mul((a - 1))).Add(s.Mul(beta));
            noise.Mul_(System.Math.Sqrt(beta));
            noise.Add_(xMean);                                    // the noise plus the mean: the next state
            return new PredictorStep(noise, xMean);
        }
    }

    /// <summary>
    /// Langevin MCMC with the signal-to-noise step rule (Song et al. 2021, Algorithm 4; score_sde's LangevinCorrector):
    /// x ← x + εs + √(2ε) z with ε = 2α(r‖z‖/‖s‖)², α = 1 − β for a contracting (VP-type) step and 1 otherwise; or, made by
    /// <see cref="FixedStep(double)"/>, with a fixed step ε = γ (the lecture's x ← x + γ∇log p_t(x) + √(2γ) z). With
    /// <see cref="TimeScores.FromPerturbedData"/> of a generated noise-conditional model and x a contiguous float CPU tensor, the
    /// fixed step is one fused pass and the signal-to-noise step a fused score pass (no noise drawn) plus two host passes (z and
    /// the batch-mean norms; the update in place), z from the run's counter-based stream.
    /// </summary>
    public sealed class LangevinCorrector : SdeCorrector
    {
        /// <summary>A corrector with signal-to-noise ratio <paramref name="snr"/> = r &gt; 0.</summary>
        public LangevinCorrector(double snr = 0.16) : this(snr, validate: true)
        {
        }

        // The enum entry point passes its options' Snr unchecked: the run reports a bad one in its own words.
        internal LangevinCorrector(double snr, bool validate)
        {
            if (validate && !(snr > 0)) throw new ArgumentOutOfRangeException(nameof(snr), snr, "LangevinCorrector: the signal-to-noise ratio must be positive.");
            Snr = snr;
        }

        private LangevinCorrector(double? stepSize)
        {
            Snr = double.NaN;
            StepSize = stepSize;
        }

        /// <summary>A corrector with the fixed step γ &gt; 0: x ← x + γs(x, t) + √(2γ) z at every time t.</summary>
        public static LangevinCorrector FixedStep(double gamma) => FixedStep(gamma, validate: true);

        internal static LangevinCorrector FixedStep(double gamma, bool validate)
        {
            if (validate && !(gamma > 0 && !double.IsInfinity(gamma))) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "LangevinCorrector.FixedStep: the step γ must be a finite number > 0.");
            return new LangevinCorrector((double?)gamma);
        }

        /// <summary>The signal-to-noise ratio r (NaN for a fixed-step corrector).</summary>
        public double Snr { get; }

        /// <summary>The fixed step γ, or null when the step follows the signal-to-noise rule.</summary>
        public double? StepSize { get; }

        /// <inheritdoc/>
        public override string Name => "Langevin corrector";

        /// <inheritdoc/>
        public override bool RequiresGaussianKernel => true;

        /// <inheritdoc/>
        public override Tensor Step(SdeStepContext context, Tensor x, Tensor noise)
        {
            long n = context.N;
            if (SharedTimeSteps.Applies(context, x, out var shared))
            {
                // Fixed step: x + γs + √(2γ)z, one fused pass (c = 1, a = γ, b = √(2γ)) into the noise buffer. SNR rule: three passes
                // (score; z and the norms; the update), x updated in place.
                if (StepSize is double fixedStep)
                {
                    SharedTimeSteps.Combine(context, shared, x, 1, fixedStep, System.Math.Sqrt(2 * fixedStep), context.StepNoise(x), noise);
                    return noise;
                }
                double stepAlpha = SdeSolvers.StepAlpha(context.Sde, context.AfterPredictor ? context.Time + context.Dt : context.Time, context.Dt);
                return SharedTimeSteps.LangevinSnr(context, shared, x, noise, Snr, stepAlpha);
            }
            var grad = context.Score(x);
            noise.normal_(0, 1, generator: context.Generator);
            double stepSize;
            if (StepSize is double gamma) stepSize = gamma;
            else
            {
                // α of the transition over [t − Δt, t]: the step about to be taken, or (after the predictor) the one just taken.
                double alpha = SdeSolvers.StepAlpha(context.Sde, context.AfterPredictor ? context.Time + context.Dt : context.Time, context.Dt);
                double gradNorm = grad.reshape(n, -1).norm(1).mean().ToDoubleValue();
                double noiseNorm = noise.reshape(n, -1).norm(1).mean().ToDoubleValue();
                stepSize = 2 * alpha * System.Math.Pow(Snr * noiseNorm / System.Math.Max(gradNorm, 1e-30), 2);
            }
            var corrected = (grad.Mul(stepSize)).Add_(x);                    // x + s·step
            noise.Mul_(System.Math.Sqrt(2 * stepSize)).Add_(corrected);     // + √(2·step) z
            return noise;
        }
    }
}
