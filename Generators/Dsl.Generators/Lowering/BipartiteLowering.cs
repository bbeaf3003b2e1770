using System.Collections.Generic;
using System.Linq;
using Dsl.Generators.Diagnostics;
using Dsl.Generators.Model;
using Dsl.Symbolic.Calculus;
using Dsl.Symbolic.Ir;

namespace Dsl.Generators.Lowering
{
    /// <summary>A bipartite energy E(v, h) with its derived local fields, conditionals and free energies.</summary>
    public sealed class LoweredBipartite
    {
        internal LoweredBipartite(ModelSpec spec, Graph graph, Node v, Node h, Node energy, Node hiddenField, Node visibleField, IReadOnlyList<string> sizes)
        {
            Spec = spec; Graph = graph; V = v; H = h; Energy = energy; HiddenField = hiddenField; VisibleField = visibleField; Sizes = sizes;
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
        /// <summary>∂E/∂v (independent of v for discrete v; a ⊙ v + b for real v).</summary>
        public Node VisibleField { get; }
        /// <summary>p(hⱼ up | v).</summary>
        public Node HiddenProbabilities { get; internal set; } = null!;
        /// <summary>E[h | v].</summary>
        public Node HiddenMeans { get; internal set; } = null!;
        /// <summary>p(vᵢ up | h) for discrete v; null for real v.</summary>
        public Node? VisibleProbabilities { get; internal set; }
        /// <summary>E[v | h].</summary>
        public Node VisibleMeans { get; internal set; } = null!;
        /// <summary>The precision aᵢ = ∂²E/∂vᵢ² of a real visible block (Var[vᵢ | h] = 1/aᵢ); null for discrete v.</summary>
        public Node? VisiblePrecision { get; internal set; }
        /// <summary>E(v, h) − Σⱼ (log-sum over hⱼ), to be evaluated at h = 0.</summary>
        public Node FreeEnergy { get; internal set; } = null!;
        /// <summary>The free energy of h with v summed (or integrated) out, to be evaluated at v = 0.</summary>
        public Node HiddenFreeEnergy { get; internal set; } = null!;
        /// <summary>Dimension symbols in constructor order (v's, then h's, then the parameters').</summary>
        public IReadOnlyList<string> Sizes { get; }
    }

    /// <summary>
    /// Lowers E(v, [Hidden] h) and derives what block Gibbs sampling needs. For bits, multilinearity in each block makes
    /// Σ_h e^{−E(v,h)} = e^{−E(v,0)} Πⱼ (1 + e^{−aⱼ(v)}) with aⱼ = ∂E/∂hⱼ, so F(v) = E(v, 0) − Σⱼ softplus(−aⱼ(v)),
    /// p(hⱼ = 1 | v) = σ(−aⱼ(v)) and p(vᵢ = 1 | h) = σ(−∂E/∂vᵢ). For spins the sum over ±1 gives 2cosh aⱼ and σ(−2aⱼ);
    /// a real visible block must be a separable quadratic, and its Gaussian integral replaces the sum.
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
            var lowerer = new ExprLowerer(g, v, null, parameters, new Dictionary<Node, LocationInfo?>(), spec.ClassName, h);
            Node energy;
            try
            {
                energy = lowerer.Lower(spec.Energy);
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
            bool realVisible = spec.InputUnits == UnitKind.Real;
            var separable = realVisible ? Polynomial.SeparableAffine(g, visibleField, v) : null;
            string? problem = Reaches(hiddenField, h) ? "is not linear in h for fixed v: ∂E/∂h still depends on h"
                : !realVisible && Reaches(visibleField, v) ? "is not linear in v for fixed h: ∂E/∂v still depends on v"
                : realVisible && separable == null ? "is not a separable quadratic in the real units v for fixed h: ∂E/∂v is not a ⊙ v + b"
                : null;
            if (problem != null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotBipartite, spec.Energy.Location, spec.ClassName, problem));
                return null;
            }
            var sizes = new List<string> { spec.DimSymbol, spec.HiddenDimSymbol };
            foreach (var p in spec.Params)
                foreach (var d in p.Dims)
                    if (!sizes.Contains(d)) sizes.Add(d);
            var m = new LoweredBipartite(spec, g, v, h, energy, hiddenField, visibleField, sizes);
            m.HiddenProbabilities = UpProbability(g, hiddenField, spec.HiddenUnits);
            m.HiddenMeans = Mean(g, hiddenField, spec.HiddenUnits);
            m.FreeEnergy = g.Sub(energy, g.SumLast(LogSumOut(g, hiddenField, spec.HiddenUnits)));
            if (realVisible)
            {
                // ∂E/∂v = a ⊙ v + b, so E(v, h) = E(0, h) + Σᵢ (½aᵢvᵢ² + bᵢvᵢ): p(v | h) = N(−b/a, 1/a) and
                // ∫ e^{−E} dv = e^{−E(0,h)} Πᵢ √(2π/aᵢ) e^{bᵢ²/(2aᵢ)}.
                var a = g.Fit(separable!.Value.Coefficient, v.Shape);
                var b = g.Fit(separable.Value.Offset, v.Shape);
                m.VisiblePrecision = a;
                m.VisibleMeans = g.Neg(g.Div(b, a));
                var perUnit = g.Add(g.Div(g.Square(b), g.Mul(g.Const(2), a)), g.Mul(g.Const(0.5), g.Log(g.Div(g.Const(2 * System.Math.PI), a))));
                m.HiddenFreeEnergy = g.Sub(energy, g.SumLast(perUnit));
            }
            else
            {
                m.VisibleProbabilities = UpProbability(g, visibleField, spec.InputUnits);
                m.VisibleMeans = Mean(g, visibleField, spec.InputUnits);
                m.HiddenFreeEnergy = g.Sub(energy, g.SumLast(LogSumOut(g, visibleField, spec.InputUnits)));
            }
            return m;
        }

        /// <summary>p(unit up) for a unit whose energy is field·unit: σ(−f) for bits, σ(−2f) for spins.</summary>
        private static Node UpProbability(Graph g, Node field, UnitKind units) =>
            g.Unary(Op.Sigmoid, units == UnitKind.Spins ? g.Mul(g.Const(-2), field) : g.Neg(field));

        /// <summary>E[unit]: σ(−f) for bits, tanh(−f) for spins.</summary>
        private static Node Mean(Graph g, Node field, UnitKind units) =>
            units == UnitKind.Spins ? g.Unary(Op.Tanh, g.Neg(field)) : g.Unary(Op.Sigmoid, g.Neg(field));

        /// <summary>−log Σ_u e^{−f·u} per unit, up to the E(·, 0) term: softplus(−f) for bits, log 2cosh f = f + softplus(−2f) for spins.</summary>
        private static Node LogSumOut(Graph g, Node field, UnitKind units) =>
            units == UnitKind.Spins ? g.Add(field, g.Unary(Op.Softplus, g.Mul(g.Const(-2), field))) : g.Unary(Op.Softplus, g.Neg(field));
    }
}
