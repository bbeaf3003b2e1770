using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Dsl.Sde
{
    /// <summary>
    /// A strictly decreasing time grid T ≥ t₀ &gt; t₁ &gt; … &gt; t_N ≥ 0 on which a reverse-time solver steps (step i goes from tᵢ
    /// to tᵢ₊₁; forward solvers walk it upwards). Made by <see cref="Uniform(double, double, int)"/>, <see cref="LogSnr"/>,
    /// <see cref="Karras"/> or from any list of times. All three factories use the SDE's marginal xₜ = m(t)x₀ + √v(t)·n
    /// through the noise level σ(t) = √v(t)/m(t) (the EDM parametrisation xₜ = m(t)(x₀ + σ(t)n): σ(t) = √v(t) for VE,
    /// σ(t) = √v(t)/m(t) for VP) and the log-SNR λ(t) = log(m(t)²/v(t)) = −2 log σ(t).
    /// </summary>
    public sealed class TimeGrid
    {
        private readonly double[] times;

        /// <summary>A grid through <paramref name="times"/>: at least two, finite, ≥ 0 and strictly decreasing.</summary>
        public TimeGrid(IEnumerable<double> times)
        {
            if (times is null) throw new ArgumentNullException(nameof(times), "TimeGrid: times is null.");
            this.times = times.ToArray();
            if (this.times.Length < 2) throw new ArgumentException("TimeGrid: times needs at least two points (one step), got " + this.times.Length + ".", nameof(times));
            for (int i = 0; i < this.times.Length; i++)
            {
                double t = this.times[i];
                if (!double.IsFinite(t) || t < 0) throw new ArgumentException("TimeGrid: times[" + i + "] = " + Fmt(t) + " must be finite and ≥ 0.", nameof(times));
                if (i > 0 && !(t < this.times[i - 1]))
                    throw new ArgumentException("TimeGrid: times must be strictly decreasing, but times[" + (i - 1) + "] = " + Fmt(this.times[i - 1]) + ", times[" + i + "] = " + Fmt(t) + ".", nameof(times));
            }
        }

        /// <summary>The times t₀ &gt; … &gt; t_N.</summary>
        public IReadOnlyList<double> Times => times;

        /// <summary>tᵢ.</summary>
        public double this[int i] => times[i];

        /// <summary>The number of steps N (one fewer than the points).</summary>
        public int Steps => times.Length - 1;

        /// <summary>t₀, the largest time (T for a reverse-time sampler).</summary>
        public double Start => times[0];

        /// <summary>t_N, the smallest time (the truncation ε of a reverse-time sampler).</summary>
        public double End => times[times.Length - 1];

        /// <summary>N equal steps from <paramref name="start"/> down to <paramref name="end"/>: tᵢ = start − i(start − end)/N, t_N = end exactly.</summary>
        public static TimeGrid Uniform(double start, double end, int steps)
        {
            CheckSteps(steps, "Uniform");
            if (!double.IsFinite(start) || !double.IsFinite(end) || !(start > end))
                throw new ArgumentException("TimeGrid.Uniform: needs finite start > end, got start = " + Fmt(start) + ", end = " + Fmt(end) + ".", nameof(end));
            double h = (start - end) / steps;
            var t = new double[steps + 1];
            for (int i = 0; i < steps; i++) t[i] = start - i * h;
            t[steps] = end;
            return new TimeGrid(t);
        }

        /// <summary>N equal steps in t from T = <see cref="ISde.EndTime"/> down to <paramref name="epsilon"/>.</summary>
        public static TimeGrid Uniform(ISde sde, int steps, double epsilon = 1e-3) => Uniform(sde.EndTime, epsilon, steps);

        /// <summary>
        /// Uniform in the log-SNR λ(t) = log(m(t)²/v(t)): λᵢ = λ(T) + (i/N)(λ(ε) − λ(T)), each mapped back to t by bisection
        /// (λ decreases in t). Equivalently geometric in σ(t) = √v/m. Needs the SDE's Gaussian kernel.
        /// </summary>
        public static TimeGrid LogSnr(ISde sde, int steps, double epsilon = 1e-3)
        {
            CheckSteps(steps, "LogSnr");
            var (T, sMax, sMin) = Ends(sde, epsilon, "LogSnr");
            double lMax = System.Math.Log(sMax), lMin = System.Math.Log(sMin);   // log σ = −λ/2, so uniform λ = uniform log σ
            return FromNoiseLevels(sde, T, epsilon, steps, i => System.Math.Exp(lMax + (double)i / steps * (lMin - lMax)));
        }

        /// <summary>
        /// The polynomial ρ-grid of Karras et al. 2022 (EDM, Eq. 5) in the noise level σ(t) = √v(t)/m(t):
        /// σᵢ = (σ_max^{1/ρ} + (i/N)(σ_min^{1/ρ} − σ_max^{1/ρ}))^ρ for i = 0 … N with σ_max = σ(T), σ_min = σ(ε), each mapped
        /// back to t by bisection. EDM's N + 1 points σ₀ … σ_N (its Eq. 5 with N + 1 in place of N); EDM's extra σ = 0 is
        /// here the truncation t = ε (σ_min), where a sampler's last (Euler) step ends.
        /// </summary>
        public static TimeGrid Karras(ISde sde, int steps, double epsilon = 1e-3, double rho = 7)
        {
            CheckSteps(steps, "Karras");
            if (!(rho > 0) || !double.IsFinite(rho)) throw new ArgumentException("TimeGrid.Karras: rho must be finite and > 0, got " + Fmt(rho) + ".", nameof(rho));
            var (T, sMax, sMin) = Ends(sde, epsilon, "Karras");
            double a = System.Math.Pow(sMax, 1 / rho), b = System.Math.Pow(sMin, 1 / rho);
            return FromNoiseLevels(sde, T, epsilon, steps, i => System.Math.Pow(a + (double)i / steps * (b - a), rho));
        }

        /// <summary>The noise level σ(t) = √v(t)/m(t) of the SDE's marginal xₜ = m(t)(x₀ + σ(t)·n).</summary>
        public static double NoiseLevel(ISde sde, double t) => System.Math.Sqrt(sde.MarginalVarianceAt(t)) / sde.MeanCoefficientAt(t);

        /// <summary>The log-SNR λ(t) = log(m(t)²/v(t)).</summary>
        public static double LogSnrAt(ISde sde, double t) => -2 * System.Math.Log(NoiseLevel(sde, t));

        /// <summary>The time t ∈ [lo, hi] with σ(t) = <paramref name="sigma"/> (σ increasing in t), by bisection to the last bit.</summary>
        public static double TimeOfNoiseLevel(ISde sde, double sigma, double lo, double hi)
        {
            if (!(sigma > NoiseLevel(sde, lo))) return lo;
            if (!(sigma < NoiseLevel(sde, hi))) return hi;
            for (int k = 0; k < 200; k++)
            {
                double mid = 0.5 * (lo + hi);
                if (mid <= lo || mid >= hi) break;
                if (NoiseLevel(sde, mid) < sigma) lo = mid; else hi = mid;
            }
            return 0.5 * (lo + hi);
        }

        /// <summary>Throws, naming <paramref name="argument"/>, unless the grid lies in [ε, T] of <paramref name="sde"/> with ε = <see cref="End"/> &gt; 0 where the score needs it, and (when <paramref name="startAtT"/>) starts at T.</summary>
        internal void CheckFor(ISde sde, string solver, string argument, bool startAtT)
        {
            double T = sde.EndTime;
            if (Start > T + 1e-12 * System.Math.Max(1, T))
                throw new ArgumentException(solver + " on " + sde.SdeName + ": the grid " + argument + " starts at t = " + Fmt(Start) + " > T = " + Fmt(T) + ".", argument);
            if (startAtT && System.Math.Abs(Start - T) > 1e-12 * System.Math.Max(1, T))
                throw new ArgumentException(solver + " on " + sde.SdeName + ": the grid " + argument + " must start at T = " + Fmt(T) + " (the prior's time), got " + Fmt(Start) + ".", argument);
            if (End == 0 && sde.HasGaussianKernel && sde.MarginalVarianceAt(0) <= 0)
                throw new ArgumentException(solver + " on " + sde.SdeName + ": the grid " + argument + " ends at t = 0, where √v(t) = 0 makes the score of data singular; end it at ε > 0.", argument);
        }

        private static (double T, double SigmaMax, double SigmaMin) Ends(ISde sde, double epsilon, string factory)
        {
            if (sde is null) throw new ArgumentNullException(nameof(sde), "TimeGrid." + factory + ": sde is null.");
            if (!sde.HasGaussianKernel) throw new ArgumentException("TimeGrid." + factory + ": " + sde.SdeName + " has no Gaussian kernel (drift not a(t)·x), so σ(t) = √v/m is unknown; use TimeGrid.Uniform.", nameof(sde));
            double T = sde.EndTime;
            if (!(epsilon > 0) || !(epsilon < T)) throw new ArgumentException("TimeGrid." + factory + ": epsilon = " + Fmt(epsilon) + " must lie in (0, T = " + Fmt(T) + ").", nameof(epsilon));
            double sMax = NoiseLevel(sde, T), sMin = NoiseLevel(sde, epsilon);
            if (!(sMin > 0) || !double.IsFinite(sMax) || !(sMax > sMin))
                throw new ArgumentException("TimeGrid." + factory + ": " + sde.SdeName + " needs 0 < σ(ε) < σ(T) < ∞ for σ(t) = √v/m, got σ(ε) = " + Fmt(sMin) + ", σ(T) = " + Fmt(sMax) + ".", nameof(sde));
            return (T, sMax, sMin);
        }

        private static TimeGrid FromNoiseLevels(ISde sde, double T, double epsilon, int steps, Func<int, double> sigma)
        {
            var t = new double[steps + 1];
            t[0] = T;
            t[steps] = epsilon;
            for (int i = 1; i < steps; i++) t[i] = TimeOfNoiseLevel(sde, sigma(i), epsilon, T);
            return new TimeGrid(t);
        }

        private static void CheckSteps(int steps, string factory)
        {
            if (steps < 1) throw new ArgumentException("TimeGrid." + factory + ": steps must be ≥ 1, got " + steps + ".", nameof(steps));
        }

        private static string Fmt(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
    }
}
