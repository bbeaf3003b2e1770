using System;
using System.Collections.Generic;
using Dsl.Symbolic.Calculus;
using Dsl.Symbolic.Ir;

namespace Dsl.Symbolic.Tests
{
    /// <summary>Closed-form perturbation kernels m(t), v(t) of linear SDEs against the lectures' formulas.</summary>
    public class TimeIntegralTests
    {
        private static readonly Dictionary<string, double> Hypers = new() { ["b0"] = 0.1, ["b1"] = 20, ["s0"] = 0.01, ["s1"] = 50, ["theta"] = 0.7, ["sig"] = 1.3 };

        private static (double M, double V) Evaluate(Func<Graph, Node, (Node A, Node G2)> sde, double time)
        {
            var g = new Graph();
            var t = g.Condition("t");
            var (a, g2) = sde(g, t);
            var (m, v) = TimeIntegral.Marginal(g, a, g2, t);
            var ev = new Evaluator(new Dictionary<string, DenseValue>(), Hypers, new Dictionary<string, int>());
            var c = new Dictionary<string, double> { ["t"] = time };
            return (ev.Evaluate(m, Array.Empty<double>(), c).Scalar, ev.Evaluate(v, Array.Empty<double>(), c).Scalar);
        }

        private static Node Beta(Graph g, Node t) => g.Add(g.Hyper("b0"), g.Mul(t, g.Sub(g.Hyper("b1"), g.Hyper("b0"))));

        private static double B(double t) => 0.1 * t + 0.5 * (20 - 0.1) * t * t;

        [Theory]
        [InlineData(0.0)]
        [InlineData(0.4)]
        [InlineData(1.0)]
        public void Integral_of_a_polynomial_coefficient_is_its_antiderivative(double time)
        {
            var g = new Graph();
            var t = g.Condition("t");
            var integral = TimeIntegral.Integral(g, g.Mul(g.Const(-0.5), Beta(g, t)), t);
            var ev = new Evaluator(new Dictionary<string, DenseValue>(), Hypers, new Dictionary<string, int>());
            Assert.Equal(-0.5 * B(time), ev.Evaluate(integral, Array.Empty<double>(), new Dictionary<string, double> { ["t"] = time }).Scalar, 12);
            Assert.Throws<IntegrationUnsupportedException>(() => TimeIntegral.Integral(g, g.Exp(t), t));
        }

        [Fact]
        public void Constant_ratio_of_polynomials_in_t_is_found_and_a_varying_one_is_not()
        {
            var g = new Graph();
            var t = g.Condition("t");
            var ratio = TimeIntegral.ConstantRatio(g, g.Add(g.Const(2), g.Mul(g.Const(2), t)), g.Neg(g.Add(g.Const(1), t)), t);
            Assert.NotNull(ratio);
            Assert.True(ratio!.IsConst && ratio.Value == -2, "(2 + 2t)/(−(1 + t)) = " + ratio);
            var withHyper = TimeIntegral.ConstantRatio(g, g.Mul(g.Hyper("sig"), Beta(g, t)), Beta(g, t), t);
            var ev = new Evaluator(new Dictionary<string, DenseValue>(), Hypers, new Dictionary<string, int>());
            Assert.Equal(1.3, ev.Evaluate(withHyper!, Array.Empty<double>(), new Dictionary<string, double>()).Scalar, 12);
            Assert.Null(TimeIntegral.ConstantRatio(g, g.Add(g.Const(1), t), g.Add(g.Const(1), g.Square(t)), t));
            Assert.Null(TimeIntegral.ConstantRatio(g, g.Exp(t), g.Add(g.Const(1), t), t));
        }

        [Theory]
        [InlineData(0.0)]
        [InlineData(0.01)]
        [InlineData(0.3)]
        [InlineData(1.0)]
        public void VP_SDE_has_m_exp_minus_half_B_and_v_one_minus_exp_minus_B(double time)
        {
            var (m, v) = Evaluate((g, t) => (g.Mul(g.Const(-0.5), Beta(g, t)), g.Square(g.Sqrt(Beta(g, t)))), time);
            Assert.Equal(Math.Exp(-0.5 * B(time)), m, 12);
            Assert.Equal(1 - Math.Exp(-B(time)), v, 12);
        }

        [Theory]
        [InlineData(0.0)]
        [InlineData(0.5)]
        [InlineData(1.0)]
        public void Sub_VP_SDE_has_v_one_minus_exp_minus_B_squared(double time)
        {
            var (m, v) = Evaluate((g, t) =>
            {
                var bigB = g.Add(g.Mul(g.Hyper("b0"), t), g.Mul(g.Mul(g.Const(0.5), g.Sub(g.Hyper("b1"), g.Hyper("b0"))), g.Square(t)));
                return (g.Mul(g.Const(-0.5), Beta(g, t)), g.Mul(Beta(g, t), g.Sub(g.Const(1), g.Exp(g.Mul(g.Const(-2), bigB)))));
            }, time);
            Assert.Equal(Math.Exp(-0.5 * B(time)), m, 12);
            Assert.Equal(Math.Pow(1 - Math.Exp(-B(time)), 2), v, 12);
        }

        [Theory]
        [InlineData(0.0)]
        [InlineData(0.5)]
        [InlineData(1.0)]
        public void VE_SDE_has_v_sigma_min_squared_times_ratio_power_minus_one(double time)
        {
            // g(t) = σ_min (σ_max/σ_min)^t √(2 log(σ_max/σ_min))
            var (m, v) = Evaluate((g, t) =>
            {
                var logRatio = g.Log(g.Div(g.Hyper("s1"), g.Hyper("s0")));
                var gt = g.Mul(g.Mul(g.Hyper("s0"), g.Exp(g.Mul(t, logRatio))), g.Sqrt(g.Mul(g.Const(2), logRatio)));
                return (g.Const(0), g.Square(gt));
            }, time);
            Assert.Equal(1.0, m, 14);
            Assert.Equal(0.01 * 0.01 * (Math.Pow(50 / 0.01, 2 * time) - 1), v, 9);
        }

        [Theory]
        [InlineData(0.0)]
        [InlineData(0.7)]
        [InlineData(3.0)]
        public void Ornstein_Uhlenbeck_and_Brownian_motion(double time)
        {
            var (m, v) = Evaluate((g, t) => (g.Neg(g.Hyper("theta")), g.Square(g.Hyper("sig"))), time);
            Assert.Equal(Math.Exp(-0.7 * time), m, 12);
            Assert.Equal(1.3 * 1.3 / (2 * 0.7) * (1 - Math.Exp(-2 * 0.7 * time)), v, 12);
            var (mb, vb) = Evaluate((g, t) => (g.Const(0), g.Square(g.Hyper("sig"))), time);
            Assert.Equal(1.0, mb, 14);
            Assert.Equal(1.3 * 1.3 * time, vb, 12);
        }

        [Fact]
        public void A_cosine_schedule_has_no_closed_form_here_and_says_why()
        {
            var e = Assert.Throws<IntegrationUnsupportedException>(() => Evaluate((g, t) =>
            {
                var angle = g.Mul(g.Const(Math.PI / 2 / 1.008), g.Add(t, g.Const(0.008)));
                var beta = g.Mul(g.Const(Math.PI / 1.008), g.Div(g.Unary(Op.Sin, angle), g.Unary(Op.Cos, angle)));
                return (g.Mul(g.Const(-0.5), beta), beta);
            }, 0.5));
            Assert.Contains("of t", e.Message);
        }

        /// <summary>e^x − 1 from its Taylor series where the subtraction would cancel: an independent reference for the tests below.</summary>
        private static double ReferenceExpm1(double x)
        {
            if (Math.Abs(x) > 0.1) return Math.Exp(x) - 1;
            double term = x, sum = x;
            for (int k = 2; k < 30; k++) { term *= x / k; sum += term; }
            return sum;
        }

        /// <summary>
        /// The variance is a difference of exponentials that vanishes at t = 0; as a plain sum it keeps only an absolute accuracy
        /// of about 1e-16, so sub-VP's B² ≈ 1e-12 at t = 1e-5 had 1e-4 relative error. Factored through expm1 it keeps its
        /// relative accuracy down to t = 1e-9, for VP, sub-VP, VE and Ornstein–Uhlenbeck alike.
        /// </summary>
        [Theory]
        [InlineData(1e-9)]
        [InlineData(1e-7)]
        [InlineData(1e-5)]
        [InlineData(1e-3)]
        [InlineData(0.3)]
        public void Marginal_variances_keep_their_relative_accuracy_as_t_goes_to_zero(double time)
        {
            static void Relative(double expected, double actual, string what)
            {
                double error = Math.Abs(actual - expected) / Math.Abs(expected);
                Assert.True(error < 1e-13, what + ": v = " + actual.ToString("R") + ", reference " + expected.ToString("R") + ", relative error " + error.ToString("E2"));
            }
            var bigB = B(time);
            var (_, vp) = Evaluate((g, t) => (g.Mul(g.Const(-0.5), Beta(g, t)), g.Square(g.Sqrt(Beta(g, t)))), time);
            Relative(-ReferenceExpm1(-bigB), vp, "VP");
            var (_, subVp) = Evaluate((g, t) =>
            {
                var integral = g.Add(g.Mul(g.Hyper("b0"), t), g.Mul(g.Mul(g.Const(0.5), g.Sub(g.Hyper("b1"), g.Hyper("b0"))), g.Square(t)));
                return (g.Mul(g.Const(-0.5), Beta(g, t)), g.Mul(Beta(g, t), g.Sub(g.Const(1), g.Exp(g.Mul(g.Const(-2), integral)))));
            }, time);
            Relative(Math.Pow(ReferenceExpm1(-bigB), 2), subVp, "sub-VP");
            var (_, ve) = Evaluate((g, t) =>
            {
                var logRatio = g.Log(g.Div(g.Hyper("s1"), g.Hyper("s0")));
                var gt = g.Mul(g.Mul(g.Hyper("s0"), g.Exp(g.Mul(t, logRatio))), g.Sqrt(g.Mul(g.Const(2), logRatio)));
                return (g.Const(0), g.Square(gt));
            }, time);
            Relative(0.01 * 0.01 * ReferenceExpm1(2 * time * Math.Log(50 / 0.01)), ve, "VE");
            var (_, ou) = Evaluate((g, t) => (g.Neg(g.Hyper("theta")), g.Square(g.Hyper("sig"))), time);
            Relative(-1.3 * 1.3 / (2 * 0.7) * ReferenceExpm1(-2 * 0.7 * time), ou, "Ornstein–Uhlenbeck");
        }
    }
}
