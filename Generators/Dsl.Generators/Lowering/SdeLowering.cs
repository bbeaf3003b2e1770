using System.Collections.Generic;
using Dsl.Generators.Diagnostics;
using Dsl.Generators.Model;
using Dsl.Symbolic.Calculus;
using Dsl.Symbolic.Ir;

namespace Dsl.Generators.Lowering
{
    /// <summary>An SDE lowered to the IR with its derived perturbation kernel.</summary>
    public sealed class LoweredSde
    {
        internal LoweredSde(SdeSpec spec, Graph graph, Node x, Node t, Node drift, Node diffusion, Node? driftCoefficient,
            Node? mean, Node? variance, string? quadratureReason)
        {
            Spec = spec; Graph = graph; X = x; T = t; Drift = drift; Diffusion = diffusion; DriftCoefficient = driftCoefficient;
            Mean = mean; Variance = variance; QuadratureReason = quadratureReason;
        }

        /// <summary>The parsed SDE.</summary>
        public SdeSpec Spec { get; }
        /// <summary>The graph holding every node.</summary>
        public Graph Graph { get; }
        /// <summary>x.</summary>
        public Node X { get; }
        /// <summary>t (a per-sample condition).</summary>
        public Node T { get; }
        /// <summary>f(x, t).</summary>
        public Node Drift { get; }
        /// <summary>g(t).</summary>
        public Node Diffusion { get; }
        /// <summary>a(t) when f = a(t)·x; null otherwise (no Gaussian kernel).</summary>
        public Node? DriftCoefficient { get; }
        /// <summary>m(t) in closed form, or null (tabulated or absent).</summary>
        public Node? Mean { get; }
        /// <summary>v(t) in closed form, or null.</summary>
        public Node? Variance { get; }
        /// <summary>Why the kernel is tabulated by quadrature (null when closed form or absent).</summary>
        public string? QuadratureReason { get; }
    }

    /// <summary>SdeSpec → IR; derives the perturbation kernel symbolically, or says which fallback is used.</summary>
    public static class SdeLowering
    {
        /// <summary>Lowers an SDE; returns null when an error diagnostic was reported.</summary>
        public static LoweredSde? Lower(SdeSpec spec, List<DiagnosticInfo> diagnostics)
        {
            var g = new Graph();
            var x = g.Input(spec.DimSymbol);
            var t = g.Condition("t");
            var lowerer = new ExprLowerer(g, x, t, new Dictionary<string, Node>(), new Dictionary<Node, LocationInfo?>(), spec.ClassName);
            Node drift, diffusion;
            try
            {
                drift = lowerer.Lower(spec.Drift);
                diffusion = lowerer.Lower(spec.Diffusion);
            }
            catch (LoweringException e)
            {
                diagnostics.Add(e.Diagnostic);
                return null;
            }
            catch (GraphTooLargeException e)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.TooLarge, spec.Drift.Location, spec.ClassName, e.Message));
                return null;
            }
            if (drift.Shape.Rank != 1 || drift.Shape.Last != spec.DimSymbol)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DriftShape, spec.Drift.Result.Location, spec.ClassName, drift.Shape.ToString()));
                return null;
            }
            if (diffusion.Shape.Rank != 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SdeSignature, spec.Diffusion.Result.Location, spec.ClassName, "has a diffusion that is not a Scalar: " + diffusion.Shape));
                return null;
            }
            drift = g.Fit(drift, x.Shape);

            var a = Linearity.IsotropicCoefficient(g, drift, x);
            Node? mean = null, variance = null;
            string? quadrature = null;
            if (a == null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MarginalFallback, spec.Drift.Location, spec.ClassName,
                    "is not generated: the drift is not of the form a(t)·x, so Perturb, the marginals and the prior are unavailable (the solvers still run)"));
            }
            else
            {
                try
                {
                    (mean, variance) = TimeIntegral.Marginal(g, a, g.Square(diffusion), t);
                }
                catch (IntegrationUnsupportedException e)
                {
                    quadrature = e.Message;
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MarginalFallback, spec.Drift.Location, spec.ClassName,
                        "is tabulated once in float64 by adaptive quadrature (1024 intervals, cubic Hermite interpolation): " + e.Message));
                }
                catch (GraphTooLargeException e)
                {
                    quadrature = e.Message;
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MarginalFallback, spec.Drift.Location, spec.ClassName,
                        "is tabulated once in float64 by adaptive quadrature: " + e.Message));
                }
            }
            return new LoweredSde(spec, g, x, t, drift, diffusion, a, mean, variance, quadrature);
        }
    }
}
