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
}
