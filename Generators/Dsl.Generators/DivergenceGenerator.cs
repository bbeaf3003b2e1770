using Dsl.Generators.Emit;
using Dsl.Generators.Lowering;
using Dsl.Generators.Model;
using Dsl.Generators.Parsing;
using Dsl.Generators.Planning;
using Microsoft.CodeAnalysis;

namespace Dsl.Generators
{
    /// <summary>
    /// The [KlDivergence] generator: syntax → <see cref="DivergenceSpec"/> → IR, q's mean and variance from log q and KL(q‖p) by the
    /// Gaussian second-moment rule (Dsl.Symbolic: Polynomial, Gradient, Substitution) → C#. Same staged pipeline as the others.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed class DivergenceGenerator : IIncrementalGenerator
    {
        /// <summary>Tracking name of the parse stage.</summary>
        public const string ParseStep = "DslDivergenceParse";

        /// <summary>Tracking name of the lower-and-emit stage.</summary>
        public const string EmitStep = "DslDivergenceEmit";

        /// <inheritdoc/>
        public void Initialize(IncrementalGeneratorInitializationContext context) =>
            GeneratorPipeline.Register(context, "Dsl.KlDivergenceAttribute", DivergenceParser.Parse, Generate, ParseStep, EmitStep);

        /// <summary>Lowers and emits one parsed declaration; never throws (an internal failure is DSL9999).</summary>
        public static GeneratedModel Generate(DivergenceParseResult parsed) =>
            GeneratorPipeline.Generate(parsed.Diagnostics, parsed.Divergence, s => s.ClassName, s => s.ClassLocation,
                s => GeneratorPipeline.HintName(s.Namespace, s.Containers, s.ClassName, ".Kl.g.cs"),
                (s, diagnostics) =>
                {
                    var lowered = DivergenceLowering.Lower(s, diagnostics);
                    if (lowered == null) return null;
                    var planned = KindPlanners.Plan(lowered);
                    return Emitted.Of(DivergenceEmitter.Emit(planned), planned.Plan, planned.Roots);
                });
    }
}
