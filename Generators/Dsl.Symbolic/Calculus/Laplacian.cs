using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.Symbolic.Ir;

namespace Dsl.Symbolic.Calculus
{
    /// <summary>
    /// The exact Laplacian ΔE = tr ∇²E of a scalar energy by the forward-Laplacian rules
    /// (Li et al. 2024; shared/notes/exact-divergence.md): every node carries its Jacobian with respect to x
    /// and its Laplacian, and the Jacobian is kept *structured* so that nothing D×D-sized is ever formed
    /// unless the expression really needs it.
    ///
    /// A Jacobian is a sum of terms, each J[s, j] =
    ///   Diag:  c[s]·δ(s_last, j)        (x itself, and anything elementwise in x), or
    ///   Dense: c[s]·G[p(s), j]          with G of shape P×D, P trailing-aligned with s.
    /// The rules: Δφ(u) = φ''(u)‖∇u‖² + φ'(u)Δu;  Δ(uv) = uΔv + vΔu + 2∇u·∇v;  Δ(Wu) = WΔu;
    /// Δ log Σ eᵘ = Σₖ rₖ(Δuₖ + ‖∇uₖ‖²) − ‖Σₖ rₖ∇uₖ‖² with r = softmax(u).
    /// The inner products ⟨Jᵤ, Jᵥ⟩ over j contract term by term: Diag·Diag = c₁c₂, Dense·Dense =
    /// c₁c₂ Σⱼ G₁G₂ (for a linear layer ‖Wₖ‖², a parameter-only row norm computed once per call).
    /// When a rule would need a rank-3 Jacobian the derivation stops with <see cref="LaplacianUnsupportedException"/>.
    /// </summary>
    public static class Laplacian
    {
        /// <summary>ΔE for a scalar <paramref name="energy"/> as an expression (Scalar, batched).</summary>
        public static Node Of(Graph g, Node energy, Node x)
        {
            if (energy.Shape.Rank != 0) throw new ShapeException("the Laplacian needs a Scalar function, got " + energy.Shape);
            var jets = new Dictionary<Node, Jet>();
            foreach (var n in Topology.Order(new[] { energy }))
                jets[n] = JetOf(g, n, x, jets);
            return g.Fit(jets[energy].Lap, Shape.Of(true));
        }

        private sealed class Term
        {
            public Term(Node coef, Node? dense) { Coef = coef; Dense = dense; }
            public Node Coef { get; }
            public Node? Dense { get; }
            public bool IsDiag => Dense == null;
        }

        private sealed class Jet
        {
            public Jet(IReadOnlyList<Term> terms, Node lap) { Terms = terms; Lap = lap; }
            public IReadOnlyList<Term> Terms { get; }
            public Node Lap { get; }
        }

        private static Jet JetOf(Graph g, Node n, Node x, Dictionary<Node, Jet> jets)
        {
            var zero = g.Const(0);
            if (n == x) return new Jet(new[] { new Term(g.Const(1), null) }, zero);
            if (!n.DependsOnInput) return new Jet(Array.Empty<Term>(), zero);
            switch (n.Op)
            {
                case Op.Add:
                case Op.Sub:
                    {
                        var a = jets[n.A];
                        var b = jets[n.B];
                        var bTerms = n.Op == Op.Add ? b.Terms : Scale(g, b.Terms, g.Const(-1));
                        var lap = n.Op == Op.Add ? g.Add(a.Lap, b.Lap) : g.Sub(a.Lap, b.Lap);
                        return new Jet(Merge(g, a.Terms.Concat(bTerms)), lap);
                    }
                case Op.Neg:
                    {
                        var a = jets[n.A];
                        return new Jet(Scale(g, a.Terms, g.Const(-1)), g.Neg(a.Lap));
                    }
                case Op.Mul:
                    return Product(g, n.A, jets[n.A], n.B, jets[n.B], n.Shape);
                case Op.Div:
                    {
                        var a = jets[n.A];
                        var b = jets[n.B];
                        if (b.Terms.Count == 0)
                        {
                            var inv = g.Recip(n.B);
                            return new Jet(Scale(g, a.Terms, inv), g.Div(a.Lap, n.B));
                        }
                        var recip = g.Recip(n.B);
                        var recipJet = Elementwise(g, recip, b, n.Shape);
                        return Product(g, n.A, a, recip, recipJet, n.Shape);
                    }
                case Op.SumLast:
                    {
                        var a = jets[n.A];
                        return new Jet(Merge(g, a.Terms.Select(t => SumLastTerm(g, t, n.A.Shape))), SumOver(g, a.Lap, n.A.Shape, rows: false));
                    }
                case Op.SumRows:
                    {
                        var a = jets[n.A];
                        var terms = a.Terms.Select(t => new Term(SumRowsCoef(g, t.Coef, n.A.Shape), t.Dense));
                        return new Jet(Merge(g, terms), SumOver(g, a.Lap, n.A.Shape, rows: true));
                    }
                case Op.LogSumExp:
                    {
                        var u = n.A;
                        var a = jets[u];
                        var weights = g.Exp(g.Sub(u, u.Shape.Rank == 1 ? n : g.Unsqueeze(n)));
                        var terms = Merge(g, Scale(g, a.Terms, weights).Select(t => SumLastTerm(g, t, u.Shape)));
                        var inner = g.Mul(weights, g.Add(a.Lap, InnerSelf(g, a.Terms)));
                        var lap = g.Sub(SumOver(g, inner, u.Shape, rows: false), InnerSelf(g, terms));
                        return new Jet(terms, lap);
                    }
                case Op.MatVec:
                    {
                        if (jets[n.A].Terms.Count > 0) throw new LaplacianUnsupportedException("a matrix–vector product whose matrix depends on x");
                        return LinearMap(g, n.A, n.B, jets[n.B]);
                    }
                case Op.Solve:
                    {
                        // A⁻¹ b with A free of x is the linear map W = A⁻¹ applied to b: MatVec's rule with W = Inverse(A), which does not
                        // depend on x and is computed once per call (Δ(A⁻¹b) = A⁻¹Δb). An x-dependent A has no rank-2 Jacobian here.
                        if (jets[n.A].Terms.Count > 0) throw new LaplacianUnsupportedException("a Solve whose matrix depends on x");
                        return LinearMap(g, g.Inverse(n.A), n.B, jets[n.B]);
                    }
                case Op.LogDet:
                case Op.Inverse:
                    throw new LaplacianUnsupportedException("the operation " + n.Op + " of a matrix that depends on x");
                case Op.Broadcast:
                    {
                        var a = jets[n.A];
                        if (n.A.Shape.Rank > 0 && n.A.Shape.Last != n.Shape.Last)
                            throw new LaplacianUnsupportedException("a broadcast along the last axis of an x-dependent value");
                        return a;
                    }
                case Op.WhereGt:
                    {
                        // Off the tie the select is one branch or the other: its Jacobian is [l > r]·J(a) + [l ≤ r]·J(b) and its Laplacian
                        // the select of the branches' Laplacians (l, r: a piecewise constant selector, derivative 0).
                        if (Derivatives.Refuses(g, n)) throw new NonDifferentiableException(Ops.OpTable.Get(n.Op).DisplayName);
                        Node l = n.Args[0], r = n.Args[1], one = g.Const(1), none = g.Const(0);
                        var a = jets[n.Args[2]];
                        var b = jets[n.Args[3]];
                        var terms = Merge(g, Scale(g, a.Terms, g.WhereGt(l, r, one, none)).Concat(Scale(g, b.Terms, g.WhereGt(l, r, none, one))));
                        return new Jet(terms, g.WhereGt(l, r, a.Lap, b.Lap));
                    }
                default:
                    if (Derivatives.Refuses(g, n.Op)) throw new NonDifferentiableException(n.Op.ToString());
                    if (Ops.OpTable.Get(n.Op).IsElementwiseUnary && Derivatives.HasRules(n.Op)) return Elementwise(g, n, jets[n.A], n.Shape);
                    throw new LaplacianUnsupportedException("the operation " + n.Op + " on an x-dependent value");
            }
        }

        /// <summary>W v for a W free of x: J = W Jᵥ term by term, Δ(Wv) = WΔv.</summary>
        private static Jet LinearMap(Graph g, Node w, Node v, Jet a)
        {
            var terms = a.Terms.Select(t =>
                t.IsDiag ? new Term(g.Const(1), g.Mul(w, t.Coef))                                // W diag(c)
                : t.Dense!.Shape.Rank == 1 ? new Term(g.MatVec(w, g.Fit(t.Coef, v.Shape.WithBatched(t.Coef.Shape.Batched))), t.Dense) // (W c) ⊗ g
                : new Term(g.Const(1), g.MatMul(g.Mul(w, t.Coef), t.Dense)));                  // W diag(c) G
            var lap = a.Lap.IsConstValue(0) ? (Node)g.Const(0) : g.MatVec(w, g.Fit(a.Lap, v.Shape.WithBatched(a.Lap.Shape.Batched)));
            return new Jet(Merge(g, terms), lap);
        }

        /// <summary>n = φ(u): J = φ'(u)·Jᵤ, Δn = φ''(u)‖Jᵤ‖² + φ'(u)Δu.</summary>
        private static Jet Elementwise(Graph g, Node n, Jet u, Shape shape)
        {
            if (u.Terms.Count == 0) return new Jet(u.Terms, g.Const(0));
            var d1 = Derivatives.First(g, n);
            var d2 = Derivatives.Second(g, n, d1);
            var lap = g.Add(g.Mul(d2, InnerSelf(g, u.Terms)), g.Mul(d1, u.Lap));
            return new Jet(Scale(g, u.Terms, d1), lap);
        }

        /// <summary>n = a·b: J = b·Jₐ + a·J_b, Δn = aΔb + bΔa + 2⟨Jₐ, J_b⟩.</summary>
        private static Jet Product(Graph g, Node a, Jet ja, Node b, Jet jb, Shape shape)
        {
            var terms = Merge(g, Scale(g, ja.Terms, b).Concat(Scale(g, jb.Terms, a)));
            var lap = g.Add(g.Add(g.Mul(a, jb.Lap), g.Mul(b, ja.Lap)), g.Mul(g.Const(2), Inner(g, ja.Terms, jb.Terms)));
            return new Jet(terms, lap);
        }

        /// <summary>Σ over the last axis of a Jacobian term of a value of shape <paramref name="s"/>.</summary>
        private static Term SumLastTerm(Graph g, Term t, Shape s)
        {
            var c = t.Coef;
            if (t.IsDiag)
                return new Term(g.Const(1), g.Fit(c, s.WithBatched(c.Shape.Batched)));          // Σ_d c[d] δ(d, j) = c[j]
            var dense = t.Dense!;
            bool constantAlongLast = c.Shape.Rank == 0 || (c.Op == Op.Unsqueeze && c.Shape.Rank == s.Rank);
            if (constantAlongLast)
            {
                var outer = c.Shape.Rank == 0 ? c : c.A;
                return dense.Shape.Rank == 1
                    ? new Term(g.Mul(outer, g.DimSize(s.Last)), dense)                              // Σ_d c·g = |d|·c·g
                    : new Term(outer, g.SumRows(dense));                                             // Σ_l c·G[l] = c·Σ_l G[l]
            }
            if (dense.Shape.Rank == 1)
                return new Term(SumOver(g, c, s, rows: false), dense);                               // (Σ_l c[l]) g
            if (c.Shape.Last != dense.Shape.Dims[0])
                throw new LaplacianUnsupportedException("a Jacobian whose rows do not align with the summed axis");
            return c.Shape.Rank == 1
                ? new Term(g.Const(1), g.SumRows(g.Mul(g.Unsqueeze(c), dense)))                      // Gᵀc = Σₗ c[l] G[l]
                : new Term(g.Const(1), g.MatMul(c, dense));                                          // C G
        }

        private static Node SumRowsCoef(Graph g, Node c, Shape s) =>
            c.Shape.Rank == 2 ? g.SumRows(c) : g.Mul(c, g.DimSize(s.Dims[0]));

        /// <summary>Σ of a value broadcastable to <paramref name="s"/> over its last axis (or its rows).</summary>
        private static Node SumOver(Graph g, Node v, Shape s, bool rows)
        {
            if (v.IsConstValue(0)) return g.Const(0);
            var full = g.Fit(v, s.WithBatched(v.Shape.Batched));
            return rows ? g.SumRows(full) : g.SumLast(full);
        }

        private static IReadOnlyList<Term> Scale(Graph g, IReadOnlyList<Term> terms, Node w) =>
            terms.Select(t => new Term(g.Mul(t.Coef, w), t.Dense)).Where(t => !t.Coef.IsConstValue(0)).ToList();

        /// <summary>Adds the coefficients of terms with the same structure, in first-seen order.</summary>
        private static IReadOnlyList<Term> Merge(Graph g, IEnumerable<Term> terms)
        {
            var merged = new List<Term>();
            foreach (var t in terms)
            {
                int i = merged.FindIndex(m => m.Dense == t.Dense);
                if (i < 0) merged.Add(t);
                else merged[i] = new Term(g.Add(merged[i].Coef, t.Coef), t.Dense);
            }
            return merged.Where(t => !t.Coef.IsConstValue(0)).ToList();
        }

        private static Node InnerSelf(Graph g, IReadOnlyList<Term> terms)
        {
            Node sum = g.Const(0);
            for (int i = 0; i < terms.Count; i++)
            {
                sum = g.Add(sum, InnerTerm(g, terms[i], terms[i]));
                for (int j = i + 1; j < terms.Count; j++)
                    sum = g.Add(sum, g.Mul(g.Const(2), InnerTerm(g, terms[i], terms[j])));
            }
            return sum;
        }

        private static Node Inner(Graph g, IReadOnlyList<Term> a, IReadOnlyList<Term> b)
        {
            Node sum = g.Const(0);
            foreach (var s in a)
                foreach (var t in b)
                    sum = g.Add(sum, InnerTerm(g, s, t));
            return sum;
        }

        /// <summary>Σⱼ J₁[s, j] J₂[s, j] for two terms.</summary>
        private static Node InnerTerm(Graph g, Term s, Term t)
        {
            var coef = g.Mul(s.Coef, t.Coef);
            if (s.IsDiag && t.IsDiag) return coef;
            if (!s.IsDiag && !t.IsDiag) return g.Mul(coef, g.SumLast(g.Mul(s.Dense!, t.Dense!)));
            var dense = s.IsDiag ? t.Dense! : s.Dense!;
            if (dense.Shape.Rank == 1) return g.Mul(coef, dense);           // g aligned with the last axis
            return g.Mul(coef, g.Diagonal(dense));                          // G[d, d]
        }
    }

    /// <summary>The exact Laplacian cannot be derived in closed form for this expression; the message says why.</summary>
    public sealed class LaplacianUnsupportedException : Exception
    {
        /// <summary>Creates the exception.</summary>
        public LaplacianUnsupportedException(string reason) : base(reason) { }
    }
}
