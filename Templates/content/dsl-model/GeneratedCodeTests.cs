using System;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using Xunit;
using Xunit.Abstractions;

namespace DslModel
{
    /// <summary>
    /// The generated code is reviewed text: the build writes it to Generated/ (EmitCompilerGeneratedFiles), and this
    /// test compares each file with Snapshots/&lt;file&gt;.verified.cs. The first run records the snapshots (commit
    /// them); a later difference fails and writes &lt;file&gt;.received.cs beside it. To accept a change on purpose,
    /// run with DSL_ACCEPT_SNAPSHOTS=1.
    /// </summary>
    public class GeneratedCodeTests
    {
        private readonly ITestOutputHelper output;
        public GeneratedCodeTests(ITestOutputHelper output) { this.output = output; }

        private static string ProjectDir([CallerFilePath] string file = "") => Path.GetDirectoryName(file)!;

        [Theory]
        [InlineData(typeof(MixtureEnergy), ".Dsl.g.cs")]
        [InlineData(typeof(NoisingSde), ".Sde.g.cs")]
        public void Generated_code_matches_the_snapshot(Type model, string suffix)
        {
            string hint = model.FullName!.Replace('+', '.') + suffix;
            var generated = Directory.Exists(Path.Combine(ProjectDir(), "Generated"))
                ? Directory.GetFiles(Path.Combine(ProjectDir(), "Generated"), hint, SearchOption.AllDirectories)
                : Array.Empty<string>();
            Assert.True(generated.Length == 1, "expected one generated " + hint + " under Generated/ (EmitCompilerGeneratedFiles); found " + generated.Length);
            string text = Normalise(File.ReadAllText(generated[0]));

            string verified = Path.Combine(ProjectDir(), "Snapshots", hint.Replace(".g.cs", ".verified.cs"));
            string received = Path.ChangeExtension(verified, null).Replace(".verified", ".received") + ".cs";
            if (!File.Exists(verified) || Environment.GetEnvironmentVariable("DSL_ACCEPT_SNAPSHOTS") == "1")
            {
                Directory.CreateDirectory(Path.GetDirectoryName(verified)!);
                File.WriteAllText(verified, text);
                output.WriteLine("recorded " + verified + ": review and commit it");
                return;
            }
            string expected = Normalise(File.ReadAllText(verified));
            if (expected == text) { File.Delete(received); return; }
            File.WriteAllText(received, text);
            var a = expected.Split('\n'); var b = text.Split('\n');
            int line = Enumerable.Range(0, Math.Min(a.Length, b.Length)).FirstOrDefault(i => a[i] != b[i], Math.Min(a.Length, b.Length));
            Assert.Fail($"{hint} differs from {verified} at line {line + 1}:\n- {(line < a.Length ? a[line] : "<end>")}\n+ {(line < b.Length ? b[line] : "<end>")}\n" +
                        $"The new text is in {received}; if the change is intended, rerun with DSL_ACCEPT_SNAPSHOTS=1.");
        }

        private static string Normalise(string s) => s.Replace("\r\n", "\n");
    }
}
