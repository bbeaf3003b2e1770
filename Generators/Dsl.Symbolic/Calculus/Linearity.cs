using Dsl.Symbolic.Ir;

namespace Dsl.Symbolic.Calculus
{
    /// <summary>Recognises a vector field of the form a·x with a scalar a that does not depend on x.</summary>
    public static class Linearity
    {
        /// <summary>
        /// The scalar a with <paramref name="f"/> = a·<paramref name="x"/> (a may depend on conditions such as t), or null
        /// when f is not of that form (an offset b(t), a matrix, a non-linearity).
        /// </summary>
        public static Node? IsotropicCoefficient(Graph g, Node f, Node x)
        {
            if (!f.DependsOnInput) return f.IsConstValue(0) ? g.Const(0) : null;
            if (f == x) return g.Const(1);
            switch (f.Op)
            {
                case Op.Neg:
                    {
                        var a = IsotropicCoefficient(g, f.A, x);
                        return a == null ? null : g.Neg(a);
                    }
                case Op.Add:
                case Op.Sub:
                    {
                        var a = IsotropicCoefficient(g, f.A, x);
                        var b = IsotropicCoefficient(g, f.B, x);
                        if (a == null || b == null) return null;
                        return f.Op == Op.Add ? g.Add(a, b) : g.Sub(a, b);
                    }
                case Op.Mul:
                    {
                        if (!f.A.DependsOnInput && f.A.Shape.Rank == 0) { var b = IsotropicCoefficient(g, f.B, x); return b == null ? null : g.Mul(f.A, b); }
                        if (!f.B.DependsOnInput && f.B.Shape.Rank == 0) { var a = IsotropicCoefficient(g, f.A, x); return a == null ? null : g.Mul(a, f.B); }
                        return null;
                    }
                case Op.Div:
                    {
                        if (f.B.DependsOnInput || f.B.Shape.Rank != 0) return null;
                        var a = IsotropicCoefficient(g, f.A, x);
                        return a == null ? null : g.Div(a, f.B);
                    }
                default:
                    return null;
            }
        }
    }
}

namespace Dsl.Symbolic.Calculus
{
    /// <summary>
    /// A drift linear in x split as F(t)x = a(t)·x + d(t) ⊙ x + M(t)x: <see cref="Scalar"/> a (rank 0), <see cref="Diagonal"/>
    /// d (a Vec) and <see cref="Matrix"/> M (a Mat), each null when absent (all null: f = 0). None of them depends on x.
    /// </summary>
    public sealed class LinearDrift
    {
        /// <summary>Creates the parts.</summary>
        public LinearDrift(Node? scalar, Node? diagonal, Node? matrix) { Scalar = scalar; Diagonal = diagonal; Matrix = matrix; }

        /// <summary>a(t), the multiple of the identity.</summary>
        public Node? Scalar { get; }
        /// <summary>d(t), the per-coordinate part diag(d).</summary>
        public Node? Diagonal { get; }
        /// <summary>M(t), the matrix part.</summary>
        public Node? Matrix { get; }

        /// <summary>
        /// The parts of <paramref name="f"/> = F x, or null when f is not linear in <paramref name="x"/> in the recognised forms:
        /// sums and differences of c·x, v ⊙ x and MatVec(W, x) with c, v, W free of x (scaled by x-free scalars, a per-coordinate
        /// factor on the first two), negations, and division by an x-free scalar. An offset b(t) is not linear.
        /// </summary>
        public static LinearDrift? Of(Graph g, Node f, Node x) => Of(g, f, x, new System.Collections.Generic.Dictionary<Node, LinearDrift?>());

        // Memoised per node: a DAG with shared subexpressions is walked once, not once per path.
        private static LinearDrift? Of(Graph g, Node f, Node x, System.Collections.Generic.Dictionary<Node, LinearDrift?> seen)
        {
            if (seen.TryGetValue(f, out var known)) return known;
            var result = Parts(g, f, x, seen);
            seen[f] = result;
            return result;
        }

        private static LinearDrift? Parts(Graph g, Node f, Node x, System.Collections.Generic.Dictionary<Node, LinearDrift?> seen)
        {
            if (!f.DependsOnInput) return f.IsConstValue(0) || f.Op == Op.Broadcast && f.A.IsConstValue(0) ? new LinearDrift(null, null, null) : null;
            if (f == x) return new LinearDrift(g.Const(1), null, null);
            switch (f.Op)
            {
                case Op.Neg:
                    return Of(g, f.A, x, seen)?.Map(g.Neg);
                case Op.Broadcast:
                    return f.A.Shape.Rank == f.Shape.Rank ? Of(g, f.A, x, seen) : null;
                case Op.Add:
                case Op.Sub:
                    {
                        var a = Of(g, f.A, x, seen);
                        var b = Of(g, f.B, x, seen);
                        if (a == null || b == null) return null;
                        if (f.Op == Op.Sub) b = b.Map(g.Neg);
                        return new LinearDrift(Sum(g, a.Scalar, b.Scalar), Sum(g, a.Diagonal, b.Diagonal), Sum(g, a.Matrix, b.Matrix));
                    }
                case Op.Mul:
                    if (!f.A.DependsOnInput) return Scale(g, f.A, Of(g, f.B, x, seen));
                    if (!f.B.DependsOnInput) return Scale(g, f.B, Of(g, f.A, x, seen));
                    return null;
                case Op.Div:
                    if (f.B.DependsOnInput || f.B.Shape.Rank != 0) return null;
                    return Of(g, f.A, x, seen)?.Map(n => g.Div(n, f.B));
                case Op.MatVec:
                    {
                        if (f.A.DependsOnInput || f.A.Shape.Rank != 2) return null;
                        var inner = Of(g, f.B, x, seen);
                        if (inner == null || inner.Diagonal != null || inner.Matrix != null) return null;
                        return new LinearDrift(null, null, inner.Scalar == null ? null : g.Mul(inner.Scalar, f.A));
                    }
                default:
                    return null;
            }
        }

        private LinearDrift Map(System.Func<Node, Node> f) =>
            new LinearDrift(Scalar == null ? null : f(Scalar), Diagonal == null ? null : f(Diagonal), Matrix == null ? null : f(Matrix));

        private static Node? Sum(Graph g, Node? a, Node? b) => a == null ? b : b == null ? a : g.Add(a, b);

        private static LinearDrift? Scale(Graph g, Node c, LinearDrift? p)
        {
            if (p == null) return null;
            if (c.Shape.Rank == 0) return p.Map(n => g.Mul(c, n));
            if (c.Shape.Rank != 1 || p.Matrix != null) return null;
            // c ⊙ (a x + d ⊙ x) = (c a + c ⊙ d) ⊙ x
            return new LinearDrift(null, Sum(g, p.Scalar == null ? null : g.Mul(c, p.Scalar), p.Diagonal == null ? null : g.Mul(c, p.Diagonal)), null);
        }
    }
}
