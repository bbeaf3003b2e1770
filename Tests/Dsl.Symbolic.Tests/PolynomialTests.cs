using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.Symbolic.Calculus;
using Dsl.Symbolic.Ir;

namespace Dsl.Symbolic.Tests
{
    /// <summary>
    /// Degrees, self-couplings and separable-quadratic splits against the float64 evaluator: for a quadratic the second
    /// difference E(x + eᵢ) + E(x − eᵢ) − 2E(x) is exactly ∂²E/∂xᵢ², so it is an oracle with no step-size error.
    /// </summary>
    public class PolynomialTests
    {
        const int D = 4;

        static DenseValue Rand(Random r, params int[] dims)
        {
            int n = dims.Aggregate(1, (p, d) => p * d);
            return new DenseValue(dims, Enumerable.Range(0, n).Select(_ => 2 * r.NextDouble() - 1).ToArray());
        }

        static Evaluator Values(int seed) => new Evaluator(
            new Dictionary<string, DenseValue> { ["W"] = Rand(new Random(seed), D, D), ["B"] = Rand(new Random(seed + 1), D), ["C"] = Rand(new Random(seed + 2), D) },
            new Dictionary<string, double> { ["S"] = 0.7 }, new Dictionary<string, int> { ["D"] = D, ["L"] = 2 });

        /// <summary>Quadratic energies whose self-couplings the rules must find.</summary>
        public static IEnumerable<object[]> Quadratics() => new[] { "hopfield", "square-of-sum", "weighted-squares", "lattice", "linear" }.Select(n => new object[] { n });

        static Node Build(string name, Graph g, Node x)
        {
            var w = g.Param("W", "D", "D");
            var b = g.Param("B", "D");
            var c = g.Param("C", "D");
            switch (name)
            {
                case "hopfield": return g.Sub(g.Mul(g.Const(-0.5), g.SumLast(g.Mul(x, g.MatVec(w, x)))), g.SumLast(g.Mul(b, x)));   // −½xᵀWx − bᵀx
                case "square-of-sum": return g.Square(g.SumLast(g.Mul(c, x)));                                                   // (cᵀx)²: dense Jacobian
                case "weighted-squares": return g.Div(g.SumLast(g.Mul(c, g.Square(g.Sub(x, b)))), g.Hyper("S"));                 // Σ cᵢ(xᵢ − bᵢ)²/s
                case "lattice": return g.Mul(g.Const(-0.5), g.SumLast(g.Mul(x, g.Neighbors(x, g.Const(2)))));                    // periodic 2×2
                default: return g.SumLast(g.Mul(b, x));
            }
        }

        [Theory]
        [MemberData(nameof(Quadratics))]
        public void Self_couplings_equal_exact_second_differences(string name)
        {
            var g = new Graph();
            var x = g.Input("D");
            var e = Build(name, g, x);
            Assert.True(Polynomial.Degree(e, x) <= 2);
            var d = Polynomial.SelfCouplings(g, e, x);
            Assert.NotNull(d);
            for (int seed = 0; seed < 3; seed++)
            {
                var ev = Values(10 * seed);
                var point = Enumerable.Range(0, D).Select(i => Math.Sin(seed + 3.0 * i)).ToArray();
                var analytic = ev.Evaluate(d!, point).Data;
                for (int i = 0; i < D; i++)
                {
                    var plus = (double[])point.Clone(); plus[i] += 1;
                    var minus = (double[])point.Clone(); minus[i] -= 1;
                    double exact = ev.Evaluate(e, plus).Scalar + ev.Evaluate(e, minus).Scalar - 2 * ev.Evaluate(e, point).Scalar;
                    Assert.True(Math.Abs(exact - analytic[i]) < 1e-12, $"{name} seed {seed}: ∂²E/∂x{i}² = {exact}, rules gave {analytic[i]}");
                }
            }
        }

        [Fact]
        public void Rolled_lattice_couplings_have_the_opposite_shift_as_adjoint_and_no_self_coupling()
        {
            var g = new Graph();
            var x = g.Input("D");
            var side = g.Const(3);
            // E = −Σ cᵢ xᵢ x_{i→} − 0.3 Σ xᵢ x_{i↓↓}  on a periodic 3×3 lattice (D = 9).
            var e = g.Sub(g.Neg(g.SumLast(g.Mul(g.Mul(g.Param("C", "D"), x), g.Roll(x, side, 0, 1)))),
                g.Mul(g.Const(0.3), g.SumLast(g.Mul(x, g.Roll(g.Roll(x, side, 1, 0), side, 1, 0)))));
            var ev = new Evaluator(new Dictionary<string, DenseValue> { ["C"] = Rand(new Random(4), 9) }, new Dictionary<string, double>(), new Dictionary<string, int> { ["D"] = 9 });
            var point = Enumerable.Range(0, 9).Select(i => Math.Cos(1.7 * i)).ToArray();
            var grad = ev.Evaluate(Gradient.Of(g, e, x), point).Data;
            for (int i = 0; i < 9; i++)
            {
                double fd = FiniteDifference.Partial(p => ev.Evaluate(e, p).Scalar, point, i);
                Assert.True(Math.Abs(fd - grad[i]) < 1e-7, $"∂E/∂x{i}: {grad[i]} vs finite difference {fd}");
            }
            var d = Polynomial.SelfCouplings(g, e, x);
            Assert.NotNull(d);
            Assert.All(ev.Evaluate(d!, point).Data, di => Assert.Equal(0.0, di));
        }

        [Fact]
        public void Degrees_of_the_usual_forms()
        {
            var g = new Graph();
            var x = g.Input("D");
            var w = g.Param("W", "D", "D");
            Assert.Equal(0, Polynomial.Degree(g.SumLast(g.Param("B", "D")), x));
            Assert.Equal(1, Polynomial.Degree(g.SumLast(x), x));
            Assert.Equal(2, Polynomial.Degree(g.SumLast(g.Mul(x, g.MatVec(w, x))), x));
            Assert.Equal(3, Polynomial.Degree(g.SumLast(g.Mul(g.Mul(x, x), g.MatVec(w, x))), x));
            Assert.Equal(4, Polynomial.Degree(g.Pow(g.SumLast(x), 4), x));
            Assert.Equal(Polynomial.NotPolynomial, Polynomial.Degree(g.SumLast(g.Exp(x)), x));
            Assert.Equal(Polynomial.NotPolynomial, Polynomial.Degree(g.Div(g.Const(1), g.SumLast(x)), x));
        }

        [Fact]
        public void A_coupling_through_two_matrices_is_refused_rather_than_guessed()
        {
            var g = new Graph();
            var x = g.Input("D");
            var e = g.SumLast(g.Mul(x, g.MatVec(g.Param("W", "D", "D"), g.MatVec(g.Param("V", "D", "D"), x))));
            Assert.Equal(2, Polynomial.Degree(e, x));
            Assert.Null(Polynomial.SelfCouplings(g, e, x));
        }

        [Fact]
        public void Separable_affine_split_of_a_gaussian_visible_block()
        {
            var g = new Graph();
            var v = g.Input("D");
            var h = g.Input("H", "h");
            // E = ‖v − b‖²/(2s²) − vᵀWh/s: ∂E/∂v = v/s² − b/s² − Wh/s.
            var s = g.Hyper("S");
            var e = g.Sub(g.Div(g.SumLast(g.Square(g.Sub(v, g.Param("B", "D")))), g.Mul(g.Const(2), g.Square(s))),
                g.Div(g.SumLast(g.Mul(v, g.MatVec(g.Param("W", "D", "H"), h))), s));
            var split = Polynomial.SeparableAffine(g, Gradient.Of(g, e, v), v);
            Assert.NotNull(split);
            var ev = new Evaluator(new Dictionary<string, DenseValue> { ["B"] = Rand(new Random(1), D), ["W"] = Rand(new Random(2), D, 3) },
                new Dictionary<string, double> { ["S"] = 0.7 }, new Dictionary<string, int> { ["D"] = D, ["H"] = 3 });
            var point = new double[] { 0.3, -1.2, 0.8, 2.0 };
            var a = ev.Evaluate(g.Fit(split!.Value.Coefficient, v.Shape), point).Data;
            Assert.All(a, ai => Assert.Equal(1 / (0.7 * 0.7), ai, 12));
            var coupled = g.SumLast(g.Mul(v, g.MatVec(g.Param("A", "D", "D"), v)));
            Assert.Null(Polynomial.SeparableAffine(g, Gradient.Of(g, coupled, v), v));
        }
    }
}
