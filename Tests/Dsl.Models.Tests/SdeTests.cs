using System;
using System.Linq;
using Dsl.Models;
using Dsl.Sde;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// The generated SDE members against the lectures' closed forms and against Monte-Carlo forward simulation;
    /// reverse-time sampling against known Gaussian and mixture data, with sample-size-derived tolerances.
    /// </summary>
    public class SdeTests
    {
        private static double B(double t) => 0.1 * t + 0.5 * (20 - 0.1) * t * t;

        /// <summary>(SDE, m(t), v(t)) from the lectures.</summary>
        public static TheoryData<string> Names() => new() { "VE", "VP", "subVP", "BM", "OU", "cosine" };

        internal static ISde Create(string name) => name switch
        {
            "VE" => new VeSde(),
            "VP" => new VpSde(),
            "subVP" => new SubVpSde(),
            "BM" => new BrownianMotion { Sigma = 1.5 },
            "OU" => new OrnsteinUhlenbeck { Theta = 0.8, Sigma = 1.2 },
            _ => new CosineVpSde(),
        };

        private static (double M, double V) ClosedForm(string name, double t)
        {
            switch (name)
            {
                case "VE": return (1, 0.01 * 0.01 * (System.Math.Pow(50 / 0.01, 2 * t) - 1));
                case "VP": return (System.Math.Exp(-0.5 * B(t)), 1 - System.Math.Exp(-B(t)));
                case "subVP": return (System.Math.Exp(-0.5 * B(t)), System.Math.Pow(1 - System.Math.Exp(-B(t)), 2));
                case "BM": return (1, 1.5 * 1.5 * t);
                case "OU": return (System.Math.Exp(-0.8 * t), 1.2 * 1.2 / (2 * 0.8) * (1 - System.Math.Exp(-1.6 * t)));
                default:
                    double s = 0.008;
                    double f(double u) => System.Math.Pow(System.Math.Cos((u + s) / (1 + s) * System.Math.PI / 2), 2);
                    double alphaBar = f(t) / f(0);
                    return (System.Math.Sqrt(alphaBar), 1 - alphaBar);
            }
        }

        [Theory]
        [MemberData(nameof(Names))]
        public void Generated_kernel_matches_the_closed_form(string name)
        {
            var sde = Create(name);
            var times = Enumerable.Range(0, 11).Select(i => sde.EndTime * i / 10.0).ToArray();
            var t = tensor(times, ScalarType.Float64);
            var m = sde.MeanCoefficient(t).data<double>().ToArray();
            var std = sde.MarginalStd(t).data<double>().ToArray();
            for (int i = 0; i < times.Length; i++)
            {
                var (mExact, vExact) = ClosedForm(name, times[i]);
                double tol = name == "cosine" ? 1e-7 : 1e-10;
                Assert.True(System.Math.Abs(m[i] - mExact) <= tol * (1 + mExact), $"{name} m({times[i]}) = {m[i]} vs {mExact}");
                Assert.True(System.Math.Abs(std[i] * std[i] - vExact) <= tol * (1 + vExact), $"{name} v({times[i]}) = {std[i] * std[i]} vs {vExact}");
                Assert.True(System.Math.Abs(sde.MeanCoefficientAt(times[i]) - mExact) <= tol * (1 + mExact));
                Assert.True(System.Math.Abs(sde.MarginalVarianceAt(times[i]) - vExact) <= tol * (1 + vExact));
            }
        }

        [Theory]
        [MemberData(nameof(Names))]
        public void Euler_Maruyama_forward_simulation_matches_the_kernel(string name)
        {
            // From x₀ = (1, −2): E[xₜ] = m(t)x₀, Var xₜ = v(t) per coordinate; tolerances: 4 standard errors plus the O(Δt) bias of 1000 steps.
            var sde = Create(name);
            double t1 = sde.EndTime * 0.6;
            const int n = 20000;
            var x0 = tensor(new[] { 1.0, -2.0 }).repeat(n, 1);
            var xt = SdeSolvers.EulerMaruyama(sde, x0, 0, t1, 1000, new Generator(3));
            var (m, v) = ClosedForm(name, t1);
            var mean = xt.mean(new long[] { 0 }).data<double>().ToArray();
            var variance = xt.var(0L).data<double>().ToArray();
            double[] start = { 1, -2 };
            for (int d = 0; d < 2; d++)
            {
                double seMean = System.Math.Sqrt(v / n), seVar = v * System.Math.Sqrt(2.0 / (n - 1));
                Assert.True(System.Math.Abs(mean[d] - m * start[d]) <= 4 * seMean + 0.01 * System.Math.Abs(m * start[d]) + 1e-12, $"{name} mean[{d}] {mean[d]} vs {m * start[d]} (SE {seMean})");
                Assert.True(System.Math.Abs(variance[d] - v) <= 4 * seVar + 0.01 * v, $"{name} var[{d}] {variance[d]} vs {v} (SE {seVar})");
            }
        }

        [Fact]
        public void Perturb_draws_from_the_kernel_and_the_prior_is_its_end_point()
        {
            var sde = new VpSde();
            var x0 = tensor(new[] { 3.0, -1.0 }).reshape(1, 2);
            var t = tensor(new[] { 0.3 }, ScalarType.Float64);
            var noise = tensor(new[] { 0.5, 2.0 }).reshape(1, 2);
            var (m, v) = ClosedForm("VP", 0.3);
            var xt = sde.Perturb(x0, t, noise).data<double>().ToArray();
            Assert.Equal(m * 3 + System.Math.Sqrt(v) * 0.5, xt[0], 12);
            Assert.Equal(m * -1 + System.Math.Sqrt(v) * 2.0, xt[1], 12);
            var x = tensor(new[] { 0.3, -0.4 }).reshape(1, 2);
            double vT = ClosedForm("VP", 1).V;
            Assert.Equal(-(0.09 + 0.16) / (2 * vT) - System.Math.Log(2 * System.Math.PI * vT), sde.PriorLogProb(x).item<double>(), 10);
            Assert.Equal(2 * sde.DriftCoefficientAt(0.3), sde.DriftDivergence(t, 2).item<double>(), 12);
        }

        [Fact]
        public void Bad_times_and_shapes_name_the_SDE_and_the_argument()
        {
            var sde = new VpSde();
            var e = Assert.Throws<ArgumentException>(() => sde.Drift(zeros(4, 2), zeros(3)));
            Assert.Contains("VpSde.Drift", e.Message);
            Assert.Contains("[N] = [4]", e.Message);
            var score = TimeScores.FromScorePrediction(2, (x, t) => -x);
            var eps = Assert.Throws<ArgumentException>(() => SdeSolvers.Sample(sde, score, 10, new SdeSamplerOptions { Epsilon = 0 }));
            Assert.Contains("vanishes", eps.Message);
            var range = Assert.Throws<ArgumentException>(() => SdeSolvers.Sample(sde, score, 10, new SdeSamplerOptions { Epsilon = 1.5 }));
            Assert.Contains("must lie in [0, T = 1)", range.Message);
            var forward = Assert.Throws<ArgumentException>(() => SdeSolvers.EulerMaruyama(sde, zeros(3, 2, dtype: ScalarType.Float64), 0, 2, 10, new Generator(1)));
            Assert.Contains("outside [ε, T]", forward.Message);
        }

        [Fact]
        public void The_VP_discretisation_is_DDPMs_linear_beta_table_and_matches_the_kernel()
        {
            var table = DiscreteSchedule.Of(new VpSde(), 1000);
            for (int i = 0; i < 1000; i += 111)
                Assert.Equal((0.1 + (20 - 0.1) * i / 999.0) / 1000, table.Betas[i], 14);        // linspace(β_min/N, β_max/N, N)
            // ᾱ of the table approximates the continuous m(T)² = exp(−∫₀ᵀβ) to O(1/N); the kernel columns are the generated ones.
            Assert.Equal(System.Math.Exp(-B(1)), table.AlphaBars[999], 4);
            Assert.Equal(System.Math.Exp(-0.5 * B(table.Times[500])), table.MeanCoefficients[500], 12);
            Assert.Throws<ArgumentException>(() => DiscreteSchedule.Of(new VpSde(), 1));
        }
    }
}
