using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.Symbolic.Ir;

namespace Dsl.Symbolic.Tests
{
    /// <summary>The lecture energies built directly in the IR, with random parameter values.</summary>
    public sealed record EnergyCase(string Name, Func<Graph, Node, Node> Build, Dictionary<string, int> Sizes, Func<Random, Dictionary<string, DenseValue>> Parameters);

    public static class Energies
    {
        static DenseValue Rand(Random r, double scale, params int[] dims)
        {
            int n = dims.Aggregate(1, (p, d) => p * d);
            return new DenseValue(dims, Enumerable.Range(0, n).Select(_ => scale * (2 * r.NextDouble() - 1)).ToArray());
        }

        static DenseValue Positive(Random r, params int[] dims)
        {
            int n = dims.Aggregate(1, (p, d) => p * d);
            return new DenseValue(dims, Enumerable.Range(0, n).Select(_ => 0.5 + r.NextDouble()).ToArray());
        }

        public static IEnumerable<EnergyCase> All()
        {
            // E = ‖x − μ‖² / (2σ²)
            yield return new EnergyCase("IsotropicGaussian",
                (g, x) => g.Div(g.SumLast(g.Square(g.Sub(x, g.Param("Mu", "D")))), g.Mul(g.Mul(g.Const(2), g.Param("Sigma")), g.Param("Sigma"))),
                new() { ["D"] = 3 }, r => new() { ["Mu"] = Rand(r, 1, 3), ["Sigma"] = Positive(r) });
            // E = ½ (x − μ)ᵀ P (x − μ)
            yield return new EnergyCase("FullCovarianceGaussian",
                (g, x) => { var d = g.Sub(x, g.Param("Mu", "D")); return g.Mul(g.Const(0.5), g.SumLast(g.Mul(d, g.MatVec(g.Param("P", "D", "D"), d)))); },
                new() { ["D"] = 3 }, r => new() { ["Mu"] = Rand(r, 1, 3), ["P"] = Rand(r, 1, 3, 3) });
            // E = λᵀx
            yield return new EnergyCase("Exponential",
                (g, x) => g.SumLast(g.Mul(g.Param("Lambda", "D"), x)),
                new() { ["D"] = 4 }, r => new() { ["Lambda"] = Positive(r, 4) });
            // E = −log Σₖ exp(log wₖ − ‖x − μₖ‖²/(2σ²))
            yield return new EnergyCase("GaussianMixture",
                (g, x) =>
                {
                    var sigma = g.Param("Sigma");
                    var d2 = g.SumLast(g.Square(g.Sub(x, g.Param("Mu", "K", "D"))));
                    return g.Neg(g.LogSumExp(g.Sub(g.Param("LogW", "K"), g.Div(d2, g.Mul(g.Mul(g.Const(2), sigma), sigma)))));
                },
                new() { ["D"] = 2, ["K"] = 3 }, r => new() { ["Mu"] = Rand(r, 2, 3, 2), ["LogW"] = Rand(r, 1, 3), ["Sigma"] = Positive(r) });
            // E = Σₖ αₖ log(1 + (wₖᵀx)²)
            yield return new EnergyCase("ProductOfStudentT",
                (g, x) => g.SumLast(g.Mul(g.Param("Alpha", "K"), g.Log(g.Add(g.Const(1), g.Square(g.MatVec(g.Param("W", "K", "D"), x)))))),
                new() { ["D"] = 3, ["K"] = 4 }, r => new() { ["Alpha"] = Positive(r, 4), ["W"] = Rand(r, 1, 4, 3) });
            // E = w₂ᵀ tanh(W₁x + b₁)
            yield return new EnergyCase("MlpEnergy",
                (g, x) => g.SumLast(g.Mul(g.Param("W2", "H"), g.Unary(Op.Tanh, g.Add(g.MatVec(g.Param("W1", "H", "D"), x), g.Param("B1", "H"))))),
                new() { ["D"] = 3, ["H"] = 5 }, r => new() { ["W1"] = Rand(r, 1, 5, 3), ["B1"] = Rand(r, 1, 5), ["W2"] = Rand(r, 1, 5) });
            // Every elementwise rule at once: Σ softplus(x)·sigmoid(x) + exp(−‖x‖²)·√(1+x²) + (1+x²)^1.5 / (2 + x₀-ish)
            yield return new EnergyCase("ElementwiseZoo",
                (g, x) =>
                {
                    var one = g.Const(1);
                    var q = g.Add(one, g.Square(x));
                    var a = g.SumLast(g.Mul(g.Unary(Op.Softplus, x), g.Unary(Op.Sigmoid, x)));
                    var b = g.Mul(g.Exp(g.Neg(g.SumLast(g.Square(x)))), g.SumLast(g.Sqrt(q)));
                    var c = g.SumLast(g.Div(g.Pow(q, 1.5), g.Add(g.Const(2), g.Unary(Op.Tanh, x))));
                    var d = g.Div(g.Log(g.SumLast(q)), g.SumLast(q));
                    return g.Add(g.Add(a, b), g.Add(c, d));
                },
                new() { ["D"] = 3 }, r => new());
            // A quotient of two x-dependent scalars times a vector-valued term (Mul of scalar and vector jets).
            yield return new EnergyCase("ScalarTimesVector",
                (g, x) =>
                {
                    var s = g.Div(g.SumLast(g.Mul(g.Param("A", "D"), x)), g.Add(g.Const(2), g.SumLast(g.Square(x))));
                    return g.SumLast(g.Mul(s, g.Unary(Op.Tanh, g.Sub(x, g.Param("A", "D")))));
                },
                new() { ["D"] = 3 }, r => new() { ["A"] = Rand(r, 1, 3) });
        }
    }
}
