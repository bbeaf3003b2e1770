using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Dsl.Generators.Diagnostics;
using Dsl.Generators.Emit;
using Dsl.Generators.Lowering;
using Dsl.Generators.Model;
using Dsl.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

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
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            var parsed = context.SyntaxProvider.ForAttributeWithMetadataName(
                    "Dsl.EnergyModelAttribute",
                    predicate: static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax,
                    transform: static (ctx, ct) => ModelParser.Parse(ctx, ct))
                .WithTrackingName(ParseStep);

            var generated = parsed.Select(static (result, _) => Generate(result)).WithTrackingName(EmitStep);

            context.RegisterSourceOutput(generated, static (spc, model) =>
            {
                foreach (var diagnostic in model.Diagnostics) spc.ReportDiagnostic(diagnostic.ToDiagnostic());
                if (model.HintName != null && model.Source != null)
                    spc.AddSource(model.HintName, SourceText.From(model.Source, Encoding.UTF8));
            });
        }

        /// <summary>Lowers and emits one parsed model; never throws (an internal failure is DSL9999).</summary>
        public static GeneratedModel Generate(ParseResult parsed)
        {
            var diagnostics = parsed.Diagnostics.ToList();
            var spec = parsed.Model;
            if (spec == null) return new GeneratedModel(null, null, diagnostics.ToEquatableArray());
            try
            {
                var lowered = ModelLowering.Lower(spec, diagnostics);
                if (lowered == null) return new GeneratedModel(null, null, diagnostics.ToEquatableArray());
                var source = ModelEmitter.Emit(lowered);
                return new GeneratedModel(HintName(spec), source, diagnostics.ToEquatableArray());
            }
            catch (Exception e)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.Internal, spec.ClassLocation, spec.ClassName, e.GetType().Name + ": " + e.Message));
                return new GeneratedModel(null, null, diagnostics.ToEquatableArray());
            }
        }

        /// <summary>A readable, unique file name: Namespace.Outer.Model.Dsl.g.cs.</summary>
        private static string HintName(ModelSpec spec)
        {
            var parts = new List<string>();
            if (spec.Namespace != null) parts.Add(spec.Namespace);
            parts.AddRange(spec.Containers.Select(c => c.Name));
            parts.Add(spec.ClassName);
            return string.Join(".", parts) + ".Dsl.g.cs";
        }
    }
}
