using System;
using Dsl.Symbolic.Ir;
using Dsl.Symbolic.Ops;

namespace Dsl.Symbolic.Calculus
{
    /// <summary>First and second derivatives of the elementwise functions: the op table's rules, written as expressions that reuse the node itself.</summary>
    public static class Derivatives
    {
        /// <summary>True for functions whose derivative is undefined or zero almost everywhere (no score through them).</summary>
        public static bool IsNonDifferentiable(Op op) => OpTable.Get(op).NonDifferentiable;

        /// <summary>
        /// True when a derivative through <paramref name="op"/> is refused in <paramref name="g"/>: a non-differentiable function,
        /// unless it has a subgradient (Abs, Relu, WhereGt) and the graph allows subgradients (<see cref="Graph.Subgradients"/>).
        /// </summary>
        public static bool Refuses(Graph g, Op op) => IsNonDifferentiable(op) && !(g.Subgradients && OpTable.Get(op).Subgradient != null);

        /// <summary>True when the op table gives φ' and φ'' for <paramref name="op"/> (a differentiable elementwise function).</summary>
        /// <summary>
        /// True when differentiating <paramref name="n"/> in x must be refused: a non-differentiable function of x without
        /// [Subgradient]. The select WhereGt(l, r, a, b) is smooth in x wherever its comparison does not depend on x (a condition on σ, t
        /// or parameters only): then its derivative is the select of the branches' derivatives, with or without [Subgradient].
        /// </summary>
        public static bool Refuses(Graph g, Node n) => HasKink(n) && Refuses(g, n.Op);

        /// <summary>True when <paramref name="n"/> is a non-differentiable function whose kink or jump lies in x (DSL0008 or, with [Subgradient], DSL0030).</summary>
        public static bool HasKink(Node n) =>
            IsNonDifferentiable(n.Op) && (n.Op == Op.WhereGt ? n.Args[0].DependsOnInput || n.Args[1].DependsOnInput : n.DependsOnInput);

        public static bool HasRules(Op op) => OpTable.Get(op).FirstRule != null && OpTable.Get(op).SecondRule != null;

        /// <summary>φ'(u) for n = φ(u).</summary>
        public static Node First(Graph g, Node n) =>
            (OpTable.Get(n.Op).FirstRule ?? throw new NotSupportedException("no derivative rule for " + n.Op))(g, n);

        /// <summary>φ''(u) for n = φ(u), given φ'(u) as <paramref name="first"/>.</summary>
        public static Node Second(Graph g, Node n, Node first) =>
            (OpTable.Get(n.Op).SecondRule ?? throw new NotSupportedException("no second-derivative rule for " + n.Op))(g, n, first);
    }
}
