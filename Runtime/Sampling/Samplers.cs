using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.GeneratedCode;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Sampling
{
    /// <summary>
    /// MCMC and Langevin samplers over the generated model interfaces, batched over chains (one row of x per
    /// chain) and seeded by <see cref="SamplerOptions.Seed"/>. Every call returns a <see cref="SamplerResult"/>.
    /// </summary>
    public static class Samplers
    {
        /// <summary>
        /// Random-walk Metropolis–Hastings: propose y = x + h·z with z ~ N(0, I), accept with probability
        /// min(1, exp(E(x) − E(y))). Needs only the energy. With <paramref name="adaptStep"/> the proposal scale
        /// h adapts during burn-in towards <paramref name="targetAcceptance"/> (0.234, Roberts et al. 1997).
        /// </summary>
        public static SamplerResult MetropolisHastings(IEnergyModel model, Tensor x0, double stepSize, SamplerOptions options,
            bool adaptStep = false, double targetAcceptance = 0.234)
        {
            const string name = "Metropolis–Hastings";
            ChainLoop.CheckStart(name, model, x0);
            ChainLoop.CheckStepSize(name, nameof(stepSize), stepSize);
            CheckTarget(name, targetAcceptance);
            return ChainLoop.Run(name, model, x0, new MetropolisKernel(model), stepSize, options, adaptStep ? targetAcceptance : null);
        }

        /// <summary>
        /// Unadjusted Langevin dynamics: x ← x + (ε/2)·s(x) + √ε·z, z ~ N(0, I). Biased by O(ε); exact as ε → 0.
        /// </summary>
        public static SamplerResult Langevin(IScoreModel model, Tensor x0, double epsilon, SamplerOptions options)
        {
            const string name = "Langevin";
            ChainLoop.CheckStart(name, model, x0);
            ChainLoop.CheckStepSize(name, nameof(epsilon), epsilon);
            return ChainLoop.Run(name, model, x0, new LangevinKernel(model, name), epsilon, options, null);
        }

        /// <summary>
        /// Metropolis-adjusted Langevin (MALA): the Langevin move y = x + (ε/2)s(x) + √ε z as a proposal, accepted with
        /// min(1, exp(E(x) − E(y)) q(x|y)/q(y|x)), q(y|x) = N(y; x + (ε/2)s(x), εI). Unbiased for any ε. With
        /// <paramref name="adaptStep"/>, ε adapts during burn-in towards <paramref name="targetAcceptance"/> (0.574, Roberts &amp; Rosenthal 1998).
        /// </summary>
        public static SamplerResult Mala(IEnergyScoreModel model, Tensor x0, double epsilon, SamplerOptions options,
            bool adaptStep = false, double targetAcceptance = 0.574)
        {
            const string name = "MALA";
            ChainLoop.CheckStart(name, model, x0);
            ChainLoop.CheckStepSize(name, nameof(epsilon), epsilon);
            CheckTarget(name, targetAcceptance);
            return ChainLoop.Run(name, model, x0, new MalaKernel(model, name), epsilon, options, adaptStep ? targetAcceptance : null);
        }

        /// <summary>
        /// Annealed Langevin dynamics (Song &amp; Ermon 2019, Algorithm 1): for each noise level σᵢ of the decreasing
        /// <paramref name="sigmas"/>, <paramref name="stepsPerLevel"/> Langevin steps with αᵢ = ε·σᵢ²/σ_L² on the
        /// noise-conditional score s(x, σᵢ). <see cref="SamplerOptions.Steps"/> and BurnIn are ignored: the run is
        /// L·T steps; Thin records along the whole run.
        /// </summary>
        public static SamplerResult AnnealedLangevin(INoiseConditionalModel model, Tensor x0, IReadOnlyList<double> sigmas, double epsilon,
            int stepsPerLevel, SamplerOptions options)
        {
            const string name = "Annealed Langevin";
            ChainLoop.CheckStart(name, model, x0);
            ChainLoop.CheckStepSize(name, nameof(epsilon), epsilon);
            NoiseSchedule.CheckDecreasing(name, sigmas, nameof(sigmas));
            if (stepsPerLevel < 1) throw new ArgumentException(name + ": stepsPerLevel must be ≥ 1, got " + stepsPerLevel + ".", nameof(stepsPerLevel));
            var levels = sigmas.ToArray();
            double last = levels[levels.Length - 1];
            var run = new SamplerOptions
            {
                Steps = levels.Length * stepsPerLevel, BurnIn = 0, Thin = options.Thin, Seed = options.Seed,
                CheckFiniteEvery = options.CheckFiniteEvery, Progress = options.Progress, Cancellation = options.Cancellation,
            };
            int Level(long t) => (int)System.Math.Min(levels.Length - 1, t / stepsPerLevel);
            var kernel = new AnnealedKernel(model, levels, stepsPerLevel, name);
            return ChainLoop.Run(name, model, x0, kernel, epsilon, run, null, t => epsilon * levels[Level(t)] * levels[Level(t)] / (last * last));
        }

        /// <summary>
        /// One unadjusted Langevin step x + (ε/2)·s(x) + √ε·z for every row of <paramref name="x"/>, returning a new tensor
        /// (x is not modified): the building block for users' own loops and for benchmarks.
        /// </summary>
        public static Tensor LangevinStep(IScoreModel model, Tensor x, double epsilon, Generator generator)
        {
            ChainLoop.CheckStepSize("LangevinStep", nameof(epsilon), epsilon);
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            // The generated fused update on the CPU: score, update and the noise draw in one pass over x, z from a counter-based
            // stream keyed by one call on the generator.
            if (FastPaths.CounterNoiseStep(model, x, intoBuffer: false, out var counter))
                return counter.ScoreStepNoGrad(x, epsilon / 2, System.Math.Sqrt(epsilon), new CounterNoise(CounterRandom.KeyFrom(generator), 0)).MoveToOuterDisposeScope();
            if (FastPaths.ScoreStep(model, out var step))           // the generated fused update: one pass over x
                return step.ScoreStepNoGrad(x, epsilon / 2, Normal(x, generator), System.Math.Sqrt(epsilon)).MoveToOuterDisposeScope();
            return Normal(x, generator).Mul_(System.Math.Sqrt(epsilon)).Add_(ScoreOutput.CheckShape("Samplers.LangevinStep", model.ModelName, model.ScoreNoGrad(x), x), alpha: epsilon / 2).Add_(x).MoveToOuterDisposeScope();
        }

        /// <summary>A noise-conditional model frozen at one noise level σ, as a plain score model (for Langevin at a fixed σ).</summary>
        public static IScoreModel AtNoiseLevel(this INoiseConditionalModel model, double sigma) => new FixedNoiseLevel(model, sigma);

        private static void CheckTarget(string sampler, double target)
        {
            if (!(target > 0 && target < 1))
                throw new ArgumentException(sampler + ": targetAcceptance must lie in (0, 1), got " + target.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".", "targetAcceptance");
        }

        private static Tensor Normal(Tensor like, Generator g) => empty_like(like).normal_(0, 1, generator: g);

        private sealed class MetropolisKernel : TransitionKernel
        {
            private readonly IEnergyModel model;
            private readonly SupportKind support;
            private Tensor x = null!;
            private Tensor e = null!;

            public MetropolisKernel(IEnergyModel model) { this.model = model; support = ModelSupport.Of(model); }

            public override Tensor Current => x;

            private Tensor y = null!, logU = null!;

            public override void Start(Tensor start)
            {
                x = start; e = model.EnergyNoGrad(x);
                y = empty_like(x);                                     // the proposal and log u: buffers reused every step
                logU = empty(new long[] { x.shape[0] }, x.dtype, x.device);
            }

            public override Tensor? Step(long step, double h, Generator g)
            {
                using var scope = NewDisposeScope();
                y.normal_(0, 1, generator: g).Mul_(h).Add_(x);
                var ey = model.EnergyNoGrad(y);
                var accept = logU.uniform_(0, 1, generator: g).log_() < (e - ey);            // log u < log α = E(x) − E(y)
                if (support != SupportKind.RealLine) accept = accept.logical_and(ModelSupport.Contains(support, y));   // p(y) = 0 outside the declared support
                var xNext = where(accept.unsqueeze(1), y, x);
                var eNext = where(accept, ey, e);
                Replace(ref x, xNext.MoveToOuterDisposeScope());
                Replace(ref e, eNext.MoveToOuterDisposeScope());
                return accept.to_type(ScalarType.Float64).MoveToOuterDisposeScope();
            }

            public override void Dispose() { x?.Dispose(); e?.Dispose(); y?.Dispose(); logU?.Dispose(); }
        }

        /// <summary>
        /// x ← x + (ε/2)s(x) + √ε z. The steady state allocates no buffer of its own: z is drawn in place into a buffer owned
        /// by the kernel (one RNG call per step), and the torch-op update writes into that buffer, which then becomes x while
        /// the old x becomes the next step's noise buffer (double buffering). A generated model with the fused update
        /// (<see cref="IScoreStepModel"/>) computes score and update in one pass, whose result replaces x; on the CPU
        /// (<see cref="ICounterNoiseStepModel"/>) that pass also draws z, from a counter-based stream keyed once per run, and
        /// writes into the spare buffer: no noise pass and no allocation.
        /// </summary>
        private sealed class LangevinKernel : TransitionKernel
        {
            private readonly IScoreModel model;
            private readonly string sampler;
            private Tensor x = null!, spare = null!;
            private ulong? noiseKey;

            public LangevinKernel(IScoreModel model, string sampler) { this.model = model; this.sampler = sampler; }

            public override Tensor Current => x;

            public override void Start(Tensor start) { x = start; spare = empty_like(x); }

            public override Tensor? Step(long step, double epsilon, Generator g)
            {
                using var scope = NewDisposeScope();                     // catches a hand-written score model's temporaries
                if (FastPaths.CounterNoiseStep(model, x, intoBuffer: true, out var counter))
                {
                    noiseKey ??= CounterRandom.KeyFrom(g);
                    counter.ScoreStepNoGrad(x, epsilon / 2, System.Math.Sqrt(epsilon), CounterNoise.ForStep(noiseKey.Value, step), spare);
                    (x, spare) = (spare, x);
                    return null;
                }
                spare.normal_(0, 1, generator: g);
                if (FastPaths.ScoreStep(model, out var fused))
                {
                    Replace(ref x, fused.ScoreStepNoGrad(x, epsilon / 2, spare, System.Math.Sqrt(epsilon)).MoveToOuterDisposeScope());
                    return null;
                }
                using (var s = ScoreCheckedOnce(sampler, model.ModelName, model.ScoreNoGrad(x), x))
                    spare.Mul_(System.Math.Sqrt(epsilon)).Add_(s, alpha: epsilon / 2).Add_(x);   // √ε z + (ε/2) s(x) + x
                (x, spare) = (spare, x);
                return null;
            }

            public override void Dispose() { x?.Dispose(); spare?.Dispose(); }
        }

        /// <summary>Annealed Langevin's step at level i, x ← x + (αᵢ/2)s(x, σᵢ) + √αᵢ z, double-buffered as <see cref="LangevinKernel"/>; σᵢ is one [N] buffer refilled when the level changes.</summary>
        private sealed class AnnealedKernel : TransitionKernel
        {
            private readonly INoiseConditionalModel model;
            private readonly double[] levels;
            private readonly int stepsPerLevel;
            private readonly string sampler;
            private Tensor x = null!, spare = null!, sigma = null!;
            private int sigmaLevel = -1;

            public AnnealedKernel(INoiseConditionalModel model, double[] levels, int stepsPerLevel, string sampler)
            {
                this.model = model; this.levels = levels; this.stepsPerLevel = stepsPerLevel; this.sampler = sampler;
            }

            public override Tensor Current => x;

            public override void Start(Tensor start)
            {
                x = start;
                spare = empty_like(x);
                sigma = empty(new long[] { x.shape[0] }, x.dtype, x.device);
            }

            public override Tensor? Step(long step, double alpha, Generator g)
            {
                int level = (int)System.Math.Min(levels.Length - 1, step / stepsPerLevel);
                if (level != sigmaLevel)
                {
                    sigma.Fill_(levels[level]);
                    sigmaLevel = level;
                }
                using var scope = NewDisposeScope();
                spare.normal_(0, 1, generator: g);
                using (var s = ScoreCheckedOnce(sampler, model.ModelName, model.ScoreNoGrad(x, sigma), x))
                    spare.Mul_(System.Math.Sqrt(alpha)).Add_(s, alpha: alpha / 2).Add_(x);
                (x, spare) = (spare, x);
                return null;
            }

            public override void Dispose() { x?.Dispose(); spare?.Dispose(); sigma?.Dispose(); }
        }

        private sealed class MalaKernel : TransitionKernel
        {
            private readonly IEnergyScoreModel model;
            private readonly string sampler;
            private readonly SupportKind support;
            private Tensor x = null!, e = null!, s = null!;

            public MalaKernel(IEnergyScoreModel model, string sampler) { this.model = model; this.sampler = sampler; support = ModelSupport.Of(model); }

            public override Tensor Current => x;

            private Tensor z = null!, logU = null!;

            public override void Start(Tensor start)
            {
                x = start;
                (e, s) = model.EnergyAndScoreNoGrad(x);
                // Checked once at the start (a hand-written model's shapes cannot change later): a wrong shape would broadcast
                // into the acceptance test or fail inside libtorch.
                ScoreOutput.CheckShape(sampler, model.ModelName, s, x);
                if (e is null || e.IsInvalid || e.dim() != 1 || e.shape[0] != x.shape[0])
                    throw new ArgumentException(sampler + ": the energy '" + model.ModelName + "' returned " + (e is null || e.IsInvalid ? "no tensor" : Broadcasting.Describe(e))
                        + " for x of shape " + Broadcasting.Describe(x) + "; it must return [N] = [" + x.shape[0] + "], one energy per chain.");
                z = empty_like(x);                                     // noise and log u: buffers reused every step
                logU = empty(new long[] { x.shape[0] }, x.dtype, x.device);
            }

            public override Tensor? Step(long step, double epsilon, Generator g)
            {
                using var scope = NewDisposeScope();
                z.normal_(0, 1, generator: g);
                var y = z.Mul(System.Math.Sqrt(epsilon)).Add(x).Add(s.Mul((epsilon / 2)));
                var (ey, sy) = model.EnergyAndScoreNoGrad(y);
                // log q(y|x) = −‖z‖²/2;  log q(x|y) = −‖x − y − (ε/2)s(y)‖²/(2ε)   (common constants cancel)
                var logForward = z.Square().sum(1).Mul_(-0.5);
                var logBackward = (x - y - sy.Mul((epsilon / 2))).Pow_(2.0).sum(1).Mul_(-0.5 / epsilon);
                var logAlpha = (e - ey).Add_(logBackward).sub_(logForward);
                var accept = logU.uniform_(0, 1, generator: g).log_() < logAlpha;
                if (support != SupportKind.RealLine) accept = accept.logical_and(ModelSupport.Contains(support, y));   // p(y) = 0 outside the declared support
                var column = accept.unsqueeze(1);
                Replace(ref x, where(column, y, x).MoveToOuterDisposeScope());
                Replace(ref e, where(accept, ey, e).MoveToOuterDisposeScope());
                Replace(ref s, where(column, sy, s).MoveToOuterDisposeScope());
                return accept.to_type(ScalarType.Float64).MoveToOuterDisposeScope();
            }

            public override void Dispose() { x?.Dispose(); e?.Dispose(); s?.Dispose(); z?.Dispose(); logU?.Dispose(); }
        }

        private sealed class FixedNoiseLevel : IScoreModel
        {
            private readonly INoiseConditionalModel model;
            private readonly double sigma;

            public FixedNoiseLevel(INoiseConditionalModel model, double sigma)
            {
                ChainLoop.CheckStepSize(model.ModelName + ".AtNoiseLevel", nameof(sigma), sigma);
                this.model = model; this.sigma = sigma;
            }

            public string ModelName => model.ModelName + "@σ=" + sigma.ToString("G4", System.Globalization.CultureInfo.InvariantCulture);
            public int Dim => model.Dim;

            public Tensor Score(Tensor x)
            {
                using var s = global::Dsl.ScalarOps.Full(new long[] { x.shape[0] }, sigma, x.dtype, x.device);
                return model.Score(x, s);
            }

            public Tensor ScoreNoGrad(Tensor x)
            {
                using var s = global::Dsl.ScalarOps.Full(new long[] { x.shape[0] }, sigma, x.dtype, x.device);
                return model.ScoreNoGrad(x, s);
            }
        }

        private static void Replace(ref Tensor slot, Tensor value)
        {
            var old = slot;
            slot = value;
            old.Dispose();
        }
    }
}
