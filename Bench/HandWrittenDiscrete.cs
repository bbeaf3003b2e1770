using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Bench
{
    /// <summary>
    /// What a TorchSharp user writes by hand for the discrete workloads, without Dsl: the checkerboard Metropolis sweep of
    /// the periodic L×L Ising lattice with a roll-based neighbour sum, and one CD-1 step of a binary RBM with the explicit
    /// gradient ⟨vhᵀ⟩_data − ⟨vhᵀ⟩_model. Both draw their random numbers exactly as the generated path does
    /// (<c>SpinSamplers.Sweep</c>; <c>BoltzmannLearning.Gibbs</c>), so from the same seed they compute the same result
    /// (Tests/Dsl.Models.Tests/HandWrittenBaselineTests.cs, which compiles this file too).
    /// </summary>
    public static class HandWrittenDiscrete
    {
        /// <summary>One checkerboard Metropolis sweep of spins [B, L²] in place (even colour, then odd); returns the flips.</summary>
        public static long IsingSweep(Tensor spins, long l, Tensor evenMask, Tensor oddMask, double j, double h, double beta, Generator generator) =>
            IsingColour(spins, l, evenMask, j, h, beta, generator) + IsingColour(spins, l, oddMask, j, h, beta, generator);

        /// <summary>Metropolis on the sites of one colour (<paramref name="mask"/>: bool [L²]) of every chain.</summary>
        public static long IsingColour(Tensor spins, long l, Tensor mask, double j, double h, double beta, Generator generator)
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var grid = spins.view(-1, l, l);
            var neighbours = grid.roll(1, 1) + grid.roll(-1, 1) + grid.roll(1, 2) + grid.roll(-1, 2);
            var field = neighbours.view(spins.shape) * j + h;
            var u = empty_like(spins).uniform_(0, 1, generator: generator);
            var accept = (u < (-2 * beta * spins * field).exp()).logical_and(mask);
            long flipped = accept.sum().item<long>();
            spins.copy_(where(accept, -spins, spins));
            return flipped;
        }

        /// <summary>
        /// One CD-1 step with learning rate <paramref name="lr"/> on W [V, H], b [V], c [H] in place, batch v [N, V]:
        /// h ~ p(h | v), v' ~ p(v | h); W += lr·(vᵀp(h|v) − v'ᵀp(h|v'))/N, b += lr·mean(v − v'), c += lr·mean(p(h|v) − p(h|v')).
        /// </summary>
        public static void Cd1Step(Tensor w, Tensor b, Tensor c, Tensor v, double lr, Generator generator)
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var hData = (v.matmul(w) + c).sigmoid();
            var hSample = hData.bernoulli(generator: generator);
            var vModel = (hSample.matmul(w.t()) + b).sigmoid().bernoulli(generator: generator);
            var hModel = (vModel.matmul(w) + c).sigmoid();
            double n = v.shape[0];
            w.add_(v.t().matmul(hData).sub_(vModel.t().matmul(hModel)), alpha: lr / n);
            b.add_((v - vModel).mean(new long[] { 0 }), alpha: lr);
            c.add_((hData - hModel).mean(new long[] { 0 }), alpha: lr);
        }
    }
}
