using System.Collections.Generic;
using System;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace Dsl.Generators.Tests
{
    /// <summary>
    /// Which discrete models get the generated one-pass checkerboard sweep: those whose ΔEᵢ reads only site i and the other
    /// checkerboard colour. The emitted code compiles for spins, bits and per-site parameters; the others say why not.
    /// </summary>
    public class CheckerboardSweepGeneratorTests
    {
        private const string Usings = "using Dsl; using static Dsl.Math;\nnamespace Test {\n";

        private static string Generate(string model)
        {
            var run = GeneratorFixture.Run(Usings + model + "\n}");
            Assert.DoesNotContain(run.Dsl(), d => d.Severity == DiagnosticSeverity.Error);
            Assert.Empty(run.CompilationDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error));
            return string.Concat(run.Sources.Values);
        }

        [Theory]
        // A lattice gas over bits with a chemical potential: the bits rule (flip b → 1 − b) and Roll's adjoint shift.
        [InlineData("[EnergyModel(Dim = \"N\")] public partial class Gas { public int L { get; init; } = 4; public double J { get; set; } = 1; public double Mu { get; set; }"
            + " [Energy] Scalar E(Bits b) => -J * Dot(b, Roll(b, L, 0, 1)) - J * Dot(b, Roll(b, L, 1, 0)) - Mu * Sum(b); }", "spins: false")]
        // A random-field Ising model: a per-site parameter read at the site.
        [InlineData("[EnergyModel(Dim = \"N\")] public partial class RandomField { public int L { get; init; } = 4; [Param(\"N\", Init = 0.0)] public Vec Hs;"
            + " [Energy] Scalar E(Spins s) => -0.5 * Dot(s, LatticeNeighbours(s, L)) - Dot(Hs, s); }", "p_Hs[i]")]
        // Third-neighbour couplings along an axis (odd distance 3) and a knight's move (1 + 2): still the other colour.
        [InlineData("[EnergyModel(Dim = \"N\")] public partial class Far { public int L { get; init; } = 8;"
            + " [Energy] Scalar E(Spins s) => -Dot(s, Roll(s, L, 0, 3)) - Dot(s, Roll(s, L, 1, 2)); }", "colM3")]
        public void Local_lattice_models_get_the_sweep(string model, string expected)
        {
            var source = Generate(model);
            Assert.True(source.Contains("global::Dsl.ILatticeSweepModel") || source.Contains("global::Dsl.IMultiSpinSweepModel"), "no lattice sweep interface");
            Assert.Contains("public long CheckerboardSweep(global::TorchSharp.torch.Tensor units, double beta, global::Dsl.Discrete.SpinUpdate rule, ulong key, long sweep = 0)", source, StringComparison.Ordinal);
            Assert.Contains(expected, source, StringComparison.Ordinal);
        }

        [Theory]
        [InlineData("Gas", "(-1,0) (0,-1) (0,1) (1,0) spins: false")]
        [InlineData("Far", "(-1,-2) (0,-3) (0,3) (1,2) spins: true")]
        [InlineData("RandomField", "// No multi-spin-coded sweep: ΔEᵢ reads a per-site value (Param Hs)")]
        public void Models_with_a_finite_flip_energy_table_also_get_the_multi_spin_coded_sweep(string name, string expected)
        {
            var models = new Dictionary<string, string>
            {
                ["Gas"] = "[EnergyModel(Dim = \"N\")] public partial class Gas { public int L { get; init; } = 4; public double J { get; set; } = 1; public double Mu { get; set; }"
                    + " [Energy] Scalar E(Bits b) => -J * Dot(b, Roll(b, L, 0, 1)) - J * Dot(b, Roll(b, L, 1, 0)) - Mu * Sum(b); }",
                ["Far"] = "[EnergyModel(Dim = \"N\")] public partial class Far { public int L { get; init; } = 8;"
                    + " [Energy] Scalar E(Spins s) => -Dot(s, Roll(s, L, 0, 3)) - Dot(s, Roll(s, L, 1, 2)); }",
                ["RandomField"] = "[EnergyModel(Dim = \"N\")] public partial class RandomField { public int L { get; init; } = 4; [Param(\"N\", Init = 0.0)] public Vec Hs;"
                    + " [Energy] Scalar E(Spins s) => -0.5 * Dot(s, LatticeNeighbours(s, L)) - Dot(Hs, s); }",
            };
            var source = Generate(models[name]);
            var call = System.Text.RegularExpressions.Regex.Match(source, @"new int\[\] \{ ([^}]*) \}, FlipEnergyOf, beta, rule, (spins: \w+)");
            if (name == "RandomField") { Assert.False(call.Success); Assert.Contains(expected, source, StringComparison.Ordinal); }
            else
            {
                // The stencil reads, in whatever order the emitter met them: as a sorted set of (Δrow, Δcolumn).
                var numbers = call.Groups[1].Value.Split(',').Select(v => int.Parse(v.Trim(), System.Globalization.CultureInfo.InvariantCulture)).ToArray();
                var pairs = Enumerable.Range(0, numbers.Length / 2).Select(i => (numbers[2 * i], numbers[2 * i + 1])).OrderBy(p => p).Select(p => "(" + p.Item1 + "," + p.Item2 + ")");
                Assert.Equal(expected, string.Join(" ", pairs) + " " + call.Groups[2].Value);
            }
            Assert.Equal(name != "RandomField", source.Contains("global::Dsl.IMultiSpinSweepModel", StringComparison.Ordinal));
        }

        [Theory]
        [InlineData("Dot(s, Roll(s, L, 1, 1))", "offset (-1, -1), which has site i's checkerboard colour")]      // diagonal neighbours share a colour
        [InlineData("Dot(s, Roll(s, L, 0, 2))", "which has site i's checkerboard colour")]                       // next-nearest along an axis
        [InlineData("Dot(s, LatticeNeighbours(s, L)) + Square(Sum(s))", "depends on a sum over the sites")]      // a mean-field term
        [InlineData("Dot(s, Roll(s, L, 0, 1)) + Dot(s, Roll(s, M, 1, 0))", "more than one lattice side")]
        [InlineData("Square(Sum(s))", "uses no lattice stencil")]
        public void Non_local_flip_energies_keep_the_generic_path_and_say_why(string energy, string reason)
        {
            var source = Generate("[EnergyModel(Dim = \"N\")] public partial class Lat { public int L { get; init; } = 4; public int M { get; init; } = 6;"
                + " [Energy] Scalar E(Spins s) => -" + energy + "; }");
            Assert.DoesNotContain("CheckerboardSweep(global::", source, StringComparison.Ordinal);
            Assert.Contains("global::Dsl.IDiscreteEnergyModel", source, StringComparison.Ordinal);
            Assert.Contains("// No checkerboard sweep: " , source, StringComparison.Ordinal);
            Assert.Contains(reason, source, StringComparison.Ordinal);
        }

        [Fact]
        public void A_model_that_asks_for_torch_ops_gets_no_sweep()
        {
            var source = Generate("[EnergyModel(Dim = \"N\", Kernels = KernelPath.TorchOps)] public partial class M { public int L { get; init; } = 4;"
                + " [Energy] Scalar E(Spins s) => -0.5 * Dot(s, LatticeNeighbours(s, L)); }");
            Assert.Contains("// No checkerboard sweep: the model asks for torch ops", source, StringComparison.Ordinal);
        }
    }
}
