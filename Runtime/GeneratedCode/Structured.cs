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
