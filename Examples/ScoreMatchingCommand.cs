using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Linq;
using Dsl.Examples.Experiments;
using Dsl.Sampling;
using Dsl.Training;

namespace Dsl.Examples
{
    /// <summary>`dsl score-matching`: fit a model by one of the lectures' objectives and report how well it recovered the truth.</summary>
    internal static class ScoreMatchingCommand
    {
        public static Command Build(GalleryOptions o)
        {
            var loss = new Option<string>("--loss") { Description = "esm, ism, ssm, ssm-vr, dsm or ncsn.", DefaultValueFactory = _ => "ism" };
            var model = new Option<string>("--model") { Description = "gmm (fit a known mixture's means and weights) or ring (NCSN-train the noise-conditional MLP energy, sample by annealed Langevin).", DefaultValueFactory = _ => "gmm" };
            var steps = new Option<int?>("--steps") { Description = "Adam steps (default: 800 for gmm, 2000 for ring)." }.AtLeast(1);
            var resume = new Option<bool>("--resume") { Description = "Continue from the checkpoint in --out if there is one." };
            var data = new Option<string>("--data") { Description = "For --model ring: ring (radius 2, radial noise 0.1) or a .csv/.npy/.npz file of N points [N, D] (the MLP energy takes D from the file).", DefaultValueFactory = _ => "ring" };
            var standardize = GalleryData.StandardizeOption();
            var command = new Command("score-matching", "Learn parameters from samples by explicit, implicit, sliced, denoising or multi-scale (NCSN) score matching.");
            foreach (var opt in new Option[] { loss, model, steps, resume, data, standardize }) command.Options.Add(opt);
            command.SetAction(r => o.Run("score-matching", r, run =>
            {
                var parsed = MixtureFit.Parse(r.GetValue(loss)!);
                if (parsed == null) return SamplingCommands.Fail("score-matching", "unknown --loss '" + r.GetValue(loss) + "'; valid: esm, ism, ssm, ssm-vr, dsm, ncsn.");
                var progress = run.Progress<TrainingProgress>(p => $"step {p.Step}/{p.TotalSteps}, loss {p.Loss:F4}, {p.SamplesPerSecond:F0} samples/s");
                string dataName = r.GetValue(data)!;
                bool ringData = string.Equals(dataName, "ring", StringComparison.OrdinalIgnoreCase);
                switch (r.GetValue(model)!.ToLowerInvariant())
                {
                    case "gmm":
                        if (!ringData || r.GetValue(standardize))
                            return SamplingCommands.Fail("score-matching", "--data and --standardize are for --model ring (the neural energy); --model gmm fits its known mixture.");
                        var checkpoint = run.Output("score-matching-" + MixtureFit.Name(parsed.Value) + ".ckpt");
                        if (GalleryOptions.CheckpointProblem("--out", checkpoint, r.GetValue(resume)) is string missing) return SamplingCommands.Fail("score-matching", missing);
                        return Mixture(run, parsed.Value, r.GetValue(steps) ?? 800, checkpoint, r.GetValue(resume), progress);
                    case "ring":
                        if (parsed != ScoreMatchingLoss.Ncsn) return SamplingCommands.Fail("score-matching", "--model ring trains a noise-conditional energy: use --loss ncsn.");
                        if (r.GetValue(resume)) return SamplingCommands.Fail("score-matching", "--resume: --model ring keeps no checkpoint; run without --resume.");
                        if (ringData && !r.GetValue(standardize)) return Ring(run, r.GetValue(steps) ?? 2000, progress);
                        var (opened, dataProblem) = GalleryData.TryOpen(dataName, new[] { "ring" }, r.GetValue(standardize), run.Seed);
                        if (opened is null) return SamplingCommands.Fail("score-matching", dataProblem!);
                        using (opened) return OnData(run, opened, r.GetValue(steps) ?? 2000, progress);
                    default: return SamplingCommands.Fail("score-matching", "unknown model '" + r.GetValue(model) + "'; valid: gmm, ring.");
                }
            }));
            GalleryWeights.AddTo(command);
            return command;
        }

        private static int Mixture(GalleryRun run, ScoreMatchingLoss loss, int steps, string checkpoint, bool resume, IProgress<TrainingProgress> progress)
        {
            MixtureFitResult r;
            try
            {
                r = MixtureFit.Run(loss, run.Seed, steps, progress: progress, checkpoint: checkpoint,
                    resume: resume, cancellation: run.Cancellation);
            }
            catch (CheckpointException e) { return SamplingCommands.Fail("score-matching", e.Message); }
            var curve = Plots.Line(run.Output("score-matching-" + r.Loss + "-loss.png"), $"{r.Loss.ToUpperInvariant()} loss", "step", "loss",
                new[] { (r.Loss, Enumerable.Range(1, r.LossHistory.Count).Select(i => (double)i).ToArray(), r.LossHistory.ToArray()) });
            var means = Plots.Scatter(run.Output("score-matching-" + r.Loss + "-means.png"), $"{r.Loss.ToUpperInvariant()}: fitted means (mean error {r.MeanError:F3})",
                new[]
                {
                    ("data", Data(run.Seed, 0), Data(run.Seed, 1)),
                    ("true means", Column(r.TrueMeans, 0), Column(r.TrueMeans, 1)),
                    ("fitted means", Column(r.FittedMeans, 0), Column(r.FittedMeans, 1)),
                });
            return run.Finish(new
            {
                command = "score-matching", loss = r.Loss, model = "gmm", steps = r.Steps,
                final_loss = r.FinalLoss, mean_error = r.MeanError, initial_mean_error = r.InitialMeanError, weight_error = r.WeightError,
                fitted_weights = r.FittedWeights, fitted_sigma = r.FittedSigma, true_sigma = MixtureFit.TrueSigma,
                seconds = r.Seconds, loss_png = curve, means_png = means,
            }, r.Steps < steps);
        }

        private static int Ring(GalleryRun run, int steps, IProgress<TrainingProgress> progress)
        {
            var r = RingFit.Run(run.Seed, steps, progress: progress, sampling: run.Progress<SamplerProgress>(p => $"sampling step {p.Step}/{p.TotalSteps}"), cancellation: run.Cancellation);
            var png = Plots.Scatter(run.Output("score-matching-ring.png"), $"NCSN-trained MLP energy, annealed Langevin samples (mean |r − 2| = {r.MeanRadiusError:F3})",
                new[] { ("data", r.DataXs, r.DataYs), ("samples", r.SampleXs, r.SampleYs) }, -3.5, 3.5, -3.5, 3.5);
            var curve = Plots.Line(run.Output("score-matching-ring-loss.png"), "NCSN loss", "step", "loss",
                new[] { ("ncsn", Enumerable.Range(1, r.LossHistory.Count).Select(i => (double)i).ToArray(), r.LossHistory.ToArray()) });
            return run.Finish(new
            {
                command = "score-matching", loss = "ncsn", model = "ring", steps = r.Steps, final_loss = r.FinalLoss,
                mean_radius_error = r.MeanRadiusError, fraction_on_ring = r.FractionOnRing, untrained_mean_radius_error = r.UntrainedMeanRadiusError,
                seconds = r.Seconds, samples_png = png, loss_png = curve,
            }, r.Steps < steps);
        }

        private static int OnData(GalleryRun run, GalleryData dataSet, int steps, IProgress<TrainingProgress> progress)
        {
            var r = RingFit.RunOnData(dataSet, run.Seed, steps, samples: 500, progress: progress, sampling: run.Progress<SamplerProgress>(p => $"sampling step {p.Step}/{p.TotalSteps}"), cancellation: run.Cancellation);
            var png = dataSet.PlotRows(run.Output($"score-matching-{dataSet.Slug}.png"), $"NCSN-trained MLP energy on {dataSet.DisplayName}, annealed Langevin samples (MMD² {r.Mmd2:F4})",
                new[] { ("data", r.Data), ("samples", r.Samples) });
            return run.Finish(new
            {
                command = "score-matching", loss = "ncsn", model = "ring", data = dataSet.DisplayName, data_set = dataSet.Json(), dim = dataSet.Dim, steps = r.Steps, final_loss = r.FinalLoss,
                mmd2 = r.Mmd2, mmd2_units = dataSet.Standardization is null ? "data" : "standardised", seconds = r.Seconds, samples_png = png,
            }, r.Steps < steps);
        }

        private static double[] Data(long seed, int column)
        {
            using var g = new TorchSharp.torch.Generator((ulong)seed + 99);
            using var x = MixtureFit.SampleMixture(1000, g);
            return ModeWeighting.Column(x, column);
        }

        private static double[] Column(double[,] a, int c) => Enumerable.Range(0, a.GetLength(0)).Select(i => a[i, c]).ToArray();
    }
}
