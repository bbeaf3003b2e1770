using System.IO;
using System.Linq;
using System.Text.RegularExpressions;

namespace Dsl.Generators.Tests
{
    /// <summary>
    /// The generator's stages run Parsing → Lowering → Planning → Emit, and no stage reaches into a later one or into an earlier
    /// one's internals: Lowering reads no parser and no emitter (IsHost is the IR's HostValues), Planning no parser and no emitter
    /// (backend coverage is Planning/BackendSupport), Parsing none of the later stages, Emit no parser, no lowering and no planning decision (it reads their results). Checked on the code of each folder (comments
    /// left out) by the namespaces and the class names it mentions.
    /// </summary>
    public class StageDependencyTests
    {
        [Theory]
        [InlineData("Parsing", @"\bDsl\.Generators\.(Lowering|Planning|Emit)\b|\b\w+(Lowering|Planner|Emitter)\b|\bBackendSupport\b")]
        [InlineData("Lowering", @"\bDsl\.Generators\.(Parsing|Planning|Emit)\b|\b(Emit|Parsing|Planning)\.|\b\w+(Parser|Planner|Emitter)\b|\bEquationReader\b|\bBackendSupport\b")]
        [InlineData("Planning", @"\bDsl\.Generators\.(Parsing|Emit)\b|\b(Emit|Parsing)\.|\b\w+(Parser|Emitter)\b|\bEquationReader\b")]
        // Emit reads the lowered model and its plan (data), but calls no parser, no lowering and no planning decision.
        [InlineData("Emit", @"\bDsl\.Generators\.Parsing\b|\b\w+Parser\b|\bEquationReader\b|\bExprLowerer\b|\b\w+Lowering\.Lower\b|\bBackendSupport\b|\b\w+Planner\.Plan\b")]
        public void A_stage_does_not_reach_into_another_stage(string folder, string forbidden)
        {
            var dir = Path.Combine(GeneratorFixture.RepoRoot(), "Generators", "Dsl.Generators", folder);
            var files = Directory.GetFiles(dir, "*.cs", SearchOption.AllDirectories);
            Assert.NotEmpty(files);
            var pattern = new Regex(forbidden);
            var hits = files.SelectMany(f => File.ReadAllLines(f).Select((line, i) => (File: Path.GetFileName(f), Line: i + 1, Code: CodeOf(line))))
                .Where(l => pattern.IsMatch(l.Code))
                .Select(l => l.File + ":" + l.Line + ": " + l.Code.Trim())
                .ToList();
            Assert.True(hits.Count == 0, folder + " reaches into another stage:\n" + string.Join("\n", hits));
        }

        /// <summary>The line without its // comment (the generator's sources put no "//" inside string literals of these folders' checks).</summary>
        private static string CodeOf(string line)
        {
            var code = Regex.Replace(line, "\"(\\\\.|[^\"\\\\])*\"", "\"\"");   // string literals hold messages, not references
            int comment = code.IndexOf("//", System.StringComparison.Ordinal);
            return comment >= 0 ? code.Substring(0, comment) : code;
        }
    }
}
