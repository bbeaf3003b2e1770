using System.Linq;
using TorchSharp;
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

        [Energy] Scalar E(Bits v, [Hidden] Bits h) => -Dot(B, v) - Dot(C, h) - Dot(v, W * h);
    }

    /// <summary>Annealed importance sampling for <see cref="BinaryRbm"/>: the base model has W = 0, c = 0 and visible biases b_A.</summary>
    public static class BinaryRbmAis
    {
        /// <summary>
        /// log Z of <paramref name="rbm"/> by AIS from the base with visible biases <paramref name="baseBias"/> (e.g. the data's
        /// logit marginals), log Z_A = Σᵢ softplus(b_Aᵢ) + H log 2. Intermediate β: W → βW, c → βc, b → (1 − β)b_A + βb.
        /// </summary>
        public static Dsl.Discrete.AisEstimate LogPartition(BinaryRbm rbm, TorchSharp.torch.Tensor baseBias, int steps, int runs, TorchSharp.torch.Generator generator)
        {
            using var scope = TorchSharp.torch.NewDisposeScope();
            var parameters = rbm.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
            var work = new BinaryRbm(V: rbm.Dim, H: rbm.HiddenDim);
            work.to(parameters["W"].dtype).to(parameters["W"].device);
            var bA = baseBias.to(parameters["B"].dtype).to(parameters["B"].device);
            Dsl.IBipartiteModel At(double beta)
            {
                using var s = TorchSharp.torch.NewDisposeScope();
                work.SetParameter("W", parameters["W"].Mul(beta));
                work.SetParameter("C", parameters["C"].Mul(beta));
                work.SetParameter("B", bA.Mul((1 - beta)).Add(parameters["B"].Mul(beta)));
                return work;
            }
            double logZBase = global::Dsl.ScalarOps.Softplus(bA).sum().ToDoubleValue() + rbm.HiddenDim * System.Math.Log(2);
            TorchSharp.torch.Tensor SampleBase(int n, TorchSharp.torch.Generator g) =>
                bA.sigmoid().unsqueeze(0).expand(n, rbm.Dim).bernoulli(generator: g);
            return Dsl.Discrete.AnnealedImportanceSampling.LogPartition(At, logZBase, SampleBase, Dsl.Discrete.AnnealedImportanceSampling.LinearSchedule(steps), runs, generator);
        }
    }
}

namespace Dsl.Models
{
    /// <summary>
    /// The RBM over spins, v ∈ {−1,+1}^V and h ∈ {−1,+1}^H: E(v, h) = −bᵀv − cᵀh − vᵀWh. The same energy as
    /// <see cref="BinaryRbm"/> with the other unit type; the generator sums ±1 hidden units out as log 2cosh and gives the
    /// conditionals p(hⱼ = +1 | v) = σ(2(c + Wᵀv)ⱼ).
    /// </summary>
    [EnergyModel(Dim = "V", HiddenDim = "H")]
    public partial class SpinRbm
    {
        /// <summary>The couplings W, visible × hidden.</summary>
        [Param("V,H")] public Mat W;

        /// <summary>The visible biases b.</summary>
        [Param("V", Init = 0.0)] public Vec B;

        /// <summary>The hidden biases c.</summary>
        [Param("H", Init = 0.0)] public Vec C;

        [Energy] Scalar E([Visible] Spins v, [Hidden] Spins h) => -Dot(B, v) - Dot(C, h) - Dot(v, W * h);
    }

    /// <summary>
    /// The Gaussian–Bernoulli RBM for real-valued visibles (Hinton 2012, "A practical guide", §13.2; Cho et al. 2011):
    /// E(v, h) = ‖v − b‖²/(2σ²) − cᵀh − (vᵀWh)/σ. The generator recognises the visible block as a separable quadratic and
    /// derives p(v | h) = N(b + σWh, σ²I), p(hⱼ = 1 | v) = σ(cⱼ + (Wᵀv)ⱼ/σ) and both free energies (the Gaussian integral over v
    /// for log Z by enumerating h).
    /// </summary>
    [EnergyModel(Dim = "V", HiddenDim = "H")]
    public partial class GaussianBernoulliRbm
    {
        /// <summary>The couplings W, visible × hidden.</summary>
        [Param("V,H")] public Mat W;

        /// <summary>The visible means b.</summary>
        [Param("V", Init = 0.0)] public Vec B;

        /// <summary>The hidden biases c.</summary>
        [Param("H", Init = 0.0)] public Vec C;

        /// <summary>The visible standard deviation σ (fixed; standardise the data).</summary>
        public double Sigma { get; set; } = 1.0;

        [Energy] Scalar E(Vec v, [Hidden] Bits h) => Norm2(v - B) / (2 * Sigma * Sigma) - Dot(C, h) - Dot(v, W * h) / Sigma;
    }

    /// <summary>
    /// The fully visible Boltzmann machine over bits (Ackley, Hinton &amp; Sejnowski 1985): E(x) = −½ xᵀWx − bᵀx. The generator
    /// derives the local fields a = ½(W + Wᵀ)x + b, the self-couplings dᵢ = −Wᵢᵢ, the exact flip energies and the Gibbs
    /// conditionals p(xᵢ = 1 | rest) = σ(aᵢ + (xᵢ − ½)dᵢ), which is σ(Σ_{j≠i} Wᵢⱼxⱼ + bᵢ) for a symmetric W with zero diagonal.
    /// </summary>
    [EnergyModel(Dim = "N")]
    public partial class FullyVisibleBoltzmannMachine
    {
        /// <summary>The couplings W (the learning rule keeps them symmetric with a zero diagonal).</summary>
        [Param("N,N", Init = 0.0)] public Mat W;

        /// <summary>The biases b.</summary>
        [Param("N", Init = 0.0)] public Vec B;

        [Energy] Scalar E(Bits x) => -0.5 * Dot(x, W * x) - Dot(B, x);
    }
}
