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
        public void Conditional_vae_reports_the_judged_accuracy_per_digit_with_its_standard_error_the_test_ELBO_and_a_grid()
        {
            var r = RunJson("vae", "--conditional", "--steps", "30", "--hidden", "16", "--latent", "4", "--samples", "5", "--judge-steps", "5");
            Assert.True(r.GetProperty("conditional").GetBoolean());
            Assert.Equal(30, r.GetProperty("steps").GetInt64());
            var digits = r.GetProperty("digits");
            Assert.Equal(Enumerable.Range(0, 10), digits.EnumerateArray().Select(d => d.GetProperty("digit").GetInt32()));
            double sum = 0;
            foreach (var d in digits.EnumerateArray())
            {
                double p = d.GetProperty("accuracy").GetDouble();
                Assert.True(p is >= 0 and <= 1 && System.Math.Abs(p * 5 - System.Math.Round(p * 5)) < 1e-9, "a fraction of 5 samples: " + p);
                Assert.Equal(System.Math.Sqrt(p * (1 - p) / 5), d.GetProperty("standard_error").GetDouble(), 12);
                sum += p;
            }
            double overall = r.GetProperty("accuracy").GetDouble();
            Assert.Equal(sum / 10, overall, 12);
            Assert.Equal(System.Math.Sqrt(overall * (1 - overall) / 50), r.GetProperty("accuracy_standard_error").GetDouble(), 12);
            Assert.Equal(r.GetProperty("test_reconstruction").GetDouble() - r.GetProperty("test_kl").GetDouble(), r.GetProperty("test_elbo").GetDouble(), 3);
            Assert.True(r.GetProperty("test_kl").GetDouble() >= 0);
            Assert.True(r.GetProperty("judge_test_accuracy").GetDouble() is >= 0 and <= 1);
            Assert.True(File.Exists(r.GetProperty("samples_png").GetString()));

            // One requested digit; the judge of the same seed and steps is loaded, not retrained.
            var one = RunJson("vae", "--conditional", "--digit", "3", "--steps", "5", "--hidden", "16", "--latent", "4", "--samples", "4", "--judge-steps", "5");
            Assert.Equal(3, one.GetProperty("digits").EnumerateArray().Single().GetProperty("digit").GetInt32());
            Assert.False(one.GetProperty("judge_trained").GetBoolean());
            Assert.Equal(r.GetProperty("judge_test_accuracy").GetDouble(), one.GetProperty("judge_test_accuracy").GetDouble(), 12);
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
