using System;
using System.Globalization;
using Dsl.Sde;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.ScoreMatching
{
    /// <summary>The weighting λ(t) of the continuous-time denoising score-matching loss.</summary>
    public enum TimeWeighting
    {
        /// <summary>λ(t) = σₜ² = v(t), the kernel's variance (Song et al. 2021's default; with an ε-network it is L_simple).</summary>
        Variance,
        /// <summary>λ(t) = g(t)², the likelihood weighting: the loss then bounds the negative log-likelihood (Song, Durkan et al. 2021).</summary>
        Likelihood,
    }

    /// <summary>
    /// Continuous-time denoising score matching on an SDE's generated perturbation kernel p₀ₜ(xₜ|x₀) = N(m(t)x₀, v(t)I)
    /// (Song et al. 2021, Eq. 7):
    /// <code>L(θ) = ½ E_{t~U(ε,T)} E_{x₀} E_{xₜ|x₀} [ λ(t) ‖s_θ(xₜ, t) − ∇ log p₀ₜ(xₜ|x₀)‖² ],   ∇ log p₀ₜ(xₜ|x₀) = −z/σₜ</code>
    /// with xₜ = m(t)x₀ + σₜz, σₜ = √v(t). The kernel comes from the SDE (<see cref="ISde.Perturb"/>, <see cref="ISde.MarginalStd"/>,
    /// <see cref="ISde.Diffusion"/>), not from a hand-written formula.
    /// </summary>
    public static class ContinuousTimeScoreMatching
    {
        /// <summary>
        /// The loss on a batch x₀: [N, D] with one (t, z) per row: a 0-dim tensor carrying the score's graph. ε truncates
        /// t away from 0, where σₜ → 0 and the target −z/σₜ is singular (score_sde trains with ε = 1e-5).
        /// </summary>
        public static Tensor Loss(ISde sde, ITimeScoreModel score, Tensor x0, TimeWeighting weighting, Generator generator, double epsilon = 1e-5)
        {
            Check(sde, score, x0, epsilon);
            using var scope = NewDisposeScope();
            long n = x0.shape[0];
            var t = empty(n, dtype: x0.dtype, device: x0.device).uniform_(epsilon, sde.EndTime, generator: generator);
            var z = empty_like(x0).normal_(0, 1, generator: generator);
            return PerSample(sde, score, x0, t, z, weighting).mean().MoveToOuterDisposeScope();
        }

        /// <summary>
        /// ½λ(t)‖s_θ(xₜ, t) + z/σₜ‖² for given times t: [N] and noises z: [N, D] (xₜ = m(t)x₀ + σₜz): [N]. Computed as
        /// ½(λ/σₜ²)‖σₜs_θ + z‖², which stays finite for small σₜ when the score is σₜ-parametrised.
        /// </summary>
        public static Tensor PerSample(ISde sde, ITimeScoreModel score, Tensor x0, Tensor t, Tensor z, TimeWeighting weighting)
        {
            if (t is null || t.dim() != 1 || t.shape[0] != x0.shape[0])
                throw new ArgumentException("ContinuousTimeScoreMatching on " + sde.SdeName + ": t must be [N] = [" + x0.shape[0] + "]; got " + (t is null ? "null" : Broadcasting.Describe(t)) + ".", nameof(t));
            if (z is null || !z.shape.AsSpan().SequenceEqual(x0.shape))
                throw new ArgumentException("ContinuousTimeScoreMatching on " + sde.SdeName + ": z must have the shape of x₀ " + Broadcasting.Describe(x0) + "; got " + (z is null ? "null" : Broadcasting.Describe(z)) + ".", nameof(z));
            using var scope = NewDisposeScope();
            var xt = sde.Perturb(x0, t, z);
            var std = sde.MarginalStd(t);
            var s = score.Score(xt, t);
            var residual = (s * std.unsqueeze(1)).Add(z);                     // σₜ(s_θ − ∇log p₀ₜ)
            var ratio = weighting == TimeWeighting.Variance ? ones_like(std) : sde.Diffusion(t).Square() / std.Square();   // λ/σₜ²
            return ((residual.Square().sum(1) * ratio).Mul(0.5)).MoveToOuterDisposeScope();
        }

        private static void Check(ISde sde, ITimeScoreModel score, Tensor x0, double epsilon)
        {
            if (sde is null) throw new ArgumentNullException(nameof(sde));
            if (score is null) throw new ArgumentNullException(nameof(score));
            string who = "ContinuousTimeScoreMatching.Loss(" + score.ModelName + " on " + sde.SdeName + ")";
            if (!sde.HasGaussianKernel)
                throw new ArgumentException(who + ": the SDE has no Gaussian perturbation kernel (drift not a(t)·x), so ∇log p₀ₜ has no closed form.", nameof(sde));
            if (x0 is null) throw new ArgumentNullException(nameof(x0), who + ": x₀ is null.");
            if (x0.dim() != 2 || x0.shape[1] != score.Dim || !x0.is_floating_point())
                throw new ArgumentException(who + ": x₀ must be a floating-point [N, " + score.Dim + "] batch; got " + x0.dtype + " " + Broadcasting.Describe(x0) + ".", nameof(x0));
            if (!(epsilon > 0) || !(epsilon < sde.EndTime))
                throw new ArgumentException(who + ": the truncation ε must lie in (0, T = " + sde.EndTime.ToString(CultureInfo.InvariantCulture) + "), got " + epsilon.ToString(CultureInfo.InvariantCulture) + ".", nameof(epsilon));
        }
    }
}
