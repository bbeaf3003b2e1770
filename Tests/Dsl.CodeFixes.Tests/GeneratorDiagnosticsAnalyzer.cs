using System.Collections.Immutable;
using System.Linq;
using System.Reflection;
using Dsl.Generators;
using Dsl.Generators.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Dsl.CodeFixes.Tests
{
    /// <summary>
    /// Test adapter: surfaces the generators' diagnostics (which the IDE and the build show as compiler diagnostics)
    /// as analyzer diagnostics, because the code-fix test framework computes the diagnostics to fix, on every
    /// iteration, from analyzers and the compiler only. It runs the real generators over the compilation under test.
    /// </summary>
#pragma warning disable RS1036, RS1038, RS1041 // a test-only adapter that the compiler never loads: no shipping rules apply
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class GeneratorDiagnosticsAnalyzer : DiagnosticAnalyzer
#pragma warning restore RS1036, RS1038, RS1041
    {
        // The catalogue's ids, titles and severities, with the generator's formatted message as the only argument.
        private static readonly ImmutableDictionary<string, DiagnosticDescriptor> Relayed =
            typeof(DiagnosticDescriptors).GetFields(BindingFlags.Public | BindingFlags.Static)
                .Where(f => f.FieldType == typeof(DiagnosticDescriptor)).Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
                .ToImmutableDictionary(d => d.Id, d => new DiagnosticDescriptor(d.Id, d.Title, "{0}", d.Category, d.DefaultSeverity, d.IsEnabledByDefault, helpLinkUri: d.HelpLinkUri));

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = Relayed.Values.ToImmutableArray();

        public override void Initialize(AnalysisContext context)
        {
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.EnableConcurrentExecution();
            context.RegisterCompilationStartAction(start =>
            {
                var compilation = start.Compilation;
                var generated = new System.Lazy<ImmutableArray<Diagnostic>>(() =>
                {
                    var parse = (CSharpParseOptions?)compilation.SyntaxTrees.FirstOrDefault()?.Options ?? CSharpParseOptions.Default;
                    var driver = CSharpGeneratorDriver.Create(new[] { new EnergyModelGenerator().AsSourceGenerator(), new SdeGenerator().AsSourceGenerator() }, parseOptions: parse);
                    driver.RunGeneratorsAndUpdateCompilation(compilation, out _, out var diagnostics);
                    return diagnostics;
                });
                // Reported per syntax tree (a local diagnostic, as code fixes require). The generators keep
                // value-equatable locations (path and span, no tree); map them back onto the tree with that path,
                // which is what the IDE does with a generator diagnostic's file path.
                start.RegisterSyntaxTreeAction(c =>
                {
                    foreach (var d in generated.Value.Where(d => Relayed.ContainsKey(d.Id) && d.Location.GetLineSpan().Path == c.Tree.FilePath))
                        c.ReportDiagnostic(Diagnostic.Create(Relayed[d.Id], Location.Create(c.Tree, d.Location.SourceSpan), d.GetMessage()));
                });
            });
        }
    }
}
