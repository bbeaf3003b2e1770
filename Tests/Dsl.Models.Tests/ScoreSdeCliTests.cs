using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using Dsl.Training;

namespace Dsl.Models.Tests
{
    /// <summary>`dsl ncsn` and `dsl score-sde` with tiny budgets: the JSON contract, checkpoints and resume, clear failures.</summary>
    [Collection("Console")]
    public class ScoreSdeCliTests
    {
        private static readonly string OutDir = Path.Combine(Path.GetTempPath(), "dsl-score-sde-cli-" + Guid.NewGuid().ToString("N"));

        private static (int Code, string Out, string Err) Run(params string[] args) => Gallery.Run(args.Concat(new[] { "--json", "--out", OutDir }).ToArray());

        private static JsonElement RunJson(params string[] args) => Gallery.RunJson(args.Concat(new[] { "--out", OutDir }).ToArray());

        [Fact]
        public void Ncsn_trains_resumes_samples_and_refuses_a_checkpoint_of_other_settings()
        {
            var ckpt = Path.Combine(OutDir, "ncsn.ckpt");
            string[] tiny = { "--width", "16", "--depth", "1", "--levels", "4", "--steps-per-level", "5", "--n", "100", "--checkpoint", ckpt };
            var first = RunJson(new[] { "ncsn", "--data", "gaussians8", "--steps", "20" }.Concat(tiny).ToArray());
            Assert.Equal(20, first.GetProperty("steps").GetInt64());
            Assert.Equal(20, first.GetProperty("langevin_steps").GetInt32());
            Assert.True(File.Exists(ckpt) && File.Exists(first.GetProperty("png").GetString()));
            Assert.False(File.Exists(ckpt + ".json"));                       // the settings live inside the checkpoint, under its checksum
            Assert.Contains("\"Levels\":4", Checkpoint.Peek(ckpt).Settings);
            foreach (var key in new[] { "mmd2", "mean_log_density", "ode_nll_nats_per_dim", "seconds" })
                Assert.True(double.IsFinite(first.GetProperty(key).GetDouble()), key);
            var resumed = RunJson(new[] { "ncsn", "--data", "gaussians8", "--steps", "30", "--resume" }.Concat(tiny).ToArray());
            Assert.Equal(20, resumed.GetProperty("start_step").GetInt64());
            Assert.Equal(30, resumed.GetProperty("steps").GetInt64());
            var (code, _, err) = Run("ncsn", "--data", "gaussians8", "--steps", "40", "--resume", "--levels", "6", "--width", "16", "--depth", "1", "--checkpoint", ckpt);
            Assert.Equal(2, code);
            Assert.Contains("Levels=4", err);
            Assert.Contains("Levels=6", err);
            Assert.DoesNotContain("Width", err);                            // only the setting that differs is named
            Assert.Single(err.TrimEnd().Split('\n'));
        }

        [Fact]
        public void Score_sde_runs_each_sampler_on_VE_and_VP_and_the_digits_report_bits_per_dim()
        {
            var ve = RunJson("score-sde", "--sde", "ve", "--weighting", "g2", "--data", "moons", "--steps", "20", "--width", "16", "--depth", "1", "--sampler", "pc", "--sample-steps", "10", "--n", "100");
            Assert.Equal(20, ve.GetProperty("nfe").GetInt32());   // one predictor and one corrector evaluation per step
            Assert.Equal("corrector-first", ve.GetProperty("pc_order").GetString());
            // The paper's order with a fixed corrector step: the last step's corrector is skipped (denoising), so 2·10 − 1 evaluations.
            var paper = RunJson("score-sde", "--sde", "ve", "--weighting", "g2", "--data", "moons", "--steps", "20", "--width", "16", "--depth", "1", "--sampler", "pc", "--sample-steps", "10", "--n", "100",
                "--pc-order", "predictor-first", "--corrector-step", "0.01");
            Assert.Equal(19, paper.GetProperty("nfe").GetInt32());
            Assert.Equal("predictor-first", paper.GetProperty("pc_order").GetString());
            Assert.Equal(0.01, paper.GetProperty("corrector_step").GetDouble());
            Assert.True(double.IsFinite(paper.GetProperty("mmd2").GetDouble()));
            Assert.True(double.IsFinite(ve.GetProperty("mmd2").GetDouble()) && double.IsFinite(ve.GetProperty("ode_nll_nats_per_dim").GetDouble()));
            var vp = RunJson("score-sde", "--sde", "vp", "--weighting", "sigma2", "--data", "moons", "--steps", "20", "--width", "16", "--depth", "1", "--sampler", "ode", "--sample-steps", "5", "--n", "100");
            Assert.Equal(20, vp.GetProperty("nfe").GetInt32());   // RK4: 4 evaluations per step
            var digits = RunJson("score-sde", "--sde", "vp", "--data", "digits", "--steps", "2", "--channels", "8", "--sampler", "em", "--sample-steps", "5", "--n", "16");
            Assert.Equal(16, digits.GetProperty("n").GetInt32());
            double bits = digits.GetProperty("ode_bits_per_dim").GetDouble();
            Assert.Equal(digits.GetProperty("ode_nll_nats_per_dim").GetDouble() / System.Math.Log(2) + 3, bits, 9);
            Assert.True(File.Exists(digits.GetProperty("png").GetString()));
            var (code, _, err) = Run("score-sde", "--sde", "subvp");
            Assert.Equal(2, code);
            Assert.Contains("vp, ve", err);
        }
    }
}
