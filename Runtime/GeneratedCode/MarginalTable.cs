using System;
using static TorchSharp.torch;

namespace Dsl.GeneratedCode
{
    /// <summary>
    /// The perturbation kernel of dx = a(t)x dt + g(t) dw tabulated once in float64 when it has no closed form:
    /// A(t) = ∫₀ᵗ a and v(t) = e^{2A(t)} ∫₀ᵗ e^{−2A(s)} g(s)² ds by adaptive Simpson quadrature on a uniform grid,
    /// read back by cubic Hermite interpolation with the exact derivatives m' = a·m, v' = 2a·v + g².
    /// </summary>
    public sealed class MarginalTable
    {
        private readonly Func<double, double> a;
        private readonly Func<double, double> g;
        private readonly double endTime;
        private readonly double[] mean, variance, meanSlope, varianceSlope;
        private readonly double h;

        private MarginalTable(Func<double, double> a, Func<double, double> g, double endTime, int intervals)
        {
            this.a = a; this.g = g; this.endTime = endTime;
            h = endTime / intervals;
            mean = new double[intervals + 1]; variance = new double[intervals + 1];
            meanSlope = new double[intervals + 1]; varianceSlope = new double[intervals + 1];
            double bigA = 0, integral = 0;                                  // A(tᵢ) and ∫₀^tᵢ e^{−2A(s)} g(s)² ds
            for (int i = 0; i <= intervals; i++)
            {
                double t = i * h;
                if (i > 0)
                {
                    double left = t - h, aLeft = bigA;
                    integral += Simpson(s => System.Math.Exp(-2 * (aLeft + Simpson(a, left, s, 1e-12))) * Square(g(s)), left, t, 1e-12);
                    bigA += Simpson(a, left, t, 1e-12);
                }
                mean[i] = System.Math.Exp(bigA);
                variance[i] = System.Math.Exp(2 * bigA) * integral;
                meanSlope[i] = a(t) * mean[i];
                varianceSlope[i] = 2 * a(t) * variance[i] + Square(g(t));
            }
        }

        /// <summary>Tabulates the kernel on <paramref name="intervals"/> equal intervals of [0, T].</summary>
        public static MarginalTable Build(Func<double, double> driftCoefficient, Func<double, double> diffusion, double endTime, int intervals = 1024)
        {
            if (!(endTime > 0) || double.IsInfinity(endTime)) throw new ArgumentException("MarginalTable: the end time must be positive and finite, got " + endTime + ".", nameof(endTime));
            return new MarginalTable(driftCoefficient, diffusion, endTime, intervals);
        }

        /// <summary>m(t) for one time.</summary>
        public double MeanAt(double t) => Hermite(mean, meanSlope, t);

        /// <summary>v(t) for one time.</summary>
        public double VarianceAt(double t) => Hermite(variance, varianceSlope, t);

        /// <summary>m(t) for a batch of times [N] (dtype and device of t).</summary>
        public Tensor Mean(Tensor t) => Lookup(mean, meanSlope, t);

        /// <summary>v(t) for a batch of times [N].</summary>
        public Tensor Variance(Tensor t) => Lookup(variance, varianceSlope, t);

        private double Hermite(double[] y, double[] dy, double t)
        {
            double u = System.Math.Clamp(t, 0, endTime) / h;
            int i = System.Math.Min((int)u, y.Length - 2);
            double s = u - i;
            double h00 = (1 + 2 * s) * (1 - s) * (1 - s), h10 = s * (1 - s) * (1 - s), h01 = s * s * (3 - 2 * s), h11 = s * s * (s - 1);
            return h00 * y[i] + h10 * h * dy[i] + h01 * y[i + 1] + h11 * h * dy[i + 1];
        }

        private Tensor Lookup(double[] y, double[] dy, Tensor t)
        {
            using var scope = NewDisposeScope();
            var times = t.detach().to_type(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();
            var values = new double[times.Length];
            for (int i = 0; i < times.Length; i++) values[i] = Hermite(y, dy, times[i]);
            return tensor(values, ScalarType.Float64).to(t.dtype).to(t.device).MoveToOuterDisposeScope();
        }

        private static double Square(double v) => v * v;

        /// <summary>Adaptive Simpson quadrature with Richardson correction, to a tolerance relative to the integral's size.</summary>
        private static double Simpson(Func<double, double> f, double lo, double hi, double relativeTolerance)
        {
            if (hi == lo) return 0;
            double fa = f(lo), fb = f(hi), m = 0.5 * (lo + hi), fm = f(m);
            double whole = (hi - lo) / 6 * (fa + 4 * fm + fb);
            double scale = (hi - lo) * (System.Math.Abs(fa) + System.Math.Abs(fm) + System.Math.Abs(fb)) / 3;
            return Refine(f, lo, hi, fa, fm, fb, whole, relativeTolerance * scale + 1e-300, 18);
        }

        private static double Refine(Func<double, double> f, double lo, double hi, double fa, double fm, double fb, double whole, double tolerance, int depth)
        {
            double m = 0.5 * (lo + hi), lm = 0.5 * (lo + m), rm = 0.5 * (m + hi);
            double flm = f(lm), frm = f(rm);
            double left = (m - lo) / 6 * (fa + 4 * flm + fm), right = (hi - m) / 6 * (fm + 4 * frm + fb);
            double delta = left + right - whole;
            if (depth <= 0 || System.Math.Abs(delta) <= 15 * tolerance) return left + right + delta / 15;
            return Refine(f, lo, m, fa, flm, fm, left, tolerance / 2, depth - 1) + Refine(f, m, hi, fm, frm, fb, right, tolerance / 2, depth - 1);
        }
    }
}
