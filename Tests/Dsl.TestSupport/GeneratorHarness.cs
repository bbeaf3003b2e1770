using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace Dsl.Testing
{
    /// <summary>What one generator run produced.</summary>
    public sealed record GeneratorRun(
        ImmutableArray<Diagnostic> GeneratorDiagnostics,
        ImmutableArray<Diagnostic> CompilationDiagnostics,
        IReadOnlyDictionary<string, string> Sources,
        GeneratorDriver Driver,
        CSharpCompilation Compilation,
        GeneratorDriverRunResult Result);

    /// <summary>Runs an incremental generator over C# source text with the .NET 10 reference assemblies (no SDK needed).</summary>
    public static class GeneratorHarness
    {
        /// <summary>C# 14, as the .NET 10 SDK compiles.</summary>
        public static readonly CSharpParseOptions ParseOptions = new CSharpParseOptions(LanguageVersion.Preview);

        /// <summary>Builds a library compilation of <paramref name="sources"/>.</summary>
        public static CSharpCompilation Compile(IEnumerable<string> sources, IEnumerable<MetadataReference> references) =>
            CSharpCompilation.Create("DslGeneratorTest",
                sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: "Model" + i + ".cs")),
                Basic.Reference.Assemblies.Net100.References.All.Concat(references),
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable)
                    // As the SDK does: assembly-version unification notes (TorchSharp targets net8.0) are not warnings.
                    .WithSpecificDiagnosticOptions(new Dictionary<string, ReportDiagnostic> { ["CS1701"] = ReportDiagnostic.Suppress, ["CS1702"] = ReportDiagnostic.Suppress }));

        /// <summary>References to the assemblies that contain the given types (e.g. the Dsl runtime and TorchSharp).</summary>
        public static IReadOnlyList<MetadataReference> ReferencesOf(params Type[] types) =>
            types.Select(t => t.Assembly.Location).Distinct().Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToList();

        /// <summary>Runs <paramref name="generator"/> once with step tracking.</summary>
        public static GeneratorRun Run(IIncrementalGenerator generator, CSharpCompilation compilation) => Run(compilation, generator);

        /// <summary>Runs several generators together over one compilation (as a build does).</summary>
        public static GeneratorRun Run(CSharpCompilation compilation, params IIncrementalGenerator[] generators)
        {
            GeneratorDriver driver = CSharpGeneratorDriver.Create(generators.Select(g => g.AsSourceGenerator()).ToArray(),
                parseOptions: ParseOptions,
                driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
            return Rerun(driver, compilation);
        }

        /// <summary>Runs an existing driver again (for caching tests).</summary>
        public static GeneratorRun Rerun(GeneratorDriver driver, CSharpCompilation compilation)
        {
            driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
            var result = driver.GetRunResult();
            var sources = result.Results.SelectMany(r => r.GeneratedSources).ToDictionary(s => s.HintName, s => s.SourceText.ToString());
            var compileDiagnostics = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToImmutableArray();
            return new GeneratorRun(generatorDiagnostics, compileDiagnostics, sources, driver, compilation, result);
        }

        /// <summary>
        /// Runs twice, the second time on <paramref name="edited"/>; every output of the named tracked steps must be
        /// Cached or Unchanged on the second run, and no step output may hold Roslyn objects.
        /// </summary>
        public static void AssertIncrementalCaching(IIncrementalGenerator generator, CSharpCompilation original, CSharpCompilation edited, params string[] trackingNames)
        {
            var first = Run(generator, original);
            AssertNoRoslynObjectsInOutputs(first.Result, trackingNames);
            var second = Rerun(first.Driver, edited);
            var steps = second.Result.Results.Single().TrackedSteps;
            foreach (var name in trackingNames)
            {
                Assert.True(steps.ContainsKey(name), "no tracked step named " + name + "; steps: " + string.Join(", ", steps.Keys));
                foreach (var step in steps[name])
                    foreach (var (_, reason) in step.Outputs)
                        Assert.True(reason == IncrementalStepRunReason.Cached || reason == IncrementalStepRunReason.Unchanged,
                            $"step {name} output was {reason} after an edit that should not regenerate it");
            }
        }

        /// <summary>Fails when any output of the named steps references an ISymbol, SyntaxNode, SyntaxTree or Compilation.</summary>
        public static void AssertNoRoslynObjectsInOutputs(GeneratorDriverRunResult result, params string[] trackingNames)
        {
            var steps = result.Results.Single().TrackedSteps;
            foreach (var name in trackingNames)
                foreach (var step in steps[name])
                    foreach (var (value, _) in step.Outputs)
                        Walk(value, new HashSet<object>(ReferenceEqualityComparer.Instance), name);
        }

        private static void Walk(object? node, HashSet<object> seen, string path)
        {
            if (node == null || node is string || node.GetType().IsPrimitive || node is Enum || node is decimal) return;
            if (!node.GetType().IsValueType && !seen.Add(node)) return;
            Assert.False(node is ISymbol || node is SyntaxNode || node is SyntaxTree || node is Compilation || node is SemanticModel,
                $"pipeline output holds a Roslyn object ({node.GetType().Name}) at {path}");
            if (node is DiagnosticDescriptor || node is Microsoft.CodeAnalysis.Text.TextSpan || node is Microsoft.CodeAnalysis.Text.LinePositionSpan) return;
            if (node is IEnumerable items)
            {
                int i = 0;
                foreach (var item in items) Walk(item, seen, path + "[" + i++ + "]");
                return;
            }
            foreach (var field in node.GetType().GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
                Walk(field.GetValue(node), seen, path + "." + field.Name);
        }
    }
}
