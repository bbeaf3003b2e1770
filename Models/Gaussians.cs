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
    /// Full-covariance Gaussian through its precision matrix P = Σ⁻¹: E(x) = ½ (x − μ)ᵀ P (x − μ).
    /// P should be symmetric positive definite for a normalisable density; the score is −½(P + Pᵀ)(x − μ).
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
