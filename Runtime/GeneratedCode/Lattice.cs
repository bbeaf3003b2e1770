using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.GeneratedCode
{
    /// <summary>Periodic square lattices stored as Vecs of L² sites (row-major), for lattice energies such as Ising.</summary>
    public static class Lattice
    {
        /// <summary>The checks of <see cref="NeighbourSum"/> (the fused kernels run them too): L ≥ 2 and L² sites.</summary>
        public static void CheckNeighbourSum(long side, long sites)
        {
            if (side < 2) throw new ArgumentException("Lattice.NeighbourSum: the lattice side L must be at least 2, got " + side + ".", nameof(side));
            if (sites != side * side)
                throw new ArgumentException("Lattice.NeighbourSum: the last axis has " + sites + " sites, which is not an L×L lattice with L = " + side + " (expected " + side * side + ").", "s");
        }

        /// <summary>The checks of <see cref="Roll"/> (the fused kernels run them too): L ≥ 2, L² sites, a shift that moves the sites.</summary>
        public static void CheckRoll(long side, long sites, long rows, long columns)
        {
            if (side < 2) throw new ArgumentException("Lattice.Roll: the lattice side L must be at least 2, got " + side + ".", nameof(side));
            if (sites != side * side)
                throw new ArgumentException("Lattice.Roll: the last axis has " + sites + " sites, which is not an L×L lattice with L = " + side + " (expected " + side * side + ").", "s");
            if (rows % side == 0 && columns % side == 0)
                throw new ArgumentException("Lattice.Roll: the shift (" + rows + ", " + columns + ") is a multiple of L = " + side + " and maps every site to itself; write the term without Roll.", nameof(rows));
        }

        /// <summary>
        /// yᵢ = Σ_{j ~ i} sⱼ over the four periodic nearest neighbours, for s: [L²] or [N, L²]; four rolls of the L×L view, O(N·L²).
        /// </summary>
        public static Tensor NeighbourSum(Tensor s, long side)
        {
            CheckNeighbourSum(side, s.shape[s.dim() - 1]);
            using var scope = NewDisposeScope();
            var grid = s.reshape(-1, side, side);
            var y = grid.roll(1, 1).Add(grid.roll(-1, 1)).Add(grid.roll(1, 2)).Add(grid.roll(-1, 2));
            return y.reshape(s.shape).MoveToOuterDisposeScope();
        }

        /// <summary>
        /// The periodic shift of the L×L lattice held row-major in s: [L²] or [N, L²], yᵣ,꜀ = s₍ᵣ₋Δr₎ mod L, ₍꜀₋Δc₎ mod L (torch.roll
        /// of the L×L view). A shift by a multiple of L in both directions is refused: it is the identity, and the generator's
        /// self-coupling rules read a Roll as moving every site.
        /// </summary>
        public static Tensor Roll(Tensor s, long side, long rows, long columns)
        {
            CheckRoll(side, s.shape[s.dim() - 1], rows, columns);
            using var scope = NewDisposeScope();
            var grid = s.reshape(-1, side, side).roll(new long[] { rows, columns }, new long[] { 1, 2 });
            return grid.reshape(s.shape).MoveToOuterDisposeScope();
        }
    }
}
