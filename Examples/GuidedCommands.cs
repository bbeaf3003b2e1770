using System;
using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using System.Linq;
using Dsl.Examples.Experiments;
using Dsl.Sampling;
using Dsl.Training;

namespace Dsl.Examples
{
    /// <summary>`dsl guided` and `dsl inpaint`: conditional generation on the 8×8 digits (issue 7).</summary>
    internal static class GuidedCommands
    {
        public static IEnumerable<Command> Build(GalleryOptions o)
        {
            yield return GuidedCommand(o);
            yield return InpaintCommand(o);
        }

        /// <summary>The training options both commands share (the models are trained once and cached beside --checkpoint).</summary>
        private sealed class TrainingOptions
        {
            public Option<string?> Checkpoint { get; } = new("--checkpoint") { Description = "Denoiser checkpoint (default --out/guided-digits.ckpt); the classifiers sit beside it (.classifier.ckpt, .judge.ckpt). Loaded when present, trained otherwise." };
            public Option<int> TrainSteps { get; } = new Option<int>("--train-steps") { Description = "Adam steps of the conditional U-Net denoiser.", DefaultValueFactory = _ => 1200 }.AtLeast(1);
            public Option<int> ClassifierSteps { get; } = new Option<int>("--classifier-steps") { Description = "Adam steps of the noisy classifier (the clean judge gets half).", DefaultValueFactory = _ => 1000 }.AtLeast(1);
            public Option<int> Channels { get; } = new Option<int>("--channels") { Description = "Channels of the U-Net at 8×8 (multiple of 8).", DefaultValueFactory = _ => 16 }.MultipleOf(8, 8, 512);
            public Option<double> DropLabel { get; } = new("--p-uncond") { Description = "Label dropout into the null label while training (classifier-free guidance).", DefaultValueFactory = _ => 0.2 };
            public Option<int> T { get; } = new Option<int>("--T") { Description = "Diffusion steps T (linear schedule).", DefaultValueFactory = _ => 1000 }.InRange(2, 100_000);

            public IEnumerable<Option> All => new Option[] { Checkpoint, TrainSteps, ClassifierSteps, Channels, DropLabel, T };

            public string? Validate(ParseResult r)
            {
                double p = r.GetValue(DropLabel);
                if (!(p > 0 && p < 1)) return "--p-uncond must lie in (0, 1) (the null label must be trained), got " + p.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".";
                var checkpoint = r.GetValue(Checkpoint);
                return checkpoint == null ? null : GalleryOptions.CheckpointProblem("--checkpoint", checkpoint, resume: false);
            }

            public GuidedConfig Config(ParseResult r) =>
                new("linear", r.GetValue(T), r.GetValue(Channels), r.GetValue(DropLabel), r.GetValue(TrainSteps), r.GetValue(ClassifierSteps), 128);

            public GuidedModels Models(ParseResult r, GalleryRun run) =>
                GuidedExperiments.TrainOrLoad(Config(r), r.GetValue(Checkpoint) ?? run.Output("guided-digits.ckpt"), run.Seed,
                    run.Progress<TrainingProgress>(p => $"training: step {p.Step}/{p.TotalSteps}, loss {p.Loss:F4}"), run.Cancellation);
        }

        private static Command GuidedCommand(GalleryOptions o)
        {
            var t = new TrainingOptions();
            var digit = new Option<int>("--digit") { Description = "The requested class 0…9.", DefaultValueFactory = _ => 3 }.InRange(0, 9);
            var scale = new Option<double>("--scale") { Description = "Guidance scale: γ for classifier guidance, w for classifier-free ((1+w)ε(x,y) − wε(x,∅)).", DefaultValueFactory = _ => 2 };
            var method = new Option<string>("--method") { Description = "classifier (∇log p(y|xₜ) of a noisy classifier) or free (classifier-free).", DefaultValueFactory = _ => "classifier" };
            var sampler = new Option<string>("--sampler") { Description = "ddim (η = 0, --steps) or ancestral (all T steps).", DefaultValueFactory = _ => "ddim" };
            var steps = new Option<int>("--steps") { Description = "DDIM steps K (1…T).", DefaultValueFactory = _ => 50 }.AtLeast(1);
            var n = new Option<int>("--n") { Description = "Samples (the grid shows up to 64).", DefaultValueFactory = _ => 64 }.InRange(1, 4096);
            var command = new Command("guided", "Conditional digits: classifier guidance or classifier-free guidance; target_class_rate by an independent clean classifier, against the unconditional model.");
            foreach (var opt in t.All.Concat(new Option[] { digit, scale, method, sampler, steps, n })) command.Options.Add(opt);
            command.SetAction(r => o.Run("guided", r, run =>
            {
                string m = r.GetValue(method)!.ToLowerInvariant(), s = r.GetValue(sampler)!.ToLowerInvariant();
                int d = r.GetValue(digit), k = r.GetValue(steps), count = r.GetValue(n);
                double g = r.GetValue(scale);
                if (m != "classifier" && m != "free") return SamplingCommands.Fail("guided", "unknown --method '" + m + "'; valid: classifier, free.");
                if (s != "ddim" && s != "ancestral") return SamplingCommands.Fail("guided", "unknown --sampler '" + s + "'; valid: ddim, ancestral.");
                if (!(g >= 0) || double.IsInfinity(g)) return SamplingCommands.Fail("guided", "--scale must be a finite number ≥ 0.");
                if (t.Validate(r) is string error) return SamplingCommands.Fail("guided", error);
                if (s == "ddim" && k > r.GetValue(t.T)) return SamplingCommands.Fail("guided", "--steps must lie in 1…T = " + r.GetValue(t.T) + ", got " + k + ".");
                GuidedModels models;
                GuidedRun result;
                try
                {
                    models = t.Models(r, run);
                    if (models.Cancelled) return run.Finish(new { command = "guided", cancelled_while = "training", train_seconds = models.TrainSeconds }, true);
                    result = GuidedExperiments.Guided(models, m, d, g, s, s == "ancestral" ? models.Schedule.Steps : k, count, run.Seed,
                        run.Progress<SamplerProgress>(p => $"sampling: step {p.Step}/{p.TotalSteps}"), run.Cancellation);
                }
                catch (Exception e) when (e is CheckpointException || e is ArgumentException || e is ArithmeticException) { return SamplingCommands.Fail("guided", e.Message); }
                string png = Plots.ImageGrid(run.Output($"guided-{m}-digit{d}-scale{g.ToString(System.Globalization.CultureInfo.InvariantCulture)}.png"),
                    $"{(m == "free" ? "classifier-free" : "classifier")} guidance, digit {d}, scale {g.ToString(System.Globalization.CultureInfo.InvariantCulture)}: {result.TargetClassRate:P0} judged {d}",
                    result.Samples.Take(64).Select(img => img.Select(v => System.Math.Clamp((v + 1) / 2, 0, 1)).ToArray()).ToList(), 8, 8, 8);
                return run.Finish(new
                {
                    command = "guided", method = m, digit = d, scale = g, sampler = s, n = result.Samples.Length, nfe = result.Nfe,
                    target_class_rate = result.TargetClassRate, chance = 0.1, unconditional_target_rate = result.UnconditionalTargetRate,
                    guiding_classifier_rate = result.GuidingClassifierRate,
                    judge = "independent TimeClassifier trained on clean training digits only (not the guiding classifier)",
                    judge_test_accuracy = result.JudgeTestAccuracy, noisy_classifier_test_accuracy = result.ClassifierTestAccuracy,
                    trained = result.Trained, train_seconds = result.TrainSeconds, sample_seconds = result.SampleSeconds,
                    seconds = result.TrainSeconds + result.SampleSeconds, png,
                }, result.Cancelled);
            }));
            return command;
        }

        private static Command InpaintCommand(GalleryOptions o)
        {
            var t = new TrainingOptions();
            var mask = new Option<string>("--mask") { Description = "Missing region: left, right, top, bottom (halves), center (4×4) or random (each pixel with probability ½).", DefaultValueFactory = _ => "left" };
            var steps = new Option<int>("--steps") { Description = "Reverse steps K (0: all T, Algorithm 2's grid).", DefaultValueFactory = _ => 100 }.AtLeast(0);
            var resample = new Option<int>("--resample") { Description = "RePaint resampling: attempts per step (1: plain replacement).", DefaultValueFactory = _ => 1 }.InRange(1, 100);
            var n = new Option<int>("--n") { Description = "Held-out digits to inpaint (≤ 297; the PNG shows up to 16).", DefaultValueFactory = _ => 64 }.InRange(1, GuidedExperiments.HeldOut);
            var command = new Command("inpaint", "Inpaint held-out digits by conditioning the reverse process of the unconditional model (replacement / RePaint); masked MSE against unconditional samples.");
            foreach (var opt in t.All.Concat(new Option[] { mask, steps, resample, n })) command.Options.Add(opt);
            command.SetAction(r => o.Run("inpaint", r, run =>
            {
                string m = r.GetValue(mask)!.ToLowerInvariant();
                int k = r.GetValue(steps), u = r.GetValue(resample), count = r.GetValue(n);
                if (!GuidedExperiments.Masks.Contains(m)) return SamplingCommands.Fail("inpaint", "unknown --mask '" + m + "'; valid: " + string.Join(", ", GuidedExperiments.Masks) + ".");
                if (k > r.GetValue(t.T)) return SamplingCommands.Fail("inpaint", "--steps must lie in 0…T = " + r.GetValue(t.T) + ", got " + k + ".");
                if (t.Validate(r) is string error) return SamplingCommands.Fail("inpaint", error);
                InpaintRun result;
                try
                {
                    var models = t.Models(r, run);
                    if (models.Cancelled) return run.Finish(new { command = "inpaint", cancelled_while = "training", train_seconds = models.TrainSeconds }, true);
                    result = GuidedExperiments.Inpaint(models, m, count, k, u, run.Seed, run.Progress<SamplerProgress>(p => $"inpainting: step {p.Step}/{p.TotalSteps}"), run.Cancellation);
                }
                catch (Exception e) when (e is CheckpointException || e is ArgumentException || e is ArithmeticException) { return SamplingCommands.Fail("inpaint", e.Message); }
                static double[] Pixels(double[] img) => img.Select(v => double.IsNaN(v) ? double.NaN : System.Math.Clamp((v + 1) / 2, 0, 1)).ToArray();
                var tiles = new List<double[]>();
                for (int i = 0; i < System.Math.Min(16, result.Count); i++)
                {
                    tiles.Add(Pixels(result.Originals[i]));
                    tiles.Add(Pixels(result.Masks[i]));
                    tiles.Add(Pixels(result.Inpainted[i]));
                }
                string png = Plots.ImageGrid(run.Output($"inpaint-{m}.png"), $"inpainting ({m} missing): original | observed | inpainted; masked MSE {result.InpaintedMse:F3} vs unconditional {result.UnconditionalMse:F3}",
                    tiles, 8, 8, 6);
                return run.Finish(new
                {
                    command = "inpaint", mask = m, n = result.Count, missing_fraction = result.MissingFraction, steps = k, resample = u, nfe = result.Nfe,
                    masked_mse = result.InpaintedMse, unconditional_masked_mse = result.UnconditionalMse, mean_image_masked_mse = result.MeanFillMse,
                    mse_note = "mean squared error over the missing pixels only, pixels in [-1, 1]; unconditional = samples of the same network without the observation",
                    trained = result.Trained, train_seconds = result.TrainSeconds, sample_seconds = result.SampleSeconds, seconds = result.TrainSeconds + result.SampleSeconds, png,
                }, result.Cancelled);
            }));
            return command;
        }
    }
}
