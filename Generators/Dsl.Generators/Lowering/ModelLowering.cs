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
            IReadOnlyList<string> sizes, IReadOnlyList<string> notes, DiscreteUnits? discrete = null, LoweredConditioning? conditioning = null)
        {
            Discrete = discrete;
            Conditioning = conditioning;
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
        /// <summary>For an energy with [Time] or [Condition] arguments: their leaves; null otherwise.</summary>
        public LoweredConditioning? Conditioning { get; }
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
            var graph = new Graph { Subgradients = spec.Subgradients };
            if (!SizeExpr.TryCanonical(spec.DimSymbol, out var inputDim))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ShapeMismatch, spec.ClassLocation, spec.ClassName, "the size \"" + spec.DimSymbol + "\" of x is not a size expression"));
                return null;
            }
            var x = graph.Input(inputDim);
            var sigma = spec.NoiseLevelName != null ? graph.Condition(spec.NoiseLevelName) : null;
            var parameters = ExprLowerer.ParameterLeaves(graph, spec.Params, spec.ClassName, spec.ClassLocation, diagnostics);
            if (parameters == null) return null;
            var origins = new Dictionary<Node, LocationInfo?>();
            var conditioning = ConditioningLowering.Leaves(graph, spec, out var conditions, out var label);
            var lowerer = new ExprLowerer(graph, x, sigma, parameters, origins, spec.ClassName, conditions: conditions, label: label) { SizeNames = new HashSet<string>(SizeSymbols(spec)) };

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
            if (!ConditioningLowering.Finish(conditioning, lowerer.LabelOneHot, spec, diagnostics)) return null;

            Node score;
            try
            {
                score = graph.Neg(Gradient.Of(graph, energy, x));
            }
            catch (NonDifferentiableException e)
            {
                var where = origins.Where(o => OpTable.Get(o.Key.Op).DisplayName == e.Operation && Derivatives.HasKink(o.Key)).Select(o => o.Value).FirstOrDefault() ?? spec.Energy.Location;
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NonDifferentiable, where, e.Operation, spec.ClassName));
                return null;
            }
            catch (GraphTooLargeException e)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.TooLarge, spec.Energy.Location, spec.ClassName, e.Message));
                return null;
            }

            ReportKinks(spec, graph, energy, origins, diagnostics);

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

            var sizes = SizeSymbols(spec);
            if (conditioning?.ConditionDim is string conditionDim && !sizes.Contains(conditionDim)) sizes.Add(conditionDim);   // y's K when no [Param] names it
            return new LoweredModel(spec, graph, x, sigma, energy, score, divergence, logPartition, sizes, notes, discrete, conditioning);
        }

        /// <summary>
        /// DSL0030 at each x-dependent kinked function a [Subgradient] model's score went through (with the subgradient's value), and
        /// DSL0031 at each √u or u^p (p &lt; 1) whose x-dependent operand can be 0 (Singularities), naming the fix.
        /// </summary>
        private static void ReportKinks(ModelSpec spec, Graph graph, Node energy, Dictionary<Node, LocationInfo?> origins, List<DiagnosticInfo> diagnostics)
        {
            if (graph.Subgradients)
                foreach (var n in Topology.Order(new[] { energy }))
                {
                    var info = OpTable.Get(n.Op);
                    if (info.Subgradient != null && Derivatives.HasKink(n))
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SubgradientUsed, Origin(n, origins) ?? spec.Energy.Location,
                            spec.ClassName, info.DisplayName, info.Subgradient));
                }
            foreach (var n in Singularities.Of(energy))
            {
                string what = n.Op == Op.Sqrt ? "the argument of Sqrt" : "the base of Pow(u, " + Node.FormatNumber(n.Value) + ")";
                string fix = n.Op == Op.Sqrt
                    ? "Sqrt(u + eps) with a small constant eps > 0 (e.g. Sqrt(Square(u) + 1e-6)), or Abs(u) for Sqrt(Square(u)) with [Subgradient] on the model"
                    : "Pow(u + eps, p) with a small constant eps > 0";
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SingularDerivative, Origin(n, origins) ?? spec.Energy.Location, spec.ClassName, what, fix));
            }
        }

        /// <summary>The source location a node was lowered from, or null (a node the simplifier built).</summary>
        private static LocationInfo? Origin(Node n, Dictionary<Node, LocationInfo?> origins) =>
            origins.TryGetValue(n, out var where) && where != null ? where : null;


        /// <summary>The model's size names in order of first use: the names x's dimension reads, then those the [Param] shapes read ("2*D" reads D).</summary>
        private static List<string> SizeSymbols(ModelSpec spec)
        {
            var sizes = new List<string>();
            foreach (var d in new[] { spec.DimSymbol }.Concat(spec.Params.SelectMany(p => p.Dims)))
                foreach (var symbol in SizeExpr.TryCanonical(d, out var c) ? SizeExpr.Symbols(c) : new[] { d })
                    if (!sizes.Contains(symbol)) sizes.Add(symbol);
            return sizes;
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
    }
}
