using System.Linq;
using Microsoft.CodeAnalysis;

namespace Dsl.Generators.Tests
{
    /// <summary>
    /// Dsl.Math functions of numbers (Log(2.0), Sqrt(2 * Beta)) in equations: they compile, alone or beside
    /// `using static System.Math;` (no CS0121), and the generator reads them as host values in energies and SDEs.
    /// </summary>
    public class HostFunctionGeneratorTests
    {
        private static void AssertCleanRun(string source, params string[] hints)
        {
            var run = GeneratorFixture.Run(source);
            Assert.Empty(run.CompilationDiagnostics);
            Assert.DoesNotContain(run.GeneratorDiagnostics, d => d.Severity >= DiagnosticSeverity.Warning);
            foreach (var hint in hints) Assert.True(run.Sources.ContainsKey(hint), "not generated: " + hint + "; got " + string.Join(", ", run.Sources.Keys));
        }

        private const string Energy = @"
namespace Test {
    [EnergyModel] public partial class M {
        public double Beta { get; init; } = 2.0;
        public double Tau { get; init; } = 0.5;
        [Param(""D"")] public Vec Mu;
        [Energy] Scalar E(Vec x) => 0.25 * Norm2(Sqrt(2 * Beta) * (x - Mu)) + Log(2.0) * Softplus(Tau) * Sum(x) + Sqrt(2) * Log1p(Beta) * Sum(Mu);
    }
}";

        private const string Sde = @"
namespace Test {
    [Sde] public partial class S {
        public double Theta { get; init; } = 1.5;
        [Drift] Vec F(Vec x, Scalar t) => -0.5 * Square(Sqrt(2 * Theta)) * x;
        [Diffusion] Scalar G(Scalar t) => Sqrt(2 * Theta) * Exp(-Log(2.0) * t);
    }
}";

        [Fact]
        public void Number_functions_compile_with_Dsl_Math_alone() =>
            AssertCleanRun("using Dsl; using static Dsl.Math;\n" + Energy, "Test.M.Dsl.g.cs");

        [Fact]
        public void Number_functions_are_not_ambiguous_beside_using_static_System_Math()
        {
            // System.Math's non-generic double overloads win over Dsl.Math's generic ones for double arguments;
            // Sqrt(2) (an int) takes Dsl.Math's by the better conversion. Either way the call resolves.
            AssertCleanRun("using System; using static System.Math; using Dsl; using static Dsl.Math;\n" + Energy, "Test.M.Dsl.g.cs");
            AssertCleanRun("using System; using static System.Math; using Dsl; using static Dsl.Math;\n" + Sde, "Test.S.Sde.g.cs");
        }

        [Fact]
        public void An_sde_with_number_functions_gets_its_kernel()
        {
            var run = GeneratorFixture.Run("using Dsl; using static Dsl.Math;\n" + Sde);
            Assert.Empty(run.CompilationDiagnostics);
            Assert.DoesNotContain(run.GeneratorDiagnostics, d => d.Severity >= DiagnosticSeverity.Info && d.Id.StartsWith("DSL", System.StringComparison.Ordinal));
            var code = run.Sources["Test.S.Sde.g.cs"];
            Assert.Contains("public global::TorchSharp.torch.Tensor MeanCoefficient(", code);
            Assert.Contains("global::System.Math.Sqrt((2.0 * (double)this.Theta))", code);
        }
    }
}
