using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.Symbolic.Ir;

namespace Dsl.Symbolic.Calculus
{
    /// <summary>Thrown when a time integral has no closed form in the supported class; the caller falls back to quadrature.</summary>
    public sealed class IntegrationUnsupportedException : Exception
    {
        /// <summary>Creates the exception with the reason.</summary>
        public IntegrationUnsupportedException(string reason) : base(reason) { }
    }

    /// <summary>
    /// Closed-form time integrals for the perturbation kernel of a linear SDE dx = a(t)·x dt + g(t) dw:
    /// m(t) = exp(∫₀ᵗ a), v(t) = ∫₀ᵗ exp(2∫ₛᵗ a) g(s)² ds. Integrands are read as sums of q(s)·exp(p(s)) with
    /// polynomials q, p whose coefficients are time-free expressions (literals and hyperparameters). ∫ q e^p is
    /// r e^p when r' + p' r = q has a polynomial solution (solved from the top coefficient down); a polynomial p of
    /// degree 0 integrates q directly. That covers VE, VP with linear β, sub-VP, Brownian motion and Ornstein–Uhlenbeck.
    /// Coefficient identities are decided by evaluating at random hyperparameter values (a Schwartz–Zippel test),
    /// so a structurally different but equal coefficient (b₁/b₁, 2c − 2c) still counts as what it is.
    /// </summary>
    public static class TimeIntegral
    {
        /// <summary>The highest polynomial degree in t the closed form expands; above it the kernel is tabulated (DSL0015).</summary>
        public const int MaxDegree = 16;

        /// <summary>
        /// B(t) = ∫₀ᵗ b for a coefficient <paramref name="b"/> that is a polynomial in <paramref name="t"/> with time-free
        /// coefficients (the exponent of m(t) = exp(∫₀ᵗ a) above); throws <see cref="IntegrationUnsupportedException"/> otherwise.
        /// </summary>
        public static Node Integral(Graph g, Node b, Node t)
        {
            var algebra = new Algebra(g, t);
            var series = algebra.Convert(b);
            if (series.Any(term => term.P.Length > 1 || term.P.Length == 1 && !algebra.IsZero(term.P[0])))
                throw new IntegrationUnsupportedException("the coefficient b(t) is not a polynomial in t");
            var poly = algebra.Sum(series.Select(term => algebra.Scale(term.Q, term.P.Length == 1 ? g.Exp(term.P[0]) : g.Const(1))));
            return algebra.ToNode(algebra.Antiderivative(poly));
        }

        /// <summary>
        /// c with <paramref name="numerator"/> = c·<paramref name="denominator"/> for every t, when both are polynomials in
        /// <paramref name="t"/> with time-free coefficients (compared coefficient by coefficient, nᵢd_k − dᵢn_k = 0 by the same
        /// random-evaluation test as the integrals); null otherwise. So (2 + 2t)/(1 + t) = 2 although the nodes differ.
        /// </summary>
        public static Node? ConstantRatio(Graph g, Node numerator, Node denominator, Node t)
        {
            var algebra = new Algebra(g, t);
            try
            {
                Node[] Poly(Node n)
                {
                    var series = algebra.Convert(n);
                    if (series.Any(term => term.P.Length > 1 || term.P.Length == 1 && !algebra.IsZero(term.P[0])))
                        throw new IntegrationUnsupportedException("not a polynomial in t");
                    return algebra.Sum(series.Select(term => algebra.Scale(term.Q, term.P.Length == 1 ? g.Exp(term.P[0]) : g.Const(1))));
                }
                var num = Poly(numerator);
                var den = Poly(denominator);
                int k = Array.FindIndex(den, c => !algebra.IsZero(c));
                if (k < 0) return null;
                var nk = k < num.Length ? num[k] : g.Const(0);
                for (int i = 0; i < System.Math.Max(num.Length, den.Length); i++)
                {
                    var ni = i < num.Length ? num[i] : g.Const(0);
                    var di = i < den.Length ? den[i] : g.Const(0);
                    if (!algebra.IsZero(g.Sub(g.Mul(ni, den[k]), g.Mul(di, nk)))) return null;
                }
                return algebra.Canonical(g.Div(nk, den[k]));
            }
            catch (IntegrationUnsupportedException) { return null; }
            catch (GraphTooLargeException) { return null; }
        }

        /// <summary>(m(t), v(t)) for drift coefficient <paramref name="a"/> and squared diffusion <paramref name="g2"/>, both functions of <paramref name="t"/>.</summary>
        public static (Node Mean, Node Variance) Marginal(Graph g, Node a, Node g2, Node t)
        {
            var algebra = new Algebra(g, t);
            var aSeries = algebra.Convert(a);
            if (aSeries.Any(term => term.P.Length > 1 || term.P.Length == 1 && !algebra.IsZero(term.P[0])))
                throw new IntegrationUnsupportedException("the drift coefficient a(t) is not a polynomial in t");
            var aPoly = algebra.Sum(aSeries.Select(term => algebra.Scale(term.Q, term.P.Length == 1 ? g.Exp(term.P[0]) : g.Const(1))));
            var bigA = algebra.Antiderivative(aPoly);                                 // A(t) = ∫₀ᵗ a, A(0) = 0
            var mean = g.Exp(algebra.ToNode(bigA));
            // v(t) = Σ_terms e^{2A(t)} [r e^{p}]₀ᵗ with p = p_g² − 2A.
            var minus2A = algebra.Scale(bigA, g.Const(-2));
            var plus2A = algebra.Scale(bigA, g.Const(2));
            var pieces = new List<Node>();
            var terms = new List<Algebra.SeriesTerm>();                               // the same v(t) as Σ q e^p, for the factoring below
            foreach (var term in algebra.Convert(g2))
            {
                var p = algebra.Add(term.P, minus2A);
                var (r, constantExponent) = algebra.SolveExponentialIntegral(term.Q, p);
                if (constantExponent)
                {
                    // p has degree 0: ∫₀ᵗ q e^{p0} = e^{p0} Q(t); the e^{2A(t)} factor joins the exponent.
                    var exponent = algebra.Add(algebra.Truncate(p, 1), plus2A);
                    pieces.Add(algebra.Term(r, exponent));
                    terms.Add(new Algebra.SeriesTerm(r, exponent));
                }
                else
                {
                    var atT = algebra.Term(r, algebra.Add(p, plus2A));                 // r(t) e^{p(t) + 2A(t)}
                    var r0 = r.Length > 0 ? r[0] : g.Const(0);
                    var p0 = p.Length > 0 ? p[0] : g.Const(0);
                    var atZero = algebra.Term(new[] { g.Mul(r0, g.Exp(p0)) }, plus2A); // r(0) e^{p(0)} e^{2A(t)}
                    pieces.Add(g.Sub(atT, atZero));
                    terms.Add(new Algebra.SeriesTerm(r, algebra.Add(p, plus2A)));
                    terms.Add(new Algebra.SeriesTerm(new[] { g.Neg(g.Mul(r0, g.Exp(p0))) }, plus2A));
                }
            }
            var variance = pieces.Count == 0 ? g.Const(0) : pieces.Aggregate(g.Add);
            return (mean, algebra.FactorAtZero(terms) ?? variance);
        }

        /// <summary>The series algebra: polynomials as coefficient arrays (index = power of t), terms q·e^p.</summary>
        private sealed class Algebra
        {
            private readonly Graph g;
            private readonly Node t;
            private ulong state = 0x9E3779B97F4A7C15UL;   // a fixed SplitMix64 stream: deterministic, as generators must be

            public Algebra(Graph g, Node t) { this.g = g; this.t = t; }

            public sealed class SeriesTerm
            {
                public SeriesTerm(Node[] q, Node[] p) { Q = q; P = p; }
                public Node[] Q { get; }
                public Node[] P { get; }
            }

            private bool TimeFree(Node n) => !Topology.Order(new[] { n }).Contains(t);

            public List<SeriesTerm> Convert(Node n)
            {
                if (n.DependsOnInput) throw new IntegrationUnsupportedException("the coefficient depends on x");
                if (TimeFree(n)) return new List<SeriesTerm> { new SeriesTerm(new[] { n }, Array.Empty<Node>()) };
                switch (n.Op)
                {
                    case Op.Condition: return new List<SeriesTerm> { new SeriesTerm(new[] { g.Const(0), g.Const(1) }, Array.Empty<Node>()) };
                    case Op.Broadcast: return Convert(n.A);
                    case Op.Add: return Merge(Convert(n.A).Concat(Convert(n.B)));
                    case Op.Sub: return Merge(Convert(n.A).Concat(Negate(Convert(n.B))));
                    case Op.Neg: return Negate(Convert(n.A));
                    case Op.Mul: return Multiply(n.A, n.B);
                    case Op.Div:
                        if (!TimeFree(n.B)) throw new IntegrationUnsupportedException("a division by a function of t");
                        return Convert(n.A).Select(term => new SeriesTerm(Scale(term.Q, g.Recip(n.B)), term.P)).ToList();
                    case Op.Square:
                        if (n.A.Op == Op.Sqrt) return Convert(n.A.A);
                        return Multiply(n.A, n.A);
                    case Op.Pow:
                        if (n.Value == 2 && n.A.Op == Op.Sqrt) return Convert(n.A.A);
                        if (n.Value >= 0 && n.Value <= 8 && n.Value == System.Math.Floor(n.Value))
                        {
                            var result = new List<SeriesTerm> { new SeriesTerm(new[] { g.Const(1) }, Array.Empty<Node>()) };
                            for (int i = 0; i < (int)n.Value; i++) result = Product(result, Convert(n.A));
                            return result;
                        }
                        throw new IntegrationUnsupportedException("a non-integer power of t");
                    case Op.Exp:
                        {
                            var inner = Convert(n.A);
                            if (inner.Any(term => !IsPolynomial(term))) throw new IntegrationUnsupportedException("an exponential of a non-polynomial");
                            var p = Sum(inner.Select(term => term.Q));
                            return new List<SeriesTerm> { new SeriesTerm(new[] { g.Const(1) }, p) };
                        }
                    default:
                        throw new IntegrationUnsupportedException("the function " + n.Op + " of t");
                }
            }

            private List<SeriesTerm> Multiply(Node a, Node b)
            {
                if (a.Op == Op.Sqrt && a == b) return Convert(a.A);
                return Product(Convert(a), Convert(b));
            }

            private bool IsPolynomial(SeriesTerm term) => term.P.All(IsZero);

            /// <summary>
            /// v(t) = Σₖ cₖ e^{pₖ(t)} with time-free cₖ and exponents that are integer multiples nₖu of one polynomial u with
            /// u(0) = 0 is a Laurent polynomial P(y) in y = e^u. v(0) = 0 makes y = 1 a root; written as y^{n_min} (y − 1)^m Q(y)
            /// with y − 1 = expm1(u), it keeps its relative accuracy as t → 0, where the plain sum of exponentials cancels
            /// (sub-VP's 1 − 2e^{−B} + e^{−2B} = expm1(−B)² is about B² ≈ 1e-12 at t = 1e-5, with 1e-4 relative error as a sum;
            /// VP's 1 − e^{−B} = −expm1(−B); VE's σ²(e^{2t log r} − 1) = σ² expm1(2t log r)). Null when v is not of that form
            /// (a polynomial coefficient such as Brownian motion's σ²t, which has no cancellation) or y = 1 is not a root.
            /// </summary>
            public Node? FactorAtZero(List<SeriesTerm> terms)
            {
                // Constant parts of the exponents join the coefficients; equal exponents merge.
                var normalised = new List<SeriesTerm>();
                foreach (var term in terms)
                {
                    var q = Trim(term.Q);
                    if (q.Length == 0) continue;
                    if (q.Length > 1) return null;
                    var p = Trim(term.P);
                    var coefficient = p.Length > 0 && !IsZero(p[0]) ? g.Mul(q[0], g.Exp(p[0])) : q[0];
                    var shape = p.Length > 0 ? new[] { g.Const(0) }.Concat(p.Skip(1)).ToArray() : p;
                    normalised.Add(new SeriesTerm(new[] { coefficient }, shape));
                }
                var merged = Merge(normalised).Where(term => !IsZero(term.Q[0])).ToList();
                if (merged.Count < 2) return null;
                var reference = merged.Select(term => term.P).FirstOrDefault(p => p.Length > 0);
                if (reference == null) return null;
                int lead = reference.Length - 1;
                // nₖ = pₖ / u₀, a number; u = u₀ / d with the least d ≤ 4 that makes every nₖ d an integer.
                var ratios = new List<double>();
                foreach (var term in merged)
                {
                    var ratio = Canonical(g.Div(term.P.Length > lead ? term.P[lead] : g.Const(0), reference[lead]));
                    if (!ratio.IsConst || !SamePoly(term.P, Scale(reference, ratio))) return null;
                    ratios.Add(ratio.Value);
                }
                int denominator = Enumerable.Range(1, 4).FirstOrDefault(d => ratios.All(n => System.Math.Abs(n * d - System.Math.Round(n * d)) < 1e-9));
                if (denominator == 0) return null;
                var powers = ratios.Select(n => (int)System.Math.Round(n * denominator)).ToList();
                int lowest = powers.Min(), span = powers.Max() - lowest;
                if (span > MaxDegree) return null;
                var u = Scale(reference, g.Const(1.0 / denominator));
                var coefficients = new Node[span + 1];                                    // P̃(y) = y^{−n_min} P(y), ascending powers
                for (int j = 0; j <= span; j++) coefficients[j] = g.Const(0);
                for (int k = 0; k < merged.Count; k++) coefficients[powers[k] - lowest] = g.Add(coefficients[powers[k] - lowest], merged[k].Q[0]);
                // Divide by (y − 1) while P̃(1) = Σ aⱼ vanishes (synthetic division: b_{j−1} = a_j + b_j from the top).
                int multiplicity = 0;
                while (coefficients.Length > 1 && IsZero(coefficients.Aggregate(g.Add)))
                {
                    var quotient = new Node[coefficients.Length - 1];
                    quotient[quotient.Length - 1] = coefficients[coefficients.Length - 1];
                    for (int j = quotient.Length - 1; j >= 1; j--) quotient[j - 1] = g.Add(coefficients[j], quotient[j]);
                    coefficients = quotient.Select(Canonical).ToArray();
                    multiplicity++;
                }
                if (multiplicity == 0) return null;
                var uNode = ToNode(u);
                var y = g.Exp(uNode);
                var rest = coefficients[coefficients.Length - 1];                        // Q(y) by Horner's rule
                for (int j = coefficients.Length - 2; j >= 0; j--) rest = g.Add(g.Mul(rest, y), coefficients[j]);
                var expm1 = g.Unary(Op.Expm1, uNode);
                var factor = multiplicity == 1 ? expm1 : multiplicity == 2 ? g.Square(expm1) : g.Pow(expm1, multiplicity);
                var result = g.Mul(rest, factor);
                return lowest == 0 ? result : g.Mul(result, g.Exp(ToNode(Scale(u, g.Const(lowest)))));
            }

            private List<SeriesTerm> Product(List<SeriesTerm> x, List<SeriesTerm> y) =>
                Merge(from u in x from v in y select new SeriesTerm(MultiplyPoly(u.Q, v.Q), Add(u.P, v.P)));

            private List<SeriesTerm> Negate(List<SeriesTerm> s) => s.Select(term => new SeriesTerm(Scale(term.Q, g.Const(-1)), term.P)).ToList();

            /// <summary>Joins terms whose exponents are equal (coefficient by coefficient, by the random-evaluation test).</summary>
            private List<SeriesTerm> Merge(IEnumerable<SeriesTerm> terms)
            {
                var result = new List<SeriesTerm>();
                foreach (var term in terms)
                {
                    var p = Trim(term.P);
                    int i = result.FindIndex(r => SamePoly(r.P, p));
                    if (i < 0) result.Add(new SeriesTerm(term.Q, p));
                    else result[i] = new SeriesTerm(Add(result[i].Q, term.Q), result[i].P);
                }
                return result;
            }

            private bool SamePoly(Node[] x, Node[] y)
            {
                int n = System.Math.Max(x.Length, y.Length);
                for (int k = 0; k < n; k++)
                {
                    var a = k < x.Length ? x[k] : g.Const(0);
                    var b = k < y.Length ? y[k] : g.Const(0);
                    if (!IsZero(g.Sub(a, b))) return false;
                }
                return true;
            }

            public Node[] Sum(IEnumerable<Node[]> polys) => polys.Aggregate(Array.Empty<Node>(), Add);

            public Node[] Add(Node[] x, Node[] y)
            {
                var r = new Node[System.Math.Max(x.Length, y.Length)];
                for (int k = 0; k < r.Length; k++)
                    r[k] = k >= x.Length ? y[k] : k >= y.Length ? x[k] : g.Add(x[k], y[k]);
                return r;
            }

            public Node[] Scale(Node[] x, Node c) => x.Select(v => g.Mul(v, c)).ToArray();

            public Node[] Truncate(Node[] x, int length) => x.Take(length).ToArray();

            private Node[] MultiplyPoly(Node[] x, Node[] y)
            {
                if (x.Length == 0 || y.Length == 0) return Array.Empty<Node>();
                // A product of degree above MaxDegree (β(t) written as a long product of linear factors) is tabulated instead: its
                // coefficients, expressions in the hyperparameters, grow combinatorially (a fuzz mutant ran out of memory here).
                if (x.Length + y.Length - 2 > MaxDegree)
                    throw new IntegrationUnsupportedException("a polynomial of degree " + (x.Length + y.Length - 2) + " in t (the closed form stops at degree " + MaxDegree + ")");
                var r = new Node[x.Length + y.Length - 1];
                for (int i = 0; i < x.Length; i++)
                    for (int j = 0; j < y.Length; j++)
                        r[i + j] = r[i + j] == null ? g.Mul(x[i], y[j]) : g.Add(r[i + j], g.Mul(x[i], y[j]));
                return r;
            }

            /// <summary>Drops trailing coefficients that are identically zero.</summary>
            private Node[] Trim(Node[] x)
            {
                int n = x.Length;
                while (n > 0 && IsZero(x[n - 1])) n--;
                return x.Take(n).ToArray();
            }

            public Node[] Antiderivative(Node[] x)
            {
                var r = new Node[x.Length + 1];
                r[0] = g.Const(0);
                for (int k = 0; k < x.Length; k++) r[k + 1] = g.Div(x[k], g.Const(k + 1));
                return r;
            }

            private Node[] Derivative(Node[] x)
            {
                if (x.Length <= 1) return Array.Empty<Node>();
                var r = new Node[x.Length - 1];
                for (int k = 1; k < x.Length; k++) r[k - 1] = g.Mul(x[k], g.Const(k));
                return r;
            }

            /// <summary>
            /// r with ∫₀ᵗ q e^p = [r e^p]₀ᵗ (solving r' + p' r = q), or, when p is constant, the antiderivative Q of q
            /// (flagged, since then ∫₀ᵗ q e^p = e^{p₀} Q(t)).
            /// </summary>
            public (Node[] R, bool ConstantExponent) SolveExponentialIntegral(Node[] q, Node[] p)
            {
                q = Trim(q);
                var dp = Trim(Derivative(Trim(p)));
                if (dp.Length == 0) return (Antiderivative(q), true);
                int degree = q.Length - dp.Length;                                     // deg r = deg q − deg p'
                if (q.Length == 0) return (Array.Empty<Node>(), false);
                if (degree < 0) throw new IntegrationUnsupportedException("∫ q e^p with deg q < deg p' has no polynomial antiderivative (an error function)");
                var residual = (Node[])q.Clone();
                var r = new Node[degree + 1];
                var lead = dp[dp.Length - 1];
                for (int k = degree; k >= 0; k--)
                {
                    r[k] = Canonical(g.Div(residual[k + dp.Length - 1], lead));
                    for (int j = 0; j < dp.Length; j++)
                        residual[k + j] = g.Sub(residual[k + j], g.Mul(r[k], dp[j]));          // − r_k t^k p'
                    if (k >= 1) residual[k - 1] = g.Sub(residual[k - 1], g.Mul(r[k], g.Const(k))); // − (r_k t^k)'
                }
                if (!residual.All(IsZero))
                    throw new IntegrationUnsupportedException("∫ q e^p has no polynomial antiderivative r e^p");
                return (r, false);
            }

            /// <summary>q(t) e^{p(t)} as a node.</summary>
            public Node Term(Node[] q, Node[] p)
            {
                var poly = ToNode(q);
                var exponent = Trim(p);
                return exponent.Length == 0 ? poly : g.Mul(poly, g.Exp(ToNode(exponent)));
            }

            /// <summary>Σ c_k t^k by Horner's rule; identically zero coefficients are dropped.</summary>
            public Node ToNode(Node[] poly)
            {
                var c = Trim(poly);
                if (c.Length == 0) return g.Const(0);
                var result = c[c.Length - 1];
                for (int k = c.Length - 2; k >= 0; k--)
                    result = IsZero(c[k]) ? g.Mul(result, t) : g.Add(g.Mul(result, t), c[k]);
                return result;
            }

            private double NextDouble()
            {
                ulong z = state += 0x9E3779B97F4A7C15UL;
                z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
                z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
                return ((z ^ (z >> 31)) >> 11) * (1.0 / (1UL << 53));
            }

            /// <summary>
            /// A coefficient that is the same number for every hyperparameter value (such as b/b) becomes that literal:
            /// the generated code is shorter and stays finite where b happens to be 0.
            /// </summary>
            public Node Canonical(Node n)
            {
                if (n.IsConst) return n;
                var hypers = Topology.Order(new[] { n }).Where(h => h.Op == Op.Hyper).Select(h => h.Name!).Distinct().ToList();
                if (Topology.Order(new[] { n }).Any(h => h.Op == Op.DimSize || h.Op == Op.Condition || h.Op == Op.Input)) return n;
                var evaluator = new Evaluator(RandomParameters(n, new Dictionary<string, int>()), hypers.ToDictionary(h => h, _ => 0.5 + 1.5 * NextDouble()), new Dictionary<string, int>());
                double v;
                try { v = evaluator.Evaluate(n, Array.Empty<double>(), new Dictionary<string, double>()).Data[0]; }
                catch (KeyNotFoundException) { return n; }
                if (double.IsNaN(v) || double.IsInfinity(v)) return n;
                double rounded = System.Math.Round(v * 1e9) / 1e9;
                return IsZero(g.Sub(n, g.Const(rounded))) ? g.Const(rounded) : n;
            }

            /// <summary>Random values in [0.5, 2) for the [Param] leaves of <paramref name="n"/>; a dimension not in <paramref name="sizes"/> is drawn (and added).</summary>
            private Dictionary<string, DenseValue> RandomParameters(Node n, Dictionary<string, int> sizes)
            {
                var values = new Dictionary<string, DenseValue>();
                foreach (var p in Topology.Order(new[] { n }).Where(h => h.Op == Op.Param))
                {
                    if (values.ContainsKey(p.Name!)) continue;
                    foreach (var d in p.Shape.Dims)
                        if (d != Shape.One && !sizes.ContainsKey(d)) sizes[d] = 2 + (int)(6 * NextDouble());
                    var shape = p.Shape.Dims.Select(d => d == Shape.One ? 1 : sizes[d]).ToArray();
                    var data = new double[shape.Aggregate(1, (a, b) => a * b)];
                    for (int i = 0; i < data.Length; i++) data[i] = 0.5 + 1.5 * NextDouble();
                    values[p.Name!] = new DenseValue(shape, data);
                }
                return values;
            }

            /// <summary>True when a time-free coefficient vanishes for random hyperparameter and [Param] values (three draws).</summary>
            public bool IsZero(Node n)
            {
                if (n.IsConstValue(0)) return true;
                if (n.IsConst) return false;
                var hypers = Topology.Order(new[] { n }).Where(h => h.Op == Op.Hyper).Select(h => h.Name!).Distinct().ToList();
                var dims = Topology.Order(new[] { n }).Where(h => h.Op == Op.DimSize).Select(h => h.Name!).Distinct().ToList();
                // [Param] coefficients (trainable schedules) are drawn too, entry by entry (RandomParameters).
                // Three draws where the expression is defined (a draw that makes a log or root invalid is skipped).
                int valid = 0;
                for (int trial = 0; trial < 40 && valid < 3; trial++)
                {
                    var values = hypers.ToDictionary(h => h, _ => 0.5 + 1.5 * NextDouble());
                    var sizes = dims.ToDictionary(d => d, _ => 2 + (int)(6 * NextDouble()));
                    var parameterValues = RandomParameters(n, sizes);
                    var evaluator = new Evaluator(parameterValues, values, sizes);
                    double[] v;
                    try { v = evaluator.Evaluate(n, Array.Empty<double>(), new Dictionary<string, double>()).Data; }
                    catch (KeyNotFoundException) { return false; }
                    if (v.Any(e => double.IsNaN(e) || double.IsInfinity(e))) continue;
                    if (v.Any(e => System.Math.Abs(e) > 1e-9)) return false;
                    valid++;
                }
                if (valid < 3) return false;
                return true;
            }
        }
    }
}
