using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.Generators.Diagnostics;
using Dsl.Generators.Model;
using Dsl.Symbolic.Calculus;
using Dsl.Symbolic.Ir;
using Dsl.Symbolic.Ops;
namespace Dsl.Generators.Lowering
{
    /// <summary>A lowering error: the diagnostic that stops lowering one model (thrown inside the recursive lowerer, caught by each kind's Lower).</summary>
    internal sealed class LoweringException : Exception
    {
        public LoweringException(DiagnosticInfo diagnostic) : base(diagnostic.Descriptor.Id) { Diagnostic = diagnostic; }
        public DiagnosticInfo Diagnostic { get; }
    }

    /// <summary>Lowers <see cref="ExprSpec"/> trees; maps Dsl.Math calls and operators onto graph operations.</summary>
    internal sealed class ExprLowerer
    {
        private readonly Graph g;
        private readonly Node x;
        private readonly Node? sigma;
        private readonly Node? hidden;
        private readonly Dictionary<string, Node>? namedInputs;
        private readonly Dictionary<string, Node> parameters;
        private readonly Dictionary<Node, LocationInfo?> origins;
        private readonly string modelName;
        private Node?[] locals = Array.Empty<Node?>();

        /// <param name="namedInputs">Inputs by the argument name the parser recorded (several batched Vec arguments); x when absent.</param>
        /// <param name="conditions">Conditioning inputs by argument name ([Time] t, [Condition] Vec y); the Scalar <paramref name="sigma"/> when absent.</param>
        /// <param name="label">The name of a [Condition] Label argument, read only through Pick(v, y) and OneHot(y, Len(v)).</param>
        public ExprLowerer(Graph g, Node x, Node? sigma, Dictionary<string, Node> parameters, Dictionary<Node, LocationInfo?> origins, string modelName, Node? hidden = null,
            Dictionary<string, Node>? namedInputs = null, Dictionary<string, Node>? conditions = null, string? label = null)
        {
            this.g = g; this.x = x; this.sigma = sigma; this.hidden = hidden; this.parameters = parameters; this.origins = origins; this.modelName = modelName;
            this.namedInputs = namedInputs;
            this.conditions = conditions;
            this.label = label;
        }

        // ---- Conditioning inputs: [Time]/[Condition] leaves and the label's one-hot. ----
        private readonly Dictionary<string, Node>? conditions;
        private readonly string? label;

        /// <summary>The one-hot of the [Condition] label, [N, K] with K the length of the Vecs it picks from; null until Pick or OneHot reads it.</summary>
        public Node? LabelOneHot { get; private set; }

        /// <summary>Pick(v, y) = Σₖ vₖ·onehot(y)ₖ and OneHot(y, Len(v)) = onehot(y): the label as a constant (in x) one-hot Condition.</summary>
        private Node LowerLabelCall(ExprSpec e)
        {
            if (e.Args.Count != 2) throw Error(DiagnosticDescriptors.Unsupported, e, "'" + e.Text + "' with " + e.Args.Count + " arguments", modelName, "it takes 2");
            var labelArg = e.Text == "Pick" ? e.Args[1] : e.Args[0];
            if (labelArg.Kind != ExprKind.Condition || labelArg.Text != label)
                throw Error(DiagnosticDescriptors.BadLabelUse, e, modelName, e.Text + " reads a label that is not the [Condition] argument '" + label + "'",
                    e.Text == "Pick" ? "Pick(v, " + label + ")" : "OneHot(" + label + ", Len(v))");
            if (e.Text == "Pick")
            {
                var v = Lower(e.Args[0]);
                if (v.Shape.Rank != 1)
                    throw Error(DiagnosticDescriptors.ShapeMismatch, e, modelName, "Pick needs a Vec to pick from, got " + v.Shape);
                var onehot = OneHotOver(v.Shape.Last, e);
                return Shaped(e, () => g.SumLast(g.Mul(v, onehot)));
            }
            var classes = Lower(e.Args[1]);
            if (classes.Op != Op.DimSize)
                throw Error(DiagnosticDescriptors.BadLabelUse, e, modelName, "OneHot's class count is not the length of a Vec of the model, so the generator cannot tell which dimension the one-hot has",
                    "OneHot(" + label + ", Len(b)) with b a Vec over the classes (e.g. [Param(\"K\")] Vec b)");
            return OneHotOver(classes.Name!, e);
        }

        private Node OneHotOver(string dim, ExprSpec e)
        {
            if (LabelOneHot == null) LabelOneHot = g.Condition("onehot(" + label + ")", dim);
            else if (LabelOneHot.Shape.Last != dim)
                throw Error(DiagnosticDescriptors.BadLabelUse, e, modelName, "the label '" + label + "' is used with " + LabelOneHot.Shape.Last + " classes and with " + dim + " classes",
                    "one class count: pick from Vecs of the same length (the same dimension symbol)");
            return LabelOneHot;
        }

        /// <summary>
        /// The [Param] leaves of a model, SDE or other class, by name, with their shapes' sizes canonical; null after DSL0005 at the
        /// class when a shape is not a valid one.
        /// </summary>
        public static Dictionary<string, Node>? ParameterLeaves(Graph g, IEnumerable<ParamSpec> parameters, string className, LocationInfo? classLocation, List<DiagnosticInfo> diagnostics)
        {
            try
            {
                return parameters.ToDictionary(p => p.Name, p => g.Param(p.Name, p.Dims.Select(SizeExpr.Canonical).ToArray()));
            }
            catch (ShapeException e)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ShapeMismatch, classLocation, className, e.Message));
                return null;
            }
        }

        public Node Lower(EquationSpec equation)
        {
            // Locals are lowered in order before the result, except those that read a Grad's variable: they exist only inside
            // that Grad, so they are lowered where it reads them, with the variable bound.
            localSpecs = equation.Locals;
            locals = new Node?[equation.Locals.Count];
            var readsVariable = new bool[equation.Locals.Count];
            for (int i = 0; i < equation.Locals.Count; i++)
            {
                readsVariable[i] = ReadsGradVariable(equation.Locals[i], readsVariable);
                if (!readsVariable[i]) locals[i] = Lower(equation.Locals[i]);
            }
            return Lower(equation.Result);
        }

        /// <summary>True when <paramref name="e"/> reads a Grad variable it does not bind itself (a free one): such a value exists only inside that Grad.</summary>
        private static bool ReadsGradVariable(ExprSpec e, bool[] localReads, ImmutableBoundNames? bound = null)
        {
            switch (e.Kind)
            {
                case ExprKind.Bound: return !ImmutableBoundNames.Contains(bound, e.Text);
                case ExprKind.Local: return localReads[(int)e.Value];
                case ExprKind.Call when e.Text == "Grad" && e.Args.Count == 3 && e.Args[0].Kind == ExprKind.Bound:
                    return ReadsGradVariable(e.Args[2], localReads, bound) || ReadsGradVariable(e.Args[1], localReads, new ImmutableBoundNames(e.Args[0].Text, bound));
                default: return e.Args.Any(a => ReadsGradVariable(a, localReads, bound));
            }
        }

        /// <summary>The Grad variables bound around a subexpression (a linked list: nesting is shallow).</summary>
        private sealed class ImmutableBoundNames
        {
            public ImmutableBoundNames(string name, ImmutableBoundNames? outer) { Name = name; Outer = outer; }
            public string Name { get; }
            public ImmutableBoundNames? Outer { get; }
            public static bool Contains(ImmutableBoundNames? list, string name)
            {
                for (var n = list; n != null; n = n.Outer) if (n.Name == name) return true;
                return false;
            }
        }

        // ---- Grad(f, a): f differentiated in its own variable, then evaluated at a. ----
        private EquatableArray<ExprSpec> localSpecs = EquatableArray<ExprSpec>.Empty;
        private readonly Dictionary<string, Node> gradVariables = new Dictionary<string, Node>();

        /// <summary>
        /// ∇f(a) = (∇_q f)[q := a]: f's body lowered with q a fresh batched Vec variable of a's length, differentiated by reverse mode
        /// in q (the other leaves, x included, are constants to it), and a substituted for q. The result is an ordinary expression in
        /// x, so scores, divergences and kernels of an equation using it are derived like any other.
        /// </summary>
        private Node LowerGrad(ExprSpec e)
        {
            var at = Lower(e.Args[2]);
            if (at.Shape.Rank != 1) throw Error(DiagnosticDescriptors.ShapeMismatch, e, modelName, "Grad(f, a) differentiates a function of a Vec, but the point a is " + at.Shape);
            var name = e.Args[0].Text;
            var variable = g.Input(at.Shape.Last, name);
            gradVariables[name] = variable;
            // A local that reads the variable belongs to this Grad: lowered afresh for it.
            var saved = (Node?[])locals.Clone();
            Node body;
            try
            {
                body = Lower(e.Args[1]);
            }
            finally
            {
                gradVariables.Remove(name);
                locals = saved;
            }
            if (body.Shape.Rank != 0) throw Error(DiagnosticDescriptors.ShapeMismatch, e, modelName, "Grad(f, a) needs a Scalar function f, but f is " + body.Shape);
            Node gradient;
            try
            {
                gradient = Gradient.Of(g, body, variable);
            }
            catch (NonDifferentiableException ex)
            {
                throw Error(DiagnosticDescriptors.NonDifferentiable, e, ex.Operation, modelName);
            }
            return Shaped(e, () => Substitution.Replace(g, gradient, variable, at.Shape.Equals(variable.Shape) ? at : g.Fit(at, variable.Shape)));
        }

        private Node Lower(ExprSpec e)
        {
            var node = LowerCore(e);
            if (!origins.ContainsKey(node)) origins[node] = e.Location;
            return node;
        }

        private Node LowerCore(ExprSpec e)
        {
            switch (e.Kind)
            {
                case ExprKind.Input: return namedInputs != null && namedInputs.TryGetValue(e.Text, out var named) ? named : x;
                case ExprKind.Hidden: return hidden ?? throw Error(DiagnosticDescriptors.Internal, e, modelName, "hidden units outside a bipartite energy");
                case ExprKind.Condition when conditions != null && conditions.TryGetValue(e.Text, out var condition): return condition;
                case ExprKind.Condition when label != null && e.Text == label:
                    throw Error(DiagnosticDescriptors.BadLabelUse, e, modelName, "the label '" + label + "' is used as a number", "Pick(v, " + label + ") or OneHot(" + label + ", Len(v))");
                case ExprKind.Condition: return sigma ?? throw Error(DiagnosticDescriptors.Internal, e, modelName, "a noise level outside a noise-conditional energy");
                case ExprKind.Param: return parameters[e.Text];
                case ExprKind.Hyper: return g.Hyper(e.Text);
                case ExprKind.Const: return g.Const(e.Value);
                case ExprKind.Local: return locals[(int)e.Value] ??= Lower(localSpecs[(int)e.Value]);
                case ExprKind.Bound: return gradVariables.TryGetValue(e.Text, out var variable) ? variable : throw Error(DiagnosticDescriptors.Internal, e, modelName, "a Grad variable outside its Grad");
                case ExprKind.Negate: return g.Neg(Lower(e.Args[0]));
                case ExprKind.Binary:
                    {
                        var a = Lower(e.Args[0]);
                        var b = Lower(e.Args[1]);
                        return Shaped(e, () =>
                        {
                            switch (e.Text)
                            {
                                case "+": return g.Add(a, b);
                                case "-": return g.Sub(a, b);
                                case "*": return a.Shape.Rank == 2 && b.Shape.Rank == 1 ? g.MatVec(a, b) : g.Mul(a, b);
                                default: return g.Div(a, b);
                            }
                        });
                    }
                case ExprKind.Compare:
                    throw Error(DiagnosticDescriptors.Unsupported, e, "A comparison outside Where's condition", modelName, DiagnosticDescriptors.ComparisonAdvice);
                case ExprKind.Call when e.Text == "Where":
                    return LowerWhere(e);
                case ExprKind.Call when e.Text == "Index" || e.Text == "Slice" || e.Text == "Eye" || e.Text == "Zeros" || e.Text == "Ones":
                    return Structured(e);
                case ExprKind.Call when e.Text == "Grad" && e.Args.Count == 3 && e.Args[0].Kind == ExprKind.Bound:
                    return LowerGrad(e);
                case ExprKind.Call when label != null && (e.Text == "Pick" || e.Text == "OneHot"):
                    return LowerLabelCall(e);
                case ExprKind.Call:
                    {
                        var args = e.Args.Select(Lower).ToArray();
                        return Shaped(e, () => Call(e, args));
                    }
                default:
                    throw Error(DiagnosticDescriptors.Internal, e, modelName, "unknown expression kind " + e.Kind);
            }
        }

        /// <summary>
        /// Where(u op v, a, b) as the one select WhereGt(l, r, a, b) = l &gt; r ? a : b: u &gt; v is (u, v, a, b), u &lt; v is (v, u, a, b),
        /// u &gt;= v is not(v &gt; u), (v, u, b, a), and u &lt;= v is not(u &gt; v), (u, v, b, a). So a NaN in u or v takes b for &gt; and &lt;, a for
        /// &gt;= and &lt;= (Dsl.Math.Where's eager definition, the same negations).
        /// </summary>
        private Node LowerWhere(ExprSpec e)
        {
            if (e.Args.Count != 3 || e.Args[0].Kind != ExprKind.Compare)
                throw Error(DiagnosticDescriptors.Unsupported, e, "This Where call", modelName, DiagnosticDescriptors.ComparisonAdvice);
            var cond = e.Args[0];
            Node u = Lower(cond.Args[0]), v = Lower(cond.Args[1]), a = Lower(e.Args[1]), b = Lower(e.Args[2]);
            return Shaped(e, () =>
            {
                switch (cond.Text)
                {
                    case ">": return g.WhereGt(u, v, a, b);
                    case "<": return g.WhereGt(v, u, a, b);
                    case ">=": return g.WhereGt(v, u, b, a);
                    case "<=": return g.WhereGt(u, v, b, a);
                    default: throw Error(DiagnosticDescriptors.Unsupported, cond, "The comparison '" + cond.Text + "'", modelName, DiagnosticDescriptors.ComparisonAdvice);
                }
            });
        }

        private Node Call(ExprSpec e, Node[] a)
        {
            // The elementwise functions of Dsl.Math: one op each, by the op table's DSL name.
            var op = OpTable.ByDslName(e.Text);
            if (op != null && op.IsElementwiseUnary && !op.HasParameter) return g.Unary(op.Op, One(e, a));
            switch (e.Text)
            {
                case "Tan": { var u = One(e, a); return g.Div(g.Unary(Op.Sin, u), g.Unary(Op.Cos, u)); }
                case "Digamma": return g.Unary(Op.Polygamma, One(e, a), 0);                  // ψ = ψ⁽⁰⁾: the order is the table entry's parameter
                case "Pow":
                    Arity(e, a, 2);
                    if (!a[1].IsConst) throw Error(DiagnosticDescriptors.Unsupported, e, "Pow with a non-constant exponent", modelName, "the exponent must be a literal or a constant");
                    return g.Pow(a[0], a[1].Value);
                case "LogSumExp": return g.LogSumExp(One(e, a));
                case "Max":                                                                      // a > b ? a : b: a tie (and a NaN in a) takes b
                    Arity(e, a, 2);
                    return g.WhereGt(a[0], a[1], a[0], a[1]);
                case "Min":                                                                      // b > a ? a : b: a tie (and a NaN in b) takes b
                    Arity(e, a, 2);
                    return g.WhereGt(a[1], a[0], a[0], a[1]);
                case "Sum":
                    {
                        var v = One(e, a);
                        return v.Shape.Rank == 2 ? g.SumLast(g.SumLast(v)) : g.SumLast(v);
                    }
                case "RowSum": return g.SumLast(Rank(e, One(e, a), 2));
                case "Dot":
                    Arity(e, a, 2);
                    if (a[0].Shape.Rank != 1 || a[1].Shape.Rank != 1 || !a[0].Shape.SameDims(a[1].Shape))
                        throw new ShapeException("Dot needs two Vecs of the same length, got " + a[0].Shape + " and " + a[1].Shape);
                    return g.SumLast(g.Mul(a[0], a[1]));
                case "Norm2": return g.SumLast(g.Square(Rank(e, One(e, a), 1)));
                case "RowNorm2":
                    if (a.Length == 2) return g.SumLast(g.Square(g.Sub(Rank(e, a[0], 1), Rank(e, a[1], 2))));
                    return g.SumLast(g.Square(Rank(e, One(e, a), 2)));
                case "MatVec":
                    Arity(e, a, 2);
                    return g.MatVec(a[0], a[1]);
                case "Transpose": return g.Transpose(One(e, a));
                case "LogDet": return g.LogDet(SquareMatrix(e, One(e, a), "LogDet(A)"));
                case "Inverse": return g.Inverse(SquareMatrix(e, One(e, a), "Inverse(A)"));
                case "Solve":
                    Arity(e, a, 2);
                    SquareMatrix(e, a[0], "Solve(A, b)");
                    if (a[1].Shape.Rank != 1 || a[1].Shape.Last != a[0].Shape.Dims[0])
                        throw Error(DiagnosticDescriptors.NotSquareMatrix, e, modelName, "Solve(A, b) needs b to be a Vec of A's size " + a[0].Shape.Dims[0] + ", but A is " + a[0].Shape + " and b is " + a[1].Shape,
                            "Solve(A, v) with v a Vec[" + a[0].Shape.Dims[0] + "] (one right-hand side per sample), or Inverse(A) for the matrix A⁻¹ itself");
                    return g.Solve(a[0], a[1]);
                case "LatticeNeighbours":
                    Arity(e, a, 2);
                    if (!HostValues.IsHost(a[1])) throw Error(DiagnosticDescriptors.Unsupported, e, "LatticeNeighbours with a lattice side that is not a number", modelName, "the side L must be a literal, a constant or a numeric field of the model");
                    return g.Neighbors(a[0], a[1]);
                case "Roll":
                    {
                        Arity(e, a, 4);
                        if (!HostValues.IsHost(a[1])) throw Error(DiagnosticDescriptors.Unsupported, e, "Roll with a lattice side that is not a number", modelName, "the side L must be a literal, a constant or a numeric field of the model");
                        bool IsShift(Node n) => n.IsConst && n.Value == System.Math.Floor(n.Value) && System.Math.Abs(n.Value) < 1 << 20;
                        if (!IsShift(a[2]) || !IsShift(a[3])) throw Error(DiagnosticDescriptors.Unsupported, e, "Roll with shifts that are not integer literals", modelName, "the shifts Δr, Δc must be integer literals such as Roll(s, L, 0, 1)");
                        return g.Roll(a[0], a[1], (int)a[2].Value, (int)a[3].Value);
                    }
                case "Concat": return g.Concat(a);
                case "VecOf":
                    foreach (var part in a)
                        if (part.Shape.Rank != 0) throw new ShapeException("Vec.Of takes Scalars, got " + part.Shape);
                    return g.Concat(a);
                case "MatOf":
                    {
                        // Rows rᵢ of one length: Σᵢ eᵢ rᵢᵀ, with eᵢ the unit Vec of the row count.
                        if (a.Length == 0) throw Error(DiagnosticDescriptors.Unsupported, e, "Mat.Of without rows", modelName, "give it the rows as Vecs: Mat.Of(Vec.Of(1.0, 0.5), Vec.Of(0.5, 1.0))");
                        foreach (var row in a)
                            if (row.Shape.Rank != 1 || !row.Shape.SameDims(a[0].Shape)) throw new ShapeException("Mat.Of takes rows of one length, got " + a[0].Shape + " and " + row.Shape);
                        string rows = a.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
                        Node? sum = null;
                        for (int i = 0; i < a.Length; i++)
                        {
                            var unit = g.SumLast(g.Selector(rows, "1", (-i).ToString(System.Globalization.CultureInfo.InvariantCulture)));
                            var placed = g.Mul(g.Unsqueeze(unit), a[i]);
                            sum = sum == null ? placed : g.Add(sum, placed);
                        }
                        return sum!;
                    }
                case "Block":
                    Arity(e, a, 4);
                    return g.Block(a[0], a[1], a[2], a[3]);
                case "Len": return g.DimSize(Rank(e, One(e, a), 1).Shape.Last);
                case "Rows": return g.DimSize(Rank(e, One(e, a), 2).Shape.Dims[0]);
                case "Cols": return g.DimSize(Rank(e, One(e, a), 2).Shape.Dims[1]);
                default:
                    throw Error(DiagnosticDescriptors.Unsupported, e, "The function '" + e.Text + "'", modelName, "Dsl does not know how to differentiate it");
            }
        }

        /// <summary>The model's size names (its dimension symbols): an int member of that name reads as the size in slices, indices and Eye.</summary>
        public ISet<string> SizeNames { get; set; } = new HashSet<string>();

        /// <summary>x[i], x[a..b] and Eye(n): the bounds and sizes are size expressions read from the spec, not values.</summary>
        private Node Structured(ExprSpec e)
        {
            if (e.Text == "Eye" || e.Text == "Zeros" || e.Text == "Ones")
            {
                if (e.Args.Count != 1) throw Error(DiagnosticDescriptors.Unsupported, e, "'" + e.Text + "' with " + e.Args.Count + " arguments", modelName, "it takes the size n");
                var n = Size(e.Args[0], null);
                return Shaped(e, () =>
                {
                    if (SizeExpr.Constant(n) is long k && k < 1) throw new ShapeException(e.Text + " needs a size of at least 1, got " + n);
                    if (e.Text == "Eye") return g.Eye(n);
                    var ones = g.SumLast(g.Eye(n));   // the row sums of I: n ones, a constant Vec[n]
                    return e.Text == "Ones" ? ones : g.Mul(g.Const(0), ones);
                });
            }
            var target = Lower(e.Args[0]);
            if (target.Shape.Rank != 1) throw Error(DiagnosticDescriptors.ShapeMismatch, e, modelName, (e.Text == "Index" ? "indexing" : "slicing") + " needs a Vec, got " + target.Shape);
            var length = target.Shape.Last;
            if (e.Text == "Index")
            {
                var i = Size(e.Args[1], length);
                return Shaped(e, () =>
                {
                    if (SizeExpr.Constant(i) is long k && k < 0) throw new ShapeException("the index " + i + " is before the start of " + target.Shape);
                    return g.Index(target, i);
                });
            }
            var from = Size(e.Args[1], length);
            var to = Size(e.Args[2], length);
            return Shaped(e, () =>
            {
                if (SizeExpr.Constant(from) is long k && k < 0) throw new ShapeException("the slice [" + from + ".." + to + "] starts before the start of " + target.Shape);
                return g.Slice(target, from, SizeExpr.Sub(to, from));
            });
        }

        /// <summary>
        /// A bound or size as a size expression: integer literals, the model's sizes (an int member named like a dimension symbol),
        /// +, −, * by an integer, and ^k (the Vec's length minus k) where <paramref name="length"/> is given. DSL0035 otherwise.
        /// </summary>
        private string Size(ExprSpec b, string? length)
        {
            switch (b.Kind)
            {
                case ExprKind.Const when b.Value == System.Math.Floor(b.Value) && System.Math.Abs(b.Value) < 1 << 30:
                    return SizeExpr.Of((long)b.Value);
                case ExprKind.Hyper:
                    {
                        var name = b.Text.Substring(b.Text.LastIndexOf('.') + 1);
                        if (SizeNames.Contains(name)) return SizeExpr.Canonical(name);
                        throw Error(DiagnosticDescriptors.NotASize, b, b.Text.StartsWith("this.", StringComparison.Ordinal) ? b.Text.Substring(5) : b.Text, modelName,
                            "it is a number read at run time, not one of the model's sizes (" + (SizeNames.Count == 0 ? "none" : string.Join(", ", SizeNames.OrderBy(n => n, StringComparer.Ordinal))) + ")");
                    }
                case ExprKind.Negate:
                    return SizeExpr.Scale(Size(b.Args[0], length), -1);
                case ExprKind.Binary when b.Text == "+" || b.Text == "-":
                    {
                        var l = Size(b.Args[0], length);
                        var r = Size(b.Args[1], length);
                        return b.Text == "+" ? SizeExpr.Add(l, r) : SizeExpr.Sub(l, r);
                    }
                case ExprKind.Binary when b.Text == "*":
                    {
                        var l = Size(b.Args[0], length);
                        var r = Size(b.Args[1], length);
                        if (SizeExpr.Constant(l) is long kl) return SizeExpr.Scale(r, kl);
                        if (SizeExpr.Constant(r) is long kr) return SizeExpr.Scale(l, kr);
                        throw Error(DiagnosticDescriptors.NotASize, b, l + " * " + r, modelName, "sizes are linear: multiply a size by an integer only");
                    }
                case ExprKind.Call when b.Text == "FromEnd" && length != null:
                    return SizeExpr.Sub(length, Size(b.Args[0], length));
            }
            throw Error(DiagnosticDescriptors.NotASize, b, b.Kind == ExprKind.Const ? Node.FormatNumber(b.Value) : b.Kind == ExprKind.Call ? b.Text + "(…)" : b.Kind.ToString().ToLowerInvariant(), modelName,
                "an index, a slice bound or a size is an integer literal, one of the model's sizes (an int member named like a dimension), ^k, or a sum of them");
        }

        /// <summary>The matrix argument of LogDet, Inverse and Solve: a square Mat (the same dimension symbol on both axes), else DSL0061.</summary>
        private Node SquareMatrix(ExprSpec e, Node a, string call)
        {
            if (a.Shape.Rank != 2)
                throw Error(DiagnosticDescriptors.NotSquareMatrix, e, modelName, call + " needs a square Mat[D,D] as A, but A is " + a.Shape,
                    a.Shape.Rank == 1 ? "Sum(Log(Abs(v))), 1 / v and b / v for the diagonal matrix diag(v) (LogDet, Inverse, Solve)"
                    : "Log(Abs(a)), 1 / a and b / a for a Scalar a (LogDet, Inverse, Solve)");
            if (a.Shape.Dims[0] != a.Shape.Dims[1])
                throw Error(DiagnosticDescriptors.NotSquareMatrix, e, modelName, call + " needs a square matrix, but A is " + a.Shape + " (" + a.Shape.Dims[0] + " rows, " + a.Shape.Dims[1] + " columns)",
                    "a matrix with one dimension symbol on both axes, e.g. [Param(\"" + a.Shape.Dims[1] + "," + a.Shape.Dims[1] + "\")] Mat A");
            return a;
        }

        private Node One(ExprSpec e, Node[] a) { Arity(e, a, 1); return a[0]; }

        private void Arity(ExprSpec e, Node[] a, int n)
        {
            if (a.Length != n) throw Error(DiagnosticDescriptors.Unsupported, e, "'" + e.Text + "' with " + a.Length + " arguments", modelName, "it takes " + n);
        }

        private static Node Rank(ExprSpec e, Node n, int rank)
        {
            if (n.Shape.Rank != rank) throw new ShapeException(e.Text + " needs a " + (rank == 1 ? "Vec" : "Mat") + ", got " + n.Shape);
            return n;
        }

        private Node Shaped(ExprSpec e, Func<Node> build)
        {
            try
            {
                return build();
            }
            catch (ShapeException ex)
            {
                throw Error(DiagnosticDescriptors.ShapeMismatch, e, modelName, ex.Message);
            }
        }

        private static LoweringException Error(Microsoft.CodeAnalysis.DiagnosticDescriptor d, ExprSpec e, params string[] args) =>
            new LoweringException(DiagnosticInfo.Create(d, e.Location, args));
    }
}
