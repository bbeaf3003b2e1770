using System;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace Dsl.Models.Tests
{
    /// <summary>The gallery's contract: --json ends stdout with one JSON object; an unknown model is a one-line error, exit 2.</summary>
    [Collection("Console")]
    public class CliTests
    {
        private static (int Code, string Out, string Err) Run(params string[] args) => Gallery.Run(args);

        [Fact]
        public void The_tour_runs_in_text_mode()
        {
            // The tour's tables go through Spectre markup: a '[' in a cell once ended the tour with an exception.
            var (code, _, err) = Run();
            Assert.True(code == 0, "exit " + code + ": " + err);
        }

        [Fact]
        public void Score_check_json_reports_the_figures()
        {
            var (code, output, _) = Run("score-check", "--model", "GaussianMixture", "--n", "500", "--json", "--dtype", "float64");
            Assert.Equal(0, code);
            var last = output.TrimEnd().Split('\n').Last();
            using var doc = JsonDocument.Parse(last);
            var root = doc.RootElement;
            Assert.Equal("GaussianMixture", root.GetProperty("model").GetString());
            Assert.Equal(500, root.GetProperty("n").GetInt32());
            Assert.True(root.GetProperty("max_abs_err").GetDouble() < 1e-9);
            Assert.True(root.GetProperty("generated_ms").GetDouble() > 0);
            Assert.True(root.GetProperty("autograd_ms").GetDouble() > 0);
        }

        [Fact]
        public void Unknown_model_lists_valid_names_and_exits_2()
        {
            var (code, _, err) = Run("score-check", "--model", "Nope");
            Assert.Equal(2, code);
            Assert.Single(err.TrimEnd().Split('\n'));
            Assert.Contains("unknown model 'Nope'", err);
            Assert.Contains("GaussianMixture", err);
        }

        [Fact]
        public void Models_json_lists_every_model()
        {
            var (code, output, _) = Run("models", "--json");
            Assert.Equal(0, code);
            using var doc = JsonDocument.Parse(output.TrimEnd().Split('\n').Last());
            Assert.Equal(ModelCatalog.All.Count + ModelCatalog.NoiseConditional.Count + ModelCatalog.Conditioned.Count + ModelCatalog.Beyond.Count + ModelCatalog.Sdes.Count + ModelCatalog.Families.Count, doc.RootElement.GetArrayLength());
            foreach (var sde in new[] { "VeSde", "RotatingOrnsteinUhlenbeck", "DiagonalVpSde", "MatrixVpSde", "KineticLangevin" })
                Assert.Contains(doc.RootElement.EnumerateArray(), e => e.GetProperty("model").GetString() == sde && e.GetProperty("equation").GetString()!.StartsWith("dx = (", StringComparison.Ordinal));
        }
    
        private static readonly string OutDir = Path.Combine(Path.GetTempPath(), "dsl-cli-tests");

        private static JsonElement RunJson(params string[] args) => Gallery.RunJson(args.Concat(new[] { "--out", OutDir }).ToArray());

        [Fact]
        public void Langevin_and_annealed_Langevin_report_the_minor_mode_weight_and_write_PNGs()
        {
            var plain = RunJson("langevin", "--model", "gmm", "--chains", "500");
            var annealed = RunJson("annealed-langevin", "--model", "gmm", "--chains", "500");
            foreach (var r in new[] { plain, annealed })
            {
                Assert.Equal(1000, r.GetProperty("steps").GetInt64());
                Assert.True(r.GetProperty("seconds").GetDouble() > 0);
                Assert.True(File.Exists(r.GetProperty("scatter_png").GetString()));
                Assert.True(new FileInfo(r.GetProperty("histogram_png").GetString()!).Length > 5000);
            }
            double se = System.Math.Sqrt(0.2 * 0.8 / 500);
            Assert.True(System.Math.Abs(annealed.GetProperty("minor_mode_weight").GetDouble() - 0.2) < 4 * se);
            Assert.True(plain.GetProperty("minor_mode_weight").GetDouble() > 0.2 + 10 * se);
        }

        [Theory]
        [InlineData("mh", "gaussian")]
        [InlineData("mala", "poe")]
        [InlineData("mh", "GaussianMixture")]
        public void MCMC_commands_report_acceptance_and_ess(string sampler, string model)
        {
            var r = RunJson(sampler, "--model", model, "--chains", "200", "--steps", "400", "--burn-in", "200");
            Assert.InRange(r.GetProperty("acceptance_rate").GetDouble(), 0.1, 0.9);
            Assert.True(r.GetProperty("ess").GetDouble() > 100);
            Assert.True(File.Exists(r.GetProperty("scatter_png").GetString()));
        }

        [Fact]
        public void Score_matching_reports_the_final_loss_and_the_mean_error()
        {
            var r = RunJson("score-matching", "--loss", "ssm", "--model", "gmm", "--steps", "400");
            Assert.Equal("ssm", r.GetProperty("loss").GetString());
            Assert.True(double.IsFinite(r.GetProperty("final_loss").GetDouble()));
            Assert.True(r.GetProperty("mean_error").GetDouble() < 0.1);
            Assert.True(File.Exists(r.GetProperty("loss_png").GetString()));
        }

        [Fact]
        public void Bench_langevin_prints_ms_per_step()
        {
            var r = RunJson("bench", "langevin", "--repeats", "3", "--n", "2000", "--warmup", "0.3");
            AssertWarmAndCold(r, "ms_per_step", "cold_ms_per_step", 0.3);
            Assert.True(r.GetProperty("ms_per_step").GetDouble() > 0);
            Assert.True(r.GetProperty("autograd_ms_per_step").GetDouble() > 0);
            AssertFastestPath(r);
        }

        /// <summary>`path` names the faster generated path, and `ms_per_step` is that path's time.</summary>
        private static void AssertFastestPath(System.Text.Json.JsonElement r)
        {
            double fused = r.GetProperty("ms_per_step_fused").GetDouble(), torchOps = r.GetProperty("ms_per_step_torch_ops").GetDouble();
            Assert.Equal(fused <= torchOps ? "fused" : "torch-ops", r.GetProperty("path").GetString());
            Assert.Equal(System.Math.Min(fused, torchOps), r.GetProperty("ms_per_step").GetDouble());
        }

        [Fact]
        public void Bench_divergence_prints_ms_per_step_of_the_faster_generated_path()
        {
            var r = RunJson("bench", "divergence", "--repeats", "3", "--n", "128", "--warmup", "0.3");
            AssertWarmAndCold(r, "ms_per_step", "cold_ms_per_step", 0.3);
            AssertFastestPath(r);
            Assert.True(r.GetProperty("autograd_exact_ms").GetDouble() > 0);
            Assert.True(r.GetProperty("hutchinson_1_probe_ms").GetDouble() > 0);
        }

        [Fact]
        public void Sde_sample_reports_moments_or_the_minor_mode_weight_and_nfe()
        {
            var gaussian = RunJson("sde-sample", "--sde", "vp", "--sampler", "ode", "--data", "gaussian", "--dim", "3", "--n", "500");
            Assert.Equal(3, gaussian.GetProperty("mean").GetArrayLength());
            Assert.Equal(3, gaussian.GetProperty("std").GetArrayLength());
            Assert.True(gaussian.GetProperty("nfe").GetInt32() > 10);
            Assert.True(File.Exists(gaussian.GetProperty("scatter_png").GetString()));
            var gmm = RunJson("sde-sample", "--sde", "ve", "--sampler", "pc", "--data", "gmm", "--n", "500", "--steps", "300");
            Assert.InRange(gmm.GetProperty("minor_mode_weight").GetDouble(), 0.2 - 4 * 0.018, 0.2 + 4 * 0.018);
            Assert.Equal(600, gmm.GetProperty("nfe").GetInt32());
            Assert.True(File.Exists(gmm.GetProperty("trajectory_png").GetString()));
        }

        /// <summary>EDM's Heun on its Karras grid (the default grid for heun) and with churn: the samples' moments are the data's
        /// perturbed to ε within 4 standard errors (N = 2000, 64 steps, exact Gaussian score); NFE 2N − 1.</summary>
        [Theory]
        [InlineData("0")]
        [InlineData("20")]
        public void Sde_sample_heun_on_the_karras_grid_recovers_the_moments(string churn)
        {
            var r = RunJson("sde-sample", "--sde", "ve", "--sampler", "heun", "--churn", churn, "--data", "gaussian", "--dim", "2", "--n", "2000", "--steps", "64");
            Assert.Equal("karras", r.GetProperty("grid").GetString());
            Assert.Equal(127, r.GetProperty("nfe").GetInt32());
            for (int d = 0; d < 2; d++)
            {
                double trueStd = r.GetProperty("true_std")[d].GetDouble();
                Assert.InRange(r.GetProperty("mean")[d].GetDouble() - r.GetProperty("true_mean")[d].GetDouble(), -4 * trueStd / System.Math.Sqrt(2000), 4 * trueStd / System.Math.Sqrt(2000));
                Assert.InRange(r.GetProperty("std")[d].GetDouble() - trueStd, -4 * trueStd / System.Math.Sqrt(4000), 4 * trueStd / System.Math.Sqrt(4000));
            }
        }

        [Fact]
        public void Likelihood_reports_nll_against_the_exact_value()
        {
            var r = RunJson("likelihood", "--sde", "subvp", "--data", "gaussian", "--dim", "2", "--n", "100");
            Assert.True(r.GetProperty("abs_err_nats_per_dim").GetDouble() < 1e-3);
            Assert.Equal(r.GetProperty("nll_nats_per_dim").GetDouble() / System.Math.Log(2) + 7, r.GetProperty("bits_per_dim").GetDouble(), 10);
            Assert.True(r.GetProperty("nfe").GetInt32() > 10);
        }

        [Fact]
        public void Rbm_reports_pseudo_and_AIS_log_likelihoods_that_improve_and_writes_PNGs()
        {
            var r = RunJson("rbm", "--data", "digits", "--hidden", "16", "--algorithm", "pcd", "--epochs", "2");
            Assert.True(r.GetProperty("pseudo_log_likelihood").GetDouble() > r.GetProperty("pseudo_log_likelihood_before").GetDouble());
            Assert.True(r.GetProperty("ais_log_likelihood").GetDouble() > r.GetProperty("ais_log_likelihood_before").GetDouble());
            // H = 16 is small enough to enumerate: AIS and the exact value agree.
            Assert.True(System.Math.Abs(r.GetProperty("ais_log_likelihood").GetDouble() - r.GetProperty("exact_log_likelihood").GetDouble()) < 0.1);
            Assert.True(File.Exists(r.GetProperty("samples_png").GetString()));
            Assert.True(File.Exists(r.GetProperty("filters_png").GetString()));
        }

        [Fact]
        public void Dbn_reports_per_layer_metrics_the_bound_and_writes_samples()
        {
            var r = RunJson("dbn", "--hidden", "8,64", "--steps", "60");
            Assert.Equal(2, r.GetProperty("layers").GetArrayLength());
            Assert.True(r.GetProperty("layers")[1].GetProperty("seconds").GetDouble() > 0);
            double bound = r.GetProperty("variational_bound").GetDouble(), exact = r.GetProperty("exact_log_likelihood").GetDouble();
            Assert.True(bound <= exact + 1e-9 && bound > -64 * System.Math.Log(2), $"bound {bound} vs exact {exact}");
            Assert.True(File.Exists(r.GetProperty("samples_png").GetString()));
        }

        [Fact]
        public void Dbm_reports_the_exact_log_likelihood_and_mean_field_bound_before_and_after()
        {
            var r = RunJson("dbm", "--hidden1", "8", "--hidden2", "4", "--steps", "60");
            Assert.True(r.GetProperty("exact_log_likelihood").GetDouble() > r.GetProperty("exact_log_likelihood_before").GetDouble() + 5);
            Assert.True(r.GetProperty("mean_field_bound").GetDouble() <= r.GetProperty("exact_log_likelihood").GetDouble() + 1e-9);
            Assert.True(File.Exists(r.GetProperty("samples_png").GetString()));
        }

        [Fact]
        public void Hopfield_reports_the_recall_rate_and_final_overlap()
        {
            var r = RunJson("hopfield", "--N", "100", "--patterns", "5", "--noise", "0.1");
            Assert.Equal("hebbian", r.GetProperty("rule").GetString());
            Assert.InRange(r.GetProperty("recall_rate").GetDouble(), 0.8, 1.0);
            Assert.True(r.GetProperty("final_overlap").GetDouble() > 0.95);
            var gradient = RunJson("hopfield", "--N", "40", "--patterns", "12", "--noise", "0.1", "--rule", "gradient");
            Assert.Equal("gradient", gradient.GetProperty("rule").GetString());
            Assert.Equal(1.0, gradient.GetProperty("fixed_point_fraction").GetDouble());
            Assert.True(gradient.GetProperty("pseudo_log_likelihood").GetDouble() > gradient.GetProperty("pseudo_log_likelihood_before").GetDouble());
        }

        [Fact]
        public void Ising_reports_observables_with_errors_and_a_scan_png()
        {
            var r = RunJson("ising", "--L", "8", "--T", "2.0", "--sweeps", "200", "--chains", "4");
            Assert.True(r.GetProperty("abs_magnetization_error").GetDouble() > 0);
            Assert.True(r.GetProperty("flips_per_second").GetDouble() > 0);
            Assert.True(File.Exists(r.GetProperty("lattice_png").GetString()));
            var multi = RunJson("ising", "--L", "8", "--sweeps", "50", "--chains", "2", "--multi-spin", "--T", "1.5");
            Assert.Equal("multi-spin coded", multi.GetProperty("sweep").GetString());
            Assert.True(multi.GetProperty("abs_magnetization").GetDouble() > 0.8);        // ordered start at T = 1.5 < T_c stays ordered (|m| ≈ 0.99)
            var scan = RunJson("ising", "--L", "6", "--sweeps", "100", "--chains", "2", "--scan", "1.5:3.5:3", "--algorithm", "gibbs");
            Assert.Equal(3, scan.GetProperty("scan").GetArrayLength());
            Assert.True(File.Exists(scan.GetProperty("scan_png").GetString()));
        }

        [Fact]
        public void Bench_ising_prints_flips_per_second()
        {
            var r = RunJson("bench", "ising", "--L", "32", "--repeats", "3", "--warmup", "0.3");
            AssertWarmAndCold(r, "ms_per_sweep", "cold_ms_per_sweep", 0.3);
            Assert.True(r.GetProperty("flips_per_second").GetDouble() > 0);
            Assert.True(r.GetProperty("ms_per_sweep_fused_sweep").GetDouble() > 0);             // L = 32 is even: the one-pass sweep ran
            Assert.True(r.GetProperty("ms_per_sweep_multi_spin").GetDouble() > 0);
            double fastest = new[] { "ms_per_sweep_multi_spin", "ms_per_sweep_fused_sweep", "ms_per_sweep_fused", "ms_per_sweep_torch_ops" }.Min(p => r.GetProperty(p).GetDouble());
            Assert.Equal(fastest, r.GetProperty("ms_per_sweep").GetDouble());
        }

        [Fact]
        public void Bench_reverse_vp_prints_ms_per_step()
        {
            var r = RunJson("bench", "reverse-vp", "--repeats", "3", "--n", "2000", "--steps", "5");
            Assert.True(r.GetProperty("ms_per_step").GetDouble() > 0);
            AssertFastestPath(r);
            // The default warm-up (issue 21: 20 steps timed tier-0 code): at least 1.5 s of untimed runs of each path first.
            AssertWarmAndCold(r, "ms_per_step", "cold_ms_per_step", 1.5);
        }

        /// <summary>
        /// A bench's JSON carries the warm figure (the median after the warm-up) and the cold one (the first call), and says how
        /// long it warmed up: at least the requested seconds and at least 3 calls. No timing assertion: speed lives in benchmarks.
        /// </summary>
        private static void AssertWarmAndCold(System.Text.Json.JsonElement r, string warm, string cold, double warmupSeconds)
        {
            Assert.True(r.GetProperty(warm).GetDouble() > 0);
            Assert.True(r.GetProperty(cold).GetDouble() > 0);
            Assert.True(r.GetProperty("warmup_calls").GetInt32() >= 3);
            Assert.True(r.GetProperty("warmup_seconds").GetDouble() >= warmupSeconds);
        }

        [Theory]
        [InlineData("unknown --sde 'xx'", "sde-sample", "--sde", "xx")]
        [InlineData("unknown --sampler 'rk'", "sde-sample", "--sampler", "rk")]
        [InlineData("unknown --grid 'cosine'", "sde-sample", "--grid", "cosine")]
        [InlineData("--churn is for --sampler heun", "sde-sample", "--churn", "5")]
        [InlineData("unknown --estimator 'x'", "likelihood", "--estimator", "x")]
        [InlineData("unknown --algorithm 'cd9'", "rbm", "--algorithm", "cd9")]
        [InlineData("--hidden must list layer sizes", "dbn", "--hidden", "8,x")]
        [InlineData("--hidden1 must lie in 1…1024, got 0", "dbm", "--hidden1", "0")]
        [InlineData("N must be at least 2", "hopfield", "--N", "1")]
        [InlineData("unknown --rule 'oja'", "hopfield", "--rule", "oja")]
        [InlineData("--L must be even and lie in 2…", "ising", "--L", "1")]
        [InlineData("--T must be a finite number > 0, got 0", "ising", "--T", "0")]
        [InlineData("unknown --loss 'xyz'", "score-matching", "--loss", "xyz")]
        [InlineData("--step must be a finite number > 0, got 0", "langevin", "--model", "gaussian", "--step", "0")]
        [InlineData("--step must be a finite number > 0, got -1", "mh", "--model", "gaussian", "--step", "-1")]
        [InlineData("unknown model 'nope'", "mala", "--model", "nope")]
        [InlineData("valid: gmm", "annealed-langevin", "--model", "poe")]
        public void Bad_gallery_input_is_a_one_line_error_with_exit_2(string message, params string[] args)
        {
            var (code, _, err) = Run(args);
            Assert.Equal(2, code);
            Assert.Contains(message, err);
            Assert.Single(err.TrimEnd().Split('\n'));
        }
    }
}
