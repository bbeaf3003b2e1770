using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Dsl.Generators.Tests
{
    /// <summary>
    /// Structured state in equations (x[i], x[a..b], Concat, Vec.Of, Mat.Of, Eye, Block, [Param("2*D")]): it generates cleanly, the
    /// constructor sets the size members, and shape and size errors are diagnostics at the user's expression naming both shapes.
    /// </summary>
    public class StructuredStateGeneratorTests
    {
        private const string Usings = "using Dsl; using static Dsl.Math;\nnamespace Test {\n";

        private static void AssertDiagnostic(string id, string markedSource, string messageFragment)
        {
            var source = Usings + markedSource + "\n}";
            int start = source.IndexOf("[|", StringComparison.Ordinal);
            int end = source.IndexOf("|]", StringComparison.Ordinal) - 2;
            var clean = source.Replace("[|", "").Replace("|]", "");
            var run = GeneratorFixture.Run(clean);
            Assert.Empty(run.CompilationDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error));
            var found = run.GeneratorDiagnostics.Where(d => d.Id == id).ToList();
            Assert.True(found.Count > 0, $"expected {id}; got: {string.Join(" | ", run.GeneratorDiagnostics.Select(d => d.ToString()))}");
            Assert.Equal(new TextSpan(start, end - start), found[0].Location.SourceSpan);
            Assert.Contains(messageFragment, found[0].GetMessage(), StringComparison.Ordinal);
            Assert.DoesNotContain(run.GeneratorDiagnostics, d => d.Id == "DSL9999");
        }

        private const string Sized = "[EnergyModel(Dim = \"S\")] public partial class M { public int S { get; init; } public int D { get; init; } public double Beta { get; init; } = 1; [Param(\"2*D\")] public Vec W; [Param(\"D\")] public Vec Mu; ";

        [Fact]
        public void Every_construct_generates_without_diagnostics_and_sets_the_sizes()
        {
            var run = GeneratorFixture.Run(Usings + Sized + @"
                [Energy] Scalar E(Vec u)
                {
                    var m = Block(Eye(D), Mat.Of(W[..D]).Transpose(), Mat.Of(W[D..]), Mat.Of(Vec.Of(1.0)));
                    return Dot(u[..(D + 1)], m * u[^(D + 1)..]) + Norm2(Concat(u[1..D], u[0], Vec.Of(Beta, 2.0)) - Concat(W[..(D - 1)], Mu[^3..]));
                }
            }
}".Replace("Mat.Of(W[..D]).Transpose()", "Transpose(Mat.Of(W[..D]))"));
            Assert.Empty(run.CompilationDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error));
            Assert.DoesNotContain(run.GeneratorDiagnostics, d => d.Severity >= DiagnosticSeverity.Warning);
            var code = run.Sources["Test.M.Dsl.g.cs"];
            Assert.Contains("public M(int S, int D, ", code);
            Assert.Contains("this.D = D;", code);
            Assert.Contains("this.S = S;", code);
            Assert.Contains("RegisterParam(\"W\", new long[] { (2L * size_D) }", code);
            Assert.Contains("global::Dsl.GeneratedCode.Structured.Selector(", code);
        }

        [Fact]
        public void A_bound_that_is_not_a_size_is_DSL0035() => AssertDiagnostic("DSL0035",
            "[EnergyModel] public partial class M { public int Split { get; init; } = 2; [Energy] Scalar E(Vec x) => Norm2(x[..[|Split|]]); }",
            "not one of the model's sizes (D)");

        [Fact]
        public void A_double_index_is_DSL0035() => AssertDiagnostic("DSL0035",
            "[EnergyModel] public partial class M { [Energy] Scalar E(Vec x) => x[0] * x[(int)[|1.5|]]; }", "is not a size");

        [Fact]
        public void Adding_a_2_vector_to_a_D_vector_is_DSL0005_with_both_shapes() => AssertDiagnostic("DSL0005",
            "[EnergyModel] public partial class M { [Param(\"D\")] public Vec Mu; [Energy] Scalar E(Vec x) => Sum([|x[..2] + Mu|]); }",
            "Vec[2] and Vec[D]");

        [Fact]
        public void Slicing_past_the_end_is_DSL0005_with_the_slice_and_the_shape() => AssertDiagnostic("DSL0005",
            Sized + "[Energy] Scalar E(Vec u) => Norm2(u[..D]) + Norm2([|W[D..(2 * D + 1)]|]); }",
            "the slice [D..2*D+1] ends 1 past the end of Vec[2*D]");

        [Fact]
        public void A_matvec_of_mismatched_sizes_is_DSL0005_with_both_shapes() => AssertDiagnostic("DSL0005",
            "[EnergyModel] public partial class M { [Energy] Scalar E(Vec x) => Norm2([|Eye(3) * x|]); }", "Mat[3,3] * Vec[D]");

        [Fact]
        public void A_product_of_sizes_in_a_param_shape_is_DSL0006() => AssertDiagnostic("DSL0006",
            "[EnergyModel] public partial class M { [Param(\"D*K\")] public Vec [|W|]; [Energy] Scalar E(Vec x) => Norm2(x); }",
            "size expressions such as \"2*D\"");
    }
}
