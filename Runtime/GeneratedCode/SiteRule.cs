using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using TorchSharp;
using static TorchSharp.torch;
using Dsl.Discrete;

namespace Dsl.GeneratedCode
{
    /// <summary>
    /// The single-site rule of a generated checkerboard sweep, given the site's flip energy ΔEᵢ and its uniform uᵢ: Metropolis flips
    /// when uᵢ &lt; min(1, e^{−βΔEᵢ}) (written uᵢ &lt; e^{−βΔEᵢ}: the exponential is ≥ 1 when ΔEᵢ ≤ 0), heat bath sets the unit up when
    /// uᵢ &lt; σ(−β·ΔE(down → up)), as <see cref="Discrete.SpinSamplers.UpdateColour"/>. Branch-free: the decision is a 0/1 factor, because its outcome
    /// is random and a mispredicted branch per site cost more than the rest of the site's work. The probabilities come from a per-thread
    /// table keyed by the exact bits of the exponent: a lattice model's ΔE takes few distinct values, so most sites skip the exponential,
    /// and a value is the same Math.Exp(a) (or σ(a)) whether it was computed now or earlier.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Advanced)]
    public readonly struct SiteRule
    {
        private const int TableBits = 6;
        private readonly double beta;
        private readonly bool heatBath;
        private readonly bool spins;
        private readonly long[] keys;
        private readonly double[] values;

        [ThreadStatic] private static long[]? expKeys, sigmoidKeys;
        [ThreadStatic] private static double[]? expValues, sigmoidValues;

        /// <summary>The rule at inverse temperature <paramref name="beta"/> for spins (±1) or bits (0/1).</summary>
        public SiteRule(double beta, SpinUpdate rule, bool spins)
        {
            this.beta = beta;
            heatBath = rule == SpinUpdate.HeatBath;
            this.spins = spins;
            if (heatBath) (keys, values) = Table(ref sigmoidKeys, ref sigmoidValues);
            else (keys, values) = Table(ref expKeys, ref expValues);
        }

        private static (long[], double[]) Table(ref long[]? keys, ref double[]? values)
        {
            if (keys == null || values == null)
            {
                // Empty slots hold NaN's bits and NaN: an exponent that is NaN itself reads probability NaN, and u < NaN never holds.
                keys = new long[1 << TableBits];
                values = new double[1 << TableBits];
                Array.Fill(keys, BitConverter.DoubleToInt64Bits(double.NaN));
                Array.Fill(values, double.NaN);
            }
            return (keys, values);
        }

        /// <summary>The unit's next value (spins ±1, bits 0/1) given its value, ΔEᵢ and its uniform uᵢ ∈ (0, 1).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public double Next(double unit, double flipEnergy, double uniform)
        {
            if (!heatBath)
            {
                bool flip = uniform < Probability(-beta * flipEnergy);
                double flipped = spins ? -unit : 1 - unit;
                return unit + Bit(flip) * (flipped - unit);
            }
            // ΔE(down → up) = ΔE when the unit is down, −ΔE when it is up (spins: −sᵢΔEᵢ; bits: (1 − 2bᵢ)ΔEᵢ).
            double towardsUp = spins ? -unit * flipEnergy : (1 - 2 * unit) * flipEnergy;
            bool up = uniform < Probability(-beta * towardsUp);
            double down = spins ? -1 : 0;
            return down + Bit(up) * (1 - down);
        }

        /// <summary>1 when the unit changed, else 0 (no branch).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Changed(double next, double unit) => Bit(next != unit);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static int Bit(bool b) => Unsafe.As<bool, byte>(ref b);

        /// <summary>e^{a} (Metropolis) or σ(a) (heat bath), from the table when a was seen before.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private double Probability(double a)
        {
            long bits = BitConverter.DoubleToInt64Bits(a);
            int slot = (int)((ulong)(bits * -7046029254386353131L) >> (64 - TableBits));   // Fibonacci hashing of the bits
            if (keys[slot] != bits) Miss(a, bits, slot);
            return values[slot];
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private void Miss(double a, long bits, int slot)
        {
            keys[slot] = bits;
            values[slot] = heatBath ? 1 / (1 + System.Math.Exp(-a)) : System.Math.Exp(a);
        }
    }
}
