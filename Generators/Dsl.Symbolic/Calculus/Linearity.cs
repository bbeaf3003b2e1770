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
