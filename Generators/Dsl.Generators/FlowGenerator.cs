using Dsl.Generators.Emit;
using Dsl.Generators.Lowering;
using Dsl.Generators.Model;
using Dsl.Generators.Parsing;
using Dsl.Generators.Planning;
using Microsoft.CodeAnalysis;

namespace Dsl.Generators
{
    /// <summary>
    /// The [Flow] generator: syntax → <see cref="FlowSpec"/> → IR, rank-one recognition and the log-determinant by the
    /// matrix determinant lemma (Dsl.Symbolic) → C#. Value-equatable stages with tracking names, like the other generators.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed class FlowGenerator : IIncrementalGenerator
    {
        /// <summary>Tracking name of the parse stage.</summary>
        public const string ParseStep = "DslFlowParse";

        /// <summary>Tracking name of the lower-and-emit stage.</summary>
        public const string EmitStep = "DslFlowEmit";

        /// <inheritdoc/>
        public void Initialize(IncrementalGeneratorInitializationContext context) =>
            GeneratorPipeline.Register(context, "Dsl.FlowAttribute", FlowParser.Parse, Generate, ParseStep, EmitStep);

        /// <summary>Lowers and emits one parsed flow layer; never throws (an internal failure is DSL9999).</summary>
        public static GeneratedModel Generate(FlowParseResult parsed) =>
            GeneratorPipeline.Generate(parsed.Diagnostics, parsed.Flow, s => s.ClassName, s => s.ClassLocation,
                s => GeneratorPipeline.HintName(s.Namespace, s.Containers, s.ClassName, ".Flow.g.cs"),
                (s, diagnostics) =>
                {
                    var lowered = FlowLowering.Lower(s, diagnostics);
                    if (lowered == null) return null;
                    var planned = KindPlanners.Plan(lowered);
                    return Emitted.Of(FlowEmitter.Emit(planned), planned.Plan, planned.Roots);
                });
    }
}
