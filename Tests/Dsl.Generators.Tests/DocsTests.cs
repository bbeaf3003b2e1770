using System;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;

namespace Dsl.Generators.Tests
{
    /// <summary>The model code shown in docs/writing-a-model.md generates and compiles as printed.</summary>
    public class DocsTests
    {
        [Fact]
        public void The_tutorial_model_generates_and_compiles()
        {
            var page = File.ReadAllText(Path.Combine(GeneratorFixture.RepoRoot(), "docs", "writing-a-model.md"));
            var blocks = Regex.Matches(page, "```csharp\n(// doc-model.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToList();
            Assert.Single(blocks);
            var run = GeneratorFixture.Run(blocks[0]);
            Assert.DoesNotContain(run.Dsl(), d => d.Severity == DiagnosticSeverity.Error);
            Assert.Contains("DoubleWell.TiltedDoubleWell.Dsl.g.cs", run.Sources.Keys);
            Assert.Empty(run.CompilationDiagnostics);
        }
    }
}
