using System;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using Dsl.Sampling;
using Dsl.Sde;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Diffusion
{
    /// <summary>Settings of <see cref="Inpainting.Sample"/>.</summary>
    public sealed class InpaintingOptions
    {
        /// <summary>Steps K of the reverse sub-sequence (evenly spaced in 1…T, ending at 1); 0 = all T (Algorithm 2's grid).</summary>
        public int Steps { get; init; }

        /// <summary>
        /// RePaint's resampling (Lugmayr et al. 2022, Algorithm 1): each step is done this many times, re-noising x_{t−1} back to
        /// xₜ between attempts (jump length 1), so the generated pixels can agree with the known ones. 1 = plain replacement.
        /// </summary>
        public int Resample { get; init; } = 1;

        /// <summary>Clip x̂₀ to [−<see cref="ClipRange"/>, <see cref="ClipRange"/>] (images in [−1, 1]).</summary>
        public bool ClipDenoised { get; init; }

        /// <summary>The clipping bound.</summary>
        public double ClipRange { get; init; } = 1;

        /// <summary>Seed of x_T and of every noise draw.</summary>
        public long Seed { get; init; }

        /// <summary>Progress reports (one per reverse step).</summary>
        public IProgress<SamplerProgress>? Progress { get; init; }

        /// <summary>Stops between steps; the state reached is returned with Cancelled.</summary>
        public CancellationToken Cancellation { get; init; }
    }

    /// <summary>
    /// An inverse problem solved by conditioning the reverse process of an unconditional model: inpainting by replacement
    /// (Song et al. 2021, App. I.2; Lugmayr et al. 2022, RePaint). Mask semantics: <c>mask</c> is 1 where a pixel is KNOWN
    /// (observed, kept from <c>known</c>) and 0 where it is MISSING (to be generated); values of <c>known</c> under a 0 are
    /// ignored.
    /// </summary>
    public static class Inpainting
    {
        /// <summary>
        /// Replacement sampling. x_T ~ N(0, I) with the known pixels set to a draw of q(x_T | x₀); for each step t → t' of the
        /// sub-sequence (t' = 0 after t = 1, ᾱ₀ = 1):
        ///   unknown: x_{t'} = √ᾱ_{t'} x̂₀ + √(1 − ᾱ_{t'} − σ²) ε̂ + σ z,  x̂₀ = (xₜ − √(1 − ᾱₜ) ε̂)/√ᾱₜ,
        ///            σ = √((1 − ᾱ_{t'})/(1 − ᾱₜ)) √(1 − ᾱₜ/ᾱ_{t'}) (the ancestral step; on all T steps exactly Algorithm 2 with β̃);
        ///   known:   x_{t'} = √ᾱ_{t'} x₀ + √(1 − ᾱ_{t'}) z' ~ q(x_{t'} | x₀)  (exactly x₀ at t' = 0);
        ///   x_{t'} = m ⊙ known + (1 − m) ⊙ unknown.
        /// With <see cref="InpaintingOptions.Resample"/> = U &gt; 1, the step is repeated U times, x_{t'} re-noised to
        /// xₜ = √(ᾱₜ/ᾱ_{t'}) x_{t'} + √(1 − ᾱₜ/ᾱ_{t'}) z'' (the forward kernel q(xₜ | x_{t'})) between attempts.
        /// Returns [N, D] with exactly the known pixels under the mask; NFE = K·U.
        /// </summary>
        /// <param name="schedule">The schedule the network was trained on.</param>
        /// <param name="epsilon">The (unconditional) noise prediction.</param>
        /// <param name="known">The observed data [N, D] (its values under mask 0 are ignored).</param>
        /// <param name="mask">1 = known, 0 = missing: [N, D] or one mask [D] for every row; only 0 and 1 are allowed.</param>
        /// <param name="options">Steps, resampling, clipping, seed, progress, cancellation.</param>
        public static SdeSampleResult Sample(DdpmSchedule schedule, NoisePrediction epsilon, Tensor known, Tensor mask, InpaintingOptions options)
        {
            if (schedule is null) throw new ArgumentNullException(nameof(schedule));
            if (epsilon is null) throw new ArgumentNullException(nameof(epsilon));
            if (options is null) throw new ArgumentNullException(nameof(options));
            if (known is null || known.dim() != 2 || !known.is_floating_point())
                throw new ArgumentException("Inpainting.Sample: known must be floating-point data [N, D]; got " + (known is null ? "null" : known.dtype + " " + Broadcasting.Describe(known)) + ".", nameof(known));
            long n = known.shape[0], d = known.shape[1];
            using var m = CheckMask(mask, n, d, known.dtype, "Inpainting.Sample");
            if (options.Resample < 1) throw new ArgumentException("Inpainting.Sample: Resample must be ≥ 1, got " + options.Resample + ".", nameof(options));
            var steps = options.Steps == 0 ? Enumerable.Range(1, schedule.Steps).Reverse().ToArray() : Ddpm.SubSequence(schedule.Steps, options.Steps);

            var clock = Stopwatch.StartNew();
            var device = known.device;
            var dtype = known.dtype;
            using var generator = new Generator((ulong)options.Seed, device);
            using var noGrad = no_grad();
            Tensor x0, keep, fill;
            using (var setup = NewDisposeScope())
            {
                x0 = known.detach().clone().MoveToOuterDisposeScope();
                keep = m.expand(n, d).contiguous().MoveToOuterDisposeScope();
                fill = (global::Dsl.ScalarOps.RSub(1,keep)).MoveToOuterDisposeScope();
            }
            using var disposeX0 = x0;
            using var disposeKeep = keep;
            using var disposeFill = fill;
            Tensor Noise() => empty(new long[] { n, d }, dtype: dtype, device: device).normal_(0, 1, generator: generator);
            Tensor Known(double alphaBar) => alphaBar >= 1 ? x0.clone() : Noise().Mul_(System.Math.Sqrt(1 - alphaBar)).Add_(x0, alpha: System.Math.Sqrt(alphaBar));

            Tensor x;
            using (var scope = NewDisposeScope())
            {
                var start = Noise();
                x = ((keep * Known(schedule.AlphaBars[steps[0] - 1])).Add(fill * start)).MoveToOuterDisposeScope();
            }
            int done = 0, nfe = 0;
            bool cancelled = false;
            for (int k = 0; k < steps.Length; k++)
            {
                if (options.Cancellation.IsCancellationRequested) { cancelled = true; break; }
                int i = steps[k] - 1;
                double a = schedule.AlphaBars[i], aPrev = k + 1 < steps.Length ? schedule.AlphaBars[steps[k + 1] - 1] : 1.0;
                double sigma = System.Math.Sqrt((1 - aPrev) / (1 - a) * (1 - a / aPrev));
                for (int u = 0; u < options.Resample; u++)
                {
                    using var scope = NewDisposeScope();
                    using var tau = global::Dsl.ScalarOps.Full(new long[] { n }, schedule.Times[i], dtype, device);
                    var eps = epsilon(x, tau);
                    nfe++;
                    var x0Hat = (x - eps.Mul(schedule.SqrtOneMinusAlphaBars[i])).Div_(schedule.SqrtAlphaBars[i]);
                    if (options.ClipDenoised)
                    {
                        x0Hat.Clamp_(-options.ClipRange, options.ClipRange);
                        eps = (x - x0Hat.Mul(System.Math.Sqrt(a))).Div(System.Math.Sqrt(1 - a));       // ε consistent with the clipped x̂₀
                    }
                    var unknown = x0Hat.Mul_(System.Math.Sqrt(aPrev)).Add_(eps, alpha: System.Math.Sqrt(System.Math.Max(1 - aPrev - sigma * sigma, 0)));
                    if (sigma > 0) unknown.Add_(Noise(), alpha: sigma);
                    var next = (keep * Known(aPrev)).Add(fill * unknown);
                    if (u + 1 < options.Resample && aPrev < 1)
                        next = next.Mul_(System.Math.Sqrt(a / aPrev)).Add_(Noise(), alpha: System.Math.Sqrt(1 - a / aPrev));
                    next = next.MoveToOuterDisposeScope();
                    x.Dispose();
                    x = next;
                    if (aPrev >= 1) break;                                                       // the last step is deterministic: no resampling
                }
                done++;
                options.Progress?.Report(new SamplerProgress("inpainting", done, steps.Length, double.NaN));
            }
            if (!ChainLoop.AllFinite(x))
            {
                x.Dispose();
                throw new ArithmeticException("Inpainting.Sample: the samples became NaN or Inf; check the network and the schedule.");
            }
            return new SdeSampleResult(x, null, nfe, done, clock.Elapsed, cancelled);
        }

        /// <summary>
        /// Mean squared error over the MISSING entries (mask 0) only: Σ (1 − m)(x − x₀)² / Σ (1 − m). The measure of an
        /// inpainting: known pixels are exact by construction and would dilute it.
        /// </summary>
        public static double MaskedMse(Tensor samples, Tensor truth, Tensor mask)
        {
            if (samples is null || truth is null || samples.dim() != 2 || !samples.shape.SequenceEqual(truth.shape))
                throw new ArgumentException("Inpainting.MaskedMse: samples and truth must both be [N, D] of one shape; got " + (samples is null ? "null" : Broadcasting.Describe(samples)) + " and " + (truth is null ? "null" : Broadcasting.Describe(truth)) + ".", nameof(samples));
            using var scope = NewDisposeScope();
            var m = CheckMask(mask, samples.shape[0], samples.shape[1], ScalarType.Float64, "Inpainting.MaskedMse").expand(samples.shape[0], samples.shape[1]);
            var missing = global::Dsl.ScalarOps.RSub(1,m);
            double count = missing.sum().ToDoubleValue();
            if (count == 0) throw new ArgumentException("Inpainting.MaskedMse: the mask has no missing entry (no 0), so there is nothing to measure.", nameof(mask));
            var error = (samples.to_type(ScalarType.Float64) - truth.to_type(ScalarType.Float64)).Square().mul_(missing);
            return error.sum().ToDoubleValue() / count;
        }

        /// <summary>The mask as [N, D] or [1, D] of <paramref name="dtype"/>; throws unless it is [N, D] or [D] of 0s and 1s.</summary>
        private static Tensor CheckMask(Tensor mask, long n, long d, ScalarType dtype, string who)
        {
            if (mask is null) throw new ArgumentNullException(nameof(mask), who + ": the mask is null; expected [" + n + ", " + d + "] or [" + d + "] of 0 (missing) and 1 (known).");
            bool shapeOk = mask.dim() == 2 ? mask.shape[0] == n && mask.shape[1] == d : mask.dim() == 1 && mask.shape[0] == d;
            if (!shapeOk)
                throw new ArgumentException(who + ": the mask must be [" + n + ", " + d + "] (one per row) or [" + d + "] (shared), 1 = known, 0 = missing; got " + Broadcasting.Describe(mask) + ".", nameof(mask));
            using var scope = NewDisposeScope();
            var m = mask.to_type(ScalarType.Float64);
            bool binary = m.Eq(0).logical_or(m.Eq(1)).all().ToBooleanValue();
            if (!binary) throw new ArgumentException(who + ": the mask must hold only 0 (missing) and 1 (known); it has other values.", nameof(mask));
            if (m.Eq(0).sum().ToInt64Value() == 0 && who == "Inpainting.Sample")
                throw new ArgumentException(who + ": the mask has no missing entry (no 0): nothing to inpaint.", nameof(mask));
            return (mask.dim() == 1 ? m.unsqueeze(0) : m).to_type(dtype).MoveToOuterDisposeScope();
        }
    }
}
