using static Dsl.Math;

namespace Dsl.Models
{
    /// <summary>
    /// D independent Gamma(α, β) densities on x &gt; 0 (shape α, rate β): E(x) = Σᵢ [−(αᵢ − 1) log xᵢ + βᵢxᵢ],
    /// log Z = Σᵢ [log Γ(αᵢ) − αᵢ log βᵢ], so LogProb(x) = Σᵢ [(αᵢ − 1) log xᵢ − βᵢxᵢ + αᵢ log βᵢ − log Γ(αᵢ)].
    /// </summary>
    [EnergyModel]
    [Support(SupportKind.NonNegative)]
    public partial class GammaDensity
    {
        /// <summary>The shapes α (positive).</summary>
        [Param("D", Init = 2.0)] public Vec Alpha;

        /// <summary>The rates β (positive).</summary>
        [Param("D", Init = 1.0)] public Vec Beta;

        [Energy] Scalar E(Vec x) => Sum(Beta * x - (Alpha - 1) * Log(x));

        [LogPartition] Scalar LogZ() => Sum(Lgamma(Alpha) - Alpha * Log(Beta));
    }

    /// <summary>
    /// The Dirichlet(α₁, …, α_K) density over the simplex, written over its first K − 1 = D coordinates y (yᵢ &gt; 0,
    /// Σ yᵢ &lt; 1, the last coordinate 1 − Σ yᵢ): E(y) = −Σᵢ (αᵢ − 1) log yᵢ − (α_K − 1) log(1 − Σᵢ yᵢ),
    /// log Z = Σᵢ log Γ(αᵢ) + log Γ(α_K) − log Γ(Σᵢ αᵢ + α_K) (the multivariate Beta function). Its density is the
    /// Lebesgue density of (y₁, …, y_D) on the open simplex and 0 outside; the energy is finite only inside.
    /// </summary>
    [EnergyModel]
    [Support(SupportKind.NonNegative)]
    public partial class DirichletDensity
    {
        /// <summary>α₁ … α_D (positive).</summary>
        [Param("D", Init = 2.0)] public Vec Alpha;

        /// <summary>α_K of the last coordinate 1 − Σ yᵢ (positive).</summary>
        [Param(Init = 2.0)] public Scalar AlphaLast;

        [Energy] Scalar E(Vec y) => -Dot(Alpha - 1, Log(y)) - (AlphaLast - 1) * Log(1 - Sum(y));

        [LogPartition] Scalar LogZ() => Sum(Lgamma(Alpha)) + Lgamma(AlphaLast) - Lgamma(Sum(Alpha) + AlphaLast);
    }
}
