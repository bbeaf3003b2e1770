using System;
using System.Linq;
using Dsl.Testing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Dsl.Generators.Tests
{
    /// <summary>
    /// Grad(f, a) in equations (parts, helpers, lambdas) and [Sde] classes with parts, size members and a structured state
    /// Dim = "2*D": what compiles, the diagnostics at their spans for what does not, and the diagnostics' places in the user's
    /// syntax tree (so that '#pragma warning disable' reaches them).
    /// </summary>
    public class GradAndSdePartsGeneratorTests
    {
        private const string Usings = "using Dsl; using static Dsl.Math;\nnamespace Test {\n";

        private const string Mixture =
            "[EnergyModel] public partial class M { [Param(\"K,D\")] public Mat Mu; [Param(Init = 1.0)] public Scalar S; [Energy] internal Scalar E(Vec x) => -LogSumExp(-RowNorm2(x - Mu) / (2 * S * S)); }\n";

        private static GeneratorRun Run(string source) => GeneratorFixture.Run(Usings + source + "\n}");

        private static void AssertDiagnostic(string id, string markedSource, string messageFragment) =>
            GeneratorFixture.AssertDiagnosticAt(id, Usings + markedSource + "\n}", messageFragment);

        [Fact]
        public void A_kinetic_Langevin_Sde_over_a_part_compiles_with_its_sizes_and_part()
        {
            var run = Run(Mixture +
                "#pragma warning disable DSL0040\n" +
                "[Sde(Dim = \"2*D\")] public partial class K { public int D { get; init; } public readonly M Target; public double Gamma { get; init; } = 1;\n" +
                "  [Drift] Vec F(Vec u, Scalar t) => Concat(u[D..], -Grad(Target.E, u[..D]) - Gamma * u[D..]);\n" +
                "  [Diffusion] Vec G(Scalar t) => Concat(Zeros(D), Sqrt(2 * Gamma) * Ones(D)); }\n" +
                "#pragma warning restore DSL0040");
            Assert.DoesNotContain(run.Dsl(), d => d.Severity == DiagnosticSeverity.Error);
            Assert.Empty(run.CompilationDiagnostics);
            var source = run.Sources.Single(s => s.Key.StartsWith("Test.K", StringComparison.Ordinal)).Value;
            Assert.Contains("public K(int D, int Target_K, global::TorchSharp.torch.Generator? generator = null)", source);
            Assert.Contains(": base(\"K\", CheckSize(\"K\", \"2*D\", (int)(2L * D)))", source);
            Assert.Contains("Target = RegisterPart(\"Target\", new global::Test.M(D, Target_K, generator), size_D);", source);
            Assert.Contains("this.D = D;", source);
            var drift = source.Substring(source.IndexOf("public global::TorchSharp.torch.Tensor Drift(", StringComparison.Ordinal));
            drift = drift.Substring(0, drift.IndexOf("MoveToOuterDisposeScope", StringComparison.Ordinal));
            Assert.Contains("SelectorTimes(x, size_D, (2L * size_D), 0L)", drift);   // u[..D] as a narrow, no matrix
            Assert.DoesNotContain("Structured.Selector(", drift);
            // DSL0040 is reported (the drift is not linear) at a place inside the user's syntax tree, where the #pragma applies.
            var warning = run.Dsl().Single(d => d.Id == "DSL0040");
            Assert.True(warning.Location.IsInSource, "DSL0040 should sit in the user's syntax tree");
            Assert.Same(run.Compilation.SyntaxTrees.First(), warning.Location.SourceTree);
        }

        [Fact]
        public void Grad_of_a_helper_a_lambda_and_a_part_lowers_without_autograd()
        {
            var run = Run(Mixture +
                "[EnergyModel] public partial class H { [Param(\"D\")] public Vec B; public readonly M Part; Scalar U(Vec q) => Sum(Log(1 + Square(q - B)));\n" +
                "  [Energy] Scalar E(Vec x) => 0.5 * Norm2(Grad(U, x)) + Dot(Grad(q => Sum(Exp(-Square(q))), x), B) + 0.5 * Norm2(Grad(Part.E, x)); }");
            Assert.DoesNotContain(run.Dsl(), d => d.Severity >= DiagnosticSeverity.Warning);
            Assert.Empty(run.CompilationDiagnostics);
            var source = run.Sources["Test.H.Dsl.g.cs"];
            // The generated score is reverse-mode IR like any other: no call into torch's autograd (only the eager reference uses it).
            Assert.DoesNotContain("autograd.grad", source, StringComparison.Ordinal);
            Assert.DoesNotContain("Autograd.", source, StringComparison.Ordinal);
        }

        [Fact]
        public void Grad_of_something_that_is_not_a_part_helper_or_lambda_is_DSL0004()
        {
            AssertDiagnostic("DSL0004",
                "public static class Ext { public static Scalar Far(Vec q) => Sum(q); }\n" +
                "[EnergyModel] public partial class A { [Energy] Scalar E(Vec x) => Norm2(Grad([|Ext.Far|], x)); }",
                "Grad differentiates a part's energy (Grad(Part.E, q)), a helper method of the model (Grad(U, q)) or a lambda");
        }

        [Fact]
        public void Grad_of_a_lambda_with_a_block_body_is_DSL0004()
        {
            AssertDiagnostic("DSL0004",
                "[EnergyModel] public partial class A { [Energy] Scalar E(Vec x) => Norm2(Grad([|q => { return Sum(q); }|], x)); }",
                "give Grad a lambda with an expression body");
        }

        [Fact]
        public void Grad_of_a_non_differentiable_function_is_DSL0008()
        {
            AssertDiagnostic("DSL0008",
                "[EnergyModel] public partial class A { [Energy] Scalar E(Vec x) => Norm2([|Grad(q => Sum(Abs(q)), x)|]); }",
                "Abs");
        }

        [Fact]
        public void A_part_over_the_wrong_block_is_a_shape_error_naming_both_shapes()
        {
            // The part M is over the position block (dimension D); given the whole state u (2·D) its x − Mu does not fit: DSL0005
            // at that subtraction in the part's equation, naming both shapes.
            AssertDiagnostic("DSL0005",
                Mixture.Replace("RowNorm2(x - Mu)", "RowNorm2([|x - Mu|])") + "[Sde(Dim = \"2*D\")] public partial class K { public int D { get; init; } public readonly M Target;\n" +
                "  [Drift] Vec F(Vec u, Scalar t) => -Grad(Target.E, u);\n" +
                "  [Diffusion] Scalar G(Scalar t) => 1.0 + 0 * t; }",
                "Vec[2*D]");
        }

        [Fact]
        public void An_Sde_dimension_that_is_not_a_size_is_DSL0013()
        {
            AssertDiagnostic("DSL0013",
                "[Sde(Dim = \"D*D\")] public partial class [|K|] { [Drift] Vec F(Vec x, Scalar t) => -x; [Diffusion] Scalar G(Scalar t) => 1.0 + 0 * t; }",
                "has Dim = \"D*D\", which is neither a dimension name");
        }

        [Fact]
        public void A_slice_bound_in_an_Sde_that_is_not_a_size_is_DSL0035()
        {
            AssertDiagnostic("DSL0035",
                "[Sde(Dim = \"2*D\")] public partial class K { public int D { get; init; } public int H { get; init; } = 1;\n" +
                "  [Drift] Vec F(Vec u, Scalar t) => Concat(u[[|H|]..], u[..D]);\n" +
                "  [Diffusion] Scalar G(Scalar t) => 1.0 + 0 * t; }",
                "not one of the model's sizes (D)");
        }
    }
}
