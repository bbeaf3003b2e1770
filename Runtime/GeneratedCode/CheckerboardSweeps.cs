using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.GeneratedCode
{
    /// <summary>
    /// What the generated one-pass checkerboard sweeps (<see cref="ILatticeSweepModel.CheckerboardSweep"/>) call at run time: the
    /// argument checks, the parallel loop over (chain, block of rows) per colour, and the single-site rule. Generated code calls
    /// these; a person rarely needs to.
    /// </summary>
    /// <remarks>
    /// Sites of one colour ((row + column) even, then odd) of a periodic lattice with an even side interact only with sites of the
    /// other colour, so one colour of every chain updates in parallel without races. The uniform of site i of chain b in colour c of
    /// sweep k is <see cref="Uniform"/>: value number (b·N + i)/2 (the colour's sites numbered consecutively: halving maps the sites of
    /// one colour one-to-one, as N and L are even) of the stream <c>CounterRandom.SubKey(key, 2k + c)</c>. It is a pure function of the
    /// site, so the result does not depend on how the rows are split among threads; a row's L/2 uniforms are filled vectorised at once.
    /// </remarks>
    [EditorBrowsable(EditorBrowsableState.Advanced)]
    public static class CheckerboardSweeps
    {
        /// <summary>Sites per work item below which a colour runs on the calling thread (handing work to the pool costs microseconds).</summary>
        public const int MinItemSites = 4096;

        /// <summary>
        /// Checks the arguments of a generated sweep: units [B, N] float32/float64, contiguous, on the CPU; β finite and positive;
        /// the lattice side L even with L² = N; every unit ±1 (spins) or 0/1 (bits). Messages name the model, the method and the argument.
        /// </summary>
        public static void Check(string model, Tensor units, long sites, long side, double beta, bool spins)
        {
            string owner = model + ".CheckerboardSweep";
            if (units is null) throw new ArgumentNullException(nameof(units), owner + ": argument 'units' is null.");
            if (units.dim() != 2 || units.shape[1] != sites)
                throw new ArgumentException(owner + ": argument 'units' must have shape [B, " + sites + "] (B chains of N = L² sites); got " + Broadcasting.Describe(units) + ".", nameof(units));
            if (units.device_type != DeviceType.CPU || (units.dtype != ScalarType.Float32 && units.dtype != ScalarType.Float64) || !units.is_contiguous())
                throw new ArgumentException(owner + ": argument 'units' must be a contiguous float32 or float64 CPU tensor (it is updated in place); got "
                    + units.dtype + " on " + units.device + (units.is_contiguous() ? "" : ", not contiguous") + ". SpinSamplers.Sweep takes the torch-op path for other tensors.", nameof(units));
            if (units.numel() * units.ElementSize > int.MaxValue)
                throw new ArgumentException(owner + ": argument 'units' has " + units.numel() + " elements, more than one span addresses; split the chains.", nameof(units));
            if (!(beta > 0) || double.IsInfinity(beta))
                throw new ArgumentException(owner + ": β = 1/T must be finite and positive (T > 0), got " + beta.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".", nameof(beta));
            if (side * side != sites || side < 2)
                throw new ArgumentException(owner + ": the lattice side L = " + side + " does not give the model's N = " + sites + " sites (N = L²).", nameof(units));
            if (side % 2 != 0)
                throw new ArgumentException(owner + ": the checkerboard colouring of a periodic lattice needs an even side L, got L = " + side
                    + " (with odd L the two colours touch across the boundary); use SpinSamplers.UpdateColour with a colouring of your own.", nameof(units));
            long bad = units.dtype == ScalarType.Float32 ? FirstBad(FusedKernels.Span<float>(units), spins) : FirstBad(FusedKernels.Span<double>(units), spins);
            if (bad >= 0)
                throw new ArgumentException(owner + ": argument 'units' must hold " + (spins ? "spins -1 or +1" : "bits 0 or 1") + "; entry [" + bad / sites + ", " + bad % sites + "] is "
                    + units.view(-1)[bad].ToDoubleValue().ToString(System.Globalization.CultureInfo.InvariantCulture) + ".", nameof(units));
        }

        /// <summary>The flat index of the first unit that is not ±1 (spins) or 0/1 (bits); −1 when all are.</summary>
        private static long FirstBad<T>(Span<T> values, bool spins) where T : unmanaged, IFloatingPointIeee754<T>
        {
            T low = spins ? -T.One : T.Zero, high = T.One;
            int k = 0;
            if (Vector.IsHardwareAccelerated && values.Length >= Vector<T>.Count)
            {
                var vectors = MemoryMarshal.Cast<T, Vector<T>>(values);
                var lows = new Vector<T>(low);
                var highs = new Vector<T>(high);
                int v = 0;
                for (; v < vectors.Length; v++)
                {
                    var ok = Vector.AsVectorInt64(Vector.Equals(vectors[v], lows) | Vector.Equals(vectors[v], highs));
                    if (!Vector.EqualsAll(ok, Vector<long>.AllBitsSet)) break;
                }
                k = v * Vector<T>.Count;                                               // the scalar loop finds the bad one in this vector, or checks the tail
            }
            for (; k < values.Length; k++)
                if (values[k] != low && values[k] != high) return k;
            return -1;
        }

        /// <summary>
        /// Runs one sweep: for the even colour, then the odd one, <paramref name="colourBody"/>(colour, chain, firstRow, endRow) over
        /// every chain's rows in blocks, in parallel when there is enough work; returns the total of what the bodies return (units changed).
        /// </summary>
        public static long Run(int chains, int side, Func<int, int, int, int, long> colourBody)
        {
            long sitesPerColour = (long)chains * side * side / 2;
            int threads = Environment.ProcessorCount;
            // Two items per thread: enough to balance a shared machine, few enough that the pool's hand-offs stay small against ~10 µs of work each.
            long items = threads <= 1 ? 1 : System.Math.Min(threads * 2L, sitesPerColour / MinItemSites);
            int blocks = items <= chains ? 1 : (int)System.Math.Min(side, (items + chains - 1) / chains);
            long total = 0;
            for (int colour = 0; colour < 2; colour++)
            {
                if (items <= 1)
                {
                    for (int b = 0; b < chains; b++) total += colourBody(colour, b, 0, side);
                    continue;
                }
                int c = colour;
                Parallel.For(0, chains * blocks, () => 0L,
                    (item, _, sum) => sum + colourBody(c, item / blocks, (int)((long)side * (item % blocks) / blocks), (int)((long)side * (item % blocks + 1) / blocks)),
                    sum => Interlocked.Add(ref total, sum));
            }
            return total;
        }

        /// <summary>The uniform of site <paramref name="site"/> (flat, in [0, N)) of chain <paramref name="chain"/> in colour <paramref name="colour"/> of sweep <paramref name="sweep"/> (tests recompute the sweep's decisions with it).</summary>
        public static double Uniform(ulong key, long sweep, int colour, long chain, long sites, long site) =>
            CounterRandom.Uniform(CounterRandom.SubKey(key, 2 * sweep + colour), (chain * sites + site) / 2);

        /// <summary>Fills <paramref name="uniforms"/>[0, L/2) with the uniforms of row <paramref name="row"/> = r·L of the chain at <paramref name="chainOffset"/> = b·N: the colour's sites of that row, column c reading index c/2.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void FillRow(double[] uniforms, int side, ulong colourKey, int chainOffset, int row) =>
            CounterRandom.FillUniform(new Span<double>(uniforms, 0, side / 2), colourKey, ((long)chainOffset + row) / 2);

        /// <summary>v mod L in [0, L) (one compare when v is already in range, as it is away from the lattice's edge).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Wrap(int v, int side) => (uint)v < (uint)side ? v : ((v % side) + side) % side;

        /// <summary>
        /// True when <paramref name="evenMask"/> ([L²], bool or float, on the CPU) is the checkerboard colouring 1 on (row + column) even that
        /// the generated sweep uses; a vectorised compare with a cached pattern.
        /// </summary>
        public static bool IsCheckerboard(Tensor evenMask, int side)
        {
            long sites = (long)side * side;
            if (evenMask.device_type != DeviceType.CPU || evenMask.numel() != sites || !evenMask.is_contiguous()) return false;
            switch (evenMask.dtype)
            {
                case ScalarType.Bool: return MemoryMarshal.Cast<byte, byte>(evenMask.bytes).SequenceEqual(Pattern<byte>(side, 1));
                case ScalarType.Float32: return MemoryMarshal.Cast<byte, float>(evenMask.bytes).SequenceEqual(Pattern<float>(side, 1f));
                case ScalarType.Float64: return MemoryMarshal.Cast<byte, double>(evenMask.bytes).SequenceEqual(Pattern<double>(side, 1.0));
                default: return false;
            }
        }

        private static class Patterns<T> where T : unmanaged
        {
            [ThreadStatic] public static T[]? Last;
            [ThreadStatic] public static int LastSide;
        }

        private static ReadOnlySpan<T> Pattern<T>(int side, T one) where T : unmanaged
        {
            var last = Patterns<T>.Last;
            if (last != null && Patterns<T>.LastSide == side) return last;
            var pattern = new T[side * side];
            for (int r = 0; r < side; r++)
                for (int c = (r & 1); c < side; c += 2) pattern[r * side + c] = one;
            Patterns<T>.Last = pattern;
            Patterns<T>.LastSide = side;
            return pattern;
        }
    }
}
