using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Dsl.GeneratedCode;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl
{
    /// <summary>
    /// Counter-based random numbers for fused kernels: value number <c>index</c> of the stream <c>key</c> is a pure function of
    /// (key, index), so kernels that run over arbitrary chunks of a batch, in any order and on any thread, draw the same numbers,
    /// and a fill is vectorised (eight Philox blocks, 32 values, per step). Typical use: <see cref="KeyFrom"/> once per run,
    /// <see cref="SubKey"/> per step, <see cref="FillNormal(Span{float}, ulong, long)"/> per chunk of a kernel with the chunk's
    /// first index as the offset.
    /// <para>
    /// The bits come from Philox4x32-10 (Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy as 1, 2, 3", SC'11;
    /// the Random123 library): value <c>i</c> is word <c>i mod 4</c> of the block whose 128-bit counter is
    /// (low 32 bits of i/4, high 32 bits of i/4, 0, 0) under the key (low 32 bits of key, high 32 bits of key).
    /// A word w becomes a float uniform ((w ≫ 9) + ½)·2⁻²³ and a double uniform (w + ½)·2⁻³², both strictly inside (0, 1)
    /// (a float cannot hold 24 bits with the half offset: ((2²⁴ − 1) + ½)·2⁻²⁴ rounds to 1). Normals are Box–Muller
    /// (Box and Muller 1958) on the words (w₀, w₁) → values 4b, 4b + 1 and (w₂, w₃) → 4b + 2, 4b + 3:
    /// r = √(−2 ln u₁), θ = 2π u₂, z = (r cos θ, r sin θ); float normals are computed in float, double normals in double.
    /// </para>
    /// <para>
    /// Every value is bit-identical whichever entry point computed it (a scalar call, a fill of length 1, a fill from an
    /// unaligned offset, a parallel tensor fill). Philox is integer arithmetic (AVX-512, AVX2 or scalar: the same words), and the
    /// logarithm and sine/cosine are this class's own, built from IEEE-exact lane operations only (+ − × ÷ √, floor, bit logic;
    /// no FMA, no branch that looks at other lanes), so a lane's result depends on that lane alone: the 8-lane routine the
    /// scalar functions use and the 16-lane one the AVX-512 fills use agree to the bit, and so do machines with AVX-512, AVX2,
    /// AVX or no vector instructions (measured: docs/perf.md, "Counter-based noise").
    /// (.NET's <c>Vector256.SinCos</c> would not do: it picks its reduction for the whole vector, so a lane's last bit depends on
    /// its neighbours.) Accuracy: a few ulp (float ≤ 1.4·10⁻⁷, double ≤ 2.6·10⁻¹⁶ relative to 1 + |z|, tested against
    /// <see cref="System.Math.Log(double)"/> and <see cref="double.CosPi"/>/<see cref="double.SinPi"/>).
    /// </para>
    /// </summary>
    public static class CounterRandom
    {
        // Philox4x32 round multipliers and Weyl key increments (Salmon et al. 2011, table 2; Random123's PHILOX_M4x32_0/1, PHILOX_W32_0/1).
        private const uint MultiplierA = 0xD2511F53, MultiplierB = 0xCD9E8D57;
        private const uint WeylA = 0x9E3779B9, WeylB = 0xBB67AE85;
        private const int Rounds = 10;

        /// <summary>Philox blocks per vector step: one per 32-bit lane of a <see cref="Vector256{T}"/> (per 64-bit lane of a <see cref="Vector512{T}"/>).</summary>
        private const int GroupBlocks = 8;

        /// <summary>Values per vector step: four words per block.</summary>
        private const int GroupValues = 4 * GroupBlocks;

        /// <summary>Third counter word of <see cref="SubKey"/>'s block: value streams use (·, ·, 0, 0), so a sub-key never repeats a value's block.</summary>
        private const uint SubKeyDomain = 0x5375624B;

        private const float SingleStep = 1f / 8388608f;        // 2⁻²³
        private const double DoubleStep = 1.0 / 4294967296.0;  // 2⁻³²
        private const float TwoPiSingle = (float)(2 * System.Math.PI);
        private const double TwoPi = 2 * System.Math.PI;

        /// <summary>
        /// Work units per value for <see cref="FusedKernels.For"/>'s choice of chunks: a normal costs about a nanosecond, so chunks
        /// of at least <see cref="FusedKernels.MinChunkWork"/> / 4 = 4096 values (a few microseconds) pay for their hand-off.
        /// </summary>
        private const long WorkPerValue = 4;

        /// <summary>
        /// One block of Philox4x32-10 (Salmon et al. 2011; Random123's <c>philox4x32</c> with 10 rounds): the counter
        /// (<paramref name="c0"/>, …, <paramref name="c3"/>) under the key (<paramref name="k0"/>, <paramref name="k1"/>) → four
        /// 32-bit words. Each round maps (c₀, c₁, c₂, c₃) to (hi(B·c₂) ⊕ c₁ ⊕ k₀, lo(B·c₂), hi(A·c₀) ⊕ c₃ ⊕ k₁, lo(A·c₀)) and the
        /// key gains the Weyl increments between rounds.
        /// </summary>
        public static (uint X0, uint X1, uint X2, uint X3) Philox(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1)
        {
            for (int round = 0; round < Rounds; round++)
            {
                if (round > 0)
                {
                    k0 += WeylA;
                    k1 += WeylB;
                }
                ulong productA = (ulong)MultiplierA * c0;
                ulong productB = (ulong)MultiplierB * c2;
                uint next0 = (uint)(productB >> 32) ^ c1 ^ k0;
                uint next2 = (uint)(productA >> 32) ^ c3 ^ k1;
                c1 = (uint)productB;
                c3 = (uint)productA;
                c0 = next0;
                c2 = next2;
            }
            return (c0, c1, c2, c3);
        }

        /// <summary>Value number <paramref name="index"/> (≥ 0) of the stream <paramref name="key"/> as a float uniform in (0, 1): ((w ≫ 9) + ½)·2⁻²³.</summary>
        public static float UniformSingle(ulong key, long index) => SingleFromWord(Word(key, index, nameof(index)));

        /// <summary>Value number <paramref name="index"/> (≥ 0) of the stream <paramref name="key"/> as a double uniform in (0, 1): (w + ½)·2⁻³².</summary>
        public static double Uniform(ulong key, long index) => DoubleFromWord(Word(key, index, nameof(index)));

        /// <summary>Value number <paramref name="index"/> (≥ 0) of the stream <paramref name="key"/> as a float standard normal (Box–Muller in float).</summary>
        public static float NormalSingle(ulong key, long index)
        {
            var (u1, u2) = PairOf(key, index);
            // The fills' own routine on a vector whose every lane holds this pair: the same operations, so the same bits.
            var (cos, sin) = BoxMuller(Vector256.Create(SingleFromWord(u1)), Vector256.Create(SingleFromWord(u2)));
            return ((index & 1) == 0 ? cos : sin).ToScalar();
        }

        /// <summary>Value number <paramref name="index"/> (≥ 0) of the stream <paramref name="key"/> as a double standard normal (Box–Muller in double).</summary>
        public static double Normal(ulong key, long index)
        {
            var (u1, u2) = PairOf(key, index);
            var (cos, sin) = BoxMuller(Vector256.Create(DoubleFromWord(u1)), Vector256.Create(DoubleFromWord(u2)));
            return ((index & 1) == 0 ? cos : sin).ToScalar();
        }

        /// <summary><paramref name="destination"/>[i] = <see cref="UniformSingle"/>(<paramref name="key"/>, <paramref name="offset"/> + i), vectorised.</summary>
        public static void FillUniform(Span<float> destination, ulong key, long offset) => Fill<float, UniformSingles>(destination, key, offset);

        /// <summary><paramref name="destination"/>[i] = <see cref="Uniform"/>(<paramref name="key"/>, <paramref name="offset"/> + i), vectorised.</summary>
        public static void FillUniform(Span<double> destination, ulong key, long offset) => Fill<double, UniformDoubles>(destination, key, offset);

        /// <summary><paramref name="destination"/>[i] = <see cref="NormalSingle"/>(<paramref name="key"/>, <paramref name="offset"/> + i), vectorised.</summary>
        public static void FillNormal(Span<float> destination, ulong key, long offset) => Fill<float, NormalSingles>(destination, key, offset);

        /// <summary><paramref name="destination"/>[i] = <see cref="Normal"/>(<paramref name="key"/>, <paramref name="offset"/> + i), vectorised.</summary>
        public static void FillNormal(Span<double> destination, ulong key, long offset) => Fill<double, NormalDoubles>(destination, key, offset);

        /// <summary>
        /// The elements of <paramref name="t"/> (a contiguous float32 or float64 CPU tensor, in storage order) become standard
        /// normals number <paramref name="offset"/>, <paramref name="offset"/> + 1, … of the stream <paramref name="key"/>; the
        /// chunks of a large tensor are filled in parallel, with the same values as one sequential fill.
        /// </summary>
        public static void FillNormal(Tensor t, ulong key, long offset) => FillTensor(t, key, offset, normal: true);

        /// <summary>As <see cref="FillNormal(Tensor, ulong, long)"/> with uniforms in (0, 1).</summary>
        public static void FillUniform(Tensor t, ulong key, long offset) => FillTensor(t, key, offset, normal: false);

        /// <summary>
        /// The key of sub-stream <paramref name="stream"/> (e.g. a step number) of the run whose key is <paramref name="key"/>: the
        /// first two words of the Philox block with counter (low, high 32 bits of <paramref name="stream"/>, 0x5375624B, 0) under
        /// <paramref name="key"/>, a block that no value of <paramref name="key"/>'s own stream uses.
        /// </summary>
        public static ulong SubKey(ulong key, long stream)
        {
            var (x0, x1, _, _) = Philox((uint)stream, (uint)((ulong)stream >> 32), SubKeyDomain, 0, (uint)key, (uint)(key >> 32));
            return x0 | ((ulong)x1 << 32);
        }

        /// <summary>
        /// A key drawn from <paramref name="generator"/> with one call (two 32-bit integers), so that a sampler seeded through a
        /// <see cref="torch.Generator"/> derives its counter-based stream once per run and stays reproducible from the same seed.
        /// </summary>
        public static ulong KeyFrom(torch.Generator generator)
        {
            ArgumentNullException.ThrowIfNull(generator);
            using var words = torch.randint(0, 1L << 32, new long[] { 2 }, dtype: ScalarType.Int64, generator: generator);
            var halves = words.data<long>();
            return (ulong)halves[0] | ((ulong)halves[1] << 32);
        }

        /// <summary>Which instructions compute a group of Philox blocks (tests compare them; fills take <see cref="Fastest"/>).</summary>
        internal enum PhiloxPath { Fastest, Scalar, Avx2, Avx512 }

        /// <summary>The Philox words of the 8 blocks from <paramref name="firstBlock"/>, lane j holding block firstBlock + j.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal static void PhiloxGroup(ulong key, ulong firstBlock, PhiloxPath path,
            out Vector256<uint> x0, out Vector256<uint> x1, out Vector256<uint> x2, out Vector256<uint> x3)
        {
            if (Avx512F.IsSupported && path is PhiloxPath.Fastest or PhiloxPath.Avx512) PhiloxAvx512(key, firstBlock, out x0, out x1, out x2, out x3);
            else if (Avx2.IsSupported && path is PhiloxPath.Fastest or PhiloxPath.Avx2) PhiloxAvx2(key, firstBlock, out x0, out x1, out x2, out x3);
            else if (path is PhiloxPath.Fastest or PhiloxPath.Scalar) PhiloxScalar(key, firstBlock, out x0, out x1, out x2, out x3);
            else throw new PlatformNotSupportedException($"CounterRandom: {path} is not supported on this processor.");
        }

        private static uint Word(ulong key, long index, string name)
        {
            if (index < 0) throw new ArgumentOutOfRangeException(name, index, "CounterRandom: a value index must be ≥ 0.");
            ulong block = (ulong)index >> 2;
            var (x0, x1, x2, x3) = Philox((uint)block, (uint)(block >> 32), 0, 0, (uint)key, (uint)(key >> 32));
            return (index & 3) switch { 0 => x0, 1 => x1, 2 => x2, _ => x3 };
        }

        /// <summary>The Box–Muller pair of words (u₁'s, u₂'s) that value <paramref name="index"/> comes from.</summary>
        private static (uint U1, uint U2) PairOf(ulong key, long index)
        {
            if (index < 0) throw new ArgumentOutOfRangeException(nameof(index), index, "CounterRandom: a value index must be ≥ 0.");
            ulong block = (ulong)index >> 2;
            var (x0, x1, x2, x3) = Philox((uint)block, (uint)(block >> 32), 0, 0, (uint)key, (uint)(key >> 32));
            return (index & 2) == 0 ? (x0, x1) : (x2, x3);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static float SingleFromWord(uint w) => ((w >> 9) + 0.5f) * SingleStep;   // exact: 24 significant bits at most

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static double DoubleFromWord(uint w) => (w + 0.5) * DoubleStep;            // exact: 33 significant bits at most

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> SinglesFromWords(Vector256<uint> w) =>
            (Vector256.ConvertToSingle((w >> 9).AsInt32()) + Vector256.Create(0.5f)) * Vector256.Create(SingleStep);

        /// <summary>(w + ½)·2⁻³² for eight words (exact, so the same as <see cref="DoubleFromWord"/>).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<double> DoublesFromWords(Vector256<uint> w) => Vector512.Create(DoublesFromWords(w.GetLower()), DoublesFromWords(w.GetUpper()));

        /// <summary>(w + ½)·2⁻³² for four words, exactly as <see cref="DoubleFromWord"/>: w as a signed int after flipping its top bit, plus 2³¹ + ½.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<double> DoublesFromWords(Vector128<uint> w)
        {
            if (Avx.IsSupported)
            {
                var shifted = Avx.ConvertToVector256Double((w ^ Vector128.Create(0x80000000u)).AsInt32());
                return (shifted + Vector256.Create(2147483648.5)) * Vector256.Create(DoubleStep);
            }
            return Vector256.Create(DoubleFromWord(w.GetElement(0)), DoubleFromWord(w.GetElement(1)), DoubleFromWord(w.GetElement(2)), DoubleFromWord(w.GetElement(3)));
        }

        // ln 2 split so that e·ln2Hi is exact for every exponent a uniform can have (Cephes' split for float, fdlibm's for double).
        private const float Ln2HiSingle = 0.693359375f, Ln2LoSingle = -2.12194440e-4f;
        private const double Ln2Hi = 6.93147180369123816490e-01, Ln2Lo = 1.90821492927058770002e-10;

        /// <summary>
        /// Box–Muller in float, lane by lane: (r cos θ, r sin θ) with r = √(−2 ln u₁), θ = 2π u₂. Every float normal goes through
        /// here (or through its Vector512 copy below). Built from IEEE-exact lane operations only (+ − × ÷ √, floor, bit logic; no
        /// FMA, no branch on other lanes), so a lane's result depends on that lane alone — .NET's <c>Vector256.SinCos</c> does not:
        /// it picks a path for the whole vector, and a lane's last bit then depends on its neighbours.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static (Vector256<float> Cos, Vector256<float> Sin) BoxMuller(Vector256<float> u1, Vector256<float> u2)
        {
            var radius = Vector256.Sqrt(Vector256.Create(-2f) * Log(u1));
            var (sin, cos) = SinCosTwoPi(u2);
            return (radius * cos, radius * sin);
        }

        /// <summary>Box–Muller in double, lane by lane, from the same exact operations. Every double normal goes through here (or its Vector512 copy).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static (Vector256<double> Cos, Vector256<double> Sin) BoxMuller(Vector256<double> u1, Vector256<double> u2)
        {
            var radius = Vector256.Sqrt(Vector256.Create(-2.0) * Log(u1));
            var (sin, cos) = SinCosTwoPi(u2);
            return (radius * cos, radius * sin);
        }

        /// <summary>
        /// ln u for normal positive floats: u = m·2ᵉ with m ∈ [√½, √2), ln m = 2 atanh s = 2(s + s³/3 + … + s⁹/9), s = (m − 1)/(m + 1),
        /// |s| ≤ 0.172 (the next term is below 2⁻³¹ relative).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> Log(Vector256<float> u)
        {
            var bits = u.AsInt32();
            var exponent = (bits >> 23) - Vector256.Create(127);
            var m = ((bits & Vector256.Create(0x007FFFFF)) | Vector256.Create(0x3F800000)).AsSingle();   // [1, 2)
            var high = Vector256.GreaterThan(m, Vector256.Create(1.41421356f));
            m = Vector256.ConditionalSelect(high, m * Vector256.Create(0.5f), m);
            exponent -= high.AsInt32();                                                                   // all ones = −1
            var s = (m - Vector256.Create(1f)) / (m + Vector256.Create(1f));
            var s2 = s * s;
            var series = s2 * (Vector256.Create(1f / 3) + s2 * (Vector256.Create(1f / 5) + s2 * (Vector256.Create(1f / 7) + s2 * Vector256.Create(1f / 9))));
            var twoS = s + s;
            var e = Vector256.ConvertToSingle(exponent);
            return e * Vector256.Create(Ln2HiSingle) + (twoS + (twoS * series + e * Vector256.Create(Ln2LoSingle)));
        }

        /// <summary>ln u for normal positive doubles, as the float version with the series to s¹⁹/19 (the next term is below 2⁻⁵⁵ relative).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<double> Log(Vector256<double> u)
        {
            var bits = u.AsInt64();
            var biased = Vector256.ShiftRightLogical(bits, 52) - Vector256.Create(1023L);
            var m = ((bits & Vector256.Create(0x000F_FFFF_FFFF_FFFFL)) | Vector256.Create(0x3FF0_0000_0000_0000L)).AsDouble();
            var high = Vector256.GreaterThan(m, Vector256.Create(1.4142135623730951));
            m = Vector256.ConditionalSelect(high, m * Vector256.Create(0.5), m);
            biased -= high.AsInt64();
            // The exponent as a double without a 64-bit conversion instruction: 1.5·2⁵² + e has e in its low bits (|e| < 2⁵¹).
            var e = (biased + Vector256.Create(0x4338_0000_0000_0000L)).AsDouble() - Vector256.Create(6755399441055744.0);
            var s = (m - Vector256.Create(1.0)) / (m + Vector256.Create(1.0));
            var s2 = s * s;
            var series = Vector256.Create(1.0 / 19);
            series = Vector256.Create(1.0 / 17) + s2 * series;
            series = Vector256.Create(1.0 / 15) + s2 * series;
            series = Vector256.Create(1.0 / 13) + s2 * series;
            series = Vector256.Create(1.0 / 11) + s2 * series;
            series = Vector256.Create(1.0 / 9) + s2 * series;
            series = Vector256.Create(1.0 / 7) + s2 * series;
            series = Vector256.Create(1.0 / 5) + s2 * series;
            series = Vector256.Create(1.0 / 3) + s2 * series;
            series = s2 * series;
            var twoS = s + s;
            return e * Vector256.Create(Ln2Hi) + (twoS + (twoS * series + e * Vector256.Create(Ln2Lo)));
        }

        /// <summary>
        /// (sin 2πt, cos 2πt) for t ∈ [0, 1): q = ⌊4t + ½⌋ and f = t − q/4 ∈ [−⅛, ⅛] are exact (t has at most 24 significant bits),
        /// x = 2πf ∈ [−π/4, π/4] goes through Taylor polynomials to x⁹ and x¹⁰ (truncation below 2⁻²⁸ relative), and the quadrant
        /// q rotates the pair: (sin, cos)(x + qπ/2) = (s, c), (c, −s), (−s, −c), (−c, s).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static (Vector256<float> Sin, Vector256<float> Cos) SinCosTwoPi(Vector256<float> t)
        {
            var q = Vector256.Floor(t * Vector256.Create(4f) + Vector256.Create(0.5f));
            var x = (t - q * Vector256.Create(0.25f)) * Vector256.Create(TwoPiSingle);
            var x2 = x * x;
            var sin = x + x * x2 * (Vector256.Create(-1f / 6) + x2 * (Vector256.Create(1f / 120) + x2 * (Vector256.Create(-1f / 5040) + x2 * Vector256.Create(1f / 362880))));
            var cos = Vector256.Create(1f) + x2 * (Vector256.Create(-0.5f) + x2 * (Vector256.Create(1f / 24) + x2 * (Vector256.Create(-1f / 720) + x2 * (Vector256.Create(1f / 40320) + x2 * Vector256.Create(-1f / 3628800)))));
            // q ∈ {0, …, 4} in the low bits of 2²³ + q.
            var quadrant = (q + Vector256.Create(8388608f)).AsInt32();
            return Rotate(sin.AsInt32(), cos.AsInt32(), quadrant, 30);
        }

        /// <summary>(sin 2πt, cos 2πt) for t ∈ [0, 1) in double: as the float version, with Taylor polynomials to x¹⁷ and x¹⁶ (truncation below 2⁻⁵⁵ relative).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static (Vector256<double> Sin, Vector256<double> Cos) SinCosTwoPi(Vector256<double> t)
        {
            var q = Vector256.Floor(t * Vector256.Create(4.0) + Vector256.Create(0.5));
            var x = (t - q * Vector256.Create(0.25)) * Vector256.Create(TwoPi);
            var x2 = x * x;
            // sin x = x + x·x²·Σₖ (−1)ᵏ x²⁽ᵏ⁻¹⁾/(2k+1)!, k = 1…8; cos x = 1 + x²·Σₖ (−1)ᵏ x²⁽ᵏ⁻¹⁾/(2k)!, k = 1…8.
            var sinSeries = Vector256.Create(1.0 / 355687428096000);          // 1/17!
            sinSeries = Vector256.Create(-1.0 / 1307674368000) + x2 * sinSeries;  // −1/15!
            sinSeries = Vector256.Create(1.0 / 6227020800) + x2 * sinSeries;      // 1/13!
            sinSeries = Vector256.Create(-1.0 / 39916800) + x2 * sinSeries;       // −1/11!
            sinSeries = Vector256.Create(1.0 / 362880) + x2 * sinSeries;          // 1/9!
            sinSeries = Vector256.Create(-1.0 / 5040) + x2 * sinSeries;
            sinSeries = Vector256.Create(1.0 / 120) + x2 * sinSeries;
            sinSeries = Vector256.Create(-1.0 / 6) + x2 * sinSeries;
            var sin = x + x * x2 * sinSeries;
            var cosSeries = Vector256.Create(1.0 / 20922789888000);           // 1/16!
            cosSeries = Vector256.Create(-1.0 / 87178291200) + x2 * cosSeries;    // −1/14!
            cosSeries = Vector256.Create(1.0 / 479001600) + x2 * cosSeries;       // 1/12!
            cosSeries = Vector256.Create(-1.0 / 3628800) + x2 * cosSeries;        // −1/10!
            cosSeries = Vector256.Create(1.0 / 40320) + x2 * cosSeries;
            cosSeries = Vector256.Create(-1.0 / 720) + x2 * cosSeries;
            cosSeries = Vector256.Create(1.0 / 24) + x2 * cosSeries;
            cosSeries = Vector256.Create(-0.5) + x2 * cosSeries;
            var cos = Vector256.Create(1.0) + x2 * cosSeries;
            var quadrant = (q + Vector256.Create(4503599627370496.0)).AsInt64();
            return Rotate(sin.AsInt64(), cos.AsInt64(), quadrant, 62);
        }

        /// <summary>
        /// (sin, cos)(x + qπ/2) from (s, c) = (sin x, cos x), as bit patterns: odd q swaps them, bit 1 of q negates the sine and
        /// bit 1 of q + 1 the cosine (shifted up to the sign bit by <paramref name="toSign"/>).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static (Vector256<float> Sin, Vector256<float> Cos) Rotate(Vector256<int> s, Vector256<int> c, Vector256<int> q, int toSign)
        {
            var one = Vector256.Create(1);
            var swap = Vector256.Equals(q & one, one);
            var sin = Vector256.ConditionalSelect(swap, c, s) ^ ((q & Vector256.Create(2)) << toSign);
            var cos = Vector256.ConditionalSelect(swap, s, c) ^ (((q + one) & Vector256.Create(2)) << toSign);
            return (sin.AsSingle(), cos.AsSingle());
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static (Vector256<double> Sin, Vector256<double> Cos) Rotate(Vector256<long> s, Vector256<long> c, Vector256<long> q, int toSign)
        {
            var one = Vector256.Create(1L);
            var swap = Vector256.Equals(q & one, one);
            var sin = Vector256.ConditionalSelect(swap, c, s) ^ ((q & Vector256.Create(2L)) << toSign);
            var cos = Vector256.ConditionalSelect(swap, s, c) ^ (((q + one) & Vector256.Create(2L)) << toSign);
            return (sin.AsDouble(), cos.AsDouble());
        }

        // The same routines on Vector512 (AVX-512), produced from the Vector256 ones above by substituting the type: the same IEEE
        // operations in the same order on each lane, hence the same bits (Every_path_gives_the_same_bits compares a 16-lane fill
        // with the 8-lane scalar route).
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static (Vector512<float> Cos, Vector512<float> Sin) BoxMuller(Vector512<float> u1, Vector512<float> u2)
        {
            var radius = Vector512.Sqrt(Vector512.Create(-2f) * Log(u1));
            var (sin, cos) = SinCosTwoPi(u2);
            return (radius * cos, radius * sin);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static (Vector512<double> Cos, Vector512<double> Sin) BoxMuller(Vector512<double> u1, Vector512<double> u2)
        {
            var radius = Vector512.Sqrt(Vector512.Create(-2.0) * Log(u1));
            var (sin, cos) = SinCosTwoPi(u2);
            return (radius * cos, radius * sin);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> Log(Vector512<float> u)
        {
            var bits = u.AsInt32();
            var exponent = (bits >> 23) - Vector512.Create(127);
            var m = ((bits & Vector512.Create(0x007FFFFF)) | Vector512.Create(0x3F800000)).AsSingle();   // [1, 2)
            var high = Vector512.GreaterThan(m, Vector512.Create(1.41421356f));
            m = Vector512.ConditionalSelect(high, m * Vector512.Create(0.5f), m);
            exponent -= high.AsInt32();                                                                   // all ones = −1
            var s = (m - Vector512.Create(1f)) / (m + Vector512.Create(1f));
            var s2 = s * s;
            var series = s2 * (Vector512.Create(1f / 3) + s2 * (Vector512.Create(1f / 5) + s2 * (Vector512.Create(1f / 7) + s2 * Vector512.Create(1f / 9))));
            var twoS = s + s;
            var e = Vector512.ConvertToSingle(exponent);
            return e * Vector512.Create(Ln2HiSingle) + (twoS + (twoS * series + e * Vector512.Create(Ln2LoSingle)));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<double> Log(Vector512<double> u)
        {
            var bits = u.AsInt64();
            var biased = Vector512.ShiftRightLogical(bits, 52) - Vector512.Create(1023L);
            var m = ((bits & Vector512.Create(0x000F_FFFF_FFFF_FFFFL)) | Vector512.Create(0x3FF0_0000_0000_0000L)).AsDouble();
            var high = Vector512.GreaterThan(m, Vector512.Create(1.4142135623730951));
            m = Vector512.ConditionalSelect(high, m * Vector512.Create(0.5), m);
            biased -= high.AsInt64();
            // The exponent as a double without a 64-bit conversion instruction: 1.5·2⁵² + e has e in its low bits (|e| < 2⁵¹).
            var e = (biased + Vector512.Create(0x4338_0000_0000_0000L)).AsDouble() - Vector512.Create(6755399441055744.0);
            var s = (m - Vector512.Create(1.0)) / (m + Vector512.Create(1.0));
            var s2 = s * s;
            var series = Vector512.Create(1.0 / 19);
            series = Vector512.Create(1.0 / 17) + s2 * series;
            series = Vector512.Create(1.0 / 15) + s2 * series;
            series = Vector512.Create(1.0 / 13) + s2 * series;
            series = Vector512.Create(1.0 / 11) + s2 * series;
            series = Vector512.Create(1.0 / 9) + s2 * series;
            series = Vector512.Create(1.0 / 7) + s2 * series;
            series = Vector512.Create(1.0 / 5) + s2 * series;
            series = Vector512.Create(1.0 / 3) + s2 * series;
            series = s2 * series;
            var twoS = s + s;
            return e * Vector512.Create(Ln2Hi) + (twoS + (twoS * series + e * Vector512.Create(Ln2Lo)));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static (Vector512<float> Sin, Vector512<float> Cos) SinCosTwoPi(Vector512<float> t)
        {
            var q = Vector512.Floor(t * Vector512.Create(4f) + Vector512.Create(0.5f));
            var x = (t - q * Vector512.Create(0.25f)) * Vector512.Create(TwoPiSingle);
            var x2 = x * x;
            var sin = x + x * x2 * (Vector512.Create(-1f / 6) + x2 * (Vector512.Create(1f / 120) + x2 * (Vector512.Create(-1f / 5040) + x2 * Vector512.Create(1f / 362880))));
            var cos = Vector512.Create(1f) + x2 * (Vector512.Create(-0.5f) + x2 * (Vector512.Create(1f / 24) + x2 * (Vector512.Create(-1f / 720) + x2 * (Vector512.Create(1f / 40320) + x2 * Vector512.Create(-1f / 3628800)))));
            // q ∈ {0, …, 4} in the low bits of 2²³ + q.
            var quadrant = (q + Vector512.Create(8388608f)).AsInt32();
            return Rotate(sin.AsInt32(), cos.AsInt32(), quadrant, 30);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static (Vector512<double> Sin, Vector512<double> Cos) SinCosTwoPi(Vector512<double> t)
        {
            var q = Vector512.Floor(t * Vector512.Create(4.0) + Vector512.Create(0.5));
            var x = (t - q * Vector512.Create(0.25)) * Vector512.Create(TwoPi);
            var x2 = x * x;
            // sin x = x + x·x²·Σₖ (−1)ᵏ x²⁽ᵏ⁻¹⁾/(2k+1)!, k = 1…8; cos x = 1 + x²·Σₖ (−1)ᵏ x²⁽ᵏ⁻¹⁾/(2k)!, k = 1…8.
            var sinSeries = Vector512.Create(1.0 / 355687428096000);          // 1/17!
            sinSeries = Vector512.Create(-1.0 / 1307674368000) + x2 * sinSeries;  // −1/15!
            sinSeries = Vector512.Create(1.0 / 6227020800) + x2 * sinSeries;      // 1/13!
            sinSeries = Vector512.Create(-1.0 / 39916800) + x2 * sinSeries;       // −1/11!
            sinSeries = Vector512.Create(1.0 / 362880) + x2 * sinSeries;          // 1/9!
            sinSeries = Vector512.Create(-1.0 / 5040) + x2 * sinSeries;
            sinSeries = Vector512.Create(1.0 / 120) + x2 * sinSeries;
            sinSeries = Vector512.Create(-1.0 / 6) + x2 * sinSeries;
            var sin = x + x * x2 * sinSeries;
            var cosSeries = Vector512.Create(1.0 / 20922789888000);           // 1/16!
            cosSeries = Vector512.Create(-1.0 / 87178291200) + x2 * cosSeries;    // −1/14!
            cosSeries = Vector512.Create(1.0 / 479001600) + x2 * cosSeries;       // 1/12!
            cosSeries = Vector512.Create(-1.0 / 3628800) + x2 * cosSeries;        // −1/10!
            cosSeries = Vector512.Create(1.0 / 40320) + x2 * cosSeries;
            cosSeries = Vector512.Create(-1.0 / 720) + x2 * cosSeries;
            cosSeries = Vector512.Create(1.0 / 24) + x2 * cosSeries;
            cosSeries = Vector512.Create(-0.5) + x2 * cosSeries;
            var cos = Vector512.Create(1.0) + x2 * cosSeries;
            var quadrant = (q + Vector512.Create(4503599627370496.0)).AsInt64();
            return Rotate(sin.AsInt64(), cos.AsInt64(), quadrant, 62);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static (Vector512<float> Sin, Vector512<float> Cos) Rotate(Vector512<int> s, Vector512<int> c, Vector512<int> q, int toSign)
        {
            var one = Vector512.Create(1);
            var swap = Vector512.Equals(q & one, one);
            var sin = Vector512.ConditionalSelect(swap, c, s) ^ ((q & Vector512.Create(2)) << toSign);
            var cos = Vector512.ConditionalSelect(swap, s, c) ^ (((q + one) & Vector512.Create(2)) << toSign);
            return (sin.AsSingle(), cos.AsSingle());
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static (Vector512<double> Sin, Vector512<double> Cos) Rotate(Vector512<long> s, Vector512<long> c, Vector512<long> q, int toSign)
        {
            var one = Vector512.Create(1L);
            var swap = Vector512.Equals(q & one, one);
            var sin = Vector512.ConditionalSelect(swap, c, s) ^ ((q & Vector512.Create(2L)) << toSign);
            var cos = Vector512.ConditionalSelect(swap, s, c) ^ (((q + one) & Vector512.Create(2L)) << toSign);
            return (sin.AsDouble(), cos.AsDouble());
        }

        /// <summary>
        /// Eight Philox blocks at once with AVX-512: block j in 64-bit lane j, whose low half is the 32-bit word (vpmuludq reads only
        /// the low halves, so the high halves may carry garbage until the final narrowing): half the instructions of the AVX2 form.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void PhiloxAvx512(ulong key, ulong firstBlock,
            out Vector256<uint> x0, out Vector256<uint> x1, out Vector256<uint> x2, out Vector256<uint> x3)
        {
            var blocks = Vector512.Create(firstBlock) + Vector512.Create(0UL, 1, 2, 3, 4, 5, 6, 7);
            var k0 = Vector512.Create((ulong)(uint)key);
            var k1 = Vector512.Create(key >> 32);
            var multiplierA = Vector512.Create((ulong)MultiplierA).AsUInt32();
            var multiplierB = Vector512.Create((ulong)MultiplierB).AsUInt32();
            // Round 1 with c₂ = c₃ = 0: (c₁ ⊕ k₀, 0, hi(A·c₀) ⊕ k₁, lo(A·c₀)).
            var productA = Avx512F.Multiply(blocks.AsUInt32(), multiplierA);
            var c0 = (blocks >> 32) ^ k0;
            var c1 = Vector512<ulong>.Zero;
            var c2 = (productA >> 32) ^ k1;
            var c3 = productA;
            for (int round = 1; round < Rounds; round++)
            {
                k0 += Vector512.Create((ulong)WeylA);   // the low halves wrap as 32-bit sums; carries into the high halves are ignored
                k1 += Vector512.Create((ulong)WeylB);
                productA = Avx512F.Multiply(c0.AsUInt32(), multiplierA);
                var productB = Avx512F.Multiply(c2.AsUInt32(), multiplierB);
                var next0 = (productB >> 32) ^ c1 ^ k0;
                var next2 = (productA >> 32) ^ c3 ^ k1;
                c1 = productB;
                c3 = productA;
                c0 = next0;
                c2 = next2;
            }
            x0 = Avx512F.ConvertToVector256UInt32(c0);
            x1 = Avx512F.ConvertToVector256UInt32(c1);
            x2 = Avx512F.ConvertToVector256UInt32(c2);
            x3 = Avx512F.ConvertToVector256UInt32(c3);
        }

        /// <summary>Eight Philox blocks at once: lane j counts block firstBlock + j; 32×32→64 products by vpmuludq on even and odd lanes.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void PhiloxAvx2(ulong key, ulong firstBlock,
            out Vector256<uint> x0, out Vector256<uint> x1, out Vector256<uint> x2, out Vector256<uint> x3)
        {
            var low = Vector256.Create((uint)firstBlock);
            var c0 = low + Vector256.Create(0u, 1, 2, 3, 4, 5, 6, 7);
            // A lane whose low word wrapped carries one into the high word (LessThan gives all ones, i.e. −1, there).
            var c1 = Vector256.Create((uint)(firstBlock >> 32)) - Vector256.LessThan(c0, low);
            var k0 = Vector256.Create((uint)key);
            var k1 = Vector256.Create((uint)(key >> 32));
            var multiplierA = Vector256.Create(MultiplierA);
            var multiplierB = Vector256.Create(MultiplierB);
            // Round 1 with c₂ = c₃ = 0, where B·c₂ = 0: (c₁ ⊕ k₀, 0, hi(A·c₀) ⊕ k₁, lo(A·c₀)).
            MultiplyHighLow(multiplierA, c0, out var firstHigh, out var firstLow);
            var c2 = firstHigh ^ k1;
            var c3 = firstLow;
            c0 = c1 ^ k0;
            c1 = Vector256<uint>.Zero;
            for (int round = 1; round < Rounds; round++)
            {
                k0 += Vector256.Create(WeylA);
                k1 += Vector256.Create(WeylB);
                MultiplyHighLow(multiplierA, c0, out var highA, out var lowA);
                MultiplyHighLow(multiplierB, c2, out var highB, out var lowB);
                var next0 = highB ^ c1 ^ k0;
                var next2 = highA ^ c3 ^ k1;
                c1 = lowB;
                c3 = lowA;
                c0 = next0;
                c2 = next2;
            }
            x0 = c0;
            x1 = c1;
            x2 = c2;
            x3 = c3;
        }

        /// <summary>High and low 32 bits of m·c in each of eight lanes (m a broadcast constant): vpmuludq multiplies the even lanes; the odd ones are shifted down first.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void MultiplyHighLow(Vector256<uint> m, Vector256<uint> c, out Vector256<uint> high, out Vector256<uint> low)
        {
            var even = Avx2.Multiply(m, c).AsUInt32();                                                 // (lo₀, hi₀, lo₂, hi₂, …)
            var odd = Avx2.Multiply(m, Avx2.ShiftRightLogical(c.AsUInt64(), 32).AsUInt32()).AsUInt32(); // (lo₁, hi₁, lo₃, hi₃, …)
            low = Avx2.Blend(even, Avx2.ShiftLeftLogical(odd.AsUInt64(), 32).AsUInt32(), 0b1010_1010);
            high = Avx2.Blend(Avx2.ShiftRightLogical(even.AsUInt64(), 32).AsUInt32(), odd, 0b1010_1010);
        }

        private static void PhiloxScalar(ulong key, ulong firstBlock,
            out Vector256<uint> x0, out Vector256<uint> x1, out Vector256<uint> x2, out Vector256<uint> x3)
        {
            Span<uint> words = stackalloc uint[GroupValues];
            for (int j = 0; j < GroupBlocks; j++)
            {
                ulong block = firstBlock + (ulong)j;
                var (w0, w1, w2, w3) = Philox((uint)block, (uint)(block >> 32), 0, 0, (uint)key, (uint)(key >> 32));
                words[j] = w0;
                words[GroupBlocks + j] = w1;
                words[2 * GroupBlocks + j] = w2;
                words[3 * GroupBlocks + j] = w3;
            }
            x0 = Vector256.Create<uint>(words);
            x1 = Vector256.Create<uint>(words.Slice(GroupBlocks));
            x2 = Vector256.Create<uint>(words.Slice(2 * GroupBlocks));
            x3 = Vector256.Create<uint>(words.Slice(3 * GroupBlocks));
        }

        /// <summary>Stores a(j), b(j), c(j), d(j) for j = 0…7 as 32 consecutive floats (a 4×8 transpose).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StoreInterleaved(Vector256<float> a, Vector256<float> b, Vector256<float> c, Vector256<float> d, ref float destination)
        {
            if (Avx.IsSupported)
            {
                var ab0 = Avx.UnpackLow(a, b);    // a0 b0 a1 b1 | a4 b4 a5 b5
                var ab1 = Avx.UnpackHigh(a, b);   // a2 b2 a3 b3 | a6 b6 a7 b7
                var cd0 = Avx.UnpackLow(c, d);
                var cd1 = Avx.UnpackHigh(c, d);
                var q0 = Avx.UnpackLow(ab0.AsDouble(), cd0.AsDouble()).AsSingle();    // a0 b0 c0 d0 | a4 b4 c4 d4
                var q1 = Avx.UnpackHigh(ab0.AsDouble(), cd0.AsDouble()).AsSingle();   // a1 … d1 | a5 … d5
                var q2 = Avx.UnpackLow(ab1.AsDouble(), cd1.AsDouble()).AsSingle();    // a2 … d2 | a6 … d6
                var q3 = Avx.UnpackHigh(ab1.AsDouble(), cd1.AsDouble()).AsSingle();   // a3 … d3 | a7 … d7
                Avx.Permute2x128(q0, q1, 0x20).StoreUnsafe(ref destination, 0);
                Avx.Permute2x128(q2, q3, 0x20).StoreUnsafe(ref destination, 8);
                Avx.Permute2x128(q0, q1, 0x31).StoreUnsafe(ref destination, 16);
                Avx.Permute2x128(q2, q3, 0x31).StoreUnsafe(ref destination, 24);
                return;
            }
            for (int j = 0; j < GroupBlocks; j++)
            {
                Unsafe.Add(ref destination, 4 * j) = a.GetElement(j);
                Unsafe.Add(ref destination, 4 * j + 1) = b.GetElement(j);
                Unsafe.Add(ref destination, 4 * j + 2) = c.GetElement(j);
                Unsafe.Add(ref destination, 4 * j + 3) = d.GetElement(j);
            }
        }

        /// <summary>Stores a(j), b(j), c(j), d(j) for j = 0…3 as 16 consecutive doubles (a 4×4 transpose).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StoreInterleaved(Vector256<double> a, Vector256<double> b, Vector256<double> c, Vector256<double> d, ref double destination)
        {
            if (Avx.IsSupported)
            {
                var ab0 = Avx.UnpackLow(a, b);    // a0 b0 | a2 b2
                var ab1 = Avx.UnpackHigh(a, b);   // a1 b1 | a3 b3
                var cd0 = Avx.UnpackLow(c, d);    // c0 d0 | c2 d2
                var cd1 = Avx.UnpackHigh(c, d);   // c1 d1 | c3 d3
                Avx.Permute2x128(ab0, cd0, 0x20).StoreUnsafe(ref destination, 0);
                Avx.Permute2x128(ab1, cd1, 0x20).StoreUnsafe(ref destination, 4);
                Avx.Permute2x128(ab0, cd0, 0x31).StoreUnsafe(ref destination, 8);
                Avx.Permute2x128(ab1, cd1, 0x31).StoreUnsafe(ref destination, 12);
                return;
            }
            for (int j = 0; j < 4; j++)
            {
                Unsafe.Add(ref destination, 4 * j) = a.GetElement(j);
                Unsafe.Add(ref destination, 4 * j + 1) = b.GetElement(j);
                Unsafe.Add(ref destination, 4 * j + 2) = c.GetElement(j);
                Unsafe.Add(ref destination, 4 * j + 3) = d.GetElement(j);
            }
        }

        /// <summary>Writes the 32 values of the 8 blocks from a first block: what a fill does per vector step.</summary>
        private interface IGroupWriter<T> where T : unmanaged
        {
            void Write(ulong key, ulong firstBlock, ref T destination);
        }

        private readonly struct UniformSingles : IGroupWriter<float>
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public void Write(ulong key, ulong firstBlock, ref float destination)
            {
                PhiloxGroup(key, firstBlock, PhiloxPath.Fastest, out var x0, out var x1, out var x2, out var x3);
                StoreInterleaved(SinglesFromWords(x0), SinglesFromWords(x1), SinglesFromWords(x2), SinglesFromWords(x3), ref destination);
            }
        }

        private readonly struct UniformDoubles : IGroupWriter<double>
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public void Write(ulong key, ulong firstBlock, ref double destination)
            {
                PhiloxGroup(key, firstBlock, PhiloxPath.Fastest, out var x0, out var x1, out var x2, out var x3);
                StoreInterleaved(DoublesFromWords(x0.GetLower()), DoublesFromWords(x1.GetLower()), DoublesFromWords(x2.GetLower()), DoublesFromWords(x3.GetLower()), ref destination);
                StoreInterleaved(DoublesFromWords(x0.GetUpper()), DoublesFromWords(x1.GetUpper()), DoublesFromWords(x2.GetUpper()), DoublesFromWords(x3.GetUpper()), ref Unsafe.Add(ref destination, 16));
            }
        }

        private readonly struct NormalSingles : IGroupWriter<float>
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public void Write(ulong key, ulong firstBlock, ref float destination)
            {
                PhiloxGroup(key, firstBlock, PhiloxPath.Fastest, out var x0, out var x1, out var x2, out var x3);
                if (Vector512.IsHardwareAccelerated)
                {
                    // Both pairs of every block in one 16-lane pass: (w₀, w₁) in the low half, (w₂, w₃) in the high half.
                    var (cos, sin) = BoxMuller(Vector512.Create(SinglesFromWords(x0), SinglesFromWords(x2)), Vector512.Create(SinglesFromWords(x1), SinglesFromWords(x3)));
                    StoreInterleaved(cos.GetLower(), sin.GetLower(), cos.GetUpper(), sin.GetUpper(), ref destination);
                    return;
                }
                var (a, b) = BoxMuller(SinglesFromWords(x0), SinglesFromWords(x1));
                var (c, d) = BoxMuller(SinglesFromWords(x2), SinglesFromWords(x3));
                StoreInterleaved(a, b, c, d, ref destination);
            }
        }

        private readonly struct NormalDoubles : IGroupWriter<double>
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public void Write(ulong key, ulong firstBlock, ref double destination)
            {
                PhiloxGroup(key, firstBlock, PhiloxPath.Fastest, out var x0, out var x1, out var x2, out var x3);
                if (Vector512.IsHardwareAccelerated)
                {
                    // Each pair of all 8 blocks in one 8-lane double pass.
                    var (cos01, sin01) = BoxMuller(DoublesFromWords(x0), DoublesFromWords(x1));
                    var (cos23, sin23) = BoxMuller(DoublesFromWords(x2), DoublesFromWords(x3));
                    StoreInterleaved(cos01.GetLower(), sin01.GetLower(), cos23.GetLower(), sin23.GetLower(), ref destination);
                    StoreInterleaved(cos01.GetUpper(), sin01.GetUpper(), cos23.GetUpper(), sin23.GetUpper(), ref Unsafe.Add(ref destination, 16));
                    return;
                }
                var (a, b) = BoxMuller(DoublesFromWords(x0.GetLower()), DoublesFromWords(x1.GetLower()));
                var (c, d) = BoxMuller(DoublesFromWords(x2.GetLower()), DoublesFromWords(x3.GetLower()));
                StoreInterleaved(a, b, c, d, ref destination);
                (a, b) = BoxMuller(DoublesFromWords(x0.GetUpper()), DoublesFromWords(x1.GetUpper()));
                (c, d) = BoxMuller(DoublesFromWords(x2.GetUpper()), DoublesFromWords(x3.GetUpper()));
                StoreInterleaved(a, b, c, d, ref Unsafe.Add(ref destination, 16));
            }
        }

        /// <summary>
        /// destination[i] = value offset + i, group by group: whole groups of 32 straight into the span, a partial group at
        /// either end (an offset that is not a multiple of 4, a short tail) through a stack buffer.
        /// </summary>
        private static void Fill<T, TWriter>(Span<T> destination, ulong key, long offset)
            where T : unmanaged
            where TWriter : struct, IGroupWriter<T>
        {
            CheckRange(destination.Length, offset);
            var writer = default(TWriter);
            Span<T> partial = stackalloc T[GroupValues];
            ref T start = ref MemoryMarshal.GetReference(destination);
            int done = 0;
            long index = offset;
            while (done < destination.Length)
            {
                ulong block = (ulong)index >> 2;
                int skip = (int)(index & 3);
                int remaining = destination.Length - done;
                if (skip == 0 && remaining >= GroupValues)
                {
                    writer.Write(key, block, ref Unsafe.Add(ref start, done));
                    done += GroupValues;
                    index += GroupValues;
                }
                else
                {
                    writer.Write(key, block, ref MemoryMarshal.GetReference(partial));
                    int count = System.Math.Min(GroupValues - skip, remaining);
                    partial.Slice(skip, count).CopyTo(destination.Slice(done));
                    done += count;
                    index += count;
                }
            }
        }

        private static void CheckRange(long length, long offset)
        {
            if (offset < 0) throw new ArgumentOutOfRangeException(nameof(offset), offset, "CounterRandom: the first value index must be ≥ 0.");
            if (length > 0 && length - 1 > long.MaxValue - offset)
                throw new ArgumentOutOfRangeException(nameof(offset), offset, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"CounterRandom: values {offset} … {offset} + {length} − 1 run past the last index, {long.MaxValue}."));
        }

        private static void FillTensor(Tensor t, ulong key, long offset, bool normal)
        {
            ArgumentNullException.ThrowIfNull(t);
            string method = normal ? nameof(FillNormal) : nameof(FillUniform);
            if (t.device_type != DeviceType.CPU)
                throw new ArgumentException($"CounterRandom.{method}: tensor t must be on the CPU; it is on {t.device}.", nameof(t));
            if (t.dtype != ScalarType.Float32 && t.dtype != ScalarType.Float64)
                throw new ArgumentException($"CounterRandom.{method}: tensor t must be float32 or float64; it is {t.dtype}.", nameof(t));
            if (!t.is_contiguous())
                throw new ArgumentException($"CounterRandom.{method}: tensor t must be contiguous (call .contiguous() and fill that).", nameof(t));
            if (t.numel() > int.MaxValue)
                throw new ArgumentException($"CounterRandom.{method}: tensor t has {t.numel()} elements; at most {int.MaxValue} are supported.", nameof(t));
            int n = (int)t.numel();
            CheckRange(n, offset);
            if (t.dtype == ScalarType.Float32)
            {
                FusedKernels.For(n, WorkPerValue, (first, end) =>
                {
                    var span = FusedKernels.Span<float>(t).Slice(first, end - first);
                    if (normal) FillNormal(span, key, offset + first);
                    else FillUniform(span, key, offset + first);
                });
            }
            else
            {
                FusedKernels.For(n, WorkPerValue, (first, end) =>
                {
                    var span = FusedKernels.Span<double>(t).Slice(first, end - first);
                    if (normal) FillNormal(span, key, offset + first);
                    else FillUniform(span, key, offset + first);
                });
            }
        }
    }
}
