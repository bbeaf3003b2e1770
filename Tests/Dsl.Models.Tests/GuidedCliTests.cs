using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using Dsl.Training;

namespace Dsl.Models.Tests
{
    /// <summary>`dsl guided` and `dsl inpaint` with tiny budgets: the JSON contract, the cached models, clear failures.</summary>
    [Collection("Console")]
    public class GuidedCliTests
    {
        private static readonly string OutDir = Path.Combine(Path.GetTempPath(), "dsl-guided-cli-" + Guid.NewGuid().ToString("N"));

        private static (int Code, string Out, string Err) Run(params string[] args) => Gallery.Run(args.Concat(new[] { "--json", "--out", OutDir }).ToArray());

        private static JsonElement RunJson(params string[] args) => Gallery.RunJson(args.Concat(new[] { "--out", OutDir }).ToArray());

        private static readonly string[] Tiny = { "--train-steps", "3", "--classifier-steps", "4", "--T", "100" };

        [Fact]
        public void Guided_trains_once_then_both_methods_and_inpainting_reuse_the_models()
        {
            var ckpt = Path.Combine(OutDir, "tiny.ckpt");
            var classifier = RunJson(new[] { "guided", "--digit", "7", "--scale", "2", "--steps", "3", "--n", "8", "--checkpoint", ckpt }.Concat(Tiny).ToArray());
            Assert.True(classifier.GetProperty("trained").GetBoolean());
            Assert.Equal(0.1, classifier.GetProperty("chance").GetDouble());
            Assert.InRange(classifier.GetProperty("target_class_rate").GetDouble(), 0, 1);
            Assert.Equal(3, classifier.GetProperty("nfe").GetInt32());
            Assert.True(File.Exists(classifier.GetProperty("png").GetString()));
            Assert.True(File.Exists(ckpt) && File.Exists(ckpt + ".classifier.ckpt") && File.Exists(ckpt + ".judge.ckpt"));
            Assert.False(File.Exists(ckpt + ".json"));                       // the settings live inside each checkpoint, under its checksum

            var free = RunJson(new[] { "guided", "--method", "free", "--digit", "7", "--steps", "3", "--n", "8", "--checkpoint", ckpt }.Concat(Tiny).ToArray());
            Assert.False(free.GetProperty("trained").GetBoolean());
            Assert.Equal(3, free.GetProperty("nfe").GetInt32());

            var inpaint = RunJson(new[] { "inpaint", "--mask", "center", "--steps", "4", "--resample", "2", "--n", "6", "--checkpoint", ckpt }.Concat(Tiny).ToArray());
            Assert.False(inpaint.GetProperty("trained").GetBoolean());
            Assert.Equal(16.0 / 64, inpaint.GetProperty("missing_fraction").GetDouble(), 9);
            Assert.Equal(3 * 2 + 1, inpaint.GetProperty("nfe").GetInt32());
            Assert.True(double.IsFinite(inpaint.GetProperty("masked_mse").GetDouble()) && double.IsFinite(inpaint.GetProperty("unconditional_masked_mse").GetDouble()));
            Assert.True(File.Exists(inpaint.GetProperty("png").GetString()));

            // Loading the set as another architecture names both settings.
            var (code, _, err) = Run(new[] { "guided", "--channels", "24", "--steps", "3", "--n", "4", "--checkpoint", ckpt }.Concat(Tiny).ToArray());
            Assert.Equal(2, code);
            Assert.Contains("Channels=16", err);
            Assert.Contains("Channels=24", err);
        }

        [Fact]
        public void Bad_options_fail_with_the_valid_choices()
        {
            var (code, _, err) = Run("guided", "--method", "magic");
            Assert.Equal(2, code);
            Assert.Contains("classifier, free", err);
            (code, _, err) = Run("guided", "--digit", "12");
            Assert.Equal(2, code);
            Assert.Contains("0…9", err);
            (code, _, err) = Run("inpaint", "--mask", "diagonal");
            Assert.Equal(2, code);
            Assert.Contains("left, right, top, bottom, center, random", err);
        }
    }
}
