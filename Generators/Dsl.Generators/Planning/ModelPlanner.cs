using System.Collections.Generic;
using System.Linq;
using System.Text;
using Dsl.Generators.Diagnostics;
using Dsl.Generators.Lowering;
using Dsl.Generators.Model;
using Dsl.Symbolic.Ir;

namespace Dsl.Generators.Planning
{
    /// <summary>
    /// The plan of an [EnergyModel] (real or discrete units, plain or noise-conditional): the interfaces its generated half
    /// implements, the members ModelInfo lists, every generated method with its roots and backend decisions, and the roots
    /// derived here rather than by lowering. Value-equatable; <see cref="ToString"/> is the deterministic printout.
    /// </summary>
    public sealed record ModelPlan(string ClassName, string Kind, KernelChoice Kernels, EquatableArray<string> Interfaces,
        EquatableArray<string> Generated, EquatableArray<DerivedRoot> Derived, EquatableArray<MethodPlan> Methods)
    {
        /// <summary>The method named <paramref name="name"/> (the planner plans every method the emitter writes).</summary>
        public MethodPlan Method(string name) =>
            Methods.FirstOrDefault(m => m.Name == name) ?? throw new System.InvalidOperationException("no method " + name + " in the plan of " + ClassName);

        /// <summary>True when the plan has a method named <paramref name="name"/>.</summary>
        public bool Has(string name) => Methods.Any(m => m.Name == name);

        /// <summary>The plan printout (the Snapshots/*.plan golden).</summary>
        public override string ToString()
        {
            var sb = new StringBuilder();
            sb.Append("plan ").Append(ClassName).Append(" (").Append(Kind).Append("), Kernels = ").Append(Kernels).Append('\n');
            PlanText.Section(sb, "interfaces", Interfaces);
            PlanText.Section(sb, "info", Generated);
            PlanText.Section(sb, "derived roots", Derived.Select(d => d.ToString()));
            PlanText.Section(sb, "methods", PlanText.Methods(Methods));
            return sb.ToString();
        }
    }

    /// <summary>
    /// Plans an [EnergyModel]: decides the interfaces, the methods and, for each inference method, fused CPU / TorchScript / torch ops
    /// (and the lattice sweep of a discrete model), with the reason for each refusal; derives log p = −(E + log Z); reports DSL0018 and
    /// DSL0019 when the model forces a kernel some inference method cannot have.
    /// </summary>
    public static class ModelPlanner
    {
        /// <summary>Names of the roots in plans and printouts.</summary>
        public const string Energy = "Energy", Score = "Score", Divergence = "Divergence", LogPartition = "LogPartition", LogProb = "LogProb",
            FlipEnergy = "FlipEnergy", Conditional = "Conditional", SelfCouplings = "SelfCouplings", LatticeSide = "LatticeSide";

        /// <summary>Plans <paramref name="m"/>; DSL0018/DSL0019 go to <paramref name="diagnostics"/>.</summary>
        public static Planned<ModelPlan, LoweredModel> Plan(LoweredModel m, List<DiagnosticInfo> diagnostics)
        {
            var spec = m.Spec;
            bool conditional = m.NoiseLevel != null;
            var d = m.Discrete;

            var roots = new PlannedRoots();
            roots.Add(Energy, m.Energy);
            roots.Add(Score, m.Score);
            if (m.Divergence != null) roots.Add(Divergence, m.Divergence);
            var derived = new List<DerivedRoot>();
            if (m.LogPartition != null)
            {
                roots.Add(LogPartition, m.LogPartition);
                roots.Add(LogProb, m.Graph.Neg(m.Graph.Add(m.Energy, m.LogPartition)));
                derived.Add(new DerivedRoot(LogProb, "-(" + Energy + " + " + LogPartition + ")"));
            }

            KernelDecision? sweep = null;
            if (d != null)
            {
                roots.Add(FlipEnergy, d.FlipEnergy);
                roots.Add(Conditional, d.Conditional);
                roots.Add(SelfCouplings, d.SelfCouplings);
                var why = spec.Kernels == KernelChoice.TorchOps ? BackendSupport.TorchOpsRequested : BackendSupport.WhyNotSweep(d.FlipEnergy);
                if (why == null && conditional) why = "the model is noise-conditional";
                sweep = new KernelDecision(Backend.LatticeSweep, why, spec.Kernels == KernelChoice.TorchOps);
                if (sweep.Planned)
                {
                    roots.Add(LatticeSide, BackendSupport.SweepSide(d.FlipEnergy));
                    derived.Add(new DerivedRoot(LatticeSide, "the lattice side L of every stencil of " + FlipEnergy));
                }
            }

            var methods = new List<MethodPlan>();
            MethodPlan Add(string name, CodePathKind path, string[] names, bool fused, bool script)
            {
                var nodes = roots.Of(names);
                var kernels = new List<KernelDecision>();
                if (script) kernels.Add(BackendSupport.ScriptDecision(spec.Kernels, nodes));
                if (fused) kernels.Add(BackendSupport.FusedDecision(spec.Kernels, nodes));
                var bound = kernels.Any(k => k.Backend == Backend.Fused && k.Planned) ? BackendSupport.Contraction(nodes) : EquatableArray<ContractionTerm>.Empty;
                var plan = new MethodPlan(name, path, names.ToEquatableArray(), kernels.ToEquatableArray(), bound);
                methods.Add(plan);
                return plan;
            }
            void Both(string name, params string[] names)
            {
                Add(name, CodePathKind.Differentiable, names, fused: false, script: false);
                Add(name + "NoGrad", CodePathKind.Inference, names, fused: true, script: true);
            }

            Both("Energy", Energy);
            Both("Score", Score);
            Both("EnergyAndScore", Energy, Score);
            if (!conditional && d == null)
            {
                Add(StepMethod, CodePathKind.Inference, new[] { Score }, fused: true, script: true);
                Add(CounterStepMethod, CodePathKind.Inference, new[] { Score }, fused: true, script: false);
            }
            if (conditional && d == null) Add(SharedLevelStepMethod, CodePathKind.Inference, new[] { Score }, fused: true, script: false);
            if (m.Divergence != null) Both("ScoreDivergence", Divergence);
            if (conditional && d == null && m.Divergence != null) Add(SharedLevelFlowMethod, CodePathKind.Inference, new[] { Score, Divergence }, fused: true, script: false);
            if (m.LogPartition != null) Add("LogProb", CodePathKind.Differentiable, new[] { LogProb }, fused: false, script: false);
            if (d != null)
            {
                Add("LocalFields", CodePathKind.Differentiable, new[] { Score }, fused: false, script: false);
                Both("FlipEnergyDifferences", FlipEnergy);
                Both("ConditionalProbabilities", Conditional);
                var sweepRoots = sweep!.Planned ? new[] { FlipEnergy, LatticeSide } : new[] { FlipEnergy };
                methods.Add(new MethodPlan(SweepMethod, CodePathKind.Inference, sweepRoots.ToEquatableArray(), new[] { sweep }.ToEquatableArray(), EquatableArray<ContractionTerm>.Empty));
                if (sweep.Planned)
                    methods.Add(new MethodPlan(MultiSpinMethod, CodePathKind.Inference, sweepRoots.ToEquatableArray(),
                        new[] { new KernelDecision(Backend.MultiSpin, BackendSupport.WhyNotMultiSpin(d.FlipEnergy), false) }.ToEquatableArray(), EquatableArray<ContractionTerm>.Empty));
                Add("SelfCouplings", CodePathKind.Inference, new[] { SelfCouplings }, fused: false, script: false);
            }

            var interfaces = conditional
                ? new List<string> { RuntimeNames.Interfaces.INoiseConditionalModel }
                : new List<string> { RuntimeNames.Interfaces.IEnergyScoreModel, RuntimeNames.Interfaces.IEquationModel };
            if (!conditional && d == null) interfaces.Add(RuntimeNames.Interfaces.ICounterNoiseStepModel);
            if (conditional && d == null) interfaces.Add(RuntimeNames.Interfaces.INoiseConditionalStepModel);
            if (m.Divergence != null) interfaces.Add(conditional ? RuntimeNames.Interfaces.INoiseConditionalDivergenceModel : RuntimeNames.Interfaces.IScoreDivergenceModel);
            if (conditional && d == null && m.Divergence != null) interfaces.Add(RuntimeNames.Interfaces.INoiseConditionalFlowModel);
            if (m.LogPartition != null) interfaces.Add(conditional ? RuntimeNames.Interfaces.INoiseConditionalLogProbModel : RuntimeNames.Interfaces.ILogProbModel);
            bool multiSpin = sweep?.Planned == true && methods.Last(mp => mp.Name == MultiSpinMethod).Uses(Backend.MultiSpin);
            if (d != null) interfaces.Add(multiSpin ? RuntimeNames.Interfaces.IMultiSpinSweepModel : sweep!.Planned ? RuntimeNames.Interfaces.ILatticeSweepModel : RuntimeNames.Interfaces.IDiscreteEnergyModel);

            var generated = new List<string> { "Energy", "Score", "EnergyAndScore" };
            if (conditional) generated.Add("NoiseLevel");
            if (m.Divergence != null) generated.Add("ScoreDivergence");
            if (m.LogPartition != null) generated.Add("LogProb");
            if (d != null) generated.AddRange(new[] { "LocalFields", "FlipEnergyDifferences", "ConditionalProbabilities", "SelfCouplings" });
            if (sweep?.Planned == true) generated.Add("CheckerboardSweep");
            if (multiSpin) generated.Add(MultiSpinMethod);

            string kind = (d != null ? "discrete " + d.Units.ToString().ToLowerInvariant() : "real") + (conditional ? ", noise-conditional" : "");
            var plan = new ModelPlan(spec.ClassName, kind, spec.Kernels, interfaces.ToEquatableArray(), generated.ToEquatableArray(),
                derived.ToEquatableArray(), methods.ToEquatableArray());
            Report(plan, spec, diagnostics);
            return new Planned<ModelPlan, LoweredModel>(plan, m, roots);
        }

        /// <summary>The plan names of the step methods, the shared-level flow and the sweep.</summary>
        public const string StepMethod = "ScoreStepNoGrad(x, a, z, b)", CounterStepMethod = "ScoreStepNoGrad(x, a, b, noise)",
            SharedLevelStepMethod = "ScoreStepNoGrad(x, sigma, inputScale, c, a, b, noise)",
            SharedLevelFlowMethod = "FlowAndDivergenceNoGrad(x, sigma, inputScale, c, a, divergenceShift, divergenceScale, flow, divergence)", SweepMethod = "CheckerboardSweep", MultiSpinMethod = "MultiSpinSweep";

        private static void Report(ModelPlan plan, ModelSpec spec, List<DiagnosticInfo> diagnostics)
        {
            // A forced kernel must cover every inference method that considered it (docs/diagnostics/DSL0018.md, DSL0019.md); the
            // first one in plan order that cannot have it is named.
            var required = plan.Methods.Where(m => m.Path == CodePathKind.Inference).ToList();
            if (spec.Kernels == KernelChoice.Fused)
            {
                var refused = required.FirstOrDefault(m => m.Kernel(Backend.Fused) is { Planned: false });
                if (refused != null)
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.FusedUnavailable, spec.ClassLocation, spec.ClassName,
                        refused.Name + " cannot be fused: " + refused.Kernel(Backend.Fused)!.WhyNot));
            }
            if (spec.Kernels == KernelChoice.TorchScript)
            {
                var refused = required.FirstOrDefault(m => m.Kernel(Backend.TorchScript) is { Planned: false });
                if (refused != null)
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.TorchScriptUnavailable, spec.ClassLocation, spec.ClassName,
                        refused.Name + " has no TorchScript form: " + refused.Kernel(Backend.TorchScript)!.WhyNot));
            }
        }
    }
}
