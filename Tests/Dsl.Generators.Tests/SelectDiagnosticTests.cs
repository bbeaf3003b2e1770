using System;
using System.Linq;
using Dsl.Testing;
using Microsoft.CodeAnalysis;

namespace Dsl.Generators.Tests
{
    /// <summary>
    /// Max, Min and Where (the select WhereGt): DSL0008 without [Subgradient] when the comparison reads x (naming the opt-in and the
    /// functions), DSL0030 at each place with it (the tie's branch in the message, the span of the call), nothing when the comparison
    /// reads only parameters or σ, and DSL0004 naming Where for a comparison or ?: the equations cannot take.
    /// </summary>
    public class SelectDiagnosticTests
    {
        private const string Usings = "using Dsl; using static Dsl.Math;\nnamespace Test {\n";

        private static string Model(string energy, string attributes = "EnergyModel") =>
            "[" + attributes + "] public partial class M { [Param(\"D\")] public Vec Mu; public double H = 1.0; [Energy] Scalar E(Vec x) => " + energy + "; }";

        private static Diagnostic[] Ids(GeneratorRun run, string id) => run.Dsl().Where(d => d.Id == id).ToArray();

        [Theory]
        [InlineData("Sum(Max(x, Mu))", "Max(x, Mu)")]
        [InlineData("Sum(Min(Square(x), 1.0))", "Min(Square(x), 1.0)")]
        [InlineData("Sum(Where(x > Mu, Square(x), x))", "Where(x > Mu, Square(x), x)")]
        [InlineData("Sum(Where(Mu <= x, Square(x), x))", "Where(Mu <= x, Square(x), x)")]
        public void An_x_dependent_comparison_is_refused_without_the_opt_in_at_its_call(string energy, string marked)
        {
            var source = Usings + Model(energy) + "\n}";
            var run = GeneratorFixture.Run(source);
            var d = Assert.Single(Ids(run, "DSL0008"));
            Assert.Contains("'Max/Min/Where'", d.GetMessage(), StringComparison.Ordinal);
            Assert.Contains("[Subgradient]", d.GetMessage(), StringComparison.Ordinal);
            Assert.Equal(marked, source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length));
            Assert.Empty(Ids(run, "DSL0030"));
        }

        [Fact]
        public void With_the_opt_in_each_select_is_reported_with_the_tie_rule_and_the_model_compiles()
        {
            var source = Usings + Model("Sum(Max(x, Mu)) + Sum(Where(x < 0.5, Square(x), x))", "EnergyModel, Subgradient") + "\n}";
            var run = GeneratorFixture.Run(source);
            Assert.Empty(Ids(run, "DSL0008"));
            var infos = Ids(run, "DSL0030");
            Assert.Equal(2, infos.Length);
            Assert.All(infos, d => Assert.Equal(DiagnosticSeverity.Info, d.Severity));
            Assert.All(infos, d => Assert.Contains("at a tie l = r the second branch", d.GetMessage(), StringComparison.Ordinal));
            Assert.Equal(new[] { "Max(x, Mu)", "Where(x < 0.5, Square(x), x)" },
                infos.Select(d => source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length)).OrderBy(s => s, StringComparer.Ordinal));
            Assert.DoesNotContain(run.CompilationDiagnostics, d => d.Severity == DiagnosticSeverity.Error);
        }

        [Theory]
        [InlineData("Sum(Where(Mu > 0.0, Square(x), x))")]
        [InlineData("Sum(Max(Mu, 0.5) * Square(x))")]
        [InlineData("Max(Len(x) * H, 2.0) * Sum(Square(x))")]
        public void A_comparison_free_of_x_needs_no_opt_in(string energy)
        {
            var run = GeneratorFixture.Run(Usings + Model(energy) + "\n}");
            Assert.Empty(Ids(run, "DSL0008"));
            Assert.Empty(Ids(run, "DSL0030"));
            Assert.DoesNotContain(run.CompilationDiagnostics, d => d.Severity == DiagnosticSeverity.Error);
        }

        [Theory]
        [InlineData("H > 0.5 ? Sum(x) : Sum(Square(x))", "H > 0.5 ? Sum(x) : Sum(Square(x))")]
        [InlineData("(H >= 2 ? 1.0 : 2.0) * Sum(Square(x))", "H >= 2 ? 1.0 : 2.0")]
        // (A comparison of Scalars or Vecs is a Dsl.Cond, which C# itself refuses anywhere but Where: CS0029 in a ?: or an if.)
        public void A_conditional_expression_is_refused_naming_where(string energy, string marked)
        {
            var source = Usings + Model(energy) + "\n}";
            var run = GeneratorFixture.Run(source);
            var d = Assert.Single(Ids(run, "DSL0004"));
            Assert.Contains("Where(u > v, a, b)", d.GetMessage(), StringComparison.Ordinal);
            Assert.Equal(marked, source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length));
        }

        [Fact]
        public void A_comparison_local_is_where_s_condition()
        {
            var source = Usings + "[EnergyModel] public partial class M { [Param(\"D\")] public Vec Mu; [Energy] Scalar E(Vec x) { var c = Mu > 0.0; return Sum(Where(c, Square(x), x)); } }\n}";
            var run = GeneratorFixture.Run(source);
            Assert.DoesNotContain(run.Dsl(), d => d.Severity == DiagnosticSeverity.Error);
            Assert.DoesNotContain(run.CompilationDiagnostics, d => d.Severity == DiagnosticSeverity.Error);
        }
    }
}
