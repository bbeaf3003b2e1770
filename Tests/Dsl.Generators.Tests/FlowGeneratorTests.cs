using System;
using System.Linq;
using Dsl.Testing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace Dsl.Generators.Tests
{
    /// <summary>The [Flow] generator: snapshots of the planar layers, its diagnostics with their spans, caching.</summary>
    public class FlowGeneratorTests
    {
        public static TheoryData<string> FlowNames() => new TheoryData<string> { "PlanarFlow", "InvertiblePlanarFlow", "AffineCoupling", "AffineCouplingSwapped", "LinearFlow" };

        [Theory]
        [MemberData(nameof(FlowNames))]
        public void Generated_flow_code_matches_the_verified_snapshot(string flow)
        {
            var run = GeneratorFixture.Run(GeneratorFixture.ModelSources().ToArray());
            var hint = "Dsl.Models." + flow + ".Flow.g.cs";
            Assert.True(run.Sources.ContainsKey(hint), "not generated: " + hint + "; got " + string.Join(", ", run.Sources.Keys));
            Snapshot.Match(run.Sources[hint], flow);
        }

        [Fact]
        public void The_generated_log_determinant_cites_the_lemma_and_the_derived_gradient()
        {
            var run = GeneratorFixture.Run(GeneratorFixture.ModelSources().ToArray());
            var text = run.Sources["Dsl.Models.PlanarFlow.Flow.g.cs"];
            Assert.Contains("matrix determinant lemma", text, StringComparison.Ordinal);
            Assert.Contains("//   u = U", text, StringComparison.Ordinal);
            Assert.Contains("//   ∇g(z) = (W * (1.0 - Square(Tanh(", text, StringComparison.Ordinal);
        }

        private const string Usings = "using Dsl; using static Dsl.Math;\nnamespace Test {\n";

        private static void AssertDiagnostic(string id, string markedSource, string? messageFragment = null)
        {
            var source = Usings + markedSource + "\n}";
            int start = source.IndexOf("[|", StringComparison.Ordinal);
            int end = source.IndexOf("|]", StringComparison.Ordinal) - 2;
            var clean = source.Replace("[|", "").Replace("|]", "");
            var run = GeneratorFixture.Run(clean);
            var found = run.Dsl().Where(d => d.Id == id).ToList();
            Assert.True(found.Count > 0, $"expected {id}; got: {string.Join(" | ", run.Dsl().Select(d => d.ToString()))}");
            Assert.Equal(new TextSpan(start, end - start), found[0].Location.SourceSpan);
            if (messageFragment != null) Assert.Contains(messageFragment, found[0].GetMessage(), StringComparison.Ordinal);
            Assert.DoesNotContain(run.Dsl(), d => d.Id == "DSL9999");
        }

        [Fact]
        public void The_coupling_s_log_determinant_and_inverse_are_derived_from_the_Concat()
        {
            var run = GeneratorFixture.Run(GeneratorFixture.ModelSources().ToArray());
            var text = run.Sources["Dsl.Models.AffineCoupling.Flow.g.cs"];
            Assert.Contains("recognised as the affine coupling", text, StringComparison.Ordinal);
            Assert.Contains("log|det ∂y/∂z| = Σ log|a(z_A)| = Σ s(z_A) with a = exp(s)", text, StringComparison.Ordinal);
            Assert.Contains("global::Dsl.Flows.IInvertibleFlowLayer", text, StringComparison.Ordinal);
            Assert.Contains("public global::TorchSharp.torch.Tensor Inverse(global::TorchSharp.torch.Tensor y)", text, StringComparison.Ordinal);
            // The swapped layer copies the second block.
            var swapped = run.Sources["Dsl.Models.AffineCouplingSwapped.Flow.g.cs"];
            Assert.Contains("y = Concat(y_B, z_A)", swapped, StringComparison.Ordinal);
            Assert.Contains("z_A = MatVec(Selector(K, 2*K, K), z)", swapped, StringComparison.Ordinal);
        }

        private const string CouplingMembers = "public int K { get; init; } [Param(\"K,K\")] public Mat A; [Param(\"K\")] public Vec C; Vec S(Vec a) => Tanh(MatVec(A, a)); Vec T(Vec a) => C * a;";

        [Fact]
        public void DSL0060_the_scale_reads_the_transformed_block() => AssertDiagnostic("DSL0060",
            "[Flow(Dim = \"2*K\")] public partial class F { " + CouplingMembers + " [Transform] Vec G(Vec z) => [|Concat(z[..K], z[K..] * Exp(S(z[K..])))|]; }",
            "multiplies two factors that both read the transformed block");

        [Fact]
        public void DSL0060_neither_block_is_copied() => AssertDiagnostic("DSL0060",
            "[Flow(Dim = \"2*K\")] public partial class F { " + CouplingMembers + " [Transform] Vec G(Vec z) => [|Concat(Tanh(z[..K]), z[K..] * Exp(S(z[..K])))|]; }",
            "copies neither block of z unchanged");

        [Fact]
        public void DSL0060_not_affine_in_the_transformed_block() => AssertDiagnostic("DSL0060",
            "[Flow(Dim = \"2*K\")] public partial class F { " + CouplingMembers + " [Transform] Vec G(Vec z) => [|Concat(z[..K], Tanh(z[K..]) + T(z[..K]))|]; }",
            "reads the transformed block through Tanh");

        [Fact]
        public void DSL0060_a_block_that_ignores_the_transformed_block_is_not_invertible() => AssertDiagnostic("DSL0060",
            "[Flow(Dim = \"2*K\")] public partial class F { " + CouplingMembers + " [Transform] Vec G(Vec z) => [|Concat(z[..K], T(z[..K]))|]; }",
            "does not depend on it, so the layer is not invertible");

        [Fact]
        public void DSL0020_a_flow_dimension_that_is_not_a_size() => AssertDiagnostic("DSL0020",
            "[Flow(Dim = \"K*K\")] public partial class [|F|] { public int K { get; init; } [Transform] Vec G(Vec z) => Concat(z[..K], z[K..]); }",
            "is neither a dimension name");

        [Fact]
        public void A_coupling_with_a_general_scale_and_no_shift_generates_code_that_compiles()
        {
            // a(z_A) = 1 + Square(…) is not an exp: log|det| = Σ log|a|, inverse z_B = y_B / a; no shift.
            var source = Usings + "[Flow(Dim = \"2*K\")] public partial class F { " + CouplingMembers + " [Transform] Vec G(Vec z) => Concat(z[..K], z[K..] * (1 + Square(S(z[..K])))); }\n}";
            var run = GeneratorFixture.Run(source);
            Assert.Empty(run.Dsl());
            Assert.Empty(run.CompilationDiagnostics);
            var text = run.Sources.Single(p => p.Key.EndsWith("F.Flow.g.cs", StringComparison.Ordinal)).Value;
            Assert.Contains("//   b(z_A) = 0", text, StringComparison.Ordinal);
            Assert.Contains("z_B = (y_B − b(y_A)) / a(y_A)", text, StringComparison.Ordinal);
        }

        [Fact]
        public void The_linear_layer_s_log_determinant_and_inverse_are_derived_from_A_z_plus_b()
        {
            var run = GeneratorFixture.Run(GeneratorFixture.ModelSources().ToArray());
            var text = run.Sources["Dsl.Models.LinearFlow.Flow.g.cs"];
            Assert.Contains("recognised as the linear change of variables y = A z + b", text, StringComparison.Ordinal);
            Assert.Contains("//   A = (W + Selector(D, D, 0))", text, StringComparison.Ordinal);
            Assert.Contains("global::Dsl.Flows.IInvertibleFlowLayer", text, StringComparison.Ordinal);
            Assert.Contains("ScalarOps.LogAbsDet(", text, StringComparison.Ordinal);
            Assert.Contains("ScalarOps.SolveRows(", text, StringComparison.Ordinal);
        }

        [Theory]
        [InlineData("MatVec(A, z)", "A", "0")]
        [InlineData("2.0 * (Transpose(A) * z) - C", "(2.0 * Transpose(A))", "-(C)")]
        [InlineData("A * (z - C)", "A", "MatVec(A, -(C))")]
        public void Linear_forms_without_a_shift_through_scalars_transposes_and_nested_products_compile(string transform, string matrix, string shift)
        {
            var source = Usings + "[Flow] public partial class F { [Param(\"D,D\")] public Mat A; [Param(\"D\")] public Vec C; [Transform] Vec G(Vec z) => " + transform + "; }\n}";
            var run = GeneratorFixture.Run(source);
            Assert.Empty(run.Dsl());
            Assert.Empty(run.CompilationDiagnostics);
            var text = run.Sources.Single(p => p.Key.EndsWith("F.Flow.g.cs", StringComparison.Ordinal)).Value;
            Assert.Contains("recognised as the linear change of variables", text, StringComparison.Ordinal);
            string Line(string prefix) => text.Split('\n').Single(l => l.StartsWith(prefix, StringComparison.Ordinal)).Substring(prefix.Length);
            Assert.Equal(matrix, Line("//   A = "));
            Assert.Equal(shift, Line("//   b = "));
        }

        [Fact]
        public void DSL0061_a_linear_map_by_a_matrix_that_is_not_square() => AssertDiagnostic("DSL0061",
            "[Flow] public partial class F { [Param(\"E,D\")] public Mat W; [Param(\"E\")] public Vec B; [Transform] Vec G(Vec z) => [|W * z + B|]; }",
            "needs a square A, but 'W' is Mat[E,D]");

        [Fact]
        public void DSL0021_a_translation_alone_is_still_not_a_flow_layer() => AssertDiagnostic("DSL0021",
            "[Flow] public partial class F { [Param(\"D\")] public Vec B; [Transform] Vec G(Vec z) => [|z + B|]; }",
            "a translation");

        [Fact]
        public void DSL0020_flow_without_transform() => AssertDiagnostic("DSL0020",
            "[Flow] public partial class [|F|] { [Param(\"D\")] public Vec U; }", "has no [Transform] method");

        [Fact]
        public void DSL0020_transform_with_the_wrong_signature() => AssertDiagnostic("DSL0020",
            "[Flow] public partial class F { [Param(\"D\")] public Vec U; [Transform] Scalar [|T|](Vec z) => Dot(U, z); }", "declares the transform as");

        [Fact]
        public void DSL0021_an_elementwise_nonlinearity_is_not_rank_one() => AssertDiagnostic("DSL0021",
            "[Flow] public partial class F { [Param(\"D\")] public Vec U; [Transform] Vec T(Vec z) => [|z + U * Tanh(z)|]; }", "not I plus a rank-one matrix");

        [Fact]
        public void DSL0021_a_transform_that_is_not_z_plus_a_term() => AssertDiagnostic("DSL0021",
            "[Flow] public partial class F { [Param(\"D\")] public Vec W; [Param] public Scalar B; [Transform] Vec T(Vec z) => [|W * Tanh(Dot(W, z) + B)|]; }", "is not z plus a term");

        [Fact]
        public void DSL0021_a_translation_is_not_a_flow_layer() => AssertDiagnostic("DSL0021",
            "[Flow] public partial class F { [Param(\"D\")] public Vec U; [Transform] Vec T(Vec z) => [|z + U|]; }", "does not depend on z");

        [Fact]
        public void Rank_one_updates_written_in_other_orders_are_recognised()
        {
            var run = GeneratorFixture.Run(Usings + @"
[Flow] public partial class A { [Param(""D"")] public Vec U, W; [Param] public Scalar B; [Transform] Vec T(Vec z) => z - 2 * (Sigmoid(Dot(W, z)) * U) / (1 + Square(B)); }
[Flow] public partial class C { [Param(""D"")] public Vec U, W; [Transform] Vec T(Vec z) { var r = Norm2(z - W); return z + U * Exp(-r) * Dot(U, z); } }
}");
            Assert.Empty(run.Dsl());
            Assert.Empty(run.CompilationDiagnostics);
            Assert.Contains("Test.A.Flow.g.cs", run.Sources.Keys);
            Assert.Contains("Test.C.Flow.g.cs", run.Sources.Keys);
        }

        [Fact]
        public void An_unrelated_edit_regenerates_no_flow()
        {
            var original = GeneratorHarness.Compile(GeneratorFixture.ModelSources(), GeneratorFixture.References);
            var edited = original.AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace Elsewhere { public static class Unrelated { public static int Answer => 42; } }", GeneratorHarness.ParseOptions, path: "Unrelated.cs"));
            GeneratorHarness.AssertIncrementalCaching(new FlowGenerator(), original, edited, FlowGenerator.ParseStep, FlowGenerator.EmitStep);
        }
    }
}
