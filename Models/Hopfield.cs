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

namespace Dsl.Models
{
    /// <summary>
    /// The continuous (graded-response) Hopfield network (Hopfield 1984) over outputs v ∈ (−1, 1)^N with v = tanh(gain·u):
    /// E(v) = −½ vᵀWv − bᵀv + (1/gain) Σᵢ [vᵢ atanh(vᵢ) + ½ log(1 − vᵢ²)]. The last term is written in its equal
    /// binary-entropy form ½[(1 + v) log(1 + v) + (1 − v) log(1 − v)], whose derivative is atanh(v). The generated score
    /// −∇E = ½(W + Wᵀ)v + b − atanh(v)/gain vanishes exactly at the fixed points v = tanh(gain·(Wv + b)) of a symmetric W.
    /// </summary>
    [EnergyModel(Dim = "N")]
    public partial class ContinuousHopfieldNetwork
    {
        /// <summary>The couplings W (symmetric for the Lyapunov property).</summary>
        [Param("N,N", Init = 0.0)] public Mat W;

        /// <summary>The biases b.</summary>
        [Param("N", Init = 0.0)] public Vec B;

        /// <summary>The gain of the transfer function v = tanh(gain·u) (the inverse temperature of the mean-field equations).</summary>
        public double Gain { get; set; } = 1.0;

        [Energy] Scalar E(Vec v) =>
            -0.5 * Dot(v, W * v) - Dot(B, v) + 0.5 * Sum((1 + v) * Log(1 + v) + (1 - v) * Log(1 - v)) / Gain;
    }
}
