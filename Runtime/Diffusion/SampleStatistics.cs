using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Diffusion
{
    /// <summary>Two-sample statistics for judging generated samples against data.</summary>
    public static class SampleStatistics
    {
        /// <summary>
        /// The squared maximum mean discrepancy with a sum of RBF kernels k(a, b) = Σ_h exp(−‖a − b‖²/(2h²)) (unbiased
        /// U-statistic, Gretton et al. 2012): 0 in expectation when the distributions agree. x: [N, D], y: [M, D].
        /// </summary>
        public static double Mmd2(Tensor x, Tensor y, params double[] bandwidths)
        {
            if (x.dim() != 2 || y.dim() != 2 || x.shape[1] != y.shape[1] || x.shape[0] < 2 || y.shape[0] < 2)
                throw new ArgumentException("SampleStatistics.Mmd2: x and y must be [N, D] and [M, D] with N, M ≥ 2; got " + Broadcasting.Describe(x) + " and " + Broadcasting.Describe(y) + ".");
            if (bandwidths.Length == 0) bandwidths = new[] { 0.1, 0.3, 1.0 };
            using var scope = NewDisposeScope();
            var a = x.to_type(ScalarType.Float64);
            var b = y.to_type(ScalarType.Float64);
            double n = a.shape[0], m = b.shape[0];
            Tensor Kernel(Tensor p, Tensor q)
            {
                var d2 = cdist(p, q).Square();
                Tensor sum = zeros_like(d2);
                foreach (var h in bandwidths) sum = sum.Add((d2.Div((-2 * h * h))).exp());
                return sum;
            }
            double kxx = (Kernel(a, a).sum().ToDoubleValue() - bandwidths.Length * n) / (n * (n - 1));
            double kyy = (Kernel(b, b).sum().ToDoubleValue() - bandwidths.Length * m) / (m * (m - 1));
            double kxy = Kernel(a, b).sum().ToDoubleValue() / (n * m);
            return kxx + kyy - 2 * kxy;
        }
    }
}
