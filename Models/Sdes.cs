using static Dsl.Math;

namespace Dsl.Models
{
    /// <summary>
    /// Variance-exploding SDE (SMLD, Song et al. 2021): σ(t) = σ_min (σ_max/σ_min)^t, dx = √(dσ²/dt) dw, so
    /// f = 0 and g(t) = σ(t) √(2 log(σ_max/σ_min)). Kernel: m = 1, v(t) = σ(t)² − σ_min².
    /// </summary>
    [Sde]
    public partial class VeSde
    {
        /// <summary>σ_min.</summary>
        public double SigmaMin { get; init; } = 0.01;

        /// <summary>σ_max.</summary>
        public double SigmaMax { get; init; } = 50;

        Scalar Sigma(Scalar t) => SigmaMin * Exp(t * Log(SigmaMax / SigmaMin));

        [Drift] Vec F(Vec x, Scalar t) => 0 * x;

        [Diffusion] Scalar G(Scalar t) => Sigma(t) * Sqrt(2 * Log(SigmaMax / SigmaMin));
    }

    /// <summary>
    /// Variance-preserving SDE (DDPM, Song et al. 2021) with linear β(t) = β_min + t(β_max − β_min):
    /// dx = −½β(t)x dt + √β(t) dw. Kernel: m = exp(−½∫β), v = 1 − exp(−∫β).
    /// </summary>
    [Sde]
    public partial class VpSde
    {
        /// <summary>β(0).</summary>
        public double BetaMin { get; init; } = 0.1;

        /// <summary>β(1).</summary>
        public double BetaMax { get; init; } = 20;

        Scalar Beta(Scalar t) => BetaMin + t * (BetaMax - BetaMin);

        [Drift] Vec F(Vec x, Scalar t) => -0.5 * Beta(t) * x;

        [Diffusion] Scalar G(Scalar t) => Sqrt(Beta(t));
    }

    /// <summary>
    /// Sub-VP SDE (Song et al. 2021): dx = −½β(t)x dt + √(β(t)(1 − e^{−2∫₀ᵗβ})) dw. Kernel: m = exp(−½∫β), v = (1 − e^{−∫β})².
    /// </summary>
    [Sde]
    public partial class SubVpSde
    {
        /// <summary>β(0).</summary>
        public double BetaMin { get; init; } = 0.1;

        /// <summary>β(1).</summary>
        public double BetaMax { get; init; } = 20;

        Scalar Beta(Scalar t) => BetaMin + t * (BetaMax - BetaMin);

        Scalar IntegratedBeta(Scalar t) => BetaMin * t + 0.5 * (BetaMax - BetaMin) * Square(t);

        [Drift] Vec F(Vec x, Scalar t) => -0.5 * Beta(t) * x;

        [Diffusion] Scalar G(Scalar t) => Sqrt(Beta(t) * (1 - Exp(-2 * IntegratedBeta(t))));
    }

    /// <summary>Brownian motion dx = σ dw: m = 1, v = σ²t.</summary>
    [Sde]
    public partial class BrownianMotion
    {
        /// <summary>The diffusion σ.</summary>
        public double Sigma { get; init; } = 1.0;

        [Drift] Vec F(Vec x, Scalar t) => 0 * x;

        [Diffusion] Scalar G(Scalar t) => Sigma + 0 * t;
    }

    /// <summary>Ornstein–Uhlenbeck dx = −θx dt + σ dw: m = e^{−θt}, v = σ²(1 − e^{−2θt})/(2θ).</summary>
    [Sde(EndTime = 5.0)]
    public partial class OrnsteinUhlenbeck
    {
        /// <summary>The mean-reversion rate θ.</summary>
        public double Theta { get; init; } = 1.0;

        /// <summary>The diffusion σ.</summary>
        public double Sigma { get; init; } = 1.0;

        [Drift] Vec F(Vec x, Scalar t) => -Theta * x;

        [Diffusion] Scalar G(Scalar t) => Sigma + 0 * t;
    }

    /// <summary>
    /// VP SDE with the cosine schedule (Nichol &amp; Dhariwal 2021) in continuous time: ᾱ(t) = cos²((t + s)/(1 + s)·π/2)/cos²(s/(1 + s)·π/2),
    /// β(t) = −d log ᾱ/dt = π/(1 + s)·tan((t + s)/(1 + s)·π/2), on t ∈ [0, 0.995].
    /// β is not a polynomial, so the kernel is tabulated by quadrature (DSL0015); in closed form m(t) = √ᾱ(t), v = 1 − ᾱ(t).
    /// </summary>
    [Sde(EndTime = 0.995)]   // β(1) is infinite; at T = 0.995, ᾱ(T) ≈ 6e-5
    public partial class CosineVpSde
    {
        /// <summary>The offset s (0.008 in the paper).</summary>
        public double Offset { get; init; } = 0.008;

        Scalar Beta(Scalar t) => PI / (1 + Offset) * Tan((t + Offset) / (1 + Offset) * (PI / 2));

        [Drift] Vec F(Vec x, Scalar t) => -0.5 * Beta(t) * x;

        [Diffusion] Scalar G(Scalar t) => Sqrt(Beta(t));
    }

    /// <summary>
    /// A 2-D Ornstein–Uhlenbeck process with a rotation-plus-damping drift matrix and anisotropic diagonal diffusion:
    /// dx = A x dt + diag(σ) dw with A = [[−γ, −ω], [ω, −γ]] (a [Param] Mat, so any constant drift matrix fits). F and G are
    /// constant, so the kernel is N(exp(tA)x₀, Σ(t)) with Σ from Van Loan's block exponential; the stationary law solves
    /// AΣ + ΣAᵀ + diag(σ²) = 0.
    /// </summary>
    [Sde(EndTime = 10.0)]
    public partial class RotatingOrnsteinUhlenbeck
    {
        /// <summary>The drift matrix A.</summary>
        [Param("D,D", Init = 0.0)] public Mat A;

        /// <summary>The per-coordinate diffusion σ.</summary>
        [Param("D", Init = 1.0)] public Vec Sigma;

        [Drift] Vec F(Vec x, Scalar t) => MatVec(A, x);

        [Diffusion] Vec G(Scalar t) => Sigma;

        /// <summary>The 2-D process with damping γ, rotation frequency ω and diffusions σ₁, σ₂ (float64 parameters).</summary>
        public static RotatingOrnsteinUhlenbeck Create(double damping = 0.5, double frequency = 2.0, double sigma1 = 1.0, double sigma2 = 0.3)
        {
            var sde = new RotatingOrnsteinUhlenbeck(2);
            TorchSharp.ModuleExtensionMethods.to(sde, TorchSharp.torch.ScalarType.Float64);
            using var a = TorchSharp.torch.tensor(new[] { -damping, -frequency, frequency, -damping }, new long[] { 2, 2 }, TorchSharp.torch.ScalarType.Float64);
            using var s = TorchSharp.torch.tensor(new[] { sigma1, sigma2 }, new long[] { 2 }, TorchSharp.torch.ScalarType.Float64);
            sde.SetParameter("A", a);
            sde.SetParameter("Sigma", s);
            return sde;
        }
    }

    /// <summary>
    /// A VP SDE with its own linear schedule per coordinate, βᵢ(t) = βᵢ,min + t(βᵢ,max − βᵢ,min) with trainable [Param] Vec
    /// endpoints: dxᵢ = −½βᵢ(t)xᵢ dt + √βᵢ(t) dwᵢ. Kernel per coordinate in closed form: mᵢ = exp(−½∫βᵢ), vᵢ = 1 − exp(−∫βᵢ).
    /// </summary>
    [Sde]
    public partial class DiagonalVpSde
    {
        /// <summary>β(0) per coordinate.</summary>
        [Param("D", Init = 0.1)] public Vec BetaMin;

        /// <summary>β(1) per coordinate.</summary>
        [Param("D", Init = 20.0)] public Vec BetaMax;

        Vec Beta(Scalar t) => BetaMin + t * (BetaMax - BetaMin);

        [Drift] Vec F(Vec x, Scalar t) => -0.5 * Beta(t) * x;

        [Diffusion] Vec G(Scalar t) => Sqrt(Beta(t));

        /// <summary>The SDE over D = betaMin.Length coordinates with the given schedule endpoints (float64 parameters).</summary>
        public static DiagonalVpSde Create(double[] betaMin, double[] betaMax)
        {
            var sde = new DiagonalVpSde(betaMin.Length);
            TorchSharp.ModuleExtensionMethods.to(sde, TorchSharp.torch.ScalarType.Float64);
            using var lo = TorchSharp.torch.tensor(betaMin, new long[] { betaMin.Length }, TorchSharp.torch.ScalarType.Float64);
            using var hi = TorchSharp.torch.tensor(betaMax, new long[] { betaMax.Length }, TorchSharp.torch.ScalarType.Float64);
            sde.SetParameter("BetaMin", lo);
            sde.SetParameter("BetaMax", hi);
            return sde;
        }
    }

    /// <summary>
    /// A VP SDE with a drift matrix: dx = −½β(t)A x dt + √β(t) diag(σ) dw, β(t) = β_min + t(β_max − β_min), with a trainable
    /// [Param] Mat A and [Param] Vec σ. F = b(t)·A with b = −½β and GGᵀ = β·diag(σ²) = b(t)·(−2 diag(σ²)), so the time change
    /// u = B(t) = ∫₀ᵗ b = −½(β_min t + ½(β_max − β_min)t²) makes the coefficients constant: Φ(t) = exp(B(t)A) and Σ(t) is Van Loan's
    /// Σ of (A, −2 diag(σ²)) at B(t) — in closed form and differentiable in A and σ. For A = I and σ = 1 it is the VP SDE.
    /// </summary>
    [Sde]
    public partial class MatrixVpSde
    {
        /// <summary>β(0).</summary>
        public double BetaMin { get; init; } = 0.1;

        /// <summary>β(1).</summary>
        public double BetaMax { get; init; } = 20.0;

        /// <summary>The drift matrix A (F = −½β(t)A).</summary>
        [Param("D,D", Init = 0.0)] public Mat A;

        /// <summary>The per-coordinate diffusion scale σ.</summary>
        [Param("D", Init = 1.0)] public Vec Sigma;

        Scalar Beta(Scalar t) => BetaMin + t * (BetaMax - BetaMin);

        [Drift] Vec F(Vec x, Scalar t) => -0.5 * Beta(t) * MatVec(A, x);

        [Diffusion] Vec G(Scalar t) => Sqrt(Beta(t)) * Sigma;

        /// <summary>The SDE over D = sigma.Length coordinates with drift matrix <paramref name="a"/> [D, D] (row-major) and σ (float64 parameters).</summary>
        public static MatrixVpSde Create(double[] a, double[] sigma, double betaMin = 0.1, double betaMax = 20.0)
        {
            var sde = new MatrixVpSde(sigma.Length) { BetaMin = betaMin, BetaMax = betaMax };
            TorchSharp.ModuleExtensionMethods.to(sde, TorchSharp.torch.ScalarType.Float64);
            using var at = TorchSharp.torch.tensor(a, new long[] { sigma.Length, sigma.Length }, TorchSharp.torch.ScalarType.Float64);
            using var st = TorchSharp.torch.tensor(sigma, new long[] { sigma.Length }, TorchSharp.torch.ScalarType.Float64);
            sde.SetParameter("A", at);
            sde.SetParameter("Sigma", st);
            return sde;
        }
    }
}
