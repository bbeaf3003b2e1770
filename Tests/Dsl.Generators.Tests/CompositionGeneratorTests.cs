using System;
using System.IO;
using System.Linq;
using Dsl.Testing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Dsl.Generators.Tests
{
    /// <summary>
    /// Composition: a model holding other [EnergyModel] classes as parts gets their energies inlined (parameters read as
    /// "Part.Name", numeric members through the part, helpers and arguments substituted); DSL0050–DSL0052 with their spans
    /// for parts that cannot be used.
    /// </summary>
    public class CompositionGeneratorTests
    {
        private const string Usings = "using Dsl; using static Dsl.Math;\nnamespace Test {\n";

        private const string Gaussian =
            "[EnergyModel] public partial class G { [Param(\"D\")] public Vec Mu; [Param(Init = 1.0)] public Scalar S; [Energy] internal Scalar E(Vec x) => Norm2(x - Mu) / (2 * S * S); }\n";

        private static GeneratorRun Run(string source, params MetadataReference[] extra)
        {
            var compilation = GeneratorHarness.Compile(new[] { Usings + source + "\n}" }, GeneratorFixture.References.Concat(extra));
            return GeneratorHarness.Run(compilation, new EnergyModelGenerator(), new SdeGenerator(), new FlowGenerator(), new DivergenceGenerator());
        }

        private static void AssertDiagnostic(string id, string markedSource, string messageFragment, params MetadataReference[] extra)
        {
            var source = Usings + markedSource + "\n}";
            int start = source.IndexOf("[|", StringComparison.Ordinal);
            int end = source.IndexOf("|]", StringComparison.Ordinal) - 2;
            var clean = markedSource.Replace("[|", "").Replace("|]", "");
            var run = Run(clean, extra);
            var found = run.Dsl().Where(d => d.Id == id).ToList();
            Assert.True(found.Count > 0, $"expected {id}; got: {string.Join(" | ", run.Dsl().Select(d => d.ToString()))}");
            Assert.Equal(new TextSpan(start, end - start), found[0].Location.SourceSpan);
            Assert.Contains(messageFragment, found[0].GetMessage(), StringComparison.Ordinal);
            Assert.DoesNotContain(run.Dsl(), d => d.Id == "DSL9999");
        }

        [Fact]
        public void A_parts_energy_is_inlined_with_its_parameters_hyperparameters_helpers_and_argument()
        {
            var run = Run(Gaussian +
                "[EnergyModel] public partial class T { [Param(\"K,D\")] public Mat W; public double Nu { get; init; } = 3; Scalar Rho(Scalar r) => Log(1 + r / Nu); [Energy] internal Scalar E(Vec x) => Rho(Norm2(W * x)); }\n" +
                "[EnergyModel] public partial class P { [Param(Init = 2.0)] public Scalar Beta; public readonly G Prior; public T Tail { get; } [Energy] Scalar E(Vec x) => Beta * Prior.E(x) + this.Tail.E(2 * x); }");
            Assert.DoesNotContain(run.Dsl(), d => d.Severity == DiagnosticSeverity.Error);
            Assert.Empty(run.CompilationDiagnostics);
            var source = run.Sources["Test.P.Dsl.g.cs"];
            // Sizes: the part's x dimension is the model's; its other dimensions are named Part_Dim.
            Assert.Contains("public P(int D, int Tail_K, global::TorchSharp.torch.Generator? generator = null)", source);
            Assert.Contains("Prior = RegisterPart(\"Prior\", new global::Test.G(D, generator));", source);
            Assert.Contains("Tail = RegisterPart(\"Tail\", new global::Test.T(D, Tail_K, generator));", source);
            Assert.Contains("RegisterParam(\"Beta\"", source);
            Assert.DoesNotContain("RegisterParam(\"Prior.Mu\"", source);
            Assert.Contains("Prior.Mu = new global::Dsl.Vec(Param(\"Prior.Mu\"));", source);
            Assert.Contains("var p_Tail_W = Param(\"Tail.W\");", source);
            Assert.Contains("(double)this.Tail.Nu", source);
            Assert.Contains("// with the part Tail (T) inlined: Tail.E(x) = Rho(Norm2(W * x))", source);
            Assert.Contains("\"Tail.W: Mat[Tail_K,D]\"", source);
        }

        [Fact]
        public void Editing_a_parts_equation_regenerates_the_model_holding_it()
        {
            const string holder = "[EnergyModel] public partial class P { public readonly G Prior; [Energy] Scalar E(Vec x) => Prior.E(x); }";
            var original = GeneratorHarness.Compile(new[] { Usings + Gaussian + "\n}", Usings + holder + "\n}" }, GeneratorFixture.References);
            var first = GeneratorHarness.Run(new EnergyModelGenerator(), original);
            Assert.DoesNotContain(".tanh()", first.Sources["Test.P.Dsl.g.cs"]);
            var edited = GeneratorHarness.Compile(new[] { Usings + Gaussian.Replace("Norm2(x - Mu)", "Sum(Tanh(x - Mu))") + "\n}", Usings + holder + "\n}" }, GeneratorFixture.References);
            var second = GeneratorHarness.Rerun(first.Driver, edited);
            Assert.Contains(".tanh()", second.Sources["Test.P.Dsl.g.cs"]);
        }

        [Fact]
        public void DSL0050_a_part_whose_model_has_no_source()
        {
            // The part's class is compiled into another assembly: its equation cannot be read.
            var library = GeneratorHarness.Compile(new[] { Usings + Gaussian + "\n}" }, GeneratorFixture.References).WithAssemblyName("PartLibrary");
            using var image = new MemoryStream();
            Assert.True(library.Emit(image).Success);
            var reference = MetadataReference.CreateFromImage(image.ToArray());
            AssertDiagnostic("DSL0050",
                "[EnergyModel] public partial class P { public readonly G [|Prior|]; [Energy] Scalar E(Vec x) => Norm2(x); }",
                "whose source is not in this compilation", reference);
        }

        [Fact]
        public void DSL0051_a_part_whose_energy_is_private() => AssertDiagnostic("DSL0051",
            "[EnergyModel] public partial class G { [Param(\"D\")] public Vec Mu; [Energy] Scalar E(Vec x) => Norm2(x - Mu); }\n" +
            "[EnergyModel] public partial class P { public readonly G [|Prior|]; [Energy] Scalar E(Vec x) => Norm2(x); }",
            "declare it '[Energy] internal Scalar E(Vec x)'");

        [Fact]
        public void DSL0051_a_noise_conditional_part() => AssertDiagnostic("DSL0051",
            "[EnergyModel] public partial class N { [Energy] internal Scalar E(Vec x, [NoiseLevel] Scalar s) => Norm2(x) / s; }\n" +
            "[EnergyModel] public partial class P { public readonly N [|Part|]; [Energy] Scalar E(Vec x) => Norm2(x); }",
            "parts with a [NoiseLevel], [Hidden] units, Spins or Bits are not supported yet");

        [Fact]
        public void DSL0051_a_part_with_parts_of_its_own() => AssertDiagnostic("DSL0051",
            Gaussian +
            "[EnergyModel] public partial class Q { public readonly G Inner; [Energy] internal Scalar E(Vec x) => Inner.E(x); }\n" +
            "[EnergyModel] public partial class P { public readonly Q [|Outer|]; [Energy] Scalar E(Vec x) => Outer.E(x); }",
            "parts of parts are not supported: hold 'G' directly in 'P'");

        [Fact]
        public void DSL0051_a_part_with_a_private_parameter() => AssertDiagnostic("DSL0051",
            "[EnergyModel] public partial class G { [Param(\"D\")] Vec Mu; [Energy] internal Scalar E(Vec x) => Norm2(x - Mu); }\n" +
            "[EnergyModel] public partial class P { public readonly G [|Prior|]; [Energy] Scalar E(Vec x) => Prior.E(x); }",
            "its [Param] field 'Mu' is not accessible from 'P'");

        [Fact]
        public void DSL0052_a_part_in_a_field_that_is_not_readonly() => AssertDiagnostic("DSL0052",
            Gaussian + "[EnergyModel] public partial class P { public G [|Prior|]; [Energy] Scalar E(Vec x) => Prior.E(x); }",
            "declare it 'public readonly G Prior;'");

        [Fact]
        public void DSL0052_a_part_in_a_settable_property() => AssertDiagnostic("DSL0052",
            Gaussian + "[EnergyModel] public partial class P { public G [|Prior|] { get; set; } [Energy] Scalar E(Vec x) => Prior.E(x); }",
            "declare it 'public G Prior { get; }'");

        [Fact]
        public void DSL0052_a_part_dimension_that_clashes_with_the_models() => AssertDiagnostic("DSL0052",
            "[EnergyModel] public partial class T { [Param(\"K,D\")] public Mat W; [Energy] internal Scalar E(Vec x) => Norm2(W * x); }\n" +
            "[EnergyModel] public partial class P { [Param(\"Tail_K\")] public Vec V; public readonly T [|Tail|]; [Energy] Scalar E(Vec x) => Tail.E(x) + Sum(V); }",
            "the part's dimension is named 'Tail_K' here, which is also a dimension of 'P'");

        [Fact]
        public void Calling_another_member_of_a_part_is_DSL0004() => AssertDiagnostic("DSL0004",
            Gaussian + "[EnergyModel] public partial class P { public readonly G Prior; [Energy] Scalar E(Vec x) => [|Prior.Other(x)|]; }\n" +
            "public partial class G { internal Scalar Other(Vec x) => Norm2(x); }",
            "its parts' [Energy] methods (Part.E(x))");
    }
}
