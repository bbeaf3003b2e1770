using System.Linq;
using static Dsl.Math;

namespace Dsl.Models
{
    /// <summary>
    /// The Ising model on a graph with adjacency A (for the periodic L×L lattice, <see cref="IsingLattice.PeriodicSquare"/>):
    /// E(s) = −½ J sᵀAs − H Σᵢ sᵢ over spins ±1. The generated score −∇E = J·As + H is the local field aᵢ that the
    /// heat-bath rule p(sᵢ = +1 | rest) = σ(2βaᵢ) and the Metropolis flip cost ΔEᵢ = 2sᵢaᵢ use.
    /// (It holds the lattice as a dense adjacency J; <see cref="LatticeIsing"/> below is the fast path, with the neighbour sum on the torus.)
    /// </summary>
    [EnergyModel(Dim = "N")]
    public partial class IsingModel
    {
        /// <summary>The adjacency A (symmetric, zero diagonal); fixed, not trained.</summary>
        [Param("N,N", Init = 0.0)] public Mat A;

        /// <summary>The coupling J.</summary>
        public double J { get; set; } = 1.0;

        /// <summary>The external field H.</summary>
        public double H { get; set; }

        [Energy] Scalar E(Spins s) => -0.5 * J * Dot(s, A * s) - H * Sum(s);
    }

    /// <summary>
    /// The 2D Ising model on the periodic L×L lattice written with the lattice neighbour sum:
    /// E(s) = −½ J Σᵢ sᵢ Σ_{j~i} sⱼ − H Σᵢ sᵢ (each bond once). The generated local field J·(neighbour sum) + H costs O(L²)
    /// per sweep, four rolls of the lattice; construct with N = L²: <c>new LatticeIsing(N: L * L) { L = L }</c>.
    /// </summary>
    [EnergyModel(Dim = "N")]
    public partial class LatticeIsing
    {
        /// <summary>The lattice side L (N = L² sites).</summary>
        public int L { get; init; } = 2;

        /// <summary>The coupling J.</summary>
        public double J { get; set; } = 1.0;

        /// <summary>The external field H.</summary>
        public double H { get; set; }

        [Energy] Scalar E(Spins s) => -0.5 * J * Dot(s, LatticeNeighbours(s, L)) - H * Sum(s);
    }

    /// <summary>
    /// The anisotropic 2D Ising model written with lattice shifts, one bond per site and direction:
    /// E(s) = −J_x Σᵢ sᵢ s_{i→} − J_y Σᵢ sᵢ s_{i↓} − H Σᵢ sᵢ, with s_{i→} = Roll(s, L, 0, 1) the right neighbour and
    /// s_{i↓} = Roll(s, L, 1, 0) the one below (periodic). The generated local field is J_x(s_{←} + s_{→}) + J_y(s_{↑} + s_{↓}) + H:
    /// each shift's adjoint is the opposite shift. With J_x = J_y = J it is <see cref="LatticeIsing"/>.
    /// </summary>
    [EnergyModel(Dim = "N")]
    public partial class AnisotropicIsing
    {
        /// <summary>The lattice side L (N = L² sites, L ≥ 3 so that the two neighbours along an axis differ).</summary>
        public int L { get; init; } = 3;

        /// <summary>The horizontal coupling J_x.</summary>
        public double Jx { get; set; } = 1.0;

        /// <summary>The vertical coupling J_y.</summary>
        public double Jy { get; set; } = 1.0;

        /// <summary>The external field H.</summary>
        public double H { get; set; }

        [Energy] Scalar E(Spins s) => -Jx * Dot(s, Roll(s, L, 0, 1)) - Jy * Dot(s, Roll(s, L, 1, 0)) - H * Sum(s);
    }

    /// <summary>Lattices for <see cref="IsingModel"/>.</summary>
    public static class IsingLattice
    {
        /// <summary>The periodic L×L square lattice: site (r, c) = r·L + c, four neighbours each.</summary>
        public static TorchSharp.torch.Tensor PeriodicSquare(int l)
        {
            if (l < 2) throw new System.ArgumentOutOfRangeException(nameof(l), l, "IsingLattice: the lattice size L must be at least 2.");
            int n = l * l;
            var a = new float[n * n];
            for (int r = 0; r < l; r++)
                for (int c = 0; c < l; c++)
                {
                    int i = r * l + c;
                    foreach (var (dr, dc) in new[] { (1, 0), (-1, 0), (0, 1), (0, -1) })
                        a[i * n + ((r + dr + l) % l) * l + (c + dc + l) % l] += 1;   // L = 2 counts the double bond twice, as the periodic sum does
                }
            return TorchSharp.torch.tensor(a, new long[] { n, n });
        }

        /// <summary>The checkerboard colouring: 1 on sites with (r + c) even, 0 elsewhere, [N].</summary>
        public static TorchSharp.torch.Tensor Checkerboard(int l) =>
            TorchSharp.torch.tensor(System.Linq.Enumerable.Range(0, l * l).Select(i => ((i / l) + (i % l)) % 2 == 0 ? 1f : 0f).ToArray());
    }
}
