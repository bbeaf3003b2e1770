using System;
using Dsl.GeneratedCode;
using Dsl.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Discrete
{
    /// <summary>The single-site update rule of a spin or bit sampler.</summary>
    public enum SpinUpdate
    {
        /// <summary>Metropolis: flip unit i with probability min(1, e^{−βΔEᵢ}), ΔEᵢ the generated flip energy (2sᵢaᵢ for a plain Ising model).</summary>
        Metropolis,
        /// <summary>Heat bath (Gibbs): unit i up with probability σ(βΔE(down→up)), e.g. σ(2βaᵢ) for spins without self-coupling.</summary>
        HeatBath,
    }

    /// <summary>The order in which a Gibbs sweep visits the units of a fully visible model.</summary>
    public enum GibbsScan
    {
        /// <summary>Random scan: D updates per sweep, each at a unit drawn uniformly (with replacement), independently per chain.</summary>
        Random,
        /// <summary>Systematic scan (the lecture's pseudocode): units 1, 2, …, D in order, each exactly once per sweep.</summary>
        Systematic,
    }

    /// <summary>
    /// Single-unit updates on any pairwise energy over spins or bits through its generated flip energies ΔEᵢ (exact for
    /// degree ≤ 2, self-couplings included). A mask selects units that are conditionally independent given the rest (a colour
    /// class: the checkerboard of a bipartite lattice), which are then updated simultaneously, batched over independent chains.
    /// </summary>
    public static class SpinSamplers
    {
        /// <summary>Updates the masked units of every chain in place; returns the number of flipped units.</summary>
        public static long UpdateColour(IDiscreteEnergyModel model, Tensor units, Tensor mask, double beta, SpinUpdate rule, Generator generator)
        {
            if (!(beta > 0) || double.IsInfinity(beta)) throw new ArgumentException("SpinSamplers on " + model.ModelName + ": β = 1/T must be finite and positive (T > 0), got " + beta + ".", nameof(beta));
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            bool spins = model.Units == UnitKind.Spins;
            var flipEnergy = model.FlipEnergyDifferencesNoGrad(units);
            var flipped = spins ? -units : global::Dsl.ScalarOps.RSub(1,units);
            var u = empty_like(units).uniform_(0, 1, generator: generator);
            var selected = mask.dtype == ScalarType.Bool ? mask : mask.to_type(ScalarType.Bool);
            Tensor next;
            if (rule == SpinUpdate.Metropolis)
            {
                var accept = (u < (flipEnergy.Mul(-beta)).exp()).logical_and_(selected);
                next = where(accept, flipped, units);
                units.copy_(next);
                return accept.sum().item<long>();                                   // every accepted flip changes its unit
            }
            else
            {
                // ΔE(down → up) = ΔE when the unit is down, −ΔE when it is up: (up − down indicator)·ΔE with sign −(2x−1) for bits, −s for spins.
                var towardsUp = spins ? -units * flipEnergy : (global::Dsl.ScalarOps.RSub(1,units.Mul(2))) * flipEnergy;
                var up = u < (towardsUp.Mul(-beta)).sigmoid();
                var upValue = ones_like(units);
                var downValue = spins ? -ones_like(units) : zeros_like(units);
                next = where(selected, where(up, upValue, downValue), units);
            }
            long changed = next.ne(units).sum().item<long>();
            units.copy_(next);
            return changed;
        }

        /// <summary>
        /// One checkerboard sweep: the even colour, then the odd colour (a Bool mask saves two conversions per sweep). When
        /// <see cref="TakesGeneratedSweep"/> holds (a lattice model with a generated sweep, the standard checkerboard, contiguous float
        /// CPU units, kernels not forced to torch ops) it runs the model's one-pass <see cref="ILatticeSweepModel.CheckerboardSweep"/> with
        /// a counter-based key drawn from <paramref name="generator"/>; otherwise the generic path below (flip energies, then the rule, by torch ops).
        /// Either way the same generator seed gives the same chains; the two paths draw different uniforms, so their chains differ.
        /// </summary>
        public static long Sweep(IDiscreteEnergyModel model, Tensor units, Tensor evenMask, double beta, SpinUpdate rule, Generator generator)
        {
            if (TakesGeneratedSweep(model, units, evenMask))
                return ((ILatticeSweepModel)model).CheckerboardSweep(units, beta, rule, CounterRandom.KeyFrom(generator));
            using var odd = evenMask.dtype == ScalarType.Bool ? evenMask.logical_not() : global::Dsl.ScalarOps.RSub(1,evenMask);
            return UpdateColour(model, units, evenMask, beta, rule, generator) + UpdateColour(model, units, odd, beta, rule, generator);
        }

        /// <summary>
        /// True when <see cref="Sweep"/> takes the model's generated one-pass sweep: the model implements <see cref="ILatticeSweepModel"/>,
        /// its <see cref="ILatticeSweepModel.Kernels"/> allow fused kernels for <paramref name="units"/> (float32/float64 on the CPU), the units
        /// are contiguous [B, L²] with L even, and <paramref name="evenMask"/> is the standard checkerboard (1 where row + column is even).
        /// </summary>
        public static bool TakesGeneratedSweep(IDiscreteEnergyModel model, Tensor units, Tensor evenMask)
        {
            if (!FastPaths.LatticeSweep(model, units, out var lattice)) return false;
            long side = lattice.LatticeSide;
            if (units.dim() != 2 || units.shape[1] != lattice.Dim || side % 2 != 0 || side * side != lattice.Dim) return false;
            return CheckerboardSweeps.IsCheckerboard(evenMask, (int)side);
        }

        /// <summary>
        /// One sweep of single-site heat-bath updates, D updates for every chain: the Gibbs sampler of a fully visible Boltzmann machine,
        /// whose units all interact. <see cref="GibbsScan.Random"/> (the default) updates a uniformly chosen unit each time;
        /// <see cref="GibbsScan.Systematic"/> updates unit 0, 1, …, D − 1 in order. Both leave p(x) ∝ e^{−βE(x)} invariant.
        /// </summary>
        public static void GibbsSweep(IDiscreteEnergyModel model, Tensor units, double beta, Generator generator, GibbsScan scan = GibbsScan.Random)
        {
            if (!(beta > 0) || double.IsInfinity(beta)) throw new ArgumentException("SpinSamplers.GibbsSweep on " + model.ModelName + ": β = 1/T must be finite and positive (T > 0), got " + beta + ".", nameof(beta));
            if (scan != GibbsScan.Random && scan != GibbsScan.Systematic) throw new ArgumentException("SpinSamplers.GibbsSweep on " + model.ModelName + ": scan must be Random or Systematic, got " + scan + ".", nameof(scan));
            using var noGrad = no_grad();
            long n = units.shape[0], d = units.shape[1];
            for (long k = 0; k < d; k++)
            {
                using var scope = NewDisposeScope();
                Tensor mask;
                if (scan == GibbsScan.Systematic)
                {
                    // unit k of every chain: the row (column index == k), broadcast over the chains
                    mask = global::Dsl.ScalarOps.Arange(d, ScalarType.Int64, units.device).Eq(k).unsqueeze(0).expand(n, d);
                }
                else
                {
                    var site = randint(0, d, new long[] { n, 1 }, generator: generator, device: units.device);
                    mask = zeros_like(units).scatter_(1, site, ones(n, 1, dtype: units.dtype, device: units.device));
                }
                UpdateColour(model, units, mask, beta, SpinUpdate.HeatBath, generator);
            }
        }
    }
}
