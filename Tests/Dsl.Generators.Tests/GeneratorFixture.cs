using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using Dsl.Generators;
using Dsl.Testing;
using Microsoft.CodeAnalysis;

namespace Dsl.Generators.Tests
{
    /// <summary>Shared helpers: the real model sources from Models/, and a run of the Dsl generator over source text.</summary>
    public static class GeneratorFixture
    {
        public static readonly IReadOnlyList<MetadataReference> References =
            GeneratorHarness.ReferencesOf(typeof(Dsl.EnergyModelAttribute), typeof(TorchSharp.torch));

        public static string RepoRoot([CallerFilePath] string file = "") =>
            Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, "..", ".."));

        /// <summary>The model source files of Models/ (not the catalog, which needs the generated code to compile first).</summary>
        public static IReadOnlyList<string> ModelSources() =>
            Directory.GetFiles(Path.Combine(RepoRoot(), "Models"), "*.cs").Select(Path.GetFileName).Where(f => f != "ModelCatalog.cs").OrderBy(f => f, StringComparer.Ordinal).Select(f => f!).Select(f => File.ReadAllText(Path.Combine(RepoRoot(), "Models", f))).ToList();

        public static GeneratorRun Run(params string[] sources) =>
            GeneratorHarness.Run(GeneratorHarness.Compile(sources, References), new EnergyModelGenerator(), new SdeGenerator(), new FlowGenerator(), new DivergenceGenerator());

        /// <summary>
        /// Runs the generators over <paramref name="markedSource"/> (the span between "[|" and "|]" marked) and asserts a diagnostic
        /// <paramref name="id"/> exactly at that span whose message contains <paramref name="messageFragment"/>, and no DSL9999.
        /// </summary>
        public static void AssertDiagnosticAt(string id, string markedSource, string messageFragment)
        {
            int start = markedSource.IndexOf("[|", StringComparison.Ordinal);
            int end = markedSource.IndexOf("|]", StringComparison.Ordinal) - 2;
            Assert.True(start >= 0 && end >= start, "test source needs a [| |] marker");
            var run = Run(markedSource.Replace("[|", "").Replace("|]", ""));
            var found = run.Dsl().Where(d => d.Id == id).ToList();
            Assert.True(found.Count > 0, $"expected {id}; got: {string.Join(" | ", run.Dsl().Select(d => d.ToString()))}");
            Assert.Equal(new Microsoft.CodeAnalysis.Text.TextSpan(start, end - start), found[0].Location.SourceSpan);
            Assert.Contains(messageFragment, found[0].GetMessage(), StringComparison.Ordinal);
            Assert.DoesNotContain(run.Dsl(), d => d.Id == "DSL9999");
        }

        public static IEnumerable<Diagnostic> Dsl(this GeneratorRun run) =>
            run.GeneratorDiagnostics.Where(d => d.Id.StartsWith("DSL", StringComparison.Ordinal));
    }
}
