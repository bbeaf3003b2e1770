using Dsl.Generators.Emit;
using Dsl.Generators.Lowering;
using Dsl.Generators.Model;
using Dsl.Generators.Parsing;
using Dsl.Generators.Planning;
using Microsoft.CodeAnalysis;

namespace Dsl.Generators
{
    /// <summary>
    /// The [EnergyModel] generator: syntax → <see cref="ModelSpec"/> (Parsing) → IR and calculus (Lowering,
    /// Dsl.Symbolic) → plan: interfaces, methods, roots, kernels, DSL0018/DSL0019 (Planning) → C# (Emit, which decides nothing). Each stage's output is value-equatable and carries a tracking name, so an
    /// edit elsewhere in the compilation regenerates nothing.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed class EnergyModelGenerator : IIncrementalGenerator
    {
        /// <summary>Tracking name of the parse stage.</summary>
        public const string ParseStep = "DslParse";

        /// <summary>Tracking name of the lower → plan → emit stage.</summary>
        public const string EmitStep = "DslEmit";

        /// <inheritdoc/>
        public void Initialize(IncrementalGeneratorInitializationContext context) =>
            GeneratorPipeline.Register(context, "Dsl.EnergyModelAttribute", ModelParser.Parse, Generate, ParseStep, EmitStep);

        /// <summary>Lowers, plans and emits one parsed model; never throws (an internal failure is DSL9999).</summary>
        public static GeneratedModel Generate(ParseResult parsed) =>
            GeneratorPipeline.Generate(parsed.Diagnostics, parsed.Model, s => s.ClassName, s => s.ClassLocation,
                s => GeneratorPipeline.HintName(s.Namespace, s.Containers, s.ClassName, ".Dsl.g.cs"),
                (s, diagnostics) =>
                {
                    if (s.HiddenName != null)
                    {
                        var bipartite = BipartiteLowering.Lower(s, diagnostics);
                        if (bipartite == null) return null;
                        var plannedBipartite = KindPlanners.Plan(bipartite, diagnostics);
                        return Emitted.Of(BipartiteEmitter.Emit(plannedBipartite), plannedBipartite.Plan, plannedBipartite.Roots);
                    }
                    var lowered = ModelLowering.Lower(s, diagnostics);
                    if (lowered == null) return null;
                    if (lowered.Conditioning != null)
                    {
                        // E(x, t | y): [Time]/[Condition] inputs (ConditionedModelPlanner, ConditionedModelEmitter).
                        var conditioned = ConditionedModelPlanner.Plan(lowered, diagnostics);
                        return Emitted.Of(ConditionedModelEmitter.Emit(conditioned), conditioned.Plan, conditioned.Roots);
                    }
                    var planned = ModelPlanner.Plan(lowered, diagnostics);
                    return Emitted.Of(ModelEmitter.Emit(planned), planned.Plan, planned.Roots);
                });
    }
}
