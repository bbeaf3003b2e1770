using System.Collections.Generic;
using System.Linq;
using Dsl.Generators.Diagnostics;
using Dsl.Generators.Model;
using Dsl.Symbolic.Calculus;
using Dsl.Symbolic.Ir;

namespace Dsl.Generators.Lowering
{
    /// <summary>A flow layer lowered to the IR: f(z) = z + u·g(z) and its derived log-determinant.</summary>
    public sealed class LoweredFlow
    {
        internal LoweredFlow(FlowSpec spec, Graph graph, Node z, Node transform, Node u, Node g, Node gradG, Node logDet, IReadOnlyList<string> sizes)
        {
            Spec = spec; Graph = graph; Z = z; Transform = transform; U = u; G = g; GradG = gradG; LogDet = logDet; Sizes = sizes;
        }

        /// <summary>The parsed flow layer.</summary>
        public FlowSpec Spec { get; }
        /// <summary>The graph holding every node.</summary>
        public Graph Graph { get; }
        /// <summary>z.</summary>
        public Node Z { get; }
        /// <summary>f(z) as written.</summary>
        public Node Transform { get; }
        /// <summary>u, the direction of the rank-one update (free of z).</summary>
        public Node U { get; }
        /// <summary>g(z), the scalar gain of the update.</summary>
        public Node G { get; }
        /// <summary>∇g(z) by reverse-mode differentiation.</summary>
        public Node GradG { get; }
        /// <summary>log|1 + uᵀ∇g(z)| = log|det ∂f/∂z| (matrix determinant lemma).</summary>
        public Node LogDet { get; }
        /// <summary>Dimension symbols in constructor order (z's first).</summary>
        public IReadOnlyList<string> Sizes { get; }
    }

    /// <summary>
    /// FlowSpec → IR. Recognises f(z) = z + u·g(z) (u free of z, g a scalar) by factoring the residual f(z) − z through
    /// products, quotients and negations, then applies the matrix determinant lemma det(I + u∇gᵀ) = 1 + ∇gᵀu.
    /// </summary>
    public static class FlowLowering
    {
        /// <summary>Lowers a flow layer; returns null when an error diagnostic was reported.</summary>
        public static LoweredFlow? Lower(FlowSpec spec, List<DiagnosticInfo> diagnostics)
        {
            var g = new Graph();
            var z = g.Input(spec.DimSymbol, spec.InputName);
            var parameters = spec.Params.ToDictionary(p => p.Name, p => g.Param(p.Name, p.Dims.ToArray()));
            var lowerer = new ExprLowerer(g, z, null, parameters, new Dictionary<Node, LocationInfo?>(), spec.ClassName);
            Node f;
            try
            {
                f = lowerer.Lower(spec.Transform);
            }
            catch (LoweringException e)
            {
                diagnostics.Add(e.Diagnostic);
                return null;
            }
            catch (GraphTooLargeException e)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.TooLarge, spec.Transform.Location, spec.ClassName, e.Message));
                return null;
            }
            catch (ShapeException e)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ShapeMismatch, spec.Transform.Location, spec.ClassName, e.Message));
                return null;
            }
            if (f.Shape.Rank != 1 || f.Shape.Last != spec.DimSymbol)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.FlowNotRankOne, spec.Transform.Result.Location, spec.ClassName,
                    "returns " + f.Shape + " instead of a Vec of z's dimension " + spec.DimSymbol));
                return null;
            }
            f = g.Fit(f, z.Shape);

            var residual = Residual(g, f, z);
            if (residual == null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.FlowNotRankOne, spec.Transform.Result.Location, spec.ClassName,
                    "is not z plus a term (write it as '" + spec.InputName + " + u * g(" + spec.InputName + ")')"));
                return null;
            }
            string? why = null;
            var factors = Factor(g, residual, ref why);
            if (factors == null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.FlowNotRankOne, spec.Transform.Result.Location, spec.ClassName,
                    "adds '" + residual + "' to z, which " + (why ?? "does not factor as u·g(z)")));
                return null;
            }
            var (u, gain) = factors.Value;
            Node grad, logDet;
            try
            {
                grad = Gradient.Of(g, gain, z);
                // Matrix determinant lemma: det(I + u ∇gᵀ) = 1 + ∇gᵀu.
                logDet = g.Log(g.Unary(Op.Abs, g.Add(g.Const(1), g.SumLast(g.Mul(g.Fit(u, z.Shape), grad)))));
            }
            catch (NonDifferentiableException e)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NonDifferentiable, spec.Transform.Location, e.Operation, spec.ClassName));
                return null;
            }
            catch (GraphTooLargeException e)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.TooLarge, spec.Transform.Location, spec.ClassName, e.Message));
                return null;
            }
            var sizes = new List<string> { spec.DimSymbol };
            foreach (var p in spec.Params)
                foreach (var d in p.Dims)
                    if (!sizes.Contains(d)) sizes.Add(d);
            return new LoweredFlow(spec, g, z, f, u, gain, grad, logDet, sizes);
        }

        /// <summary>r with f = z + r (or z − r' with r = −r'); null when f is not z plus a term.</summary>
        private static Node? Residual(Graph g, Node f, Node z)
        {
            if (f.Op == Op.Add && f.A == z && f.B != z) return f.B;
            if (f.Op == Op.Add && f.B == z && f.A != z) return f.A;
            if (f.Op == Op.Sub && f.A == z) return g.Neg(f.B);
            return null;
        }

        /// <summary>Factors r = u·g(z) with u a z-free Vec and g a Scalar that depends on z; null (with a reason) otherwise.</summary>
        private static (Node U, Node G)? Factor(Graph g, Node r, ref string? why)
        {
            if (!r.DependsOnInput) { why = "does not depend on z (a translation: write it as a bias, not a flow layer)"; return null; }
            switch (r.Op)
            {
                case Op.Neg:
                    {
                        var inner = Factor(g, r.A, ref why);
                        return inner == null ? null : ((Node, Node)?)(g.Neg(inner.Value.U), inner.Value.G);
                    }
                case Op.Mul:
                    {
                        Node a = r.A, b = r.B;
                        if (a.DependsOnInput && !b.DependsOnInput) { var t = a; a = b; b = t; }
                        if (!a.DependsOnInput)
                        {
                            // a free of z: a Vec u times a scalar gain, or a factor of a deeper product.
                            if (a.Shape.Rank == 1 && b.Shape.Rank == 0) return (a, b);
                            if (a.Shape.Rank > 1) { why = "multiplies by the " + a.Shape + " '" + a + "'"; return null; }
                            var inner = Factor(g, b, ref why);
                            return inner == null ? null : ((Node, Node)?)(g.Mul(a, inner.Value.U), inner.Value.G);
                        }
                        // Both depend on z: one must be a scalar gain, the other a rank-one term.
                        if (a.Shape.Rank == 0 && b.Shape.Rank == 1) { var t = a; a = b; b = t; }
                        if (a.Shape.Rank == 1 && b.Shape.Rank == 0)
                        {
                            var inner = Factor(g, a, ref why);
                            return inner == null ? null : ((Node, Node)?)(inner.Value.U, g.Mul(inner.Value.G, b));
                        }
                        why = "is an elementwise product of two Vecs that depend on z, so ∂f/∂z is not I plus a rank-one matrix";
                        return null;
                    }
                case Op.Div:
                    {
                        var inner = Factor(g, r.A, ref why);
                        if (inner == null) return null;
                        if (!r.B.DependsOnInput) return (g.Div(inner.Value.U, r.B), inner.Value.G);
                        if (r.B.Shape.Rank == 0) return (inner.Value.U, g.Div(inner.Value.G, r.B));
                        why = "divides elementwise by a Vec that depends on z";
                        return null;
                    }
                default:
                    why = r.Shape.Rank == 1
                        ? "depends on z elementwise (" + r.Op + "), so ∂f/∂z is not I plus a rank-one matrix"
                        : "is not a Vec";
                    return null;
            }
        }
    }
}
