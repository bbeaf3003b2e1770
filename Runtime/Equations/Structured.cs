using System;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl
{
    public readonly partial struct Vec
    {
        /// <summary>The entry xᵢ of every sample (i from the end with ^k): a Scalar.</summary>
        public Scalar this[Index i]
        {
            get
            {
                long n = Tensor.shape[^1];
                long at = i.IsFromEnd ? n - i.Value : i.Value;
                if (at < 0 || at >= n) throw new ArgumentOutOfRangeException(nameof(i), "Vec index " + i + " is outside a Vec of length " + n + ".");
                return new Scalar(Tensor.select(-1, at));
            }
        }

        /// <summary>The entries x[a..b] of every sample (ends from the end with ^k): a Vec of length b − a.</summary>
        public Vec this[Range r]
        {
            get
            {
                long n = Tensor.shape[^1];
                long start = r.Start.IsFromEnd ? n - r.Start.Value : r.Start.Value;
                long end = r.End.IsFromEnd ? n - r.End.Value : r.End.Value;
                if (start < 0 || end > n || end <= start) throw new ArgumentOutOfRangeException(nameof(r), "Vec slice " + r + " is empty or outside a Vec of length " + n + ".");
                return new Vec(Tensor.narrow(-1, start, end - start));
            }
        }

        /// <summary>
        /// A constant Vec of the given entries, in float64 so that the entries stay exact (torch's type promotion makes an eager
        /// expression mixing it with float32 values float64; the generated code computes in the model's dtype).
        /// </summary>
        public static Vec Of(params double[] entries)
        {
            if (entries.Length == 0) throw new ArgumentException("Vec.Of needs at least one entry.", nameof(entries));
            return new Vec(tensor(entries, dtype: ScalarType.Float64));
        }
    }

    public readonly partial struct Mat
    {
        /// <summary>The Mat with the given rows (Vecs of one length); batched when a row is.</summary>
        public static Mat Of(params Vec[] rows)
        {
            if (rows.Length == 0) throw new ArgumentException("Mat.Of needs at least one row.", nameof(rows));
            return new Mat(stack(Structured.Aligned(rows.Select(r => r.Tensor).ToArray(), 1), -2));
        }
    }

    public static partial class Math
    {
        /// <summary>The identity matrix I: Mat[n, n] (torch's default dtype; it takes x's dtype and device in a product with x).</summary>
        public static Mat Eye(int n)
        {
            if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), "Eye needs a size of at least 1, got " + n + ".");
            return new Mat(eye(n, dtype: get_default_dtype()));
        }

        /// <summary>The concatenation of Vecs: a Vec whose length is the sum of theirs.</summary>
        public static Vec Concat(params Vec[] parts) =>
            new Vec(cat(Structured.Aligned(parts.Select(p => p.Tensor).ToArray(), 1), -1));

        /// <summary>The concatenation of Scalars into a Vec.</summary>
        public static Vec Concat(params Scalar[] parts) =>
            new Vec(cat(Structured.Aligned(parts.Select(p => p.Tensor.unsqueeze(-1)).ToArray(), 1), -1));

        /// <summary>(s, v): a Scalar before a Vec.</summary>
        public static Vec Concat(Scalar s, Vec v) => Concat(new Vec(s.Tensor.unsqueeze(-1)), v);

        /// <summary>(v, s): a Vec before a Scalar.</summary>
        public static Vec Concat(Vec v, Scalar s) => Concat(v, new Vec(s.Tensor.unsqueeze(-1)));

        /// <summary>(a, s, b): a Scalar between two Vecs.</summary>
        public static Vec Concat(Vec a, Scalar s, Vec b) => Concat(a, new Vec(s.Tensor.unsqueeze(-1)), b);

        /// <summary>The block matrix [[A, B], [C, D]] (A, B share rows; A, C share columns).</summary>
        public static Mat Block(Mat a, Mat b, Mat c, Mat d)
        {
            var t = Structured.Aligned(new[] { a.Tensor, b.Tensor, c.Tensor, d.Tensor }, 2);
            return new Mat(cat(new[] { cat(new[] { t[0], t[1] }, -1), cat(new[] { t[2], t[3] }, -1) }, -2));
        }
    }

    internal static class Structured
    {
        /// <summary>
        /// The parts on one dtype (the promoted one), one device (the first batched part's, else the first's) and one batch: an
        /// unbatched part (per-sample rank <paramref name="rank"/>) is expanded along the batch of the batched ones.
        /// </summary>
        public static Tensor[] Aligned(Tensor[] parts, int rank)
        {
            if (parts.Length == 0) throw new ArgumentException("at least one part is needed");
            var dtype = parts.Select(p => p.dtype).Aggregate(promote_types);
            var batched = parts.FirstOrDefault(p => p.dim() > rank);
            var device = (batched ?? parts[0]).device;
            return parts.Select(p =>
            {
                var q = p.dtype == dtype && p.device.ToString() == device.ToString() ? p : p.to(dtype, device);
                if (batched is null || q.dim() > rank) return q;
                var shape = new[] { batched.shape[0] }.Concat(q.shape).ToArray();
                return q.unsqueeze(0).expand(shape);
            }).ToArray();
        }
    }
}
