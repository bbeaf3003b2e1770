using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.GeneratedCode
{
    /// <summary>
    /// The constant matrices of structured state in generated code: slices x[a..b], Concat, Eye and Block are products with the
    /// 0/1 selector S[r, j] = [j = r + offset] (the IR's Selector).
    /// </summary>
    public static class Structured
    {
        /// <summary>
        /// S v along the last axis for the selector S of <see cref="Selector"/> (rows × cols, S[r, r + offset] = 1), without the matrix:
        /// the entries offset … offset + rows − 1 of v, zero where they fall outside [0, cols) — a slice x[a..b] (offset a), or a Vec
        /// placed into a longer one (offset −a, for Concat). A narrow and a zero pad, O(N·rows) instead of a matmul; always a fresh
        /// tensor (never a view of v), so that generated code may write into it.
        /// </summary>
        public static Tensor SelectorTimes(Tensor v, long rows, long cols, long offset)
        {
            if (rows < 1 || cols < 1)
                throw new ArgumentException("Structured.SelectorTimes: a slice, Concat or Eye needs sizes of at least 1, got " + rows + " × " + cols + " (check the model's sizes against its slices).");
            if (v.dim() < 1 || v.shape[^1] != cols)
                throw new ArgumentException("Structured.SelectorTimes: the Vec has " + (v.dim() < 1 ? "no axis" : v.shape[^1] + " entries") + " where the selector reads " + cols + ".");
            long start = System.Math.Max(0, offset), end = System.Math.Min(cols, offset + rows);
            if (end <= start)
            {
                var shape = (long[])v.shape.Clone();
                shape[^1] = rows;
                return zeros(shape, v.dtype, v.device);
            }
            long before = start - offset, after = rows - before - (end - start);
            using var part = v.narrow(-1, start, end - start);
            return before == 0 && after == 0 ? part.clone() : nn.functional.pad(part, new long[] { before, after });
        }

        /// <summary>S: [rows, cols] with S[r, j] = 1 when j = r + offset, else 0 (rows, cols ≥ 1).</summary>
        public static Tensor Selector(long rows, long cols, long offset, ScalarType dtype, Device device)
        {
            if (rows < 1 || cols < 1)
                throw new ArgumentException("Structured.Selector: a slice, Concat or Eye needs sizes of at least 1, got " + rows + " × " + cols + " (check the model's sizes against its slices).");
            var data = new double[rows * cols];
            for (long r = 0; r < rows; r++)
            {
                long j = r + offset;
                if (j >= 0 && j < cols) data[r * cols + j] = 1;
            }
            using var s = tensor(data, new long[] { rows, cols }, dtype: ScalarType.Float64);
            return s.to(dtype, device);
        }
    }
}
