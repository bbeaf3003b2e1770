using System;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using Dsl.Sampling;
using Dsl.Sde;
using Dsl.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Diffusion
{
    /// <summary>
    /// A denoising network ε̂/x̂₀/v̂(x, τ[, condition]) over flattened data x: [N, D] and per-sample continuous times τ: [N]
    /// (the schedule's <see cref="DdpmSchedule.Times"/>). <c>condition</c> is an optional extra input (class labels,
    /// masks) for conditional models; unconditional networks refuse a non-null one.
    /// </summary>
    public interface IDiffusionNetwork
    {
        /// <summary>A name for messages and checkpoints.</summary>
        string ModelName { get; }

        /// <summary>D, the flattened data dimension.</summary>
        int Dim { get; }

        /// <summary>The prediction: [N, D].</summary>
        Tensor Predict(Tensor x, Tensor time, Tensor? condition = null);
    }

    /// <summary>
    /// ε̂ and the per-dimension variance interpolation v of an improved-DDPM network (Nichol &amp; Dhariwal 2021) at (x, τ):
    /// both [N, D]; the reverse variance is Σθ = exp(v log βₜ + (1 − v) log β̃ₜ) (<see cref="Ddpm.LearnedLogVariance(DdpmSchedule, Tensor, Tensor)"/>).
    /// </summary>
    public delegate (Tensor Noise, Tensor Interpolation) NoiseAndVariancePrediction(Tensor x, Tensor time);

    /// <summary>
    /// KL(N(μ₁, diag exp(logVar₁)) ‖ N(μ₂, diag exp(logVar₂))) per row: [N] from four [N, D] tensors. The generated
    /// <c>GaussianPairKl.Kl</c> (Models/Divergences.cs) has this signature; <see cref="Ddpm.GaussianKl"/> is the runtime's own.
    /// </summary>
    public delegate Tensor GaussianKlDivergence(Tensor mu1, Tensor logVar1, Tensor mu2, Tensor logVar2);

    /// <summary>A diffusion network whose output may carry a learned variance interpolation besides ε̂.</summary>
    public interface ILearnedVarianceNetwork : IDiffusionNetwork
    {
        /// <summary>True when the network outputs v besides ε̂ (its raw output is [N, 2D]).</summary>
        bool LearnsVariance { get; }

        /// <summary>ε̂ and v, both [N, D]; refused when <see cref="LearnsVariance"/> is false.</summary>
        (Tensor Noise, Tensor Interpolation) PredictWithVariance(Tensor x, Tensor time, Tensor? condition = null);
    }

    /// <summary>The training objective of <see cref="Ddpm.Loss"/>.</summary>
    public enum DdpmLoss
    {
        /// <summary>Ho et al.'s L_simple, the unweighted ε-MSE (Algorithm 1).</summary>
        Simple,
        /// <summary>Nichol &amp; Dhariwal's L_hybrid = L_simple + λ L_vlb, the mean stopped (detached) inside L_vlb.</summary>
        Hybrid,
        /// <summary>L_vlb alone: for a fixed variance Ho et al.'s eq. 12 weighted ε-loss; for a learned one the full KL terms.</summary>
        Vlb,
    }

    /// <summary>Settings of <see cref="Ddpm.Loss"/>.</summary>
    public sealed class DdpmLossOptions
    {
        /// <summary>The objective.</summary>
        public DdpmLoss Kind { get; init; } = DdpmLoss.Simple;

        /// <summary>σₜ² of the reverse process: fixed β̃ₜ, fixed βₜ, or learned (needs a network with <see cref="ILearnedVarianceNetwork.LearnsVariance"/>).</summary>
        public ReverseVariance Variance { get; init; } = ReverseVariance.Posterior;

        /// <summary>λ of the hybrid loss (Nichol &amp; Dhariwal: 0.001).</summary>
        public double Lambda { get; init; } = 0.001;
    }

    /// <summary>What a network is trained to predict.</summary>
    public enum DdpmTarget
    {
        /// <summary>The noise ε (Ho et al.'s L_simple).</summary>
        Noise,
        /// <summary>The clean data x₀.</summary>
        Data,
        /// <summary>The velocity v = √ᾱ ε − √(1 − ᾱ) x₀ (Salimans &amp; Ho 2022).</summary>
        Velocity,
    }

    /// <summary>The reverse-step variance σₜ² of Algorithm 2.</summary>
    public enum ReverseVariance
    {
        /// <summary>σₜ² = β̃ₜ, the posterior variance (optimal for a point mass x₀); t = 1 uses β̃₂ in the decoder.</summary>
        Posterior,
        /// <summary>σₜ² = βₜ (optimal for x₀ ~ N(0, I)); t = 1 uses β̃₂ in the decoder (Ho et al.'s code).</summary>
        Beta,
        /// <summary>Σθ = exp(v log βₜ + (1 − v) log β̃ₜ) with v from the network (Nichol &amp; Dhariwal 2021, eq. 15); log β̃₁ clipped to log β̃₂.</summary>
        Learned,
    }

    /// <summary>Settings of the discrete samplers.</summary>
    public sealed class DdpmSamplerOptions
    {
        /// <summary>DDIM: the number K of steps of the sub-sequence (evenly spaced in 1…T, always ending at 1). Ancestral sampling uses all T.</summary>
        public int Steps { get; init; } = 50;

        /// <summary>DDIM's η: 0 deterministic, 1 the ancestral variance β̃ on the sub-sequence.</summary>
        public double Eta { get; init; }

        /// <summary>Ancestral sampling's σₜ².</summary>
        public ReverseVariance Variance { get; init; } = ReverseVariance.Posterior;

        /// <summary>Clip x̂₀ to [−<see cref="ClipRange"/>, <see cref="ClipRange"/>] before each step (images in [−1, 1]).</summary>
        public bool ClipDenoised { get; init; }

        /// <summary>The clipping bound.</summary>
        public double ClipRange { get; init; } = 1;

        /// <summary>Seed of x_T and of the step noise.</summary>
        public long Seed { get; init; }

        /// <summary>x_T to start from instead of drawing it ([N, D]; not disposed).</summary>
        public Tensor? Start { get; init; }

        /// <summary>Progress reports.</summary>
        public IProgress<SamplerProgress>? Progress { get; init; }

        /// <summary>Stops between steps; the state reached is returned with Cancelled.</summary>
        public CancellationToken Cancellation { get; init; }
    }

    /// <summary>Settings of the variational bound.</summary>
    public sealed class VlbOptions
    {
        /// <summary>σₜ² of the reverse process whose bound is computed.</summary>
        public ReverseVariance Variance { get; init; } = ReverseVariance.Posterior;

        /// <summary>
        /// Width of a data bin for Ho et al.'s discretised decoder (eq. 13): 2/255 for 8-bit images in [−1, 1], 2/16 for the
        /// 17-level digits. Null: a continuous Gaussian decoder −log N(x₀; μθ(x₁, 1), σ₁²), a bound on the density.
        /// </summary>
        public double? BinWidth { get; init; }

        /// <summary>Evaluate every k-th term of Σ L_{t−1} (t = 2, 2 + k, …) and weight it by the number of terms it stands for; 1 = exact sum.</summary>
        public int Stride { get; init; } = 1;

        /// <summary>Seed of the xₜ ~ q(xₜ | x₀) draws.</summary>
        public long Seed { get; init; }

        /// <summary>
        /// The Gaussian KL of the terms L_{t−1}: pass the generated <c>new GaussianPairKl(D).Kl</c> (Models/Divergences.cs,
        /// derived from the two log-densities as written); null uses the runtime's own closed form <see cref="Ddpm.GaussianKl"/>.
        /// </summary>
        public GaussianKlDivergence? Kl { get; init; }
    }

    /// <summary>The variational bound per sample, in nats, with its terms. Owns its tensors.</summary>
    public sealed class VlbResult : IDisposable
    {
        internal VlbResult(Tensor prior, Tensor diffusion, Tensor decoder, int dim, double? binWidth)
        {
            Prior = prior; Diffusion = diffusion; Decoder = decoder; Dim = dim; BinWidth = binWidth;
            using var scope = NewDisposeScope();
            Total = (prior.Add(diffusion).Add(decoder)).MoveToOuterDisposeScope();
            var total = Total.to_type(ScalarType.Float64);
            NatsPerDim = total.mean().ToDoubleValue() / dim;
            StandardErrorNatsPerDim = total.shape[0] > 1 ? total.std().ToDoubleValue() / System.Math.Sqrt(total.shape[0]) / dim : double.NaN;
            PriorNatsPerDim = prior.to_type(ScalarType.Float64).mean().ToDoubleValue() / dim;
            DiffusionNatsPerDim = diffusion.to_type(ScalarType.Float64).mean().ToDoubleValue() / dim;
            DecoderNatsPerDim = decoder.to_type(ScalarType.Float64).mean().ToDoubleValue() / dim;
        }

        /// <summary>L_T = KL(q(x_T | x₀) ‖ N(0, I)): [N].</summary>
        public Tensor Prior { get; }
        /// <summary>Σ_{t=2}^{T} L_{t−1}, the Gaussian KLs: [N].</summary>
        public Tensor Diffusion { get; }
        /// <summary>L₀ = −log pθ(x₀ | x₁): [N].</summary>
        public Tensor Decoder { get; }
        /// <summary>The bound L = L_T + Σ L_{t−1} + L₀ ≥ −log pθ(x₀): [N].</summary>
        public Tensor Total { get; }
        /// <summary>D.</summary>
        public int Dim { get; }
        /// <summary>The decoder's bin width (null: continuous).</summary>
        public double? BinWidth { get; }
        /// <summary>Mean bound per dimension, nats.</summary>
        public double NatsPerDim { get; }
        /// <summary>Its standard error.</summary>
        public double StandardErrorNatsPerDim { get; }
        /// <summary>Mean L_T per dimension.</summary>
        public double PriorNatsPerDim { get; }
        /// <summary>Mean Σ L_{t−1} per dimension.</summary>
        public double DiffusionNatsPerDim { get; }
        /// <summary>Mean L₀ per dimension.</summary>
        public double DecoderNatsPerDim { get; }
        /// <summary>The bound in bits per dimension: nats/ln 2 (with a discretised decoder a probability, without one a density).</summary>
        public double BitsPerDim => NatsPerDim / System.Math.Log(2);

        /// <summary>Disposes the tensors.</summary>
        public void Dispose() { Prior.Dispose(); Diffusion.Dispose(); Decoder.Dispose(); Total.Dispose(); }
    }

    /// <summary>
    /// Denoising diffusion probabilistic models (Ho et al. 2020) on a <see cref="DdpmSchedule"/>: the forward marginal,
    /// the posterior, the parametrisations, L_simple (Algorithm 1), ancestral sampling (Algorithm 2), DDIM (Song et al.
    /// 2021), the probability-flow ODE and the likelihood on the schedule's SDE, and the variational bound (Ho et al. eq. 5, 13).
    /// Samplers take a <see cref="NoisePrediction"/> in continuous time τ, so guidance and conditioning wrap it.
    /// </summary>
    public static class Ddpm
    {
        /// <summary>xₜ = √ᾱₜ x₀ + √(1 − ᾱₜ) ε for per-sample steps t: [N] (int64, 1…T).</summary>
        public static Tensor QSample(DdpmSchedule schedule, Tensor x0, Tensor t, Tensor noise)
        {
            CheckSteps(schedule, x0, t, "QSample");
            using var scope = NewDisposeScope();
            var a = schedule.Gather(schedule.SqrtAlphaBars, t, x0.dtype).unsqueeze(1);
            var s = schedule.Gather(schedule.SqrtOneMinusAlphaBars, t, x0.dtype).unsqueeze(1);
            return ((a * x0).Add(s * noise)).MoveToOuterDisposeScope();
        }

        /// <summary>q(x_{t−1} | xₜ, x₀) = N(coef1 x₀ + coef2 xₜ, β̃ₜ): the mean [N, D], the variance [N] and its clipped log [N].</summary>
        public static (Tensor Mean, Tensor Variance, Tensor LogVarianceClipped) Posterior(DdpmSchedule schedule, Tensor x0, Tensor xt, Tensor t)
        {
            CheckSteps(schedule, x0, t, "Posterior");
            using var scope = NewDisposeScope();
            var mean = (schedule.Gather(schedule.PosteriorMeanCoef1, t, x0.dtype).unsqueeze(1) * x0).Add(schedule.Gather(schedule.PosteriorMeanCoef2, t, x0.dtype).unsqueeze(1) * xt);
            var variance = schedule.Gather(schedule.PosteriorVariance, t, x0.dtype);
            var logVariance = schedule.Gather(schedule.PosteriorLogVarianceClipped, t, x0.dtype);
            return (mean.MoveToOuterDisposeScope(), variance.MoveToOuterDisposeScope(), logVariance.MoveToOuterDisposeScope());
        }

        /// <summary>x̂₀ = (xₜ − √(1 − ᾱₜ) ε)/√ᾱₜ.</summary>
        public static Tensor DataFromNoise(DdpmSchedule schedule, Tensor xt, Tensor noise, Tensor t) => Combine(schedule, t, xt, noise, i => 1 / schedule.SqrtAlphaBars[i], i => -schedule.SqrtOneMinusAlphaBars[i] / schedule.SqrtAlphaBars[i]);

        /// <summary>ε = (xₜ − √ᾱₜ x₀)/√(1 − ᾱₜ).</summary>
        public static Tensor NoiseFromData(DdpmSchedule schedule, Tensor xt, Tensor x0, Tensor t) => Combine(schedule, t, xt, x0, i => 1 / schedule.SqrtOneMinusAlphaBars[i], i => -schedule.SqrtAlphaBars[i] / schedule.SqrtOneMinusAlphaBars[i]);

        /// <summary>v = √ᾱₜ ε − √(1 − ᾱₜ) x₀.</summary>
        public static Tensor VelocityOf(DdpmSchedule schedule, Tensor x0, Tensor noise, Tensor t) => Combine(schedule, t, noise, x0, i => schedule.SqrtAlphaBars[i], i => -schedule.SqrtOneMinusAlphaBars[i]);

        /// <summary>x̂₀ = √ᾱₜ xₜ − √(1 − ᾱₜ) v.</summary>
        public static Tensor DataFromVelocity(DdpmSchedule schedule, Tensor xt, Tensor v, Tensor t) => Combine(schedule, t, xt, v, i => schedule.SqrtAlphaBars[i], i => -schedule.SqrtOneMinusAlphaBars[i]);

        /// <summary>ε̂ = √(1 − ᾱₜ) xₜ + √ᾱₜ v.</summary>
        public static Tensor NoiseFromVelocity(DdpmSchedule schedule, Tensor xt, Tensor v, Tensor t) => Combine(schedule, t, xt, v, i => schedule.SqrtOneMinusAlphaBars[i], i => schedule.SqrtAlphaBars[i]);

        /// <summary>The network as a noise prediction in continuous time (converting an x₀- or v-network through the schedule's SDE kernel).</summary>
        public static NoisePrediction AsNoisePrediction(DdpmSchedule schedule, IDiffusionNetwork network, DdpmTarget target = DdpmTarget.Noise, Tensor? condition = null) => target switch
        {
            DdpmTarget.Noise => (x, t) => network.Predict(x, t, condition),
            DdpmTarget.Data => TimeScores.NoiseFromData(schedule.Sde, (x, t) => network.Predict(x, t, condition)),
            _ => TimeScores.NoiseFromV(schedule.Sde, (x, t) => network.Predict(x, t, condition)),
        };

        /// <summary>The network's score s = −ε̂/√v(τ) on the schedule's SDE, for the SDE solvers and the likelihood.</summary>
        public static ITimeScoreModel AsScore(DdpmSchedule schedule, int dim, NoisePrediction epsilon, string name = "DDPM network") =>
            TimeScores.FromNoisePrediction(schedule.Sde, dim, epsilon, name);

        /// <summary>
        /// Algorithm 1's L_simple: t ~ U{1…T}, ε ~ N(0, I), xₜ = √ᾱₜ x₀ + √(1 − ᾱₜ) ε, and the mean over batch and
        /// dimensions of ‖target − network(xₜ, τₜ)‖² with target ε, x₀ or v. A 0-dim tensor with the network's graph.
        /// </summary>
        public static Tensor SimpleLoss(DdpmSchedule schedule, IDiffusionNetwork network, Tensor x0, Generator generator, DdpmTarget target = DdpmTarget.Noise, Tensor? condition = null)
        {
            if (x0.dim() != 2 || x0.shape[1] != network.Dim)
                throw new ArgumentException("Ddpm.SimpleLoss: x₀ must be [N, " + network.Dim + "] for " + network.ModelName + "; got " + Broadcasting.Describe(x0) + ".", nameof(x0));
            using var scope = NewDisposeScope();
            long n = x0.shape[0];
            var t = randint(1, schedule.Steps + 1, new long[] { n }, generator: generator, dtype: ScalarType.Int64, device: x0.device);
            var noise = empty_like(x0).normal_(0, 1, generator: generator);
            var xt = QSample(schedule, x0, t, noise);
            var tau = schedule.Gather(schedule.Times, t, x0.dtype);
            var prediction = network.Predict(xt, tau, condition);
            var goal = target switch { DdpmTarget.Noise => noise, DdpmTarget.Data => x0, _ => VelocityOf(schedule, x0, noise, t) };
            return (prediction - goal).Square().mean().MoveToOuterDisposeScope();
        }

        /// <summary>
        /// Algorithm 2: x_T ~ N(0, I); for t = T…1, x_{t−1} = (xₜ − βₜ/√(1 − ᾱₜ) ε̂)/√αₜ + σₜ z (z = 0 at t = 1), written as the
        /// posterior mean of x̂₀ so that x̂₀ can be clipped. Samples [N, D] with T network evaluations.
        /// </summary>
        public static SdeSampleResult Ancestral(DdpmSchedule schedule, NoisePrediction epsilon, long n, int dim, DdpmSamplerOptions options, ScalarType dtype = ScalarType.Float32, Device? device = null)
        {
            if (options.Variance == ReverseVariance.Learned)
                throw new ArgumentException("DDPM ancestral: a learned variance needs the network's v; pass a NoiseAndVariancePrediction (Ddpm.AsNoiseAndVariancePrediction).", nameof(options));
            return AncestralCore(schedule, (x, t) => (epsilon(x, t), null), n, dim, options, dtype, device);
        }

        /// <summary>
        /// Algorithm 2 with Nichol &amp; Dhariwal's learned variance when <paramref name="options"/>.Variance is Learned:
        /// x_{t−1} = μθ(xₜ, t) + Σθ(xₜ, t)^½ z, Σθ = exp(v log βₜ + (1 − v) log β̃ₜ) per dimension (z = 0 at t = 1); with a fixed
        /// variance v is ignored and this is <see cref="Ancestral(DdpmSchedule, NoisePrediction, long, int, DdpmSamplerOptions, ScalarType, Device?)"/>.
        /// </summary>
        public static SdeSampleResult Ancestral(DdpmSchedule schedule, NoiseAndVariancePrediction model, long n, int dim, DdpmSamplerOptions options, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
            AncestralCore(schedule, (x, t) => { var (e, v) = model(x, t); return (e, v); }, n, dim, options, dtype, device);

        private static SdeSampleResult AncestralCore(DdpmSchedule schedule, Func<Tensor, Tensor, (Tensor, Tensor?)> model, long n, int dim, DdpmSamplerOptions options, ScalarType dtype, Device? device)
        {
            var steps = Enumerable.Range(1, schedule.Steps).Reverse().ToArray();
            return Run("DDPM ancestral", schedule, model, n, dim, options, dtype, device, steps, (x, i, eps, v, noise) =>
            {
                var (c1, c2) = (schedule.PosteriorMeanCoef1[i], schedule.PosteriorMeanCoef2[i]);
                var x0 = Denoised(schedule, x, eps, i, options);
                var mean = x0.Mul_(c1).Add_(x, alpha: c2);
                if (i == 0) return mean;
                if (options.Variance == ReverseVariance.Learned)
                {
                    if (v is null) throw new ArgumentException("DDPM ancestral: a learned variance needs the network's v.", nameof(options));
                    return mean.Add_(noise().mul_(LearnedLogVariance(schedule, v, i).Mul_(0.5).exp_()));
                }
                double variance = options.Variance == ReverseVariance.Posterior ? schedule.PosteriorVariance[i] : schedule.Betas[i];
                return mean.Add_(noise(), alpha: System.Math.Sqrt(variance));
            });
        }

        /// <summary>
        /// DDIM (Song, Meng &amp; Ermon 2021, eq. 12) on K steps τ_K &gt; … &gt; τ₁ = 1 of 1…T: x̂₀ = (xₜ − √(1 − ᾱₜ) ε̂)/√ᾱₜ,
        /// x_prev = √ᾱ_prev x̂₀ + √(1 − ᾱ_prev − σ²) ε̂ + σ z with σ = η √((1 − ᾱ_prev)/(1 − ᾱₜ)) √(1 − ᾱₜ/ᾱ_prev); after t = 1, ᾱ_prev = 1.
        /// η = 0 is deterministic given x_T.
        /// </summary>
        public static SdeSampleResult Ddim(DdpmSchedule schedule, NoisePrediction epsilon, long n, int dim, DdpmSamplerOptions options, ScalarType dtype = ScalarType.Float32, Device? device = null)
        {
            var steps = SubSequence(schedule.Steps, options.Steps);
            if (!(options.Eta >= 0) || double.IsInfinity(options.Eta)) throw new ArgumentException("DDIM: η must be a finite number ≥ 0, got " + options.Eta + ".", nameof(options));
            return Run("DDIM", schedule, (x, t) => (epsilon(x, t), null), n, dim, options, dtype, device, steps, (x, i, eps, _, noise) =>
            {
                int k = Array.IndexOf(steps, i + 1);
                double aPrev = k + 1 < steps.Length ? schedule.AlphaBars[steps[k + 1] - 1] : 1.0, a = schedule.AlphaBars[i];
                double sigma = options.Eta * System.Math.Sqrt((1 - aPrev) / (1 - a) * (1 - a / aPrev));
                var x0 = Denoised(schedule, x, eps, i, options);
                if (options.ClipDenoised)                                  // ε consistent with the clipped x̂₀
                    eps = ((x - x0.Mul(System.Math.Sqrt(a))).Div(System.Math.Sqrt(1 - a)));
                var next = x0.Mul_(System.Math.Sqrt(aPrev)).Add_(eps, alpha: System.Math.Sqrt(System.Math.Max(1 - aPrev - sigma * sigma, 0)));
                return sigma > 0 ? next.Add_(noise(), alpha: sigma) : next;
            });
        }

        /// <summary>K steps evenly spaced in 1…T from T down to 1 (distinct; K ≤ T).</summary>
        public static int[] SubSequence(int total, int count)
        {
            if (count < 1 || count > total) throw new ArgumentException("DDIM: the number of steps K must lie in 1…T = " + total + ", got " + count + ".", nameof(count));
            if (count == 1) return new[] { total };
            return Enumerable.Range(0, count).Select(k => 1 + (int)System.Math.Round((double)k * (total - 1) / (count - 1))).Distinct().Reverse().ToArray();
        }

        /// <summary>
        /// The probability-flow ODE of the schedule's SDE with the network's score s = −ε̂/√v(τ), from the prior at the SDE's
        /// end time down to τ₁ (the time of step 1).
        /// </summary>
        public static SdeSampleResult ProbabilityFlowSample(DdpmSchedule schedule, NoisePrediction epsilon, long n, int dim, OdeOptions ode, long seed = 0, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
            ProbabilityFlow.Sample(schedule.Sde, AsScore(schedule, dim, epsilon), n, ode, schedule.Times[0], seed, dtype, device);

        /// <summary>log p_{τ₁}(x) by the probability-flow ODE on the schedule's SDE, from τ₁ (the time of step 1), in nats: [N].</summary>
        public static LikelihoodResult LogLikelihood(DdpmSchedule schedule, NoisePrediction epsilon, Tensor x, DivergenceEstimator divergence = DivergenceEstimator.Exact, OdeOptions? ode = null, long seed = 0) =>
            ProbabilityFlow.LogLikelihood(schedule.Sde, AsScore(schedule, (int)x.shape[1], epsilon), x,
                new LikelihoodOptions { Epsilon = schedule.Times[0], Divergence = divergence, Ode = ode ?? new OdeOptions(), Seed = seed });

        /// <summary>
        /// The variational bound (Ho et al. eq. 5) per sample in nats: L_T = KL(q(x_T | x₀) ‖ N(0, I)); for t = 2…T,
        /// L_{t−1} = KL(q(x_{t−1} | xₜ, x₀) ‖ N(μθ(xₜ, t), σₜ²I)) in closed form at one xₜ ~ q(xₜ | x₀) each (the KL of
        /// <see cref="VlbOptions.Kl"/>: the generated GaussianPairKl when given); and L₀ = −log pθ(x₀ | x₁) with the
        /// discretised (eq. 13) or a continuous Gaussian decoder. μθ = coef1 x̂₀ + coef2 xₜ. A fixed σₜ² only: a learned
        /// variance needs the <see cref="NoiseAndVariancePrediction"/> overload.
        /// </summary>
        public static VlbResult VariationalBound(DdpmSchedule schedule, NoisePrediction epsilon, Tensor x0, VlbOptions options)
        {
            if (options.Variance == ReverseVariance.Learned)
                throw new ArgumentException("Ddpm.VariationalBound: a learned variance needs the network's v; pass a NoiseAndVariancePrediction (Ddpm.AsNoiseAndVariancePrediction).", nameof(options));
            return Bound(schedule, (x, t) => (epsilon(x, t), null), x0, options);
        }

        /// <summary>
        /// The variational bound of an improved-DDPM network: as the <see cref="NoisePrediction"/> overload, with the reverse
        /// variance Σθ = exp(v log βₜ + (1 − v) log β̃ₜ) per dimension when <paramref name="options"/>.Variance is Learned
        /// (Nichol &amp; Dhariwal 2021, eq. 15; the same v in every term and in the decoder); a fixed variance ignores v.
        /// </summary>
        public static VlbResult VariationalBound(DdpmSchedule schedule, NoiseAndVariancePrediction model, Tensor x0, VlbOptions options) =>
            Bound(schedule, (x, t) => { var (e, v) = model(x, t); return (e, v); }, x0, options);

        private static VlbResult Bound(DdpmSchedule schedule, Func<Tensor, Tensor, (Tensor, Tensor?)> model, Tensor x0, VlbOptions options)
        {
            if (x0.dim() != 2) throw new ArgumentException("Ddpm.VariationalBound: x₀ must be [N, D]; got " + Broadcasting.Describe(x0) + ".", nameof(x0));
            if (options.Stride < 1) throw new ArgumentException("Ddpm.VariationalBound: Stride must be ≥ 1.", nameof(options));
            if (options.BinWidth is double w)
            {
                if (!(w > 0 && w <= 2)) throw new ArgumentException("Ddpm.VariationalBound: the bin width must lie in (0, 2], got " + w + ".", nameof(options));
                double lo, hi;
                using (var mn = x0.min()) lo = mn.ToDoubleValue();
                using (var mx = x0.max()) hi = mx.ToDoubleValue();
                if (lo < -1 - 1e-6 || hi > 1 + 1e-6)
                    throw new ArgumentException($"Ddpm.VariationalBound: the discretised decoder needs data in [−1, 1]; got values in [{lo:G4}, {hi:G4}] (scale images with PixelScale.Symmetric).", nameof(x0));
            }
            int T = schedule.Steps, D = (int)x0.shape[1];
            long n = x0.shape[0];
            var dtype = x0.dtype;
            var kl = options.Kl ?? GaussianKl;
            using var noGrad = no_grad();
            using var generator = new Generator((ulong)options.Seed, x0.device);

            Tensor prior, diffusion, decoder;
            using (var scope = NewDisposeScope())
            {
                double aT = schedule.AlphaBars[T - 1];
                prior = (x0.Square().Mul(aT).Add((1 - aT)).Sub(1).Sub(System.Math.Log(1 - aT))).sum(new long[] { 1 }).Mul_(0.5).MoveToOuterDisposeScope();
            }
            diffusion = zeros(n, dtype: dtype, device: x0.device);
            for (int t = 2; t <= T; t += options.Stride)
            {
                using var scope = NewDisposeScope();
                int i = t - 1;
                int weight = System.Math.Min(options.Stride, T - t + 1);        // the terms t … t + stride − 1 this one stands for
                var (mean, logVariance) = ModelStep(schedule, model, x0, i, options.Variance, generator, out var trueMean);
                using var posteriorLog = global::Dsl.ScalarOps.Full(new long[] { n, D }, schedule.PosteriorLogVarianceClipped[i], dtype, x0.device);
                diffusion.Add_(kl(trueMean, posteriorLog, mean, logVariance), alpha: weight);
            }
            using (var scope = NewDisposeScope())
            {
                var (mean, logVariance) = ModelStep(schedule, model, x0, 0, options.Variance, generator, out _);
                if (options.BinWidth is double width)
                {
                    // Ho et al. eq. 13: ∫ N(x; μ, σ²) over [x₀ − w/2, x₀ + w/2], the edge bins reaching to ±∞.
                    var sd = logVariance.Mul(0.5).exp();
                    var centred = x0 - mean;
                    var upper = Phi(centred.Add(width / 2) / sd);
                    var lower = Phi(centred.Sub(width / 2) / sd);
                    var top = x0.Ge(1 - width / 2);
                    var bottom = x0.Le(-1 + width / 2);
                    var p = where(top, global::Dsl.ScalarOps.RSub(1,lower), where(bottom, upper, upper - lower)).ClampMin(1e-12);
                    decoder = p.log().sum(new long[] { 1 }).neg().MoveToOuterDisposeScope();
                }
                else decoder = GaussianNll(x0, mean, logVariance).MoveToOuterDisposeScope();
            }
            return new VlbResult(prior, diffusion, decoder, D, options.BinWidth);
        }

        /// <summary>
        /// The closed form KL(N(μ₁, diag e^{ℓ₁}) ‖ N(μ₂, diag e^{ℓ₂})) = ½ Σⱼ [ℓ₂ⱼ − ℓ₁ⱼ + (e^{ℓ₁ⱼ} + (μ₁ⱼ − μ₂ⱼ)²)/e^{ℓ₂ⱼ} − 1]
        /// per row: [N]. The runtime's own, for callers without the generated GaussianPairKl (the Models assembly).
        /// </summary>
        public static Tensor GaussianKl(Tensor mu1, Tensor logVar1, Tensor mu2, Tensor logVar2)
        {
            using var scope = NewDisposeScope();
            var ratio = logVar1.exp().Add((mu1 - mu2).Square()) / logVar2.exp();
            return ((logVar2 - logVar1).Add(ratio).Sub(1)).sum(new long[] { 1 }).Mul_(0.5).MoveToOuterDisposeScope();
        }

        /// <summary>−log N(x; μ, diag e^{ℓ}) = Σⱼ [(xⱼ − μⱼ)²/(2e^{ℓⱼ}) + ½ℓⱼ + ½ log 2π] per row: [N].</summary>
        private static Tensor GaussianNll(Tensor x, Tensor mean, Tensor logVariance)
        {
            using var scope = NewDisposeScope();
            return (((x - mean).Square() / logVariance.exp()).Add(logVariance).Add(System.Math.Log(2 * System.Math.PI))).sum(new long[] { 1 }).Mul_(0.5).MoveToOuterDisposeScope();
        }

        /// <summary>
        /// log σₜ² of a fixed reverse variance at step index i = t − 1 (Ho et al.'s code): Posterior log β̃ₜ (t = 1: log β̃₂),
        /// Beta log βₜ (t = 1: log β̃₂, the decoder's variance).
        /// </summary>
        public static double FixedLogVariance(DdpmSchedule schedule, ReverseVariance variance, int index) => variance switch
        {
            ReverseVariance.Posterior => schedule.PosteriorLogVarianceClipped[index],
            ReverseVariance.Beta => index == 0 ? System.Math.Log(schedule.PosteriorVariance[System.Math.Min(1, schedule.Steps - 1)]) : schedule.LogBetas[index],
            _ => throw new ArgumentException("Ddpm.FixedLogVariance: " + variance + " is not a fixed variance.", nameof(variance)),
        };

        /// <summary>
        /// Nichol &amp; Dhariwal's eq. 15 at step index i = t − 1: log Σθ = v log βₜ + (1 − v) log β̃ₜ elementwise (v: [N, D]),
        /// log β̃₁ clipped to log β̃₂. v = 1 gives βₜ, v = 0 gives β̃ₜ; v is not constrained to [0, 1].
        /// </summary>
        public static Tensor LearnedLogVariance(DdpmSchedule schedule, Tensor interpolation, int index)
        {
            double upper = schedule.LogBetas[index], lower = schedule.PosteriorLogVarianceClipped[index];
            return interpolation.Mul(upper - lower).Add_(lower);
        }

        /// <summary>eq. 15 at per-sample steps t: [N] (int64, 1…T): log Σθ = v log βₜ + (1 − v) log β̃ₜ, [N, D].</summary>
        public static Tensor LearnedLogVariance(DdpmSchedule schedule, Tensor interpolation, Tensor t)
        {
            CheckSteps(schedule, interpolation, t, "LearnedLogVariance");
            using var scope = NewDisposeScope();
            var upper = schedule.Gather(schedule.LogBetas, t, interpolation.dtype).unsqueeze(1);
            var lower = schedule.Gather(schedule.PosteriorLogVarianceClipped, t, interpolation.dtype).unsqueeze(1);
            return (interpolation * (upper - lower)).Add(lower).MoveToOuterDisposeScope();
        }

        /// <summary>
        /// The weights of Ho et al.'s eq. 12 for a fixed variance: L_{t−1} − C = βₜ²/(2σₜ²αₜ(1 − ᾱₜ)) ‖ε − ε̂‖², indexed by t − 1,
        /// with σₜ² = exp(<see cref="FixedLogVariance"/>). At t = 1 the same weight gives the continuous decoder's ε-term (coef1₁ = 1).
        /// </summary>
        public static double[] NoiseLossWeights(DdpmSchedule schedule, ReverseVariance variance) =>
            Enumerable.Range(0, schedule.Steps).Select(i => schedule.Betas[i] * schedule.Betas[i]
                / (2 * System.Math.Exp(FixedLogVariance(schedule, variance, i)) * schedule.Alphas[i] * (1 - schedule.AlphaBars[i]))).ToArray();

        /// <summary>
        /// One term of the bound per sample at per-sample steps t: [N], nats: L_{t−1} = KL(q(x_{t−1} | xₜ, x₀) ‖ N(μθ, e^{ℓ})) for
        /// t ≥ 2 and the continuous decoder −log N(x₀; μθ, e^{ℓ}) for t = 1, with μθ = coef1ₜ x̂₀(xₜ, ε̂) + coef2ₜ xₜ and
        /// ℓ = <paramref name="logVariance"/> ([N, D]). Differentiable in ε̂ and ℓ.
        /// </summary>
        public static Tensor BoundTerm(DdpmSchedule schedule, Tensor x0, Tensor xt, Tensor t, Tensor noise, Tensor logVariance, GaussianKlDivergence? kl = null)
        {
            CheckSteps(schedule, x0, t, "BoundTerm");
            using var scope = NewDisposeScope();
            var x0Hat = DataFromNoise(schedule, xt, noise, t);
            var c1 = schedule.Gather(schedule.PosteriorMeanCoef1, t, x0.dtype).unsqueeze(1);
            var c2 = schedule.Gather(schedule.PosteriorMeanCoef2, t, x0.dtype).unsqueeze(1);
            var mean = (c1 * x0Hat).Add(c2 * xt);
            var trueMean = (c1 * x0).Add(c2 * xt);
            var posteriorLog = schedule.Gather(schedule.PosteriorLogVarianceClipped, t, x0.dtype).unsqueeze(1).expand(x0.shape);
            var term = (kl ?? GaussianKl)(trueMean, posteriorLog, mean, logVariance);
            var decoder = GaussianNll(x0, mean, logVariance);
            return where(t.Le(1.0), decoder, term).MoveToOuterDisposeScope();
        }

        /// <summary>
        /// The training objectives at t ~ U{1…T}, ε ~ N(0, I), xₜ = √ᾱₜ x₀ + √(1 − ᾱₜ) ε (the same draws as <see cref="SimpleLoss"/>):
        /// <list type="bullet">
        /// <item>Simple: L_simple = mean ‖ε − ε̂‖² (Ho et al.'s Algorithm 1; not with a learned variance, which it cannot train);</item>
        /// <item>Vlb: L_vlb = T·L_{t−1}/(D ln 2), the bound in bits per dimension estimated at one uniform t. With a fixed variance
        /// L_{t−1} is taken as eq. 12's weighted ε-loss βₜ²/(2σₜ²αₜ(1 − ᾱₜ))‖ε − ε̂‖² (<see cref="NoiseLossWeights"/>; the KL
        /// without its parameter-free constant); with a learned one the full <see cref="BoundTerm"/>;</item>
        /// <item>Hybrid: L_simple + λ L_vlb with ε̂ detached inside L_vlb, so L_vlb trains only v (Nichol &amp; Dhariwal §3.1;
        /// their code's vb·T/1000 term, bits per dimension, λ = 0.001).</item>
        /// </list>
        /// A 0-dim tensor with the network's graph.
        /// </summary>
        public static Tensor Loss(DdpmSchedule schedule, ILearnedVarianceNetwork network, Tensor x0, Generator generator, DdpmLossOptions options, Tensor? condition = null)
        {
            if (x0.dim() != 2 || x0.shape[1] != network.Dim)
                throw new ArgumentException("Ddpm.Loss: x₀ must be [N, " + network.Dim + "] for " + network.ModelName + "; got " + Broadcasting.Describe(x0) + ".", nameof(x0));
            bool learned = options.Variance == ReverseVariance.Learned;
            if (learned != network.LearnsVariance)
                throw new ArgumentException("Ddpm.Loss: " + (learned ? "a learned variance needs a network that outputs v (learnedVariance: true); " + network.ModelName + " does not."
                    : network.ModelName + " outputs a variance interpolation v; train it with ReverseVariance.Learned."), nameof(options));
            if (learned && options.Kind == DdpmLoss.Simple)
                throw new ArgumentException("Ddpm.Loss: L_simple does not train a learned variance; use DdpmLoss.Hybrid or DdpmLoss.Vlb.", nameof(options));
            if (!(options.Lambda >= 0) || double.IsInfinity(options.Lambda)) throw new ArgumentException("Ddpm.Loss: λ must be a finite number ≥ 0, got " + options.Lambda + ".", nameof(options));
            using var scope = NewDisposeScope();
            long n = x0.shape[0];
            int T = schedule.Steps, D = network.Dim;
            var t = randint(1, T + 1, new long[] { n }, generator: generator, dtype: ScalarType.Int64, device: x0.device);
            var noise = empty_like(x0).normal_(0, 1, generator: generator);
            var xt = QSample(schedule, x0, t, noise);
            var tau = schedule.Gather(schedule.Times, t, x0.dtype);
            Tensor eps, logVariance;
            if (learned)
            {
                var (e, v) = network.PredictWithVariance(xt, tau, condition);
                eps = e;
                logVariance = LearnedLogVariance(schedule, v, t);
            }
            else
            {
                eps = network.Predict(xt, tau, condition);
                logVariance = schedule.Gather(Enumerable.Range(0, T).Select(i => FixedLogVariance(schedule, options.Variance, i)).ToArray(), t, x0.dtype).unsqueeze(1).expand(x0.shape);
            }
            var simple = (eps - noise).Square().mean();
            if (options.Kind == DdpmLoss.Simple) return simple.MoveToOuterDisposeScope();
            double scale = T / (D * System.Math.Log(2));
            Tensor vlb;
            if (options.Kind == DdpmLoss.Vlb && !learned)
                vlb = ((eps - noise).Square().sum(new long[] { 1 }) * schedule.Gather(NoiseLossWeights(schedule, options.Variance), t, x0.dtype)).mean().Mul(scale);
            else
                vlb = BoundTerm(schedule, x0, xt, t, options.Kind == DdpmLoss.Hybrid ? eps.detach() : eps, logVariance).mean().Mul(scale);
            return (options.Kind == DdpmLoss.Hybrid ? simple.Add(vlb.Mul(options.Lambda)) : vlb).MoveToOuterDisposeScope();
        }

        /// <summary>The network's ε̂ and v as a <see cref="NoiseAndVariancePrediction"/> (a network that learns its variance).</summary>
        public static NoiseAndVariancePrediction AsNoiseAndVariancePrediction(ILearnedVarianceNetwork network, Tensor? condition = null)
        {
            if (!network.LearnsVariance) throw new ArgumentException("Ddpm.AsNoiseAndVariancePrediction: " + network.ModelName + " does not output a variance interpolation v.", nameof(network));
            return (x, t) => network.PredictWithVariance(x, t, condition);
        }

        /// <summary>Bits per dimension of data on bins of width w from a density's NLL in nats per dimension: nll/ln 2 − log₂ w.</summary>
        public static double BitsPerDimension(double nllNatsPerDim, double binWidth) => nllNatsPerDim / System.Math.Log(2) - System.Math.Log2(binWidth);

        private static Tensor Phi(Tensor z) => special.erf(z.Div(System.Math.Sqrt(2))).Add_(1).Mul_(0.5);

        /// <summary>xₜ ~ q(xₜ | x₀) at step index i; the model's mean μθ and log-variance [N, D], and the true posterior mean.</summary>
        private static (Tensor Mean, Tensor LogVariance) ModelStep(DdpmSchedule schedule, Func<Tensor, Tensor, (Tensor, Tensor?)> model, Tensor x0, int i, ReverseVariance variance, Generator generator, out Tensor trueMean)
        {
            var noise = empty_like(x0).normal_(0, 1, generator: generator);
            var xt = x0.Mul(schedule.SqrtAlphaBars[i]).Add(noise.Mul(schedule.SqrtOneMinusAlphaBars[i]));
            using var tau = global::Dsl.ScalarOps.Full(new long[] { x0.shape[0] }, schedule.Times[i], x0.dtype, x0.device);
            var (eps, v) = model(xt, tau);
            var x0Hat = (xt - eps.Mul(schedule.SqrtOneMinusAlphaBars[i])).Div(schedule.SqrtAlphaBars[i]);
            trueMean = x0.Mul(schedule.PosteriorMeanCoef1[i]).Add(xt.Mul(schedule.PosteriorMeanCoef2[i]));
            Tensor logVariance;
            if (variance == ReverseVariance.Learned)
            {
                if (v is null) throw new ArgumentException("Ddpm.VariationalBound: a learned variance needs the network's v.");
                logVariance = LearnedLogVariance(schedule, v, i);
            }
            else logVariance = global::Dsl.ScalarOps.Full(x0.shape, FixedLogVariance(schedule, variance, i), x0.dtype, x0.device);
            return (x0Hat.Mul(schedule.PosteriorMeanCoef1[i]).Add(xt.Mul(schedule.PosteriorMeanCoef2[i])), logVariance);
        }

        private static Tensor Denoised(DdpmSchedule schedule, Tensor x, Tensor eps, int i, DdpmSamplerOptions options)
        {
            var x0 = (x - eps.Mul(schedule.SqrtOneMinusAlphaBars[i])).Div_(schedule.SqrtAlphaBars[i]);
            return options.ClipDenoised ? x0.Clamp_(-options.ClipRange, options.ClipRange) : x0;
        }

        private delegate Tensor Step(Tensor x, int index, Tensor eps, Tensor? interpolation, Func<Tensor> noise);

        private static SdeSampleResult Run(string solver, DdpmSchedule schedule, Func<Tensor, Tensor, (Tensor, Tensor?)> model, long n, int dim, DdpmSamplerOptions options,
            ScalarType dtype, Device? device, int[] steps, Step step)
        {
            if (n < 1 || dim < 1) throw new ArgumentException(solver + ": the number of samples and the dimension must be ≥ 1, got " + n + " and " + dim + ".", nameof(n));
            device ??= options.Start?.device ?? CPU;
            var clock = Stopwatch.StartNew();
            using var generator = new Generator((ulong)options.Seed, device);
            Tensor x;
            if (options.Start is Tensor start)
            {
                if (start.dim() != 2 || start.shape[0] != n || start.shape[1] != dim)
                    throw new ArgumentException(solver + ": Start must be x_T of shape [" + n + ", " + dim + "]; got " + Broadcasting.Describe(start) + ".", nameof(options));
                x = start.detach().to(dtype, device).clone();
            }
            else x = empty(new long[] { n, dim }, dtype: dtype, device: device).normal_(0, 1, generator: generator);
            using var noGrad = no_grad();
            int done = 0;
            bool cancelled = false;
            foreach (var t in steps)
            {
                if (options.Cancellation.IsCancellationRequested) { cancelled = true; break; }
                using (var scope = NewDisposeScope())
                {
                    int i = schedule.Index(t);
                    using var tau = global::Dsl.ScalarOps.Full(new long[] { n }, schedule.Times[i], dtype, device);
                    var (eps, v) = model(x, tau);
                    var next = step(x, i, eps, v, () => empty_like(x).normal_(0, 1, generator: generator)).MoveToOuterDisposeScope();
                    x.Dispose();
                    x = next;
                }
                done++;
                options.Progress?.Report(new SamplerProgress(solver, done, steps.Length, double.NaN));
            }
            if (!ChainLoop.AllFinite(x))
            {
                x.Dispose();
                throw new ArithmeticException(solver + ": the samples became NaN or Inf; check the network and the schedule.");
            }
            return new SdeSampleResult(x, null, done, done, clock.Elapsed, cancelled);
        }

        private static Tensor Combine(DdpmSchedule schedule, Tensor t, Tensor a, Tensor b, Func<int, double> ca, Func<int, double> cb)
        {
            CheckSteps(schedule, a, t, "conversion");
            using var scope = NewDisposeScope();
            var idx = t.cpu().to_type(ScalarType.Int64).data<long>().ToArray();
            var fa = tensor(idx.Select(k => ca((int)k - 1)).ToArray(), ScalarType.Float64, a.device).to_type(a.dtype).unsqueeze(1);
            var fb = tensor(idx.Select(k => cb((int)k - 1)).ToArray(), ScalarType.Float64, a.device).to_type(a.dtype).unsqueeze(1);
            return ((a * fa).Add(b * fb)).MoveToOuterDisposeScope();
        }

        private static void CheckSteps(DdpmSchedule schedule, Tensor x, Tensor t, string member)
        {
            if (t.dim() != 1 || t.shape[0] != x.shape[0] || t.is_floating_point())
                throw new ArgumentException("Ddpm." + member + ": t must be integer steps [N] = [" + x.shape[0] + "] (1…T); got " + t.dtype + " " + Broadcasting.Describe(t) + ".", nameof(t));
            using var mn = t.min();
            using var mx = t.max();
            if (mn.ToInt64Value() < 1 || mx.ToInt64Value() > schedule.Steps)
                throw new ArgumentException("Ddpm." + member + ": steps must lie in 1…" + schedule.Steps + "; got " + mn.ToInt64Value() + "…" + mx.ToInt64Value() + ".", nameof(t));
        }
    }
}
