using static Dsl.Math;

namespace Dsl.Models
{
    /// <summary>
    /// Restricted Boltzmann machine with binary units (Smolensky 1986; Hinton 2002): E(v, h) = −bᵀv − cᵀh − vᵀWh.
    /// Only the energy is written; the generator derives p(h|v) = σ(c + Wᵀv), p(v|h) = σ(b + Wh) and
    /// F(v) = −bᵀv − Σⱼ softplus(cⱼ + Wⱼᵀv) from it.
    /// </summary>
    [EnergyModel(Dim = "V", HiddenDim = "H")]
    public partial class BinaryRbm
    {
        /// <summary>The couplings W, visible × hidden.</summary>
        [Param("V,H")] public Mat W;

        /// <summary>The visible biases b.</summary>
        [Param("V", Init = 0.0)] public Vec B;

        /// <summary>The hidden biases c.</summary>
        [Param("H", Init = 0.0)] public Vec C;

        [Energy] Scalar E(Vec v, [Hidden] Vec h) => -Dot(B, v) - Dot(C, h) - Dot(v, W * h);
    }
}
