using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.GeneratedCode;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Tests
{
    /// <summary>
    /// <see cref="CounterRandom"/>: Philox4x32-10 against Random123's known answers, the vector path against the scalar one bit for
    /// bit, and the uniforms and normals against their distributions with tolerances of a few standard errors of the sample size.
    /// </summary>
    public class CounterRandomTests
    {
        private const ulong Key = 0x0123_4567_89AB_CDEF;
        private const int Samples = 1 << 20;

        // Random123's tests/kat_vectors for philox4x32_10 (counter words, key words → words), as also used by TensorFlow's
        // Philox tests: the zero vector, the all-ones vector and the digits of π.
        public static IEnumerable<object[]> KnownAnswers() => new[]
        {
            new object[] { new uint[] { 0, 0, 0, 0 }, new uint[] { 0, 0 }, new uint[] { 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8 } },
            new object[] { new uint[] { 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff }, new uint[] { 0xffffffff, 0xffffffff }, new uint[] { 0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd } },
            new object[] { new uint[] { 0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344 }, new uint[] { 0xa4093822, 0x299f31d0 }, new uint[] { 0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1 } },
        };

        [Theory]
        [MemberData(nameof(KnownAnswers))]
        public void Philox_matches_Random123_known_answers(uint[] counter, uint[] key, uint[] expected)
        {
            var (x0, x1, x2, x3) = CounterRandom.Philox(counter[0], counter[1], counter[2], counter[3], key[0], key[1]);
            Assert.Equal(expected, new[] { x0, x1, x2, x3 });
        }

        [Theory]
        [InlineData(0x0123_4567_89AB_CDEFUL, 0UL)]
        [InlineData(0xFFFF_FFFF_FFFF_FFFFUL, 5UL)]
        [InlineData(42UL, 0xFFFF_FFFDUL)]                  // the low counter word wraps inside the group: the carry reaches c1
        [InlineData(7UL, 0x1_FFFF_FFF9UL)]
        [InlineData(0x9E37_79B9_7F4A_7C15UL, (1UL << 61) - 8)]   // the last group a long index reaches
        public void Vectorised_Philox_gives_the_scalar_words(ulong key, ulong firstBlock)
        {
            CounterRandom.PhiloxGroup(key, firstBlock, CounterRandom.PhiloxPath.Scalar, out var s0, out var s1, out var s2, out var s3);
            for (int j = 0; j < 8; j++)
            {
                ulong block = firstBlock + (ulong)j;
                var (x0, x1, x2, x3) = CounterRandom.Philox((uint)block, (uint)(block >> 32), 0, 0, (uint)key, (uint)(key >> 32));
                Assert.Equal(new[] { x0, x1, x2, x3 }, new[] { s0[j], s1[j], s2[j], s3[j] });
            }
            var paths = new List<CounterRandom.PhiloxPath> { CounterRandom.PhiloxPath.Fastest };
            if (System.Runtime.Intrinsics.X86.Avx2.IsSupported) paths.Add(CounterRandom.PhiloxPath.Avx2);
            if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported) paths.Add(CounterRandom.PhiloxPath.Avx512);
            foreach (var path in paths)
            {
                CounterRandom.PhiloxGroup(key, firstBlock, path, out var v0, out var v1, out var v2, out var v3);
                Assert.Equal(s0, v0);
                Assert.Equal(s1, v1);
                Assert.Equal(s2, v2);
                Assert.Equal(s3, v3);
            }
        }

        [Fact]
        public void Uniforms_are_the_Philox_words_of_their_index()
        {
            // Value i is word i mod 4 of the block with counter (i/4 low, i/4 high, 0, 0): (w + ½)·2⁻³² in double,
            // ((w ≫ 9) + ½)·2⁻²³ in float. The range crosses block 2³², where the counter's high word first becomes 1.
            long offset = (1L << 34) - 37;
            var doubles = new double[101];
            var singles = new float[101];
            CounterRandom.FillUniform(doubles, Key, offset);
            CounterRandom.FillUniform(singles, Key, offset);
            for (int i = 0; i < doubles.Length; i++)
            {
                long index = offset + i;
                ulong block = (ulong)index >> 2;
                var (x0, x1, x2, x3) = CounterRandom.Philox((uint)block, (uint)(block >> 32), 0, 0, unchecked((uint)Key), (uint)(Key >> 32));
                uint w = new[] { x0, x1, x2, x3 }[index & 3];
                Assert.Equal((double)w, doubles[i] * 4294967296.0 - 0.5);
                Assert.Equal((double)(w >> 9), singles[i] * 8388608.0 - 0.5);
            }
        }

        [Fact]
        public void Normals_are_Box_Muller_of_their_words_to_a_few_ulp()
        {
            // Independent truth: Math.Log and Math.Sqrt, and CosPi/SinPi (no rounding of 2π·u₂), in double on the same Philox words.
            const int n = 1 << 16;
            var singles = new float[n];
            var doubles = new double[n];
            CounterRandom.FillNormal(singles, Key, 0);
            CounterRandom.FillNormal(doubles, Key, 0);
            double worstSingle = 0, worstDouble = 0;
            for (int i = 0; i < n; i++)
            {
                var (x0, x1, x2, x3) = CounterRandom.Philox((uint)(i >> 2), 0, 0, 0, unchecked((uint)Key), (uint)(Key >> 32));
                var (w1, w2) = (i & 2) == 0 ? (x0, x1) : (x2, x3);
                double Reference(double u1, double u2) => System.Math.Sqrt(-2 * System.Math.Log(u1)) * ((i & 1) == 0 ? double.CosPi(2 * u2) : double.SinPi(2 * u2));
                double single = Reference(((w1 >> 9) + 0.5) / 8388608, ((w2 >> 9) + 0.5) / 8388608);
                double dbl = Reference((w1 + 0.5) / 4294967296.0, (w2 + 0.5) / 4294967296.0);
                worstSingle = System.Math.Max(worstSingle, System.Math.Abs(singles[i] - single) / (1 + System.Math.Abs(single)));
                worstDouble = System.Math.Max(worstDouble, System.Math.Abs(doubles[i] - dbl) / (1 + System.Math.Abs(dbl)));
            }
            Assert.True(worstSingle < 4 * 6e-8, FormattableString.Invariant($"float normals: worst error {worstSingle:G3} relative to 1 + |z|"));
            Assert.True(worstDouble < 8 * 1.1e-16, FormattableString.Invariant($"double normals: worst error {worstDouble:G3} relative to 1 + |z|"));
        }

        /// <summary>Value offset + i, whichever path computed it: scalar calls, one fill, and a slice of a longer fill (400 random cases, fixed seed).</summary>
        [Fact]
        public void Every_path_gives_the_same_bits()
        {
            var random = new Random(20261125);
            for (int trial = 0; trial < 400; trial++)
            {
                ulong key = (ulong)random.NextInt64() ^ ((ulong)random.Next(2) << 63);
                long offset = (trial % 4) switch
                {
                    0 => random.NextInt64(0, 64),
                    1 => random.NextInt64(0, 1L << 40),
                    2 => random.NextInt64((1L << 34) - 64, (1L << 34) + 64),   // block 2³², where the counter's high word turns 1
                    _ => random.NextInt64(long.MaxValue - 200, long.MaxValue - 80),
                };
                int length = random.Next(0, 81), margin = random.Next(0, 41);
                long before = System.Math.Min(margin, offset);
                long after = System.Math.Min(margin, long.MaxValue - offset - length + 1);
                var singles = new float[length];
                var doubles = new double[length];
                var longSingles = new float[before + length + after];
                var longDoubles = new double[before + length + after];

                CounterRandom.FillNormal(singles, key, offset);
                CounterRandom.FillNormal(doubles, key, offset);
                CounterRandom.FillNormal(longSingles, key, offset - before);
                CounterRandom.FillNormal(longDoubles, key, offset - before);
                for (int i = 0; i < length; i++)
                {
                    int expectedSingle = BitConverter.SingleToInt32Bits(CounterRandom.NormalSingle(key, offset + i));
                    long expectedDouble = BitConverter.DoubleToInt64Bits(CounterRandom.Normal(key, offset + i));
                    Assert.Equal(expectedSingle, BitConverter.SingleToInt32Bits(singles[i]));
                    Assert.Equal(expectedSingle, BitConverter.SingleToInt32Bits(longSingles[before + i]));
                    Assert.Equal(expectedDouble, BitConverter.DoubleToInt64Bits(doubles[i]));
                    Assert.Equal(expectedDouble, BitConverter.DoubleToInt64Bits(longDoubles[before + i]));
                }

                CounterRandom.FillUniform(singles, key, offset);
                CounterRandom.FillUniform(doubles, key, offset);
                CounterRandom.FillUniform(longSingles, key, offset - before);
                CounterRandom.FillUniform(longDoubles, key, offset - before);
                for (int i = 0; i < length; i++)
                {
                    Assert.Equal(CounterRandom.UniformSingle(key, offset + i), singles[i]);
                    Assert.Equal(CounterRandom.UniformSingle(key, offset + i), longSingles[before + i]);
                    Assert.Equal(CounterRandom.Uniform(key, offset + i), doubles[i]);
                    Assert.Equal(CounterRandom.Uniform(key, offset + i), longDoubles[before + i]);
                }
            }
        }

        [Fact]
        public void A_fill_in_chunks_equals_one_fill()
        {
            var whole = new float[10_000];
            CounterRandom.FillNormal(whole, Key, 3);
            var pieces = new float[whole.Length];
            int start = 0;
            foreach (int size in new[] { 1, 2, 3, 31, 32, 33, 5, 1000, 63, 64, 65 })
            {
                CounterRandom.FillNormal(pieces.AsSpan(start, size), Key, 3 + start);
                start += size;
            }
            CounterRandom.FillNormal(pieces.AsSpan(start), Key, 3 + start);
            Assert.Equal(whole, pieces);
            var again = new float[whole.Length];
            CounterRandom.FillNormal(again, Key, 3);
            Assert.Equal(whole, again);
        }

        [Theory]
        [InlineData(ScalarType.Float32)]
        [InlineData(ScalarType.Float64)]
        public void A_parallel_tensor_fill_equals_the_span_fill(ScalarType dtype)
        {
            const int n = 300_001;   // several chunks of FusedKernels.For, at unaligned boundaries
            using var t = empty(new long[] { n }, dtype: dtype);
            foreach (bool normal in new[] { true, false })
            {
                if (normal) CounterRandom.FillNormal(t, Key, 11);
                else CounterRandom.FillUniform(t, Key, 11);
                if (dtype == ScalarType.Float32)
                {
                    var expected = new float[n];
                    if (normal) CounterRandom.FillNormal(expected, Key, 11);
                    else CounterRandom.FillUniform(expected, Key, 11);
                    Assert.True(expected.AsSpan().SequenceEqual(t.data<float>().ToArray()));
                }
                else
                {
                    var expected = new double[n];
                    if (normal) CounterRandom.FillNormal(expected, Key, 11);
                    else CounterRandom.FillUniform(expected, Key, 11);
                    Assert.True(expected.AsSpan().SequenceEqual(t.data<double>().ToArray()));
                }
            }
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void Uniforms_are_uniform_on_the_open_unit_interval(bool single)
        {
            var u = Draw(single, normal: false, Key, Samples);
            int n = u.Length;
            Assert.True(u.Min() > 0 && u.Max() < 1, $"range [{u.Min()}, {u.Max()}]");
            var (mean, variance, _, _) = Moments(u);
            AssertWithin(mean, 0.5, System.Math.Sqrt(1.0 / 12 / n), "mean");
            AssertWithin(variance, 1.0 / 12, System.Math.Sqrt((1.0 / 80 - 1.0 / 144) / n), "variance");
            AssertWithin(LagCorrelation(u, 1), 0, 1 / System.Math.Sqrt(n), "lag-1 correlation");
            AssertWithin(LagCorrelation(u, 4), 0, 1 / System.Math.Sqrt(n), "lag-4 correlation (same word of the next block)");
            Array.Sort(u);
            double ks = KolmogorovSmirnov(u, u);   // F(u) = u
            Assert.True(ks * System.Math.Sqrt(n) < 1.95, $"KS statistic √n·D = {ks * System.Math.Sqrt(n):F3} ≥ 1.95 (p < 0.001)");
            if (!single)
            {
                // The lowest bits of the words (which the float uniforms drop): half of them odd.
                double odd = u.Count(v => ((long)(v * 4294967296.0 - 0.5) & 1) == 1) / (double)n;
                AssertWithin(odd, 0.5, 0.5 / System.Math.Sqrt(n), "fraction of odd words");
            }
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void Normals_are_standard_normal(bool single)
        {
            var z = Draw(single, normal: true, Key, Samples);
            int n = z.Length;
            var (mean, variance, skew, kurtosis) = Moments(z);
            AssertWithin(mean, 0, 1 / System.Math.Sqrt(n), "mean");
            AssertWithin(variance, 1, System.Math.Sqrt(2.0 / n), "variance");
            AssertWithin(skew, 0, System.Math.Sqrt(6.0 / n), "skewness");
            AssertWithin(kurtosis, 0, System.Math.Sqrt(24.0 / n), "excess kurtosis");
            AssertWithin(LagCorrelation(z, 1), 0, 1 / System.Math.Sqrt(n), "lag-1 correlation");
            // The two values of a Box–Muller pair share the radius: their squares are independent only if θ is uniform.
            var firsts = Enumerable.Range(0, n / 2).Select(k => z[2 * k] * z[2 * k]).ToArray();
            var seconds = Enumerable.Range(0, n / 2).Select(k => z[2 * k + 1] * z[2 * k + 1]).ToArray();
            AssertWithin(Correlation(firsts, seconds), 0, 1 / System.Math.Sqrt(n / 2), "correlation of a pair's squares");
            double p3 = 2 * 0.0013498980316301;   // P(|Z| > 3)
            AssertWithin(z.Count(v => System.Math.Abs(v) > 3) / (double)n, p3, System.Math.Sqrt(p3 * (1 - p3) / n), "P(|z| > 3)");

            Array.Sort(z);
            using var sorted = tensor(z);
            using var phi = special.ndtr(sorted);
            double ks = KolmogorovSmirnov(z, phi.data<double>().ToArray());
            Assert.True(ks * System.Math.Sqrt(n) < 1.95, $"KS statistic √n·D = {ks * System.Math.Sqrt(n):F3} ≥ 1.95 (p < 0.001)");
        }

        [Fact]
        public void Different_keys_and_sub_keys_give_uncorrelated_streams()
        {
            const int n = 1 << 18;
            var streams = new[] { Key, Key + 1, Key ^ (1UL << 63), CounterRandom.SubKey(Key, 0), CounterRandom.SubKey(Key, 1), CounterRandom.SubKey(Key + 1, 0) };
            var draws = streams.Select(k => Draw(single: false, normal: true, k, n)).ToArray();
            for (int a = 0; a < draws.Length; a++)
                for (int b = a + 1; b < draws.Length; b++)
                    AssertWithin(Correlation(draws[a], draws[b]), 0, 1 / System.Math.Sqrt(n), $"correlation of streams {a} and {b}");

            var subKeys = Enumerable.Range(0, 100_000).Select(s => CounterRandom.SubKey(Key, s)).ToHashSet();
            Assert.Equal(100_000, subKeys.Count);
            Assert.DoesNotContain(Key, subKeys);
            Assert.Equal(CounterRandom.SubKey(Key, 17), CounterRandom.SubKey(Key, 17));
            Assert.NotEqual(CounterRandom.SubKey(Key, 17), CounterRandom.SubKey(Key + 1, 17));
            Assert.NotEqual(CounterRandom.SubKey(Key, 17), CounterRandom.SubKey(Key, 17 + (1L << 32)));
        }

        [Fact]
        public void A_key_from_a_generator_follows_its_seed()
        {
            using var first = new Generator(5);
            using var same = new Generator(5);
            using var other = new Generator(6);
            ulong a = CounterRandom.KeyFrom(first);
            Assert.Equal(a, CounterRandom.KeyFrom(same));
            Assert.NotEqual(a, CounterRandom.KeyFrom(other));
            Assert.NotEqual(a, CounterRandom.KeyFrom(first));   // the generator moved on
            Assert.True(a >> 32 != 0, "the key's high word is drawn too");
        }

        [Fact]
        public void Bad_arguments_are_refused_by_name()
        {
            Assert.Equal("index", Assert.Throws<ArgumentOutOfRangeException>(() => CounterRandom.UniformSingle(Key, -1)).ParamName);
            Assert.Equal("index", Assert.Throws<ArgumentOutOfRangeException>(() => CounterRandom.Normal(Key, -4)).ParamName);
            Assert.Equal("offset", Assert.Throws<ArgumentOutOfRangeException>(() => CounterRandom.FillNormal(new float[3], Key, -1)).ParamName);
            Assert.Equal("offset", Assert.Throws<ArgumentOutOfRangeException>(() => CounterRandom.FillUniform(new double[10], Key, long.MaxValue - 5)).ParamName);
            CounterRandom.FillUniform(new double[6], Key, long.MaxValue - 5);   // the last index itself is fine

            using var integers = zeros(10, dtype: ScalarType.Int64);
            var e = Assert.Throws<ArgumentException>(() => CounterRandom.FillNormal(integers, Key, 0));
            Assert.Equal("t", e.ParamName);
            Assert.Contains("float32 or float64", e.Message);
            using var matrix = zeros(4, 3);
            using var transposed = matrix.t();
            e = Assert.Throws<ArgumentException>(() => CounterRandom.FillUniform(transposed, Key, 0));
            Assert.Equal("t", e.ParamName);
            Assert.Contains("contiguous", e.Message);
            Assert.Equal("t", Assert.Throws<ArgumentNullException>(() => CounterRandom.FillNormal((Tensor)null!, Key, 0)).ParamName);
            Assert.Equal("generator", Assert.Throws<ArgumentNullException>(() => CounterRandom.KeyFrom(null!)).ParamName);
        }

        private static double[] Draw(bool single, bool normal, ulong key, int n)
        {
            if (!single)
            {
                var d = new double[n];
                if (normal) CounterRandom.FillNormal(d, key, 0);
                else CounterRandom.FillUniform(d, key, 0);
                return d;
            }
            var f = new float[n];
            if (normal) CounterRandom.FillNormal(f, key, 0);
            else CounterRandom.FillUniform(f, key, 0);
            return Array.ConvertAll(f, v => (double)v);
        }

        private static void AssertWithin(double value, double expected, double standardError, string what) =>
            Assert.True(System.Math.Abs(value - expected) < 4 * standardError,
                FormattableString.Invariant($"{what}: {value:G6}, expected {expected:G6} ± 4 × {standardError:G3}"));

        private static (double Mean, double Variance, double Skewness, double ExcessKurtosis) Moments(double[] x)
        {
            double mean = x.Average();
            double m2 = 0, m3 = 0, m4 = 0;
            foreach (var v in x)
            {
                double d = v - mean, d2 = d * d;
                m2 += d2;
                m3 += d2 * d;
                m4 += d2 * d2;
            }
            m2 /= x.Length;
            m3 /= x.Length;
            m4 /= x.Length;
            return (mean, m2, m3 / System.Math.Pow(m2, 1.5), m4 / (m2 * m2) - 3);
        }

        private static double Correlation(double[] a, double[] b)
        {
            double ma = a.Average(), mb = b.Average(), sab = 0, saa = 0, sbb = 0;
            for (int i = 0; i < a.Length; i++)
            {
                sab += (a[i] - ma) * (b[i] - mb);
                saa += (a[i] - ma) * (a[i] - ma);
                sbb += (b[i] - mb) * (b[i] - mb);
            }
            return sab / System.Math.Sqrt(saa * sbb);
        }

        private static double LagCorrelation(double[] x, int lag) => Correlation(x[..^lag], x[lag..]);

        /// <summary>sup |F_n − F| for sorted samples whose true CDF values are <paramref name="cdf"/>.</summary>
        private static double KolmogorovSmirnov(double[] sorted, double[] cdf)
        {
            double d = 0;
            int n = sorted.Length;
            for (int i = 0; i < n; i++)
                d = System.Math.Max(d, System.Math.Max((i + 1.0) / n - cdf[i], cdf[i] - (double)i / n));
            return d;
        }
    }
}
