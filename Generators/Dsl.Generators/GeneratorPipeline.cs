using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using Dsl.Generators.Diagnostics;
using Dsl.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Dsl.Generators
{
    /// <summary>What one lower → plan → emit run wrote: the source and the printouts of the plan and of the IR it names.</summary>
    internal sealed record Emitted(string Source, string Plan, string Ir)
    {
        /// <summary>The run's result for the plan <paramref name="plan"/> (printed by its ToString) with the roots <paramref name="roots"/>.</summary>
        public static Emitted Of(string source, object plan, Planning.PlannedRoots roots) => new Emitted(source, plan.ToString()!, Planning.IrPrinter.Print(roots));
    }

    /// <summary>
    /// The shape every generator shares: ForAttributeWithMetadataName → value-equatable parse result (tracked) →
    /// lower → plan → emit (tracked) → diagnostics and one source file per class. Never throws into the compiler.
    /// </summary>
    internal static class GeneratorPipeline
    {
        /// <summary>Registers the pipeline for classes carrying <paramref name="attribute"/>.</summary>
        public static void Register<TParsed>(IncrementalGeneratorInitializationContext context, string attribute,
            Func<GeneratorAttributeSyntaxContext, CancellationToken, TParsed> parse, Func<TParsed, GeneratedModel> generate,
            string parseStep, string emitStep)
        {
            var parsed = context.SyntaxProvider.ForAttributeWithMetadataName(
                    attribute,
                    predicate: static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax,
                    transform: (ctx, ct) => parse(ctx, ct))
                .WithTrackingName(parseStep);

            var generated = parsed.Select((result, _) => generate(result)).WithTrackingName(emitStep);

            context.RegisterSourceOutput(generated, static (spc, model) =>
            {
                if (model.HintName != null && model.Source != null)
                    spc.AddSource(model.HintName, SourceText.From(model.Source, Encoding.UTF8));
            });
            // Diagnostics are reported at locations inside the user's syntax trees, found again by file path in the current
            // compilation: only an in-source location is subject to '#pragma warning disable DSLxxxx' and [SuppressMessage], so a
            // user can silence a warning such as DSL0040 where it is intended. This step reruns with the compilation (it only
            // maps locations); parsing and emission stay cached on the value-equatable models.
            var diagnostics = generated.Select(static (model, _) => model.Diagnostics).WithTrackingName(emitStep + "Diagnostics");
            context.RegisterSourceOutput(diagnostics.Combine(context.CompilationProvider), static (spc, pair) =>
            {
                foreach (var diagnostic in pair.Left) spc.ReportDiagnostic(diagnostic.ToDiagnostic(pair.Right));
            });
        }

        /// <summary>
        /// Lowers, plans and emits a parsed spec (null when parsing failed); an unexpected exception becomes DSL9999 at the class.
        /// <paramref name="emit"/> returns the source with the stage printouts, or null when lowering reported an error.
        /// </summary>
        public static GeneratedModel Generate<TSpec>(IEnumerable<DiagnosticInfo> parsedDiagnostics, TSpec? spec, Func<TSpec, string> className,
            Func<TSpec, LocationInfo?> location, Func<TSpec, string> hintName, Func<TSpec, List<DiagnosticInfo>, Emitted?> emit) where TSpec : class
        {
            var diagnostics = parsedDiagnostics.ToList();
            if (spec == null) return new GeneratedModel(null, null, diagnostics.ToEquatableArray());
            try
            {
                var emitted = emit(spec, diagnostics);
                return emitted == null
                    ? new GeneratedModel(null, null, diagnostics.ToEquatableArray())
                    : new GeneratedModel(hintName(spec), emitted.Source, diagnostics.ToEquatableArray(), emitted.Plan, emitted.Ir);
            }
            catch (Exception e)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.Internal, location(spec), className(spec), e.GetType().Name + ": " + e.Message));
                return new GeneratedModel(null, null, diagnostics.ToEquatableArray());
            }
        }

        /// <summary>A readable, unique file name: Namespace.Outer.Class.&lt;suffix&gt;.</summary>
        public static string HintName(string? ns, EquatableArray<ContainerSpec> containers, string className, string suffix)
        {
            var parts = new List<string>();
            if (ns != null) parts.Add(ns);
            parts.AddRange(containers.Select(c => c.Name));
            parts.Add(className);
            return string.Join(".", parts) + suffix;
        }
    }
}
