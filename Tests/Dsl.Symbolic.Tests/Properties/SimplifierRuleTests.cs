using System;
using System.Collections.Generic;
using System.Linq;
using CsCheck;
using Dsl.Symbolic.Ir;
using static Dsl.Symbolic.Tests.Properties.Catalog;

namespace Dsl.Symbolic.Tests.Properties
{
    /// <summary>
    /// One test per rewrite rule of <see cref="Graph"/>'s constructors: the left-hand side, built from random opaque operands,
    /// becomes exactly the expected node (the rule fired: reference equality in the hash-consed graph), and that node has the
    /// value of the left-hand side as written (reference evaluator, tolerance from the running error bounds). Operands are
    /// opaque (sin / cos / Σ tanh of x plus a random subexpression; a positive one is exp of such) so that no other rule applies first; the constants avoid
    /// 0 and ±1 unless the rule is about them.
    /// </summary>
    public class SimplifierRuleTests
    {
        public const int CasesPerRule = 50;

        /// <summary>The operands of one case, as drawn (Exprs) and as built (Nodes).</summary>
        public sealed record Operands(Expr U, Expr V, Expr S, Expr M, Expr CK, double C1, double C2, Point Point)
        {
            public override string ToString() => $"u = {U}\n  v = {V}\n  s = {S}\n  M = {M}\n  cK = {CK}\n  c1 = {C1:R}, c2 = {C2:R}\n  at {Point}";
        }

        public sealed class Built
        {
            public Graph G = null!;
            public Node X = null!, U = null!, V = null!, S = null!, M = null!, CK = null!;
            public double C1, C2;
            public Node Shape0(string[] dims) => G.Fit(G.Const(0), Shape.Of(true, dims));
        }

        /// <summary>A rule: its name, its left-hand side as written, and the node it must become.</summary>
        public sealed record Rule(string Name, Func<Operands, Expr> Lhs, Func<Built, Node> Expected);

        // ---------------------------------------------------------------- expression helpers (no simplification)
        private static string[] Wider(Expr a, Expr b) => a.Dims.Length >= b.Dims.Length ? a.Dims : b.Dims;
        private static Expr E(Op op, Expr a) => new Expr(op, a.Dims, new[] { a });
        private static Expr E(Op op, Expr a, Expr b) => new Expr(op, Wider(a, b), new[] { a, b });
        private static Expr C(double v) => new Expr(Op.Const, Catalog.S, Array.Empty<Expr>(), v);
        private static Expr Pow(Expr a, double p) => new Expr(Op.Pow, a.Dims, new[] { a }, p);
        private static Expr Bc(Expr a, string[] dims) => new Expr(Op.Broadcast, dims, new[] { a });
        private static Expr Leaf(Op op, string[] dims, string? name) => new Expr(op, dims, Array.Empty<Expr>(), 0, name);
        private static readonly Expr X = Leaf(Op.Input, VD, null);
        private static readonly Expr W = Leaf(Op.Param, MKD, "W");
        private static readonly Expr Vm = Leaf(Op.Param, MKD, "V");
        private static Expr Roll(Expr a, int r, int c) => new Expr(Op.Roll, a.Dims, new[] { a }, rows: r, columns: c);

        public static readonly Rule[] Rules =
        {
            // Add
            new("Add folds constants", o => E(Op.Add, C(o.C1), C(o.C2)), b => b.G.Const(b.C1 + b.C2)),
            new("Add 0 + a = a", o => E(Op.Add, C(0), o.U), b => b.U),
            new("Add a + 0 = a", o => E(Op.Add, o.U, C(0)), b => b.U),
            new("Add a + (−b) = a − b", o => E(Op.Add, o.U, E(Op.Neg, o.V)), b => Is(Op.Sub, b.G.Sub(b.U, b.V))),
            new("Add (−a) + b = b − a", o => E(Op.Add, E(Op.Neg, o.U), o.V), b => Is(Op.Sub, b.G.Sub(b.V, b.U))),
            new("Add a + a = 2·a", o => E(Op.Add, o.U, o.U), b => Is(Op.Mul, b.G.Mul(b.G.Const(2), b.U))),
            new("Add is commutative (canonical order)", o => E(Op.Add, o.V, o.U), b => Is(Op.Add, b.G.Add(b.U, b.V))),
            // Sub
            new("Sub folds constants", o => E(Op.Sub, C(o.C1), C(o.C2)), b => b.G.Const(b.C1 - b.C2)),
            new("Sub a − 0 = a", o => E(Op.Sub, o.U, C(0)), b => b.U),
            new("Sub 0 − b = −b", o => E(Op.Sub, C(0), o.U), b => Is(Op.Neg, b.G.Neg(b.U))),
            new("Sub a − a = 0", o => E(Op.Sub, o.U, o.U), b => b.Shape0(VD)),
            new("Sub a − (−b) = a + b", o => E(Op.Sub, o.U, E(Op.Neg, o.V)), b => Is(Op.Add, b.G.Add(b.U, b.V))),
            // Mul
            new("Mul folds constants", o => E(Op.Mul, C(o.C1), C(o.C2)), b => b.G.Const(b.C1 * b.C2)),
            new("Mul 0·b = 0", o => E(Op.Mul, C(0), o.U), b => b.Shape0(VD)),
            new("Mul b·0 = 0", o => E(Op.Mul, o.U, C(0)), b => b.Shape0(VD)),
            new("Mul 1·b = b", o => E(Op.Mul, C(1), o.U), b => b.U),
            new("Mul b·1 = b", o => E(Op.Mul, o.U, C(1)), b => b.U),
            new("Mul (−1)·b = −b", o => E(Op.Mul, C(-1), o.U), b => Is(Op.Neg, b.G.Neg(b.U))),
            new("Mul (−a)·b = −(a·b)", o => E(Op.Mul, E(Op.Neg, o.U), o.V), b => Is(Op.Neg, b.G.Neg(b.G.Mul(b.U, b.V)))),
            new("Mul a·(−b) = −(a·b)", o => E(Op.Mul, o.U, E(Op.Neg, o.V)), b => Is(Op.Neg, b.G.Neg(b.G.Mul(b.U, b.V)))),
            new("Mul c₁·(c₂·b) = (c₁c₂)·b", o => E(Op.Mul, C(o.C1), E(Op.Mul, C(o.C2), o.U)), b => Is(Op.Mul, b.G.Mul(b.G.Const(b.C1 * b.C2), b.U))),
            new("Mul a·(c·b) = c·(a·b)", o => E(Op.Mul, o.U, E(Op.Mul, C(o.C1), o.V)), b => Is(Op.Mul, b.G.Mul(b.G.Const(b.C1), b.G.Mul(b.U, b.V)))),
            new("Mul (c·a)·b = c·(a·b)", o => E(Op.Mul, E(Op.Mul, C(o.C1), o.U), o.V), b => Is(Op.Mul, b.G.Mul(b.G.Const(b.C1), b.G.Mul(b.U, b.V)))),
            new("Mul a·(1/b) = a/b", o => E(Op.Mul, o.U, E(Op.Recip, E(Op.Exp, o.V))), b => Is(Op.Div, b.G.Div(b.U, b.G.Exp(b.V)))),
            new("Mul (1/a)·b = b/a", o => E(Op.Mul, E(Op.Recip, E(Op.Exp, o.U)), o.V), b => Is(Op.Div, b.G.Div(b.V, b.G.Exp(b.U)))),
            new("Mul a·a = a²", o => E(Op.Mul, o.U, o.U), b => Is(Op.Square, b.G.Square(b.U))),
            new("Mul is commutative (canonical order)", o => E(Op.Mul, o.V, o.U), b => Is(Op.Mul, b.G.Mul(b.U, b.V))),
            // Div
            new("Div folds constants", o => E(Op.Div, C(o.C1), C(o.C2)), b => b.G.Const(b.C1 / b.C2)),
            new("Div a/1 = a", o => E(Op.Div, o.U, C(1)), b => b.U),
            new("Div 0/b = 0", o => E(Op.Div, C(0), E(Op.Exp, o.U)), b => b.Shape0(VD)),
            new("Div a/c = (1/c)·a", o => E(Op.Div, o.U, C(o.C1)), b => Is(Op.Mul, b.G.Mul(b.G.Const(1 / b.C1), b.U))),
            new("Div 1/b = recip b", o => E(Op.Div, C(1), E(Op.Exp, o.U)), b => Is(Op.Recip, b.G.Recip(b.G.Exp(b.U)))),
            new("Div (−a)/b = −(a/b)", o => E(Op.Div, E(Op.Neg, o.U), E(Op.Exp, o.V)), b => Is(Op.Neg, b.G.Neg(b.G.Div(b.U, b.G.Exp(b.V))))),
            new("Div (c·a)/b = c·(a/b)", o => E(Op.Div, E(Op.Mul, C(o.C1), o.U), E(Op.Exp, o.V)), b => Is(Op.Mul, b.G.Mul(b.G.Const(b.C1), b.G.Div(b.U, b.G.Exp(b.V))))),
            // Neg
            new("Neg folds constants", o => E(Op.Neg, C(o.C1)), b => b.G.Const(-b.C1)),
            new("Neg −(−a) = a", o => E(Op.Neg, E(Op.Neg, o.U)), b => b.U),
            new("Neg −(a − b) = b − a", o => E(Op.Neg, E(Op.Sub, o.U, o.V)), b => Is(Op.Sub, b.G.Sub(b.V, b.U))),
            new("Neg −(c·b) = (−c)·b", o => E(Op.Neg, E(Op.Mul, C(o.C1), o.U)), b => Is(Op.Mul, b.G.Mul(b.G.Const(-b.C1), b.U))),
            new("Neg −broadcast(s) = broadcast(−s)", o => E(Op.Neg, Bc(o.S, VD)), b => Is(Op.Broadcast, b.G.Broadcast(b.G.Neg(b.S), b.X.Shape))),
            // Exp, Log, Sqrt
            new("Exp folds constants", o => E(Op.Exp, C(o.C1)), b => b.G.Const(Math.Exp(b.C1))),
            new("Log folds positive constants", o => E(Op.Log, C(Math.Abs(o.C1))), b => b.G.Const(Math.Log(Math.Abs(b.C1)))),
            new("Log log(exp a) = a", o => E(Op.Log, E(Op.Exp, o.U)), b => b.U),
            new("Sqrt folds non-negative constants", o => E(Op.Sqrt, C(Math.Abs(o.C1))), b => b.G.Const(Math.Sqrt(Math.Abs(b.C1)))),
            // Square
            new("Square folds constants", o => E(Op.Square, C(o.C1)), b => b.G.Const(b.C1 * b.C1)),
            new("Square (−a)² = a²", o => E(Op.Square, E(Op.Neg, o.U)), b => Is(Op.Square, b.G.Square(b.U))),
            new("Square (c·u)² = c²·u²", o => E(Op.Square, E(Op.Mul, C(o.C1), o.U)), b => Is(Op.Mul, b.G.Mul(b.G.Const(b.C1 * b.C1), b.G.Square(b.U)))),
            new("Square broadcast(s)² = broadcast(s²)", o => E(Op.Square, Bc(o.S, VD)), b => Is(Op.Broadcast, b.G.Broadcast(b.G.Square(b.S), b.X.Shape))),
            // Pow
            new("Pow a¹ = a", o => Pow(E(Op.Exp, o.U), 1), b => b.G.Exp(b.U)),
            new("Pow a⁰ = 1", o => Pow(E(Op.Exp, o.U), 0), b => b.G.Fit(b.G.Const(1), b.X.Shape)),
            new("Pow a² = square a", o => Pow(E(Op.Exp, o.U), 2), b => Is(Op.Square, b.G.Square(b.G.Exp(b.U)))),
            new("Pow a^½ = √a", o => Pow(E(Op.Exp, o.U), 0.5), b => Is(Op.Sqrt, b.G.Sqrt(b.G.Exp(b.U)))),
            new("Pow a^−1 = recip a", o => Pow(E(Op.Exp, o.U), -1), b => Is(Op.Recip, b.G.Recip(b.G.Exp(b.U)))),
            new("Pow folds constants", o => Pow(C(Math.Abs(o.C1)), 1.5), b => b.G.Const(Math.Pow(Math.Abs(b.C1), 1.5))),
            // Recip
            new("Recip folds constants", o => E(Op.Recip, C(o.C1)), b => b.G.Const(1 / b.C1)),
            new("Recip 1/(1/a) = a", o => E(Op.Recip, E(Op.Recip, E(Op.Exp, o.U))), b => b.G.Exp(b.U)),
            new("Recip 1/(−a) = −(1/a)", o => E(Op.Recip, E(Op.Neg, E(Op.Exp, o.U))), b => Is(Op.Neg, b.G.Neg(b.G.Recip(b.G.Exp(b.U))))),
            // The other elementwise functions fold a literal (to Graph.Fold's value; its accuracy is the value check's business).
            new("Tanh folds constants", o => E(Op.Tanh, C(o.C1)), b => b.G.Const(Graph.Fold(Op.Tanh, b.C1))),
            new("Sigmoid folds constants", o => E(Op.Sigmoid, C(o.C1)), b => b.G.Const(Graph.Fold(Op.Sigmoid, b.C1))),
            new("Softplus folds constants", o => E(Op.Softplus, C(o.C1)), b => b.G.Const(Graph.Fold(Op.Softplus, b.C1))),
            new("Abs folds constants", o => E(Op.Abs, C(o.C1)), b => b.G.Const(Graph.Fold(Op.Abs, b.C1))),
            new("Sign folds constants", o => E(Op.Sign, C(o.C1)), b => b.G.Const(Graph.Fold(Op.Sign, b.C1))),
            new("Floor folds constants", o => E(Op.Floor, C(o.C1)), b => b.G.Const(Graph.Fold(Op.Floor, b.C1))),
            new("Round folds constants", o => E(Op.Round, C(o.C1)), b => b.G.Const(Graph.Fold(Op.Round, b.C1))),
            new("Sin folds constants", o => E(Op.Sin, C(o.C1)), b => b.G.Const(Graph.Fold(Op.Sin, b.C1))),
            new("Cos folds constants", o => E(Op.Cos, C(o.C1)), b => b.G.Const(Graph.Fold(Op.Cos, b.C1))),
            new("Log1p folds constants above −1", o => E(Op.Log1p, C(Math.Abs(o.C1))), b => b.G.Const(Graph.Fold(Op.Log1p, Math.Abs(b.C1)))),
            // SumLast
            new("SumLast Σ(−a) = −Σa", o => new Expr(Op.SumLast, Catalog.S, new[] { E(Op.Neg, o.U) }), b => Is(Op.Neg, b.G.Neg(b.G.SumLast(b.U)))),
            new("SumLast Σ broadcast(s) = s·|D|", o => new Expr(Op.SumLast, Catalog.S, new[] { Bc(o.S, VD) }), b => Is(Op.Mul, b.G.Mul(b.S, b.G.DimSize("D")))),
            new("SumLast Σ(s·v) = s·Σv", o => new Expr(Op.SumLast, Catalog.S, new[] { E(Op.Mul, o.S, o.U) }), b => Is(Op.Mul, b.G.Mul(b.S, b.G.SumLast(b.U)))),
            new("SumLast Σⱼ cₖ·Mₖⱼ = cₖ·Σⱼ Mₖⱼ", o => new Expr(Op.SumLast, VK, new[] { E(Op.Mul, new Expr(Op.Unsqueeze, new[] { "K", "1" }, new[] { o.CK }), o.M) }),
                b => Is(Op.Mul, b.G.Mul(b.CK, b.G.SumLast(b.M)))),
            new("SumLast Σⱼ broadcast(v)ₖⱼ = broadcast(Σv)", o => new Expr(Op.SumLast, VK, new[] { Bc(o.U, MKD) }), b => Is(Op.Broadcast, b.G.Fit(b.G.SumLast(b.U), Shape.Of(true, VK)))),
            // SumRows
            new("SumRows Σₖ(−M) = −Σₖ M", o => new Expr(Op.SumRows, VD, new[] { E(Op.Neg, o.M) }), b => Is(Op.Neg, b.G.Neg(b.G.SumRows(b.M)))),
            new("SumRows Σₖ broadcast(v) = v·|K|", o => new Expr(Op.SumRows, VD, new[] { Bc(o.U, MKD) }), b => Is(Op.Mul, b.G.Mul(b.U, b.G.DimSize("K")))),
            new("SumRows Σₖ cₖ Wₖ = Wᵀc (parameter W)", o => new Expr(Op.SumRows, VD, new[] { E(Op.Mul, new Expr(Op.Unsqueeze, new[] { "K", "1" }, new[] { o.CK }), W) }),
                b => Is(Op.MatVec, b.G.MatVec(b.G.Transpose(b.G.Param("W", "K", "D")), b.CK))),
            new("SumRows Σₖ s·M = s·Σₖ M", o => new Expr(Op.SumRows, VD, new[] { E(Op.Mul, o.S, o.M) }), b => Is(Op.Mul, b.G.Mul(b.S, b.G.SumRows(b.M)))),
            // Linear algebra and shape
            new("MatVec W·broadcast(s) = s·ΣW", o => new Expr(Op.MatVec, VK, new[] { o.M, Bc(o.S, VD) }), b => Is(Op.Mul, b.G.Mul(b.S, b.G.SumLast(b.M)))),
            new("MatVec W·0 = 0", o => new Expr(Op.MatVec, VK, new[] { o.M, Bc(C(0), VD) }), b => b.G.Fit(b.G.Const(0), Shape.Of(true, VK))),
            new("Transpose (Aᵀ)ᵀ = A", o => new Expr(Op.Transpose, MKD, new[] { new Expr(Op.Transpose, new[] { "D", "K" }, new[] { o.M }) }), b => b.M),
            new("Diagonal diag(Aᵀ) = diag(A)", o => new Expr(Op.Diagonal, VK, new[] { new Expr(Op.Transpose, new[] { "K", "K" }, new[] { Square(o.M) }) }),
                b => Is(Op.Diagonal, b.G.Diagonal(b.G.MatMul(b.M, b.G.Transpose(b.G.Param("V", "K", "D")))))),
            new("Broadcast of a broadcast = one broadcast", o => Bc(Bc(o.S, VD), MKD), b => Is(Op.Broadcast, b.G.Broadcast(b.S, Shape.Of(true, MKD)))),
            new("Broadcast to its own shape = itself", o => Bc(o.U, VD), b => b.U),
            new("Add drops a broadcast that implicit broadcasting repeats", o => E(Op.Add, Bc(o.S, VD), o.U), b => Is(Op.Add, Only(b.G.Add(b.S, b.U), n => n.A == b.S || n.B == b.S))),
            // Lattices
            new("Neighbors N(0) = 0", o => new Expr(Op.Neighbors, VD, new[] { Bc(C(0), VD) }), b => b.G.Broadcast(b.G.Const(0), Shape.Of(false, VD))),
            new("Neighbors N(c·v) = c·N(v)", o => new Expr(Op.Neighbors, VD, new[] { E(Op.Mul, C(o.C1), o.U) }), b => Is(Op.Mul, b.G.Mul(b.G.Const(b.C1), b.G.Neighbors(b.U, b.G.Const(Side))))),
            new("Neighbors N(−v) = −N(v)", o => new Expr(Op.Neighbors, VD, new[] { E(Op.Neg, o.U) }), b => Is(Op.Neg, b.G.Neg(b.G.Neighbors(b.U, b.G.Const(Side))))),
            new("Roll by (0, 0) = identity", o => Roll(o.U, 0, 0), b => b.U),
            new("Roll of c·v = c·Roll(v)", o => Roll(E(Op.Mul, C(o.C1), o.U), 1, 0), b => Is(Op.Mul, b.G.Mul(b.G.Const(b.C1), b.G.Roll(b.U, b.G.Const(Side), 1, 0)))),
            new("Roll of −v = −Roll(v)", o => Roll(E(Op.Neg, o.U), 0, 1), b => Is(Op.Neg, b.G.Neg(b.G.Roll(b.U, b.G.Const(Side), 0, 1)))),
            new("Roll of a Roll adds the shifts", o => Roll(Roll(o.U, 1, 0), 0, -1), b => Is(Op.Roll, b.G.Roll(b.U, b.G.Const(Side), 1, -1))),
        };

        private static Expr Square(Expr m) => new Expr(Op.MatMul, new[] { "K", "K" }, new[] { m, new Expr(Op.Transpose, new[] { "D", "K" }, new[] { Vm }) });

        /// <summary>The expected node, checked to have the operation the rule's right-hand side names.</summary>
        private static Node Is(Op op, Node n)
        {
            Assert.True(n.Op == op, $"the expected right-hand side is a {n.Op}, not a {op}: {n}");
            return n;
        }

        private static Node Only(Node n, Func<Node, bool> check)
        {
            Assert.True(check(n), "the expected right-hand side does not have the expected form: " + n);
            return n;
        }

        public static IEnumerable<object[]> RuleNames() => Rules.Select(r => new object[] { r.Name });

        /// <summary>A constant away from 0 and ±1 (|c| ∈ [1.25, 3], either sign), so only the rule under test applies to it.</summary>
        private static readonly Gen<double> Constant = Gen.Select(Gen.Double[1.25, 3], Gen.Bool, (c, negative) => negative ? -c : c);

        private static readonly Gen<Operands> Operands_ = OperandsGen();

        private static Gen<Operands> OperandsGen()
        {
            var generators = new Generators(Profile.Value);
            var sub = Gen.Int[0, 2].SelectMany(d => generators.Of(VD, d, xFree: false));
            Expr Opaque(Op op, Expr e) => new Expr(op, VD, new[] { new Expr(Op.Add, VD, new[] { X, e }) });
            return from e1 in sub
                   from e2 in sub
                   from e3 in sub
                   from c1 in Constant
                   from c2 in Constant
                   from p in Generators.Points()
                   let s = new Expr(Op.SumLast, Catalog.S, new[] { Opaque(Op.Tanh, e3) })
                   select new Operands(
                       Opaque(Op.Sin, e1), Opaque(Op.Cos, e2), s,
                       new Expr(Op.Sin, MKD, new[] { new Expr(Op.Add, MKD, new[] { W, Opaque(Op.Cos, e3) }) }),
                       new Expr(Op.Sin, VK, new[] { new Expr(Op.Add, VK, new[] { Leaf(Op.Param, VK, "c"), s }) }),
                       c1, c2, p);
        }

        [Theory]
        [MemberData(nameof(RuleNames))]
        public void Rule_fires_and_preserves_value(string name)
        {
            int index = Array.FindIndex(Rules, r => r.Name == name);
            var rule = Rules[index];
            PropertyRunner.Run(name, Operands_, o =>
            {
                var g = new Graph();
                var x = g.Input("D");
                var b = new Built { G = g, X = x, U = o.U.ToGraph(g, x), V = o.V.ToGraph(g, x), S = o.S.ToGraph(g, x), M = o.M.ToGraph(g, x), CK = o.CK.ToGraph(g, x), C1 = o.C1, C2 = o.C2 };
                Assert.True(b.U.Op == Op.Sin && b.V.Op == Op.Cos && b.S.Op == Op.SumLast && b.M.Op == Op.Sin && b.CK.Op == Op.Sin, "an operand is not opaque");
                var lhs = rule.Lhs(o);
                var built = lhs.ToGraph(g, x);
                var expected = rule.Expected(b);
                Assert.True(ReferenceEquals(built, expected), $"{name}: {lhs} became {built}, expected {expected}");
                var p = o.Point;
                double[] simplified = p.Evaluator().Evaluate(built, p.X, p.Conditions).Data;
                var written = Reference.Evaluate(lhs, p, p.X);
                var rewritten = Reference.Evaluate(Expr.FromNode(built), p, p.X);
                for (int i = 0; i < written.Value.Length; i++)
                {
                    // As in Simplification_preserves_value: each form is within its running error bound of the exact value.
                    double w = written.Value[i], e = written.Error[i] + rewritten.Error[simplified.Length == 1 ? 0 : i];
                    double s = simplified[simplified.Length == 1 ? 0 : i];
                    Assert.True(Math.Abs(s - w) <= 2 * e, $"{name}: entry {i}: rewritten {s:R}, as written {w:R}, tolerance {2 * e:R}");
                }
            }, 0x5eed_1000UL + (ulong)index, CasesPerRule, o => rule.Lhs(o) + "\n  with " + o);
        }
    }
}
