using Dsl;
using static Dsl.Math;

namespace Dsl.Models.Tests.LinearAlgebra
{
    /// <summary>
    /// LogDet, Inverse and Solve of a matrix that depends on x: M(x) = I + A ⊘ (2 + x²) (row i, column j: Aᵢⱼ / (2 + xⱼ²)). The score
    /// goes through all three adjoints (Ā = ḡM⁻ᵀ, −M⁻ᵀ B̄ M⁻ᵀ, b̄ = M⁻ᵀx̄ and −b̄ xᵀ); the exact divergence is refused (DSL0009).
    /// </summary>
    [EnergyModel]
    public partial class XDependentMatrixEnergy
    {
        public int D { get; init; }

        [Param("D,D")] public Mat A;
        [Param("D")] public Vec B;

        [Energy] Scalar E(Vec x)
        {
            var m = Eye(D) + A / (2.0 + Square(x));
            return 0.5 * Norm2(x) + LogDet(m) + Dot(B, Solve(m, x)) + Sum(Inverse(m) * Tanh(x));
        }
    }

    /// <summary>The covariance Gaussian's energy with the inverse formed: E = ½ dᵀ Σ⁻¹ d with Σ⁻¹ = Inverse(Σ), d = x − μ.</summary>
    [EnergyModel]
    public partial class InverseCovarianceEnergy
    {
        [Param("D", Init = 0.0)] public Vec Mu;
        [Param("D,D")] public Mat Sigma;

        [Energy] Scalar E(Vec x)
        {
            var d = x - Mu;
            return 0.5 * Dot(d, Inverse(Sigma) * d);
        }
    }
}
