using System.Collections.Generic;
using System.Linq;
using System.Text;
using Dsl.Generators.Diagnostics;
using Dsl.Generators.Lowering;
using Dsl.Generators.Model;

namespace Dsl.Generators.Planning
{
    /// <summary>The form of an SDE's Gaussian perturbation kernel p₀ₜ(xₜ | x₀).</summary>
    public enum PerturbationKernel
    {
        /// <summary>None: the drift is not a(t)·x (DSL0015); the kernel members throw.</summary>
        None,
        /// <summary>m(t) and v(t) in closed form.</summary>
        ClosedForm,
        /// <summary>m(t) and v(t) tabulated once in float64 by adaptive quadrature (general SDEs: Φ and Σ by RK4 in float64).</summary>
        Tabulated,
        /// <summary>General SDEs with constant F and G: Φ = exp(tF), Σ by Van Loan's block matrix exponential.</summary>
        MatrixExponential,
        /// <summary>General SDEs with F = b(t)·A and GGᵀ = b(t)·Q (A, Q free of t): Φ = exp(B(t)A), Σ by Van Loan at B(t) = ∫₀ᵗ b.</summary>
        TimeChangedMatrixExponential,
    }

    /// <summary>What a general SDE's plan adds: the diffusion's and the drift's forms, and whether the ISde scalar-kernel members work.</summary>
    public sealed record GeneralSdePlan(string Diffusion, string Drift, EquatableArray<string> Sizes, bool ScalarKernelMembers, string? NoKernelReason);

    /// <summary>The plan of an [Sde] class. Value-equatable; <see cref="ToString"/> is the printout.</summary>
    public sealed record SdePlan(string ClassName, EquatableArray<string> Interfaces, PerturbationKernel Kernel, string? KernelReason,
        EquatableArray<DerivedRoot> Derived, EquatableArray<MethodPlan> Methods, EquatableArray<string> Composed, EquatableArray<string> Unsupported,
        GeneralSdePlan? General = null)
    {
        /// <inheritdoc/>
        public override string ToString()
        {
            var sb = new StringBuilder();
            sb.Append("plan ").Append(ClassName).Append(" (sde)\n");
            PlanText.Section(sb, "interfaces", Interfaces);
            if (General != null)
            {
                sb.Append("diffusion: ").Append(General.Diffusion).Append('\n');
                sb.Append("drift: ").Append(General.Drift).Append('\n');
                sb.Append("perturbation kernel: ").Append(Kernel switch
                {
                    PerturbationKernel.ClosedForm => "closed form per coordinate" + (General.ScalarKernelMembers ? " (isotropic: the ISde scalar-kernel members work)" : ""),
                    PerturbationKernel.MatrixExponential => "matrix exponential (constant F and G: Φ = exp(tF), Σ by Van Loan's block exponential)",
                    PerturbationKernel.Tabulated => "tabulated in float64 by RK4 (" + KernelReason + ")",
                    PerturbationKernel.TimeChangedMatrixExponential => "time-changed matrix exponential (F = b(t)·A, GGᵀ = b(t)·Q: Φ = exp(B(t)A), Σ by Van Loan's block exponential at B(t) = ∫₀ᵗ b)",
                    _ => "none: " + General.NoKernelReason,
                }).Append('\n');
                PlanText.Section(sb, "derived roots", Derived.Select(d => d.ToString()));
                PlanText.Section(sb, "methods", PlanText.Methods(Methods));
                PlanText.Section(sb, "composed (no IR of their own)", Composed);
                PlanText.Section(sb, "throwing NotSupportedException", Unsupported);
                return sb.ToString();
            }
            sb.Append("perturbation kernel: ").Append(Kernel == PerturbationKernel.ClosedForm ? "closed form"
                : Kernel == PerturbationKernel.Tabulated ? "tabulated by quadrature (" + KernelReason + ")" : "none: the drift is not a(t)·x (DSL0015)").Append('\n');
            PlanText.Section(sb, "derived roots", Derived.Select(d => d.ToString()));
            PlanText.Section(sb, "methods", PlanText.Methods(Methods));
            PlanText.Section(sb, "composed (no IR of their own)", Composed);
            PlanText.Section(sb, "throwing NotSupportedException", Unsupported);
            return sb.ToString();
        }
    }

    /// <summary>
    /// The plan of a bipartite [EnergyModel] E(v, h): the visible block's conditional (real: Gaussian p(v | h) with a precision;
    /// bits or spins: factorised probabilities), the members, and the methods (all on torch ops: the kernels do not cover it yet).
    /// </summary>
    public sealed record BipartitePlan(string ClassName, string Kind, EquatableArray<string> Interfaces, bool RealVisible,
        EquatableArray<string> Generated, EquatableArray<MethodPlan> Methods, EquatableArray<string> Composed)
    {
        /// <inheritdoc/>
        public override string ToString()
        {
            var sb = new StringBuilder();
            sb.Append("plan ").Append(ClassName).Append(" (").Append(Kind).Append(")\n");
            PlanText.Section(sb, "interfaces", Interfaces);
            sb.Append("visible conditional: ").Append(RealVisible ? "Gaussian p(v | h), from the visible precision" : "factorised probabilities").Append('\n');
            PlanText.Section(sb, "info", Generated);
            PlanText.Section(sb, "methods", PlanText.Methods(Methods));
            PlanText.Section(sb, "composed (no IR of their own)", Composed);
            return sb.ToString();
        }
    }

    /// <summary>The plan of a [Flow] layer or a [KlDivergence] class: interfaces and differentiable torch-op methods.</summary>
    public sealed record LayerPlan(string ClassName, string Kind, EquatableArray<string> Interfaces, EquatableArray<MethodPlan> Methods)
    {
        /// <inheritdoc/>
        public override string ToString()
        {
            var sb = new StringBuilder();
            sb.Append("plan ").Append(ClassName).Append(" (").Append(Kind).Append(")\n");
            PlanText.Section(sb, "interfaces", Interfaces);
            PlanText.Section(sb, "methods", PlanText.Methods(Methods));
            return sb.ToString();
        }
    }

    /// <summary>Plans the [Sde], [Flow], [KlDivergence] and bipartite [EnergyModel] classes.</summary>
    public static class KindPlanners
    {
        /// <summary>Plans an SDE: the perturbation kernel's form, and the derived root √v(t) of MarginalStd.</summary>
        public static Planned<SdePlan, LoweredSde> Plan(LoweredSde m)
        {
            if (m.General != null) return PlanGeneral(m, m.General);
            var kernel = m.DriftCoefficient == null ? PerturbationKernel.None
                : m.Mean != null && m.Variance != null ? PerturbationKernel.ClosedForm : PerturbationKernel.Tabulated;
            var roots = PlanText.Roots(("Drift", m.Drift), ("Diffusion", m.Diffusion), ("DriftCoefficient", m.DriftCoefficient), ("Mean", m.Mean), ("Variance", m.Variance));
            var derived = new List<DerivedRoot>();
            if (kernel == PerturbationKernel.ClosedForm)
            {
                roots.Add("MarginalStd", m.Graph.Sqrt(m.Variance!));
                derived.Add(new DerivedRoot("MarginalStd", "Sqrt(Variance)"));
            }
            var methods = new List<MethodPlan>
            {
                PlanText.TorchOnly("Drift", CodePathKind.Differentiable, "Drift"),
                PlanText.TorchOnly("Diffusion", CodePathKind.Differentiable, "Diffusion"),
                PlanText.TorchOnly("DiffusionAt", CodePathKind.Host, "Diffusion"),
            };
            var unsupported = new List<string>();
            var composed = new List<string>();
            if (kernel == PerturbationKernel.None)
                unsupported.AddRange(new[] { "MeanCoefficient", "MarginalStd", "DriftDivergence", "Perturb", "SamplePrior", "PriorLogProb", "MeanCoefficientAt", "MarginalVarianceAt" });
            else
            {
                methods.Add(PlanText.TorchOnly("DriftCoefficientAt", CodePathKind.Host, "DriftCoefficient"));
                if (kernel == PerturbationKernel.ClosedForm)
                {
                    methods.Add(PlanText.TorchOnly("MeanCoefficient", CodePathKind.Differentiable, "Mean"));
                    methods.Add(PlanText.TorchOnly("MarginalStd", CodePathKind.Differentiable, "MarginalStd"));
                    methods.Add(PlanText.TorchOnly("MeanCoefficientAt", CodePathKind.Host, "Mean"));
                    methods.Add(PlanText.TorchOnly("MarginalVarianceAt", CodePathKind.Host, "Variance"));
                }
                else composed.Add("MeanCoefficient, MarginalStd, MeanCoefficientAt, MarginalVarianceAt: Dsl.GeneratedCode.MarginalTable of DriftCoefficientAt and DiffusionAt");
                methods.Add(PlanText.TorchOnly("DriftDivergence", CodePathKind.Differentiable, "DriftCoefficient"));
                composed.Add("Perturb: MeanCoefficient, MarginalStd");
                composed.Add("SamplePrior, PriorLogProb: MarginalVarianceAt(EndTime)");
            }
            composed.Add("ReverseDrift, ProbabilityFlowDrift: Drift, Diffusion");
            var plan = new SdePlan(m.Spec.ClassName, new[] { RuntimeNames.Interfaces.ISde }.ToEquatableArray(), kernel, m.QuadratureReason,
                derived.ToEquatableArray(), methods.ToEquatableArray(), composed.ToEquatableArray(), unsupported.ToEquatableArray());
            return new Planned<SdePlan, LoweredSde>(plan, m, roots);
        }

        /// <summary>
        /// Plans a general SDE: the kernel's form (closed form per coordinate, matrix exponential, RK4 table or none), the
        /// roots of the drift's linear parts, the diffusion and the closed-form kernel, and the members that throw.
        /// </summary>
        private static Planned<SdePlan, LoweredSde> PlanGeneral(LoweredSde m, GeneralSdeParts p)
        {
            var kernel = p.NoKernelReason != null ? PerturbationKernel.None
                : p.ElementMean != null ? PerturbationKernel.ClosedForm
                : p.TimeFree ? PerturbationKernel.MatrixExponential
                : p.KernelTime != null ? PerturbationKernel.TimeChangedMatrixExponential : PerturbationKernel.Tabulated;
            var roots = PlanText.Roots(("Drift", m.Drift), ("Diffusion", m.Diffusion), ("DriftScalar", p.DriftScalar), ("DriftDiagonal", p.DriftDiagonal),
                ("DriftMatrix", p.DriftMatrix), ("KernelMeanCoefficients", p.ElementMean), ("KernelVariances", p.ElementVariance),
                ("DriftCoefficient", p.ScalarKernel ? m.DriftCoefficient : null), ("Mean", p.ScalarKernel ? m.Mean : null), ("Variance", p.ScalarKernel ? m.Variance : null),
                ("KernelTime", p.KernelTime), ("KernelGenerator", p.KernelGenerator), ("KernelNoise", p.KernelNoise));
            var derived = new List<DerivedRoot>();
            if (p.ScalarKernel)
            {
                roots.Add("MarginalStd", m.Graph.Sqrt(m.Variance!));
                derived.Add(new DerivedRoot("MarginalStd", "Sqrt(Variance)"));
            }
            var methods = new List<MethodPlan>
            {
                PlanText.TorchOnly("Drift", CodePathKind.Differentiable, "Drift"),
                PlanText.TorchOnly("DiffusionValue", CodePathKind.Differentiable, "Diffusion"),
            };
            var composed = new List<string>
            {
                "DiffusionMatrix, DiffusionTimes, DiffusionCovarianceTimes: Dsl.GeneratedCode.LinearSdeKernel of DiffusionValue",
            };
            var unsupported = new List<string>();
            if (p.Linear) methods.Add(PlanText.TorchOnly("DriftMatrix", CodePathKind.Differentiable, new[] { "DriftScalar", "DriftDiagonal", "DriftMatrix" }.Where(n => roots.All.Any(r => r.Key == n)).ToArray()));
            else unsupported.Add("DriftMatrix");
            if (kernel == PerturbationKernel.ClosedForm)
            {
                methods.Add(PlanText.TorchOnly("KernelMeanCoefficients", CodePathKind.Differentiable, "KernelMeanCoefficients"));
                methods.Add(PlanText.TorchOnly("KernelVariances", CodePathKind.Differentiable, "KernelVariances"));
                composed.Add("TransitionMatrix, KernelCovariance: diag of KernelMeanCoefficients, KernelVariances");
                composed.Add("KernelMean, Perturb, KernelScore: elementwise m ⊙ x₀, m ⊙ x₀ + √v ⊙ noise, −(x − m ⊙ x₀)/v");
            }
            else if (kernel == PerturbationKernel.MatrixExponential)
                composed.Add("TransitionMatrix, KernelCovariance: Dsl.GeneratedCode.LinearSdeKernel.VanLoan of DriftMatrix and GGᵀ; KernelMean, Perturb, KernelScore by its Cholesky factor");
            else if (kernel == PerturbationKernel.TimeChangedMatrixExponential)
            {
                methods.Add(PlanText.TorchOnly("KernelTime", CodePathKind.Differentiable, "KernelTime"));
                methods.Add(PlanText.TorchOnly("KernelGenerator", CodePathKind.Differentiable, "KernelGenerator"));
                methods.Add(PlanText.TorchOnly("KernelNoise", CodePathKind.Differentiable, "KernelNoise"));
                composed.Add("TransitionMatrix, KernelCovariance: Dsl.GeneratedCode.LinearSdeKernel.VanLoan of KernelGenerator and KernelNoise at KernelTime; KernelMean, Perturb, KernelScore by its Cholesky factor");
            }
            else if (kernel == PerturbationKernel.Tabulated)
                composed.Add("TransitionMatrix, KernelCovariance: Dsl.GeneratedCode.LinearSdeKernel.Tabulate of DriftMatrix and GGᵀ; KernelMean, Perturb, KernelScore by its Cholesky factor");
            else unsupported.AddRange(new[] { "TransitionMatrix", "KernelCovariance", "KernelMean", "KernelScore", "Perturb", "SamplePrior", "PriorLogProb" });
            if (kernel != PerturbationKernel.None) composed.Add("SamplePrior, PriorLogProb: N(0, KernelCovariance(EndTime))");
            if (p.ScalarKernel)
            {
                methods.Add(PlanText.TorchOnly("MeanCoefficient", CodePathKind.Differentiable, "Mean"));
                methods.Add(PlanText.TorchOnly("MarginalStd", CodePathKind.Differentiable, "MarginalStd"));
                methods.Add(PlanText.TorchOnly("DriftDivergence", CodePathKind.Differentiable, "DriftCoefficient"));
                composed.Add("Diffusion, DiffusionAt, MeanCoefficientAt, MarginalVarianceAt: DiffusionValue, MeanCoefficient, MarginalStd at one float64 time");
            }
            else
            {
                if (p.DiffusionRank == 0 && !p.DiffusionReadsX) composed.Add("Diffusion, DiffusionAt: DiffusionValue");
                else unsupported.AddRange(new[] { "Diffusion", "DiffusionAt" });
                unsupported.AddRange(new[] { "MeanCoefficient", "MarginalStd", "MeanCoefficientAt", "MarginalVarianceAt" });
                if (p.Linear) composed.Add("DriftDivergence: trace of DriftMatrix");
                else unsupported.Add("DriftDivergence");
            }
            if (p.DiffusionReadsX) unsupported.AddRange(new[] { "ReverseDrift", "ProbabilityFlowDrift" });
            else composed.Add("ReverseDrift, ProbabilityFlowDrift: f − GGᵀs, f − ½GGᵀs with Drift and DiffusionCovarianceTimes");
            string args = p.DiffusionReadsX ? "(x, t)" : "(t)";
            string diffusion = p.DiffusionRank == 0 ? "scalar g" + args + ", G = gI" : p.DiffusionRank == 1 ? "per-coordinate Vec g" + args + ", G = diag(g)" : "matrix G" + args;
            string drift = !p.Linear ? "nonlinear f(x, t)"
                : "linear F(t)x with F = " + string.Join(" + ", new[] { p.DriftScalar == null ? null : "a(t)·I", p.DriftDiagonal == null ? null : "diag(d(t))", p.DriftMatrix == null ? null : "M(t)" }.Where(s => s != null).DefaultIfEmpty("0"));
            var general = new GeneralSdePlan(diffusion, drift, p.Sizes.ToEquatableArray(), p.ScalarKernel, p.NoKernelReason);
            var interfaces = new[] { RuntimeNames.GeneratedCode.GeneratedModule, RuntimeNames.Interfaces.IGeneralSde }.ToEquatableArray();
            var plan = new SdePlan(m.Spec.ClassName, interfaces, kernel, p.TabulatedReason, derived.ToEquatableArray(), methods.ToEquatableArray(),
                composed.ToEquatableArray(), unsupported.ToEquatableArray(), general);
            return new Planned<SdePlan, LoweredSde>(plan, m, roots);
        }

        /// <summary>Plans a flow layer.</summary>
        public static Planned<LayerPlan, LoweredFlow> Plan(LoweredFlow m)
        {
            var methods = new List<MethodPlan>
            {
                PlanText.TorchOnly("Forward", CodePathKind.Differentiable, "Transform"),
                PlanText.TorchOnly("LogDetJacobian", CodePathKind.Differentiable, "LogDet"),
                PlanText.TorchOnly("ForwardAndLogDet", CodePathKind.Differentiable, "Transform", "LogDet"),
                PlanText.TorchOnly("ForwardAndLogDetNoGrad", CodePathKind.Inference, "Transform", "LogDet"),
            };
            if (m.Form == FlowForm.AffineCoupling)
            {
                var c = m.Coupling!;
                var couplingRoots = PlanText.Roots(("Transform", m.Transform), ("LogDet", m.LogDet), ("Inverse", m.Inverse), ("Scale", c.Scale), ("Shift", c.Shift));
                methods.Add(PlanText.TorchOnly("Inverse", CodePathKind.Differentiable, "Inverse"));
                methods.Add(PlanText.TorchOnly("InverseAndLogDet", CodePathKind.Differentiable, "Inverse", "LogDet"));
                var couplingPlan = new LayerPlan(m.Spec.ClassName, "affine coupling layer",
                    new[] { RuntimeNames.Interfaces.IFlowLayer, RuntimeNames.Interfaces.IInvertibleFlowLayer }.ToEquatableArray(), methods.ToEquatableArray());
                return new Planned<LayerPlan, LoweredFlow>(couplingPlan, m, couplingRoots);
            }
            if (m.Form == FlowForm.Linear)
            {
                var l = m.Linear!;
                var linearRoots = PlanText.Roots(("Transform", m.Transform), ("LogDet", m.LogDet), ("Inverse", m.Inverse), ("Matrix", l.Matrix), ("Shift", l.Shift));
                methods.Add(PlanText.TorchOnly("Inverse", CodePathKind.Differentiable, "Inverse"));
                methods.Add(PlanText.TorchOnly("InverseAndLogDet", CodePathKind.Differentiable, "Inverse", "LogDet"));
                var linearPlan = new LayerPlan(m.Spec.ClassName, "linear flow layer",
                    new[] { RuntimeNames.Interfaces.IFlowLayer, RuntimeNames.Interfaces.IInvertibleFlowLayer }.ToEquatableArray(), methods.ToEquatableArray());
                return new Planned<LayerPlan, LoweredFlow>(linearPlan, m, linearRoots);
            }
            var roots = PlanText.Roots(("Transform", m.Transform), ("LogDet", m.LogDet), ("U", m.U), ("G", m.G), ("GradG", m.GradG));
            var plan = new LayerPlan(m.Spec.ClassName, "flow layer", new[] { RuntimeNames.Interfaces.IFlowLayer }.ToEquatableArray(), methods.ToEquatableArray());
            return new Planned<LayerPlan, LoweredFlow>(plan, m, roots);
        }

        /// <summary>Plans a KL divergence class.</summary>
        public static Planned<LayerPlan, LoweredDivergence> Plan(LoweredDivergence m)
        {
            var roots = PlanText.Roots(("LogQ", m.LogQ), ("LogP", m.LogP), ("Mean", m.Mean), ("Variance", m.Variance), ("Reparameterised", m.Reparameterised), ("Kl", m.Kl));
            var plan = new LayerPlan(m.Spec.ClassName, "KL divergence", EquatableArray<string>.Empty, new[]
            {
                PlanText.TorchOnly("QLogDensity", CodePathKind.Differentiable, "LogQ"),
                PlanText.TorchOnly("PLogDensity", CodePathKind.Differentiable, "LogP"),
                PlanText.TorchOnly("QMean", CodePathKind.Differentiable, "Mean"),
                PlanText.TorchOnly("QVariance", CodePathKind.Differentiable, "Variance"),
                PlanText.TorchOnly("Reparameterise", CodePathKind.Differentiable, "Reparameterised"),
                PlanText.TorchOnly("Kl", CodePathKind.Differentiable, "Kl"),
            }.ToEquatableArray());
            return new Planned<LayerPlan, LoweredDivergence>(plan, m, roots);
        }

        private const string BipartiteRefusal = " emitter does not cover bipartite (visible/hidden) energies yet";

        /// <summary>Plans a bipartite energy; a forced kernel is DSL0018/DSL0019 (neither kernel covers E(v, h) yet).</summary>
        public static Planned<BipartitePlan, LoweredBipartite> Plan(LoweredBipartite m, List<DiagnosticInfo> diagnostics)
        {
            var spec = m.Spec;
            bool realVisible = m.VisibleProbabilities == null;
            var refusals = new List<KernelDecision>
            {
                new KernelDecision(Backend.TorchScript, "the TorchScript" + BipartiteRefusal, false),
                new KernelDecision(Backend.Fused, "the fused CPU" + BipartiteRefusal, false),
            }.ToEquatableArray();
            if (spec.Kernels == KernelChoice.Fused)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.FusedUnavailable, spec.ClassLocation, spec.ClassName, "the fused CPU" + BipartiteRefusal));
            if (spec.Kernels == KernelChoice.TorchScript)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.TorchScriptUnavailable, spec.ClassLocation, spec.ClassName, "the TorchScript" + BipartiteRefusal));

            var roots = PlanText.Roots(("Energy", m.Energy), ("FreeEnergy", m.FreeEnergy), ("HiddenFreeEnergy", m.HiddenFreeEnergy),
                ("HiddenProbabilities", m.HiddenProbabilities), ("HiddenMeans", m.HiddenMeans), ("VisibleMeans", m.VisibleMeans),
                ("VisiblePrecision", m.VisiblePrecision), ("VisibleProbabilities", m.VisibleProbabilities));
            var members = new List<string> { "Energy", "FreeEnergy", "HiddenFreeEnergy", "HiddenProbabilities", "HiddenMeans", "VisibleMeans" };
            members.Add(realVisible ? "VisiblePrecision" : "VisibleProbabilities");
            var methods = members.Select(name => new MethodPlan(name, CodePathKind.Differentiable, new[] { name }.ToEquatableArray(), refusals, EquatableArray<ContractionTerm>.Empty)).ToList();
            var composed = new[] { "SampleHidden: HiddenProbabilities", "SampleVisible: " + (realVisible ? "VisibleMeans, VisiblePrecision" : "VisibleProbabilities") };
            string kind = "bipartite, " + spec.InputUnits.ToString().ToLowerInvariant() + " visible, " + spec.HiddenUnits.ToString().ToLowerInvariant() + " hidden";
            var plan = new BipartitePlan(spec.ClassName, kind, new[] { RuntimeNames.Interfaces.IBipartiteModel }.ToEquatableArray(), realVisible,
                members.ToEquatableArray(), methods.ToEquatableArray(), composed.ToEquatableArray());
            return new Planned<BipartitePlan, LoweredBipartite>(plan, m, roots);
        }
    }
}
