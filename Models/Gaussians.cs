using static Dsl.Math;

namespace Dsl.Models
{
    /// <summary>Isotropic Gaussian N(μ, σ²I): E(x) = ‖x − μ‖² / (2σ²), log Z = (D/2) log(2πσ²).</summary>
    [EnergyModel]
    public partial class IsotropicGaussian
    {
        /// <summary>The mean μ.</summary>
        [Param("D", Init = 0.0)] public Vec Mu;

        /// <summary>The standard deviation σ.</summary>
        [Param(Init = 1.0)] public Scalar Sigma;

        [Energy] internal Scalar E(Vec x) => Norm2(x - Mu) / (2 * Sigma * Sigma);

        [LogPartition] Scalar LogZ() => 0.5 * Len(Mu) * Log(2 * PI * Square(Sigma));
    }

    /// <summary>
    /// Full-covariance Gaussian through its precision matrix P = Σ⁻¹: E(x) = ½ (x − μ)ᵀ P (x − μ), log Z = ½ D log 2π − ½ log|det P|.
    /// P should be symmetric positive definite for a normalisable density (then log|det P| = log det P); the score is −½(P + Pᵀ)(x − μ).
    /// </summary>
    [EnergyModel]
    public partial class FullCovarianceGaussian
    {
        /// <summary>The mean μ.</summary>
        [Param("D", Init = 0.0)] public Vec Mu;

        /// <summary>The precision matrix P.</summary>
        [Param("D,D")] public Mat P;

        [Energy] Scalar E(Vec x)
        {
            var d = x - Mu;
            return 0.5 * Dot(d, P * d);
        }

        /// <summary>log Z = log ∫ exp(−E) dx = ½ D log 2π − ½ log det P (the Gaussian integral with precision P).</summary>
        [LogPartition] Scalar LogZ() => 0.5 * Len(Mu) * Log(2 * PI) - 0.5 * LogDet(P);
    }

    /// <summary>
    /// Full-covariance Gaussian through its covariance Σ: E(x) = ½ (x − μ)ᵀ Σ⁻¹ (x − μ), with Σ⁻¹(x − μ) a linear solve (the inverse is
    /// never formed), and log Z = ½ D log 2π + ½ log det Σ. Σ should be symmetric positive definite; the score is −½(Σ⁻¹ + Σ⁻ᵀ)(x − μ).
    /// </summary>
    [EnergyModel]
    public partial class CovarianceGaussian
    {
        /// <summary>The mean μ.</summary>
        [Param("D", Init = 0.0)] public Vec Mu;

        /// <summary>The covariance matrix Σ.</summary>
        [Param("D,D")] public Mat Sigma;

        [Energy] Scalar E(Vec x)
        {
            var d = x - Mu;
            return 0.5 * Dot(d, Solve(Sigma, d));
        }

        /// <summary>log Z = ½ D log 2π + ½ log det Σ.</summary>
        [LogPartition] Scalar LogZ() => 0.5 * Len(Mu) * Log(2 * PI) + 0.5 * LogDet(Sigma);
    }

    /// <summary>D-dimensional exponential on x ≥ 0: E(x) = λᵀx, log Z = −Σᵢ log λᵢ.</summary>
    [EnergyModel]
    [Support(SupportKind.NonNegative)]
    public partial class Exponential
    {
        /// <summary>The rates λ (positive).</summary>
        [Param("D", Init = 1.0)] public Vec Lambda;

        [Energy] Scalar E(Vec x) => Dot(Lambda, x);

        [LogPartition] Scalar LogZ() => -Sum(Log(Lambda));
    }
}
