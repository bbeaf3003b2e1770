using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Threading.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.GeneratedCode
{
    /// <summary>
    /// What the fused CPU kernels that Dsl generates call at run time: the dispatch test, spans over the memory of contiguous
    /// CPU tensors, parameters read into managed arrays once per call, and the chunked parallel loop over the samples.
    /// Generated code calls these; a person rarely needs to.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Advanced)]
    public static class FusedKernels
    {
        /// <summary>
        /// Samples per chunk of the parallel loop below which the loop runs on the calling thread: a chunk must carry enough work to
        /// pay for handing it to the thread pool (a few microseconds).
        /// </summary>
        public const int MinChunkWork = 1 << 14;

        /// <summary>
        /// The largest parameter contraction (rows × columns of a matrix that multiplies a per-sample vector) that
        /// <see cref="KernelPath.Auto"/> fuses: above it a BLAS matrix product over the batch beats per-sample scalar loops.
        /// </summary>
        public const long MaxAutoContraction = 1024;

        [ThreadStatic] private static int calls;

        /// <summary>How many times a generated fused kernel has been called on this thread (tests read it to see which path ran).</summary>
        public static int Calls => calls;

        /// <summary>Counts one call of a fused kernel (on the calling thread).</summary>
        public static void Count() => calls++;

        /// <summary>
        /// True when a fused kernel can read <paramref name="x"/> directly: a float32 or float64 tensor on the CPU, contiguous (unless
        /// <paramref name="path"/> is <see cref="KernelPath.Fused"/>, which copies it), whose bytes a span can address.
        /// </summary>
        public static bool Accepts(KernelPath path, Tensor x)
        {
            if (path == KernelPath.TorchOps || path == KernelPath.TorchScript || x.device_type != DeviceType.CPU) return false;
            if (x.dtype != ScalarType.Float32 && x.dtype != ScalarType.Float64) return false;
            if (x.numel() * x.ElementSize > int.MaxValue) return false;
            return path == KernelPath.Fused || x.is_contiguous();
        }

        /// <summary>As <see cref="Accepts(KernelPath, Tensor)"/> for x and its per-sample noise levels σ.</summary>
        public static bool Accepts(KernelPath path, Tensor x, Tensor sigma) => Accepts(path, x) && Accepts(path, sigma);

        /// <summary>True when <see cref="KernelPath.Auto"/> should fuse an expression whose largest per-sample parameter contraction is <paramref name="contraction"/>.</summary>
        public static bool Small(KernelPath path, long contraction) => path == KernelPath.Fused || contraction <= MaxAutoContraction;

        [ThreadStatic] private static double[]?[]? scratch;

        /// <summary>
        /// Scratch array number <paramref name="slot"/> of the calling thread, at least <paramref name="length"/> long: the per-sample
        /// buffers of a kernel's chunk, reused across calls (a chunk runs to completion on one thread and calls no other kernel).
        /// </summary>
        public static double[] Scratch(int slot, int length) => Slot(ref scratch, slot, length);

        /// <summary>Array number <paramref name="slot"/> of a per-thread set, at least <paramref name="length"/> long (the set and the array grow on demand).</summary>
        private static U[] Slot<U>(ref U[]?[]? slots, int slot, int length)
        {
            if (slots == null || slots.Length <= slot) Array.Resize(ref slots, System.Math.Max(slot + 1, 8));
            var buffer = slots[slot];
            if (buffer == null || buffer.Length < length) slots[slot] = buffer = new U[length];
            return buffer;
        }

        /// <summary>The elements of a contiguous CPU tensor of element type <typeparamref name="T"/> (float or double) as a span over its memory.</summary>
        public static Span<T> Span<T>(Tensor t) where T : unmanaged => MemoryMarshal.Cast<byte, T>(t.bytes);

        /// <summary>The values of a (small) parameter as doubles, row-major; one native copy per call of a kernel.</summary>
        public static double[] Read(Tensor p)
        {
            if (p.device_type == DeviceType.CPU && p.is_contiguous())
            {
                if (p.dtype == ScalarType.Float64) return MemoryMarshal.Cast<byte, double>(p.bytes).ToArray();
                if (p.dtype == ScalarType.Float32)
                {
                    var source = MemoryMarshal.Cast<byte, float>(p.bytes);
                    var result = new double[source.Length];
                    for (int i = 0; i < result.Length; i++) result[i] = source[i];
                    return result;
                }
            }
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            return p.detach().to_type(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();
        }

        /// <summary>The value of a scalar parameter as a double.</summary>
        public static double ReadScalar(Tensor p) => Read(p)[0];

        /// <summary>
        /// Runs <paramref name="body"/>(start, end) over [0, <paramref name="n"/>) in chunks, in parallel when there is enough work
        /// (<paramref name="workPerSample"/> is a rough count of operations per sample).
        /// </summary>
        public static void For(int n, long workPerSample, Action<int, int> body)
        {
            long total = (long)n * System.Math.Max(1, workPerSample);
            int threads = Environment.ProcessorCount;
            int chunks = (int)System.Math.Min(System.Math.Min(threads * 4L, total / MinChunkWork), n);
            if (chunks <= 1)
            {
                body(0, n);
                return;
            }
            Parallel.For(0, chunks, c => body((int)((long)n * c / chunks), (int)((long)n * (c + 1) / chunks)));
        }

        /// <summary>log Σ exp over <paramref name="values"/>[<paramref name="offset"/> + k·<paramref name="stride"/>], k &lt; <paramref name="count"/>, stable (max subtracted); −∞ for an empty or all −∞ row.</summary>
        public static double LogSumExp(double[] values, int offset, int count, int stride)
        {
            double max = double.NegativeInfinity;
            for (int k = 0; k < count; k++) max = System.Math.Max(max, values[offset + k * stride]);
            if (double.IsNegativeInfinity(max)) return max;
            if (double.IsPositiveInfinity(max)) return max;
            double sum = 0;
            for (int k = 0; k < count; k++) sum += System.Math.Exp(values[offset + k * stride] - max);
            return max + System.Math.Log(sum);
        }

        /// <summary>
        /// softplus(x) = log(1 + eˣ) = max(x, 0) + log1p(e^−|x|), the op table's one definition (libtorch's logaddexp(x, 0) on the
        /// torch paths): no threshold, no overflow, full precision for x ≪ 0.
        /// </summary>
        public static double Softplus(double x) => System.Math.Max(x, 0) + Log1p(System.Math.Exp(-System.Math.Abs(x)));

        /// <summary>
        /// log(1 + x), accurate for tiny x: with u = 1 + x rounded, log(u)·x/(u − 1) cancels the rounding of u (Goldberg's
        /// Theorem 4; .NET's double.LogP1 is log(x + 1), which loses x below 1e-16).
        /// </summary>
        public static double Log1p(double x)
        {
            double u = 1 + x;
            if (u == 1) return x;
            if (double.IsPositiveInfinity(u)) return u;
            return System.Math.Log(u) * x / (u - 1);
        }

        /// <summary>eˣ − 1, accurate for tiny x (the op table's definition, shared with the generator's folding).</summary>
        public static double Expm1(double x) => SpecialFunctions.Expm1(x);

        /// <summary>log σ(x) = min(x, 0) − log1p(e^−|x|), libtorch's log_sigmoid formula.</summary>
        public static double LogSigmoid(double x) => SpecialFunctions.LogSigmoid(x);

        /// <summary>erf x (a positive-term series below |x| = 5, 1 − erfc's asymptotic series above).</summary>
        public static double Erf(double x) => SpecialFunctions.Erf(x);

        /// <summary>log |Γ(x)|, relatively accurate next to its zeros 1 and 2.</summary>
        public static double Lgamma(double x) => SpecialFunctions.Lgamma(x);

        /// <summary>ψ⁽ⁿ⁾(x), the n-th derivative of digamma (n = 0: digamma; n = 1: trigamma, ATen's algorithm; n ≥ 2: through Hurwitz ζ).</summary>
        public static double Polygamma(double x, double n) => SpecialFunctions.Polygamma(n, x);

        /// <summary>max(x, 0) as torch.relu: NaN stays NaN.</summary>
        public static double Relu(double x) => x > 0 || double.IsNaN(x) ? x : 0.0;

        /// <summary>x².</summary>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public static double Square(double x) => x * x;

        /// <summary>sign x as torch.sign: −1, 0 or +1, NaN for NaN.</summary>
        public static double Sign(double x) => double.IsNaN(x) ? x : System.Math.Sign(x);

        /// <summary>1/(1 + e⁻ˣ).</summary>
        public static double Sigmoid(double x) => 1 / (1 + System.Math.Exp(-x));

        /// <summary>Round half to even, as torch.round.</summary>
        public static double Round(double x) => System.Math.Round(x, MidpointRounding.ToEven);

        // ------------------------------------------------------------------ noise drawn inside a step kernel

        /// <summary>Samples per block of a fused step kernel that draws its own noise: the block's normals fit in the L1/L2 cache.</summary>
        public const int NoiseBlock = 1024;

        [ThreadStatic] private static float[]? singleNormals;
        [ThreadStatic] private static double[]? doubleNormals;

        /// <summary>
        /// Elements <paramref name="first"/> … <paramref name="first"/> + <paramref name="length"/> − 1 of the noise z of
        /// <paramref name="noise"/> in a buffer of the calling thread (valid until its next call): the block of a step kernel.
        /// </summary>
        public static Span<T> Normals<T>(CounterNoise noise, long first, int length) where T : unmanaged
        {
            if (typeof(T) == typeof(float))
            {
                var span = Buffer(ref singleNormals, length);
                CounterRandom.FillNormal(span, noise.Key, noise.Offset + first);
                return MemoryMarshal.Cast<float, T>(span);
            }
            if (typeof(T) == typeof(double))
            {
                var span = Buffer(ref doubleNormals, length);
                CounterRandom.FillNormal(span, noise.Key, noise.Offset + first);
                return MemoryMarshal.Cast<double, T>(span);
            }
            throw new NotSupportedException("FusedKernels.Normals: float or double, not " + typeof(T).Name + ".");
        }

        [ThreadStatic] private static float[]? singleZeros;
        [ThreadStatic] private static double[]? doubleZeros;

        /// <summary>
        /// <paramref name="length"/> zeros in a buffer of the calling thread: what a step kernel with b = 0 reads in place of
        /// <see cref="Normals"/> (a noise-free step draws nothing; the kernels only read the block, so it stays zero).
        /// </summary>
        public static Span<T> Zeros<T>(int length) where T : unmanaged
        {
            if (typeof(T) == typeof(float)) return MemoryMarshal.Cast<float, T>(Buffer(ref singleZeros, length));
            if (typeof(T) == typeof(double)) return MemoryMarshal.Cast<double, T>(Buffer(ref doubleZeros, length));
            throw new NotSupportedException("FusedKernels.Zeros: float or double, not " + typeof(T).Name + ".");
        }

        /// <summary>The first <paramref name="length"/> elements of a per-thread buffer, grown when it is too short.</summary>
        private static Span<U> Buffer<U>(ref U[]? buffer, int length)
        {
            if (buffer == null || buffer.Length < length) buffer = new U[System.Math.Max(length, NoiseBlock * 4)];
            return buffer.AsSpan(0, length);
        }

        /// <summary>
        /// <paramref name="t"/> itself when it is contiguous (no new handle: a kernel called every step of a solver then creates no
        /// tensor), else a contiguous copy, which the caller's dispose scope owns.
        /// </summary>
        public static Tensor Contiguous(Tensor t) => t.is_contiguous() ? t : t.contiguous();

        /// <summary>
        /// <paramref name="output"/> when given (checked: contiguous, on the CPU, x's shape and dtype, not x itself), else a fresh
        /// tensor like x: where a step kernel writes the next state (x is the contiguous input the kernel reads).
        /// </summary>
        public static Tensor StepOutput(Tensor? output, Tensor x, string model, string method)
        {
            if (output is null) return torch.empty(x.shape, x.dtype);
            if (output.device_type != DeviceType.CPU || output.dtype != x.dtype || !output.is_contiguous() || !output.shape.AsSpan().SequenceEqual(x.shape))
                throw new ArgumentException(model + "." + method + ": output must be a contiguous CPU tensor of x's shape [" + string.Join(", ", x.shape) + "] and dtype " + x.dtype
                    + "; got [" + string.Join(", ", output.shape) + "] " + output.dtype + " on " + output.device_type + (output.is_contiguous() ? "" : ", not contiguous") + ".", nameof(output));
            if (output.Handle == x.Handle || (x.device_type == DeviceType.CPU && x.is_contiguous() && output.bytes.Overlaps(x.bytes)))
                throw new ArgumentException(model + "." + method + ": output must not be x itself (the step reads x while it writes).", nameof(output));
            return output;
        }

        // ------------------------------------------------------------------ the vector body: Lanes samples per iteration

        [ThreadStatic] private static Vector256<double>[]?[]? vectorScratch;

        /// <summary>
        /// As <see cref="Scratch"/> for the vector body of a kernel: per-sample buffers whose elements hold one value of each of
        /// 4 consecutive samples.
        /// </summary>
        public static Vector256<double>[] VectorScratch(int slot, int length) => Slot(ref vectorScratch, slot, length);

        /// <summary>
        /// Elements <paramref name="offset"/> + l·<paramref name="stride"/>, l = 0…3, of <paramref name="source"/> as doubles: one
        /// element of 4 consecutive samples (the stride is a sample's length). The caller guarantees the indices are in range.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<double> Gather<T>(Span<T> source, int offset, int stride) where T : unmanaged, IFloatingPointIeee754<T>
        {
            ref T first = ref Unsafe.Add(ref MemoryMarshal.GetReference(source), offset);
            if (stride == 1)
            {
                if (typeof(T) == typeof(double)) return Vector256.LoadUnsafe(ref Unsafe.As<T, double>(ref first));
                if (typeof(T) == typeof(float)) return Vector256.WidenLower(Vector128.LoadUnsafe(ref Unsafe.As<T, float>(ref first)).ToVector256Unsafe());
            }
            if (typeof(T) == typeof(float) && System.Runtime.Intrinsics.X86.Avx.IsSupported)
            {
                // Four float loads into one 128-bit vector and one widening conversion (vcvtps2pd): a third less time than
                // widening each float into the 256-bit vector (W4 kernel, docs/perf.md).
                ref float single = ref Unsafe.As<T, float>(ref first);
                return System.Runtime.Intrinsics.X86.Avx.ConvertToVector256Double(Vector128.Create(
                    single, Unsafe.Add(ref single, stride), Unsafe.Add(ref single, 2 * stride), Unsafe.Add(ref single, 3 * stride)));
            }
            return Vector256.Create(
                double.CreateTruncating(first),
                double.CreateTruncating(Unsafe.Add(ref first, stride)),
                double.CreateTruncating(Unsafe.Add(ref first, 2 * stride)),
                double.CreateTruncating(Unsafe.Add(ref first, 3 * stride)));
        }

        /// <summary>Writes lane l of <paramref name="values"/> to element <paramref name="offset"/> + l·<paramref name="stride"/> of <paramref name="target"/> (the inverse of <see cref="Gather"/>).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Scatter<T>(Span<T> target, int offset, int stride, Vector256<double> values) where T : unmanaged, IFloatingPointIeee754<T>
        {
            ref T first = ref Unsafe.Add(ref MemoryMarshal.GetReference(target), offset);
            if (stride == 1 && typeof(T) == typeof(double))
            {
                values.StoreUnsafe(ref Unsafe.As<T, double>(ref first));
                return;
            }
            if (typeof(T) == typeof(float) && System.Runtime.Intrinsics.X86.Avx.IsSupported)
            {
                // One narrowing conversion (vcvtpd2ps), then four lane stores.
                var narrowed = System.Runtime.Intrinsics.X86.Avx.ConvertToVector128Single(values);
                ref float single = ref Unsafe.As<T, float>(ref first);
                single = narrowed.GetElement(0);
                Unsafe.Add(ref single, stride) = narrowed.GetElement(1);
                Unsafe.Add(ref single, 2 * stride) = narrowed.GetElement(2);
                Unsafe.Add(ref single, 3 * stride) = narrowed.GetElement(3);
                return;
            }
            first = T.CreateTruncating(values.GetElement(0));
            Unsafe.Add(ref first, stride) = T.CreateTruncating(values.GetElement(1));
            Unsafe.Add(ref first, 2 * stride) = T.CreateTruncating(values.GetElement(2));
            Unsafe.Add(ref first, 3 * stride) = T.CreateTruncating(values.GetElement(3));
        }

        /// <summary>Lane-wise max + log Σ (the end of a stable log-sum-exp): the max itself where it is infinite, as the scalar form.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<double> LogSumExpFinish(Vector256<double> max, Vector256<double> sum) =>
            Vector256.ConditionalSelect(IsInfinite(max), max, max + Vector256.Log(sum));

        /// <summary>All-ones in the lanes of <paramref name="x"/> that are ±∞.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<double> IsInfinite(Vector256<double> x) => Vector256.Equals(Vector256.Abs(x), Vector256.Create(double.PositiveInfinity));

        /// <summary>True when some lane of <paramref name="x"/> is ±∞.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static bool AnyInfinite(Vector256<double> x) => IsInfinite(x) != Vector256<double>.Zero;

        /// <summary>x², lane-wise.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<double> Square(Vector256<double> x) => x * x;

        /// <summary>1/(1 + e⁻ˣ), lane-wise.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<double> Sigmoid(Vector256<double> x) => Vector256<double>.One / (Vector256<double>.One + Vector256.Exp(-x));

        /// <summary>softplus(x) = max(x, 0) + log1p(e^−|x|) lane-wise (the scalar <see cref="Softplus(double)"/>'s formula).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<double> Softplus(Vector256<double> x) =>
            Vector256.Max(x, Vector256<double>.Zero) + Log1p(Vector256.Exp(-Vector256.Abs(x)));

        /// <summary>log(1 + x) lane-wise (the scalar <see cref="Log1p(double)"/>'s formula).</summary>
        public static Vector256<double> Log1p(Vector256<double> x)
        {
            var u = Vector256<double>.One + x;
            var r = Vector256.Log(u) * x / (u - Vector256<double>.One);
            r = Vector256.ConditionalSelect(Vector256.Equals(u, Vector256.Create(double.PositiveInfinity)), u, r);
            return Vector256.ConditionalSelect(Vector256.Equals(u, Vector256<double>.One), x, r);
        }

        /// <summary>eˣ − 1 lane-wise (the scalar <see cref="Expm1(double)"/> per lane).</summary>
        public static Vector256<double> Expm1(Vector256<double> x) => Lanewise(x, SpecialFunctions.Expm1);

        /// <summary>log σ(x) = min(x, 0) − log1p(e^−|x|) lane-wise (the scalar <see cref="LogSigmoid(double)"/>'s formula).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<double> LogSigmoid(Vector256<double> x) =>
            Vector256.Min(x, Vector256<double>.Zero) - Log1p(Vector256.Exp(-Vector256.Abs(x)));

        /// <summary>erf x lane-wise (the scalar <see cref="Erf(double)"/> per lane).</summary>
        public static Vector256<double> Erf(Vector256<double> x) => Lanewise(x, SpecialFunctions.Erf);

        /// <summary>log |Γ(x)| lane-wise (the scalar <see cref="Lgamma(double)"/> per lane).</summary>
        public static Vector256<double> Lgamma(Vector256<double> x) => Lanewise(x, SpecialFunctions.Lgamma);

        /// <summary>ψ⁽ⁿ⁾(x) lane-wise (the scalar <see cref="Polygamma(double, double)"/> per lane).</summary>
        public static Vector256<double> Polygamma(Vector256<double> x, double n) =>
            Vector256.Create(SpecialFunctions.Polygamma(n, x.GetElement(0)), SpecialFunctions.Polygamma(n, x.GetElement(1)),
                SpecialFunctions.Polygamma(n, x.GetElement(2)), SpecialFunctions.Polygamma(n, x.GetElement(3)));

        /// <summary>max(x, 0) lane-wise as torch.relu: x where x &gt; 0 or x is NaN, else 0.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<double> Relu(Vector256<double> x) =>
            Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<double>.Zero) | ~Vector256.Equals(x, x), x, Vector256<double>.Zero);

        /// <summary>Round half to even, lane-wise, as torch.round.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<double> Round(Vector256<double> x) => Vector256.Round(x);

        /// <summary>sign x lane-wise, as torch.sign.</summary>
        public static Vector256<double> Sign(Vector256<double> x) => Lanewise(x, Sign);

        /// <summary>tanh x lane-wise (System.Math per lane: the same values as the scalar body).</summary>
        public static Vector256<double> Tanh(Vector256<double> x) => Lanewise(x, System.Math.Tanh);

        /// <summary>sin x lane-wise (System.Math per lane).</summary>
        public static Vector256<double> Sin(Vector256<double> x) => Lanewise(x, System.Math.Sin);

        /// <summary>cos x lane-wise (System.Math per lane).</summary>
        public static Vector256<double> Cos(Vector256<double> x) => Lanewise(x, System.Math.Cos);

        /// <summary>xᵖ lane-wise (System.Math per lane).</summary>
        public static Vector256<double> Pow(Vector256<double> x, double p) =>
            Vector256.Create(System.Math.Pow(x.GetElement(0), p), System.Math.Pow(x.GetElement(1), p), System.Math.Pow(x.GetElement(2), p), System.Math.Pow(x.GetElement(3), p));

        private static Vector256<double> Lanewise(Vector256<double> x, Func<double, double> f) =>
            Vector256.Create(f(x.GetElement(0)), f(x.GetElement(1)), f(x.GetElement(2)), f(x.GetElement(3)));
    }
}
