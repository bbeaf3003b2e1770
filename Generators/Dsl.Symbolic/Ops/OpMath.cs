namespace Dsl.Symbolic.Ops
{
    /// <summary>
    /// The double-precision definitions the op table folds constants with. The runtime's <c>Dsl.GeneratedCode.FusedKernels</c> holds the same
    /// formulas for the generated fused and host-double code (the op-conformance test checks both against autograd in float64).
    /// </summary>
    public static class OpMath
    {
        /// <summary>
        /// log(1 + x), accurate for tiny x (netstandard2.0 has no log1p): with u = 1 + x rounded, log(u)·x/(u − 1) cancels the
        /// rounding of u (Goldberg, "What every computer scientist should know about floating-point arithmetic", Theorem 4).
        /// </summary>
        public static double Log1p(double x)
        {
            double u = 1 + x;
            if (u == 1) return x;                                   // |x| below half an ulp of 1: log1p(x) = x to double precision
            if (double.IsPositiveInfinity(u)) return u;
            return System.Math.Log(u) * x / (u - 1);
        }

        /// <summary>softplus(x) = log(1 + eˣ) = max(x, 0) + log1p(e^−|x|): no threshold, no overflow, full precision for x ≪ 0.</summary>
        public static double Softplus(double x) => System.Math.Max(x, 0) + Log1p(System.Math.Exp(-System.Math.Abs(x)));

        /// <summary>σ(x) = 1/(1 + e^−x), without overflow on either side.</summary>
        public static double Sigmoid(double x) => x >= 0 ? 1 / (1 + System.Math.Exp(-x)) : System.Math.Exp(x) / (1 + System.Math.Exp(x));

        /// <summary>sign(x) as a double; NaN stays NaN (System.Math.Sign throws on NaN).</summary>
        public static double Sign(double x) => double.IsNaN(x) ? x : System.Math.Sign(x);

        /// <summary>max(x, 0) as torch.relu: NaN stays NaN.</summary>
        public static double Relu(double x) => x > 0 || double.IsNaN(x) ? x : 0.0;
    }
}
