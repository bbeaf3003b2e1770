using System;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace Dsl.Generators.Tests
{
    /// <summary>Malformed code never crashes the generator: it yields compiler errors or DSL diagnostics, never DSL9999.</summary>
    public class RobustnessTests
    {
        public static TheoryData<string> Broken() => new TheoryData<string>
        {
            "using Dsl; [EnergyModel] public partial class M { [Energy] Scalar E(Vec x) => ",
            "using Dsl; [EnergyModel] public partial class M { [Energy] Scalar E(Vec x) => Norm2(x",
            "using Dsl; using static Dsl.Math; [EnergyModel] public partial class M { [Energy] Scalar E(Vec x) => Nope(x); }",
            "using Dsl; using static Dsl.Math; [EnergyModel] public partial class M { [Energy] Scalar E(Vec x) { return; } }",
            "using Dsl; using static Dsl.Math; [EnergyModel] public partial class M { [Energy] Scalar E(Vec x) => x[0]; }",
            "using Dsl; using static Dsl.Math; [EnergyModel] public partial class M { [Param(\"K,\")] public Vec A; [Energy] Scalar E(Vec x) => Dot(A, x); }",
            "using Dsl; using static Dsl.Math; [EnergyModel] public partial class M { [Param(\"1x\")] public Vec A; [Energy] Scalar E(Vec x) => Dot(A, x); }",
            "using Dsl; using static Dsl.Math; [EnergyModel] public partial class M { [Energy] Scalar E(Vec x) => x > 0 ? Norm2(x) : Sum(x); }",
            "using Dsl; using static Dsl.Math; [EnergyModel] public partial class M { [Energy] Scalar E(Vec x) => ((Func<Scalar>)(() => Norm2(x)))(); }",
            "using Dsl; [EnergyModel] public partial struct S { }",
            "using Dsl; [EnergyModel] partial class",
            "[Dsl.EnergyModel] public partial class M { [Dsl.Energy] Dsl.Scalar E(Dsl.Vec x) => Dsl.Math.Norm2(x) / 0; }",
            "using Dsl; using static Dsl.Math; [EnergyModel] public partial class M { [Energy] Scalar E(Vec x) => Sum(Exp(Exp(Exp(Exp(Exp(Exp(x))))))); }",
            "using Dsl; using static Dsl.Math; [Sde] public partial class S { [Drift] Vec F(Vec x, Scalar t) => ",
            "using Dsl; using static Dsl.Math; [Sde] public partial class S { [Drift] Vec F(Vec x, Scalar t) => -x; [Diffusion] Scalar G(Scalar t) => Log(t) * Log(t); }",
            "using Dsl; using static Dsl.Math; [Sde] public partial class S { [Drift] Vec F(Vec x, Scalar t) => Exp(t * t) * x; [Diffusion] Scalar G(Scalar t) => 1 + 0 * t; }",
            "using Dsl; using static Dsl.Math; [Sde] public partial class S { [Drift] Vec F(Vec x, Scalar t) => t * x; [Diffusion] Scalar G(Scalar t) => Exp(t * t); }",
            "using Dsl; using static Dsl.Math; [Sde] public partial class S { [Drift] Vec F(Vec x, Scalar t) => x / t; [Diffusion] Scalar G(Scalar t) => Pow(t, 0.5); }",
            "using Dsl; using static Dsl.Math; [Sde(EndTime = -1)] public partial class S { [Drift] Vec F(Vec x, Scalar t) => -1 * x; [Diffusion] Scalar G(Scalar t) => 1 + 0 * t; }",
            "using Dsl; using static Dsl.Math; [Sde] public partial class S { [Drift] Vec F(Vec x, Scalar t) => -1 * x; [Drift] Vec H(Vec x, Scalar t) => x; [Diffusion] Scalar G(Scalar t) => 1 + 0 * t; }",
        };

        [Theory]
        [MemberData(nameof(Broken))]
        public void Broken_models_give_diagnostics_not_exceptions(string source)
        {
            var run = GeneratorFixture.Run(source);   // a generator exception would surface as CS8785 in the diagnostics
            Assert.DoesNotContain(run.GeneratorDiagnostics, d => d.Id == "CS8785" || d.Id == "DSL9999");
        }

        [Fact]
        public void A_deeply_nested_expression_is_refused_with_a_diagnostic()
        {
            var body = string.Concat(Enumerable.Repeat("Tanh(", 400)) + "Norm2(x)" + new string(')', 400);
            var run = GeneratorFixture.Run("using Dsl; using static Dsl.Math; [EnergyModel] public partial class M { [Energy] Scalar E(Vec x) => " + body + "; }");
            Assert.Contains(run.GeneratorDiagnostics, d => d.Id == "DSL0011");
            Assert.DoesNotContain(run.GeneratorDiagnostics, d => d.Id == "CS8785" || d.Id == "DSL9999");
        }
    }
}
