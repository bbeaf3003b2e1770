using System.Collections.Generic;
using System.Linq;
using Dsl.Symbolic.Ir;

namespace Dsl.Symbolic.Calculus
{
    /// <summary>
    /// Polynomial structure of an energy in one of its inputs: the degree, the self-couplings ∂²E/∂xᵢ² of a quadratic, and
    /// the separable-quadratic split ∂E/∂x = a ⊙ x + b. These decide what can be derived for discrete units: for an energy of
    /// degree ≤ 2 in the units, flipping unit i by δᵢ changes the energy by exactly δᵢ·∂E/∂xᵢ + ½δᵢ²·∂²E/∂xᵢ², so the local
    /// fields and the Hessian diagonal give every single-unit conditional.
    /// </summary>
    public static class Polynomial
    {
        /// <summary>The degree returned for anything that is not a polynomial in the input.</summary>
        public const int NotPolynomial = int.MaxValue;

        /// <summary>The polynomial degree of <paramref name="f"/> in <paramref name="x"/> (0 when f does not reach x), or <see cref="NotPolynomial"/>.</summary>
        public static int Degree(Node f, Node x)
        {
            var degree = new Dictionary<Node, int>();
            foreach (var n in Topology.Order(new[] { f }))
                degree[n] = DegreeOf(n, x, degree);
            return degree[f];
        }

        private static int DegreeOf(Node n, Node x, Dictionary<Node, int> d)
        {
            if (n == x) return 1;
            if (n.Args.Count == 0) return 0;
            int Of(Node a) => d[a];
            static int Plus(int a, int b) => a == NotPolynomial || b == NotPolynomial ? NotPolynomial : a + b;
            switch (n.Op)
            {
                case Op.Neg: case Op.SumLast: case Op.SumRows: case Op.Transpose: case Op.Diagonal:
                case Op.Unsqueeze: case Op.Broadcast: case Op.Neighbors: case Op.Roll:
                    return Of(n.A);
                case Op.Add: case Op.Sub:
                    return System.Math.Max(Of(n.A), Of(n.B));
                case Op.Mul: case Op.MatVec: case Op.MatMul:
                    return Plus(Of(n.A), Of(n.B));
                case Op.Div:
                    return Of(n.B) == 0 ? Of(n.A) : NotPolynomial;
                case Op.Solve:                                                  // A⁻¹ b: linear in b for an A free of x
                    return Of(n.A) == 0 ? Of(n.B) : NotPolynomial;
                case Op.Square:
                    return Plus(Of(n.A), Of(n.A));
                case Op.Pow:
                    {
                        int a = Of(n.A);
                        if (a == 0) return 0;
                        return n.Value >= 0 && n.Value == System.Math.Floor(n.Value) && n.Value <= 64 && a != NotPolynomial ? a * (int)n.Value : NotPolynomial;
                    }
                default:
                    return n.Args.All(a => Of(a) == 0) ? 0 : NotPolynomial;
            }
        }

        /// <summary>
        /// The self-couplings dᵢ = ∂²E/∂xᵢ² of an energy of degree ≤ 2 in <paramref name="x"/>, as an expression that does not
        /// depend on x (fitted to x's shape). Null when the energy's form hides the Hessian diagonal from these rules: a
        /// non-diagonal Jacobian pushed through a matrix, a product of two x-dependent factors inside the gradient, or an
        /// operation without a rule.
        /// </summary>
        public static Node? SelfCouplings(Graph g, Node energy, Node x)
        {
            int degree = Degree(energy, x);
            if (degree > 2) return null;
            var gradient = Gradient.Of(g, energy, x);
            var memo = new Dictionary<Node, Jacobian?>();
            var jacobian = JacobianOf(g, gradient, x, memo);
            return jacobian == null ? null : g.Fit(jacobian.Diagonal, x.Shape);
        }

        /// <summary>The diagonal of an affine vector expression's Jacobian, and whether that Jacobian is diagonal.</summary>
        private sealed class Jacobian
        {
            public Jacobian(Node diagonal, bool diagonalOnly) { Diagonal = diagonal; DiagonalOnly = diagonalOnly; }
            public Node Diagonal { get; }
            public bool DiagonalOnly { get; }
        }

        // For a scalar node the "diagonal" is its gradient row: broadcast to a vector, uᵢ = s gives ∂uᵢ/∂xᵢ = (∇s)ᵢ.
        private static Jacobian? JacobianOf(Graph g, Node n, Node x, Dictionary<Node, Jacobian?> memo)
        {
            if (memo.TryGetValue(n, out var known)) return known;
            var result = Compute(g, n, x, memo);
            memo[n] = result;
            return result;
        }

        private static bool Reaches(Node n, Node x) => n == x || (n.DependsOnInput && Topology.Order(new[] { n }).Contains(x));

        private static Jacobian? Compute(Graph g, Node n, Node x, Dictionary<Node, Jacobian?> memo)
        {
            var zero = g.Const(0);
            if (n == x) return new Jacobian(g.Const(1), true);
            if (!Reaches(n, x)) return new Jacobian(zero, true);
            if (n.Shape.Rank == 0)
            {
                if (Degree(n, x) > 1) return null;
                return new Jacobian(Gradient.Of(g, n, x), false);
            }
            Jacobian? J(Node a) => JacobianOf(g, a, x, memo);
            switch (n.Op)
            {
                case Op.Neg:
                    {
                        var a = J(n.A);
                        return a == null ? null : new Jacobian(g.Neg(a.Diagonal), a.DiagonalOnly);
                    }
                case Op.Add:
                case Op.Sub:
                    {
                        var a = J(n.A);
                        var b = J(n.B);
                        if (a == null || b == null) return null;
                        return new Jacobian(n.Op == Op.Add ? g.Add(a.Diagonal, b.Diagonal) : g.Sub(a.Diagonal, b.Diagonal), a.DiagonalOnly && b.DiagonalOnly);
                    }
                case Op.Mul:
                    {
                        bool aFree = !Reaches(n.A, x), bFree = !Reaches(n.B, x);
                        if (aFree == bFree) return null;
                        var free = aFree ? n.A : n.B;
                        var j = J(aFree ? n.B : n.A);
                        return j == null ? null : new Jacobian(g.Mul(free, j.Diagonal), j.DiagonalOnly);
                    }
                case Op.Div:
                    {
                        if (Reaches(n.B, x)) return null;
                        var a = J(n.A);
                        return a == null ? null : new Jacobian(g.Div(a.Diagonal, n.B), a.DiagonalOnly);
                    }
                case Op.Broadcast:
                    {
                        var a = J(n.A);
                        return a == null ? null : new Jacobian(a.Diagonal, a.DiagonalOnly && n.A.Shape.Rank > 0);
                    }
                case Op.MatVec:
                    {
                        // (W u)ᵢ = Σₖ Wᵢₖ uₖ with ∂uₖ/∂xᵢ = dₖδₖᵢ: the diagonal is Wᵢᵢ dᵢ.
                        if (Reaches(n.A, x) || n.A.Shape.Rank != 2 || n.A.Shape.Dims[0] != n.A.Shape.Dims[1]) return null;
                        var u = J(n.B);
                        if (u == null || !u.DiagonalOnly) return null;
                        return new Jacobian(g.Mul(g.Diagonal(n.A), u.Diagonal), false);
                    }
                case Op.Solve:
                    {
                        // (A⁻¹ u)ᵢ with ∂uₖ/∂xᵢ = dₖδₖᵢ: the diagonal is (A⁻¹)ᵢᵢ dᵢ.
                        if (Reaches(n.A, x)) return null;
                        var u = J(n.B);
                        if (u == null || !u.DiagonalOnly) return null;
                        return new Jacobian(g.Mul(g.Diagonal(g.Inverse(n.A)), u.Diagonal), false);
                    }
                case Op.Neighbors:
                    {
                        // Σ_{j~i} uⱼ with a diagonal ∂u/∂x never reaches xᵢ itself: on a periodic lattice with L ≥ 2, j ~ i means j ≠ i.
                        var u = J(n.A);
                        if (u == null || !u.DiagonalOnly) return null;
                        return new Jacobian(zero, false);
                    }
                case Op.Roll:
                    {
                        // A non-zero shift moves every site (Lattice.Roll refuses shifts that are multiples of L), so with a
                        // diagonal ∂u/∂x no output site depends on its own input.
                        var u = J(n.A);
                        if (u == null || !u.DiagonalOnly) return null;
                        return new Jacobian(zero, false);
                    }
                default:
                    return null;
            }
        }

        /// <summary>
        /// Splits a vector field that is separable and affine in <paramref name="x"/>, f = a ⊙ x + b with a and b free of x (they
        /// may depend on other inputs). Null when f couples coordinates of x or is not affine.
        /// </summary>
        public static (Node Coefficient, Node Offset)? SeparableAffine(Graph g, Node f, Node x)
        {
            if (f == x) return (g.Const(1), g.Const(0));
            if (!Reaches(f, x)) return (g.Const(0), f);
            switch (f.Op)
            {
                case Op.Neg:
                    {
                        var a = SeparableAffine(g, f.A, x);
                        return a == null ? null : (g.Neg(a.Value.Coefficient), g.Neg(a.Value.Offset));
                    }
                case Op.Add:
                case Op.Sub:
                    {
                        var a = SeparableAffine(g, f.A, x);
                        var b = SeparableAffine(g, f.B, x);
                        if (a == null || b == null) return null;
                        return f.Op == Op.Add
                            ? (g.Add(a.Value.Coefficient, b.Value.Coefficient), g.Add(a.Value.Offset, b.Value.Offset))
                            : (g.Sub(a.Value.Coefficient, b.Value.Coefficient), g.Sub(a.Value.Offset, b.Value.Offset));
                    }
                case Op.Mul:
                    {
                        bool aFree = !Reaches(f.A, x), bFree = !Reaches(f.B, x);
                        if (aFree == bFree) return null;
                        var free = aFree ? f.A : f.B;
                        var inner = SeparableAffine(g, aFree ? f.B : f.A, x);
                        return inner == null ? null : (g.Mul(free, inner.Value.Coefficient), g.Mul(free, inner.Value.Offset));
                    }
                case Op.Div:
                    {
                        if (Reaches(f.B, x)) return null;
                        var inner = SeparableAffine(g, f.A, x);
                        return inner == null ? null : (g.Div(inner.Value.Coefficient, f.B), g.Div(inner.Value.Offset, f.B));
                    }
                case Op.Broadcast when f.A.Shape.Rank > 0:
                    return SeparableAffine(g, f.A, x);
                default:
                    return null;
            }
        }
    }
}
