using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Dsl.Symbolic.Ir;

namespace Dsl.Symbolic.Tests.Properties
{
    /// <summary>
    /// A random expression as the property tests draw it: a plain tree of operations (sharing by reference, so a
    /// subexpression used twice is one object and the expression is a DAG). It is evaluated by <see cref="Reference"/>
    /// exactly as written, with no simplification, and turned into IR by <see cref="ToGraph"/>, which goes through the
    /// simplifying constructors of <see cref="Graph"/>.
    /// </summary>
    public sealed class Expr
    {
        public Expr(Op op, string[] dims, Expr[] args, double value = 0, string? name = null, int rows = 0, int columns = 0)
        {
            Op = op; Dims = dims; Args = args; Value = value; Name = name; Rows = rows; Columns = columns;
            DependsOnX = op == Op.Input || args.Any(a => a.DependsOnX);
        }

        public Op Op { get; }
        /// <summary>Symbolic dims: [] Scalar, ["D"] Vec[D], ["K","D"] Mat[K,D], with "1" for a singleton axis.</summary>
        public string[] Dims { get; }
        public Expr[] Args { get; }
        /// <summary>Literal (Const) or exponent (Pow).</summary>
        public double Value { get; }
        /// <summary>Parameter, hyperparameter, condition or dimension name.</summary>
        public string? Name { get; }
        /// <summary>Roll's shifts.</summary>
        public int Rows { get; }
        public int Columns { get; }
        public bool DependsOnX { get; }

        /// <summary>Distinct nodes (shared subexpressions counted once).</summary>
        public int Size => Distinct().Count;

        /// <summary>Ops occurring in the expression.</summary>
        public IEnumerable<Op> Ops => Distinct().Select(e => e.Op);

        private List<Expr> Distinct()
        {
            var seen = new HashSet<Expr>(ReferenceEqualityComparer.Instance);
            var list = new List<Expr>();
            var stack = new Stack<Expr>();
            stack.Push(this);
            while (stack.Count > 0)
            {
                var e = stack.Pop();
                if (!seen.Add(e)) continue;
                list.Add(e);
                foreach (var a in e.Args) stack.Push(a);
            }
            return list;
        }

        /// <summary>A prefix rendering; a subexpression used more than once is printed once as <c>$n:=…</c> and then as <c>$n</c>.</summary>
        public override string ToString()
        {
            var uses = new Dictionary<Expr, int>(ReferenceEqualityComparer.Instance);
            void Count(Expr e)
            {
                uses[e] = uses.TryGetValue(e, out var u) ? u + 1 : 1;
                if (uses[e] == 1) foreach (var a in e.Args) Count(a);
            }
            Count(this);
            var labels = new Dictionary<Expr, int>(ReferenceEqualityComparer.Instance);
            var sb = new StringBuilder();
            void Print(Expr e)
            {
                if (labels.TryGetValue(e, out var l)) { sb.Append('$').Append(l); return; }
                if (uses[e] > 1 && e.Args.Length > 0) { labels[e] = labels.Count + 1; sb.Append('$').Append(labels[e]).Append(":="); }
                switch (e.Op)
                {
                    case Op.Input: sb.Append('x'); return;
                    case Op.Const: sb.Append(Node.FormatNumber(e.Value)); return;
                    case Op.Param: case Op.Hyper: case Op.Condition: sb.Append(e.Name); return;
                    case Op.DimSize: sb.Append('|').Append(e.Name).Append('|'); return;
                    case Op.Selector: sb.Append("Selector(").Append(string.Join(", ", e.Dims)).Append(", ").Append(e.Name).Append(')'); return;
                }
                sb.Append(e.Op).Append('(');
                for (int i = 0; i < e.Args.Length; i++) { if (i > 0) sb.Append(", "); Print(e.Args[i]); }
                if (e.Op == Op.Pow) sb.Append(", ").Append(Node.FormatNumber(e.Value));
                if (e.Op == Op.Roll) sb.Append(", ").Append(e.Rows).Append(", ").Append(e.Columns);
                if (e.Op == Op.Broadcast) sb.Append(", [").Append(string.Join(",", e.Dims)).Append(']');
                sb.Append(')');
            }
            Print(this);
            return sb.ToString();
        }

        /// <summary>Builds the expression through the simplifying constructors of <paramref name="g"/>.</summary>
        public Node ToGraph(Graph g, Node x) => ToGraph(g, x, new Dictionary<Expr, Node>(ReferenceEqualityComparer.Instance));

        private Node ToGraph(Graph g, Node x, Dictionary<Expr, Node> memo)
        {
            if (memo.TryGetValue(this, out var done)) return done;
            Node A() => Args[0].ToGraph(g, x, memo);
            Node B() => Args[1].ToGraph(g, x, memo);
            Node n;
            switch (Op)
            {
                case Op.Input: n = x; break;
                case Op.Param: n = g.Param(Name!, Dims); break;
                case Op.Hyper: n = g.Hyper(Name!); break;
                case Op.Condition: n = g.Condition(Name!); break;
                case Op.Const: n = g.Const(Value); break;
                case Op.DimSize: n = g.DimSize(Name!); break;
                case Op.Selector: n = g.Selector(Dims[0], Dims[1], Name!); break;
                case Op.Add: n = g.Add(A(), B()); break;
                case Op.Sub: n = g.Sub(A(), B()); break;
                case Op.Mul: n = g.Mul(A(), B()); break;
                case Op.Div: n = g.Div(A(), B()); break;
                case Op.WhereGt: n = g.WhereGt(A(), B(), Args[2].ToGraph(g, x, memo), Args[3].ToGraph(g, x, memo)); break;
                case Op.SumLast: n = g.SumLast(A()); break;
                case Op.SumRows: n = g.SumRows(A()); break;
                case Op.LogSumExp: n = g.LogSumExp(A()); break;
                case Op.MatVec: n = g.MatVec(A(), B()); break;
                case Op.MatMul: n = g.MatMul(A(), B()); break;
                case Op.Transpose: n = g.Transpose(A()); break;
                case Op.Diagonal: n = g.Diagonal(A()); break;
                case Op.LogDet: n = g.LogDet(A()); break;
                case Op.Inverse: n = g.Inverse(A()); break;
                case Op.Solve: n = g.Solve(A(), B()); break;
                case Op.Unsqueeze: n = g.Unsqueeze(A()); break;
                case Op.Broadcast: { var a = A(); n = g.Broadcast(a, Shape.Of(a.Shape.Batched, Dims)); break; }
                case Op.Neighbors: n = g.Neighbors(A(), g.Const(Catalog.Side)); break;
                case Op.Roll: n = g.Roll(A(), g.Const(Catalog.Side), Rows, Columns); break;
                default: n = g.Unary(Op, A(), Value); break;
            }
            memo[this] = n;
            return n;
        }

        /// <summary>The same DAG as an expression (one Expr per node), so that <see cref="Reference"/> can evaluate IR with error bounds.</summary>
        public static Expr FromNode(Node root)
        {
            var memo = new Dictionary<Node, Expr>();
            foreach (var n in Topology.Order(new[] { root }))
            {
                var dims = n.Shape.Dims.ToArray();
                Expr[] Args(int count) => n.Args.Take(count).Select(a => memo[a]).ToArray();
                memo[n] = n.Op switch
                {
                    Op.Input or Op.Param or Op.Hyper or Op.Condition or Op.Const or Op.DimSize or Op.Selector => new Expr(n.Op, dims, Array.Empty<Expr>(), n.Value, n.Name),
                    Op.Neighbors => new Expr(n.Op, dims, Args(1)),
                    Op.Roll => new Expr(n.Op, dims, Args(1), rows: (int)n.Args[2].Value, columns: (int)n.Args[3].Value),
                    _ => new Expr(n.Op, dims, Args(n.Args.Count), n.Value),
                };
            }
            return memo[root];
        }
    }

    /// <summary>The values at which a random expression is evaluated: parameters, the hyperparameter, the condition and x.</summary>
    public sealed class Point
    {
        public Point(Dictionary<string, DenseValue> parameters, double hyper, double sigma, double[] x)
        {
            Parameters = parameters; Hyper = hyper; Sigma = sigma; X = x;
        }

        public Dictionary<string, DenseValue> Parameters { get; }
        public double Hyper { get; }
        public double Sigma { get; }
        public double[] X { get; }

        public Evaluator Evaluator() =>
            new Evaluator(Parameters, new Dictionary<string, double> { [Catalog.HyperName] = Hyper }, Catalog.Sizes);

        public Dictionary<string, double> Conditions => new Dictionary<string, double> { [Catalog.ConditionName] = Sigma };

        public override string ToString()
        {
            static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
            return "x = [" + string.Join(", ", X.Select(F)) + "], " + Catalog.HyperName + " = " + F(Hyper) + ", " + Catalog.ConditionName + " = " + F(Sigma)
                + string.Concat(Parameters.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => ", " + p.Key + " = [" + string.Join(", ", p.Value.Data.Select(F)) + "]"));
        }
    }

    /// <summary>A value with a first-order bound on its rounding error, entry by entry.</summary>
    public sealed class Bounded
    {
        public Bounded(int[] dims, double[] value, double[] error) { Dims = dims; Value = value; Error = error; }
        public int[] Dims { get; }
        public double[] Value { get; }
        public double[] Error { get; }
        public bool IsFinite => Value.All(double.IsFinite) && Error.All(double.IsFinite);
    }

    /// <summary>
    /// The reference semantics of <see cref="Expr"/>: plain float64 loops written here, independent of the library's
    /// <see cref="Evaluator"/> and of every rewrite in <see cref="Graph"/>, with a running error bound (Higham, Accuracy and
    /// Stability of Numerical Algorithms, §3.3): each entry carries e ≥ |computed − exact| to first order, propagated as
    /// e(φ(u)) = |φ'(u)|·e(u) + k·u·|φ(u)| with u the unit roundoff and k the ulps the operation itself may lose (1 for the
    /// correctly rounded + − × ÷ √, 2 for the libm functions, more for the composite ones), and for a sum of n terms
    /// Σe + (n−1)·u·Σ|terms|. The property tests derive every rounding tolerance from these bounds.
    /// </summary>
    public static class Reference
    {
        /// <summary>Unit roundoff of float64, 2⁻⁵³.</summary>
        public const double U = 1.1102230246251565e-16;

        public static Bounded Evaluate(Expr root, Point p, double[] x)
        {
            var memo = new Dictionary<Expr, Bounded>(ReferenceEqualityComparer.Instance);
            return Eval(root, p, x, memo);
        }

        private static Bounded Eval(Expr e, Point p, double[] x, Dictionary<Expr, Bounded> memo)
        {
            if (memo.TryGetValue(e, out var done)) return done;
            // Operands first, recursively (memoised per node, so a DAG is evaluated once per node; the converted gradients and
            // Laplacians are a few dozen levels deep).
            var args = e.Args.Select(a => Eval(a, p, x, memo)).ToArray();
            var r = Compute(e, args, p, x);
            memo[e] = r;
            return r;
        }

        private static Bounded Scalar(double v) => new Bounded(Array.Empty<int>(), new[] { v }, new[] { 0.0 });

        private static int Size(string d) => d == Shape.One ? 1 : Catalog.Sizes[d];

        private static Bounded Compute(Expr e, Bounded[] a, Point p, double[] x)
        {
            switch (e.Op)
            {
                case Op.Input: return new Bounded(new[] { x.Length }, (double[])x.Clone(), new double[x.Length]);
                case Op.Param: { var v = p.Parameters[e.Name!]; return new Bounded(v.Dims, v.Data, new double[v.Data.Length]); }
                case Op.Hyper: return Scalar(p.Hyper);
                case Op.Condition: return Scalar(p.Sigma);
                case Op.Const: return Scalar(e.Value);
                case Op.DimSize: return Scalar(Size(e.Name!));
                case Op.Selector:
                    {
                        int rows = Size(e.Dims[0]), cols = Size(e.Dims[1]), offset = int.Parse(e.Name!, System.Globalization.CultureInfo.InvariantCulture);
                        var v = new double[rows * cols];
                        for (int i = 0; i < rows; i++) if (i + offset >= 0 && i + offset < cols) v[i * cols + i + offset] = 1;
                        return new Bounded(new[] { rows, cols }, v, new double[v.Length]);
                    }
                case Op.Add: return Zip(a[0], a[1], (u, v) => u + v, (u, v, eu, ev, r) => eu + ev + U * Math.Abs(r));
                case Op.Sub: return Zip(a[0], a[1], (u, v) => u - v, (u, v, eu, ev, r) => eu + ev + U * Math.Abs(r));
                case Op.Mul: return Zip(a[0], a[1], (u, v) => u * v, (u, v, eu, ev, r) => Math.Abs(v) * eu + Math.Abs(u) * ev + U * Math.Abs(r));
                case Op.Div: return Zip(a[0], a[1], (u, v) => u / v, (u, v, eu, ev, r) => eu / Math.Abs(v) + Math.Abs(u) * ev / (v * v) + U * Math.Abs(r));
                case Op.WhereGt:
                    {
                        // l > r ? a : b. Where the comparison is within the bounds of l and r (a near-tie, or a NaN), the rewritten form may
                        // take the other branch: the bound covers both, |a − b| plus the larger branch error. NaN compares false (b).
                        // The comparison as 1/0, its "error" 1 where |l − r| is within the bounds of l and r (a near-tie) or l − r is NaN.
                        var cond = Zip(a[0], a[1], (l, r) => l > r ? 1 : 0, (l, r, el, er, _) => Math.Abs(l - r) <= el + er || double.IsNaN(l - r) ? 1 : 0);
                        var full = Zip(cond, Zip(a[2], a[3], (u, v) => 0, (u, v, eu, ev, _) => 0), (m, _) => m, (m, _, em, _1, _2) => em);
                        var av = Zip(full, a[2], (_, u) => u, (_, u, _1, eu, _2) => eu);
                        var bv = Zip(full, a[3], (_, v) => v, (_, v, _1, ev, _2) => ev);
                        var value = new double[full.Value.Length]; var error = new double[value.Length];
                        for (int i = 0; i < value.Length; i++)
                        {
                            bool take = full.Value[i] > 0;
                            value[i] = take ? av.Value[i] : bv.Value[i];
                            error[i] = full.Error[i] > 0 ? Math.Abs(av.Value[i] - bv.Value[i]) + Math.Max(av.Error[i], bv.Error[i]) : take ? av.Error[i] : bv.Error[i];
                        }
                        return new Bounded(full.Dims, value, error);
                    }
                case Op.SumLast:
                case Op.LogSumExp:
                    {
                        var s = a[0];
                        int last = s.Dims[^1], rows = s.Value.Length / last;
                        var v = new double[rows]; var err = new double[rows];
                        for (int i = 0; i < rows; i++)
                        {
                            var seg = s.Value.AsSpan(i * last, last); var se = s.Error.AsSpan(i * last, last);
                            if (e.Op == Op.SumLast)
                            {
                                double sum = 0, abs = 0, es = 0;
                                for (int j = 0; j < last; j++) { sum += seg[j]; abs += Math.Abs(seg[j]); es += se[j]; }
                                v[i] = sum; err[i] = es + (last - 1) * U * abs;
                            }
                            else
                            {
                                double m = double.NegativeInfinity;
                                foreach (var t in seg) m = Math.Max(m, t);
                                double z = 0;
                                foreach (var t in seg) z += Math.Exp(t - m);
                                double lse = m + Math.Log(z), es = 0;
                                for (int j = 0; j < last; j++) es += Math.Exp(seg[j] - lse) * se[j];   // ∂LSE/∂uⱼ = softmaxⱼ
                                v[i] = lse;
                                // t − m, exp (2 ulps), the sum of n terms in [0, n], log (2 ulps) and the final add.
                                err[i] = es + U * (Math.Abs(m) + (2 * last + 4) * Math.Max(1, Math.Abs(Math.Log(z))) + Math.Abs(lse));
                            }
                        }
                        return new Bounded(s.Dims[..^1], v, err);
                    }
                case Op.SumRows:
                    {
                        var s = a[0];
                        int k = s.Dims[0], d = s.Dims[1];
                        var v = new double[d]; var abs = new double[d]; var err = new double[d];
                        for (int i = 0; i < k; i++) for (int j = 0; j < d; j++) { v[j] += s.Value[i * d + j]; abs[j] += Math.Abs(s.Value[i * d + j]); err[j] += s.Error[i * d + j]; }
                        for (int j = 0; j < d; j++) err[j] += (k - 1) * U * abs[j];
                        return new Bounded(new[] { d }, v, err);
                    }
                case Op.MatVec:
                    {
                        var w = a[0]; var u = a[1];
                        int k = w.Dims[0], l = w.Dims[1];
                        var v = new double[k]; var err = new double[k];
                        for (int i = 0; i < k; i++)
                        {
                            double abs = 0;
                            for (int j = 0; j < l; j++)
                            {
                                double wij = w.Value[i * l + j], uj = u.Value[j];
                                v[i] += wij * uj; abs += Math.Abs(wij * uj);
                                err[i] += Math.Abs(wij) * u.Error[j] + Math.Abs(uj) * w.Error[i * l + j];
                            }
                            err[i] += l * U * abs;
                        }
                        return new Bounded(new[] { k }, v, err);
                    }
                case Op.MatMul:
                    {
                        var m1 = a[0]; var m2 = a[1];
                        int k = m1.Dims[0], l = m1.Dims[1], d = m2.Dims[1];
                        var v = new double[k * d]; var err = new double[k * d];
                        for (int i = 0; i < k; i++)
                            for (int j = 0; j < d; j++)
                            {
                                double abs = 0;
                                for (int m = 0; m < l; m++)
                                {
                                    double p1 = m1.Value[i * l + m], p2 = m2.Value[m * d + j];
                                    v[i * d + j] += p1 * p2; abs += Math.Abs(p1 * p2);
                                    err[i * d + j] += Math.Abs(p1) * m2.Error[m * d + j] + Math.Abs(p2) * m1.Error[i * l + m];
                                }
                                err[i * d + j] += l * U * abs;
                            }
                        return new Bounded(new[] { k, d }, v, err);
                    }
                case Op.Transpose:
                    {
                        var s = a[0];
                        int k = s.Dims[0], d = s.Dims[1];
                        var v = new double[k * d]; var err = new double[k * d];
                        for (int i = 0; i < k; i++) for (int j = 0; j < d; j++) { v[j * k + i] = s.Value[i * d + j]; err[j * k + i] = s.Error[i * d + j]; }
                        return new Bounded(new[] { d, k }, v, err);
                    }
                case Op.Diagonal:
                    {
                        var s = a[0];
                        int d = s.Dims[0];
                        return new Bounded(new[] { d }, Enumerable.Range(0, d).Select(i => s.Value[i * d + i]).ToArray(), Enumerable.Range(0, d).Select(i => s.Error[i * d + i]).ToArray());
                    }
                case Op.LogDet:
                case Op.Inverse:
                case Op.Solve:
                    return DenseLinearAlgebra(e.Op, a);
                case Op.Unsqueeze: return new Bounded(a[0].Dims.Append(1).ToArray(), a[0].Value, a[0].Error);
                case Op.Broadcast:
                    {
                        var dims = e.Dims.Select(Size).ToArray();
                        var zero = new Bounded(dims, new double[dims.Aggregate(1, (q, d) => q * d)], new double[dims.Aggregate(1, (q, d) => q * d)]);
                        return Zip(a[0], zero, (u, _) => u, (u, v, eu, ev, r) => eu);
                    }
                case Op.Neighbors:
                case Op.Roll:
                    {
                        var s = a[0];
                        int side = Catalog.Side, n = side * side;
                        var v = new double[n]; var err = new double[n];
                        int At(int r, int c) => (((r % side) + side) % side) * side + ((c % side) + side) % side;
                        for (int r = 0; r < side; r++)
                            for (int c = 0; c < side; c++)
                            {
                                int i = r * side + c;
                                if (e.Op == Op.Roll) { int j = At(r - e.Rows, c - e.Columns); v[i] = s.Value[j]; err[i] = s.Error[j]; continue; }
                                int[] nb = { At(r + 1, c), At(r - 1, c), At(r, c + 1), At(r, c - 1) };
                                double abs = 0;
                                foreach (var j in nb) { v[i] += s.Value[j]; err[i] += s.Error[j]; abs += Math.Abs(s.Value[j]); }
                                err[i] += 3 * U * abs;
                            }
                        return new Bounded(new[] { n }, v, err);
                    }
                default:
                    {
                        var s = a[0];
                        var v = new double[s.Value.Length]; var err = new double[v.Length];
                        for (int i = 0; i < v.Length; i++) (v[i], err[i]) = Unary(e.Op, e.Value, s.Value[i], s.Error[i]);
                        return new Bounded(s.Dims, v, err);
                    }
            }
        }

        /// <summary>
        /// log(1 + u) to full relative precision (Goldberg's correction: log(w)·u/(w − 1) with w = 1 + u rounded); .NET's double.LogP1
        /// is log(u + 1), which loses every digit below u ≈ 1e-16.
        /// </summary>
        private static double Log1p(double u)
        {
            double w = 1 + u;
            return w == 1 ? u : Math.Log(w) * u / (w - 1);
        }

        private static double ExpSeriesMinusOne(double u)
        {
            double term = u, sum = u;
            for (int n = 2; n < 40; n++) { term *= u / n; sum += term; }
            return sum;
        }

        /// <summary>erf: the alternating Maclaurin series for |u| &lt; 2, erfc's continued fraction (Lentz) above.</summary>
        private static double Erf(double u)
        {
            double a = Math.Abs(u);
            if (a < 2)
            {
                double sum = 0, power = u;
                for (int n = 0; n < 80; n++)
                {
                    sum += power / ((2 * n + 1) * Factorial(n)) * (n % 2 == 0 ? 1 : -1);
                    power *= u * u;
                }
                return 2 / Math.Sqrt(Math.PI) * sum;
            }
            // erfc a = e^−a²/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + …)))), evaluated bottom-up with 300 levels.
            double f = a;
            for (int k = 300; k >= 1; k--) f = a + k / 2.0 / f;
            double erfc = Math.Exp(-a * a) / Math.Sqrt(Math.PI) / f;
            return Math.Sign(u) * (1 - erfc);
        }

        private static double Factorial(int n)
        {
            double f = 1;
            for (int i = 2; i <= n; i++) f *= i;
            return f;
        }

        private static readonly double[] Lanczos =
        {
            0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
            12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
        };

        private static double LanczosLgamma(double u)
        {
            if (u < 0.5) return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * u))) - LanczosLgamma(1 - u);
            double x = u - 1, sum = Lanczos[0];
            for (int i = 1; i < 9; i++) sum += Lanczos[i] / (x + i);
            double t = x + 7.5;
            return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(sum);
        }

        // B₂ₖ, k = 1…10.
        private static readonly double[] Bernoulli = { 1.0 / 6, -1.0 / 30, 1.0 / 42, -1.0 / 30, 5.0 / 66, -691.0 / 2730, 7.0 / 6, -3617.0 / 510, 43867.0 / 798, -174611.0 / 330 };

        /// <summary>ψ⁽ⁿ⁾(u): ψ⁽ⁿ⁾(u) = ψ⁽ⁿ⁾(u + 1) − (−1)ⁿ⁺¹ n!/uⁿ⁺¹... shifted to u ≥ 25, then the asymptotic series.</summary>
        private static double Polygamma(int n, double u)
        {
            double shift = 0;
            double sign = n % 2 == 1 ? 1 : -1;                    // (−1)ⁿ⁺¹
            double nf = Factorial(n);
            while (u < 25)
            {
                shift += n == 0 ? -1 / u : sign * nf / Math.Pow(u, n + 1);
                u += 1;
            }
            double series;
            if (n == 0)
            {
                series = Math.Log(u) - 0.5 / u;
                for (int k = 1; k <= Bernoulli.Length; k++) series -= Bernoulli[k - 1] / (2 * k * Math.Pow(u, 2 * k));
            }
            else
            {
                series = Factorial(n - 1) / Math.Pow(u, n) + nf / (2 * Math.Pow(u, n + 1));
                for (int k = 1; k <= Bernoulli.Length; k++)
                    series += Bernoulli[k - 1] * Factorial(2 * k + n - 1) / (Factorial(2 * k) * Math.Pow(u, 2 * k + n));
                series *= sign;
            }
            return shift + series;
        }

        /// <summary>φ(u) by its textbook definition, and the propagated bound |φ'(u)|·e + k·U·|φ(u)|.</summary>
        private static (double, double) Unary(Op op, double p, double u, double e)
        {
            double r, d, k;
            switch (op)
            {
                case Op.Neg: return (-u, e);
                case Op.Abs: return (Math.Abs(u), e);
                case Op.Relu: return (u > 0 || double.IsNaN(u) ? u : 0, e);
                case Op.Exp: r = Math.Exp(u); d = r; k = 2; break;
                case Op.Log: r = Math.Log(u); d = 1 / u; k = 2; break;
                case Op.Sqrt: r = Math.Sqrt(u); d = 0.5 / r; k = 1; break;
                case Op.Square: r = u * u; d = 2 * u; k = 1; break;
                case Op.Pow: r = Math.Pow(u, p); d = p * Math.Pow(u, p - 1); k = 2; break;
                case Op.Recip: r = 1 / u; d = r * r; k = 1; break;
                case Op.Tanh: r = Math.Tanh(u); d = 1 - r * r; k = 2; break;
                case Op.Sigmoid: r = 1 / (1 + Math.Exp(-u)); d = r * (1 - r); k = 4; break;
                // log(1 + eᵘ) written so that it keeps its precision for every u: max(u, 0) + log1p(e^−|u|).
                case Op.Softplus: r = Math.Max(u, 0) + Log1p(Math.Exp(-Math.Abs(u))); d = 1 / (1 + Math.Exp(-u)); k = 4; break;
                case Op.Sin: r = Math.Sin(u); d = Math.Cos(u); k = 2; break;
                case Op.Cos: r = Math.Cos(u); d = Math.Sin(u); k = 2; break;
                case Op.Log1p: r = Log1p(u); d = 1 / (1 + u); k = 4; break;
                // The special functions by textbook formulas independent of the runtime's (Dsl.Symbolic's SpecialFunctions).
                case Op.Expm1: r = Math.Abs(u) < 0.5 ? ExpSeriesMinusOne(u) : Math.Exp(u) - 1; d = Math.Exp(u); k = 8; break;
                case Op.LogSigmoid: r = -(Math.Max(-u, 0) + Log1p(Math.Exp(-Math.Abs(u)))); d = 1 / (1 + Math.Exp(u)); k = 4; break;
                case Op.Erf: r = Erf(u); d = 2 / Math.Sqrt(Math.PI) * Math.Exp(-u * u); k = 64; break;
                // Lanczos (g = 7, n = 9): about 1e-15 relative in Γ, so about 2e-15 absolute in log Γ (the relative bound cannot hold
                // next to log Γ's zeros 1 and 2, where the value is a difference).
                case Op.Lgamma: r = LanczosLgamma(u); d = Polygamma(0, u); return (r, Math.Abs(d) * e + 8 * U * Math.Abs(r) + 4e-15 * (1 + Math.Abs(Math.Log(u))));
                // ψ⁽ⁿ⁾ by recurrence to u ≥ 25 and the asymptotic series; the runtime's ψ′ is ATen's trigamma (about 3e-10 relative at
                // worst, its own truncation): the bound for n = 1 says so.
                case Op.Polygamma:
                    r = Polygamma((int)p, u); d = Polygamma((int)p + 1, u);
                    return (r, Math.Abs(d) * e + (p == 1 ? 1e-9 : 64 * U) * Math.Abs(r) + (p == 0 ? 4e-16 * (1 + Math.Abs(Math.Log(u))) : 0));
                // Piecewise constant: no propagated error unless the input's uncertainty straddles a jump, then the jump.
                case Op.Sign: r = Math.Sign(u); return (r, Math.Sign(u - e) != Math.Sign(u + e) ? 2 : 0);
                case Op.Floor: r = Math.Floor(u); return (r, Math.Floor(u - e) != Math.Floor(u + e) ? 1 : 0);
                case Op.Round: r = Math.Round(u, MidpointRounding.ToEven); return (r, Math.Round(u - e, MidpointRounding.ToEven) != Math.Round(u + e, MidpointRounding.ToEven) ? 1 : 0);
                default: throw new ArgumentException("not an elementwise unary operation: " + op);
            }
            return (r, Math.Abs(d) * e + k * U * Math.Abs(r));
        }

        /// <summary>
        /// LogDet, Inverse and Solve of a square A with Gauss–Jordan elimination (partial pivoting) written here: B = A⁻¹ and
        /// log|det A| = Σ log|pivot|. First-order error bounds from the perturbation identities δB = −B δA B, δx = B(δb − δA x),
        /// δ log|det A| = tr(B δA) with |δA| the operand's bound, plus the backward error of elimination, c·n·u·|B||A||B| (Higham
        /// §14.3) with c = 4n, and for the log-determinant n·2u per logarithm.
        /// </summary>
        private static Bounded DenseLinearAlgebra(Op op, Bounded[] a)
        {
            var m = a[0];
            int n = m.Dims[0];
            var work = (double[])m.Value.Clone();
            var inv = new double[n * n];
            for (int i = 0; i < n; i++) inv[i * n + i] = 1;
            double logAbsDet = 0;
            for (int k = 0; k < n; k++)
            {
                int p = k;
                for (int i = k + 1; i < n; i++) if (Math.Abs(work[i * n + k]) > Math.Abs(work[p * n + k])) p = i;
                if (p != k)
                    for (int j = 0; j < n; j++)
                    {
                        (work[k * n + j], work[p * n + j]) = (work[p * n + j], work[k * n + j]);
                        (inv[k * n + j], inv[p * n + j]) = (inv[p * n + j], inv[k * n + j]);
                    }
                double pivot = work[k * n + k];
                logAbsDet += Math.Log(Math.Abs(pivot));
                for (int j = 0; j < n; j++) { work[k * n + j] /= pivot; inv[k * n + j] /= pivot; }
                for (int i = 0; i < n; i++)
                {
                    if (i == k) continue;
                    double f = work[i * n + k];
                    for (int j = 0; j < n; j++) { work[i * n + j] -= f * work[k * n + j]; inv[i * n + j] -= f * inv[k * n + j]; }
                }
            }
            double c = 4.0 * n * n * U;
            // |B||A||B| entrywise, the scale of the elimination's backward error.
            double[] AbsProduct(double[] x, double[] y, int rows, int inner, int cols)
            {
                var r = new double[rows * cols];
                for (int i = 0; i < rows; i++) for (int k = 0; k < inner; k++) for (int j = 0; j < cols; j++) r[i * cols + j] += Math.Abs(x[i * inner + k]) * Math.Abs(y[k * cols + j]);
                return r;
            }
            var absA = m.Value;
            switch (op)
            {
                case Op.LogDet:
                    {
                        double err = 0, scale = 0;
                        for (int i = 0; i < n; i++)
                            for (int j = 0; j < n; j++)
                            {
                                err += Math.Abs(inv[j * n + i]) * m.Error[i * n + j];          // tr(B δA) = Σᵢⱼ Bⱼᵢ δAᵢⱼ
                                scale += Math.Abs(inv[j * n + i]) * Math.Abs(absA[i * n + j]);
                            }
                        return new Bounded(Array.Empty<int>(), new[] { logAbsDet }, new[] { err + c * scale + 2 * n * U * (1 + Math.Abs(logAbsDet)) });
                    }
                case Op.Inverse:
                    {
                        var baB = AbsProduct(AbsProduct(inv, absA, n, n, n), inv, n, n, n);
                        var beB = AbsProduct(AbsProduct(inv, m.Error, n, n, n), inv, n, n, n);
                        var err = new double[n * n];
                        for (int i = 0; i < err.Length; i++) err[i] = beB[i] + c * baB[i];
                        return new Bounded(new[] { n, n }, inv, err);
                    }
                default:
                    {
                        var b = a[1];
                        var x = new double[n];
                        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) x[i] += inv[i * n + j] * b.Value[j];
                        var absX = x.Select(Math.Abs).ToArray();
                        var absB = b.Value.Select(Math.Abs).ToArray();
                        var ax = AbsProduct(absA, absX, n, n, 1);                  // |A||x|
                        var eax = AbsProduct(m.Error, absX, n, n, 1);              // δA |x|
                        var err = new double[n];
                        for (int i = 0; i < n; i++)
                            for (int j = 0; j < n; j++)
                                err[i] += Math.Abs(inv[i * n + j]) * (b.Error[j] + eax[j] + c * (ax[j] + absB[j]));
                        return new Bounded(new[] { n }, x, err);
                    }
            }
        }

        /// <summary>Elementwise with numpy broadcasting, trailing-aligned.</summary>
        private static Bounded Zip(Bounded a, Bounded b, Func<double, double, double> f, Func<double, double, double, double, double, double> err)
        {
            int rank = Math.Max(a.Dims.Length, b.Dims.Length);
            int[] Pad(int[] d) => Enumerable.Repeat(1, rank - d.Length).Concat(d).ToArray();
            var da = Pad(a.Dims); var db = Pad(b.Dims);
            var dims = new int[rank];
            for (int i = 0; i < rank; i++)
            {
                if (da[i] != db[i] && da[i] != 1 && db[i] != 1) throw new ArgumentException("dims do not broadcast");
                dims[i] = Math.Max(da[i], db[i]);
            }
            int total = dims.Aggregate(1, (q, d) => q * d);
            var v = new double[total]; var e = new double[total];
            var idx = new int[rank];
            for (int flat = 0; flat < total; flat++)
            {
                int rem = flat;
                for (int i = rank - 1; i >= 0; i--) { idx[i] = rem % dims[i]; rem /= dims[i]; }
                int ia = Offset(idx, da), ib = Offset(idx, db);
                v[flat] = f(a.Value[ia], b.Value[ib]);
                e[flat] = err(a.Value[ia], b.Value[ib], a.Error[ia], b.Error[ib], v[flat]);
            }
            return new Bounded(dims, v, e);
        }

        private static int Offset(int[] idx, int[] dims)
        {
            int o = 0;
            for (int i = 0; i < dims.Length; i++) o = o * dims[i] + (dims[i] == 1 ? 0 : idx[i]);
            return o;
        }
    }
}
