using System.Linq;
using Dsl.Testing;
using Microsoft.CodeAnalysis;

namespace Dsl.Generators.Tests
{
    /// <summary>The generated code of every model in Models/ is committed text, reviewed like any other code.</summary>
    public class SnapshotTests
    {
        public static TheoryData<string> ModelNames() => new TheoryData<string>
        {
            "IsotropicGaussian", "FullCovarianceGaussian", "CovarianceGaussian", "Exponential", "GaussianMixture", "ProductOfStudentT", "MlpEnergy",
            "PerturbedGaussianMixture", "NoiseConditionalMlpEnergy", "BinaryRbm", "HopfieldNetwork", "ContinuousHopfieldNetwork", "IsingModel", "LatticeIsing",
            "SpinRbm", "GaussianBernoulliRbm", "FullyVisibleBoltzmannMachine", "AnisotropicIsing", "GammaDensity", "DirichletDensity",
            "LinearGaussianLikelihood", "GaussianPosterior", "MixtureTimesStudentT",
            "TiltedGaussian", "PhaseSpaceGaussian", "HuberLocation", "SoftBoxGaussian",
            "TimeMlpEnergy", "EquationClassifier", "ConditionalGaussian", "ClassConditionalGaussian",
        };

        public static TheoryData<string> SdeNames() => new TheoryData<string>
        {
            "VeSde", "VpSde", "SubVpSde", "BrownianMotion", "OrnsteinUhlenbeck", "CosineVpSde", "RotatingOrnsteinUhlenbeck", "DiagonalVpSde", "MatrixVpSde", "KineticLangevin",
        };

        [Theory]
        [MemberData(nameof(SdeNames))]
        public void Generated_SDE_code_matches_the_verified_snapshot(string sde)
        {
            var run = GeneratorFixture.Run(GeneratorFixture.ModelSources().ToArray());
            var hint = "Dsl.Models." + sde + ".Sde.g.cs";
            Assert.True(run.Sources.ContainsKey(hint), "not generated: " + hint + "; got " + string.Join(", ", run.Sources.Keys));
            Snapshot.Match(run.Sources[hint], sde);
        }

        [Theory]
        [MemberData(nameof(ModelNames))]
        public void Generated_code_matches_the_verified_snapshot(string model)
        {
            var run = GeneratorFixture.Run(GeneratorFixture.ModelSources().ToArray());
            var hint = "Dsl.Models." + model + ".Dsl.g.cs";
            Assert.True(run.Sources.ContainsKey(hint), "not generated: " + hint + "; got " + string.Join(", ", run.Sources.Keys));
            Snapshot.Match(run.Sources[hint], model);
        }

        [Fact]
        public void Generated_code_compiles_without_warnings_and_the_models_report_no_errors()
        {
            var run = GeneratorFixture.Run(GeneratorFixture.ModelSources().ToArray());
            Assert.DoesNotContain(run.GeneratorDiagnostics, d => d.Severity == DiagnosticSeverity.Error);
            // The cosine schedule's β is not a polynomial: its kernel is tabulated, and the build says so (DSL0015, info).
            var info = Assert.Single(run.GeneratorDiagnostics, d => d.Id == "DSL0015");
            Assert.Contains("CosineVpSde", info.GetMessage());
            Assert.Contains("quadrature", info.GetMessage());
            Assert.Empty(run.CompilationDiagnostics);
        }

        [Fact]
        public void Generation_is_deterministic()
        {
            var first = GeneratorFixture.Run(GeneratorFixture.ModelSources().ToArray()).Sources;
            var second = GeneratorFixture.Run(GeneratorFixture.ModelSources().ToArray()).Sources;
            Assert.Equal(first.OrderBy(p => p.Key), second.OrderBy(p => p.Key));
            Assert.All(first.Values, text => Assert.DoesNotContain("\r", text));
        }
    }
}
