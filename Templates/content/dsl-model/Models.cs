using Dsl;
using static Dsl.Math;

namespace DslModel
{
    /// <summary>
    /// A Gaussian mixture with shared width: E(x) = −log Σₖ wₖ exp(−‖x − μₖ‖² / 2σ²).
    /// Everything else (constructor, parameters, Energy, Score, ScoreDivergence, LogProb, ...) is generated.
    /// </summary>
    [EnergyModel]
    public partial class MixtureEnergy
    {
        /// <summary>Component means, one per row.</summary>
        [Param("K,D")] public Mat Mu;

        /// <summary>Log-weights of the components.</summary>
        [Param("K", Init = 0.0)] public Vec LogW;

        /// <summary>The shared standard deviation σ.</summary>
        [Param(Init = 1.0)] public Scalar Sigma;

        [Energy] Scalar E(Vec x) => -LogSumExp(LogW - RowNorm2(x - Mu) / (2 * Sigma * Sigma));

        // log Z = log Σₖ wₖ + (D/2) log 2πσ²: declaring it enables the generated LogProb(x).
        [LogPartition] Scalar LogZ() => LogSumExp(LogW) + 0.5 * Cols(Mu) * Log(2 * PI * Square(Sigma));
    }

    /// <summary>
    /// The variance-preserving SDE dx = −½β(t)x dt + √β(t) dw with β(t) = β₀ + t(β₁ − β₀) (Song et al. 2021).
    /// Its perturbation kernel, prior, reverse and probability-flow drifts are generated in closed form.
    /// </summary>
    [Sde]
    public partial class NoisingSde
    {
        /// <summary>β(0).</summary>
        public double BetaMin { get; init; } = 0.1;

        /// <summary>β(1).</summary>
        public double BetaMax { get; init; } = 20;

        Scalar Beta(Scalar t) => BetaMin + t * (BetaMax - BetaMin);

        [Drift] Vec F(Vec x, Scalar t) => -0.5 * Beta(t) * x;

        [Diffusion] Scalar G(Scalar t) => Sqrt(Beta(t));
    }
}
