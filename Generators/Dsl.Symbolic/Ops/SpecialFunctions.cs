using System;

// One source for the special functions: compiled into Dsl.Symbolic (the generator's constant folding, namespace
// Dsl.Symbolic.Ops) and linked into Dsl.Runtime (DSL_RUNTIME: the fused kernels and host-double code, namespace
// Dsl.GeneratedCode), so folding, the fused scalar and vector bodies and the host path compute the same bits.
#if DSL_RUNTIME
namespace Dsl.GeneratedCode
#else
namespace Dsl.Symbolic.Ops
#endif
{
    /// <summary>
    /// expm1, log σ, erf, log Γ, ψ⁽ⁿ⁾ in double precision without platform support (netstandard2.0 and .NET have none of them
    /// accurately). Each is written to agree with libtorch (glibc's expm1, erf and lgamma, ATen's digamma, trigamma and
    /// polygamma) to 1e-12 relative in float64; the op-conformance test checks that.
    /// </summary>
    internal static class SpecialFunctions
    {
        private const double EulerGamma = 0.57721566490153286061;
        private const double HalfLogTwoPi = 0.91893853320467274178;
        private const double TwoOverSqrtPi = 1.12837916709551257390;
        private const double InvSqrtPi = 0.56418958354775628695;

        /// <summary>
        /// eˣ − 1, accurate for tiny x (Kahan): with u = eˣ rounded, (u − 1)·x/log u cancels the rounding of u.
        /// </summary>
        public static double Expm1(double x)
        {
            double u = System.Math.Exp(x);
            if (u == 1.0) return x;
            double um1 = u - 1.0;
            if (um1 == -1.0) return -1.0;
            if (double.IsPositiveInfinity(u)) return u;
            return um1 * (x / System.Math.Log(u));
        }

        /// <summary>log σ(x) = min(x, 0) − log1p(e^−|x|) = −softplus(−x) (libtorch's log_sigmoid formula): no overflow, no threshold.</summary>
        public static double LogSigmoid(double x) => System.Math.Min(x, 0) - Log1p(System.Math.Exp(-System.Math.Abs(x)));

        /// <summary>log(1 + x) with Goldberg's correction (as OpMath.Log1p and FusedKernels.Log1p).</summary>
        private static double Log1p(double x)
        {
            double u = 1 + x;
            if (u == 1) return x;
            if (double.IsPositiveInfinity(u)) return u;
            return System.Math.Log(u) * x / (u - 1);
        }

        /// <summary>
        /// erf x. |x| &lt; 5: erf x = (2/√π) e^−x² Σₙ 2ⁿ x²ⁿ⁺¹/(2n + 1)!!, a series of positive terms (no cancellation), summed
        /// until a term is below 1e-17 of the sum; |x| ≥ 5: 1 − erfc x with erfc's asymptotic series (erfc 5 &lt; 1.6e-12, so four
        /// terms are far more than enough).
        /// </summary>
        public static double Erf(double x)
        {
            double a = System.Math.Abs(x);
            if (a < 5)
            {
                double x2 = x * x, term = x, sum = x;
                for (int n = 1; n < 200; n++)
                {
                    term *= 2 * x2 / (2 * n + 1);
                    sum += term;
                    if (System.Math.Abs(term) <= 1e-17 * System.Math.Abs(sum)) break;
                }
                return TwoOverSqrtPi * System.Math.Exp(-x2) * sum;
            }
            if (double.IsNaN(x)) return x;
            double z = 1 / (a * a);
            double erfc = System.Math.Exp(-a * a) * InvSqrtPi / a * (1 - z * (0.5 - z * (0.75 - z * (1.875 - z * 6.5625))));
            return x > 0 ? 1 - erfc : erfc - 1;
        }

        // (2j)!/B₂ⱼ, j = 1…12: the Euler–Maclaurin correction terms.
        private static readonly double[] BernoulliDenominators =
        {
            12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9, 7.47242496e10,
            -2.950130727918164224e12, 1.1646782814350067249e14, -4.5979787224074726105e15, 1.8152105401943546773e17,
            -7.1661652561756670113e18,
        };

        // (−1)ᵏ ζ(k)/k and (−1)ᵏ (ζ(k) − 1)/k, k = 0…: the Taylor coefficients of log Γ(1 + t) and log Γ(2 + t) (entries 0 and 1 unused).
        private static readonly double[] AroundOne = Coefficients(52, 1);
        private static readonly double[] AroundTwo = Coefficients(28, 2);

        private static double[] Coefficients(int count, double q)
        {
            var c = new double[count + 1];
            for (int k = 2; k <= count; k++) c[k] = (k % 2 == 0 ? 1 : -1) * HurwitzZeta(k, q) / k;
            return c;
        }

        /// <summary>Σₖ₌₂ c[k] tᵏ by Horner.</summary>
        private static double Tail(double[] c, double t)
        {
            double s = 0;
            for (int k = c.Length - 1; k >= 2; k--) s = s * t + c[k];
            return t * t * s;
        }

        /// <summary>
        /// log |Γ(x)|. Around the zeros 1 and 2 (0.5 ≤ x &lt; 2.5) the Taylor series of log Γ(1 + t) = −γt + Σ (−1)ᵏ ζ(k) tᵏ/k and
        /// log Γ(2 + t) = (1 − γ)t + Σ (−1)ᵏ (ζ(k) − 1) tᵏ/k with t = x − 1 or x − 2 (exact), so the result is relatively accurate
        /// next to the zeros; below 0.5 log Γ(x) = log Γ(1 + x) − log x; up to 10 the recurrence Γ(x) = (x − 1)Γ(x − 1) down to
        /// [1.5, 2.5) with one log of the product; from 10 Stirling's series with eight Bernoulli terms (error below 2e-18).
        /// Negative x by reflection, +∞ at the poles (0 and the negative integers).
        /// </summary>
        public static double Lgamma(double x)
        {
            if (double.IsNaN(x)) return x;
            if (x <= 0)
            {
                if (x == System.Math.Floor(x)) return double.PositiveInfinity;
                if (double.IsNegativeInfinity(x)) return double.PositiveInfinity;
                return System.Math.Log(System.Math.PI / System.Math.Abs(SinPi(x))) - Lgamma(1 - x);
            }
            if (x < 0.5) return -EulerGamma * x + Tail(AroundOne, x) - System.Math.Log(x);
            if (x < 1.5) { double t = x - 1; return -EulerGamma * t + Tail(AroundOne, t); }
            if (x < 2.5) { double t = x - 2; return (1 - EulerGamma) * t + Tail(AroundTwo, t); }
            if (x < 10)
            {
                double p = 1;
                while (x >= 2.5) { x -= 1; p *= x; }
                double t = x - 2;
                return System.Math.Log(p) + (1 - EulerGamma) * t + Tail(AroundTwo, t);
            }
            if (double.IsPositiveInfinity(x)) return x;
            double log = System.Math.Log(x), r = 1 / x, z = r * r;
            double series = r * (1.0 / 12 + z * (-1.0 / 360 + z * (1.0 / 1260 + z * (-1.0 / 1680 + z * (1.0 / 1188
                + z * (-691.0 / 360360 + z * (1.0 / 156 + z * (-3617.0 / 122400))))))));
            return x * (log - 1) - 0.5 * log + HalfLogTwoPi + series;
        }

        /// <summary>sin(πx) with x reduced modulo 2 first (exact), so poles and zeros of the reflection formulas are hit exactly.</summary>
        private static double SinPi(double x)
        {
            double r = x - 2 * System.Math.Floor(x / 2);
            return System.Math.Sin(System.Math.PI * r);
        }

        /// <summary>
        /// ψ⁽ⁿ⁾(x), the n-th derivative of the digamma function ψ = (log Γ)′, for n = 0, 1, 2, …. n = 0: recurrence to x ≥ 10 and the
        /// asymptotic series log x − 1/(2x) − Σ B₂ₖ/(2k x²ᵏ) (seven terms), reflection for x &lt; 0 (ATen's calc_digamma's
        /// algorithm). n = 1: ATen's trigamma algorithm, reproduced so that the two agree (six recurrence steps and the series to
        /// the x⁻⁷ term: its own truncation error is about 3e-10 relative at worst, near x = 0.5; libtorch's is the same).
        /// n ≥ 2: (−1)ⁿ⁺¹ n! ζ(n + 1, x) with the Hurwitz ζ below. Other n: NaN.
        /// </summary>
        public static double Polygamma(double n, double x)
        {
            if (n == 0) return Digamma(x);
            if (n == 1) return Trigamma(x);
            if (n < 0 || n != System.Math.Floor(n) || n > 170) return double.NaN;
            double factorial = 1;
            for (int k = 2; k <= (int)n; k++) factorial *= k;
            return (((int)n) % 2 == 1 ? 1 : -1) * factorial * HurwitzZeta(n + 1, x);
        }

        private static double Digamma(double x)
        {
            if (x == 0) return 1 / x > 0 ? double.NegativeInfinity : double.PositiveInfinity;   // ψ(±0) = ∓∞, as libtorch
            if (double.IsNaN(x)) return x;
            if (x < 0)
            {
                if (x == System.Math.Floor(x)) return double.NaN;
                double frac = x - System.Math.Truncate(x);
                return Digamma(1 - x) - System.Math.PI / System.Math.Tan(System.Math.PI * frac);
            }
            double result = 0;
            while (x < 10) { result -= 1 / x; x += 1; }
            double z = 1 / (x * x);
            double y = z * (1.0 / 12 - z * (1.0 / 120 - z * (1.0 / 252 - z * (1.0 / 240 - z * (1.0 / 132 - z * (691.0 / 32760 - z * (1.0 / 12)))))));
            return result + System.Math.Log(x) - 0.5 / x - y;
        }

        private static double Trigamma(double x)
        {
            if (double.IsNaN(x)) return x;
            if (x < 0.5)
            {
                double s = System.Math.Sin(System.Math.PI * x);
                return System.Math.PI * System.Math.PI / (s * s) - Trigamma(1 - x);
            }
            double result = 0;
            for (int i = 0; i < 6; i++) { result += 1 / (x * x); x += 1; }
            double ixx = 1 / (x * x);
            return result + (1 + 1 / (2 * x) + ixx * (1.0 / 6 - ixx * (1.0 / 30 - ixx * (1.0 / 42)))) / x;
        }

        /// <summary>
        /// ζ(s, q) = Σₖ (q + k)⁻ˢ for s &gt; 1, q &gt; 0: the terms summed directly up to w = q + N ≥ 10 (N ≥ 9), then the Euler–Maclaurin
        /// tail w¹⁻ˢ/(s − 1) − ½w⁻ˢ + Σⱼ B₂ⱼ/(2j)! s(s + 1)…(s + 2j − 2) w^(−s−2j+1), stopped when a term is below 2⁻⁵³ of the sum.
        /// </summary>
        public static double HurwitzZeta(double s, double q)
        {
            if (double.IsNaN(s) || double.IsNaN(q)) return double.NaN;
            if (s == 1) return double.PositiveInfinity;
            if (s < 1) return double.NaN;
            if (q <= 0)
            {
                if (q == System.Math.Floor(q)) return double.PositiveInfinity;
                if (s != System.Math.Floor(s)) return double.NaN;
            }
            double sum = System.Math.Pow(q, -s);
            if (double.IsInfinity(sum)) return sum;
            double a = q, b = 0;
            int i = 0;
            while (i < 9 || a <= 9.0)
            {
                i++;
                a += 1;
                b = System.Math.Pow(a, -s);
                sum += b;
                if (System.Math.Abs(b) < 1.1102230246251565e-16 * System.Math.Abs(sum)) return sum;
            }
            double w = a;
            sum += b * w / (s - 1);
            sum -= 0.5 * b;
            double rising = 1, k = 0;
            for (int j = 0; j < BernoulliDenominators.Length; j++)
            {
                rising *= s + k;
                b /= w;
                double t = rising * b / BernoulliDenominators[j];
                sum += t;
                if (System.Math.Abs(t / sum) < 1.1102230246251565e-16) break;
                k += 1;
                rising *= s + k;
                b /= w;
                k += 1;
            }
            return sum;
        }
    }
}
