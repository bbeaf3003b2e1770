using System;
using System.Linq;
using Microsoft.CodeAnalysis.Text;

namespace Dsl.Generators.Tests
{
    /// <summary>
    /// The conditioning-input diagnostics DSL0045 ([Time]), DSL0046 ([Condition]) and DSL0047 (label use): id, exact source span
    /// (marked [| |]) and the fragment of the message that names what to write instead.
    /// </summary>
    public class ConditioningDiagnosticTests
    {
        private const string Usings = "using Dsl; using static Dsl.Math;\nnamespace Test {\n";

        private static void AssertDiagnostic(string id, string markedSource, string messageFragment) =>
            GeneratorFixture.AssertDiagnosticAt(id, Usings + markedSource + "\n}", messageFragment);

        [Fact]
        public void DSL0045_two_time_inputs() => AssertDiagnostic("DSL0045",
            "[EnergyModel] public partial class M { [Energy] Scalar E(Vec x, [Time] Scalar t, [|[Time] Scalar s|]) => Norm2(x) * t * s; }",
            "has two [Time] arguments, 't' and 's'; write one '[Time] Scalar t'");

        [Fact]
        public void DSL0045_time_that_is_not_a_scalar() => AssertDiagnostic("DSL0045",
            "[EnergyModel] public partial class M { [Energy] Scalar E(Vec x, [|[Time] Vec t|]) => Norm2(x - t); }",
            "takes the time 't' as 'Dsl.Vec'; write '[Time] Scalar t'");

        [Fact]
        public void DSL0045_time_together_with_a_noise_level() => AssertDiagnostic("DSL0045",
            "[EnergyModel] public partial class M { [Energy] Scalar E(Vec x, [Time] Scalar t, [|[NoiseLevel] Scalar sigma|]) => Norm2(x) * t / sigma; }",
            "takes both a [NoiseLevel] 'sigma' and a [Time] argument; write only '[Time] Scalar t'");

        [Fact]
        public void DSL0045_time_on_the_state() => AssertDiagnostic("DSL0045",
            "[EnergyModel] public partial class M { [Energy] Scalar E([|[Time] Scalar t|], Vec x) => Norm2(x) * t; }",
            "the first argument is the state x");

        [Fact]
        public void DSL0045_time_on_discrete_units() => AssertDiagnostic("DSL0045",
            "[EnergyModel] public partial class M { [Energy] Scalar E(Spins s, [|[Time] Scalar t|]) => Sum(s) * t; }",
            "time and condition inputs are for energies over a real Vec x");

        [Fact]
        public void DSL0046_condition_of_the_wrong_type() => AssertDiagnostic("DSL0046",
            "[EnergyModel] public partial class M { [Energy] Scalar E(Vec x, [|[Condition] Scalar y|]) => Norm2(x) * y; }",
            "takes the condition 'y' as 'Dsl.Scalar'; write '[Condition] Vec y' with Dim = a size-1 symbol for a per-sample number, '[Condition] Label y' for a class, or '[Time] Scalar y' for a time");

        [Fact]
        public void DSL0046_two_conditions() => AssertDiagnostic("DSL0046",
            "[EnergyModel] public partial class M { [Energy] Scalar E(Vec x, [Condition] Vec y, [|[Condition] Vec z|]) => Norm2(x - y - z); }",
            "has two [Condition] arguments, 'y' and 'z'");

        [Fact]
        public void DSL0046_an_unmarked_extra_argument() => AssertDiagnostic("DSL0046",
            "[EnergyModel] public partial class M { [Energy] Scalar E(Vec x, [Condition] Vec y, [|Scalar z|]) => Norm2(x - y) * z; }",
            "takes 'z' that is not marked [Time] or [Condition]");

        [Fact]
        public void DSL0046_a_dimension_that_is_not_a_name() => AssertDiagnostic("DSL0046",
            "[EnergyModel] public partial class M { [Energy] Scalar E(Vec x, [|[Condition(Dim = \"2*K\")] Vec y|]) => Norm2(x - y); }",
            "write a dimension name such as [Condition(Dim = \"K\")]");

        [Fact]
        public void DSL0047_label_never_read() => AssertDiagnostic("DSL0047",
            "[EnergyModel] public partial class M { [Energy] Scalar [|E|](Vec x, [Condition] Label y) => Norm2(x); }",
            "never reads its label 'y'");

        [Fact]
        public void DSL0047_one_hot_with_a_literal_class_count() => AssertDiagnostic("DSL0047",
            "[EnergyModel] public partial class M { [Param(\"D,K\")] public Mat W; [Energy] Scalar E(Vec x, [Condition] Label y) => Norm2(x - W * [|OneHot(y, Len(x) * 0 + 3)|]); }",
            "write OneHot(y, Len(b)) with b a Vec over the classes");

        [Fact]
        public void DSL0047_label_with_two_class_counts() => AssertDiagnostic("DSL0047",
            "[EnergyModel] public partial class M { [Param(\"K\")] public Vec A; [Param(\"J\")] public Vec B; [Energy] Scalar E(Vec x, [Condition] Label y) => Norm2(x) + Pick(A, y) + [|Pick(B, y)|]; }",
            "is used with K classes and with J classes");

        [Fact]
        public void Conditioned_models_get_their_interfaces_and_no_diagnostics()
        {
            var run = GeneratorFixture.Run(Usings + @"
[EnergyModel] public partial class T { [Param(""H"")] public Vec V; [Energy] Scalar E(Vec x, [Time] Scalar t) => 0.5 * Norm2(x) * (1 + t * t) + Sum(V) * t; }
[EnergyModel] public partial class C { [Param(""D,K"")] public Mat W; [Energy] Scalar E(Vec x, [Condition] Vec y) => 0.5 * Norm2(x - W * y); }
[EnergyModel] public partial class L { [Param(""K,D"")] public Mat W; [Energy] Scalar E(Vec x, [Condition] Label y, [Time] Scalar t) => LogSumExp(W * x * t) - Pick(W * x * t, y); }
}");
            Assert.Empty(run.Dsl());
            Assert.Contains("global::Dsl.ITimeEnergyModel", run.Sources["Test.T.Dsl.g.cs"]);
            Assert.Contains("global::Dsl.IConditionalEnergyModel", run.Sources["Test.C.Dsl.g.cs"]);
            Assert.Contains("global::Dsl.ITimeConditionalEnergyModel", run.Sources["Test.L.Dsl.g.cs"]);
            // The eager reference calls the user's method in its own argument order (y before t here).
            Assert.Contains("return E(new global::Dsl.Vec(x), new global::Dsl.Label(y.reshape(y.shape[0])), new global::Dsl.Scalar(c_time))", run.Sources["Test.L.Dsl.g.cs"]);
        }
    }
}
