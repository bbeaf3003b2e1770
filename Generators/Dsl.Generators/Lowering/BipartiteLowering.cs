using System.Collections.Generic;
using System.Linq;
using Dsl.Generators.Diagnostics;
using Dsl.Generators.Model;
using Dsl.Symbolic.Calculus;
using Dsl.Symbolic.Ir;

namespace Dsl.Generators.Lowering
{
    /// <summary>A bipartite energy E(v, h) over bits with its derived local fields, conditionals and free energy.</summary>
    public sealed class LoweredBipartite
    {
        internal LoweredBipartite(ModelSpec spec, Graph graph, Node v, Node h, Node energy, Node hiddenField, Node visibleField,
            Node hiddenProbabilities, Node visibleProbabilities, Node freeEnergy, Node hiddenFreeEnergy, IReadOnlyList<string> sizes)
        {
            HiddenFreeEnergy = hiddenFreeEnergy;
            Spec = spec; Graph = graph; V = v; H = h; Energy = energy; HiddenField = hiddenField; VisibleField = visibleField;
            HiddenProbabilities = hiddenProbabilities; VisibleProbabilities = visibleProbabilities; FreeEnergy = freeEnergy; Sizes = sizes;
        }

        /// <summary>The parsed model.</summary>
        public ModelSpec Spec { get; }
        /// <summary>The graph.</summary>
        public Graph Graph { get; }
        /// <summary>The visible units v.</summary>
        public Node V { get; }
        /// <summary>The hidden units h.</summary>
        public Node H { get; }
        /// <summary>E(v, h).</summary>
        public Node Energy { get; }
        /// <summary>∂E/∂h (independent of h).</summary>
        public Node HiddenField { get; }
        /// <summary>∂E/∂v (independent of v).</summary>
        public Node VisibleField { get; }
        /// <summary>σ(−∂E/∂h).</summary>
        public Node HiddenProbabilities { get; }
        /// <summary>σ(−∂E/∂v).</summary>
        public Node VisibleProbabilities { get; }
        /// <summary>E(v, h) − Σⱼ softplus(−∂E/∂hⱼ), to be evaluated at h = 0.</summary>
        public Node FreeEnergy { get; }
        /// <summary>E(v, h) − Σᵢ softplus(−∂E/∂vᵢ), to be evaluated at v = 0: the free energy of h with v summed out.</summary>
        public Node HiddenFreeEnergy { get; }
        /// <summary>Dimension symbols in constructor order (v's, then h's, then the parameters').</summary>
        public IReadOnlyList<string> Sizes { get; }
    }

    /// <summary>
    /// Lowers E(v, [Hidden] h) and derives what block Gibbs sampling needs. For bits, multilinearity in each block makes
    /// Σ_h e^{−E(v,h)} = e^{−E(v,0)} Πⱼ (1 + e^{−aⱼ(v)}) with aⱼ = ∂E/∂hⱼ, so F(v) = E(v, 0) − Σⱼ softplus(−aⱼ(v)),
    /// p(hⱼ = 1 | v) = σ(−aⱼ(v)) and p(vᵢ = 1 | h) = σ(−∂E/∂vᵢ).
    /// </summary>
    public static class BipartiteLowering
    {
        /// <summary>Lowers; returns null when an error diagnostic was reported.</summary>
        public static LoweredBipartite? Lower(ModelSpec spec, List<DiagnosticInfo> diagnostics)
        {
            var g = new Graph();
            var v = g.Input(spec.DimSymbol);
            var h = g.Input(spec.HiddenDimSymbol, "h");
            var parameters = spec.Params.ToDictionary(p => p.Name, p => g.Param(p.Name, p.Dims.ToArray()));
            var lowerer = new ModelLowering.ExprLowerer(g, v, null, parameters, new Dictionary<Node, LocationInfo?>(), spec.ClassName, h);
            Node energy;
            try
            {
                energy = lowerer.Lower(spec.Energy);
            }
            catch (ModelLowering.LoweringException e)
            {
                diagnostics.Add(e.Diagnostic);
                return null;
            }
            catch (GraphTooLargeException e)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.TooLarge, spec.Energy.Location, spec.ClassName, e.Message));
                return null;
            }
            if (energy.Shape.Rank != 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ShapeMismatch, spec.Energy.Result.Location, spec.ClassName,
                    "the energy must be a Scalar per sample but the expression is " + energy.Shape));
                return null;
            }
            Node hiddenField, visibleField;
            try
            {
                hiddenField = Gradient.Of(g, energy, h);
                visibleField = Gradient.Of(g, energy, v);
            }
            catch (NonDifferentiableException e)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NonDifferentiable, spec.Energy.Location, e.Operation, spec.ClassName));
                return null;
            }
            bool Reaches(Node n, Node leaf) => Topology.Order(new[] { n }).Contains(leaf);
            string? problem = Reaches(hiddenField, h) ? "is not linear in h for fixed v: ∂E/∂h still depends on h"
                : Reaches(visibleField, v) ? "is not linear in v for fixed h: ∂E/∂v still depends on v" : null;
            if (problem != null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotBipartite, spec.Energy.Location, spec.ClassName, problem));
                return null;
            }
            var hiddenProbabilities = g.Unary(Op.Sigmoid, g.Neg(hiddenField));
            var visibleProbabilities = g.Unary(Op.Sigmoid, g.Neg(visibleField));
            var freeEnergy = g.Sub(energy, g.SumLast(g.Unary(Op.Softplus, g.Neg(hiddenField))));
            var hiddenFreeEnergy = g.Sub(energy, g.SumLast(g.Unary(Op.Softplus, g.Neg(visibleField))));
            var sizes = new List<string> { spec.DimSymbol, spec.HiddenDimSymbol };
            foreach (var p in spec.Params)
                foreach (var d in p.Dims)
                    if (!sizes.Contains(d)) sizes.Add(d);
            return new LoweredBipartite(spec, g, v, h, energy, hiddenField, visibleField, hiddenProbabilities, visibleProbabilities, freeEnergy, hiddenFreeEnergy, sizes);
        }
    }
}
