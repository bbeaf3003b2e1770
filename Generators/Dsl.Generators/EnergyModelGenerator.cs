using Dsl.Generators.Emit;
using Dsl.Generators.Lowering;
using Dsl.Generators.Model;
using Dsl.Generators.Parsing;
using Microsoft.CodeAnalysis;

namespace Dsl.Generators
{
    /// <summary>
    /// The [EnergyModel] generator: syntax → <see cref="ModelSpec"/> (Parsing) → IR and calculus (Lowering,
    /// Dsl.Symbolic) → C# (Emit). Each stage's output is value-equatable and carries a tracking name, so an
    /// edit elsewhere in the compilation regenerates nothing.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed class EnergyModelGenerator : IIncrementalGenerator
    {
        /// <summary>Tracking name of the parse stage.</summary>
        public const string ParseStep = "DslParse";

        /// <summary>Tracking name of the lower-and-emit stage.</summary>
        public const string EmitStep = "DslEmit";

        /// <inheritdoc/>
        public void Initialize(IncrementalGeneratorInitializationContext context) =>
            GeneratorPipeline.Register(context, "Dsl.EnergyModelAttribute", ModelParser.Parse, Generate, ParseStep, EmitStep);

        /// <summary>Lowers and emits one parsed model; never throws (an internal failure is DSL9999).</summary>
        public static GeneratedModel Generate(ParseResult parsed) =>
            GeneratorPipeline.Generate(parsed.Diagnostics, parsed.Model, s => s.ClassName, s => s.ClassLocation,
                s => GeneratorPipeline.HintName(s.Namespace, s.Containers, s.ClassName, ".Dsl.g.cs"),
                (s, diagnostics) =>
                {
                    if (s.HiddenName != null)
                    {
                        if (s.Kernels == KernelChoice.Fused)
                            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.DiagnosticDescriptors.FusedUnavailable, s.ClassLocation, s.ClassName,
                                "the fused CPU emitter does not cover bipartite (visible/hidden) energies yet"));
                        if (s.Kernels == KernelChoice.TorchScript)
                            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.DiagnosticDescriptors.TorchScriptUnavailable, s.ClassLocation, s.ClassName,
                                "the TorchScript emitter does not cover bipartite (visible/hidden) energies yet"));
                        var bipartite = BipartiteLowering.Lower(s, diagnostics);
                        return bipartite == null ? null : BipartiteEmitter.Emit(bipartite);
                    }
                    var lowered = ModelLowering.Lower(s, diagnostics);
                    if (lowered == null) return null;
                    if (s.Kernels == KernelChoice.Fused)
                        foreach (var (method, roots) in ModelEmitter.InferenceMethods(lowered))
                        {
                            var why = ModelEmitter.WhyNotFused(s, roots);
                            if (why == null) continue;
                            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.DiagnosticDescriptors.FusedUnavailable, s.ClassLocation, s.ClassName, method + " cannot be fused: " + why));
                            break;
                        }
                    if (s.Kernels == KernelChoice.TorchScript)
                        foreach (var (method, roots) in ModelEmitter.InferenceMethods(lowered))
                        {
                            var why = ModelEmitter.WhyNotScripted(s, roots);
                            if (why == null) continue;
                            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.DiagnosticDescriptors.TorchScriptUnavailable, s.ClassLocation, s.ClassName, method + " has no TorchScript form: " + why));
                            break;
                        }
                    return ModelEmitter.Emit(lowered);
                });
    }
}
