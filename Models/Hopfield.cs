using static Dsl.Math;

namespace Dsl.Models
{
    /// <summary>
    /// The binary Hopfield network over spins s ∈ {−1, +1}^N (Hopfield 1982): E(s) = −½ sᵀWs − bᵀs. Only the energy is
    /// written; the generated score −∇E(s) = ½(W + Wᵀ)s + b is the local field that the update rules threshold
    /// (for a symmetric W with zero diagonal, the field of unit i does not depend on sᵢ).
    /// </summary>
    [EnergyModel(Dim = "N")]
    public partial class HopfieldNetwork
    {
        /// <summary>The couplings W (symmetric, zero diagonal for the Lyapunov property).</summary>
        [Param("N,N", Init = 0.0)] public Mat W;

        /// <summary>The thresholds b.</summary>
        [Param("N", Init = 0.0)] public Vec B;

        [Energy] Scalar E(Spins s) => -0.5 * Dot(s, W * s) - Dot(B, s);
    }
}
