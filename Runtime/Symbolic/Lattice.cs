using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl
{
    /// <summary>Periodic square lattices stored as Vecs of L² sites (row-major), for lattice energies such as Ising.</summary>
    public static class Lattice
    {
        /// <summary>
        /// yᵢ = Σ_{j ~ i} sⱼ over the four periodic nearest neighbours, for s: [L²] or [N, L²]; four rolls of the L×L view, O(N·L²).
        /// </summary>
        public static Tensor NeighbourSum(Tensor s, long side)
        {
            if (side < 2) throw new ArgumentException("Lattice.NeighbourSum: the lattice side L must be at least 2, got " + side + ".", nameof(side));
            long sites = s.shape[s.dim() - 1];
            if (sites != side * side)
                throw new ArgumentException("Lattice.NeighbourSum: the last axis has " + sites + " sites, which is not an L×L lattice with L = " + side + " (expected " + side * side + ").", nameof(s));
            using var scope = NewDisposeScope();
            var grid = s.reshape(-1, side, side);
            var y = grid.roll(1, 1) + grid.roll(-1, 1) + grid.roll(1, 2) + grid.roll(-1, 2);
            return y.reshape(s.shape).MoveToOuterDisposeScope();
        }
    }
}
