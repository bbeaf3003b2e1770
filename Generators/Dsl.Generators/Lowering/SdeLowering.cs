using System.Collections.Generic;
using System.Linq;
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
            Node? mean, Node? variance, string? quadratureReason, GeneralSdeParts? general = null)
        {
            Spec = spec; Graph = graph; X = x; T = t; Drift = drift; Diffusion = diffusion; DriftCoefficient = driftCoefficient;
            Mean = mean; Variance = variance; QuadratureReason = quadratureReason; General = general;
        }

        /// <summary>The parts of a general SDE (<see cref="SdeSpec.IsGeneral"/>); null for the first form.</summary>
        public GeneralSdeParts? General { get; }

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

    /// <summary>
    /// A general SDE lowered: the drift's linear parts F(t) = a(t)I + diag(d(t)) + M(t) when it is linear, the kernel per
    /// coordinate in closed form when F and G are diagonal and the time integrals have one, the time change B(t), A, Q when
    /// F = b(t)·A and GGᵀ = b(t)·Q, and the facts the planner reads.
    /// </summary>
    public sealed class GeneralSdeParts
    {
        internal GeneralSdeParts(int diffusionRank, bool diffusionReadsX, Node? driftScalar, Node? driftDiagonal, Node? driftMatrix,
            bool linear, string? noKernelReason, Node? elementMean, Node? elementVariance, bool scalarKernel, bool timeFree, string? tabulatedReason, IReadOnlyList<string> sizes,
            Node? kernelTime = null, Node? kernelGenerator = null, Node? kernelNoise = null)
        {
            KernelTime = kernelTime; KernelGenerator = kernelGenerator; KernelNoise = kernelNoise;
            Linear = linear;
            DiffusionRank = diffusionRank; DiffusionReadsX = diffusionReadsX; DriftScalar = driftScalar; DriftDiagonal = driftDiagonal; DriftMatrix = driftMatrix;
            NoKernelReason = noKernelReason; ElementMean = elementMean; ElementVariance = elementVariance; ScalarKernel = scalarKernel;
            TimeFree = timeFree; TabulatedReason = tabulatedReason; Sizes = sizes;
        }

        /// <summary>0: scalar g, 1: per-coordinate Vec g, 2: Mat G.</summary>
        public int DiffusionRank { get; }
        /// <summary>True for G(x, t).</summary>
        public bool DiffusionReadsX { get; }
        /// <summary>a(t) of F (null when absent).</summary>
        public Node? DriftScalar { get; }
        /// <summary>d(t) of F (null when absent).</summary>
        public Node? DriftDiagonal { get; }
        /// <summary>M(t) of F (null when absent).</summary>
        public Node? DriftMatrix { get; }
        /// <summary>True when the drift is linear in x (F(t)x).</summary>
        public bool Linear { get; }
        /// <summary>Why there is no Gaussian kernel (null when there is one).</summary>
        public string? NoKernelReason { get; }
        /// <summary>Φ = diag(m): the per-coordinate mean coefficients m(t) in closed form, batched Vec (null otherwise).</summary>
        public Node? ElementMean { get; }
        /// <summary>Σ = diag(v): the per-coordinate variances v(t) in closed form, batched Vec (null otherwise).</summary>
        public Node? ElementVariance { get; }
        /// <summary>True when the kernel is N(m(t)x₀, v(t)I) with scalar m, v in closed form (the ISde scalar members work).</summary>
        public bool ScalarKernel { get; }
        /// <summary>True when F and G do not depend on t (the kernel is a matrix exponential).</summary>
        public bool TimeFree { get; }
        /// <summary>Why the kernel is tabulated (null unless it is).</summary>
        public string? TabulatedReason { get; }
        /// <summary>B(t) = ∫₀ᵗ b for F = b(t)·A, GGᵀ = b(t)·Q (the time-changed matrix exponential), null otherwise: [N].</summary>
        public Node? KernelTime { get; }
        /// <summary>A of F = b(t)·A, free of t (null unless <see cref="KernelTime"/> is set).</summary>
        public Node? KernelGenerator { get; }
        /// <summary>Q = GGᵀ/b(t), free of t, in the diffusion's form: a Scalar r (Q = rI), a Vec r (Q = diag r) or a Mat Q (null unless <see cref="KernelTime"/> is set).</summary>
        public Node? KernelNoise { get; }
        /// <summary>Dimension symbols in constructor order (x's first).</summary>
        public IReadOnlyList<string> Sizes { get; }
    }

    /// <summary>SdeSpec → IR; derives the perturbation kernel symbolically, or says which fallback is used.</summary>
    public static class SdeLowering
    {
        /// <summary>Lowers an SDE; returns null when an error diagnostic was reported.</summary>
        public static LoweredSde? Lower(SdeSpec spec, List<DiagnosticInfo> diagnostics)
        {
            if (spec.IsGeneral) return LowerGeneral(spec, diagnostics);
            var g = new Graph();
            var x = g.Input(spec.DimSymbol);
            var t = g.Condition("t");
            var lowerer = new ExprLowerer(g, x, t, new Dictionary<string, Node>(), new Dictionary<Node, LocationInfo?>(), spec.ClassName);
            var lowered = LowerDriftAndDiffusion(lowerer, spec, diagnostics);
            if (lowered == null) return null;
            var (drift, diffusion) = lowered.Value;
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
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoGaussianKernel, spec.Drift.Location, spec.ClassName,
                    "the drift is not of the form a(t)·x, so Perturb, the marginals and the prior throw NotSupportedException (the solvers still run)"));
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
        /// <summary>
        /// The drift and diffusion as IR, with the diagnostics every kind of SDE reports: the lowering's own, DSL0011 for a graph
        /// too large, DSL0005 for a shape error, DSL0014 when the drift is not a Vec of x's dimension. Null after an error.
        /// </summary>
        private static (Node Drift, Node Diffusion)? LowerDriftAndDiffusion(ExprLowerer lowerer, SdeSpec spec, List<DiagnosticInfo> diagnostics)
        {
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
            catch (ShapeException e)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ShapeMismatch, spec.Drift.Location, spec.ClassName, e.Message));
                return null;
            }
            if (drift.Shape.Rank != 1 || drift.Shape.Last != SizeExpr.Canonical(spec.DimSymbol))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DriftShape, spec.Drift.Result.Location, spec.ClassName, drift.Shape.ToString()));
                return null;
            }
            return (drift, diffusion);
        }

        private static LoweredSde? LowerGeneral(SdeSpec spec, List<DiagnosticInfo> diagnostics)
        {
            var g = new Graph();
            string d = SizeExpr.Canonical(spec.DimSymbol);   // "D", or a size expression such as "2*D" (the parser checked it)
            var x = g.Input(d);
            var t = g.Condition("t");
            var parameters = ExprLowerer.ParameterLeaves(g, spec.Params, spec.ClassName, spec.ClassLocation, diagnostics);
            if (parameters == null) return null;
            // Sizes in constructor order: the names in x's dimension first, then those in the [Param] shapes (the parts' included).
            var sizes = new List<string>();
            foreach (var dim in new[] { d }.Concat(spec.Params.SelectMany(p => p.Dims)))
                foreach (var symbol in SizeExpr.Symbols(SizeExpr.Canonical(dim)))
                    if (!sizes.Contains(symbol)) sizes.Add(symbol);
            var lowerer = new ExprLowerer(g, x, t, parameters, new Dictionary<Node, LocationInfo?>(), spec.ClassName) { SizeNames = new HashSet<string>(sizes) };
            var lowered = LowerDriftAndDiffusion(lowerer, spec, diagnostics);
            if (lowered == null) return null;
            var (drift, diffusion) = lowered.Value;
            bool shapeOk = spec.DiffusionRank == 0 ? diffusion.Shape.Rank == 0
                : spec.DiffusionRank == 1 ? diffusion.Shape.Rank == 1 && diffusion.Shape.Last == d
                : diffusion.Shape.Rank == 2 && diffusion.Shape.Dims[0] == d && diffusion.Shape.Dims[1] == d;
            if (!shapeOk)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SdeSignature, spec.Diffusion.Result.Location, spec.ClassName,
                    "has a diffusion of shape " + diffusion.Shape + " where " + (spec.DiffusionRank == 0 ? "a Scalar" : spec.DiffusionRank == 1 ? "a Vec [" + d + "]" : "a Mat [" + d + ", " + d + "]") + " was declared"));
                return null;
            }
            drift = g.Fit(drift, x.Shape);

            var linear = LinearDrift.Of(g, drift, x);
            string? noKernel = linear == null ? "the drift is not linear in x (of the form F(t)x), so the kernel members (Perturb, KernelMean, KernelCovariance, KernelScore, the prior) throw NotSupportedException; Euler–Maruyama" + (spec.DiffusionRank == 1 && spec.DiffusionReadsX ? " and Milstein" : "") + (spec.DiffusionRank == 1 && spec.DiffusionReadsX ? " still simulate it" : " still simulates it")
                : spec.DiffusionReadsX ? "the diffusion G(x, t) depends on x, so the kernel members throw NotSupportedException, and so do ReverseDrift and ProbabilityFlowDrift (the reverse-time drift would need ∇·(GGᵀ)); Euler–Maruyama" + (spec.DiffusionRank == 1 ? " and Milstein" : "") + " simulate it"
                : null;
            Node? elementMean = null, elementVariance = null, scalarMean = null, scalarVariance = null;
            bool scalarKernel = false, timeFree = false;
            string? tabulated = null;
            Node? kernelTime = null, kernelGenerator = null, kernelNoise = null;
            if (noKernel != null)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoGaussianKernel, linear == null ? spec.Drift.Location : spec.Diffusion.Location, spec.ClassName, noKernel));
            else
            {
                timeFree = new[] { linear!.Scalar, linear.Diagonal, linear.Matrix, diffusion }.All(n => n == null || !Topology.Order(new[] { n }).Contains(t));
                string? why = null;
                if (linear.Matrix == null && spec.DiffusionRank <= 1)
                {
                    // Diagonal F and G: every coordinate is the scalar SDE dxᵢ = (a + dᵢ)xᵢ dt + gᵢ dwᵢ.
                    var coefficient = linear.Scalar == null ? linear.Diagonal ?? g.Const(0) : linear.Diagonal == null ? linear.Scalar : g.Add(linear.Scalar, linear.Diagonal);
                    try
                    {
                        var (mean, variance) = TimeIntegral.Marginal(g, coefficient, g.Square(diffusion), t);
                        scalarKernel = mean.Shape.Rank == 0 && variance.Shape.Rank == 0;
                        if (scalarKernel) (scalarMean, scalarVariance) = (mean, variance);
                        elementMean = g.Fit(mean, x.Shape);
                        elementVariance = g.Fit(variance, x.Shape);
                    }
                    catch (IntegrationUnsupportedException e) { why = e.Message; }
                    catch (GraphTooLargeException e) { why = e.Message; }
                    catch (ShapeException e) { why = e.Message; }
                }
                else why = "the drift matrix or the diffusion is not diagonal";
                if (elementMean == null && !timeFree && linear.Matrix != null)
                {
                    // F = b(t)·A and GGᵀ = b(t)·Q: the time change u = B(t) gives Φ = exp(B(t)A) and Σ = Van Loan at B(t).
                    if (linear.Scalar != null || linear.Diagonal != null)
                        why = "F(t) has an a(t)·I or diag(d(t)) part besides the drift matrix M(t), so it is not b(t)·A";
                    else
                    {
                        var (change, reason) = TimeChange.Of(g, linear.Matrix, diffusion, spec.DiffusionRank, t);
                        if (change != null) (kernelTime, kernelGenerator, kernelNoise) = (change.Time, change.Generator, change.Noise);
                        else why = reason;
                    }
                }
                if (elementMean == null && !timeFree && kernelTime == null)
                {
                    tabulated = why + ", and F or G depends on t";
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MarginalFallback, spec.Drift.Location, spec.ClassName,
                        "is computed in float64 by RK4 on " + 2048 + " steps of Φ′ = FΦ, Σ′ = FΣ + ΣFᵀ + GGᵀ (not differentiable in the parameters): " + tabulated));
                }
            }
            var parts = new GeneralSdeParts(spec.DiffusionRank, spec.DiffusionReadsX, linear?.Scalar, linear?.Diagonal, linear?.Matrix, linear != null, noKernel,
                elementMean, elementVariance, scalarKernel, timeFree, tabulated, sizes,
                kernelTime, kernelGenerator, kernelNoise);
            Node? a = scalarKernel ? linear!.Scalar ?? g.Const(0) : null;
            return new LoweredSde(spec, g, x, t, drift, diffusion, a, scalarMean, scalarVariance, null, parts);
        }
    }
}
