using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Dsl.Symbolic.Ir;
using Dsl.Symbolic.Ops;

namespace Dsl.Generators.Emit
{
    /// <summary>Which of the two generated code paths a method body belongs to.</summary>
    public enum CodePath
    {
        /// <summary>Pure out-of-place torch ops: autograd records them, parameters train.</summary>
        Differentiable,
        /// <summary>Under no_grad, in-place where a temporary dies, temporaries disposed at their last use.</summary>
        Inference,
    }

    /// <summary>
    /// IR → C# statements over TorchSharp tensors for one method. Every tensor node becomes one temporary,
    /// numbered in the deterministic operand-first order of <see cref="Topology"/>; nodes built only from
    /// literals, dimension sizes and hyperparameters are computed as C# doubles (no 0-dim tensors).
    /// Batched operands of lower per-sample rank get singleton axes after the batch axis so that torch's
    /// trailing broadcasting implements the IR's per-sample broadcasting.
    /// </summary>
    public sealed class TensorCodeEmitter
    {
        private readonly SourceWriter w;
        private readonly CodePath path;
        private readonly Dictionary<Node, string> names = new Dictionary<Node, string>();
        private readonly Dictionary<string, string> paramLocals;
        private int temps;

        private readonly string conditionName;
        private readonly IReadOnlyDictionary<string, string>? conditionLocals;
        private readonly string batchReference;

        /// <summary>
        /// Creates an emitter writing to <paramref name="writer"/>; parameters are read from the given locals, the
        /// condition leaf (σ or t) from <paramref name="conditionName"/>, and the batch size, dtype and device of
        /// broadcast constants from <paramref name="batchReference"/>.
        /// </summary>
        /// <param name="conditionLocals">The C# local of each named condition leaf ([Time] t, [Condition] y, a label's one-hot); <paramref name="conditionName"/> for the others.</param>
        public TensorCodeEmitter(SourceWriter writer, CodePath path, Dictionary<string, string> paramLocals, string conditionName = "sigma", string batchReference = "x",
            IReadOnlyDictionary<string, string>? conditionLocals = null)
        {
            this.conditionLocals = conditionLocals;
            w = writer;
            this.path = path;
            this.paramLocals = paramLocals;
            this.conditionName = conditionName;
            this.batchReference = batchReference;
        }

        /// <summary>
        /// Emits statements computing <paramref name="roots"/> and returns, per root, an expression for a
        /// fresh tensor of the full batched shape (ready to move out of the dispose scope).
        /// </summary>
        public IReadOnlyList<string> Emit(IReadOnlyList<Node> roots)
        {
            var order = Topology.Order(roots);
            var remaining = Topology.UseCounts(order, roots);
            var rootSet = new HashSet<Node>(roots);
            var owned = new HashSet<Node>();   // temporaries this method allocated (safe to mutate or dispose)
            // A tensor that some view (transpose, unsqueeze, expand, diagonal) reads must never be overwritten in place.
            viewed = new HashSet<Node>(order.Where(IsView).Select(v => v.A));
            // MatVec reads the operand of a Transpose directly (v P for W = Pᵀ, MatVecText): a transposed temporary lives to the scope's end.
            var transposed = new HashSet<Node>(order.Where(v => v.Op == Op.Transpose).Select(v => v.A));
            selectorsApplied = SelectorsOnlyApplied(order);
            foreach (var n in order)
            {
                if (IsHost(n) || selectorsApplied.Contains(n)) continue;
                switch (n.Op)
                {
                    case Op.Input: names[n] = n.Name ?? "x"; continue;
                    case Op.Condition: names[n] = conditionLocals != null && conditionLocals.TryGetValue(n.Name!, out var local) ? local : conditionName; continue;
                    case Op.Param: names[n] = paramLocals[n.Name!]; continue;
                }
                string name = "t" + temps++;
                string? inPlace = path == CodePath.Inference ? InPlaceTarget(n, remaining, rootSet, owned) : null;
                string code = inPlace != null ? InPlace(n, inPlace) : OutOfPlace(n);
                w.Line("var " + name + " = " + code + ";");
                names[n] = name;
                if (!IsView(n)) owned.Add(n);
                foreach (var a in n.Args)
                {
                    if (!remaining.ContainsKey(a)) continue;
                    remaining[a]--;
                    if (path == CodePath.Inference && remaining[a] == 0 && owned.Contains(a) && !rootSet.Contains(a) && a != inPlaceNode && !transposed.Contains(a))
                        w.Line(names[a] + ".Dispose();");
                }
                inPlaceNode = null;
            }
            return roots.Select(Finish).ToList();
        }

        private Node? inPlaceNode;
        private HashSet<Node> viewed = new HashSet<Node>();

        /// <summary>The operand this node may overwrite: a temporary we own, dying here, of exactly the result's shape.</summary>
        private string? InPlaceTarget(Node n, Dictionary<Node, int> remaining, HashSet<Node> roots, HashSet<Node> owned)
        {
            if (!SupportsInPlace(n.Op)) return null;
            var candidates = n.Op == Op.Add || n.Op == Op.Mul ? n.Args : n.Args.Take(1);
            foreach (var a in candidates)
            {
                if (IsHost(a) || !owned.Contains(a) || viewed.Contains(a) || roots.Contains(a) || remaining[a] != 1 || !a.Shape.Equals(n.Shape)) continue;
                if (n.Args.Count == 2 && n.A == n.B) continue;
                inPlaceNode = a;
                return names[a];
            }
            return null;
        }

        private static bool SupportsInPlace(Op op)
        {
            switch (op)
            {
                case Op.Add: case Op.Sub: case Op.Mul: case Op.Div:
                    return true;
                default:
                    return OpTable.Get(op).Spelling(SpellingTarget.TorchOpsInPlace) != null;
            }
        }

        private static bool IsView(Node n) =>
            n.Op == Op.Transpose || n.Op == Op.Unsqueeze || n.Op == Op.Broadcast || n.Op == Op.Diagonal;

        private string InPlace(Node n, string target)
        {
            var other = n.Args.Count == 2 ? (inPlaceNode == n.A ? n.B : n.A) : null;
            switch (n.Op)
            {
                case Op.Add: return Ops + "Add_(" + target + ", " + Operand(other!, n.Shape) + ")";     // TorchSharp's add_(t) makes its alpha implicitly
                case Op.Mul: return IsHost(other!) ? Ops + "Mul_(" + target + ", " + Host(other!) + ")" : target + ".mul_(" + Operand(other!, n.Shape) + ")";
                case Op.Sub: return IsHost(n.B) ? Ops + "Sub_(" + target + ", " + Host(n.B) + ")" : target + ".sub_(" + Operand(n.B, n.Shape) + ")";
                case Op.Div: return IsHost(n.B) ? Ops + "Div_(" + target + ", " + Host(n.B) + ")" : target + ".div_(" + Operand(n.B, n.Shape) + ")";
                default: return Spell(OpTable.Get(n.Op), SpellingTarget.TorchOpsInPlace, target, n);
            }
        }

        private string OutOfPlace(Node n)
        {
            switch (n.Op)
            {
                case Op.Add: return Binary(n, "+");
                case Op.Sub: return Binary(n, "-");
                case Op.Mul: return Binary(n, "*");
                case Op.Div: return Binary(n, "/");
                case Op.MatVec: return MatVec(n);
                case Op.Solve:
                    // A⁻¹ b by torch.linalg.solve: an unbatched A against a batch of right-hand sides [N, D] as one solve with N columns
                    // (SolveRows), otherwise b as a column with the batch axes broadcast (Solve).
                    return Ops + (!n.A.Shape.Batched && n.B.Shape.Batched ? "SolveRows(" : "Solve(") + names[n.A] + ", " + names[n.B] + ")";
                case Op.WhereGt:
                    // l > r ? a : b: torch.where(l.gt(r), a, b), a host operand as a 0-dim tensor of x's dtype and device.
                    return Ops + "WhereGt(" + string.Join(", ", n.Args.Select(a => IsHost(a)
                        ? Ops + "Full(new long[0], " + Host(a) + ", dtype: " + batchReference + ".dtype, device: " + batchReference + ".device)"
                        : Operand(a, n.Shape))) + ")";
                case Op.Broadcast: return Broadcast(n.A, n.Shape);
                case Op.Roll: return RuntimeNames.GeneratedCode.Lattice.Roll + "(" + names[n.A] + ", (long)" + Host(n.B) + ", " + ((int)n.Args[2].Value).ToString(System.Globalization.CultureInfo.InvariantCulture) + ", " + ((int)n.Args[3].Value).ToString(System.Globalization.CultureInfo.InvariantCulture) + ")";   // never the culture's minus sign
                case Op.Selector:
                    return RuntimeNames.GeneratedCode.Structured.Selector + "(" + Size(n.Shape.Dims[0]) + ", " + Size(n.Shape.Dims[1]) + ", " + Size(n.Name!) + ", " + batchReference + ".dtype, " + batchReference + ".device)";
                case Op.Neighbors: return RuntimeNames.GeneratedCode.Lattice.NeighbourSum + "(" + names[n.A] + ", (long)" + Host(n.B) + ")";
                default:
                    {
                        // Elementwise functions, reductions, views and MatMul: the op table's spelling.
                        var info = OpTable.Get(n.Op);
                        if (info.Spelling(SpellingTarget.TorchOps) == null) throw new InvalidOperationException("no code for " + n.Op);
                        return info.Spell(SpellingTarget.TorchOps, RuntimePrefix, names[n.A], info.Arity == 2 ? names[n.B] : null, info.HasParameter ? Literal(n.Value) : null);
                    }
            }
        }

        /// <summary>W v with the cheapest batched form: an unbatched W meets a batched v as v Wᵀ ([N,L]·[L,K]); a selector S or Sᵀ as a narrow and a pad.</summary>
        private string MatVec(Node n)
        {
            if (selectorsApplied.Contains(n.A))
            {
                // S v, or Sᵀ v = S' v with S' the selector of the transposed shape and the opposite offset.
                bool transposedSelector = n.A.Op == Op.Transpose;
                var s = transposedSelector ? n.A.A : n.A;
                string rows = Size(s.Shape.Dims[transposedSelector ? 1 : 0]), cols = Size(s.Shape.Dims[transposedSelector ? 0 : 1]);
                string offset = transposedSelector ? SizeCode(SizeExpr.Scale(s.Name!, -1)) : Size(s.Name!);
                return RuntimeNames.GeneratedCode.Structured.SelectorTimes + "(" + names[n.B] + ", " + rows + ", " + cols + ", " + offset + ")";
            }
            return MatVecText(n, names);
        }

        private HashSet<Node> selectorsApplied = new HashSet<Node>();

        /// <summary>
        /// The selectors S (slices, Concat; see Op.Selector) and their transposes that are only ever applied to a batched Vec (the A of a
        /// MatVec): no matrix is built for them; each product is a narrow and a pad (Structured.SelectorTimes).
        /// </summary>
        private static HashSet<Node> SelectorsOnlyApplied(IReadOnlyList<Node> order)
        {
            var consumers = new Dictionary<Node, List<Node>>();
            foreach (var n in order)
                foreach (var a in n.Args.Distinct())
                {
                    if (!consumers.TryGetValue(a, out var list)) consumers[a] = list = new List<Node>();
                    list.Add(n);
                }
            var applied = new HashSet<Node>();
            bool OnlyApplied(Node s) => consumers.TryGetValue(s, out var users)
                && users.All(u => (u.Op == Op.MatVec && u.A == s && u.B != s && u.B.Shape.Batched) || applied.Contains(u));
            // Transposes first (their consumers are MatVecs), then the selectors (whose consumers may be those transposes).
            foreach (var n in order.Where(n => n.Op == Op.Transpose && n.A.Op == Op.Selector))
                if (OnlyApplied(n)) applied.Add(n);
            foreach (var n in order.Where(n => n.Op == Op.Selector))
                if (OnlyApplied(n)) applied.Add(n);
            return applied;
        }

        /// <summary>
        /// The text of W v over already-named operands, shared by the torch-op and TorchScript emitters (the same method
        /// calls in both languages): v Wᵀ for an unbatched W and a batched v (v P when W = Pᵀ), a batched matmul when both are batched.
        /// </summary>
        internal static string MatVecText(Node n, IReadOnlyDictionary<Node, string> names)
        {
            var wNode = n.A;
            var v = names[n.B];
            if (!wNode.Shape.Batched && n.B.Shape.Batched)
            {
                if (wNode.Op == Op.Transpose && !wNode.A.Shape.Batched && names.ContainsKey(wNode.A))
                    return v + ".matmul(" + names[wNode.A] + ")";                                   // v (Pᵀ)ᵀ = v P
                return v + ".matmul(" + names[wNode] + ".transpose(-2, -1))";
            }
            if (wNode.Shape.Batched && n.B.Shape.Batched)
                return names[wNode] + ".matmul(" + v + ".unsqueeze(-1)).squeeze(-1)";
            return names[wNode] + ".matmul(" + v + ")";
        }

        /// <summary>
        /// The race-free scalar forms (see Dsl.ScalarOps): a host operand becomes a Scalar that lives across the native call,
        /// and tensor additions pass an explicit alpha (TorchSharp's own a + b makes its alpha 1 implicitly).
        /// </summary>
        internal const string Ops = RuntimeNames.Api.ScalarOps.Prefix;

        private string Binary(Node n, string op)
        {
            bool hostA = IsHost(n.A), hostB = IsHost(n.B);
            string a = Operand(n.A, n.Shape), b = Operand(n.B, n.Shape);
            if (hostA && !hostB && op == "-") return Ops + "RSub(" + a + ", " + b + ")";
            if (hostA && !hostB && op == "/")
                // reciprocal saves its output for backward: scaling it in place is only safe off the tape (the inference path).
                return path == CodePath.Inference ? Ops + "Mul_(" + b + ".reciprocal(), " + a + ")" : Ops + "RDiv(" + a + ", " + b + ")";
            if (hostA && !hostB) (a, b, hostB) = (b, a, true);                                      // commutative: tensor first
            switch (op)
            {
                case "+": return Ops + "Add(" + a + ", " + b + ")";
                case "-": return hostB ? Ops + "Sub(" + a + ", " + b + ")" : a + " - " + b;
                case "*": return hostB ? Ops + "Mul(" + a + ", " + b + ")" : a + " * " + b;
                default: return hostB ? Ops + "Div(" + a + ", " + b + ")" : a + " / " + b;
            }
        }

        /// <summary>An operand as the result's shape needs it: host doubles inline, batched lower-rank tensors get axes after the batch axis.</summary>
        private string Operand(Node a, Shape result)
        {
            if (IsHost(a)) return Host(a);
            var s = names[a];
            if (a.Shape.Batched)
                for (int i = a.Shape.Rank; i < result.Rank; i++) s += ".unsqueeze(1)";
            return s;
        }

        private string Broadcast(Node a, Shape shape)
        {
            var sizes = new List<string>();
            if (shape.Batched) sizes.Add(batchReference + ".shape[0]");
            sizes.AddRange(shape.Dims.Select(Size));
            string array = "new long[] { " + string.Join(", ", sizes) + " }";
            if (IsHost(a))
                return Ops + "Full(" + array + ", " + Host(a) + ", dtype: " + batchReference + ".dtype, device: " + batchReference + ".device)";
            return Operand(a, shape) + ".expand(" + array + ")";
        }

        /// <summary>A root as a fresh tensor of its full batched shape.</summary>
        private string Finish(Node root)
        {
            var full = root.Shape.WithBatched(true);
            if (IsHost(root) || !root.Shape.Batched) return Broadcast(root, full) + (IsHost(root) ? "" : ".contiguous()");
            var name = names[root];
            return root.Op == Op.Input || root.Op == Op.Condition || root.Op == Op.Param || IsView(root) ? name + ".clone()" : name;
        }

        private static string Size(string symbol) => SizeCode(symbol);

        /// <summary>The C# long expression of a dimension (a size name, a literal size or a size expression such as "2*D") over the size_ fields.</summary>
        internal static string SizeCode(string symbol) => symbol == Shape.One ? "1L" : SizeExpr.ToCode(symbol, s => "size_" + s);

        private static bool IsHost(Node n) => HostValues.IsHost(n);   // the IR's property, the short name inside this emitter

        private static bool IsElementwise(Op op) => OpTable.IsElementwise(op);

        /// <summary>
        /// The text the generator writes for an op-table spelling placeholder (<c>{Ops}</c>, <c>{Kernels}</c>, <c>{Math}</c>,
        /// <c>{Vector256}</c>): every emitter substitutes through this one method.
        /// </summary>
        internal static string RuntimePrefix(string placeholder) => RuntimeNames.SpellingPrefix(placeholder);

        /// <summary>The op table's spelling of the elementwise unary <paramref name="n"/> on <paramref name="backend"/> with operand text <paramref name="a"/> (C# literals).</summary>
        internal static string Spell(OpInfo info, SpellingTarget backend, string a, Node n) =>
            info.Spell(backend, RuntimePrefix, a, null, info.HasParameter ? Literal(n.Value) : null);

        /// <summary>The C# double expression of a host node.</summary>
        public static string Host(Node n) => Host(n, null);

        /// <summary>
        /// The C# double expression of <paramref name="n"/>, with <paramref name="leaf"/> naming leaves the default rules
        /// do not know (the time t of an SDE's scalar functions); broadcasts of scalars are the scalars themselves.
        /// </summary>
        public static string Host(Node n, Func<Node, string?>? leaf)
        {
            var named = leaf?.Invoke(n);
            if (named != null) return named;
            string Host(Node m) => TensorCodeEmitter.Host(m, leaf);
            switch (n.Op)
            {
                case Op.Broadcast: return Host(n.A);
                case Op.Const: return Literal(n.Value);
                case Op.DimSize: return "(double)" + SizeCode(n.Name!);
                case Op.Hyper: return "(double)" + n.Name;
                default:
                    {
                        var info = OpTable.Get(n.Op);
                        if (!info.IsElementwise || info.Spelling(SpellingTarget.Host) == null) throw new InvalidOperationException("not a host operation: " + n.Op);
                        return info.Spell(SpellingTarget.Host, RuntimePrefix, n.Args.Select(a => (string?)Host(a)).ToArray(), info.HasParameter ? Literal(n.Value) : null);
                    }
            }
        }

        /// <summary>A C# double literal, invariant culture, round-trippable.</summary>
        public static string Literal(double v)
        {
            if (double.IsNaN(v)) return "double.NaN";
            if (double.IsPositiveInfinity(v)) return "double.PositiveInfinity";
            if (double.IsNegativeInfinity(v)) return "double.NegativeInfinity";
            var s = Node.FormatNumber(v);
            return v < 0 ? "(" + s + ")" : s;
        }
    }
}
