using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.Symbolic.Calculus;
using Dsl.Symbolic.Ir;

namespace Dsl.Symbolic.Tests
{
    /// <summary>
    /// The select WhereGt(l, r, a, b) = l &gt; r ? a : b: its folding, when the calculus refuses it (an x-dependent comparison without
    /// Subgradients) and when not, and its gradient and Laplacian against central differences away from the ties.
    /// </summary>
    public class SelectTests
    {
        [Fact]
        public void Folds_literal_comparisons_equal_branches_and_self_comparisons()
        {
            var g = new Graph();
            var x = g.Input("D");
            var y = g.Square(x);
            Assert.Same(y, g.WhereGt(g.Const(2), g.Const(1), y, x));                  // 2 > 1: a
            Assert.Same(x, g.WhereGt(g.Const(double.NaN), g.Const(1), y, x));         // NaN > 1 is false: b
            Assert.Same(y, g.WhereGt(x, g.Const(0), y, y));                           // equal branches
            Assert.Same(x, g.WhereGt(y, y, y, x));                                    // l > l is never true: b
            Assert.Equal(1.0, g.WhereGt(g.Const(1), g.Const(-1e20), g.Const(1), g.Const(-1e20)).Value);   // Max(1, −1e20) exactly
            Assert.Throws<ShapeException>(() => g.WhereGt(x, g.Param("c", "K"), x, x));
        }

        [Fact]
        public void An_x_dependent_comparison_is_refused_without_subgradients_and_a_parameter_comparison_is_not()
        {
            var g = new Graph();
            var x = g.Input("D");
            var w = g.Param("w", "D");
            Assert.Throws<NonDifferentiableException>(() => Gradient.Of(g, g.SumLast(g.WhereGt(x, w, g.Square(x), x)), x));
            Assert.Throws<NonDifferentiableException>(() => Laplacian.Of(g, g.SumLast(g.WhereGt(x, w, g.Square(x), x)), x));
            var smooth = g.SumLast(g.WhereGt(w, g.Const(0), g.Square(x), g.Exp(x)));
            var grad = Gradient.Of(g, smooth, x);                                        // the select of 2x and eˣ
            var ev = new Evaluator(new Dictionary<string, DenseValue> { ["w"] = new DenseValue(new[] { 3 }, new[] { 0.5, -0.5, 0.0 }) },
                new Dictionary<string, double>(), new Dictionary<string, int> { ["D"] = 3 });
            var point = new[] { 0.7, 0.7, 0.7 };
            Assert.Equal(new[] { 1.4, Math.Exp(0.7), Math.Exp(0.7) }, ev.Evaluate(grad, point).Data);   // w = 0 is a tie: b
        }

        [Fact]
        public void Gradient_and_laplacian_match_central_differences_away_from_ties()
        {
            var g = new Graph { Subgradients = true };
            var x = g.Input("D");
            var w = g.Param("w", "D");
            var s = g.Mul(g.Const(0.3), g.SumLast(x));
            // Max(x², 3 sin x) + Min(eˣ⁄², w) + Where(x > s, x³, cos x) + Where(Σx > 0, ‖x‖², Σx)
            var e = g.Add(g.Add(g.SumLast(g.WhereGt(g.Square(x), g.Mul(g.Const(3), g.Unary(Op.Sin, x)), g.Square(x), g.Mul(g.Const(3), g.Unary(Op.Sin, x)))),
                                g.SumLast(g.WhereGt(w, g.Exp(g.Mul(g.Const(0.5), x)), g.Exp(g.Mul(g.Const(0.5), x)), w))),
                          g.Add(g.SumLast(g.WhereGt(x, s, g.Pow(x, 3), g.Unary(Op.Cos, x))),
                                g.WhereGt(g.SumLast(x), g.Const(0), g.SumLast(g.Square(x)), g.SumLast(x))));
            var grad = Gradient.Of(g, e, x);
            var lap = Laplacian.Of(g, e, x);
            var sizes = new Dictionary<string, int> { ["D"] = 4 };
            for (int seed = 0; seed < 8; seed++)
            {
                var r = new Random(300 + seed);
                var parameters = new Dictionary<string, DenseValue> { ["w"] = new DenseValue(new[] { 4 }, Enumerable.Range(0, 4).Select(_ => 2 * r.NextDouble()).ToArray()) };
                var ev = new Evaluator(parameters, new Dictionary<string, double>(), sizes);
                var point = Enumerable.Range(0, 4).Select(_ => 3 * r.NextDouble() - 1.5).ToArray();
                var analytic = ev.Evaluate(grad, point).Data;
                for (int i = 0; i < point.Length; i++)
                {
                    double fd = FiniteDifference.Partial(p => ev.Evaluate(e, p).Scalar, point, i);
                    Assert.True(Math.Abs(fd - analytic[i]) <= 1e-6 * (1 + Math.Abs(fd)), $"seed {seed} ∂/∂x{i}: analytic {analytic[i]} vs finite difference {fd}");
                }
                double trace = FiniteDifference.Trace(p => ev.Evaluate(grad, p).Data, point);
                double laplacian = ev.Evaluate(lap, point).Scalar;
                Assert.True(Math.Abs(trace - laplacian) <= 1e-6 * (1 + Math.Abs(trace)), $"seed {seed}: Laplacian {laplacian} vs finite-difference trace {trace}");
            }
        }
    }
}
