using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Dsl.Generators.Tests
{
    /// <summary>Every diagnostic of the catalogue: its id, and the exact source span it points at (marked [| |]).</summary>
    public class DiagnosticTests
    {
        private const string Usings = "using Dsl; using static Dsl.Math;\nnamespace Test {\n";

        private static void AssertDiagnostic(string id, string markedSource, string? messageFragment = null)
        {
            var source = Usings + markedSource + "\n}";
            int start = source.IndexOf("[|", StringComparison.Ordinal);
            int end = source.IndexOf("|]", StringComparison.Ordinal) - 2;
            Assert.True(start >= 0 && end >= start, "test source needs a [| |] marker");
            var clean = source.Replace("[|", "").Replace("|]", "");
            var run = GeneratorFixture.Run(clean);
            var found = run.Dsl().Where(d => d.Id == id).ToList();
            Assert.True(found.Count > 0, $"expected {id}; got: {string.Join(" | ", run.Dsl().Select(d => d.ToString()))}");
            var span = found[0].Location.SourceSpan;
            Assert.Equal(new TextSpan(start, end - start), span);
            if (messageFragment != null) Assert.Contains(messageFragment, found[0].GetMessage(), StringComparison.Ordinal);
            Assert.DoesNotContain(run.Dsl(), d => d.Id == "DSL9999");
        }

        [Fact]
        public void DSL0013_sde_without_drift() => AssertDiagnostic("DSL0013",
            "[Sde] public partial class [|S|] { [Diffusion] Scalar G(Scalar t) => 1 + 0 * t; }", "has no [Drift] method");

        [Fact]
        public void DSL0013_diffusion_of_the_wrong_type() => AssertDiagnostic("DSL0013",
            "[Sde] public partial class S { [Drift] Vec F(Vec x, Scalar t) => -1 * x; [Diffusion] Scalar [|G|](Scalar t, Scalar s) => t + s; }",
            "declares the diffusion as");

        [Fact]
        public void DSL0040_a_drift_that_is_not_linear_has_no_kernel() => AssertDiagnostic("DSL0040",
            "[Sde] public partial class S { [Drift] Vec [|F|](Vec x, Scalar t) => Tanh(x); [Diffusion] Scalar G(Scalar t) => 1 + 0 * t; }",
            "the drift is not of the form a(t)·x");

        [Fact]
        public void DSL0040_a_general_sde_with_a_nonlinear_drift_has_no_kernel() => AssertDiagnostic("DSL0040",
            "[Sde] public partial class S { [Param(\"D\", Init = 1.0)] public Vec Sigma; [Drift] Vec [|F|](Vec x, Scalar t) => Tanh(x); [Diffusion] Vec G(Scalar t) => Sigma; }",
            "the drift is not linear in x");

        [Fact]
        public void DSL0040_a_diffusion_that_depends_on_x_has_no_kernel() => AssertDiagnostic("DSL0040",
            "[Sde] public partial class S { [Drift] Vec F(Vec x, Scalar t) => -1 * x; [Diffusion] Scalar [|G|](Vec x, Scalar t) => Norm2(x); }",
            "the diffusion G(x, t) depends on x");

        [Fact]
        public void DSL0015_a_time_dependent_drift_matrix_is_tabulated() => AssertDiagnostic("DSL0015",
            "[Sde] public partial class S { [Param(\"D,D\")] public Mat A; [Drift] Vec [|F|](Vec x, Scalar t) => (1 + t) * MatVec(A, x); [Diffusion] Scalar G(Scalar t) => 1 + 0 * t; }",
            "RK4 on 2048 steps of Φ′ = FΦ, Σ′ = FΣ + ΣFᵀ + GGᵀ (not differentiable in the parameters): the drift matrix is b(t)·A, but GGᵀ is not a constant multiple of b(t)·Q with Q free of t");

        [Fact]
        public void DSL0015_a_drift_matrix_that_is_not_a_multiple_of_one_matrix_is_tabulated() => AssertDiagnostic("DSL0015",
            "[Sde] public partial class S { [Param(\"D,D\")] public Mat A; [Param(\"D,D\")] public Mat B; [Drift] Vec [|F|](Vec x, Scalar t) => MatVec(A, x) + t * MatVec(B, x); [Diffusion] Scalar G(Scalar t) => Sqrt(1 + t); }",
            "the drift matrix M(t) is not b(t)·A with b a scalar function of t and A free of t");

        [Fact]
        public void DSL0015_a_drift_matrix_plus_a_multiple_of_the_identity_is_tabulated() => AssertDiagnostic("DSL0015",
            "[Sde] public partial class S { [Param(\"D,D\")] public Mat A; [Drift] Vec [|F|](Vec x, Scalar t) => (1 + t) * MatVec(A, x) - t * x; [Diffusion] Scalar G(Scalar t) => Sqrt(1 + t); }",
            "F(t) has an a(t)·I or diag(d(t)) part besides the drift matrix M(t)");

        [Fact]
        public void A_drift_b_of_t_times_A_with_noise_b_of_t_times_Q_is_in_closed_form()
        {
            var run = GeneratorFixture.Run(Usings + "[Sde] public partial class S { [Param(\"D,D\")] public Mat A; [Param(\"D\")] public Vec Sigma; "
                + "[Drift] Vec F(Vec x, Scalar t) => -0.5 * (0.1 + 19.9 * t) * MatVec(A, x); [Diffusion] Vec G(Scalar t) => Sqrt(0.1 + 19.9 * t) * Sigma; }\n}");
            Assert.Empty(run.Dsl());
        }

        [Fact]
        public void DSL0013_a_vec_diffusion_of_the_wrong_size() => AssertDiagnostic("DSL0013",
            "[Sde] public partial class S { [Param(\"K\")] public Vec Sigma; [Drift] Vec F(Vec x, Scalar t) => -1 * x; [Diffusion] Vec G(Scalar t) => [|Sigma|]; }",
            "has a diffusion of shape");

        [Fact]
        public void DSL0016_hidden_units_coupled_to_each_other() => AssertDiagnostic("DSL0016",
            "[EnergyModel] public partial class M { [Param(\"D,H\")] public Mat W; [Energy] Scalar [|E|](Bits v, [Hidden] Bits h) => -Dot(v, W * h) - Square(Sum(h)); }",
            "is not linear in h for fixed v");

        [Fact]
        public void DSL0016_real_visible_units_coupled_to_each_other() => AssertDiagnostic("DSL0016",
            "[EnergyModel] public partial class M { [Param(\"D,H\")] public Mat W; [Param(\"D,D\")] public Mat A; [Energy] Scalar [|E|](Vec v, [Hidden] Bits h) => Dot(v, A * v) - Dot(v, W * h); }",
            "is not a separable quadratic in the real units v");

        [Fact]
        public void DSL0003_hidden_units_must_be_discrete() => AssertDiagnostic("DSL0003",
            "[EnergyModel] public partial class M { [Param(\"D,H\")] public Mat W; [Energy] Scalar E[|(Bits v, [Hidden] Vec h)|] => -Dot(v, W * h); }",
            "hidden units are summed out, so they must be Bits or Spins");

        [Fact]
        public void DSL0003_visible_without_hidden() => AssertDiagnostic("DSL0003",
            "[EnergyModel] public partial class M { [Energy] Scalar E[|([Visible] Bits v)|] => Sum(v); }", "[Visible] without a [Hidden]");

        [Fact]
        public void DSL0003_noise_level_on_discrete_units() => AssertDiagnostic("DSL0003",
            "[EnergyModel] public partial class M { [Energy] Scalar E[|(Spins s, [NoiseLevel] Scalar sigma)|] => Sum(s) / sigma; }", "noise-conditional energies are over real Vec x");

        [Fact]
        public void DSL0004_roll_by_a_shift_that_is_not_a_literal() => AssertDiagnostic("DSL0004",
            "[EnergyModel] public partial class M { public int K { get; set; } = 1; [Energy] Scalar E(Spins s) => -Dot(s, [|Roll(s, 3, K, 0)|]); }",
            "Roll with shifts that are not integer literals");

        [Fact]
        public void DSL0017_three_spin_interaction() => AssertDiagnostic("DSL0017",
            "[EnergyModel] public partial class M { [Param(\"D,D\")] public Mat W; [Energy] Scalar [|E|](Spins s) => -Sum(s * s * (W * s)); }",
            "has degree 3 in them");

        [Fact]
        public void DSL0017_energy_not_polynomial_in_bits() => AssertDiagnostic("DSL0017",
            "[EnergyModel] public partial class M { [Param(\"D\")] public Vec B; [Energy] Scalar [|E|](Bits b) => -LogSumExp(B * b); }",
            "is not a polynomial in them");

        [Fact]
        public void DSL0018_fused_kernels_forced_on_a_bipartite_energy() => AssertDiagnostic("DSL0018",
            "[EnergyModel(Kernels = KernelPath.Fused)] public partial class [|M|] { [Param(\"D,H\")] public Mat W; [Energy] Scalar E(Bits v, [Hidden] Bits h) => -Dot(v, W * h); }",
            "does not cover bipartite");

        [Fact]
        public void DSL0019_torchscript_kernels_forced_on_a_bipartite_energy() => AssertDiagnostic("DSL0019",
            "[EnergyModel(Kernels = KernelPath.TorchScript)] public partial class [|M|] { [Param(\"D,H\")] public Mat W; [Energy] Scalar E(Bits v, [Hidden] Bits h) => -Dot(v, W * h); }",
            "does not cover bipartite");

        [Fact]
        public void Kernel_choice_selects_the_torchscript_functions()
        {
            const string body = " public partial class M { [Param(\"D\")] public Vec Mu; [Energy] Scalar E(Vec x) => Norm2(x - Mu); }\n}";
            foreach (var (attribute, scripted, forced) in new[]
            {
                ("[EnergyModel]", true, false), ("[EnergyModel(Kernels = KernelPath.Fused)]", true, false),
                ("[EnergyModel(Kernels = KernelPath.TorchScript)]", true, true), ("[EnergyModel(Kernels = KernelPath.TorchOps)]", false, false),
            })
            {
                var run = GeneratorFixture.Run(Usings + attribute + body);
                Assert.Empty(run.Dsl());
                Assert.Empty(run.CompilationDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error));
                var source = string.Concat(run.Sources.Values);
                Assert.Equal(scripted, source.Contains("public const string TorchScriptSource =", StringComparison.Ordinal));
                Assert.Equal(scripted, source.Contains("if (global::Dsl.GeneratedCode.TorchScriptKernels.Accepts(Kernels, x)) return ScoreNoGradScript(x);", StringComparison.Ordinal));
                Assert.Equal(scripted, source.Contains("\"def score(x: Tensor, p_Mu: Tensor) -> Tensor:\\n\"", StringComparison.Ordinal));
                // Forced, the constructor makes it the model's run-time path too.
                Assert.Equal(forced, source.Contains("Kernels = global::Dsl.KernelPath.TorchScript;", StringComparison.Ordinal));
            }
        }

        [Fact]
        public void Kernel_choice_selects_the_emitted_paths()
        {
            const string body = " public partial class M { [Param(\"D\")] public Vec Mu; [Energy] Scalar E(Vec x) => Norm2(x - Mu); }\n}";
            foreach (var (attribute, fused) in new[] { ("[EnergyModel]", true), ("[EnergyModel(Kernels = KernelPath.Fused)]", true), ("[EnergyModel(Kernels = KernelPath.TorchOps)]", false) })
            {
                var run = GeneratorFixture.Run(Usings + attribute + body);
                Assert.Empty(run.Dsl());
                Assert.Empty(run.CompilationDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error));
                var source = string.Concat(run.Sources.Values);
                Assert.Equal(fused, source.Contains("private global::TorchSharp.torch.Tensor ScoreNoGradFused(", StringComparison.Ordinal));
                Assert.Contains(fused ? "// Kernel: fused" : "// Kernel: torch ops — not fused: the model asks for torch ops", source, StringComparison.Ordinal);
                // Forced, the constructor makes it the model's run-time path too.
                Assert.Equal(attribute.Contains("Fused", StringComparison.Ordinal), source.Contains("Kernels = global::Dsl.KernelPath.Fused;", StringComparison.Ordinal));
            }
        }

        [Fact]
        public void DSL0003_hidden_units_must_be_a_vector() => AssertDiagnostic("DSL0003",
            "[EnergyModel] public partial class M { [Energy] Scalar E[|(Vec v, [Hidden] Scalar h)|] => Sum(v) * h; }", "takes the hidden units 'h' as 'Dsl.Scalar'; hidden units are summed out");

        [Fact]
        public void DSL0001_class_not_partial() => AssertDiagnostic("DSL0001",
            "[EnergyModel] public class [|Plain|] { [Energy] Scalar E(Vec x) => Norm2(x); }", "'Plain' must be declared partial");

        [Fact]
        public void DSL0001_containing_type_not_partial() => AssertDiagnostic("DSL0001",
            "public class [|Outer|] { [EnergyModel] public partial class Inner { [Energy] Scalar E(Vec x) => Norm2(x); } }", "'Outer'");

        [Fact]
        public void DSL0002_no_energy_method() => AssertDiagnostic("DSL0002",
            "[EnergyModel] public partial class [|NoEnergy|] { Scalar E(Vec x) => Norm2(x); }", "has no [Energy] method");

        [Fact]
        public void DSL0003_energy_returns_vec() => AssertDiagnostic("DSL0003",
            "[EnergyModel] public partial class M { [Energy] [|Vec|] E(Vec x) => x; }", "returns 'Dsl.Vec'");

        [Fact]
        public void DSL0003_energy_takes_two_arguments() => AssertDiagnostic("DSL0003",
            "[EnergyModel] public partial class M { [Energy] Scalar E[|(Vec x, Vec y)|] => Dot(x, y); }", "takes a second parameter 'y' that is not marked [NoiseLevel]");

        [Fact]
        public void DSL0003_energy_takes_three_arguments() => AssertDiagnostic("DSL0003",
            "[EnergyModel] public partial class M { [Energy] Scalar E[|(Vec x, [NoiseLevel] Scalar s, Scalar t)|] => Norm2(x) * s * t; }", "takes 3 parameters");

        [Fact]
        public void DSL0003_noise_level_must_be_a_scalar() => AssertDiagnostic("DSL0003",
            "[EnergyModel] public partial class M { [Energy] Scalar E[|(Vec x, [NoiseLevel] Vec s)|] => Dot(x, s); }", "takes the noise level 's' as 'Dsl.Vec' instead of Scalar");

        [Fact]
        public void DSL0004_unsupported_statement() => AssertDiagnostic("DSL0004",
            "[EnergyModel] public partial class M { [Energy] Scalar E(Vec x) { [|if (true) { }|] return Norm2(x); } }", "The statement 'if'");

        [Fact]
        public void DSL0004_unsupported_call_is_named() => AssertDiagnostic("DSL0004",
            "[EnergyModel] public partial class M { static Scalar Other(Vec v) => Norm2(v); [Energy] Scalar E(Vec x) => [|Helpers.Twice(Norm2(x))|]; }\npublic static class Helpers { public static Scalar Twice(Scalar s) => s + s; }",
            "'Test.Helpers.Twice'");

        [Fact]
        public void DSL0004_non_constant_exponent() => AssertDiagnostic("DSL0004",
            "[EnergyModel] public partial class M { public double P = 2; [Energy] Scalar E(Vec x) => Sum([|Pow(x, P)|]); }", "Pow with a non-constant exponent");

        [Fact]
        public void DSL0005_shape_mismatch_shows_both_shapes() => AssertDiagnostic("DSL0005",
            "[EnergyModel] public partial class M { [Param(\"K\")] public Vec A; [Energy] Scalar E(Vec x) => Sum([|x - A|]); }", "Vec[D] and Vec[K]");

        [Fact]
        public void DSL0005_matvec_columns() => AssertDiagnostic("DSL0005",
            "[EnergyModel] public partial class M { [Param(\"K,K\")] public Mat W; [Energy] Scalar E(Vec x) => Norm2([|W * x|]); }", "Mat[K,K] * Vec[D]");

        [Fact]
        public void DSL0006_parameter_of_unsupported_type() => AssertDiagnostic("DSL0006",
            "[EnergyModel] public partial class M { [Param] public double [|S|]; [Energy] Scalar E(Vec x) => Norm2(x); }", "is not Scalar, Vec or Mat");

        [Fact]
        public void DSL0006_shape_rank_mismatch() => AssertDiagnostic("DSL0006",
            "[EnergyModel] public partial class M { [Param(\"D\")] public Mat [|W|]; [Energy] Scalar E(Vec x) => Norm2(x); }", "a Mat needs 2 dimension names");

        [Fact]
        public void DSL0007_generic_model() => AssertDiagnostic("DSL0007",
            "[EnergyModel] public partial class [|G|]<T> { [Energy] Scalar E(Vec x) => Norm2(x); }", "is generic");

        [Fact]
        public void DSL0007_nested_in_generic() => AssertDiagnostic("DSL0007",
            "public partial class Outer<T> { [EnergyModel] public partial class [|Inner|] { [Energy] Scalar E(Vec x) => Norm2(x); } }", "generic type 'Outer'");

        [Fact]
        public void DSL0008_non_differentiable_operation() => AssertDiagnostic("DSL0008",
            "[EnergyModel] public partial class M { [Energy] Scalar E(Vec x) => Sum([|Abs(x)|]); }", "'Abs' is not differentiable");

        [Fact]
        public void DSL0009_divergence_not_generated_is_info() 
        {
            // A matrix built from x (an outer-product-like Mat) makes the closed-form Laplacian need a rank-3 Jacobian.
            var run = GeneratorFixture.Run(Usings + "[EnergyModel] public partial class M { [Param(\"D,D\")] public Mat P; [Energy] Scalar E(Vec x) => Norm2((P + x) * x); }\n}");
            var info = Assert.Single(run.Dsl(), d => d.Id == "DSL0009");
            Assert.Equal(DiagnosticSeverity.Info, info.Severity);
            Assert.Contains("ScoreDivergence is not generated", info.GetMessage());
            var source = Assert.Single(run.Sources).Value;
            Assert.Contains("Score(", source);
            Assert.DoesNotContain("ScoreDivergence(", source);
        }

        [Fact]
        public void DSL0010_recursive_helper() => AssertDiagnostic("DSL0010",
            "[EnergyModel] public partial class M { Scalar F(Scalar s) => [|F(s)|]; [Energy] Scalar E(Vec x) => F(Norm2(x)); }", "F → F");

        [Fact]
        public void DSL0012_log_partition_depends_on_x_is_refused() => AssertDiagnostic("DSL0012",
            "[EnergyModel] public partial class M { [Energy] Scalar E(Vec x) => Norm2(x); [LogPartition] Scalar [|LogZ|](Vec x) => Norm2(x); }", "wrong signature");

        [Fact]
        public void Helpers_locals_and_hyperparameters_are_inlined()
        {
            var run = GeneratorFixture.Run(Usings + "[EnergyModel] public partial class M { public double Nu = 3; Scalar Rho(Scalar r) => Log(1 + r / Nu); [Energy] Scalar E(Vec x) { var r = Norm2(x); return (Nu + 1) * Rho(r); } }\n}");
            Assert.DoesNotContain(run.Dsl(), d => d.Severity == DiagnosticSeverity.Error);
            Assert.Empty(run.CompilationDiagnostics);
            Assert.Contains("(double)this.Nu", Assert.Single(run.Sources).Value);
        }
    }
}
