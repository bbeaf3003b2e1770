using System.Linq;
using Dsl.Testing;
using Microsoft.CodeAnalysis.CSharp;

namespace Dsl.Generators.Tests
{
    public class CachingTests
    {
        [Fact]
        public void An_unrelated_edit_regenerates_nothing()
        {
            var original = GeneratorHarness.Compile(GeneratorFixture.ModelSources(), GeneratorFixture.References);
            var edited = original.AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace Elsewhere { public static class Unrelated { public static int Answer => 42; } }", GeneratorHarness.ParseOptions, path: "Unrelated.cs"));
            GeneratorHarness.AssertIncrementalCaching(new EnergyModelGenerator(), original, edited, EnergyModelGenerator.ParseStep, EnergyModelGenerator.EmitStep);
        }

        [Fact]
        public void An_unrelated_edit_regenerates_no_SDE()
        {
            var original = GeneratorHarness.Compile(GeneratorFixture.ModelSources(), GeneratorFixture.References);
            var edited = original.AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace Elsewhere { public static class Unrelated { public static int Answer => 42; } }", GeneratorHarness.ParseOptions, path: "Unrelated.cs"));
            GeneratorHarness.AssertIncrementalCaching(new SdeGenerator(), original, edited, SdeGenerator.ParseStep, SdeGenerator.EmitStep);
        }

        [Fact]
        public void Editing_a_model_regenerates_it()
        {
            var sources = GeneratorFixture.ModelSources().ToList();
            var original = GeneratorHarness.Compile(sources, GeneratorFixture.References);
            var first = GeneratorHarness.Run(new EnergyModelGenerator(), original);
            int mixtures = sources.FindIndex(text => text.Contains("Dot(W2, Tanh(W1 * x + B1))"));
            var changed = sources[mixtures].Replace("Dot(W2, Tanh(W1 * x + B1))", "Dot(W2, Sigmoid(W1 * x + B1))");
            Assert.NotEqual(sources[mixtures], changed);
            var edited = GeneratorHarness.Compile(sources.Select((text, i) => i == mixtures ? changed : text).ToArray(), GeneratorFixture.References);
            var second = GeneratorHarness.Rerun(first.Driver, edited);
            Assert.Contains(".sigmoid()", second.Sources["Dsl.Models.MlpEnergy.Dsl.g.cs"]);
            Assert.NotEqual(first.Sources["Dsl.Models.MlpEnergy.Dsl.g.cs"], second.Sources["Dsl.Models.MlpEnergy.Dsl.g.cs"]);
        }

        [Fact]
        public void Editing_a_models_comment_regenerates_nothing()
        {
            // A comment edit moves every later token, so the parsed spec (which keeps source locations for
            // diagnostics) is re-parsed; what must not change is the generated text: the emit step's outputs are
            // Cached or Unchanged, so Roslyn adds no source again.
            var sources = GeneratorFixture.ModelSources().ToList();
            int mixtures = sources.FindIndex(text => text.Contains("Proves the calculus handles"));
            var changed = sources[mixtures].Replace("Proves the calculus handles", "Shows that the symbolic calculus copes with");
            Assert.NotEqual(sources[mixtures], changed);
            var original = GeneratorHarness.Compile(sources, GeneratorFixture.References);
            var edited = GeneratorHarness.Compile(sources.Select((text, i) => i == mixtures ? changed : text).ToArray(), GeneratorFixture.References);
            GeneratorHarness.AssertIncrementalCaching(new EnergyModelGenerator(), original, edited, EnergyModelGenerator.EmitStep);
        }
    }
}
