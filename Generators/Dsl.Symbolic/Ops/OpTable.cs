using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Dsl.Symbolic.Ir;

namespace Dsl.Symbolic.Ops
{
    /// <summary>What kind of operation a table entry is.</summary>
    public enum OpKind
    {
        /// <summary>A leaf: input, parameter, literal, size.</summary>
        Leaf,
        /// <summary>φ(a) applied to every element.</summary>
        ElementwiseUnary,
        /// <summary>a ∘ b with broadcasting.</summary>
        ElementwiseBinary,
        /// <summary>l &gt; r ? a : b with broadcasting over the four operands (WhereGt).</summary>
        ElementwiseSelect,
        /// <summary>A reduction over an axis.</summary>
        Reduction,
        /// <summary>A matrix product.</summary>
        LinearAlgebra,
        /// <summary>A view or expansion.</summary>
        Shape,
        /// <summary>An operation on an L×L lattice held in a Vec.</summary>
        Lattice,
    }

    /// <summary>
    /// How an entry's result shape follows from its operands. Graph's constructors compute shapes (with their broadcasting and
    /// error messages); this is the declaration a reader reads, and Dsl.Symbolic.Tests' ShapeRuleProperties checks the two agree on
    /// every node of random DAGs.
    /// </summary>
    public enum ShapeRule
    {
        /// <summary>Fixed by the leaf's declaration.</summary>
        Leaf,
        /// <summary>The operand's shape.</summary>
        SameAsOperand,
        /// <summary>numpy broadcasting of the operands (two, or WhereGt's four).</summary>
        Broadcast,
        /// <summary>The operand without its last axis.</summary>
        DropLast,
        /// <summary>Mat[K,D] → Vec[D].</summary>
        DropRows,
        /// <summary>Mat[K,L] × Vec[L] → Vec[K].</summary>
        MatVec,
        /// <summary>Mat[K,L] × Mat[L,D] → Mat[K,D].</summary>
        MatMul,
        /// <summary>Mat[K,D] → Mat[D,K].</summary>
        Transpose,
        /// <summary>Mat[D,D] → Vec[D].</summary>
        Diagonal,
        /// <summary>Mat[D,D] → Scalar (a determinant).</summary>
        Determinant,
        /// <summary>A trailing singleton axis added.</summary>
        AppendOne,
        /// <summary>Stored in the node.</summary>
        Explicit,
    }

    /// <summary>The backends an operation is spelled for.</summary>
    public enum SpellingTarget
    {
        /// <summary>TorchSharp tensor methods, out of place (TensorCodeEmitter).</summary>
        TorchOps,
        /// <summary>TorchSharp tensor methods overwriting the operand (TensorCodeEmitter's in-place reuse); null: no in-place form.</summary>
        TorchOpsInPlace,
        /// <summary>A C# double expression inside the fused CPU loop (FusedCpuEmitter).</summary>
        FusedScalar,
        /// <summary>A C# Vector256&lt;double&gt; expression inside the fused CPU loop's lanes (FusedCpuEmitter).</summary>
        FusedVector,
        /// <summary>TorchScript source (TorchScriptEmitter).</summary>
        TorchScript,
        /// <summary>A C# double expression of host values (literals, sizes, hyperparameters: TensorCodeEmitter.Host).</summary>
        Host,
    }

    /// <summary>
    /// One operation, declared once: its DSL name, arity, kind, shape rule, constant folding, calculus and its spelling on every
    /// backend. Spellings are templates: <c>{a}</c> and <c>{b}</c> are the operands (<c>{c}</c>, <c>{d}</c> WhereGt's third and fourth), <c>{p}</c> the constant exponent (as the
    /// backend writes literals), and <c>{Ops}</c>, <c>{Kernels}</c>, <c>{Math}</c>, <c>{Vector256}</c> are the runtime and BCL
    /// prefixes the emitters substitute (see <see cref="OpTable.Placeholders"/>). A null spelling means the backend has no text
    /// for the operation from the table: it is either written by bespoke emitter code (the structural operations) or, for
    /// <see cref="SpellingTarget.TorchOpsInPlace"/>, not available in place.
    /// </summary>
    public sealed class OpInfo
    {
        private readonly string?[] spellings;

        internal OpInfo(Op op, string? dslName, int arity, OpKind kind, ShapeRule shape, bool hasParameter, bool nonDifferentiable,
            Func<double, double, double>? fold, Func<Graph, Node, Node>? first, Func<Graph, Node, Node, Node>? second, string?[] spellings)
        {
            Op = op;
            DslName = dslName;
            Arity = arity;
            Kind = kind;
            Shape = shape;
            HasParameter = hasParameter;
            NonDifferentiable = nonDifferentiable;
            FoldFunction = fold;
            FirstRule = first;
            SecondRule = second;
            this.spellings = spellings;
        }

        /// <summary>The IR operation.</summary>
        public Op Op { get; }

        /// <summary>
        /// The <c>Dsl.Math</c> function written for this operation; null when none (or when the lowering composes it). Lowering maps
        /// every elementwise function through it (<see cref="OpTable.ByDslName"/>); the structural calls (Pow's literal exponent,
        /// LogSumExp, MatVec, Transpose, the lattice stencils) have their own argument checks in ExprLowerer.
        /// </summary>
        public string? DslName { get; }

        /// <summary>Number of node operands.</summary>
        public int Arity { get; }

        /// <summary>The kind.</summary>
        public OpKind Kind { get; }

        /// <summary>The shape rule.</summary>
        public ShapeRule Shape { get; }

        /// <summary>True when the node carries a constant parameter in <see cref="Node.Value"/> (Pow's exponent, Polygamma's order).</summary>
        public bool HasParameter { get; }

        /// <summary>True for functions whose derivative is undefined or zero almost everywhere (no score through them: DSL0008).</summary>
        public bool NonDifferentiable { get; }

        /// <summary>
        /// For a non-differentiable function with a kink (Abs, Relu; WhereGt's is in the calculus): the subgradient its <see cref="FirstRule"/> gives, in words, used
        /// only when the graph allows subgradients (a model marked [Subgradient]); null for the others (Sign, Floor, Round: no score).
        /// </summary>
        public string? Subgradient { get; internal set; }

        /// <summary>φ(v, p) for an elementwise unary function (p: the parameter), φ(a, b) for a binary one; null for the others.</summary>
        public Func<double, double, double>? FoldFunction { get; }

        /// <summary>φ'(u) for n = φ(u), as an expression reusing n; null where the calculus is bespoke or there is none.</summary>
        public Func<Graph, Node, Node>? FirstRule { get; }

        /// <summary>φ''(u) for n = φ(u) given φ'(u); null where the calculus is bespoke or there is none.</summary>
        public Func<Graph, Node, Node, Node>? SecondRule { get; }

        /// <summary>True for φ(a) applied to every element.</summary>
        public bool IsElementwiseUnary => Kind == OpKind.ElementwiseUnary;

        /// <summary>True for elementwise operations (unary, binary and the select WhereGt).</summary>
        public bool IsElementwise => Kind == OpKind.ElementwiseUnary || Kind == OpKind.ElementwiseBinary || Kind == OpKind.ElementwiseSelect;

        /// <summary>The name a diagnostic shows: the <c>Dsl.Math</c> function, or for WhereGt the functions lowered to it.</summary>
        public string DisplayName => Op == Op.WhereGt ? "Max/Min/Where" : DslName ?? Op.ToString();

        /// <summary>The spelling template on <paramref name="backend"/>, or null.</summary>
        public string? Spelling(SpellingTarget backend) => spellings[(int)backend];

        /// <summary>
        /// The spelling on <paramref name="backend"/> with operands and prefixes substituted: <paramref name="a"/>, <paramref name="b"/>
        /// for <c>{a}</c>, <c>{b}</c>, <paramref name="p"/> for <c>{p}</c>, <paramref name="prefix"/> for the runtime prefixes.
        /// One pass over the template, so operand text is never rescanned.
        /// </summary>
        public string Spell(SpellingTarget backend, Func<string, string> prefix, string a, string? b = null, string? p = null) =>
            Spell(backend, prefix, new[] { a, b }, p);

        /// <summary>The spelling with the operands <paramref name="operands"/> for <c>{a}</c>, <c>{b}</c>, <c>{c}</c>, <c>{d}</c> (WhereGt's four).</summary>
        public string Spell(SpellingTarget backend, Func<string, string> prefix, IReadOnlyList<string?> operands, string? p = null)
        {
            var template = Spelling(backend) ?? throw new InvalidOperationException("the op table has no " + backend + " spelling of " + Op);
            var sb = new StringBuilder();
            int i = 0;
            while (i < template.Length)
            {
                int open = template.IndexOf('{', i);
                if (open < 0) { sb.Append(template, i, template.Length - i); break; }
                int close = template.IndexOf('}', open);
                sb.Append(template, i, open - i);
                var name = template.Substring(open + 1, close - open - 1);
                switch (name)
                {
                    case "a": case "b": case "c": case "d":
                        {
                            int k = name[0] - 'a';
                            sb.Append((k < operands.Count ? operands[k] : null) ?? throw new ArgumentNullException("operand {" + name + "}"));
                            break;
                        }
                    case "p": sb.Append(p ?? throw new ArgumentNullException(nameof(p))); break;
                    default: sb.Append(prefix(name)); break;
                }
                i = close + 1;
            }
            return sb.ToString();
        }

        /// <summary>φ(v) with the table's definition (p: the parameter, such as Pow's exponent).</summary>
        public double Fold(double v, double p = 0) =>
            (FoldFunction ?? throw new ArgumentException("not an elementwise operation: " + Op))(v, p);

        /// <inheritdoc/>
        public override string ToString() => Op.ToString();
    }

    /// <summary>
    /// The operations of the IR, each declared once (<see cref="OpInfo"/>). The graph folds constants with it, the calculus takes
    /// the elementwise derivative rules from it, the lowering maps <c>Dsl.Math</c> names through it and every emitter spells
    /// elementwise operations from it. Adding an elementwise function: its <see cref="Op"/> member, one entry here, one eager
    /// <c>Dsl.Math</c> function (and a <c>Dsl.GeneratedCode.FusedKernels</c> helper if a spelling names one), and its op-conformance case and
    /// models (Tests/Dsl.Models.Tests/OpConformance).
    /// </summary>
    public static class OpTable
    {
        /// <summary>The prefix placeholders a spelling may use and the text the generator substitutes for each.</summary>
        public static IReadOnlyDictionary<string, string> Placeholders { get; } = new Dictionary<string, string>
        {
            ["Ops"] = "global::Dsl.ScalarOps.",
            ["Kernels"] = "global::Dsl.GeneratedCode.FusedKernels.",
            ["Math"] = "global::System.Math.",
            ["Vector256"] = "global::System.Runtime.Intrinsics.Vector256",
        };

        private static readonly OpInfo[] entries = Build();
        private static readonly Dictionary<string, OpInfo> byName = entries.Where(e => e.DslName != null).ToDictionary(e => e.DslName!, StringComparer.Ordinal);

        /// <summary>Every operation, in <see cref="Op"/> order.</summary>
        public static IReadOnlyList<OpInfo> All => entries;

        /// <summary>The entry of <paramref name="op"/>.</summary>
        public static OpInfo Get(Op op) => entries[(int)op];

        /// <summary>The entry a <c>Dsl.Math</c> function maps to, or null.</summary>
        public static OpInfo? ByDslName(string name) => byName.TryGetValue(name, out var e) ? e : null;

        /// <summary>True for elementwise operations (unary, binary and the select WhereGt).</summary>
        public static bool IsElementwise(Op op) => Get(op).IsElementwise;

        /// <summary>
        /// Every runtime or BCL member a spelling names: (entry, backend, placeholder, member), e.g. (Softplus, FusedScalar, "Kernels",
        /// "Softplus") for <c>{Kernels}Softplus({a})</c>. Vector256 members are read after <c>{Vector256}.</c> or <c>{Vector256}&lt;double&gt;.</c>.
        /// </summary>
        public static IEnumerable<(OpInfo Op, SpellingTarget Backend, string Placeholder, string Member)> RuntimeReferences()
        {
            var pattern = new Regex(@"\{(Ops|Kernels|Math|Vector256)\}(?:<double>)?\.?([A-Za-z_][A-Za-z0-9_]*)");
            foreach (var e in entries)
                foreach (SpellingTarget backend in Enum.GetValues(typeof(SpellingTarget)))
                {
                    var s = e.Spelling(backend);
                    if (s == null) continue;
                    foreach (Match m in pattern.Matches(s)) yield return (e, backend, m.Groups[1].Value, m.Groups[2].Value);
                }
        }

        private static OpInfo[] Build()
        {
            var list = new List<OpInfo>();
            OpInfo Add(OpInfo e) { list.Add(e); return e; }
            const double Half = 0.5;

            // Spelling order: TorchOps, TorchOpsInPlace, FusedScalar, FusedVector, TorchScript, Host.
            OpInfo Unary(Op op, string? dsl, Func<double, double> fold, Func<Graph, Node, Node>? first, Func<Graph, Node, Node, Node>? second,
                string torch, string? inPlace, string fused, string vector, string script, string host, bool nonDifferentiable = false) =>
                Add(new OpInfo(op, dsl, 1, OpKind.ElementwiseUnary, ShapeRule.SameAsOperand, false, nonDifferentiable, (v, _) => fold(v), first, second,
                    new[] { torch, inPlace, fused, vector, script, host }));

            OpInfo Structural(Op op, string? dsl, int arity, OpKind kind, ShapeRule shape, string? torch = null, string? script = null) =>
                Add(new OpInfo(op, dsl, arity, kind, shape, false, false, null, null, null, new[] { torch, null, null, null, script, null }));

            OpInfo Binary(Op op, string symbol, Func<double, double, double> fold) =>
                // The torch-op and TorchScript forms depend on which operands are host doubles: written by the emitters (ScalarOps forms).
                Add(new OpInfo(op, null, 2, OpKind.ElementwiseBinary, ShapeRule.Broadcast, false, false, fold, null, null,
                    new[] { null, null, "({a} " + symbol + " {b})", "({a} " + symbol + " {b})", null, "({a} " + symbol + " {b})" }));

            // Leaves
            Structural(Op.Input, null, 0, OpKind.Leaf, ShapeRule.Leaf);
            Structural(Op.Condition, null, 0, OpKind.Leaf, ShapeRule.Leaf);
            Structural(Op.Param, null, 0, OpKind.Leaf, ShapeRule.Leaf);
            Structural(Op.Hyper, null, 0, OpKind.Leaf, ShapeRule.Leaf);
            Structural(Op.Const, null, 0, OpKind.Leaf, ShapeRule.Leaf);
            Structural(Op.DimSize, null, 0, OpKind.Leaf, ShapeRule.Leaf);

            // Elementwise unary
            Unary(Op.Neg, null, v => -v,
                (g, n) => g.Const(-1), (g, n, d1) => g.Const(0),
                "{a}.neg()", "{a}.neg_()", "(-{a})", "(-{a})", "{a}.neg()", "(-{a})");
            Unary(Op.Exp, "Exp", System.Math.Exp,
                (g, n) => n, (g, n, d1) => n,                                                          // (eᵘ)' = (eᵘ)'' = eᵘ
                "{a}.exp()", "{a}.exp_()", "{Math}Exp({a})", "{Vector256}.Exp({a})", "{a}.exp()", "{Math}Exp({a})");
            Unary(Op.Log, "Log", System.Math.Log,
                (g, n) => g.Recip(n.A), (g, n, d1) => g.Neg(g.Square(d1)),                             // 1/u, −1/u²
                "{a}.log()", "{a}.log_()", "{Math}Log({a})", "{Vector256}.Log({a})", "{a}.log()", "{Math}Log({a})");
            Unary(Op.Sqrt, "Sqrt", System.Math.Sqrt,
                (g, n) => g.Div(g.Const(Half), n), (g, n, d1) => g.Div(g.Const(-0.25), g.Mul(n, n.A)), // 1/(2√u), −1/(4 u^{3/2})
                "{a}.sqrt()", "{a}.sqrt_()", "{Math}Sqrt({a})", "{Vector256}.Sqrt({a})", "{a}.sqrt()", "{Math}Sqrt({a})");
            Unary(Op.Square, "Square", v => v * v,
                (g, n) => g.Mul(g.Const(2), n.A), (g, n, d1) => g.Const(2),                           // 2u, 2
                "{Ops}Square({a})", "{Ops}Square_({a})", "{Kernels}Square({a})", "{Kernels}Square({a})", "{a}.square()", "({a} * {a})");
            Add(new OpInfo(Op.Pow, "Pow", 1, OpKind.ElementwiseUnary, ShapeRule.SameAsOperand, true, false, System.Math.Pow,
                (g, n) => g.Mul(g.Const(n.Value), g.Pow(n.A, n.Value - 1)),                             // p u^(p−1)
                (g, n, d1) => g.Mul(g.Const(n.Value * (n.Value - 1)), g.Pow(n.A, n.Value - 2)),         // p(p−1) u^(p−2)
                new[] { "{Ops}Pow({a}, {p})", "{Ops}Pow_({a}, {p})", "{Math}Pow({a}, {p})", "{Kernels}Pow({a}, {p})", "{a}.pow({p})", "{Math}Pow({a}, {p})" }));
            Unary(Op.Tanh, "Tanh", System.Math.Tanh,
                (g, n) => g.Sub(g.Const(1), g.Square(n)), (g, n, d1) => g.Mul(g.Const(-2), g.Mul(n, d1)), // 1 − tanh², −2 tanh (1 − tanh²)
                "{a}.tanh()", "{a}.tanh_()", "{Math}Tanh({a})", "{Kernels}Tanh({a})", "{a}.tanh()", "{Math}Tanh({a})");
            Unary(Op.Sigmoid, "Sigmoid", OpMath.Sigmoid,
                (g, n) => g.Mul(n, g.Sub(g.Const(1), n)),                                               // σ(1 − σ)
                (g, n, d1) => g.Mul(d1, g.Sub(g.Const(1), g.Mul(g.Const(2), n))),                       // σ(1−σ)(1−2σ)
                "{a}.sigmoid()", "{a}.sigmoid_()", "{Kernels}Sigmoid({a})", "{Kernels}Sigmoid({a})", "{a}.sigmoid()", "{Kernels}Sigmoid({a})");
            // softplus(u) = max(u, 0) + log1p(e^−|u|) on every backend: logaddexp(u, 0) in libtorch is that formula, FusedKernels and
            // OpMath spell it out; no threshold anywhere.
            Unary(Op.Softplus, "Softplus", OpMath.Softplus,
                (g, n) => g.Unary(Op.Sigmoid, n.A), (g, n, d1) => g.Mul(d1, g.Sub(g.Const(1), d1)),    // σ(u), σ(u)(1 − σ(u))
                "{Ops}Softplus({a})", null, "{Kernels}Softplus({a})", "{Kernels}Softplus({a})",
                "({a}.clamp_min(0.0) + {a}.abs().neg().exp().log1p())", "{Kernels}Softplus({a})");
            Unary(Op.Recip, null, v => 1 / v,
                (g, n) => g.Neg(g.Square(n)), (g, n, d1) => g.Mul(g.Const(2), g.Pow(n, 3)),              // −1/u², 2/u³
                "{a}.reciprocal()", "{a}.reciprocal_()", "(1.0 / {a})", "({Vector256}<double>.One / {a})", "{a}.reciprocal()", "(1.0 / {a})");
            Unary(Op.Abs, "Abs", System.Math.Abs,
                (g, n) => g.Unary(Op.Sign, n.A), (g, n, d1) => g.Const(0),                              // sign u, 0: the subgradient ([Subgradient] only)
                "{a}.abs()", "{a}.abs_()", "{Math}Abs({a})", "{Vector256}.Abs({a})", "{a}.abs()", "{Math}Abs({a})", nonDifferentiable: true)
                .Subgradient = "sign(u) (0 at the kink u = 0)";
            Unary(Op.Sign, "Sign", OpMath.Sign, null, null,
                "{a}.sign()", null, "{Kernels}Sign({a})", "{Kernels}Sign({a})", "{a}.sign()", "{Kernels}Sign({a})", nonDifferentiable: true);   // NaN stays NaN (System.Math.Sign throws)
            Unary(Op.Floor, "Floor", System.Math.Floor, null, null,
                "{a}.floor()", null, "{Math}Floor({a})", "{Vector256}.Floor({a})", "{a}.floor()", "{Math}Floor({a})", nonDifferentiable: true);
            Unary(Op.Round, "Round", v => System.Math.Round(v, MidpointRounding.ToEven), null, null,
                "{a}.round()", null, "{Kernels}Round({a})", "{Kernels}Round({a})", "{a}.round()", "{Math}Round({a})", nonDifferentiable: true);
            Unary(Op.Sin, "Sin", System.Math.Sin,
                (g, n) => g.Unary(Op.Cos, n.A), (g, n, d1) => g.Neg(n),                                 // cos u, −sin u
                "{a}.sin()", null, "{Math}Sin({a})", "{Kernels}Sin({a})", "{a}.sin()", "{Math}Sin({a})");
            Unary(Op.Cos, "Cos", System.Math.Cos,
                (g, n) => g.Neg(g.Unary(Op.Sin, n.A)), (g, n, d1) => g.Neg(n),                          // −sin u, −cos u
                "{a}.cos()", null, "{Math}Cos({a})", "{Kernels}Cos({a})", "{a}.cos()", "{Math}Cos({a})");
            Unary(Op.Log1p, "Log1p", OpMath.Log1p,
                (g, n) => g.Recip(g.Add(g.Const(1), n.A)), (g, n, d1) => g.Neg(g.Square(d1)),          // 1/(1 + u), −1/(1 + u)²
                "{a}.log1p()", "{a}.log1p_()", "{Kernels}Log1p({a})", "{Kernels}Log1p({a})", "{a}.log1p()", "{Kernels}Log1p({a})");
            Unary(Op.Expm1, "Expm1", SpecialFunctions.Expm1,
                (g, n) => g.Exp(n.A), (g, n, d1) => d1,                                                 // eᵘ, eᵘ
                "{a}.expm1()", "{a}.expm1_()", "{Kernels}Expm1({a})", "{Kernels}Expm1({a})", "{a}.expm1()", "{Kernels}Expm1({a})");
            // log σ(u) = min(u, 0) − log1p(e^−|u|) = −softplus(−u) on every backend (libtorch's log_sigmoid formula).
            Unary(Op.LogSigmoid, "LogSigmoid", SpecialFunctions.LogSigmoid,
                (g, n) => g.Unary(Op.Sigmoid, g.Neg(n.A)),                                              // σ(−u) = 1 − σ(u)
                (g, n, d1) => g.Mul(d1, g.Sub(d1, g.Const(1))),                                         // −σ(−u)(1 − σ(−u))
                "{Ops}Softplus({a}.neg()).neg()", null, "{Kernels}LogSigmoid({a})", "{Kernels}LogSigmoid({a})",
                "({a}.clamp_max(0.0) - {a}.abs().neg().exp().log1p())", "{Kernels}LogSigmoid({a})");
            Unary(Op.Erf, "Erf", SpecialFunctions.Erf,
                (g, n) => g.Mul(g.Const(1.1283791670955126), g.Exp(g.Neg(g.Square(n.A)))),             // (2/√π) e^−u²
                (g, n, d1) => g.Mul(g.Const(-2), g.Mul(n.A, d1)),                                       // −2u (2/√π) e^−u²
                "{a}.erf()", "{a}.erf_()", "{Kernels}Erf({a})", "{Kernels}Erf({a})", "{a}.erf()", "{Kernels}Erf({a})");
            Unary(Op.Lgamma, "Lgamma", SpecialFunctions.Lgamma,
                (g, n) => g.Unary(Op.Polygamma, n.A, 0), (g, n, d1) => g.Unary(Op.Polygamma, n.A, 1),  // ψ(u), ψ′(u)
                "{a}.lgamma()", "{a}.lgamma_()", "{Kernels}Lgamma({a})", "{Kernels}Lgamma({a})", "{a}.lgamma()", "{Kernels}Lgamma({a})");
            // ψ⁽ⁿ⁾ with the order n as the parameter (as Pow's exponent): Digamma(u) lowers to order 0, and the derivatives of
            // every order are the same operation one and two orders up, so the calculus closes without a Trigamma, Tetragamma, ….
            Add(new OpInfo(Op.Polygamma, "Digamma", 1, OpKind.ElementwiseUnary, ShapeRule.SameAsOperand, true, false, (v, p) => SpecialFunctions.Polygamma(p, v),
                (g, n) => g.Unary(Op.Polygamma, n.A, n.Value + 1), (g, n, d1) => g.Unary(Op.Polygamma, n.A, n.Value + 2),   // ψ⁽ⁿ⁺¹⁾, ψ⁽ⁿ⁺²⁾
                new[] { "{a}.polygamma((long){p})", null, "{Kernels}Polygamma({a}, {p})", "{Kernels}Polygamma({a}, {p})",
                    "torch.polygamma(int({p}), {a})", "{Kernels}Polygamma({a}, {p})" }));
            // The kinked functions: non-differentiable (DSL0008) unless the model opts in with [Subgradient] (Graph.Subgradients),
            // then differentiated by the subgradient named here, libtorch's choice at the kink (abs′(0) = sign(0) = 0, relu′(0) = 0).
            Unary(Op.Relu, "Relu", OpMath.Relu,
                (g, n) => g.Unary(Op.Sign, n), (g, n, d1) => g.Const(0),                                // sign(relu u) = 1 for u > 0, else 0; 0
                "{a}.relu()", "{a}.relu_()", "{Kernels}Relu({a})", "{Kernels}Relu({a})", "{a}.relu()", "{Kernels}Relu({a})", nonDifferentiable: true)
                .Subgradient = "1 for u > 0 and 0 for u ≤ 0 (0 at the kink u = 0)";

            // Elementwise binary
            Binary(Op.Add, "+", (a, b) => a + b);
            Binary(Op.Sub, "-", (a, b) => a - b);
            Binary(Op.Mul, "*", (a, b) => a * b);
            Binary(Op.Div, "/", (a, b) => a / b);

            // The select l > r ? a : b (Graph.WhereGt folds and differentiates it; Max, Min and Where lower to it). The torch-op and
            // TorchScript forms turn host operands into tensors: written by the emitters. A NaN in l or r compares false (b) everywhere:
            // C#'s > on doubles and Vector256.GreaterThan's lanes, and torch's gt.
            Add(new OpInfo(Op.WhereGt, null, 4, OpKind.ElementwiseSelect, ShapeRule.Broadcast, false, true, null, null, null,
                new[] { null, null, "({a} > {b} ? {c} : {d})", "{Vector256}.ConditionalSelect({Vector256}.GreaterThan({a}, {b}), {c}, {d})", null,
                    "({a} > {b} ? {c} : {d})" }))
                .Subgradient = "the selected branch's derivative (at a tie l = r the second branch: ∂Max(a, b)/∂a = 1 for a > b, 0 for a ≤ b; ∂Min(a, b)/∂a = 1 for a < b, 0 for a ≥ b)";

            // Reductions
            Structural(Op.SumLast, null, 1, OpKind.Reduction, ShapeRule.DropLast, "{a}.sum(-1)", "{a}.sum(-1)");
            Structural(Op.SumRows, null, 1, OpKind.Reduction, ShapeRule.DropRows, "{a}.sum(-2)", "{a}.sum(-2)");
            Structural(Op.LogSumExp, "LogSumExp", 1, OpKind.Reduction, ShapeRule.DropLast, "{a}.logsumexp(-1)", "{a}.logsumexp(-1)");

            // Linear algebra
            Structural(Op.MatVec, "MatVec", 2, OpKind.LinearAlgebra, ShapeRule.MatVec);
            Structural(Op.MatMul, null, 2, OpKind.LinearAlgebra, ShapeRule.MatMul, "{a}.matmul({b})", "{a}.matmul({b})");
            Structural(Op.Transpose, "Transpose", 1, OpKind.LinearAlgebra, ShapeRule.Transpose, "{a}.transpose(-2, -1)", "{a}.transpose(-2, -1)");
            Structural(Op.Diagonal, null, 1, OpKind.LinearAlgebra, ShapeRule.Diagonal, "{a}.diagonal(0, -2, -1)", "{a}.diagonal(0, -2, -1)");
            // Dense linear algebra of a square matrix (batched or not): torch.linalg's slogdet (its logabsdet), inv and solve. Their
            // calculus is in Calculus/ (Gradient: Ā = ḡ A⁻ᵀ, −Bᵀ B̄ Bᵀ, and b̄ = Solve(Aᵀ, x̄), Ā = −b̄ xᵀ; Laplacian: Solve with an
            // x-free A is the linear map A⁻¹, the others refuse an x-dependent matrix). No fused or TorchScript spelling: a method
            // using them runs on torch ops, with the reason in the plan. Solve's torch-op form depends on which operands are batched
            // (TensorCodeEmitter.SolveText), so it has no template here.
            Structural(Op.LogDet, "LogDet", 1, OpKind.LinearAlgebra, ShapeRule.Determinant, "{Ops}LogAbsDet({a})");
            Structural(Op.Inverse, "Inverse", 1, OpKind.LinearAlgebra, ShapeRule.SameAsOperand, "{a}.inverse()");
            Structural(Op.Solve, "Solve", 2, OpKind.LinearAlgebra, ShapeRule.MatVec);

            // Shape
            Structural(Op.Unsqueeze, null, 1, OpKind.Shape, ShapeRule.AppendOne, "{a}.unsqueeze(-1)", "{a}.unsqueeze(-1)");
            Structural(Op.Broadcast, null, 1, OpKind.Shape, ShapeRule.Explicit);

            // Lattices (a, the host side L; Roll also the constant shifts)
            Structural(Op.Neighbors, "LatticeNeighbours", 2, OpKind.Lattice, ShapeRule.SameAsOperand);
            Structural(Op.Roll, "Roll", 4, OpKind.Lattice, ShapeRule.SameAsOperand);

            // Structured state: the constant selector (rows, cols and offset in the node); slices, Concat, Eye and Block compose it
            // with MatVec and MatMul (Graph.Slice, Graph.Pad, Graph.Concat, Graph.Eye, Graph.Block), so their calculus is MatVec's.
            Structural(Op.Selector, null, 0, OpKind.Leaf, ShapeRule.Leaf);

            var result = list.ToArray();
            var ops = (Op[])Enum.GetValues(typeof(Op));
            if (result.Length != ops.Length) throw new InvalidOperationException("the op table has " + result.Length + " entries for " + ops.Length + " operations");
            for (int i = 0; i < result.Length; i++)
                if (result[i].Op != ops[i] || (int)ops[i] != i) throw new InvalidOperationException("the op table is out of Op order at " + result[i].Op);
            return result;
        }
    }
}
