using static Dsl.Math;

namespace Dsl.Models
{
    /// <summary>
    /// A Gaussian over a phase-space state u = (q, p) of length S, positions q = u[..D] and momenta p = u[D..], with a coupling of
    /// the first and last coordinates: E(u) = ½ Σᵢ λᵢ (qᵢ − μᵢ)² + ½ pᵀ I p + κ u₀ u_{S−1}, λ = exp(log λ). Structured state in an
    /// equation: slices with a model size (u[..D], u[D..]), indices (u[0], u[^1]) and Eye(S − D). The score is
    /// s_q = −λ ⊙ (q − μ) − κ u_{S−1} e₀, s_p = −p − κ u₀ e_{S−D−1}, and ΔE = Σλ + S − D.
    /// </summary>
    [EnergyModel(Dim = "S")]
    public partial class PhaseSpaceGaussian
    {
        /// <summary>The state's length S (set by the generated constructor).</summary>
        public int S { get; init; }

        /// <summary>The number of positions D (set by the generated constructor).</summary>
        public int D { get; init; }

        /// <summary>The coupling κ of u₀ and u_{S−1}.</summary>
        public double Kappa { get; init; } = 0.3;

        /// <summary>The positions' mean μ.</summary>
        [Param("D", Init = 0.0)] public Vec Mu;

        /// <summary>The positions' log-precisions log λ.</summary>
        [Param("D", Init = 0.0)] public Vec LogPrecision;

        [Energy]
        Scalar E(Vec u)
        {
            var q = u[..D] - Mu;
            var p = u[D..];
            return 0.5 * Dot(Exp(LogPrecision) * q, q) + 0.5 * Dot(p, Eye(S - D) * p) + Kappa * u[0] * u[^1];
        }
    }
}
