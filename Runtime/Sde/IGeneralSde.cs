using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Sde
{
    /// <summary>The form of an SDE's diffusion G in dx = f dt + G dw.</summary>
    public enum DiffusionForm
    {
        /// <summary>A scalar g: G = g·I.</summary>
        Scalar,
        /// <summary>A per-coordinate Vec g: G = diag(g).</summary>
        Diagonal,
        /// <summary>A D×D matrix G.</summary>
        Matrix,
    }

    /// <summary>How the Gaussian perturbation kernel N(Φ(t)x₀, Σ(t)) of a linear SDE is computed.</summary>
    public enum GaussianKernelForm
    {
        /// <summary>No Gaussian kernel: the drift is not linear in x, or the diffusion depends on x (the kernel members throw).</summary>
        None,
        /// <summary>Φ = diag(m(t)), Σ = diag(v(t)) with m, v per coordinate in closed form (diagonal drift and diffusion).</summary>
        ClosedForm,
        /// <summary>Constant F and G: Φ = exp(tF) and Σ from Van Loan's block exponential of [[F, GGᵀ], [0, −Fᵀ]]·t.</summary>
        MatrixExponential,
        /// <summary>Φ′ = FΦ, Σ′ = FΣ + ΣFᵀ + GGᵀ integrated in float64 by RK4 on a fine grid (not differentiable in the parameters).</summary>
        Tabulated,
        /// <summary>
        /// F(t) = b(t)·A with A free of t and G(t)G(t)ᵀ = b(t)·Q with Q free of t: Φ = exp(B(t)A), B(t) = ∫₀ᵗ b in closed form,
        /// and Σ from Van Loan's block exponential of [[A, Q], [0, −Aᵀ]]·B(t) (the time change u = B(t) makes the coefficients constant).
        /// </summary>
        TimeChangedMatrixExponential,
    }

    /// <summary>
    /// A generated [Sde] dx = f(x, t) dt + G(x, t) dw whose diffusion is a scalar, a per-coordinate Vec or a matrix, which
    /// may hold [Param] members, and whose drift may be linear in x with a matrix F(t) (f = F(t)x) or nonlinear.
    /// For a linear drift and a diffusion independent of x the perturbation kernel is p₀ₜ(xₜ | x₀) = N(Φ(t)x₀, Σ(t)) with
    /// Φ′ = FΦ, Φ(0) = I and Σ′ = FΣ + ΣFᵀ + GGᵀ, Σ(0) = 0. The <see cref="ISde"/> members that assume a scalar kernel
    /// (<see cref="ISde.MeanCoefficient"/>, …) work only when <see cref="ISde.HasGaussianKernel"/> is true (scalar diffusion
    /// and drift a(t)·x); ReverseDrift and ProbabilityFlowDrift use GGᵀs for every diffusion form.
    /// </summary>
    public interface IGeneralSde : ISde
    {
        /// <summary>D, the dimension of x.</summary>
        int Dim { get; }

        /// <summary>Scalar, per-coordinate or matrix diffusion.</summary>
        DiffusionForm DiffusionForm { get; }

        /// <summary>True when the diffusion reads x (g(x, t)): no Gaussian kernel, Milstein applies to a per-coordinate g.</summary>
        bool DiffusionDependsOnState { get; }

        /// <summary>How the kernel is computed, or None.</summary>
        GaussianKernelForm KernelForm { get; }

        /// <summary>Why there is no kernel (null when there is one).</summary>
        string? KernelUnavailableReason { get; }

        /// <summary>The diffusion as written: [N] (scalar), [N, D] (per coordinate) or [N, D, D] (matrix), for x: [N, D], t: [N].</summary>
        Tensor DiffusionValue(Tensor x, Tensor t);

        /// <summary>G(x, t) as a matrix: [N, D, D].</summary>
        Tensor DiffusionMatrix(Tensor x, Tensor t);

        /// <summary>G(x, t)·noise: [N, D] for noise: [N, D].</summary>
        Tensor DiffusionTimes(Tensor x, Tensor t, Tensor noise);

        /// <summary>G(x, t)G(x, t)ᵀ·v: [N, D] for v: [N, D].</summary>
        Tensor DiffusionCovarianceTimes(Tensor x, Tensor t, Tensor v);

        /// <summary>F(t) of a linear drift f = F(t)x: [N, D, D] (throws for a nonlinear drift).</summary>
        Tensor DriftMatrix(Tensor t);

        /// <summary>The transition matrix Φ(t): [N, D, D].</summary>
        Tensor TransitionMatrix(Tensor t);

        /// <summary>The kernel covariance Σ(t): [N, D, D].</summary>
        Tensor KernelCovariance(Tensor t);

        /// <summary>The kernel mean Φ(t)x₀: [N, D].</summary>
        Tensor KernelMean(Tensor x0, Tensor t);

        /// <summary>The kernel's score ∇ₓ log p₀ₜ(x | x₀) = −Σ(t)⁻¹(x − Φ(t)x₀): [N, D] (the denoising score-matching target).</summary>
        Tensor KernelScore(Tensor x, Tensor x0, Tensor t);
    }
}
