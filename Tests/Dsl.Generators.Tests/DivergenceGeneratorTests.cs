using System;
using System.Linq;
using Dsl.Testing;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace Dsl.Generators.Tests
{
    /// <summary>The [KlDivergence] generator: snapshots, the derivation it states, DSL0022 with its spans, caching.</summary>
    public class DivergenceGeneratorTests
    {
        public static TheoryData<string> DivergenceNames() => new TheoryData<string> { "GaussianEncoderKl", "GaussianPairKl" };

        [Theory]
        [MemberData(nameof(DivergenceNames))]
        public void Generated_divergence_code_matches_the_verified_snapshot(string name)
        {
            var run = GeneratorFixture.Run(GeneratorFixture.ModelSources().ToArray());
            var hint = "Dsl.Models." + name + ".Kl.g.cs";
            Assert.True(run.Sources.ContainsKey(hint), "not generated: " + hint + "; got " + string.Join(", ", run.Sources.Keys));
            Snapshot.Match(run.Sources[hint], name);
        }

        [Fact]
        public void The_generated_KL_states_the_derived_mean_variance_and_rule()
        {
            var run = GeneratorFixture.Run(GeneratorFixture.ModelSources().ToArray());
            var text = run.Sources["Dsl.Models.GaussianEncoderKl.Kl.g.cs"];
            Assert.Contains("f(m) + ½ Σᵢ ∂²f/∂zᵢ² · vᵢ", text, StringComparison.Ordinal);
            Assert.Contains("public global::TorchSharp.torch.Tensor Kl(global::TorchSharp.torch.Tensor mu, global::TorchSharp.torch.Tensor logVar)", text, StringComparison.Ordinal);
            Assert.Contains("public global::TorchSharp.torch.Tensor Reparameterise(global::TorchSharp.torch.Tensor epsilon, global::TorchSharp.torch.Tensor mu, global::TorchSharp.torch.Tensor logVar)", text, StringComparison.Ordinal);
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

        private const string Prior = "[LogP] Scalar P(Vec z) => -0.5 * Sum(Square(z));";

        [Fact]
        public void DSL0022_a_heavy_tailed_q_is_not_Gaussian() => AssertDiagnostic("DSL0022",
            "[KlDivergence] public partial class K { [LogQ] Scalar Q(Vec z, Vec mu) => [|-Sum(Log(1 + Square(z - mu)))|]; " + Prior + " }", "not a polynomial in z");

        [Fact]
        public void DSL0022_a_q_with_coupled_coordinates_has_no_diagonal_covariance() => AssertDiagnostic("DSL0022",
            "[KlDivergence] public partial class K { [LogQ] Scalar Q(Vec z, Vec mu) => [|-0.5 * Sum(Square(z - mu)) - 0.5 * Square(Sum(z - mu))|]; " + Prior + " }", "Hessian is not diagonal");

        [Fact]
        public void DSL0022_a_Laplace_prior_has_no_closed_form_by_this_rule() => AssertDiagnostic("DSL0022",
            "[KlDivergence] public partial class K { [LogQ] Scalar Q(Vec z, Vec mu) => -0.5 * Sum(Square(z - mu)); [LogP] Scalar P(Vec z) => [|-Sum(Abs(z))|]; }", "log q − log p is not a polynomial");

        [Fact]
        public void DSL0022_without_a_prior() => AssertDiagnostic("DSL0022",
            "[KlDivergence] public partial class [|K|] { [LogQ] Scalar Q(Vec z, Vec mu) => -0.5 * Sum(Square(z - mu)); }", "has no [LogP] methods");

        [Fact]
        public void DSL0022_a_log_density_with_the_wrong_signature() => AssertDiagnostic("DSL0022",
            "[KlDivergence] public partial class K { [LogQ] Vec [|Q|](Vec z, Vec mu) => z - mu; " + Prior + " }", "a log-density returns Scalar");

        [Fact]
        public void A_prior_with_a_learned_full_precision_matrix_is_accepted_and_compiles()
        {
            // The off-diagonal Hessian of log p vanishes in expectation under a diagonal q: only its diagonal enters the KL.
            var run = GeneratorFixture.Run(Usings + @"
[KlDivergence] public partial class FullPrior
{
    [Param(""D,D"")] public Mat P;
    [LogQ] Scalar Q(Vec z, Vec mu, Vec logVar) => -0.5 * Sum(Square(z - mu) / Exp(logVar) + logVar);
    [LogP] Scalar LogP(Vec z) => -0.5 * Dot(z, P * z);
}
}");
            Assert.Empty(run.Dsl());
            Assert.Empty(run.CompilationDiagnostics);
            Assert.Contains("Test.FullPrior.Kl.g.cs", run.Sources.Keys);
        }

        [Fact]
        public void An_unrelated_edit_regenerates_no_divergence()
        {
            var original = GeneratorHarness.Compile(GeneratorFixture.ModelSources(), GeneratorFixture.References);
            var edited = original.AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace Elsewhere { public static class Unrelated { public static int Answer => 42; } }", GeneratorHarness.ParseOptions, path: "Unrelated.cs"));
            GeneratorHarness.AssertIncrementalCaching(new DivergenceGenerator(), original, edited, DivergenceGenerator.ParseStep, DivergenceGenerator.EmitStep);
        }
    }
}
