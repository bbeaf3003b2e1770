using System;
using System.Linq;
using Dsl.Testing;
using Microsoft.CodeAnalysis;

namespace Dsl.Generators.Tests
{
    /// <summary>
    /// The kinked functions and singular derivatives: DSL0008 without [Subgradient] (naming the opt-in), DSL0030 at each place a
    /// [Subgradient] model's score uses a subgradient, DSL0031 where √u or u^p (p &lt; 1) of an x-dependent u ≥ 0 can reach u = 0,
    /// and none of them where the argument is provably positive.
    /// </summary>
    public class SpecialFunctionDiagnosticTests
    {
        private const string Usings = "using Dsl; using static Dsl.Math;\nnamespace Test {\n";

        private static GeneratorRun Run(string model) => GeneratorFixture.Run(Usings + model + "\n}");

        private static string Model(string energy, string attributes = "EnergyModel") =>
            "[" + attributes + "] public partial class M { [Param(\"D\")] public Vec Mu; [Energy] Scalar E(Vec x) => " + energy + "; }";

        private static Diagnostic[] Ids(GeneratorRun run, string id) => run.Dsl().Where(d => d.Id == id).ToArray();

        [Theory]
        [InlineData("Sum(Abs(x))", "Abs")]
        [InlineData("Sum(Relu(x - Mu))", "Relu")]
        public void Kinked_functions_are_refused_without_the_opt_in_and_the_message_names_it(string energy, string op)
        {
            var run = Run(Model(energy));
            var d = Assert.Single(Ids(run, "DSL0008"));
            Assert.Contains("'" + op + "'", d.GetMessage(), StringComparison.Ordinal);
            Assert.Contains("[Subgradient]", d.GetMessage(), StringComparison.Ordinal);
            Assert.Empty(Ids(run, "DSL0030"));
        }

        [Fact]
        public void With_the_opt_in_each_kink_is_reported_with_its_value_at_zero_and_the_model_compiles()
        {
            var source = Usings + Model("Sum(Abs(x - Mu)) + Sum(Relu(x))", "EnergyModel, Subgradient") + "\n}";
            var run = GeneratorFixture.Run(source);
            Assert.Empty(Ids(run, "DSL0008"));
            var infos = Ids(run, "DSL0030");
            Assert.Equal(2, infos.Length);
            Assert.All(infos, d => Assert.Equal(DiagnosticSeverity.Info, d.Severity));
            var abs = Assert.Single(infos, d => d.GetMessage().Contains("'Abs'", StringComparison.Ordinal));
            Assert.Contains("sign(u) (0 at the kink u = 0)", abs.GetMessage(), StringComparison.Ordinal);
            Assert.Equal("Abs(x - Mu)", source.Substring(abs.Location.SourceSpan.Start, abs.Location.SourceSpan.Length));
            var relu = Assert.Single(infos, d => d.GetMessage().Contains("'Relu'", StringComparison.Ordinal));
            Assert.Contains("0 at the kink u = 0", relu.GetMessage(), StringComparison.Ordinal);
            Assert.Equal("Relu(x)", source.Substring(relu.Location.SourceSpan.Start, relu.Location.SourceSpan.Length));
            Assert.DoesNotContain(run.CompilationDiagnostics, d => d.Severity == DiagnosticSeverity.Error);
        }

        [Fact]
        public void Sign_stays_refused_with_the_opt_in()
        {
            var run = Run(Model("Sum(Sign(x) * x)", "EnergyModel, Subgradient"));
            Assert.Contains("'Sign'", Assert.Single(Ids(run, "DSL0008")).GetMessage(), StringComparison.Ordinal);
        }

        [Theory]
        [InlineData("Sum(Sqrt(Square(x)))", "Sqrt(Square(x))")]
        [InlineData("Sqrt(Norm2(x - Mu))", "Sqrt(Norm2(x - Mu))")]
        [InlineData("Sum(Pow(Square(x), 0.25))", "Pow(Square(x), 0.25)")]
        [InlineData("Sum(Mu * Sqrt(Square(x) * Square(x - Mu)))", "Sqrt(Square(x) * Square(x - Mu))")]
        public void A_singular_derivative_is_warned_at_its_place_with_the_fix(string energy, string marked)
        {
            var source = Usings + Model(energy) + "\n}";
            var run = GeneratorFixture.Run(source);
            var d = Assert.Single(Ids(run, "DSL0031"));
            Assert.Equal(DiagnosticSeverity.Warning, d.Severity);
            Assert.Equal(marked, source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length));
            Assert.Contains("+ eps", d.GetMessage(), StringComparison.Ordinal);
        }

        [Theory]
        [InlineData("Sum(Sqrt(Square(x) + 1e-6))")]
        [InlineData("Sum(Sqrt(Exp(x)))")]
        [InlineData("Sum(Sqrt(Softplus(x - Mu)))")]
        [InlineData("Sqrt(Norm2(x - Mu) + 1)")]
        [InlineData("Sum(Pow(Square(x) + 0.5, 0.5))")]
        [InlineData("Sum(Pow(Square(x), 1.5))")]
        [InlineData("Sum(Sqrt(Square(Mu)) * x)")]
        public void A_provably_positive_argument_or_a_smooth_power_is_not_warned(string energy)
        {
            var run = Run(Model(energy));
            Assert.Empty(Ids(run, "DSL0031"));
            Assert.DoesNotContain(run.Dsl(), d => d.Severity == DiagnosticSeverity.Error);
        }
    
        [Fact]
        public void The_special_functions_take_doubles_and_fold_them()
        {
            var run = Run("[EnergyModel] public partial class M { [Param(\"D\")] public Vec Mu; public double A = 2.5; " +
                "[Energy] Scalar E(Vec x) => Erf(0.5) * Norm2(x - Mu) + Lgamma(A) * Sum(x) + Expm1(1e-3) + LogSigmoid(-1.0) + Digamma(2.0) + Relu(-A); " +
                "[LogPartition] Scalar LogZ() => Sum(Lgamma(Mu)) + Lgamma(2.5); }");
            Assert.DoesNotContain(run.Dsl(), d => d.Severity == DiagnosticSeverity.Error);
            Assert.DoesNotContain(run.CompilationDiagnostics, d => d.Severity == DiagnosticSeverity.Error);
        }
    }
}
