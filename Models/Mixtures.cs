using static Dsl.Math;

namespace Dsl.Models
{
    /// <summary>
    /// Gaussian mixture with shared isotropic variance: E(x) = −log Σₖ wₖ exp(−‖x − μₖ‖²/(2σ²)), written with
    /// unnormalised log-weights; log Z = log Σₖ wₖ + (D/2) log(2πσ²).
    /// </summary>
    [EnergyModel]
    public partial class GaussianMixture
    {
        /// <summary>The component means μₖ, one per row.</summary>
        [Param("K,D")] public Mat Mu;

        /// <summary>The log-weights log wₖ.</summary>
        [Param("K", Init = 0.0)] public Vec LogW;

        /// <summary>The shared standard deviation σ.</summary>
        [Param(Init = 1.0)] public Scalar Sigma;

        [Energy] internal Scalar E(Vec x) => -LogSumExp(LogW - RowNorm2(x - Mu) / (2 * Sigma * Sigma));

        [LogPartition] Scalar LogZ() => LogSumExp(LogW) + 0.5 * Cols(Mu) * Log(2 * PI * Square(Sigma));
    }

    /// <summary>
    /// Product of Student-t experts (Hinton; Welling et al.): E(x) = Σₖ αₖ log(1 + (wₖᵀx)²), αₖ &gt; 0.
    /// Heavy-tailed filters; no closed-form partition function.
    /// </summary>
    [EnergyModel]
    public partial class ProductOfStudentT
    {
        /// <summary>The filters wₖ, one per row.</summary>
        [Param("K,D")] public Mat W;

        /// <summary>The expert exponents αₖ.</summary>
        [Param("K", Init = 1.0)] public Vec Alpha;

        [Energy] internal Scalar E(Vec x) => Sum(Alpha * Log(1 + Square(W * x)));
    }

    /// <summary>
    /// A one-hidden-layer network as an energy: E(x) = w₂ᵀ tanh(W₁x + b₁). Proves the calculus handles
    /// networks: the score is −W₁ᵀ(w₂ ⊙ (1 − tanh²)) and ΔE = Σⱼ w₂ⱼ tanh''(zⱼ)‖W₁ⱼ‖² in one pass.
    /// </summary>
    [EnergyModel]
    public partial class MlpEnergy
    {
        /// <summary>First-layer weights W₁.</summary>
        [Param("H,D")] public Mat W1;

        /// <summary>First-layer bias b₁.</summary>
        [Param("H")] public Vec B1;

        /// <summary>Read-out weights w₂.</summary>
        [Param("H")] public Vec W2;

        [Energy] Scalar E(Vec x) => Dot(W2, Tanh(W1 * x + B1));
    }
}
