using Dsl.Generators.Emit;
using Dsl.Generators.Lowering;
using Dsl.Generators.Model;
using Dsl.Generators.Parsing;
using Dsl.Generators.Planning;
using Microsoft.CodeAnalysis;

namespace Dsl.Generators
{
    /// <summary>
    /// The [Sde] generator: syntax → <see cref="SdeSpec"/> → IR, linearity and closed-form perturbation kernel
    /// (Dsl.Symbolic) → plan (Planning: the kernel's form, derived roots) → C#. Value-equatable stages with tracking names, like the model generator.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed class SdeGenerator : IIncrementalGenerator
    {
        /// <summary>Tracking name of the parse stage.</summary>
        public const string ParseStep = "DslSdeParse";

        /// <summary>Tracking name of the lower-and-emit stage.</summary>
        public const string EmitStep = "DslSdeEmit";

        /// <inheritdoc/>
        public void Initialize(IncrementalGeneratorInitializationContext context) =>
            GeneratorPipeline.Register(context, "Dsl.SdeAttribute", SdeParser.Parse, Generate, ParseStep, EmitStep);

        /// <summary>Lowers and emits one parsed SDE; never throws (an internal failure is DSL9999).</summary>
        public static GeneratedModel Generate(SdeParseResult parsed) =>
            GeneratorPipeline.Generate(parsed.Diagnostics, parsed.Sde, s => s.ClassName, s => s.ClassLocation,
                s => GeneratorPipeline.HintName(s.Namespace, s.Containers, s.ClassName, ".Sde.g.cs"),
                (s, diagnostics) =>
                {
                    var lowered = SdeLowering.Lower(s, diagnostics);
                    if (lowered == null) return null;
                    var planned = KindPlanners.Plan(lowered);
                    return Emitted.Of(planned.Plan.General != null ? GeneralSdeEmitter.Emit(planned) : SdeEmitter.Emit(planned), planned.Plan, planned.Roots);
                });
    }
}
