using System.Collections.Generic;
using System.Linq;
using Dsl.Generators.Diagnostics;
using Dsl.Generators.Lowering;
using Dsl.Generators.Model;

namespace Dsl.Generators.Planning
{
    /// <summary>
    /// Plans an [EnergyModel] with [Time] or [Condition] inputs, E(x, t | y): the interfaces (ITimeEnergyModel,
    /// IConditionalEnergyModel or ITimeConditionalEnergyModel), both code paths of energy, score (−∇ₓE only) and, when
    /// derived, divergence and log-probability. Every method runs on torch ops: the fused and TorchScript emitters take
    /// x and at most one Scalar condition, so a forced kernel is DSL0018/DSL0019.
    /// </summary>
    public static class ConditionedModelPlanner
    {
        /// <summary>Why the inference methods of a conditioned model are not fused or TorchScript.</summary>
        public const string TorchOpsOnly = "the model has [Time]/[Condition] inputs, which the fused and TorchScript emitters do not take";

        /// <summary>Plans <paramref name="m"/> (which has <see cref="LoweredModel.Conditioning"/>).</summary>
        public static Planned<ModelPlan, LoweredModel> Plan(LoweredModel m, List<DiagnosticInfo> diagnostics)
        {
            var spec = m.Spec;
            var c = m.Conditioning!;
            bool time = c.Time != null, condition = c.Spec.ConditionKind != ConditionInputKind.None;

            var roots = new PlannedRoots();
            roots.Add(ModelPlanner.Energy, m.Energy);
            roots.Add(ModelPlanner.Score, m.Score);
            if (m.Divergence != null) roots.Add(ModelPlanner.Divergence, m.Divergence);
            var derived = new List<DerivedRoot>();
            if (m.LogPartition != null)
            {
                roots.Add(ModelPlanner.LogPartition, m.LogPartition);
                roots.Add(ModelPlanner.LogProb, m.Graph.Neg(m.Graph.Add(m.Energy, m.LogPartition)));
                derived.Add(new DerivedRoot(ModelPlanner.LogProb, "-(" + ModelPlanner.Energy + " + " + ModelPlanner.LogPartition + ")"));
            }

            var methods = new List<MethodPlan>();
            void Both(string name, params string[] names)
            {
                methods.Add(new MethodPlan(name, CodePathKind.Differentiable, names.ToEquatableArray(), EquatableArray<KernelDecision>.Empty, EquatableArray<ContractionTerm>.Empty));
                var refused = new[]
                {
                    new KernelDecision(Backend.TorchScript, TorchOpsOnly, spec.Kernels == KernelChoice.TorchOps),
                    new KernelDecision(Backend.Fused, TorchOpsOnly, spec.Kernels == KernelChoice.TorchOps),
                };
                methods.Add(new MethodPlan(name + "NoGrad", CodePathKind.Inference, names.ToEquatableArray(), refused.ToEquatableArray(), EquatableArray<ContractionTerm>.Empty));
            }
            Both("Energy", ModelPlanner.Energy);
            Both("Score", ModelPlanner.Score);
            Both("EnergyAndScore", ModelPlanner.Energy, ModelPlanner.Score);
            if (m.Divergence != null) Both("ScoreDivergence", ModelPlanner.Divergence);
            if (m.LogPartition != null)
                methods.Add(new MethodPlan("LogProb", CodePathKind.Differentiable, new[] { ModelPlanner.LogProb }.ToEquatableArray(), EquatableArray<KernelDecision>.Empty, EquatableArray<ContractionTerm>.Empty));

            var interfaces = new List<string>
            {
                time && condition ? RuntimeNames.Conditioning.ITimeConditionalEnergyModel
                : time ? RuntimeNames.Conditioning.ITimeEnergyModel
                : RuntimeNames.Conditioning.IConditionalEnergyModel,
            };
            if (time && !condition && m.Divergence != null) interfaces.Add(RuntimeNames.Conditioning.ITimeScoreDivergenceModel);

            var generated = new List<string> { "Energy", "Score", "EnergyAndScore" };
            if (time) generated.Add("Time");
            if (condition) generated.Add(c.Spec.ConditionKind == ConditionInputKind.Label ? "Label" : "Condition");
            if (m.Divergence != null) generated.Add("ScoreDivergence");
            if (m.LogPartition != null) generated.Add("LogProb");

            string kind = "real" + (time ? ", time-dependent" : "")
                + (c.Spec.ConditionKind == ConditionInputKind.Vector ? ", conditional on Vec " + c.Spec.ConditionName + "[" + c.ConditionDim + "]"
                : c.Spec.ConditionKind == ConditionInputKind.Label ? ", conditional on label " + c.Spec.ConditionName + " of " + c.ConditionDim + " classes" : "");
            var plan = new ModelPlan(spec.ClassName, kind, spec.Kernels, interfaces.ToEquatableArray(), generated.ToEquatableArray(),
                derived.ToEquatableArray(), methods.ToEquatableArray());
            if (spec.Kernels == KernelChoice.Fused)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.FusedUnavailable, spec.ClassLocation, spec.ClassName, "EnergyNoGrad cannot be fused: " + TorchOpsOnly));
            if (spec.Kernels == KernelChoice.TorchScript)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.TorchScriptUnavailable, spec.ClassLocation, spec.ClassName, "EnergyNoGrad has no TorchScript form: " + TorchOpsOnly));
            return new Planned<ModelPlan, LoweredModel>(plan, m, roots);
        }
    }
}
