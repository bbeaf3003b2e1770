using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using CsCheck;
using Dsl.Symbolic.Ir;

namespace Dsl.Symbolic.Tests.Properties
{
    /// <summary>A drawn case: a Scalar expression and the point it is evaluated at.</summary>
    public sealed record Case(Expr Expr, Point Point)
    {
        public override string ToString() => "E = " + Expr + "\n  at " + Point + "\n  (" + Expr.Size + " distinct nodes, height " + Generators.Height(Expr) + ")";
    }

    /// <summary>Counts of one property run: the draws its <c>Where</c>s discarded as non-finite or redrew as constant in x.</summary>
    public sealed class Tally
    {
        private long discarded, constant;
        public long Discarded => Interlocked.Read(ref discarded);
        public long ConstantInX => Interlocked.Read(ref constant);
        public void Discard() => Interlocked.Increment(ref discarded);
        public void Constant() => Interlocked.Increment(ref constant);
    }

    /// <summary>
    /// CsCheck generators of random well-shaped expression DAGs over <see cref="Catalog"/>. Everything is composed from Gen
    /// combinators (Frequency, Select, SelectMany, Where), so CsCheck can shrink a failing case. A subexpression of height ≤ d is
    /// drawn as a leaf or as a form of the catalog whose operands have height ≤ d − (the form's own levels); domain guards
    /// (exp u, softplus(u) + c, u² + c) count as levels too, so the height of a drawn expression is at most its drawn depth (1–6).
    /// </summary>
    public sealed class Generators
    {
        private readonly Profile profile;
        private readonly Dictionary<(string, int, bool), Gen<Expr>> memo = new();
        private readonly Dictionary<(string, int, bool), Gen<Expr>> positiveMemo = new();

        public Generators(Profile profile) { this.profile = profile; }

        /// <summary>The drawn depth (an upper bound on the height): 1–6, the deep ones more often (they reach the matrix forms).</summary>
        public static readonly Gen<int> Depth = Gen.Frequency((1, (IGen<int>)Gen.Int[1, 3]), (3, Gen.Int[4, 6]));

        /// <summary>Literals: the identities' 0, 1, −1, 2, ½ often, otherwise uniform in [−2, 2].</summary>
        public static readonly Gen<double> Literal = Gen.Frequency((3, (IGen<double>)Gen.OneOf(0.0, 1.0, -1.0, 2.0, 0.5)), (4, Gen.Double[-2, 2]));

        /// <summary>Names of the positive parameters (values in [0.5, 1.5]): the depth-0 operand of log, √, 1/a.</summary>
        public static string PositiveName(string[] dims) => "p" + string.Concat(dims);

        public static int Height(Expr e)
        {
            var memo = new Dictionary<Expr, int>(ReferenceEqualityComparer.Instance);
            int H(Expr n) => memo.TryGetValue(n, out var h) ? h : memo[n] = n.Args.Length == 0 ? 0 : 1 + n.Args.Max(H);
            return H(e);
        }

        private static string Key(string[] dims) => string.Join(",", dims);

        private static Expr Leaf(Op op, string[] dims, string? name = null, double value = 0) => new Expr(op, dims, Array.Empty<Expr>(), value, name);

        private static Gen<Expr> Leaves(string[] dims, bool xFree)
        {
            var options = new List<(int, IGen<Expr>)>();
            if (dims.Length == 0)
            {
                options.Add((3, Literal.Select(v => Leaf(Op.Const, dims, value: v))));
                options.Add((1, Gen.Const(Leaf(Op.Hyper, dims, Catalog.HyperName))));
                options.Add((1, Gen.Const(Leaf(Op.Condition, dims, Catalog.ConditionName))));
                options.Add((1, Gen.OneOf("D", "K").Select(d => Leaf(Op.DimSize, dims, d))));
            }
            if (!xFree && Key(dims) == Key(Catalog.VD)) options.Insert(0, (6, Gen.Const(Leaf(Op.Input, dims))));
            foreach (var (name, pd) in Catalog.Parameters.Where(p => Key(p.Dims) == Key(dims)))
                options.Add((2, Gen.Const(Leaf(Op.Param, dims, name))));
            if (Key(dims) == Key(Catalog.MKD)) options.Add((1, Gen.OneOf("-1", "0", "1").Select(o => Leaf(Op.Selector, dims, o))));
            return Gen.Frequency(options.ToArray());
        }

        /// <summary>A value of shape <paramref name="dims"/> and height ≤ <paramref name="depth"/>; x-free when asked.</summary>
        public Gen<Expr> Of(string[] dims, int depth, bool xFree)
        {
            var key = (Key(dims), depth, xFree);
            if (memo.TryGetValue(key, out var done)) return done;
            var options = new List<(int, IGen<Expr>)> { (depth == 0 ? 1 : 12, Leaves(dims, xFree)) };
            if (depth > 0)
            {
                foreach (var spec in Catalog.Specs.Values.OrderBy(s => s.Op))
                    foreach (var form in spec.Forms.Where(f => Key(f.Result) == Key(dims)))
                    {
                        int levels = Levels(form);
                        if (levels > depth) continue;
                        bool argsXFree = xFree || !Catalog.AllowsX(spec, profile);
                        bool XFree(int i) => argsXFree || (profile == Profile.Laplacian && form.XFreeForLaplacian.Contains(i))
                            || (profile != Profile.Value && form.XFreeForGradient.Contains(i));
                        Gen<Expr> Arg(int i) => form.Domains[i] == Domain.Positive
                            ? Positive(form.Args[i], depth - levels, XFree(i))
                            : Of(form.Args[i], depth - levels, XFree(i));
                        if (form.Args.Length == 1)
                        {
                            options.Add((form.Weight, Arg(0).Select(a => form.Make(new[] { a }))));
                            continue;
                        }
                        if (form.Args.Length == 4)
                        {
                            options.Add((form.Weight, Gen.Select(Arg(0), Arg(1), Arg(2), Arg(3), (a, b, c, d) => form.Make(new[] { a, b, c, d }))));
                            continue;
                        }
                        var independent = Gen.Select(Arg(0), Arg(1), (a, b) => form.Make(new[] { a, b }));
                        if (Key(form.Args[0]) != Key(form.Args[1]) || XFree(0) != XFree(1) || depth - levels < 1)
                        {
                            options.Add((form.Weight, independent));
                            continue;
                        }
                        // Sharing: the second operand reuses the first (itself, or one elementwise step of it), so the drawn
                        // expression is a DAG and the gradient has to add the adjoints of both uses.
                        var shape = form.Args[1];
                        var shared = Of(form.Args[0], depth - levels - 1, XFree(0)).SelectMany(a =>
                            (form.Domains[1] == Domain.Positive
                                ? Gen.Const(new Expr(Op.Exp, shape, new[] { a }))
                                : Gen.OneOf(Gen.Const(a), Gen.Const(new Expr(Op.Tanh, shape, new[] { a })), Gen.Const(new Expr(Op.Sin, shape, new[] { a })), Gen.Const(new Expr(Op.Square, shape, new[] { a }))))
                            .Select(b => form.Make(new[] { a, b })));
                        options.Add((form.Weight, Gen.Frequency((3, (IGen<Expr>)independent), (1, shared))));
                    }
            }
            var gen = Gen.Frequency(options.ToArray());
            memo[key] = gen;
            return gen;
        }

        /// <summary>A positive value bounded away from 0 (the domain guard of log, √, 1/a, a/b), height ≤ <paramref name="depth"/>.</summary>
        public Gen<Expr> Positive(string[] dims, int depth, bool xFree)
        {
            var key = (Key(dims), depth, xFree);
            if (positiveMemo.TryGetValue(key, out var done)) return done;
            var options = new List<(int, IGen<Expr>)> { (2, Gen.Const(Leaf(Op.Param, dims, PositiveName(dims)))) };
            if (dims.Length == 0) options.Add((2, Gen.Double[0.2, 2].Select(v => Leaf(Op.Const, dims, value: v))));
            if (depth >= 1) options.Add((2, Of(dims, depth - 1, xFree).Select(u => new Expr(Op.Exp, dims, new[] { u }))));
            if (depth >= 2)
            {
                var c = Gen.Double[0.1, 1].Select(v => Leaf(Op.Const, Catalog.S, value: v));
                options.Add((3, Gen.Select(Of(dims, depth - 2, xFree), c, (u, k) => new Expr(Op.Add, dims, new[] { new Expr(Op.Softplus, dims, new[] { u }), k }))));
                options.Add((2, Gen.Select(Of(dims, depth - 2, xFree), c, (u, k) => new Expr(Op.Add, dims, new[] { new Expr(Op.Square, dims, new[] { u }), k }))));
            }
            var gen = Gen.Frequency(options.ToArray());
            positiveMemo[key] = gen;
            return gen;
        }

        /// <summary>The levels a form adds above its operands (its height over leaf operands).</summary>
        private static int Levels(Form form) =>
            Height(form.Make(form.Args.Select(d => Leaf(Op.Param, d, "_")).ToArray()));

        private static Gen<DenseValue> Values(string[] dims, double lo, double hi)
        {
            var shape = dims.Select(d => Catalog.Sizes[d]).ToArray();
            int n = shape.Aggregate(1, (p, d) => p * d);
            return Gen.Double[lo, hi].Array[n].Select(v => new DenseValue(shape, v));
        }

        /// <summary>Parameters in [−1, 1] (the positive ones in [0.5, 1.5]), h and σ in [0.5, 1.5], x in [−1.5, 1.5]⁴.</summary>
        public static Gen<Point> Points()
        {
            var named = Catalog.Parameters.Select(p => (p.Name, Gen: Values(p.Dims, -1, 1)))
                .Concat(Catalog.MainShapes.Select(d => (Name: PositiveName(d), Gen: Values(d, 0.5, 1.5))))
                .ToArray();
            Gen<Dictionary<string, DenseValue>> parameters = Gen.Const(() => new Dictionary<string, DenseValue> { [Catalog.FixedMatrix] = Catalog.FixedMatrixValue() });
            foreach (var (name, gen) in named)
                parameters = parameters.SelectMany(d => gen.Select(v => new Dictionary<string, DenseValue>(d) { [name] = v }));
            return from p in parameters
                   from h in Gen.Double[0.5, 1.5]
                   from sigma in Gen.Double[0.5, 1.5]
                   from x in Gen.Double[-1.5, 1.5].Array[Catalog.Sizes["D"]]
                   select new Point(p, h, sigma, x);
        }

        /// <summary>
        /// Scalar expressions of depth 1–6 at random points, with counted <c>Where</c>s: when <paramref name="requireX"/>, an
        /// expression constant in x is redrawn (its gradient and Laplacian are trivially 0) and tallied; a draw whose reference
        /// value is not finite at any of <paramref name="points"/>(point) — overflow of exp towers and the like — is discarded and tallied.
        /// </summary>
        public Gen<Case> Cases(Tally tally, Func<Point, IEnumerable<double[]>> points, bool requireX = false) =>
            (from depth in Depth
             from e in Of(Catalog.S, depth, xFree: false).Where(e =>
             {
                 if (requireX && !e.DependsOnX) { tally.Constant(); return false; }
                 return true;
             })
             from p in Points()
             select new Case(e, p))
            .Where(c =>
            {
                bool ok = points(c.Point).All(x => Reference.Evaluate(c.Expr, c.Point, x).IsFinite);
                if (!ok) tally.Discard();
                return ok;
            });
    }
}
