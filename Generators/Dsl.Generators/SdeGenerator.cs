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
    /// The [Sde] generator: syntax → <see cref="SdeSpec"/> → IR, linearity and closed-form perturbation kernel
    /// (Dsl.Symbolic) → C#. Value-equatable stages with tracking names, like the model generator.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed class SdeGenerator : IIncrementalGenerator
    {
        /// <summary>Tracking name of the parse stage.</summary>
        public const string ParseStep = "DslSdeParse";

        /// <summary>Tracking name of the lower-and-emit stage.</summary>
        public const string EmitStep = "DslSdeEmit";

        /// <inheritdoc/>
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            var parsed = context.SyntaxProvider.ForAttributeWithMetadataName(
                    "Dsl.SdeAttribute",
                    predicate: static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax,
                    transform: static (ctx, ct) => SdeParser.Parse(ctx, ct))
                .WithTrackingName(ParseStep);

            var generated = parsed.Select(static (result, _) => Generate(result)).WithTrackingName(EmitStep);

            context.RegisterSourceOutput(generated, static (spc, model) =>
            {
                foreach (var diagnostic in model.Diagnostics) spc.ReportDiagnostic(diagnostic.ToDiagnostic());
                if (model.HintName != null && model.Source != null)
                    spc.AddSource(model.HintName, SourceText.From(model.Source, Encoding.UTF8));
            });
        }

        /// <summary>Lowers and emits one parsed SDE; never throws (an internal failure is DSL9999).</summary>
        public static GeneratedModel Generate(SdeParseResult parsed)
        {
            var diagnostics = parsed.Diagnostics.ToList();
            var spec = parsed.Sde;
            if (spec == null) return new GeneratedModel(null, null, diagnostics.ToEquatableArray());
            try
            {
                var lowered = SdeLowering.Lower(spec, diagnostics);
                if (lowered == null) return new GeneratedModel(null, null, diagnostics.ToEquatableArray());
                var parts = new List<string>();
                if (spec.Namespace != null) parts.Add(spec.Namespace);
                parts.AddRange(spec.Containers.Select(c => c.Name));
                parts.Add(spec.ClassName);
                return new GeneratedModel(string.Join(".", parts) + ".Sde.g.cs", SdeEmitter.Emit(lowered), diagnostics.ToEquatableArray());
            }
            catch (Exception e)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.Internal, spec.ClassLocation, spec.ClassName, e.GetType().Name + ": " + e.Message));
                return new GeneratedModel(null, null, diagnostics.ToEquatableArray());
            }
        }
    }
}
