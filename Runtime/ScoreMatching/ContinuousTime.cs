using System;
using System.Globalization;
using Dsl.Sampling;
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

        /// <summary>
        /// Time-dependent implicit score matching (Hyvärinen 2005 at every t): ℓ_ism(θ) = E_{t~U(ε,T)} λ(t) E_{xₜ~pₜ}[½‖s_θ(xₜ,t)‖² + ∇ₓ·s_θ(xₜ,t)],
        /// xₜ = m(t)x₀ + σₜz drawn through the SDE's kernel. Per t it equals the explicit loss ½E‖s_θ − ∇log pₜ‖² minus ½E‖∇log pₜ‖²,
        /// a constant in θ, so its θ-gradient equals that of <see cref="Loss"/> (same λ) in expectation. The divergence is exact: the
        /// model's own ScoreDivergence when it is an <see cref="ITimeScoreDivergenceModel"/>, D autograd passes (through
        /// <see cref="GuardedAutograd"/>, with create_graph so the loss trains through it) otherwise.
        /// </summary>
        public static Tensor ImplicitLoss(ISde sde, ITimeScoreModel score, Tensor x0, TimeWeighting weighting, Generator generator, double epsilon = 1e-5)
        {
            Check(sde, score, x0, epsilon, "ImplicitLoss");
            using var scope = NewDisposeScope();
            var (t, z) = Draw(sde, x0, generator, epsilon);
            return ImplicitPerSample(sde, score, x0, t, z, weighting).mean().MoveToOuterDisposeScope();
        }

        /// <summary>λ(t)[½‖s_θ(xₜ,t)‖² + ∇ₓ·s_θ(xₜ,t)] at xₜ = m(t)x₀ + σₜz for given t: [N] and z: [N, D]: [N] (the same xₜ as <see cref="PerSample"/> for the same t, z).</summary>
        public static Tensor ImplicitPerSample(ISde sde, ITimeScoreModel score, Tensor x0, Tensor t, Tensor z, TimeWeighting weighting)
        {
            CheckDraws(sde, x0, t, z);
            using var scope = NewDisposeScope();
            var xt = sde.Perturb(x0, t, z).detach();
            Tensor s, div;
            if (score is ITimeScoreDivergenceModel exact)
            {
                s = ScoreOutput.CheckShape("ContinuousTimeScoreMatching.ImplicitLoss", score.ModelName, score.Score(xt, t), xt);
                div = exact.ScoreDivergence(xt, t);
            }
            else
            {
                using var grad = enable_grad();
                var input = xt.requires_grad_(true);
                s = ScoreOutput.CheckShape("ContinuousTimeScoreMatching.ImplicitLoss", score.ModelName, score.Score(input, t), xt);
                var caller = Caller("ImplicitLoss", score);
                div = zeros(xt.shape[0], dtype: xt.dtype, device: xt.device);
                for (long i = 0; i < xt.shape[1]; i++)
                {
                    // retain_graph: every coordinate differentiates the same s; create_graph: the loss trains through ∂sᵢ/∂xᵢ.
                    var gi = GuardedAutograd.Grad(caller, s.select(1, i).sum(), input, retainGraph: true, createGraph: true);
                    if (gi is not null) div = div.Add(gi.select(1, i));
                }
            }
            return (Weight(sde, t, weighting) * s.Square().sum(1).Mul(0.5).Add(div)).MoveToOuterDisposeScope();
        }

        /// <summary>
        /// Time-dependent sliced score matching (Song, Garg, Shi &amp; Ermon 2019 at every t): ℓ_ssm(θ) = E_t λ(t) E_{xₜ} E_v[vᵀ∇ₓ(vᵀs_θ) + ½(vᵀs_θ)²]
        /// with <paramref name="projections"/> random projections v per sample (E[vvᵀ] = I, so the expectation over v is the implicit
        /// loss's integrand); one vector–Jacobian product per projection, no D-pass trace. <paramref name="varianceReduced"/> replaces
        /// ½(vᵀs)² by its expectation ½‖s‖² (SSM-VR).
        /// </summary>
        public static Tensor SlicedLoss(ISde sde, ITimeScoreModel score, Tensor x0, TimeWeighting weighting, Generator generator, double epsilon = 1e-5,
            int projections = 1, ProbeDistribution distribution = ProbeDistribution.Gaussian, bool varianceReduced = false)
        {
            Check(sde, score, x0, epsilon, "SlicedLoss");
            if (projections < 1) throw new ArgumentException("ContinuousTimeScoreMatching.SlicedLoss: projections must be ≥ 1, got " + projections + ".", nameof(projections));
            using var scope = NewDisposeScope();
            var (t, z) = Draw(sde, x0, generator, epsilon);
            var probes = stack(System.Linq.Enumerable.ToArray(System.Linq.Enumerable.Select(System.Linq.Enumerable.Range(0, projections), _ => DivergenceEstimators.Probe(x0, distribution, generator))));
            return SlicedPerSample(sde, score, x0, t, z, probes, weighting, varianceReduced).mean().MoveToOuterDisposeScope();
        }

        /// <summary>
        /// λ(t)·(1/M)Σₘ[vₘᵀ∇ₓ(vₘᵀs_θ(xₜ,t)) + ½(vₘᵀs_θ)²] (or ½‖s_θ‖² with <paramref name="varianceReduced"/>) for given t: [N], z: [N, D] and
        /// projections v: [M, N, D]: [N].
        /// </summary>
        public static Tensor SlicedPerSample(ISde sde, ITimeScoreModel score, Tensor x0, Tensor t, Tensor z, Tensor projections, TimeWeighting weighting, bool varianceReduced = false)
        {
            CheckDraws(sde, x0, t, z);
            if (projections is null || projections.dim() != 3 || projections.shape[1] != x0.shape[0] || projections.shape[2] != x0.shape[1])
                throw new ArgumentException("ContinuousTimeScoreMatching on " + sde.SdeName + ": the projections must be [M, N, D] = [M, " + x0.shape[0] + ", " + x0.shape[1] + "]; got "
                    + (projections is null ? "null" : Broadcasting.Describe(projections)) + ".", nameof(projections));
            using var scope = NewDisposeScope();
            using var grad = enable_grad();
            var input = sde.Perturb(x0, t, z).detach().requires_grad_(true);
            var s = ScoreOutput.CheckShape("ContinuousTimeScoreMatching.SlicedLoss", score.ModelName, score.Score(input, t), input);
            var caller = Caller("SlicedLoss", score);
            long m = projections.shape[0];
            var total = zeros(x0.shape[0], dtype: x0.dtype, device: x0.device);
            for (long k = 0; k < m; k++)
            {
                var v = projections[k];
                var sv = (s * v).sum(1);
                var vjp = GuardedAutograd.Grad(caller, sv.sum(), input, retainGraph: true, createGraph: true);
                var curvature = vjp is null ? zeros_like(sv) : (vjp * v).sum(1);
                total = total.Add(curvature).Add((varianceReduced ? s.Square().sum(1) : sv.Square()).Mul(0.5));
            }
            return (Weight(sde, t, weighting) * total.Div(m)).MoveToOuterDisposeScope();
        }

        /// <summary>λ(t): σₜ² or g(t)², [N].</summary>
        private static Tensor Weight(ISde sde, Tensor t, TimeWeighting weighting) =>
            weighting == TimeWeighting.Variance ? sde.MarginalStd(t).Square() : sde.Diffusion(t).Square();

        private static (Tensor T, Tensor Z) Draw(ISde sde, Tensor x0, Generator generator, double epsilon)
        {
            var t = empty(x0.shape[0], dtype: x0.dtype, device: x0.device).uniform_(epsilon, sde.EndTime, generator: generator);
            var z = empty_like(x0).normal_(0, 1, generator: generator);
            return (t, z);
        }

        private static AutogradCaller Caller(string member, ITimeScoreModel score) =>
            new("ContinuousTimeScoreMatching." + member, "the score '" + score.ModelName + "'", "x",
                "Its Score(x, t) must keep the autograd graph in x: a score that detaches or runs under no_grad has no divergence to train through.");

        private static void CheckDraws(ISde sde, Tensor x0, Tensor t, Tensor z)
        {
            if (x0 is null) throw new ArgumentNullException(nameof(x0));
            if (t is null || t.dim() != 1 || t.shape[0] != x0.shape[0])
                throw new ArgumentException("ContinuousTimeScoreMatching on " + sde.SdeName + ": t must be [N] = [" + x0.shape[0] + "]; got " + (t is null ? "null" : Broadcasting.Describe(t)) + ".", nameof(t));
            if (z is null || !z.shape.AsSpan().SequenceEqual(x0.shape))
                throw new ArgumentException("ContinuousTimeScoreMatching on " + sde.SdeName + ": z must have the shape of x₀ " + Broadcasting.Describe(x0) + "; got " + (z is null ? "null" : Broadcasting.Describe(z)) + ".", nameof(z));
        }

        private static void Check(ISde sde, ITimeScoreModel score, Tensor x0, double epsilon, string member = "Loss")

        {
            if (sde is null) throw new ArgumentNullException(nameof(sde));
            if (score is null) throw new ArgumentNullException(nameof(score));
            string who = "ContinuousTimeScoreMatching." + member + "(" + score.ModelName + " on " + sde.SdeName + ")";
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
