using System;
using System.Collections.Generic;
using Dsl.Symbolic.Ir;

namespace Dsl.Symbolic.Calculus
{
    /// <summary>
    /// Reverse-mode differentiation on the DAG: ∇ₓf for a scalar f. Adjoints have exactly the shape of their
    /// node; where an operand was broadcast, its adjoint is summed back (unbroadcast). Only nodes that depend
    /// on x get adjoints. Because the graph interns nodes, the gradient shares every subexpression it can
    /// with f (e.g. the softmax weights under a LogSumExp reuse the LogSumExp node).
    /// </summary>
    public static class Gradient
    {
        /// <summary>∇ₓ f: an expression with the shape of <paramref name="x"/>.</summary>
        public static Node Of(Graph g, Node f, Node x)
        {
            if (f.Shape.Rank != 0) throw new ShapeException("the gradient needs a Scalar function, got " + f.Shape);
            var order = Topology.Order(new[] { f });
            var adjoint = new Dictionary<Node, Node> { [f] = g.Const(1) };
            for (int i = order.Count - 1; i >= 0; i--)
            {
                var n = order[i];
                if (!adjoint.TryGetValue(n, out var bar) || !n.DependsOnInput) continue;
                bar = g.Fit(bar, n.Shape);
                foreach (var (operand, contribution) in Pullback(g, n, bar))
                {
                    if (!operand.DependsOnInput) continue;
                    var c = Unbroadcast(g, contribution, operand.Shape);
                    adjoint[operand] = adjoint.TryGetValue(operand, out var prev) ? g.Add(prev, c) : c;
                }
            }
            return adjoint.TryGetValue(x, out var result) ? g.Fit(result, x.Shape) : g.Fit(g.Const(0), x.Shape);
        }

        /// <summary>The adjoint contributions of node <paramref name="n"/> with adjoint <paramref name="bar"/> to its operands.</summary>
        private static IEnumerable<(Node, Node)> Pullback(Graph g, Node n, Node bar)
        {
            switch (n.Op)
            {
                case Op.Neighbors:
                    yield return (n.A, g.Neighbors(bar, n.B));   // the periodic neighbour sum is symmetric: its adjoint is itself
                    yield break;
                case Op.Roll:
                    yield return (n.A, g.Roll(bar, n.B, -(int)n.Args[2].Value, -(int)n.Args[3].Value));   // a shift's adjoint is the opposite shift
                    yield break;
                case Op.Input:
                case Op.Condition:
                case Op.Param:
                case Op.Hyper:
                case Op.Const:
                case Op.DimSize:
                    yield break;
                case Op.Add:
                    yield return (n.A, bar);
                    yield return (n.B, bar);
                    yield break;
                case Op.Sub:
                    yield return (n.A, bar);
                    yield return (n.B, g.Neg(bar));
                    yield break;
                case Op.Mul:
                    yield return (n.A, g.Mul(bar, n.B));
                    yield return (n.B, g.Mul(bar, n.A));
                    yield break;
                case Op.Div:
                    yield return (n.A, g.Div(bar, n.B));
                    if (n.B.DependsOnInput) yield return (n.B, g.Neg(g.Div(g.Mul(bar, n), n.B))); // −ḡ·(a/b)/b
                    yield break;
                case Op.Neg:
                    yield return (n.A, g.Neg(bar));
                    yield break;
                case Op.SumLast:
                    yield return (n.A, g.Broadcast(n.A.Shape.Rank == 1 ? bar : g.Unsqueeze(bar), n.A.Shape));
                    yield break;
                case Op.SumRows:
                    yield return (n.A, g.Broadcast(bar, n.A.Shape));
                    yield break;
                case Op.LogSumExp:
                    {
                        // ∂/∂uₖ log Σ exp u = softmax(u)ₖ = exp(uₖ − LSE(u)), sharing the LSE node.
                        var lse = n.A.Shape.Rank == 1 ? n : g.Unsqueeze(n);
                        var weights = g.Exp(g.Sub(n.A, lse));
                        yield return (n.A, g.Mul(n.A.Shape.Rank == 1 ? bar : g.Unsqueeze(bar), weights));
                        yield break;
                    }
                case Op.MatVec:
                    yield return (n.B, g.SumRows(g.Mul(g.Unsqueeze(bar), n.A)));  // Wᵀ ḡ = Σₖ ḡₖ Wₖ (a GEMM when W is a parameter)
                    if (n.A.DependsOnInput) yield return (n.A, g.Mul(g.Unsqueeze(bar), n.B)); // ḡ vᵀ
                    yield break;
                case Op.MatMul:
                    yield return (n.A, g.MatMul(bar, g.Transpose(n.B)));
                    yield return (n.B, g.MatMul(g.Transpose(n.A), bar));
                    yield break;
                case Op.LogDet:
                    // d log|det A| = tr(A⁻¹ dA): Ā = ḡ A⁻ᵀ.
                    yield return (n.A, g.Mul(bar, g.Transpose(g.Inverse(n.A))));
                    yield break;
                case Op.Inverse:
                    {
                        // B = A⁻¹, dB = −B dA B: Ā = −Bᵀ B̄ Bᵀ.
                        var bt = g.Transpose(n);
                        yield return (n.A, g.Neg(g.MatMul(g.MatMul(bt, bar), bt)));
                        yield break;
                    }
                case Op.Solve:
                    {
                        // x = A⁻¹ b: b̄ = A⁻ᵀ x̄ (a solve with Aᵀ), Ā = −b̄ xᵀ.
                        var bBar = g.Solve(g.Transpose(n.A), bar);
                        yield return (n.B, bBar);
                        if (n.A.DependsOnInput) yield return (n.A, g.Neg(g.Mul(g.Unsqueeze(bBar), n)));
                        yield break;
                    }
                case Op.Transpose:
                    yield return (n.A, g.Transpose(bar));
                    yield break;
                case Op.Unsqueeze:
                    yield return (n.A, g.SumLast(bar));
                    yield break;
                case Op.Broadcast:
                    yield return (n.A, bar);
                    yield break;
                case Op.Diagonal:
                    throw new NotSupportedException("the gradient through a Diagonal is not supported");
                case Op.WhereGt:
                    {
                        // ∂/∂a = [l > r], ∂/∂b = [l ≤ r] (the adjoint routed to the selected branch); l and r select, a piecewise
                        // constant: a zero derivative off the tie, refused through an x-dependent comparison without [Subgradient].
                        if (Derivatives.Refuses(g, n)) throw new NonDifferentiableException(Ops.OpTable.Get(n.Op).DisplayName);
                        var zero = g.Const(0);
                        Node l = n.Args[0], r = n.Args[1];
                        yield return (n.Args[2], g.WhereGt(l, r, bar, zero));
                        yield return (n.Args[3], g.WhereGt(l, r, zero, bar));
                        yield break;
                    }
                default:
                    if (Derivatives.Refuses(g, n.Op))
                        throw new NonDifferentiableException(n.Op.ToString());
                    yield return (n.A, g.Mul(bar, Derivatives.First(g, n)));
                    yield break;
            }
        }

        /// <summary>Sums an adjoint over the axes along which its operand was broadcast.</summary>
        public static Node Unbroadcast(Graph g, Node bar, Shape target)
        {
            while (bar.Shape.Rank > target.Rank)
                bar = bar.Shape.Rank == 2 ? g.SumRows(bar) : g.SumLast(bar);
            if (target.Rank >= 1 && target.Last == Shape.One && bar.Shape.Last != Shape.One)
                bar = g.Unsqueeze(g.SumLast(bar));
            if (target.Rank == 2 && target.Dims[0] == Shape.One && bar.Shape.Dims[0] != Shape.One)
                throw new NotSupportedException("unbroadcasting over a leading singleton axis is not supported");
            return bar;
        }
    }

    /// <summary>A score was asked of an expression through a non-differentiable operation.</summary>
    public sealed class NonDifferentiableException : Exception
    {
        /// <summary>Creates the exception naming the operation.</summary>
        public NonDifferentiableException(string operation) : base(operation) { Operation = operation; }

        /// <summary>The operation's name.</summary>
        public string Operation { get; }
    }
}
