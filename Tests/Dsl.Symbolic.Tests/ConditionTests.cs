using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.Symbolic.Calculus;
using Dsl.Symbolic.Ir;

namespace Dsl.Symbolic.Tests
{
    /// <summary>
    /// A conditioning input σ (the noise level of a noise-conditional energy) is batched like x but constant for the
    /// calculus: gradients and Laplacians are in x at fixed σ, checked against finite differences in x.
    /// </summary>
    public class ConditionTests
    {
        private static DenseValue Rand(Random r, params int[] dims) =>
            new DenseValue(dims, Enumerable.Range(0, dims.Aggregate(1, (p, d) => p * d)).Select(_ => 2 * r.NextDouble() - 1).ToArray());

        /// <summary>The perturbed mixture E(x, σ) = −LSE(log w − ‖x − μₖ‖²/(2(s² + σ²))) + (D/2) log(s² + σ²).</summary>
        private static Node PerturbedMixture(Graph g, Node x, Node sigma)
        {
            var v = g.Add(g.Square(g.Param("S")), g.Square(sigma));
            var rows = g.SumLast(g.Square(g.Sub(x, g.Param("Mu", "K", "D"))));
            return g.Add(g.Neg(g.LogSumExp(g.Sub(g.Param("LogW", "K"), g.Div(rows, g.Mul(g.Const(2), v))))), g.Mul(g.Mul(g.Const(0.5), g.DimSize("D")), g.Log(v)));
        }

        /// <summary>A network with the noise level entering every unit: E = w₂ᵀ softplus(W₁x + b + c log σ) / σ.</summary>
        private static Node ConditionalMlp(Graph g, Node x, Node sigma) =>
            g.Div(g.SumLast(g.Mul(g.Param("W2", "H"), g.Unary(Op.Softplus, g.Add(g.Add(g.MatVec(g.Param("W1", "H", "D"), x), g.Param("B", "H")), g.Mul(g.Param("C", "H"), g.Log(sigma)))))), sigma);

        public static IEnumerable<object[]> Cases() => new[] { new object[] { "PerturbedMixture" }, new object[] { "ConditionalMlp" } };

        private static (Graph g, Node x, Node sigma, Node e, Evaluator ev) Setup(string name, int seed)
        {
            var g = new Graph();
            var x = g.Input("D");
            var sigma = g.Condition("sigma");
            var e = name == "PerturbedMixture" ? PerturbedMixture(g, x, sigma) : ConditionalMlp(g, x, sigma);
            var r = new Random(seed);
            var parameters = new Dictionary<string, DenseValue>
            {
                ["S"] = DenseValue.Of(0.5 + r.NextDouble()), ["Mu"] = Rand(r, 3, 3), ["LogW"] = Rand(r, 3),
                ["W1"] = Rand(r, 4, 3), ["B"] = Rand(r, 4), ["C"] = Rand(r, 4), ["W2"] = Rand(r, 4),
            };
            var ev = new Evaluator(parameters, new Dictionary<string, double>(), new Dictionary<string, int> { ["D"] = 3, ["K"] = 3, ["H"] = 4 });
            return (g, x, sigma, e, ev);
        }

        [Fact]
        public void The_lattice_neighbour_sum_differentiates_to_twice_itself()
        {
            // E = −½ Σᵢ xᵢ (Nx)ᵢ on a 3×3 periodic lattice: ∇E = −Nx (N symmetric), checked by finite differences.
            var g = new Graph();
            var x = g.Input("D");
            var e = g.Mul(g.Const(-0.5), g.SumLast(g.Mul(x, g.Neighbors(x, g.Const(3)))));
            var grad = Gradient.Of(g, e, x);
            var ev = new Evaluator(new Dictionary<string, DenseValue>(), new Dictionary<string, double>(), new Dictionary<string, int> { ["D"] = 9 });
            var r = new Random(4);
            var point = Enumerable.Range(0, 9).Select(_ => 2 * r.NextDouble() - 1).ToArray();
            var analytic = ev.Evaluate(grad, point).Data;
            for (int i = 0; i < 9; i++)
                Assert.Equal(FiniteDifference.Partial(p => ev.Evaluate(e, p).Scalar, point, i), analytic[i], 6);
        }

        [Fact]
        public void A_condition_is_batched_but_does_not_depend_on_x()
        {
            var g = new Graph();
            var sigma = g.Condition("sigma");
            Assert.True(sigma.Shape.Batched);
            Assert.False(sigma.DependsOnInput);
            Assert.False(g.Log(sigma).DependsOnInput);
            Assert.True(g.Mul(g.SumLast(g.Input("D")), sigma).DependsOnInput);
        }

        [Theory]
        [MemberData(nameof(Cases))]
        public void Gradient_and_Laplacian_in_x_match_finite_differences_at_fixed_sigma(string name)
        {
            for (int seed = 0; seed < 4; seed++)
            {
                var (g, x, _, e, ev) = Setup(name, seed);
                var grad = Gradient.Of(g, e, x);
                var lap = Laplacian.Of(g, e, x);
                var r = new Random(50 + seed);
                var point = Enumerable.Range(0, 3).Select(_ => 2 * r.NextDouble() - 1).ToArray();
                var conditions = new Dictionary<string, double> { ["sigma"] = 0.1 + 2 * r.NextDouble() };
                var analytic = ev.Evaluate(grad, point, conditions).Data;
                double laplacian = ev.Evaluate(lap, point, conditions).Scalar;
                for (int i = 0; i < 3; i++)
                {
                    double fd = FiniteDifference.Partial(p => ev.Evaluate(e, p, conditions).Scalar, point, i);
                    Assert.True(Math.Abs(fd - analytic[i]) <= 1e-6 * (1 + Math.Abs(fd)), $"{name} seed {seed} ∂/∂x{i}: {analytic[i]} vs {fd}");
                }
                double trace = FiniteDifference.Trace(p => ev.Evaluate(grad, p, conditions).Data, point);
                Assert.True(Math.Abs(trace - laplacian) <= 1e-6 * (1 + Math.Abs(trace)), $"{name} seed {seed}: Laplacian {laplacian} vs {trace}");
            }
        }
    }
}
