using System;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace Dsl.Models.Tests
{
    /// <summary>Smoke tests of `dsl planar-flow`, `vae`, `gan`, `cnf` with tiny settings: exit 0, the JSON figures, the PNGs.</summary>
    [Collection("Console")]
    public class FamilyCliTests
    {
        private static readonly string OutDir = Path.Combine(Path.GetTempPath(), "dsl-family-cli-tests");

        private static (int Code, string Out, string Err) Run(params string[] args) => Gallery.Run(args.Concat(new[] { "--out", OutDir }).ToArray());

        private static JsonElement RunJson(params string[] args) => Gallery.RunJson(args.Concat(new[] { "--out", OutDir }).ToArray());

        [Fact]
        public void Planar_flow_reports_the_reverse_KL_and_writes_density_PNGs()
        {
            var r = RunJson("planar-flow", "--target", "ring", "--layers", "4", "--steps", "60");
            Assert.Equal(60, r.GetProperty("steps").GetInt64());
            Assert.True(r.GetProperty("kl").GetDouble() < r.GetProperty("kl_before").GetDouble());
            Assert.True(File.Exists(r.GetProperty("flow_png").GetString()));
            Assert.True(File.Exists(r.GetProperty("target_png").GetString()));
        }

        [Fact]
        public void Vae_reports_ELBO_KL_and_IWAE_in_nats()
        {
            var r = RunJson("vae", "--steps", "30", "--hidden", "32", "--latent", "4");
            Assert.True(r.GetProperty("test_kl").GetDouble() >= 0);
            Assert.Equal(3, r.GetProperty("test_iwae").GetArrayLength());
            Assert.True(double.IsFinite(r.GetProperty("test_elbo").GetDouble()));
            Assert.True(File.Exists(r.GetProperty("samples_png").GetString()));
        }

        [Fact]
        public void Gan_and_cnf_report_their_figures()
        {
            var gan = RunJson("gan", "--steps", "40", "--loss", "minimax");
            Assert.Equal("minimax", gan.GetProperty("loss").GetString());
            Assert.True(gan.GetProperty("mean_d_real").GetDouble() is > 0 and < 1);
            Assert.True(File.Exists(gan.GetProperty("scatter_png").GetString()));
            Assert.True(double.IsFinite(gan.GetProperty("mmd2").GetDouble()) && double.IsFinite(gan.GetProperty("mmd2_before").GetDouble()));
            var digits = RunJson("gan", "--steps", "5", "--data", "digits");
            Assert.True(File.Exists(digits.GetProperty("scatter_png").GetString()));
            var cnf = RunJson("cnf", "--steps", "5", "--data", "ring");
            Assert.True(cnf.GetProperty("nfe").GetInt32() > 0);
            Assert.True(double.IsFinite(cnf.GetProperty("test_nll").GetDouble()));
        }

        [Fact]
        public void The_model_catalogue_lists_the_flows_KLs_VAE_GAN_and_CNF_and_the_tour_checks_them()
        {
            var (code, output, err) = Run("models", "--json");
            Assert.True(code == 0, err);
            foreach (var name in new[] { "PlanarFlow", "InvertiblePlanarFlow", "GaussianEncoderKl", "GaussianPairKl", "Vae", "Gan", "ContinuousFlow" })
                Assert.Contains("\"model\":\"" + name + "\"", output);
            var checks = Dsl.Examples.Experiments.FamilyRuns.GeneratedChecks(0);
            Assert.True(checks.PlanarLogDetError < 1e-10, "planar " + checks.PlanarLogDetError);
            Assert.True(checks.KlError < 1e-12, "KL " + checks.KlError);
            Assert.True(checks.KlMonteCarloZ < 4, "KL vs Monte Carlo: " + checks.KlMonteCarloZ + " standard errors");
        }

        [Fact]
        public void Unknown_names_are_one_line_errors_with_exit_2()
        {
            var (code, _, err) = Run("planar-flow", "--target", "nope");
            Assert.Equal(2, code);
            Assert.Contains("valid: banana, ring", err);
            (code, _, err) = Run("vae", "--likelihood", "poisson");
            Assert.Equal(2, code);
            Assert.Single(err.TrimEnd().Split('\n'));
        }
    }
}
