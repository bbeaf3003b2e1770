using System;
using System.Linq;
using Dsl.Testing;
using Microsoft.CodeAnalysis;

namespace Dsl.Generators.Tests
{
    /// <summary>
    /// LogDet, Inverse and Solve: DSL0061 at the call for a matrix that is not square (or not a Mat) and for a right-hand side of the
    /// wrong size, with what to write instead; an x-dependent matrix has a score but no exact divergence (DSL0009 names why); a square
    /// parameter matrix compiles without diagnostics.
    /// </summary>
    public class LinearAlgebraGeneratorTests
    {
        private const string Usings = "using Dsl; using static Dsl.Math;\nnamespace Test {\n";

        private static string Model(string energy) =>
            "[EnergyModel] public partial class M { [Param(\"D\")] public Vec Mu; [Param(\"D,D\")] public Mat A; [Param(\"K,D\")] public Mat W; "
            + "[Energy] Scalar E(Vec x) => " + energy + "; }";

        private static Diagnostic[] Ids(GeneratorRun run, string id) => run.Dsl().Where(d => d.Id == id).ToArray();

        [Theory]
        [InlineData("Norm2(x) + LogDet(W)", "LogDet(W)", "Mat[K,D]", "[Param(\"D,D\")]")]
        [InlineData("Dot(x, Solve(W, x))", "Solve(W, x)", "Mat[K,D]", "[Param(\"D,D\")]")]
        [InlineData("Sum(Inverse(W) * x)", "Inverse(W)", "Mat[K,D]", "[Param(\"D,D\")]")]
        [InlineData("Dot(Mu, Solve(A, x[..2]))", "Solve(A, x[..2])", "Vec[2]", "Solve(A, v) with v a Vec[D]")]
        public void A_matrix_that_is_not_square_is_DSL0061_at_the_call_with_what_to_write(string energy, string marked, string shape, string advice)
        {
            var source = Usings + Model(energy) + "\n}";
            var run = GeneratorFixture.Run(source);
            var d = Assert.Single(Ids(run, "DSL0061"));
            Assert.Equal(DiagnosticSeverity.Error, d.Severity);
            Assert.Equal(marked, source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length));
            Assert.Contains(shape, d.GetMessage(), StringComparison.Ordinal);
            Assert.Contains(advice, d.GetMessage(), StringComparison.Ordinal);
        }

        [Fact]
        public void A_square_parameter_matrix_compiles_without_diagnostics()
        {
            var run = GeneratorFixture.Run(Usings + Model("0.5 * Dot(x - Mu, Solve(A, x - Mu)) + Sum(Inverse(A) * x) + LogDet(A)") + "\n}");
            Assert.Empty(run.Dsl());
            Assert.DoesNotContain(run.CompilationDiagnostics, d => d.Severity == DiagnosticSeverity.Error);
        }

        [Fact]
        public void An_x_dependent_matrix_has_a_score_but_its_divergence_is_refused_with_the_reason()
        {
            var run = GeneratorFixture.Run(Usings + Model("Norm2(x) + LogDet(Eye(D) + A / (2.0 + Square(x)))").Replace("public partial class M {", "public partial class M { public int D { get; init; }") + "\n}");
            Assert.DoesNotContain(run.Dsl(), d => d.Severity == DiagnosticSeverity.Error);
            var info = Assert.Single(Ids(run, "DSL0009"));
            Assert.Contains("LogDet", info.GetMessage(), StringComparison.Ordinal);
            Assert.DoesNotContain(run.CompilationDiagnostics, d => d.Severity == DiagnosticSeverity.Error);
        }
    }
}
