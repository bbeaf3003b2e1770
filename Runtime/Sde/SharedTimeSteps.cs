using System;
using System.Numerics;
using System.Runtime.InteropServices;
using Dsl.GeneratedCode;
using Dsl.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Sde
{
    /// <summary>
    /// The built-in predictor and corrector steps of a reverse-time run whose samples all sit at one time t, on the host memory
    /// of the run's buffers: taken when the score is a shared-time model (<see cref="TimeScores.FromPerturbedData"/>), the SDE has
    /// a Gaussian kernel and x is a contiguous float32/float64 CPU tensor. Every step is c·x + a·s(x, t) + b·z with c, a, b
    /// computed once per step in float64: one call of the data model's generated fused kernel (score, update and the noise draw
    /// in one pass) when it has one for x, else the score by torch ops and the update by in-place torch ops with the same z.
    /// z comes from the run's counter-based stream: draw k of step i is elements k·N·D … (k + 1)·N·D − 1 of
    /// <see cref="CounterRandom.SubKey"/>(run key, i) (<see cref="SdeStepContext.StepNoise"/>), so a seed gives the same
    /// numbers whatever the kernel path and the thread chunking. The steady state allocates no tensor storage: the step
    /// writes into the run's noise buffer (which then swaps with x) or updates x in place, and the corrector's score goes
    /// into one buffer kept for the run; only the last predictor step's mean (returned by the final denoising) is new.
    /// </summary>
    internal static class SharedTimeSteps
    {
        /// <summary>Whether the shared-time host path applies to this run's step on <paramref name="x"/>.</summary>
        public static bool Applies(SdeStepContext context, Tensor x, out ISharedTimeScoreModel shared)
        {
            shared = null!;
            if (context.Model is not ISharedTimeScoreModel model || !context.Sde.HasGaussianKernel || x.device_type != DeviceType.CPU
                || (x.dtype != ScalarType.Float32 && x.dtype != ScalarType.Float64) || !x.is_contiguous() || x.dim() != 2
                || x.numel() * x.ElementSize > int.MaxValue) return false;
            shared = model;
            return true;
        }

        /// <summary>
        /// <paramref name="output"/> = c·x + a·s(x, t) + b·z at the context's time (one score evaluation, counted when
        /// <paramref name="count"/>): the generated fused kernel in one pass when the model has one for x, else torch ops.
        /// b = 0 draws no noise on either path.
        /// </summary>
        public static void Combine(SdeStepContext context, ISharedTimeScoreModel shared, Tensor x, double c, double a, double b, CounterNoise noise, Tensor output, bool count = true)
        {
            if (count) context.CountEvaluation();
            if (shared.TryStepNoGrad(x, context.Time, c, a, b, noise, output)) return;
            using var scope = NewDisposeScope();
            var s = ScoreOutput.CheckShape(context.EntryPoint, context.Model.ModelName, shared.ScoreAtNoGrad(x, context.Time), x);
            if (b != 0)
            {
                CounterRandom.FillNormal(output, noise.Key, noise.Offset);
                output.Mul_(b);
            }
            else output.zero_();
            output.Add_(s, alpha: a).Add_(x, alpha: c);
        }

        /// <summary>
        /// A predictor step x' = c·x + a·s + b·z into <paramref name="noise"/> (the run's buffer, which becomes the state). On the
        /// last step of a denoising run the noise-free mean c·x + a·s is computed first (a fresh tensor the run returns) and
        /// x' = mean + b·z from it: one score evaluation either way.
        /// </summary>
        public static PredictorStep Predict(SdeStepContext context, ISharedTimeScoreModel shared, Tensor x, Tensor noise, double c, double a, double b)
        {
            var z = context.StepNoise(x);
            if (!(context.Denoise && context.IsLastStep))
            {
                Combine(context, shared, x, c, a, b, z, noise);
                return new PredictorStep(noise, null);
            }
            var mean = empty_like(x);
            Combine(context, shared, x, c, a, 0, z, mean);
            CounterRandom.FillNormal(noise, z.Key, z.Offset);
            noise.Mul_(b).Add_(mean);
            return new PredictorStep(noise, mean);
        }

        /// <summary>
        /// One Langevin corrector step with the signal-to-noise rule (Song et al. 2021, Algorithm 4), three passes over the
        /// run's buffers: (1) s(x, t) into the score buffer (the fused kernel with c = 0, a = 1, b = 0); (2) z into
        /// <paramref name="noise"/> and the batch means of the row norms ‖s‖, ‖z‖ (summed per block of
        /// <see cref="FusedKernels.NoiseBlock"/> rows, the block sums added in order: the same ε whatever the chunking);
        /// (3) x ← x + εs + √(2ε)z in place with ε = 2α(r‖z‖/‖s‖)².
        /// </summary>
        public static Tensor LangevinSnr(SdeStepContext context, ISharedTimeScoreModel shared, Tensor x, Tensor noise, double snr, double alpha)
        {
            var s = context.ScoreBuffer(x);
            Combine(context, shared, x, 0, 1, 0, default, s);
            var (sNorm, zNorm) = DrawAndMeanNorms(s, noise, context.StepNoise(x), context.NormPartials(x));
            double step = 2 * alpha * System.Math.Pow(snr * zNorm / System.Math.Max(sNorm, 1e-30), 2);
            AddInPlace(x, s, noise, step, System.Math.Sqrt(2 * step));
            return x;
        }

        /// <summary>The number of row blocks the norm pass sums separately (its partial sums: two per block).</summary>
        public static int Blocks(long n) => (int)((n + FusedKernels.NoiseBlock - 1) / FusedKernels.NoiseBlock);

        /// <summary>z into <paramref name="z"/> from <paramref name="noise"/>; returns the means over the rows of ‖s_i‖ and ‖z_i‖.</summary>
        private static (double S, double Z) DrawAndMeanNorms(Tensor s, Tensor z, CounterNoise noise, double[] partials)
        {
            int n = (int)s.shape[0], d = (int)s.shape[1], blocks = Blocks(n);
            bool single = s.dtype == ScalarType.Float32;
            FusedKernels.For(blocks, 8L * FusedKernels.NoiseBlock * d, (first, last) =>
            {
                for (int k = first; k < last; k++)
                {
                    if (single) NormBlock<float>(s, z, noise, n, d, k, partials);
                    else NormBlock<double>(s, z, noise, n, d, k, partials);
                }
            });
            double sSum = 0, zSum = 0;
            for (int k = 0; k < blocks; k++) { sSum += partials[2 * k]; zSum += partials[2 * k + 1]; }
            return (sSum / n, zSum / n);
        }

        private static void NormBlock<T>(Tensor s, Tensor z, CounterNoise noise, int n, int d, int block, double[] partials) where T : unmanaged, IFloatingPointIeee754<T>
        {
            int r0 = block * FusedKernels.NoiseBlock, rows = System.Math.Min(n, r0 + FusedKernels.NoiseBlock) - r0;
            var ss = FusedKernels.Span<T>(s).Slice(r0 * d, rows * d);
            var zs = FusedKernels.Span<T>(z).Slice(r0 * d, rows * d);
            if (typeof(T) == typeof(float)) CounterRandom.FillNormal(MemoryMarshal.Cast<T, float>(zs), noise.Key, noise.Offset + (long)r0 * d);
            else CounterRandom.FillNormal(MemoryMarshal.Cast<T, double>(zs), noise.Key, noise.Offset + (long)r0 * d);
            double sTotal = 0, zTotal = 0;
            for (int r = 0, o = 0; r < rows; r++)
            {
                double sq = 0, zq = 0;
                for (int j = 0; j < d; j++, o++)
                {
                    double sv = double.CreateTruncating(ss[o]), zv = double.CreateTruncating(zs[o]);
                    sq += sv * sv;
                    zq += zv * zv;
                }
                sTotal += System.Math.Sqrt(sq);
                zTotal += System.Math.Sqrt(zq);
            }
            partials[2 * block] = sTotal;
            partials[2 * block + 1] = zTotal;
        }

        /// <summary>x ← x + e·s + f·z elementwise, in float64 and rounded once to x's dtype.</summary>
        private static void AddInPlace(Tensor x, Tensor s, Tensor z, double e, double f)
        {
            int total = (int)x.numel();
            bool single = x.dtype == ScalarType.Float32;
            FusedKernels.For(total, 4, (first, last) =>
            {
                if (single) AddRange<float>(x, s, z, e, f, first, last);
                else AddRange<double>(x, s, z, e, f, first, last);
            });
        }

        private static void AddRange<T>(Tensor x, Tensor s, Tensor z, double e, double f, int first, int last) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var xs = FusedKernels.Span<T>(x);
            var ss = FusedKernels.Span<T>(s);
            var zs = FusedKernels.Span<T>(z);
            for (int i = first; i < last; i++)
                xs[i] = T.CreateTruncating(double.CreateTruncating(xs[i]) + e * double.CreateTruncating(ss[i]) + f * double.CreateTruncating(zs[i]));
        }
    }
}
