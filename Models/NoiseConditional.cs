using static Dsl.Math;

namespace Dsl.Models
{
    /// <summary>
    /// A Gaussian mixture convolved with N(0, σ²I), the exact perturbed density of annealed Langevin dynamics
    /// (Song &amp; Ermon 2019): p_σ(x) = Σₖ wₖ N(x; μₖ, (s² + σ²)I) with base standard deviation s, so
    /// E(x, σ) = −log Σₖ wₖ exp(−‖x − μₖ‖²/(2v)) + (D/2) log v with v = s² + σ², and log Z = log Σₖ wₖ + (D/2) log 2π.
    /// </summary>
    [EnergyModel]
    public partial class PerturbedGaussianMixture
    {
        /// <summary>The component means μₖ, one per row.</summary>
        [Param("K,D")] public Mat Mu;

        /// <summary>The unnormalised log-weights log wₖ.</summary>
        [Param("K", Init = 0.0)] public Vec LogW;

        /// <summary>The base standard deviation s of every component (before perturbation).</summary>
        [Param(Init = 1.0)] public Scalar Sigma;

        [Energy] Scalar E(Vec x, [NoiseLevel] Scalar sigma)
        {
            var v = Square(Sigma) + Square(sigma);
            return -LogSumExp(LogW - RowNorm2(x - Mu) / (2 * v)) + 0.5 * Cols(Mu) * Log(v);
        }

        [LogPartition] Scalar LogZ() => LogSumExp(LogW) + 0.5 * Cols(Mu) * System.Math.Log(2 * PI);
    }

    /// <summary>
    /// A noise-conditional two-layer network energy for NCSN training: the noise level enters every first-layer
    /// unit through log σ, and the energy is divided by σ so that the score scales like 1/σ (Song &amp; Ermon 2020):
    /// E(x, σ) = w₃ᵀ softplus(W₂ softplus(W₁x + b₁ + c log σ) + b₂) / σ.
    /// </summary>
    [EnergyModel]
    public partial class NoiseConditionalMlpEnergy
    {
        /// <summary>First-layer weights W₁.</summary>
        [Param("H,D")] public Mat W1;

        /// <summary>First-layer bias b₁.</summary>
        [Param("H")] public Vec B1;

        /// <summary>The noise-level embedding c (multiplies log σ).</summary>
        [Param("H")] public Vec C;

        /// <summary>Second-layer weights W₂.</summary>
        [Param("H,H")] public Mat W2;

        /// <summary>Second-layer bias b₂.</summary>
        [Param("H", Init = 0.0)] public Vec B2;

        /// <summary>Read-out weights w₃.</summary>
        [Param("H")] public Vec W3;

        [Energy] Scalar E(Vec x, [NoiseLevel] Scalar sigma)
        {
            var h1 = Softplus(W1 * x + B1 + C * Log(sigma));
            return Dot(W3, Softplus(W2 * h1 + B2)) / sigma;
        }
    }
}
