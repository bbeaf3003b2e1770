using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using Dsl.Training;

namespace Dsl.Models.Tests
{
    /// <summary>`dsl ddpm schedule|train|sample` with tiny step counts: the JSON contract, files written, clear failures.</summary>
    [Collection("Console")]
    public class DdpmCliTests
    {
        private static readonly string OutDir = Path.Combine(Path.GetTempPath(), "dsl-ddpm-cli-" + Guid.NewGuid().ToString("N"));

        private static (int Code, string Out, string Err) Run(params string[] args) => Gallery.Run(args.Concat(new[] { "--json", "--out", OutDir }).ToArray());

        private static JsonElement RunJson(params string[] args) => Gallery.RunJson(args.Concat(new[] { "--out", OutDir }).ToArray());

        [Fact]
        public void Schedule_reports_the_table_ends_and_writes_the_CSV()
        {
            var linear = RunJson("ddpm", "schedule", "--schedule", "linear");
            Assert.Equal(4.0358e-5, linear.GetProperty("alpha_bar_T").GetDouble(), 1e-8);
            Assert.Equal(0.0, linear.GetProperty("posterior_variance_1").GetDouble());
            var csv = File.ReadAllLines(linear.GetProperty("csv").GetString()!);
            Assert.Equal(1001, csv.Length);
            Assert.StartsWith("t,tau,beta,alpha,alpha_bar", csv[0]);
            var cosine = RunJson("ddpm", "schedule", "--schedule", "cosine");
            Assert.True(cosine.GetProperty("alpha_bar_T").GetDouble() < 1e-6);
            var (code, _, err) = Run("ddpm", "schedule", "--schedule", "quadratic");
            Assert.Equal(2, code);
            Assert.Contains("linear, cosine", err);
        }

        [Fact]
        public void Train_then_sample_a_2D_model_with_each_sampler_and_the_digits()
        {
            var ckpt = Path.Combine(OutDir, "moons.ckpt");
            var train = RunJson("ddpm", "train", "--data", "moons", "--steps", "30", "--T", "100", "--width", "32", "--depth", "1", "--checkpoint", ckpt);
            Assert.Equal(30, train.GetProperty("steps").GetInt64());
            Assert.True(File.Exists(ckpt));
            Assert.False(File.Exists(ckpt + ".json"));                       // the settings live inside the checkpoint, under its checksum
            Assert.Contains("\"Schedule\":\"linear\"", Checkpoint.Peek(ckpt).Settings);
            foreach (var (sampler, nfe) in new[] { ("ancestral", 100), ("ddim", 10), ("ode", 8 * 4) })
            {
                // Ancestral without --steps: all T steps (Algorithm 2); a given --steps must be at least 1.
                var steps = sampler == "ancestral" ? Array.Empty<string>() : new[] { "--steps", sampler == "ddim" ? "10" : "8" };
                var r = RunJson(new[] { "ddpm", "sample", "--checkpoint", ckpt, "--sampler", sampler, "--n", "200" }.Concat(steps).ToArray());
                Assert.Equal(nfe, r.GetProperty("nfe").GetInt32());
                Assert.True(double.IsFinite(r.GetProperty("vlb_bits_per_dim").GetDouble()));
                Assert.True(double.IsFinite(r.GetProperty("ode_bits_per_dim").GetDouble()));
                Assert.True(r.GetProperty("mmd2").GetDouble() > -0.1);
                Assert.True(File.Exists(r.GetProperty("png").GetString()));
                Assert.True(r.GetProperty("seconds").GetDouble() > 0);
            }
            // Resuming with another schedule is refused, naming both.
            var (code, _, err) = Run("ddpm", "train", "--data", "moons", "--steps", "40", "--T", "100", "--width", "32", "--depth", "1", "--schedule", "cosine", "--checkpoint", ckpt, "--resume");
            Assert.Equal(2, code);
            Assert.Contains("linear", err);
            Assert.Contains("cosine", err);

            var digits = Path.Combine(OutDir, "digits.ckpt");
            RunJson("ddpm", "train", "--data", "digits", "--steps", "3", "--T", "50", "--channels", "8", "--checkpoint", digits);
            var d = RunJson("ddpm", "sample", "--checkpoint", digits, "--sampler", "ddim", "--steps", "5", "--n", "16");
            Assert.Equal(16, d.GetProperty("n").GetInt32());
            Assert.True(d.GetProperty("vlb_bits_per_dim").GetDouble() > 0);
            Assert.True(new FileInfo(d.GetProperty("png").GetString()!).Length > 1000);
        }

        [Fact]
        public void Train_a_learned_variance_by_the_hybrid_loss_and_sample_with_it_reporting_the_bound_under_each_variance()
        {
            var ckpt = Path.Combine(OutDir, "moons-learned.ckpt");
            var train = RunJson("ddpm", "train", "--data", "moons", "--steps", "20", "--T", "50", "--width", "32", "--depth", "1", "--variance", "learned", "--loss", "hybrid", "--checkpoint", ckpt);
            Assert.Equal("learned", train.GetProperty("variance").GetString());
            Assert.Equal("hybrid", train.GetProperty("loss").GetString());
            Assert.Contains("\"Variance\":\"learned\"", Checkpoint.Peek(ckpt).Settings);
            // The sample command reads the variance from the checkpoint: the ancestral sampler and the reported bound use it.
            var r = RunJson("ddpm", "sample", "--checkpoint", ckpt, "--sampler", "ancestral", "--n", "100");
            Assert.Equal("learned", r.GetProperty("variance").GetString());
            Assert.Equal(50, r.GetProperty("nfe").GetInt32());
            var byVariance = r.GetProperty("vlb_by_variance");
            foreach (var name in new[] { "fixed-small", "fixed-large", "learned" })
                Assert.True(double.IsFinite(byVariance.GetProperty(name).GetProperty("bits_per_dim").GetDouble()), name);
            Assert.Equal(byVariance.GetProperty("learned").GetProperty("bits_per_dim").GetDouble(), r.GetProperty("vlb_bits_per_dim").GetDouble());
            // A fixed-variance checkpoint reports no learned bound; eq. 12's weighted loss trains.
            var fixedLarge = Path.Combine(OutDir, "moons-vlb.ckpt");
            RunJson("ddpm", "train", "--data", "moons", "--steps", "5", "--T", "50", "--width", "32", "--depth", "1", "--variance", "fixed-large", "--loss", "vlb", "--checkpoint", fixedLarge);
            var f = RunJson("ddpm", "sample", "--checkpoint", fixedLarge, "--sampler", "ddim", "--steps", "5", "--n", "50");
            Assert.False(f.GetProperty("vlb_by_variance").TryGetProperty("learned", out _));
            Assert.Equal(f.GetProperty("vlb_by_variance").GetProperty("fixed-large").GetProperty("bits_per_dim").GetDouble(), f.GetProperty("vlb_bits_per_dim").GetDouble());
            // learned with L_simple, and unknown values, are refused with exit 2 and one line naming the option.
            var (code, _, err) = Run("ddpm", "train", "--data", "moons", "--steps", "5", "--variance", "learned", "--loss", "simple");
            Assert.Equal(2, code);
            Assert.Contains("--loss hybrid or --loss vlb", err);
            (code, _, err) = Run("ddpm", "train", "--data", "moons", "--steps", "5", "--variance", "huge");
            Assert.Equal(2, code);
            Assert.Contains("fixed-small, fixed-large, learned", err);
            (code, _, err) = Run("ddpm", "train", "--data", "moons", "--steps", "5", "--loss", "kl");
            Assert.Equal(2, code);
            Assert.Contains("simple, hybrid, vlb", err);
        }
    }
}
