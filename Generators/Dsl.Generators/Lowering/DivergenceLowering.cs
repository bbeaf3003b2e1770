using System.Collections.Generic;
using System.Linq;
using Dsl.Generators.Diagnostics;
using Dsl.Generators.Model;
using Dsl.Symbolic.Calculus;
using Dsl.Symbolic.Ir;

namespace Dsl.Generators.Lowering
{
    /// <summary>A [KlDivergence] lowered to the IR, with q's mean and variance and KL(q‖p) derived.</summary>
    public sealed class LoweredDivergence
    {
        internal LoweredDivergence(DivergenceSpec spec, Node z, IReadOnlyList<Node> qArguments, IReadOnlyList<Node> pArguments, IReadOnlyList<Node> klArguments,
            Node logQ, Node logP, Node curvature, Node offset, Node mean, Node variance, Node hessian, Node atMean, Node kl, Node epsilon, Node reparameterised,
            IReadOnlyList<string> sizes)
        {
            Spec = spec; Z = z; QArguments = qArguments; PArguments = pArguments; KlArguments = klArguments; LogQ = logQ; LogP = logP;
            Curvature = curvature; Offset = offset; Mean = mean; Variance = variance; Hessian = hessian; AtMean = atMean; Kl = kl;
            Epsilon = epsilon; Reparameterised = reparameterised; Sizes = sizes;
        }

        /// <summary>The parsed declaration.</summary>
        public DivergenceSpec Spec { get; }
        /// <summary>z.</summary>
        public Node Z { get; }
        /// <summary>log q's arguments after z, in order.</summary>
        public IReadOnlyList<Node> QArguments { get; }
        /// <summary>log p's arguments after z, in order.</summary>
        public IReadOnlyList<Node> PArguments { get; }
        /// <summary>The arguments of KL(q‖p): q's, then p's not already among them.</summary>
        public IReadOnlyList<Node> KlArguments { get; }
        /// <summary>log q(z) as written.</summary>
        public Node LogQ { get; }
        /// <summary>log p(z) as written.</summary>
        public Node LogP { get; }
        /// <summary>a = ∂²log q/∂zᵢ² (the diagonal Hessian), with ∇log q = a ⊙ z + b.</summary>
        public Node Curvature { get; }
        /// <summary>b, with ∇log q = a ⊙ z + b.</summary>
        public Node Offset { get; }
        /// <summary>m = −b/a, q's mean.</summary>
        public Node Mean { get; }
        /// <summary>v = −1/a, q's variance.</summary>
        public Node Variance { get; }
        /// <summary>h = ∂²(log q − log p)/∂zᵢ².</summary>
        public Node Hessian { get; }
        /// <summary>(log q − log p)(m).</summary>
        public Node AtMean { get; }
        /// <summary>KL(q‖p) = (log q − log p)(m) + ½ Σᵢ hᵢ vᵢ.</summary>
        public Node Kl { get; }
        /// <summary>The noise ε of the reparameterisation.</summary>
        public Node Epsilon { get; }
        /// <summary>z = m + √v ⊙ ε.</summary>
        public Node Reparameterised { get; }
        /// <summary>Dimension symbols in constructor order (z's first).</summary>
        public IReadOnlyList<string> Sizes { get; }
    }

    /// <summary>
    /// DivergenceSpec → IR → KL(q‖p) in closed form. For q = N(m, diag v) and f = log q − log p a polynomial of degree ≤ 2
    /// in z, the second-order Taylor expansion of f about the mean is exact, and E_q[z − m] = 0, E_q[(z − m)(z − m)ᵀ] =
    /// diag v give E_q[f(z)] = f(m) + ½ Σᵢ ∂²f/∂zᵢ² vᵢ (off-diagonal Hessian terms vanish in expectation). q's own mean and
    /// variance come from log q: with ∇log q = a ⊙ z + b (a, b free of z), m = −b/a and v = −1/a.
    /// </summary>
    public static class DivergenceLowering
    {
        /// <summary>Lowers and derives; returns null when an error diagnostic was reported.</summary>
        public static LoweredDivergence? Lower(DivergenceSpec spec, List<DiagnosticInfo> diagnostics)
        {
            var g = new Graph();
            string dim = spec.DimSymbol;
            var z = g.Input(dim, spec.LatentName);
            var qArgs = spec.QArguments.Select(a => g.Input(dim, a)).ToList();
            var pArgs = spec.PArguments.Select(a => g.Input(dim, a)).ToList();
            var klArgs = qArgs.Concat(pArgs.Where(a => !qArgs.Contains(a))).ToList();
            var parameters = spec.Params.ToDictionary(p => p.Name, p => g.Param(p.Name, p.Dims.ToArray()));
            var origins = new Dictionary<Node, LocationInfo?>();

            Node? LowerDensity(EquationSpec equation, string latentName, IReadOnlyList<string> names, IReadOnlyList<Node> nodes)
            {
                var inputs = new Dictionary<string, Node>();
                for (int i = 0; i < names.Count; i++) inputs[names[i]] = nodes[i];
                inputs[latentName] = z;
                var lowerer = new ExprLowerer(g, z, null, parameters, origins, spec.ClassName, null, inputs);
                Node f;
                try { f = lowerer.Lower(equation); }
                catch (LoweringException e) { diagnostics.Add(e.Diagnostic); return null; }
                catch (GraphTooLargeException e) { diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.TooLarge, equation.Location, spec.ClassName, e.Message)); return null; }
                catch (ShapeException e) { diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ShapeMismatch, equation.Location, spec.ClassName, e.Message)); return null; }
                if (f.Shape.Rank != 0)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.KlNotClosedForm, equation.Result.Location, spec.ClassName,
                        equation.MethodName + " returns " + f.Shape + " per sample instead of one Scalar log-density (sum over the coordinates)"));
                    return null;
                }
                return g.Fit(f, Shape.Of(true));
            }

            var logQ = LowerDensity(spec.LogQ, spec.LatentName, spec.QArguments.ToList(), qArgs);
            if (logQ == null) return null;
            var logP = LowerDensity(spec.LogP, spec.PriorLatentName, spec.PArguments.ToList(), pArgs);
            if (logP == null) return null;

            bool Fail(EquationSpec at, string why)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.KlNotClosedForm, at.Result.Location, spec.ClassName, why));
                return false;
            }

            try
            {
                int qDegree = Polynomial.Degree(logQ, z);
                if (qDegree != 2)
                {
                    Fail(spec.LogQ, "log q = " + spec.LogQ.SourceText + " is " + (qDegree == Polynomial.NotPolynomial ? "not a polynomial" : "of degree " + qDegree)
                        + " in " + spec.LatentName + ", so q is not a Gaussian");
                    return null;
                }
                var split = Polynomial.SeparableAffine(g, Gradient.Of(g, logQ, z), z);
                if (split == null)
                {
                    Fail(spec.LogQ, "log q couples the coordinates of " + spec.LatentName + " (its Hessian is not diagonal), so q is not a Gaussian with diagonal covariance");
                    return null;
                }
                var a = g.Fit(split.Value.Coefficient, z.Shape);
                var b = g.Fit(split.Value.Offset, z.Shape);
                var mean = Quotient.Of(g, g.Neg(b), a);          // common factors cancel: the slide's μ, not −b/a as computed
                var variance = Quotient.Of(g, g.Const(-1), a);   // and σ², not −1/a

                var f = g.Sub(logQ, logP);
                int fDegree = Polynomial.Degree(f, z);
                if (fDegree > 2)
                {
                    Fail(spec.LogP, "log q − log p is " + (fDegree == Polynomial.NotPolynomial ? "not a polynomial" : "of degree " + fDegree) + " in " + spec.LatentName
                        + " (log p = " + spec.LogP.SourceText + "), so its expectation under q is not the Gaussian second-moment formula");
                    return null;
                }
                var h = Polynomial.SelfCouplings(g, f, z);
                if (h == null)
                {
                    Fail(spec.LogP, "the diagonal of the Hessian of log q − log p is hidden from the symbolic rules (a product of two terms in "
                        + spec.LatentName + " inside the gradient, or an operation without a rule)");
                    return null;
                }
                h = g.Fit(h, z.Shape);
                var atMean = Substitution.Replace(g, f, z, mean);
                var kl = g.Add(atMean, g.Mul(g.Const(0.5), g.SumLast(g.Mul(h, variance))));
                string epsilonName = klArgs.Any(n => n.Name == DivergenceSpec.NoiseName) || spec.LatentName == DivergenceSpec.NoiseName ? DivergenceSpec.NoiseName + "_" : DivergenceSpec.NoiseName;
                var epsilon = g.Input(dim, epsilonName);
                var reparameterised = g.Add(mean, g.Mul(g.Sqrt(variance), epsilon));
                foreach (var derived in new[] { mean, variance, h, kl })
                    if (Topology.Order(new[] { derived }).Contains(z))
                    {
                        Fail(spec.LogQ, "a derived term still depends on " + spec.LatentName + " (an internal limit of the symbolic rules)");
                        return null;
                    }
                var sizes = new List<string> { dim };
                foreach (var p in spec.Params)
                    foreach (var d in p.Dims)
                        if (!sizes.Contains(d)) sizes.Add(d);
                return new LoweredDivergence(spec, z, qArgs, pArgs, klArgs, logQ, logP, a, b, mean, variance, h, atMean, kl, epsilon, reparameterised, sizes);
            }
            catch (NonDifferentiableException e)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NonDifferentiable, spec.LogQ.Location, e.Operation, spec.ClassName));
                return null;
            }
            catch (GraphTooLargeException e)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.TooLarge, spec.LogQ.Location, spec.ClassName, e.Message));
                return null;
            }
            catch (ShapeException e)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ShapeMismatch, spec.LogQ.Location, spec.ClassName, e.Message));
                return null;
            }
        }
    }
}
