using static Dsl.Math;

namespace Dsl.Models
{
    /// <summary>
    /// The Huber density, the robust-statistics location model: E(x) = Σᵢ ρ_δ(xᵢ − μᵢ) with the Huber loss
    /// ρ_δ(r) = ½r² for |r| ≤ δ and δ(|r| − ½δ) beyond, written with Where: quadratic near μ, linear (Laplace-like) tails.
    /// ρ is C¹, so its subgradient at the joins r = ±δ is its derivative; [Subgradient] opts in (DSL0030 at each Where). At a join
    /// the strict comparisons are false, so the Laplacian takes the quadratic branch there (ρ″ = 1).
    /// log Z = D log(√(2π) erf(δ/√2) + (2/δ) e^{−δ²/2}).
    /// </summary>
    [EnergyModel, Subgradient]
    public partial class HuberLocation
    {
        /// <summary>The threshold δ between the quadratic core and the linear tails (positive).</summary>
        public double Delta { get; init; } = 1.0;

        /// <summary>The location μ.</summary>
        [Param("D", Init = 0.0)] public Vec Mu;

        [Energy] Scalar E(Vec x)
        {
            var r = x - Mu;
            return Sum(Where(r > Delta, Delta * (r - 0.5 * Delta), Where(r < -Delta, -Delta * (r + 0.5 * Delta), 0.5 * Square(r))));
        }

        [LogPartition] Scalar LogZ() =>
            Len(Mu) * Log(Sqrt(2 * PI) * Erf(Delta / Sqrt(2.0)) + 2 / Delta * Exp(-0.5 * Square(Delta)));
    }

    /// <summary>
    /// A Gaussian held in the box [Lower, Upper] by soft walls: E(x) = ½‖x − μ‖² + ½κ Σᵢ [max(xᵢ − Upper, 0)² + min(xᵢ − Lower, 0)²],
    /// a quadratic penalty that is zero inside the box (the relaxation of a truncated Gaussian; κ → ∞ truncates). Written with
    /// Max and Min; the walls are C¹, so [Subgradient]'s choice at xᵢ = Upper or Lower (the tie takes Max's and Min's second argument,
    /// the zero branch) is the derivative, and the Laplacian there takes the inside branch (1 per coordinate, not 1 + κ).
    /// </summary>
    [EnergyModel, Subgradient]
    public partial class SoftBoxGaussian
    {
        /// <summary>The wall stiffness κ.</summary>
        public double Kappa { get; init; } = 50.0;

        /// <summary>The box's lower edge.</summary>
        public double Lower { get; init; } = -1.0;

        /// <summary>The box's upper edge.</summary>
        public double Upper { get; init; } = 1.0;

        /// <summary>The mean μ of the Gaussian inside.</summary>
        [Param("D", Init = 0.0)] public Vec Mu;

        [Energy] Scalar E(Vec x) => 0.5 * Norm2(x - Mu) + 0.5 * Kappa * Sum(Square(Max(x - Upper, 0.0)) + Square(Min(x - Lower, 0.0)));
    }
}
