using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.Symbolic.Calculus;
using Dsl.Symbolic.Ir;

namespace Dsl.Symbolic.Tests
{
    /// <summary>
    /// Size expressions, and slices, indices, Concat and Block as selector compositions: values against plain indexing, gradient
    /// and Laplacian against central differences, shape errors naming both shapes.
    /// </summary>
    public class StructuredStateTests
    {
        [Theory]
        [InlineData("D*2", "2*D")]
        [InlineData("D+D", "2*D")]
        [InlineData("1+K+D-1", "D+K")]
        [InlineData("3", "3")]
        [InlineData("D-D", "0")]
        [InlineData("-D+2", "-D+2")]
        public void Size_expressions_have_one_canonical_form(string text, string canonical) =>
            Assert.Equal(canonical, SizeExpr.Canonical(text));

        [Fact]
        public void Size_arithmetic_and_code()
        {
            Assert.Equal("D", SizeExpr.Sub("2*D", "D"));
            Assert.Equal("2*D+1", SizeExpr.Add("D", "D+1"));
            Assert.Equal(4L, SizeExpr.Constant(SizeExpr.Sub("D+4", "D")));
            Assert.Null(SizeExpr.Constant("D"));
            Assert.Equal(new[] { "D", "K" }, SizeExpr.Symbols("K+2*D-1"));
            Assert.Equal(9L, SizeExpr.Evaluate("2*D+K-1", s => s == "D" ? 3 : 4));
            Assert.Equal("(2L * size_D - 1L)", SizeExpr.ToCode("2*D-1", s => "size_" + s));
            Assert.Equal("size_D", SizeExpr.ToCode("D", s => "size_" + s));
            Assert.Equal("(2L * size_D)", SizeExpr.ToCode("2*D", s => "size_" + s));
            Assert.Equal("(-size_D)", SizeExpr.ToCode("-D", s => "size_" + s));
            Assert.True(SizeExpr.ProvablyAtMost("D", "2*D"));
            Assert.False(SizeExpr.ProvablyAtMost("K", "D"));
            Assert.Throws<ShapeException>(() => SizeExpr.Canonical("D*K"));
            Assert.Throws<ShapeException>(() => SizeExpr.Canonical("D/2"));
        }

        private static readonly Dictionary<string, int> Sizes = new() { ["D"] = 3 };

        private static Evaluator Ev() => new Evaluator(new Dictionary<string, DenseValue>(), new Dictionary<string, double>(), Sizes);

        [Fact]
        public void Slices_indices_and_concat_pick_the_entries_they_name()
        {
            var g = new Graph();
            var u = g.Input("2*D");
            var point = new[] { 1.0, 2.0, 3.0, 4.0, 5.0, 6.0 };
            Assert.Equal(new[] { 4.0, 5.0, 6.0 }, Ev().Evaluate(g.Slice(u, "D", "D"), point).Data);
            Assert.Equal(new[] { 2.0, 3.0 }, Ev().Evaluate(g.Slice(u, "1", "2"), point).Data);
            Assert.Equal(6.0, Ev().Evaluate(g.Index(u, "2*D-1"), point).Scalar);
            var c = g.Concat(new[] { g.Slice(u, "D", "D"), g.Index(u, "0"), g.Const(7) });
            Assert.Equal("D+2", c.Shape.Last);
            Assert.Equal(new[] { 4.0, 5.0, 6.0, 1.0, 7.0 }, Ev().Evaluate(c, point).Data);
            Assert.Same(u, g.Slice(u, "0", "2*D"));                                   // the whole Vec is itself
            Assert.Equal(new[] { 1.0, 0, 0, 0, 1, 0, 0, 0, 1 }, Ev().Evaluate(g.Eye("D"), point).Data);
        }

        [Fact]
        public void Block_places_its_four_blocks()
        {
            var g = new Graph();
            var a = g.Eye("2");
            var b = g.Broadcast(g.Const(2), Shape.Of(false, "2", "1"));
            var c = g.Broadcast(g.Const(3), Shape.Of(false, "1", "2"));
            var d = g.Broadcast(g.Const(4), Shape.Of(false, "1", "1"));
            var m = g.Block(a, b, c, d);
            Assert.Equal(new[] { "3", "3" }, m.Shape.Dims);
            Assert.Equal(new[] { 1.0, 0, 2, 0, 1, 2, 3, 3, 4 }, Ev().Evaluate(m, new double[3]).Data);
            var e = Assert.Throws<ShapeException>(() => g.Block(a, b, b, d));
            Assert.Contains("Mat[2,2]", e.Message);
            Assert.Contains("Mat[2,1]", e.Message);
        }

        [Fact]
        public void Out_of_range_slices_name_both_shapes()
        {
            var g = new Graph();
            var u = g.Input("2*D");
            var past = Assert.Throws<ShapeException>(() => g.Slice(u, "D", "D+1"));
            Assert.Contains("Vec[2*D]", past.Message);
            Assert.Contains("past the end", past.Message);
            Assert.Throws<ShapeException>(() => g.Slice(u, "2", "0"));
            Assert.Throws<ShapeException>(() => g.Index(u, "2*D"));
            var mismatch = Assert.Throws<ShapeException>(() => g.Add(g.Slice(u, "0", "2"), g.Slice(u, "0", "D")));
            Assert.Contains("Vec[2]", mismatch.Message);
            Assert.Contains("Vec[D]", mismatch.Message);
        }

        [Fact]
        public void Gradient_and_laplacian_of_a_phase_space_energy_match_central_differences()
        {
            // E(u) = Σ log(1 + q²)·p₀ + ½‖p‖² + tanh(u₀)·u_{2D−1}, q = u[..D], p = u[D..]: slices, indices and a Concat in one energy.
            var g = new Graph();
            var u = g.Input("2*D");
            var q = g.Slice(u, "0", "D");
            var p = g.Slice(u, "D", "D");
            var z = g.Concat(new[] { g.Unary(Op.Log1p, g.Square(q)), g.Unary(Op.Tanh, g.Index(u, "0")) });
            var w = g.Concat(new[] { g.Broadcast(g.Index(p, "0"), Shape.Of(true, "D")), g.Index(u, "2*D-1") });
            var e = g.Add(g.SumLast(g.Mul(z, w)), g.Mul(g.Const(0.5), g.SumLast(g.Square(p))));
            var grad = Gradient.Of(g, e, u);
            var lap = Laplacian.Of(g, e, u);
            var ev = Ev();
            var r = new Random(4);
            for (int trial = 0; trial < 5; trial++)
            {
                var point = Enumerable.Range(0, 6).Select(_ => 2 * r.NextDouble() - 1).ToArray();
                var analytic = ev.Evaluate(grad, point).Data;
                for (int i = 0; i < point.Length; i++)
                {
                    double fd = FiniteDifference.Partial(x => ev.Evaluate(e, x).Scalar, point, i);
                    Assert.True(Math.Abs(fd - analytic[i]) <= 1e-6 * (1 + Math.Abs(fd)), $"∂/∂u{i}: {analytic[i]} vs {fd}");
                }
                double trace = FiniteDifference.Trace(x => ev.Evaluate(grad, x).Data, point);
                double l = ev.Evaluate(lap, point).Scalar;
                Assert.True(Math.Abs(trace - l) <= 1e-6 * (1 + Math.Abs(trace)), $"Laplacian {l} vs {trace}");
            }
        }
    }
}
