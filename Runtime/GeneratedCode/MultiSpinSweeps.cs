using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using System.Runtime.CompilerServices;
using Dsl.Discrete;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.GeneratedCode
{
    /// <summary>
    /// A model's single-site flip energy ΔEᵢ as a function of the unit's value and the values of the units it reads at its
    /// stencil offsets (in the order the generated model lists them): what a multi-spin-coded sweep tabulates once per call.
    /// </summary>
    public delegate double ConfigurationFlipEnergy(double unit, ReadOnlySpan<double> neighbours);

    /// <summary>
    /// The multi-spin-coded checkerboard sweep that generated lattice models call (<see cref="IMultiSpinSweepModel.MultiSpinSweep"/>):
    /// 64 units of one colour in one machine word, the single-site rule applied to all of them with bitwise operations.
    /// </summary>
    /// <remarks>
    /// <para><b>Layout.</b> Each row r of each chain is split into its even and odd columns (half rows of H = L/2 bits, bit j the
    /// column 2j or 2j + 1), so a colour's sites in row r are one half row, and every neighbour at an offset (Δr, Δc) with Δr + Δc odd
    /// is the other colour: the half row of parity (p + Δc) mod 2 in row r + Δr, rotated by (p + Δc − p′)/2 bits.</para>
    /// <para><b>Rule.</b> ΔE depends only on the unit and its K stencil reads, which are bits, so it takes at most 2^(K+1) values;
    /// they are evaluated once per call with the model's generated expression (<see cref="ConfigurationFlipEnergy"/>) and turned into
    /// flip probabilities θ (Metropolis min(1, e^{−βΔE}); heat bath σ(−βΔE), which is the Gibbs update written as a flip), and θ into
    /// 64-bit thresholds T = ⌊θ·2⁶⁴⌋. Per word, the configuration of every bit selects its threshold, and a 64-bit uniform U per bit
    /// is compared with it most significant bit first, bit-sliced: one random word decides, at each level, every bit whose random bit
    /// differs from its threshold's, so a word needs about log₂64 + 2 random words. A unit flips when U &lt; T, which happens with
    /// probability T/2⁶⁴, within 2⁻⁶⁴ of θ.</para>
    /// <para><b>Randomness.</b> The random word of level ℓ (63 − ℓ = 0, 1, …) of word w of half row (chain b, row r) in colour c of
    /// sweep k is SplitMix64's output function at κ + (64·((b·L + r)·W + w) + 64 − ℓ)·γ, with κ = <c>CounterRandom.SubKey(key, 2k + c)</c>
    /// (Philox-derived) and γ SplitMix64's golden increment: a pure function of the site, so the result does not depend on the
    /// threads. It is a different stream from the one-pass sweep's per-site uniforms: the two sweeps
    /// sample the same chain, not the same path.</para>
    /// </remarks>
    public static class MultiSpinSweeps
    {
        /// <summary>The most stencil reads a multi-spin-coded sweep tabulates (2⁹ configurations).</summary>
        public const int MaxNeighbours = 8;

        /// <summary>The Weyl increment of SplitMix64 (Steele, Lea &amp; Flood 2014), ⌊2⁶⁴/φ⌋ odd.</summary>
        private const ulong Golden = 0x9E3779B97F4A7C15UL;

        /// <summary>
        /// SplitMix64's output function (Steele, Lea &amp; Flood 2014; the finaliser of Stafford's Mix13): the random word at counter value
        /// z = key + n·γ. SplitMix64 is this function on the Weyl sequence, so word n of a key is a pure function of (key, n), a
        /// counter-based generator; 2 multiplications a word where a Philox4x32-10 block costs 20 for two words, and the bit-sliced
        /// comparison spends most of its time drawing words.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static ulong Mix(ulong z)
        {
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        /// <summary>
        /// Runs <paramref name="sweeps"/> sweeps (numbers <paramref name="firstSweep"/>, …) of units [B, N] in place: packs them into bits,
        /// sweeps the even colour then the odd one, unpacks. <paramref name="offsets"/> holds the stencil's (Δrow, Δcolumn) pairs flat.
        /// Returns the units changed. Checks as <see cref="CheckerboardSweeps.Check"/>, and that every offset reads the other colour.
        /// </summary>
        public static long Run(string model, Tensor units, long sites, int side, int[] offsets, ConfigurationFlipEnergy flipEnergy,
            double beta, SpinUpdate rule, bool spins, ulong key, long firstSweep, int sweeps)
        {
            if (offsets is null) throw new ArgumentNullException(nameof(offsets));
            if (flipEnergy is null) throw new ArgumentNullException(nameof(flipEnergy));
            CheckerboardSweeps.Check(model, units, sites, side, beta, spins);
            if (sweeps < 0) throw new ArgumentException(model + ".MultiSpinSweep: sweeps must be ≥ 0, got " + sweeps + ".", nameof(sweeps));
            if (firstSweep < 0) throw new ArgumentException(model + ".MultiSpinSweep: firstSweep must be ≥ 0, got " + firstSweep + ".", nameof(firstSweep));
            int k = offsets.Length / 2;
            if (offsets.Length % 2 != 0 || k > MaxNeighbours)
                throw new ArgumentException(model + ".MultiSpinSweep: offsets must be at most " + MaxNeighbours + " (Δrow, Δcolumn) pairs; got " + offsets.Length + " numbers.", nameof(offsets));
            for (int i = 0; i < k; i++)
                if (((offsets[2 * i] + offsets[2 * i + 1]) & 1) == 0)
                    throw new ArgumentException(model + ".MultiSpinSweep: offset (" + offsets[2 * i] + ", " + offsets[2 * i + 1] + ") reads the unit's own colour.", nameof(offsets));
            if (sweeps == 0) return 0;

            var table = new ThresholdTable(flipEnergy, k, beta, rule, spins);
            var lattice = new PackedLattice((int)units.shape[0], side);
            using var noGrad = torch.no_grad();
            if (units.dtype == ScalarType.Float32) lattice.Pack(FusedKernels.Span<float>(units), spins);
            else lattice.Pack(FusedKernels.Span<double>(units), spins);
            long changed = 0;
            for (long sweep = firstSweep; sweep < firstSweep + sweeps; sweep++)
            {
                ulong sweepKey0 = CounterRandom.SubKey(key, 2 * sweep), sweepKey1 = CounterRandom.SubKey(key, 2 * sweep + 1);
                changed += CheckerboardSweeps.Run(lattice.Chains, side, (colour, chain, firstRow, endRow) =>
                    SweepRows(lattice, table, offsets, colour == 0 ? sweepKey0 : sweepKey1, colour, chain, firstRow, endRow));
            }
            if (units.dtype == ScalarType.Float32) lattice.Unpack(FusedKernels.Span<float>(units), spins);
            else lattice.Unpack(FusedKernels.Span<double>(units), spins);
            return changed;
        }

        /// <summary>The flip thresholds of every configuration (bit 0 the unit, bit 1 + k the k-th stencil read), grouped by value.</summary>
        private sealed class ThresholdTable
        {
            public readonly int Variables;
            public readonly int[] ClassOf;       // per configuration: −1 never, −2 always, else an index into Thresholds
            public readonly ulong[] Thresholds;

            public ThresholdTable(ConfigurationFlipEnergy flipEnergy, int neighbours, double beta, SpinUpdate rule, bool spins)
            {
                Variables = neighbours + 1;
                int configurations = 1 << Variables;
                ClassOf = new int[configurations];
                var thresholds = new List<ulong>();
                Span<double> values = stackalloc double[System.Math.Max(1, neighbours)];
                for (int c = 0; c < configurations; c++)
                {
                    double unit = Value((c & 1) != 0, spins);
                    for (int i = 0; i < neighbours; i++) values[i] = Value(((c >> (i + 1)) & 1) != 0, spins);
                    double dE = flipEnergy(unit, values.Slice(0, neighbours));
                    if (double.IsNaN(dE)) throw new ArgumentException("MultiSpinSweep: the flip energy is NaN for a configuration of the unit and its neighbours; check the model's parameters.");
                    double theta = rule == SpinUpdate.Metropolis ? System.Math.Exp(-beta * dE) : 1 / (1 + System.Math.Exp(beta * dE));
                    if (theta >= 1) { ClassOf[c] = -2; continue; }
                    ulong t = theta <= 0 ? 0 : (ulong)(theta * 18446744073709551616.0);   // ⌊θ·2⁶⁴⌋, exact for θ < 1 in double
                    if (t == 0) { ClassOf[c] = -1; continue; }
                    int index = thresholds.IndexOf(t);
                    if (index < 0) { index = thresholds.Count; thresholds.Add(t); }
                    ClassOf[c] = index;
                }
                Thresholds = thresholds.ToArray();
                Always = Enumerable.Range(0, configurations).Where(c => ClassOf[c] == -2).ToArray();
                Members = Enumerable.Range(0, Thresholds.Length).Select(q => Enumerable.Range(0, configurations).Where(c => ClassOf[c] == q).ToArray()).ToArray();
            }

            /// <summary>The configurations that always flip (θ ≥ 1).</summary>
            public readonly int[] Always;

            /// <summary>The configurations of each threshold class.</summary>
            public readonly int[][] Members;

            private static double Value(bool bit, bool spins) => bit ? 1 : spins ? -1 : 0;
        }

        /// <summary>Units as bits: chain, row, column parity, word; bit j of a half row is column 2j + parity.</summary>
        private sealed class PackedLattice
        {
            public readonly int Chains, Side, Half, Words;
            public readonly ulong[] Bits;

            public PackedLattice(int chains, int side)
            {
                Chains = chains; Side = side; Half = side / 2; Words = (Half + 63) / 64;
                Bits = new ulong[(long)chains * side * 2 * Words];
            }

            public int Offset(int chain, int row, int parity) => ((chain * Side + row) * 2 + parity) * Words;

            public void Pack<T>(Span<T> units, bool spins) where T : unmanaged, IFloatingPointIeee754<T>
            {
                T threshold = spins ? T.Zero : T.CreateTruncating(0.5);
                for (int b = 0; b < Chains; b++)
                    for (int r = 0; r < Side; r++)
                    {
                        var row = units.Slice((b * Side + r) * Side, Side);
                        for (int parity = 0; parity < 2; parity++)
                        {
                            int offset = Offset(b, r, parity);
                            for (int w = 0; w < Words; w++)
                            {
                                ulong word = 0;
                                int count = System.Math.Min(64, Half - 64 * w);
                                for (int j = 0, col = 2 * 64 * w + parity; j < count; j++, col += 2)
                                    if (row[col] > threshold) word |= 1UL << j;
                                Bits[offset + w] = word;
                            }
                        }
                    }
            }

            public void Unpack<T>(Span<T> units, bool spins) where T : unmanaged, IFloatingPointIeee754<T>
            {
                T zero = spins ? -T.One : T.Zero;
                for (int b = 0; b < Chains; b++)
                    for (int r = 0; r < Side; r++)
                    {
                        var row = units.Slice((b * Side + r) * Side, Side);
                        for (int parity = 0; parity < 2; parity++)
                        {
                            int offset = Offset(b, r, parity);
                            for (int w = 0; w < Words; w++)
                            {
                                ulong word = Bits[offset + w];
                                int count = System.Math.Min(64, Half - 64 * w);
                                for (int j = 0, col = 2 * 64 * w + parity; j < count; j++, col += 2)
                                    row[col] = ((word >> j) & 1) != 0 ? T.One : zero;
                            }
                        }
                    }
            }
        }

        /// <summary>64 bits of a circular half row of <paramref name="half"/> bits, starting at bit <paramref name="start"/> (in [0, half)).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static ulong Extract(ulong[] bits, int offset, int words, int half, int start)
        {
            if ((half & 63) == 0)
            {
                int a = start >> 6, b = start & 63;
                ulong lo = bits[offset + a];
                if (b == 0) return lo;
                int next = a + 1 == words ? 0 : a + 1;
                return (lo >> b) | (bits[offset + next] << (64 - b));
            }
            ulong result = 0;
            int count = System.Math.Min(64, half);
            for (int j = 0, source = start; j < count; j++, source = source + 1 == half ? 0 : source + 1)
                result |= ((bits[offset + (source >> 6)] >> (source & 63)) & 1) << j;
            return result;
        }

        private static long SweepRows(PackedLattice lattice, ThresholdTable table, int[] offsets, ulong colourKey, int colour, int chain, int firstRow, int endRow)
        {
            int k = offsets.Length / 2, side = lattice.Side, half = lattice.Half, words = lattice.Words;
            int classes = table.Thresholds.Length;
            Span<ulong> masks = stackalloc ulong[1 << table.Variables];
            Span<ulong> classMasks = stackalloc ulong[System.Math.Max(1, classes)];
            Span<ulong> inputs = stackalloc ulong[table.Variables];
            Span<int> neighbourOffset = stackalloc int[System.Math.Max(1, k)];
            Span<int> neighbourShift = stackalloc int[System.Math.Max(1, k)];
            var bits = lattice.Bits;
            var thresholds = table.Thresholds;
            var always = table.Always;
            var members = table.Members;
            long changed = 0;
            for (int r = firstRow; r < endRow; r++)
            {
                int parity = (colour + r) & 1;                          // the columns of this colour in row r
                int self = lattice.Offset(chain, r, parity);
                for (int i = 0; i < k; i++)
                {
                    int dr = offsets[2 * i], dc = offsets[2 * i + 1];
                    int neighbourParity = ((parity + dc) % 2 + 2) % 2;
                    neighbourOffset[i] = lattice.Offset(chain, CheckerboardSweeps.Wrap(r + dr, side), neighbourParity);
                    neighbourShift[i] = ((parity + dc - neighbourParity) / 2 % half + half) % half;   // in [0, half)
                }
                for (int w = 0; w < words; w++)
                {
                    int valid = System.Math.Min(64, half - 64 * w);
                    ulong validMask = valid == 64 ? ulong.MaxValue : (1UL << valid) - 1;
                    inputs[0] = bits[self + w];
                    for (int i = 0; i < k; i++)
                    {
                        int start = 64 * w + neighbourShift[i];                 // both in [0, half): one subtraction wraps it
                        if (start >= half) start -= half;
                        inputs[i + 1] = Extract(bits, neighbourOffset[i], words, half, start);
                    }
                    // The configuration masks: masks[c] has bit j set when bit j's unit and reads spell c (bit 0 the unit).
                    masks[0] = validMask;
                    int filled = 1;
                    for (int v = 0; v < table.Variables; v++)
                    {
                        ulong x = inputs[v];
                        for (int c = 0; c < filled; c++)
                        {
                            ulong m = masks[c];
                            masks[c] = m & ~x;
                            masks[c + filled] = m & x;
                        }
                        filled <<= 1;
                    }
                    ulong accept = 0, undecided = 0;
                    foreach (int c in always) accept |= masks[c];
                    for (int q = 0; q < classes; q++)
                    {
                        ulong mask = 0;
                        foreach (int c in members[q]) mask |= masks[c];
                        classMasks[q] = mask;
                        undecided |= mask;
                    }
                    // U < T bit-sliced, most significant bit first: a bit is decided where its random bit differs from its threshold's.
                    ulong counter = colourKey + (ulong)(((long)chain * side + r) * words + w) * 64 * Golden;
                    for (int level = 63; undecided != 0 && level >= 0; level--)
                    {
                        counter += Golden;
                        ulong random = Mix(counter);
                        ulong t = 0;
                        for (int q = 0; q < classes; q++)
                            if (((thresholds[q] >> level) & 1) != 0) t |= classMasks[q];
                        accept |= undecided & ~random & t;
                        undecided &= ~(random ^ t);
                    }
                    ulong flip = accept & validMask;
                    bits[self + w] ^= flip;
                    changed += BitOperations.PopCount(flip);
                }
            }
            return changed;
        }
    }
}
