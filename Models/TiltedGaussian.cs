using static Dsl.Math;

namespace Dsl.Models
{
    /// <summary>
    /// A Gaussian with a fixed precision β and a fixed linear tilt (hyperparameters, not trained), written with Dsl.Math
    /// functions of numbers: E(x) = ¼‖√(2β) (x − μ)‖² + c Σᵢxᵢ with c = log 2 · softplus(τ). The score is −β(x − μ) − c,
    /// and log Z = ½D log(2π/β) − cΣμ + Dc²/(2β).
    /// </summary>
    [EnergyModel]
    public partial class TiltedGaussian
    {
        /// <summary>The precision β.</summary>
        public double Beta { get; init; } = 2.0;

        /// <summary>The tilt's pre-activation τ (c = log 2 · softplus(τ)).</summary>
        public double Tau { get; init; } = 0.5;

        /// <summary>The mean μ.</summary>
        [Param("D", Init = 0.0)] public Vec Mu;

        [Energy] Scalar E(Vec x) => 0.25 * Norm2(Sqrt(2 * Beta) * (x - Mu)) + Log(2.0) * Softplus(Tau) * Sum(x);

        [LogPartition] Scalar LogZ() =>
            0.5 * Len(Mu) * (Log(2 * PI) - Log(Beta)) - Log(2.0) * Softplus(Tau) * Sum(Mu) + 0.5 * Len(Mu) * Square(Log(2.0) * Softplus(Tau)) / Beta;
    }
}
