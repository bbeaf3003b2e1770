using static Dsl.Math;

namespace Dsl.Models
{
    /// <summary>
    /// A Gaussian over a phase-space state u = (q, p) of length 2D, positions q = u[..D] and momenta p = u[D..], with a coupling of
    /// the first and last coordinates: E(u) = ½ Σᵢ λᵢ (qᵢ − μᵢ)² + ½ pᵀ I p + κ u₀ u_{2D−1}, λ = exp(log λ). Structured state in an
    /// equation: a state of symbolic size "2*D", slices with a model size (u[..D], u[D..]), indices (u[0], u[^1]) and Eye(D). The
    /// score is s_q = −λ ⊙ (q − μ) − κ u_{2D−1} e₀, s_p = −p − κ u₀ e_{D−1}, and ΔE = Σλ + D.
    /// </summary>
    [EnergyModel(Dim = "2*D")]
    public partial class PhaseSpaceGaussian
    {
        /// <summary>The number of positions D, half the state (set by the generated constructor).</summary>
        public int D { get; init; }

        /// <summary>The coupling κ of u₀ and u_{2D−1}.</summary>
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
            return 0.5 * Dot(Exp(LogPrecision) * q, q) + 0.5 * Dot(p, Eye(D) * p) + Kappa * u[0] * u[^1];
        }
    }
}
