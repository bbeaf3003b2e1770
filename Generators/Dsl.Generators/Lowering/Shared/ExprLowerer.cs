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
        private Node[] locals = Array.Empty<Node>();

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

        public Node Lower(EquationSpec equation)
        {
            locals = new Node[equation.Locals.Count];
            for (int i = 0; i < equation.Locals.Count; i++) locals[i] = Lower(equation.Locals[i]);
            return Lower(equation.Result);
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
                case ExprKind.Local: return locals[(int)e.Value];
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

        private Node Call(ExprSpec e, Node[] a)
        {
            // The elementwise functions of Dsl.Math: one op each, by the op table's DSL name.
            var op = OpTable.ByDslName(e.Text);
            if (op != null && op.IsElementwiseUnary && !op.HasParameter) return g.Unary(op.Op, One(e, a));
            switch (e.Text)
            {
                case "Tan": { var u = One(e, a); return g.Div(g.Unary(Op.Sin, u), g.Unary(Op.Cos, u)); }
                case "Pow":
                    Arity(e, a, 2);
                    if (!a[1].IsConst) throw Error(DiagnosticDescriptors.Unsupported, e, "Pow with a non-constant exponent", modelName, "the exponent must be a literal or a constant");
                    return g.Pow(a[0], a[1].Value);
                case "LogSumExp": return g.LogSumExp(One(e, a));
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
                case "Len": return g.DimSize(Rank(e, One(e, a), 1).Shape.Last);
                case "Rows": return g.DimSize(Rank(e, One(e, a), 2).Shape.Dims[0]);
                case "Cols": return g.DimSize(Rank(e, One(e, a), 2).Shape.Dims[1]);
                default:
                    throw Error(DiagnosticDescriptors.Unsupported, e, "The function '" + e.Text + "'", modelName, "Dsl does not know how to differentiate it");
            }
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
