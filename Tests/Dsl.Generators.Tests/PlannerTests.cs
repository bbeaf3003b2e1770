using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.Generators.Lowering;
using Dsl.Generators.Model;
using Dsl.Generators.Planning;

namespace Dsl.Generators.Tests
{
    /// <summary>The planning stage on its own: kernel decisions with their reasons, DSL0018/DSL0019, value equality.</summary>
    public class PlannerTests
    {
        private const string Usings = "using Dsl; using static Dsl.Math;\nnamespace Test {\n";

        /// <summary>The parsed spec of the single [EnergyModel] class in <paramref name="body"/> (the parse stage's tracked output).</summary>
        private static ModelSpec Parse(string body)
        {
            var run = GeneratorFixture.Run(Usings + body + "\n}");
            var parsed = run.Result.Results.SelectMany(r => r.TrackedSteps.TryGetValue(EnergyModelGenerator.ParseStep, out var steps) ? steps : Enumerable.Empty<Microsoft.CodeAnalysis.IncrementalGeneratorRunStep>())
                .SelectMany(s => s.Outputs).Select(o => o.Value).OfType<ParseResult>().Single();
            return parsed.Model!;
        }

        private const string Rbm = "[EnergyModel(Kernels = KernelPath.{0})] public partial class M {{ [Param(\"D,H\")] public Mat W; [Energy] Scalar E(Bits v, [Hidden] Bits h) => -Dot(v, W * h); }}";
        private const string Mlp = "[EnergyModel(Kernels = KernelPath.{0})] public partial class M {{ [Param(\"K,D\")] public Mat W; [Param(\"K\")] public Vec W2; [Energy] Scalar E(Vec x) => Dot(W2, Tanh(W * x)) + 0.5 * Norm2(x); }}";

        [Theory]
        [InlineData("Fused", "DSL0018", "the fused CPU emitter does not cover bipartite (visible/hidden) energies yet")]
        [InlineData("TorchScript", "DSL0019", "the TorchScript emitter does not cover bipartite (visible/hidden) energies yet")]
        public void A_forced_kernel_the_planner_refuses_is_reported_by_the_planner(string kernels, string id, string reason)
        {
            var spec = Parse(string.Format(System.Globalization.CultureInfo.InvariantCulture, Rbm, kernels));
            var diagnostics = new List<DiagnosticInfo>();
            var lowered = BipartiteLowering.Lower(spec, diagnostics);
            Assert.NotNull(lowered);
            Assert.DoesNotContain(diagnostics, d => d.Descriptor.Id == id);   // lowering does not decide kernels
            var planned = KindPlanners.Plan(lowered!, diagnostics);
            var diagnostic = Assert.Single(diagnostics, d => d.Descriptor.Id == id);
            Assert.Contains(reason, string.Join(" ", diagnostic.Arguments), StringComparison.Ordinal);
            var energy = planned.Plan.Methods.Single(m => m.Name == "Energy");
            Assert.False(energy.Uses(Backend.Fused));
            Assert.False(energy.Uses(Backend.TorchScript));
            Assert.Contains("torch ops: the only path", planned.Plan.ToString(), StringComparison.Ordinal);
            Assert.Contains(reason, planned.Plan.ToString(), StringComparison.Ordinal);
        }

        [Fact]
        public void Torch_ops_by_request_is_planned_as_torch_ops_with_that_reason_and_emitted_so()
        {
            var spec = Parse(string.Format(System.Globalization.CultureInfo.InvariantCulture, Mlp, "TorchOps"));
            var diagnostics = new List<DiagnosticInfo>();
            var planned = ModelPlanner.Plan(ModelLowering.Lower(spec, diagnostics)!, diagnostics);
            Assert.Empty(diagnostics);
            foreach (var method in planned.Plan.Methods.Where(m => m.Path == CodePathKind.Inference && m.Kernels.Count > 0))
                foreach (var kernel in method.Kernels)
                {
                    Assert.False(kernel.Planned, method.Name + " " + kernel.Backend);
                    Assert.True(kernel.ByRequest);
                    Assert.Equal(BackendSupport.TorchOpsRequested, kernel.WhyNot);
                }
            var source = Emit.ModelEmitter.Emit(planned);
            Assert.Contains("// Kernel: torch ops — not fused: " + BackendSupport.TorchOpsRequested + ".", source, StringComparison.Ordinal);
            Assert.DoesNotContain("NoGradFused(", source, StringComparison.Ordinal);
            Assert.DoesNotContain("TorchScriptSource", source, StringComparison.Ordinal);
        }

        [Fact]
        public void Under_Auto_the_planner_fuses_and_scripts_every_inference_method_and_bounds_the_contraction()
        {
            var spec = Parse(string.Format(System.Globalization.CultureInfo.InvariantCulture, Mlp, "Auto"));
            var diagnostics = new List<DiagnosticInfo>();
            var plan = ModelPlanner.Plan(ModelLowering.Lower(spec, diagnostics)!, diagnostics).Plan;
            var energy = plan.Method("EnergyNoGrad");
            Assert.True(energy.Uses(Backend.Fused));
            Assert.True(energy.Uses(Backend.TorchScript));
            // W: [K, D] times x per sample: KernelPath.Auto bounds the fused kernel by K·D.
            Assert.Equal(new[] { new ContractionTerm(new[] { "K", "D" }.ToEquatableArray(), false) }, energy.AutoBound.ToArray());
            Assert.Equal(new[] { "global::Dsl.IEnergyScoreModel", "global::Dsl.IEquationModel", "global::Dsl.ICounterNoiseStepModel", "global::Dsl.IScoreDivergenceModel" }, plan.Interfaces.ToArray());
        }

        [Fact]
        public void Plans_are_value_equatable_and_their_printout_is_deterministic()
        {
            // Two independent lowerings (two graphs, different node objects) plan to equal values; another kernel choice does not.
            var auto = Parse(string.Format(System.Globalization.CultureInfo.InvariantCulture, Mlp, "Auto"));
            var first = ModelPlanner.Plan(ModelLowering.Lower(auto, new List<DiagnosticInfo>())!, new List<DiagnosticInfo>()).Plan;
            var second = ModelPlanner.Plan(ModelLowering.Lower(auto, new List<DiagnosticInfo>())!, new List<DiagnosticInfo>()).Plan;
            Assert.Equal(first, second);
            Assert.Equal(first.GetHashCode(), second.GetHashCode());
            Assert.Equal(first.ToString(), second.ToString());
            var torchOps = Parse(string.Format(System.Globalization.CultureInfo.InvariantCulture, Mlp, "TorchOps"));
            var third = ModelPlanner.Plan(ModelLowering.Lower(torchOps, new List<DiagnosticInfo>())!, new List<DiagnosticInfo>()).Plan;
            Assert.NotEqual(first, third);
        }

        [Fact]
        public void A_discrete_model_without_a_lattice_stencil_gets_no_sweep_and_the_plan_says_why()
        {
            var spec = Parse("[EnergyModel] public partial class M { [Param(\"D,D\")] public Mat W; [Energy] Scalar E(Spins s) => -0.5 * Dot(s, W * s); }");
            var diagnostics = new List<DiagnosticInfo>();
            var planned = ModelPlanner.Plan(ModelLowering.Lower(spec, diagnostics)!, diagnostics);
            var sweep = planned.Plan.Method(ModelPlanner.SweepMethod).Kernel(Backend.LatticeSweep)!;
            Assert.False(sweep.Planned);
            Assert.Equal("ΔEᵢ uses no lattice stencil (LatticeNeighbours or Roll)", sweep.WhyNot);
            Assert.Contains("global::Dsl.IDiscreteEnergyModel", planned.Plan.Interfaces);
            Assert.DoesNotContain("CheckerboardSweep", planned.Plan.Generated);
            Assert.Contains("// No checkerboard sweep: " + sweep.WhyNot + ".", Emit.ModelEmitter.Emit(planned), StringComparison.Ordinal);
        }
    }
}
