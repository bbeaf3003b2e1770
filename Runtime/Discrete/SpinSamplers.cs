using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Discrete
{
    /// <summary>The single-site update rule of a spin sampler.</summary>
    public enum SpinUpdate
    {
        /// <summary>Metropolis: flip sᵢ with probability min(1, e^{−βΔEᵢ}), ΔEᵢ = 2sᵢaᵢ.</summary>
        Metropolis,
        /// <summary>Heat bath (Gibbs): sᵢ = +1 with probability σ(2βaᵢ).</summary>
        HeatBath,
    }

    /// <summary>
    /// Spin updates on any energy over spins ±1 through its generated score: the local field a = −∇E(s). A mask selects
    /// sites that are conditionally independent given the rest (a colour class: the checkerboard of a bipartite lattice),
    /// which are then updated simultaneously, batched over independent chains.
    /// </summary>
    public static class SpinSamplers
    {
        /// <summary>Updates the masked sites of every chain in place; returns the number of flipped spins.</summary>
        public static long UpdateColour(IEnergyScoreModel model, Tensor spins, Tensor mask, double beta, SpinUpdate rule, Generator generator)
        {
            if (!(beta > 0) || double.IsInfinity(beta)) throw new ArgumentException("SpinSamplers on " + model.ModelName + ": β = 1/T must be finite and positive (T > 0), got " + beta + ".", nameof(beta));
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var field = model.ScoreNoGrad(spins);
            var u = empty_like(spins).uniform_(0, 1, generator: generator);
            Tensor next;
            if (rule == SpinUpdate.Metropolis)
            {
                var accept = (u < (-2 * beta * spins * field).exp()).logical_and(mask.to_type(ScalarType.Bool));
                next = where(accept, -spins, spins);
            }
            else
            {
                var up = u < (2 * beta * field).sigmoid();
                next = where(mask.to_type(ScalarType.Bool), where(up, ones_like(spins), -ones_like(spins)), spins);
            }
            long flipped = next.ne(spins).sum().item<long>();
            spins.copy_(next);
            return flipped;
        }

        /// <summary>One checkerboard sweep: the even colour, then the odd colour.</summary>
        public static long Sweep(IEnergyScoreModel model, Tensor spins, Tensor evenMask, double beta, SpinUpdate rule, Generator generator)
        {
            using var odd = 1 - evenMask;
            return UpdateColour(model, spins, evenMask, beta, rule, generator) + UpdateColour(model, spins, odd, beta, rule, generator);
        }
    }
}
