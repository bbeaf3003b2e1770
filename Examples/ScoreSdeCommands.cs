using System;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using Dsl.Examples.Experiments;
using Dsl.Networks;
using Dsl.Sampling;
using Dsl.Training;

namespace Dsl.Examples
{
    /// <summary>`dsl ncsn` and `dsl score-sde`: neural score networks trained by multi-scale and continuous-time DSM, then sampled and evaluated.</summary>
    internal static class ScoreSdeCommands
    {
        public static Command[] Build(GalleryOptions o) => new[] { NcsnCommand(o), ScoreSdeCommand(o) };

        private static Option<string?> Checkpoint() => new("--checkpoint") { Description = "Checkpoint file (default: --out/<command>-<data>.ckpt); it stores its settings and a checksum." };
        private static Option<bool> Resume() => new("--resume") { Description = "Continue training from --checkpoint to --steps (same settings required); then sample and evaluate." };

        private static Command NcsnCommand(GalleryOptions o)
        {
            var data = new Option<string>("--data") { Description = "moons, gaussians8, swissroll or checkerboard, or a .csv/.npy/.npz file of N points [N, D] (D from the file).", DefaultValueFactory = _ => "moons" };
            var standardize = GalleryData.StandardizeOption();
            var steps = new Option<int>("--steps") { Description = "Adam steps (0: sample and evaluate the untrained or resumed network).", DefaultValueFactory = _ => 4000 }.AtLeast(0);
            var batch = new Option<int>("--batch") { Description = "Batch size.", DefaultValueFactory = _ => 256 }.AtLeast(1);
            var lr = new Option<double>("--lr") { Description = "Adam learning rate.", DefaultValueFactory = _ => 2e-3 }.PositiveFinite();
            var levels = new Option<int>("--levels") { Description = "Noise levels L (geometric from --sigma-max to --sigma-min).", DefaultValueFactory = _ => 10 }.InRange(2, 10_000);
            var sigmaMax = new Option<double>("--sigma-max") { Description = "σ₁, about the largest distance between data points.", DefaultValueFactory = _ => 5.0 }.PositiveFinite();
            var sigmaMin = new Option<double>("--sigma-min") { Description = "σ_L.", DefaultValueFactory = _ => 0.01 }.PositiveFinite();
            var width = new Option<int>("--width") { Description = "Hidden width of the TimeMlp.", DefaultValueFactory = _ => 128 }.InRange(1, 4096);
            var depth = new Option<int>("--depth") { Description = "Residual blocks of the TimeMlp.", DefaultValueFactory = _ => 3 }.InRange(0, 64);
            var n = new Option<int>("--n") { Description = "Samples.", DefaultValueFactory = _ => 1000 }.AtLeast(2);
            var epsilon = new Option<double>("--step-eps") { Description = "Annealed Langevin ε: step αᵢ = ε σᵢ²/σ_L² (Algorithm 1).", DefaultValueFactory = _ => 2e-5 }.PositiveFinite();
            var perLevel = new Option<int>("--steps-per-level") { Description = "Langevin steps T at each level.", DefaultValueFactory = _ => 100 }.AtLeast(1);
            var checkpoint = Checkpoint();
            var resume = Resume();
            var command = new Command("ncsn", "A noise-conditional score network (NCSN, Song & Ermon 2019): multi-scale DSM with λ(σ) = σ², annealed Langevin samples, MMD², the ODE likelihood as the VE SDE; scatter PNG.");
            var saveSamples = ShardedRun.SaveSamplesOption();
            foreach (var opt in new Option[] { data, standardize, steps, batch, lr, levels, sigmaMax, sigmaMin, width, depth, n, epsilon, perLevel, checkpoint, resume, saveSamples }) command.Options.Add(opt);
            command.SetAction(r => o.Run("ncsn", r, run =>
            {
                var (opened, dataProblem) = GalleryData.TryOpen(r.GetValue(data)!, ScoreSdeExperiments.ToyNames, r.GetValue(standardize), run.Seed);
                if (opened is null) return SamplingCommands.Fail("ncsn", dataProblem!);
                using var dataSet = opened;
                string d = dataSet.Slug;
                int count = r.GetValue(n), s = r.GetValue(steps), b = r.GetValue(batch), w = r.GetValue(width), dp = r.GetValue(depth);
                if (!(r.GetValue(sigmaMax) > r.GetValue(sigmaMin))) return SamplingCommands.Fail("ncsn", "--sigma-max must exceed --sigma-min, got " + r.GetValue(sigmaMax).ToString(CultureInfo.InvariantCulture) + " ≤ " + r.GetValue(sigmaMin).ToString(CultureInfo.InvariantCulture) + ".");
                if (MemoryBudget.NetworkTraining(false, System.Math.Max(b, count), w, dp, 0) is string tooLarge) return SamplingCommands.Fail("ncsn", tooLarge);
                if (dataSet.BatchProblem(b) is string tooFew) return SamplingCommands.Fail("ncsn", tooFew);
                var config = new NcsnConfig(dataSet.Name, r.GetValue(levels), r.GetValue(sigmaMax), r.GetValue(sigmaMin), w, dp,
                    dataSet.IsFile ? dataSet.Dim : null, dataSet.Standardization);
                var path = r.GetValue(checkpoint) ?? run.Output("ncsn-" + d + ".ckpt");
                if (GalleryOptions.CheckpointProblem("--checkpoint", path, r.GetValue(resume)) is string unusable) return SamplingCommands.Fail("ncsn", unusable);
                ScoreRun result;
                try
                {
                    _ = config.Sigmas;   // validates the levels before training
                    result = ScoreSdeExperiments.Ncsn(config, dataSet, s, b, r.GetValue(lr), path, r.GetValue(resume), count, r.GetValue(epsilon), r.GetValue(perLevel), run.Seed,
                        run.Progress<TrainingProgress>(p => $"train {p.Step}/{p.TotalSteps}, loss {p.Loss:F4}, {p.SamplesPerSecond:F0} samples/s"),
                        run.Progress<SamplerProgress>(p => $"annealed Langevin {p.Step}/{p.TotalSteps}"), run.Cancellation);
                }
                catch (Exception e) when (e is CheckpointException || e is ArgumentException || e is ArithmeticException) { return SamplingCommands.Fail("ncsn", e.Message); }
                string png = Scatter(run.Output($"ncsn-{d}.png"), $"NCSN on {dataSet.DisplayName} (annealed Langevin, {config.Levels}×{r.GetValue(perLevel)} steps)", result, dataSet);
                return run.Finish(new
                {
                    command = "ncsn", data = dataSet.DisplayName, data_set = dataSet.Json(), dim = dataSet.Dim, network = "TimeMlp", levels = config.Levels, sigma_max = config.SigmaMax, sigma_min = config.SigmaMin,
                    steps = result.Steps, start_step = result.StartStep, batch = b, lr = r.GetValue(lr), first_loss = result.FirstLoss, final_loss = result.FinalLoss,
                    train_seconds = result.TrainSeconds, n = result.Samples.Length, langevin_steps = result.SampleNfe, step_eps = r.GetValue(epsilon), sample_seconds = result.SampleSeconds,
                    mmd2 = result.Mmd2, mean_log_density = result.MeanLogDensity, data_mean_log_density = result.DataMeanLogDensity,
                    ode_nll_nats_per_dim = result.OdeNllNatsPerDim, ode_nll_nats = result.OdeNllNatsPerDim * dataSet.Dim, ode_nfe = result.OdeNfe,
                    ode_note = dataSet.IsFile
                        ? "−log p (data units) of up to 500 rows of the file (training rows) under the VE probability flow from √v(ε) = σ_L (exact divergence, RK45 rtol = atol = 1e-3)"
                        : "−log p of 500 fresh data points under the VE probability flow from √v(ε) = σ_L (exact divergence, RK45 rtol = atol = 1e-3)",
                    mmd2_units = dataSet.Standardization is null ? "data" : "standardised",
                    seconds = result.Seconds, checkpoint = Path.GetFullPath(result.Checkpoint), png, samples_npy = ShardedRun.SaveSamplesBeside(png, result.Samples, r.GetValue(saveSamples)),
                }, result.Cancelled);
            }));
            GalleryWeights.AddTo(command);
            return command;
        }

        private static Command ScoreSdeCommand(GalleryOptions o)
        {
            var data = new Option<string>("--data") { Description = "moons, gaussians8, swissroll, checkerboard (TimeMlp), digits (8×8 in [−1, 1], DigitUNet) or a .csv/.npy/.npz file of N points [N, D] (TimeMlp, D from the file).", DefaultValueFactory = _ => "moons" };
            var standardize = GalleryData.StandardizeOption();
            var sde = new Option<string>("--sde") { Description = "vp (β 0.1 → 20) or ve (σ 0.01 → 5 for 2D, → 20 for digits).", DefaultValueFactory = _ => "vp" };
            var weighting = new Option<string>("--weighting") { Description = "g2 (λ = g(t)², likelihood weighting) or sigma2 (λ = σₜ²).", DefaultValueFactory = _ => "sigma2" };
            var loss = new Option<string>("--loss") { Description = "dsm (denoising), ism (implicit: ½‖s‖² + ∇·s, exact divergence by D autograd passes) or ssm (sliced: one Gaussian projection per sample).", DefaultValueFactory = _ => "dsm" };
            var steps = new Option<int?>("--steps") { Description = "Adam steps (default: 4000 for 2D, 1500 for digits)." }.AtLeast(1);
            var batch = new Option<int?>("--batch") { Description = "Batch size (default: 256 for 2D, 64 for digits)." }.AtLeast(1);
            var lr = new Option<double?>("--lr") { Description = "Adam learning rate (default: 2e-3 for 2D, 1e-3 for digits)." }.PositiveFinite();
            var width = new Option<int>("--width") { Description = "2D: hidden width of the TimeMlp.", DefaultValueFactory = _ => 128 }.InRange(1, 4096);
            var depth = new Option<int>("--depth") { Description = "2D: residual blocks of the TimeMlp.", DefaultValueFactory = _ => 3 }.InRange(0, 64);
            var channels = new Option<int>("--channels") { Description = "Digits: channels of the U-Net at 8×8 (multiple of 8).", DefaultValueFactory = _ => 32 }.MultipleOf(8, 8, 512);
            var sampler = new Option<string>("--sampler") { Description = "em (reverse Euler–Maruyama), pc (reverse diffusion + Langevin corrector) or ode (probability flow, RK45).", DefaultValueFactory = _ => "em" };
            var sampleSteps = new Option<int?>("--sample-steps") { Description = "Solver steps (default: em 1000, pc 500, ode adaptive RK45; K: fixed-step RK4)." }.AtLeast(1);
            var n = new Option<int>("--n") { Description = "Samples (digits draw min(n, 64)).", DefaultValueFactory = _ => 1000 }.AtLeast(2);
            var correctorStep = new Option<double?>("--corrector-step") { Description = "For --sampler pc: a fixed Langevin corrector step γ (x ← x + γs + √(2γ)z) instead of the signal-to-noise rule r = 0.16." }.PositiveFinite();
            var pcOrder = new Option<string>("--pc-order") { Description = "For --sampler pc: corrector-first (score_sde's code) or predictor-first (Song et al. 2021 Algorithm 2, the lecture).", DefaultValueFactory = _ => "corrector-first" };
            var checkpoint = Checkpoint();
            var resume = Resume();
            var command = new Command("score-sde", "Continuous-time score matching (denoising, implicit or sliced: --loss) on the DSL's VP/VE SDE (λ = g² or σₜ²): reverse-SDE, PC or ODE samples, MMD², the ODE likelihood (nats/dim; digits bits/dim); PNG.");
            var saveSamples = ShardedRun.SaveSamplesOption();
            foreach (var opt in new Option[] { data, standardize, sde, weighting, loss, steps, batch, lr, width, depth, channels, sampler, sampleSteps, n, correctorStep, pcOrder, checkpoint, resume, saveSamples }) command.Options.Add(opt);
            command.SetAction(r => o.Run("score-sde", r, run =>
            {
                string s = r.GetValue(sde)!.ToLowerInvariant(), w = r.GetValue(weighting)!.ToLowerInvariant(), m = r.GetValue(sampler)!.ToLowerInvariant();
                var (opened, dataProblem) = GalleryData.TryOpen(r.GetValue(data)!, ScoreSdeExperiments.DataNames, r.GetValue(standardize), run.Seed);
                if (opened is null) return SamplingCommands.Fail("score-sde", dataProblem!);
                using var dataSet = opened;
                string d = dataSet.Slug;
                if (s != "vp" && s != "ve") return SamplingCommands.Fail("score-sde", "unknown --sde '" + s + "'; valid: vp, ve.");
                if (w != "g2" && w != "sigma2") return SamplingCommands.Fail("score-sde", "unknown --weighting '" + w + "'; valid: g2, sigma2.");
                if (m != "em" && m != "pc" && m != "ode") return SamplingCommands.Fail("score-sde", "unknown --sampler '" + m + "'; valid: em, pc, ode.");
                string lossName = r.GetValue(loss)!.ToLowerInvariant();
                if (lossName != "dsm" && lossName != "ism" && lossName != "ssm") return SamplingCommands.Fail("score-sde", "unknown --loss '" + lossName + "'; valid: dsm, ism, ssm.");
                string order = r.GetValue(pcOrder)!.ToLowerInvariant();
                if (order != "corrector-first" && order != "predictor-first") return SamplingCommands.Fail("score-sde", "unknown --pc-order '" + order + "'; valid: corrector-first, predictor-first.");
                double? gamma = r.GetValue(correctorStep);
                if (m != "pc" && (gamma.HasValue || order != "corrector-first")) return SamplingCommands.Fail("score-sde", "--corrector-step and --pc-order are for --sampler pc (got --sampler " + m + ").");
                bool digits = dataSet.IsDigits;
                // Absent options take the documented per-data defaults; a given value was checked by its rule and is used as given.
                int stepCount = r.GetValue(steps) ?? (digits ? 1500 : 4000);
                int b = r.GetValue(batch) ?? (digits ? 64 : 256);
                double rate = r.GetValue(lr) ?? (digits ? 1e-3 : 2e-3);
                int count = digits ? System.Math.Min(r.GetValue(n), 64) : r.GetValue(n);
                if (MemoryBudget.NetworkTraining(digits, System.Math.Max(b, count), r.GetValue(width), r.GetValue(depth), r.GetValue(channels)) is string tooLarge)
                    return SamplingCommands.Fail("score-sde", tooLarge);
                if (dataSet.BatchProblem(b) is string tooFew) return SamplingCommands.Fail("score-sde", tooFew);
                var config = new ScoreSdeConfig(dataSet.Name, s, w, digits ? 0 : r.GetValue(width), digits ? 0 : r.GetValue(depth), digits ? r.GetValue(channels) : 0, lossName == "dsm" ? null : lossName,
                    dataSet.IsFile ? dataSet.Dim : null, dataSet.Standardization);
                var path = r.GetValue(checkpoint) ?? run.Output($"score-sde-{s}-{w}-{d}" + (lossName == "dsm" ? "" : "-" + lossName) + ".ckpt");
                if (GalleryOptions.CheckpointProblem("--checkpoint", path, r.GetValue(resume)) is string unusable) return SamplingCommands.Fail("score-sde", unusable);
                ScoreRun result;
                try
                {
                    result = ScoreSdeExperiments.ScoreSde(config, dataSet, stepCount, b, rate, path, r.GetValue(resume), count, m, r.GetValue(sampleSteps) ?? 0, run.Seed,
                        run.Progress<TrainingProgress>(p => $"train {p.Step}/{p.TotalSteps}, loss {p.Loss:F4}, {p.SamplesPerSecond:F0} samples/s"),
                        run.Progress<SamplerProgress>(p => $"{p.Sampler} {p.Step}/{p.TotalSteps}"), run.Cancellation,
                        order == "predictor-first" ? Dsl.Sde.PcOrder.PredictorFirst : Dsl.Sde.PcOrder.CorrectorFirst, gamma);
                }
                catch (Exception e) when (e is CheckpointException || e is ArgumentException || e is ArithmeticException) { return SamplingCommands.Fail("score-sde", e.Message); }
                string title = $"score SDE ({s}, λ = {(w == "g2" ? "g²" : "σ²")}) on {dataSet.DisplayName}, {m} sampler, {result.SampleNfe} evaluations";
                string png = digits
                    ? Plots.ImageGrid(run.Output($"score-sde-{s}-{w}-{d}-{m}.png"), title, result.Samples.Select(img => img.Select(v => System.Math.Clamp((v + 1) / 2, 0, 1)).ToArray()).ToList(), 8, 8, 8)
                    : Scatter(run.Output($"score-sde-{s}-{w}-{d}-{m}.png"), title, result, dataSet);
                return run.Finish(new
                {
                    command = "score-sde", data = dataSet.DisplayName, data_set = dataSet.Json(), dim = dataSet.Dim, sde = s, weighting = w, loss = lossName, network = digits ? "DigitUNet" : "TimeMlp", steps = result.Steps, start_step = result.StartStep,
                    batch = b, lr = rate, first_loss = result.FirstLoss, final_loss = result.FinalLoss, train_seconds = result.TrainSeconds,
                    sampler = m, pc_order = m == "pc" ? order : null, corrector_step = m == "pc" ? gamma : null, n = result.Samples.Length, nfe = result.SampleNfe, sample_seconds = result.SampleSeconds,
                    mmd2 = result.Mmd2, mean_log_density = result.MeanLogDensity, data_mean_log_density = result.DataMeanLogDensity,
                    ode_nll_nats_per_dim = result.OdeNllNatsPerDim, ode_bits_per_dim = result.OdeBitsPerDim, ode_nfe = result.OdeNfe,
                    ode_note = digits ? "50 digits, Hutchinson (Rademacher) divergence, from ε = 1e-5; bits/dim of 17 grey levels (bins 2/16) = nats/ln 2 + 3"
                        : dataSet.IsFile ? "up to 500 rows of the file (training rows), data units, exact divergence, from ε = 1e-5, RK45 rtol = atol = 1e-3 (a density: can be negative)"
                        : "500 fresh data points, exact divergence, from ε = 1e-5, RK45 rtol = atol = 1e-3 (a density: can be negative)",
                    mmd2_units = dataSet.Standardization is null ? "data" : "standardised",
                    seconds = result.Seconds, checkpoint = Path.GetFullPath(result.Checkpoint), png, samples_npy = ShardedRun.SaveSamplesBeside(png, result.Samples, r.GetValue(saveSamples)),
                }, result.Cancelled);
            }));
            GalleryWeights.AddTo(command);
            return command;
        }

        private static string Scatter(string path, string title, ScoreRun result, GalleryData data) =>
            data.PlotRows(path, title, new[] { ("data", result.Data!), ("samples", result.Samples) });
    }
}
