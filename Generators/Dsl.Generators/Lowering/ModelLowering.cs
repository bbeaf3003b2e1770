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
    /// <summary>A model lowered to the IR with its derived quantities.</summary>
    public sealed class LoweredModel
    {
        internal LoweredModel(ModelSpec spec, Graph graph, Node input, Node? noiseLevel, Node energy, Node score, Node? divergence, Node? logPartition,
            IReadOnlyList<string> sizes, IReadOnlyList<string> notes, DiscreteUnits? discrete = null)
        {
            Discrete = discrete;
            Spec = spec; Graph = graph; Input = input; NoiseLevel = noiseLevel; Energy = energy; Score = score; Divergence = divergence;
            LogPartition = logPartition; Sizes = sizes; Notes = notes;
        }

        /// <summary>The parsed model.</summary>
        public ModelSpec Spec { get; }
        /// <summary>The graph holding every node below.</summary>
        public Graph Graph { get; }
        /// <summary>x.</summary>
        public Node Input { get; }
        /// <summary>The per-sample noise level σ of a noise-conditional model; null otherwise.</summary>
        public Node? NoiseLevel { get; }
        /// <summary>E(x).</summary>
        public Node Energy { get; }
        /// <summary>s(x) = −∇ₓE(x).</summary>
        public Node Score { get; }
        /// <summary>∇ₓ·s(x) = −ΔE(x), when generated.</summary>
        public Node? Divergence { get; }
        /// <summary>log Z, when declared.</summary>
        public Node? LogPartition { get; }
        /// <summary>Dimension symbols in constructor order (x's first).</summary>
        public IReadOnlyList<string> Sizes { get; }
        /// <summary>Why something was not generated.</summary>
        public IReadOnlyList<string> Notes { get; }
        /// <summary>For an energy over Spins or Bits: what the single-unit updates need; null for real x.</summary>
        public DiscreteUnits? Discrete { get; }
    }

    /// <summary>
    /// The single-unit quantities of a pairwise energy over discrete units. With gᵢ = ∂E/∂xᵢ, dᵢ = ∂²E/∂xᵢ² and the flip
    /// δᵢ = −2sᵢ (spins) or 1 − 2bᵢ (bits), a polynomial of degree ≤ 2 changes by exactly ΔEᵢ = δᵢgᵢ + ½δᵢ²dᵢ when unit i flips.
    /// </summary>
    public sealed class DiscreteUnits
    {
        internal DiscreteUnits(UnitKind units, Node selfCouplings, Node flipEnergy, Node conditional)
        {
            Units = units; SelfCouplings = selfCouplings; FlipEnergy = flipEnergy; Conditional = conditional;
        }

        /// <summary>Spins or bits.</summary>
        public UnitKind Units { get; }
        /// <summary>dᵢ = ∂²E/∂xᵢ² (free of x; zero when no unit couples to itself).</summary>
        public Node SelfCouplings { get; }
        /// <summary>ΔEᵢ = E(x with unit i flipped) − E(x).</summary>
        public Node FlipEnergy { get; }
        /// <summary>p(unit i up | the rest): σ(2aᵢ + 2sᵢdᵢ) for spins, σ(aᵢ + (bᵢ − ½)dᵢ) for bits, with aᵢ = −gᵢ.</summary>
        public Node Conditional { get; }
    }

    /// <summary>ModelSpec → IR → calculus. Shape errors and underivable quantities become diagnostics here.</summary>
    public static class ModelLowering
    {
        /// <summary>
        /// The documented bound on the exact divergence: it may add at most this many times the node count
        /// of the energy and score together (plus <see cref="DivergenceSlack"/>) before it is refused with DSL0009.
        /// </summary>
        public const int DivergenceGrowthFactor = 3;

        /// <summary>Additive slack of the divergence bound (small models always qualify).</summary>
        public const int DivergenceSlack = 24;

        /// <summary>Lowers a model; returns null when an error diagnostic was reported.</summary>
        public static LoweredModel? Lower(ModelSpec spec, List<DiagnosticInfo> diagnostics)
        {
            var graph = new Graph();
            var x = graph.Input(spec.DimSymbol);
            var sigma = spec.NoiseLevelName != null ? graph.Condition(spec.NoiseLevelName) : null;
            var parameters = spec.Params.ToDictionary(p => p.Name, p => graph.Param(p.Name, p.Dims.ToArray()));
            var origins = new Dictionary<Node, LocationInfo?>();
            var lowerer = new ExprLowerer(graph, x, sigma, parameters, origins, spec.ClassName);

            Node energy;
            try
            {
                energy = lowerer.Lower(spec.Energy);
                if (energy.Shape.Rank != 0)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ShapeMismatch, spec.Energy.Result.Location, spec.ClassName,
                        "the energy must be a Scalar per sample but the expression is " + energy.Shape));
                    return null;
                }
            }
            catch (LoweringException e)
            {
                diagnostics.Add(e.Diagnostic);
                return null;
            }
            catch (GraphTooLargeException e)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.TooLarge, spec.Energy.Location, spec.ClassName, e.Message));
                return null;
            }

            Node score;
            try
            {
                score = graph.Neg(Gradient.Of(graph, energy, x));
            }
            catch (NonDifferentiableException e)
            {
                var where = origins.Where(o => o.Key.Op.ToString() == e.Operation && o.Key.DependsOnInput).Select(o => o.Value).FirstOrDefault() ?? spec.Energy.Location;
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NonDifferentiable, where, e.Operation, spec.ClassName));
                return null;
            }
            catch (GraphTooLargeException e)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.TooLarge, spec.Energy.Location, spec.ClassName, e.Message));
                return null;
            }

            var notes = new List<string>();
            Node? divergence = null;
            try
            {
                var candidate = graph.Neg(Laplacian.Of(graph, energy, x));
                int baseline = Topology.Order(new[] { energy, score }).Count;
                int added = Topology.Order(new[] { energy, score, candidate }).Count - baseline;
                int bound = DivergenceGrowthFactor * baseline + DivergenceSlack;
                if (added > bound)
                    notes.Add("the exact divergence needs " + added + " new operations, over the bound of " + bound + " (" + DivergenceGrowthFactor + "× the " + baseline + " of the energy and score, plus " + DivergenceSlack + ")");
                else
                    divergence = candidate;
            }
            catch (LaplacianUnsupportedException e)
            {
                notes.Add("its closed form would need " + e.Message);
            }
            catch (GraphTooLargeException e)
            {
                notes.Add(e.Message);
            }
            catch (NotSupportedException e)
            {
                notes.Add(e.Message);
            }
            foreach (var note in notes)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DivergenceNotGenerated, spec.Energy.Location, spec.ClassName, note));

            Node? logPartition = null;
            if (spec.LogPartition != null)
            {
                try
                {
                    logPartition = lowerer.Lower(spec.LogPartition);
                    if (logPartition.DependsOnInput || logPartition.Shape.Rank != 0)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadLogPartition, spec.LogPartition.Location, spec.LogPartition.MethodName,
                            logPartition.DependsOnInput ? "depends on x" : "is not a Scalar"));
                        logPartition = null;
                    }
                }
                catch (LoweringException e)
                {
                    diagnostics.Add(e.Diagnostic);
                    return null;
                }
            }

            DiscreteUnits? discrete = null;
            if (spec.InputUnits != UnitKind.Real)
            {
                discrete = LowerDiscrete(spec, graph, x, energy, score, diagnostics);
                if (discrete == null) return null;
            }

            var sizes = new List<string> { spec.DimSymbol };
            foreach (var p in spec.Params)
                foreach (var d in p.Dims)
                    if (!sizes.Contains(d)) sizes.Add(d);
            return new LoweredModel(spec, graph, x, sigma, energy, score, divergence, logPartition, sizes, notes, discrete);
        }

        /// <summary>Derives the flip energies and Gibbs conditionals of an energy over Spins or Bits (DSL0017 when it is not pairwise).</summary>
        private static DiscreteUnits? LowerDiscrete(ModelSpec spec, Graph g, Node x, Node energy, Node score, List<DiagnosticInfo> diagnostics)
        {
            string kind = spec.InputUnits == UnitKind.Spins ? "spins" : "bits";
            int degree = Polynomial.Degree(energy, x);
            Node? self = degree <= 2 ? Polynomial.SelfCouplings(g, energy, x) : null;
            if (self == null)
            {
                string problem = degree == Polynomial.NotPolynomial ? "is not a polynomial in them"
                    : degree > 2 ? "has degree " + degree + " in them"
                    : "hides its self-couplings ∂²E/∂" + spec.InputName + "ᵢ² from the generator (write the pairwise terms as Dot(s, W * s), LatticeNeighbours or elementwise products)";
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotPairwise, spec.Energy.Location, spec.ClassName, kind, spec.InputName, problem));
                return null;
            }
            var field = score;                                   // aᵢ = −∂E/∂xᵢ
            var gradient = g.Neg(field);
            Node flip, conditional;
            if (spec.InputUnits == UnitKind.Spins)
            {
                // δ = −2s, δ² = 4:  ΔE = −2s⊙g + 2d;  p(+1) = σ(s⊙ΔE) = σ(2a + 2s⊙d) (s² = 1).
                flip = g.Add(g.Mul(g.Mul(g.Const(-2), x), gradient), g.Mul(g.Const(2), self));
                conditional = g.Unary(Op.Sigmoid, g.Add(g.Mul(g.Const(2), field), g.Mul(g.Mul(g.Const(2), x), self)));
            }
            else
            {
                // δ = 1 − 2b, δ² = 1:  ΔE = (1 − 2b)⊙g + ½d;  p(1) = σ((2b − 1)⊙ΔE) = σ(a + (b − ½)⊙d) (b² = b).
                flip = g.Add(g.Mul(g.Sub(g.Const(1), g.Mul(g.Const(2), x)), gradient), g.Mul(g.Const(0.5), self));
                conditional = g.Unary(Op.Sigmoid, g.Add(field, g.Mul(g.Sub(x, g.Const(0.5)), self)));
            }
            return new DiscreteUnits(spec.InputUnits, self, g.Fit(flip, x.Shape), g.Fit(conditional, x.Shape));
        }

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
            public ExprLowerer(Graph g, Node x, Node? sigma, Dictionary<string, Node> parameters, Dictionary<Node, LocationInfo?> origins, string modelName, Node? hidden = null,
                Dictionary<string, Node>? namedInputs = null)
            {
                this.g = g; this.x = x; this.sigma = sigma; this.hidden = hidden; this.parameters = parameters; this.origins = origins; this.modelName = modelName;
                this.namedInputs = namedInputs;
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
}
