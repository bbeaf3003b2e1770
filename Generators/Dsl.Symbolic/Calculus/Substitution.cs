using System;
using System.Collections.Generic;
using Dsl.Symbolic.Ir;

namespace Dsl.Symbolic.Calculus
{
    /// <summary>
    /// f[x := v]: rebuilds an expression with one leaf replaced by another expression of the same shape, through the graph's
    /// own constructors (so the result is simplified and hash-consed like any other expression). Nodes that do not reach x
    /// are shared unchanged.
    /// </summary>
    public static class Substitution
    {
        /// <summary>f with every occurrence of <paramref name="x"/> replaced by <paramref name="value"/>.</summary>
        public static Node Replace(Graph g, Node f, Node x, Node value)
        {
            if (!x.Shape.Equals(value.Shape))
                throw new ShapeException("a substitution must keep the shape: " + x + " is " + x.Shape + " but the value is " + value.Shape);
            var map = new Dictionary<Node, Node>();
            foreach (var n in Topology.Order(new[] { f }))
            {
                if (n == x) { map[n] = value; continue; }
                bool changed = false;
                foreach (var a in n.Args)
                    if (map.TryGetValue(a, out var mapped) && mapped != a) { changed = true; break; }
                map[n] = changed ? Rebuild(g, n, map) : n;
            }
            return map[f];
        }

        private static Node Rebuild(Graph g, Node n, Dictionary<Node, Node> map)
        {
            Node A() => map[n.A];
            Node B() => map[n.B];
            switch (n.Op)
            {
                case Op.Neg: return g.Neg(A());
                case Op.Add: return g.Add(A(), B());
                case Op.Sub: return g.Sub(A(), B());
                case Op.Mul: return g.Mul(A(), B());
                case Op.Div: return g.Div(A(), B());
                case Op.SumLast: return g.SumLast(A());
                case Op.SumRows: return g.SumRows(A());
                case Op.LogSumExp: return g.LogSumExp(A());
                case Op.MatVec: return g.MatVec(A(), B());
                case Op.MatMul: return g.MatMul(A(), B());
                case Op.Transpose: return g.Transpose(A());
                case Op.Diagonal: return g.Diagonal(A());
                case Op.LogDet: return g.LogDet(A());
                case Op.Inverse: return g.Inverse(A());
                case Op.Solve: return g.Solve(A(), B());
                case Op.Unsqueeze: return g.Unsqueeze(A());
                case Op.Broadcast: return g.Fit(A(), n.Shape);
                case Op.Neighbors: return g.Neighbors(A(), B());
                case Op.WhereGt: return g.WhereGt(A(), B(), map[n.Args[2]], map[n.Args[3]]);
                case Op.Roll: return g.Roll(A(), B(), (int)n.Args[2].Value, (int)n.Args[3].Value);
                default:
                    if (Ops.OpTable.Get(n.Op).IsElementwiseUnary) return g.Unary(n.Op, A(), n.Value);
                    throw new ArgumentException("no substitution rule for " + n.Op);
            }
        }
    }
}
