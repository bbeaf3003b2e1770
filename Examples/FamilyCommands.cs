using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Linq;
using Dsl.Examples.Experiments;
using Dsl.Families;
using Dsl.Flows;
using Dsl.Models;
using Dsl.Models.Data;
using Dsl.Training;

namespace Dsl.Examples
{
    /// <summary>`dsl vae`, `dsl gan`, `dsl planar-flow`, `dsl cnf`: the rest of the lectures' generative families (issue 10).</summary>
    internal static class FamilyCommands
    {
        public static IEnumerable<Command> Build(GalleryOptions o)
        {
            yield return PlanarFlow(o);
            yield return Vae(o);
            yield return Gan(o);
            yield return Cnf(o);
        }

        /// <summary>
        /// The family runs draw their data, latents and weights with CPU generators and have not been run on a GPU, so rather than
        /// ignore --device cuda they refuse it: exit 2 with one line, never a silent CPU run.
        /// </summary>
        private static int? CpuOnly(string command, GalleryRun run) =>
            run.Device.type == TorchSharp.DeviceType.CPU ? null
            : SamplingCommands.Fail(command, "--device " + run.Device + " is not supported: the VAE, GAN, planar-flow and CNF runs are CPU-only (use --device cpu).");

        private static Command PlanarFlow(GalleryOptions o)
        {
            var target = new Option<string>("--target") { Description = "banana or ring (Rezende & Mohamed's U₁).", DefaultValueFactory = _ => "banana" };
            var layers = new Option<int>("--layers") { Description = "Planar layers K.", DefaultValueFactory = _ => 16 }.InRange(1, 256);
            var steps = new Option<int>("--steps") { Description = "Adam steps on the reverse KL (0: evaluate the untrained flow).", DefaultValueFactory = _ => 1500 }.AtLeast(0);
            var batch = new Option<int>("--batch") { Description = "Base draws per step.", DefaultValueFactory = _ => 256 }.AtLeast(1);
            var command = new Command("planar-flow", "Fit a stack of planar flows (generated log-determinants) to a 2D density by reverse KL: KL(q‖p) before and after, density PNGs.");
            foreach (var opt in new Option[] { target, layers, steps, batch }) command.Options.Add(opt);
            command.SetAction(r => o.Run("planar-flow", r, run =>
            {
                if (CpuOnly("planar-flow", run) is int refused) return refused;
                string t = r.GetValue(target)!;
                if (!TargetDensities.Names.Contains(t)) return SamplingCommands.Fail("planar-flow", "unknown --target '" + t + "'; valid: " + string.Join(", ", TargetDensities.Names) + ".");
                int k = r.GetValue(layers), s = r.GetValue(steps), b = r.GetValue(batch);
                // Each planar layer keeps its [batch, 2] output and log-determinant terms for the backward pass, float64, about four per layer.
                if (MemoryBudget.Refusal("--batch " + b + " with --layers " + k, (double)b * 2 * k, 8, 4) is string tooLarge) return SamplingCommands.Fail("planar-flow", tooLarge);
                PlanarFlowRun result;
                try
                {
                    result = FamilyRuns.PlanarFlow(t, k, s, b, 0.01, run.Seed, run.Output($"planar-{t}.ckpt"),
                        run.Progress<TrainingProgress>(p => $"step {p.Step}/{p.TotalSteps}, E_q[log q + E] {p.Loss:F3}"), run.Cancellation);
                }
                catch (TrainingDivergedException ex) { return SamplingCommands.Fail("planar-flow", ex.Message); }
                var targetPng = FamilyPlots.Density(run.Output($"planar-{t}-target.png"), $"target exp(−E)/Z ({t})", result.TargetDensity, result.Extent);
                var flowPng = FamilyPlots.Density(run.Output($"planar-{t}-flow.png"), $"{k} planar layers: KL(q‖p) = {result.KlAfter:F3} nats", result.FlowDensity, result.Extent);
                return run.Finish(new
                {
                    command = "planar-flow", target = t, layers = k, steps = result.Steps, log_z = result.LogPartition,
                    kl_before = result.KlBefore, kl = result.KlAfter, kl_standard_error = result.KlStandardError, seconds = result.Seconds,
                    target_png = targetPng, flow_png = flowPng,
                }, result.Cancelled);
            }));
            GalleryWeights.AddTo(command);
            return command;
        }

        private static Command Vae(GalleryOptions o)
        {
            var likelihood = new Option<string>("--likelihood") { Description = "bernoulli (binarised digits) or gaussian (pixels in [0, 1]).", DefaultValueFactory = _ => "bernoulli" };
            var latent = new Option<int>("--latent") { Description = "Latent dimension L.", DefaultValueFactory = _ => 8 }.InRange(1, 64);
            var hidden = new Option<int>("--hidden") { Description = "Hidden width of encoder and decoder.", DefaultValueFactory = _ => 128 }.InRange(1, 2048);
            var steps = new Option<int>("--steps") { Description = "Adam steps (batches of 128; 0: evaluate the untrained or resumed model).", DefaultValueFactory = _ => 2000 }.AtLeast(0);
            var resume = new Option<bool>("--resume") { Description = "Continue from the checkpoint in --out." };
            var conditional = new Option<bool>("--conditional")
            {
                Description = "Train the conditional VAE q(z|x, y), p(x|z, y) on the digits and their labels; draw requested digits and judge them with dsl guided's clean classifier.",
            };
            var digit = new Option<int?>("--digit") { Description = "With --conditional: draw only this digit (default: all ten)." }.InRange(0, 9);
            var perDigit = new Option<int?>("--samples") { Description = "With --conditional: samples drawn per requested digit (default 100)." }.InRange(1, 10_000);
            var judgeSteps = new Option<int?>("--judge-steps") { Description = "With --conditional: Adam steps of the clean judge when it is trained (default 500, dsl guided's)." }.InRange(1, 100_000);
            var command = new Command("vae", "Train a VAE on the digits by the ELBO (closed-form KL, reparameterisation); test ELBO, KL and IWAE_K bounds in nats, sample PNGs. "
                + "--conditional: the conditional VAE, its samples of each digit judged by a clean classifier.");
            var saveSamples = ShardedRun.SaveSamplesOption();
            var vaeData = new Option<string>("--data") { Description = "digits, or a .csv/.npy/.npz file of N points [N, D] (needs --likelihood gaussian; a fifth of the rows, at most 500, held out for the test bounds).", DefaultValueFactory = _ => "digits" };
            var standardize = GalleryData.StandardizeOption();
            foreach (var opt in new Option[] { likelihood, latent, hidden, steps, resume, conditional, digit, perDigit, judgeSteps, vaeData, standardize, saveSamples }) command.Options.Add(opt);
            command.SetAction(r => o.Run("vae", r, run =>
            {
                if (CpuOnly("vae", run) is int refused) return refused;
                string l = r.GetValue(likelihood)!.ToLowerInvariant();
                if (l != "bernoulli" && l != "gaussian") return SamplingCommands.Fail("vae", "unknown --likelihood '" + l + "'; valid: bernoulli, gaussian.");
                int z = r.GetValue(latent), h = r.GetValue(hidden), s = r.GetValue(steps);
                if (r.GetValue(conditional) && (r.GetValue(vaeData) != "digits" || r.GetValue(standardize)))
                    return SamplingCommands.Fail("vae", "--conditional trains on the digits and their labels; it takes no --data file or --standardize.");
                if (r.GetValue(conditional))
                    return ConditionalVae(run, l, z, h, s, r.GetValue(resume), r.GetValue(digit), r.GetValue(perDigit) ?? 100, r.GetValue(judgeSteps) ?? GuidedExperiments.JudgeSteps(1000));
                if (r.GetValue(digit) != null || r.GetValue(perDigit) != null || r.GetValue(judgeSteps) != null)
                    return SamplingCommands.Fail("vae", "--digit, --samples and --judge-steps apply only with --conditional.");
                string dataValue = r.GetValue(vaeData)!;
                bool onFile = dataValue != "digits";
                if (onFile && l != "gaussian") return SamplingCommands.Fail("vae", "--data " + dataValue + ": a data file needs --likelihood gaussian (the Bernoulli decoder is for the binarised digits).");
                GalleryData? dataSet = null;
                if (onFile || r.GetValue(standardize))
                {
                    var (opened, dataProblem) = GalleryData.TryOpen(dataValue, new[] { "digits" }, r.GetValue(standardize), run.Seed, holdOut: true);
                    if (opened is null) return SamplingCommands.Fail("vae", dataProblem!);
                    dataSet = opened;
                    if (dataSet.Test is null)
                    {
                        string name = dataSet.DisplayName;
                        dataSet.Dispose();
                        return SamplingCommands.Fail("vae", name + ": 1 row; the VAE holds a fifth of the rows out for the test bounds, so it needs at least 2.");
                    }
                }
                using var ownedData = dataSet;
                string tag = dataSet is null ? l : l + "-" + dataSet.Slug;
                var checkpoint = run.Output($"vae-{tag}-{z}.ckpt");
                if (GalleryOptions.CheckpointProblem("--out", checkpoint, r.GetValue(resume)) is string missing) return SamplingCommands.Fail("vae", missing);
                VaeRun result;
                try
                {
                    var kind = l == "bernoulli" ? VaeLikelihood.Bernoulli : VaeLikelihood.Gaussian;
                    var progress = run.Progress<TrainingProgress>(p => $"step {p.Step}/{p.TotalSteps}, −ELBO {p.Loss:F2} nats");
                    result = dataSet is null ? FamilyRuns.Vae(kind, z, h, s, run.Seed, checkpoint, r.GetValue(resume), progress, run.Cancellation)
                        : FamilyRuns.Vae(dataSet, kind, z, h, s, run.Seed, checkpoint, r.GetValue(resume), progress, run.Cancellation);
                }
                catch (TrainingDivergedException ex) { return SamplingCommands.Fail("vae", ex.Message); }
                catch (CheckpointException ex) { return SamplingCommands.Fail("vae", ex.Message); }
                string samples, recon;
                if (dataSet is null)
                {
                    samples = Plots.ImageGrid(run.Output($"vae-{l}-samples.png"), $"VAE ({l}, L = {z}): decoder means for z ~ N(0, I)", result.Samples, 8, 8, 8);
                    recon = Plots.ImageGrid(run.Output($"vae-{l}-reconstructions.png"), "test digits (rows 1–4) and their reconstructions (rows 5–8)",
                        result.Originals.Concat(result.Reconstructions).ToList(), 8, 8, 8);
                }
                else
                {
                    samples = dataSet.PlotRows(run.Output($"vae-{tag}-samples.png"), $"VAE ({l}, L = {z}) on {dataSet.DisplayName}: held-out rows and decoder means for z ~ N(0, I)",
                        new[] { ("held-out rows", result.Originals), ("decoder means", result.Samples) });
                    recon = dataSet.PlotRows(run.Output($"vae-{tag}-reconstructions.png"), $"held-out rows of {dataSet.DisplayName} and their reconstructions",
                        new[] { ("held-out rows", result.Originals), ("reconstructions", result.Reconstructions) });
                }
                return run.Finish(new
                {
                    command = "vae", likelihood = l, data = dataSet?.DisplayName ?? "digits", data_set = dataSet?.Json(), dim = dataSet?.Dim ?? Dsl.Models.Data.Digits.Pixels,
                    latent = z, hidden = h, steps = result.Steps,
                    train_elbo = result.TrainElbo, test_elbo = result.TestElbo, test_reconstruction = result.TestReconstruction, test_kl = result.TestKl,
                    test_iwae = result.TestIwae.Select(b => new { k = b.K, bound = b.Bound, standard_error = b.StandardError }).ToArray(),
                    seconds = result.Seconds, samples_png = samples, reconstructions_png = recon, samples_npy = ShardedRun.SaveSamplesBeside(samples, result.Samples, r.GetValue(saveSamples)),
                }, result.Cancelled);
            }));
            GalleryWeights.AddTo(command);
            return command;
        }

        /// <summary>`dsl vae --conditional`: the conditional VAE, its samples of each requested digit judged by the clean classifier.</summary>
        private static int ConditionalVae(GalleryRun run, string l, int z, int h, int s, bool resume, int? digit, int perDigit, int judgeSteps)
        {
            var checkpoint = run.Output($"vae-conditional-{l}-{z}.ckpt");
            if (GalleryOptions.CheckpointProblem("--out", checkpoint, resume) is string missing) return SamplingCommands.Fail("vae", missing);
            var digits = digit is int d ? new[] { d } : Enumerable.Range(0, 10).ToArray();
            ConditionalVaeRun result;
            try
            {
                result = FamilyRuns.ConditionalVae(l == "bernoulli" ? VaeLikelihood.Bernoulli : VaeLikelihood.Gaussian, z, h, s, digits, perDigit, judgeSteps, run.Seed, checkpoint, resume,
                    run.Output($"digit-judge-{judgeSteps}-seed{run.Seed}.ckpt"), run.Progress<TrainingProgress>(p => $"step {p.Step}/{p.TotalSteps}, loss {p.Loss:F3}"), run.Cancellation);
            }
            catch (TrainingDivergedException ex) { return SamplingCommands.Fail("vae", ex.Message); }
            catch (CheckpointException ex) { return SamplingCommands.Fail("vae", ex.Message); }
            var samples = Plots.ImageGrid(run.Output($"vae-conditional-{l}-samples.png"),
                $"conditional VAE ({l}, L = {z}): decoder means for z ~ N(0, I), one row per digit {string.Join(",", digits)}", result.Grid, 8, 8, result.GridColumns);
            return run.Finish(new
            {
                command = "vae", conditional = true, likelihood = l, latent = z, hidden = h, steps = result.Steps,
                train_elbo = result.TrainElbo, test_elbo = result.TestElbo, test_reconstruction = result.TestReconstruction, test_kl = result.TestKl,
                samples_per_digit = perDigit,
                digits = result.PerDigit.Select(p => new { digit = p.Digit, accuracy = p.Accuracy, standard_error = p.StandardError }).ToArray(),
                accuracy = result.Accuracy, accuracy_standard_error = result.StandardError, chance = 0.1,
                judge_test_accuracy = result.JudgeTestAccuracy, judge_steps = judgeSteps, judge_trained = result.JudgeTrained,
                seconds = result.Seconds, samples_png = samples,
            }, result.Cancelled);
        }

        private static Command Gan(GalleryOptions o)
        {
            var data = new Option<string>("--data") { Description = "gaussians8 (or eight-gaussians), moons, ring, swissroll, checkerboard, digits (the 8×8 digits in [0, 1]; latent 16), or a .csv/.npy/.npz file of N points [N, D] (latent D).", DefaultValueFactory = _ => "gaussians8" };
            var standardize = GalleryData.StandardizeOption();
            var loss = new Option<string>("--loss") { Description = "ns (non-saturating −log D(G(z))) or minimax (log(1 − D(G(z)))).", DefaultValueFactory = _ => "ns" };
            var steps = new Option<int>("--steps") { Description = "Alternating steps (0: evaluate the untrained networks).", DefaultValueFactory = _ => 2000 }.AtLeast(0);
            var rate = new Option<double>("--learning-rate") { Description = "Adam learning rate of both networks (β₁ = 0.5).", DefaultValueFactory = _ => 1e-3 };
            var command = new Command("gan", "Train a GAN on a 2D toy set (or the digits): discriminator and generator losses, mean D(real) and D(fake), V(D, G) vs −log 4, modes covered; scatter PNG.");
            var saveSamples = ShardedRun.SaveSamplesOption();
            foreach (var opt in new Option[] { data, standardize, loss, steps, rate, saveSamples }) command.Options.Add(opt);
            command.SetAction(r => o.Run("gan", r, run =>
            {
                if (CpuOnly("gan", run) is int refused) return refused;
                string l = r.GetValue(loss)!.ToLowerInvariant();
                var (opened, dataProblem) = GalleryData.TryOpen(r.GetValue(data)!, FamilyRuns.GanDataNames, r.GetValue(standardize), run.Seed, digitsScale: Dsl.Models.Data.PixelScale.UnitInterval);
                if (opened is null) return SamplingCommands.Fail("gan", dataProblem!);
                using var dataSet = opened;
                string d = dataSet.Slug;
                if (dataSet.BatchProblem(256, null) is string tooFew) return SamplingCommands.Fail("gan", tooFew);
                if (l != "ns" && l != "minimax") return SamplingCommands.Fail("gan", "unknown --loss '" + l + "'; valid: ns, minimax.");
                if (!(r.GetValue(rate) > 0 && r.GetValue(rate) < 1))
                    return SamplingCommands.Fail("gan", "--learning-rate must lie in (0, 1), got " + r.GetValue(rate).ToString(System.Globalization.CultureInfo.InvariantCulture) + ".");
                GanRun result;
                try
                {
                    result = FamilyRuns.Gan(dataSet, l == "ns", r.GetValue(steps), run.Seed,
                        run.Progress<(long Step, long Total, double DLoss, double GLoss)>(p => $"step {p.Step}/{p.Total}, D loss {p.DLoss:F3}, G loss {p.GLoss:F3}"), run.Cancellation,
                        run.Output($"gan-{d}.ckpt"), r.GetValue(rate));
                }
                catch (TrainingDivergedException ex) { return SamplingCommands.Fail("gan", ex.Message); }
                var scatter = dataSet.IsDigits
                    ? Plots.ImageGrid(run.Output("gan-digits.png"), $"GAN ({result.Loss}) on the digits: G(z), z ~ N(0, I₁₆)", result.Fake, 8, 8, 8)
                    : dataSet.PlotRows(run.Output($"gan-{d}.png"), $"GAN ({result.Loss}) on {(dataSet.IsFile ? dataSet.DisplayName : d)}: data and G(z)",
                        new[] { ("data", result.Real), ("G(z)", result.Fake) });
                return run.Finish(new
                {
                    command = "gan", data = dataSet.IsFile ? dataSet.DisplayName : d, data_set = dataSet.Json(), dim = dataSet.Dim, loss = result.Loss, steps = result.Steps, // --steps 0 has no losses: null, not NaN (which JSON cannot hold).
                    discriminator_loss = double.IsNaN(result.DiscriminatorLoss) ? (double?)null : result.DiscriminatorLoss,
                    generator_loss = double.IsNaN(result.GeneratorLoss) ? (double?)null : result.GeneratorLoss,
                    mean_d_real = result.MeanDReal, mean_d_fake = result.MeanDFake, discriminator_gap = result.MeanDReal - result.MeanDFake,
                    value = result.ValueEstimate, value_at_optimum = -System.Math.Log(4), modes_covered = result.ModesCovered, high_quality_fraction = result.HighQualityFraction,
                    mmd2_before = result.Mmd2Before, mmd2 = result.Mmd2, mmd2_units = dataSet.Standardization is null ? "data" : "standardised", mean_error_before = result.MeanErrorBefore, mean_error = result.MeanError,
                    seconds = result.Seconds, scatter_png = scatter, samples_npy = ShardedRun.SaveSamplesBeside(scatter, result.Fake, r.GetValue(saveSamples)),
                }, result.Cancelled);
            }));
            GalleryWeights.AddTo(command);
            return command;
        }

        private static Command Cnf(GalleryOptions o)
        {
            var data = new Option<string>("--data") { Description = "moons, gaussians8, ring, swissroll, checkerboard, or a .csv/.npy/.npz file of N points [N, D] (a fifth of the rows, at most 500, held out for the test NLL).", DefaultValueFactory = _ => "moons" };
            var standardize = GalleryData.StandardizeOption();
            var steps = new Option<int>("--steps") { Description = "Adam steps of maximum likelihood (batches of 128; 0: evaluate the untrained flow).", DefaultValueFactory = _ => 200 }.AtLeast(0);
            var command = new Command("cnf", "Train a continuous normalising flow by maximum likelihood on a 2D toy set: test NLL (exact and Hutchinson divergence), NFE, sample PNG.");
            var saveSamples = ShardedRun.SaveSamplesOption();
            foreach (var opt in new Option[] { data, standardize, steps, saveSamples }) command.Options.Add(opt);
            command.SetAction(r => o.Run("cnf", r, run =>
            {
                if (CpuOnly("cnf", run) is int refused) return refused;
                var (opened, dataProblem) = GalleryData.TryOpen(r.GetValue(data)!, FamilyRuns.FlowDataNames, r.GetValue(standardize), run.Seed, holdOut: true);
                if (opened is null) return SamplingCommands.Fail("cnf", dataProblem!);
                using var dataSet = opened;
                string d = dataSet.Slug;
                if (dataSet.Test is null && dataSet.IsFile) return SamplingCommands.Fail("cnf", dataSet.DisplayName + ": 1 row; the CNF holds a fifth of the rows out for the test NLL, so it needs at least 2.");
                CnfRun result;
                try
                {
                    result = FamilyRuns.Cnf(dataSet, r.GetValue(steps), run.Seed, run.Output($"cnf-{d}.ckpt"),
                        run.Progress<TrainingProgress>(p => $"step {p.Step}/{p.TotalSteps}, NLL {p.Loss:F3} nats"), run.Cancellation);
                }
                catch (TrainingDivergedException ex) { return SamplingCommands.Fail("cnf", ex.Message); }
                var scatter = dataSet.PlotRows(run.Output($"cnf-{d}.png"), $"CNF on {(dataSet.IsFile ? dataSet.DisplayName : d)}: data and samples (test NLL {result.TestNll:F3} nats)",
                    new[] { ("data", result.Data2D), ("samples", result.Samples) });
                return run.Finish(new
                {
                    command = "cnf", data = dataSet.IsFile ? dataSet.DisplayName : d, data_set = dataSet.Json(), dim = dataSet.Dim, steps = result.Steps, test_nll_before = result.TestNllBefore, test_nll = result.TestNll,
                    test_nll_hutchinson = result.TestNllHutchinson, nfe = result.Nfe, nfe_hutchinson = result.NfeHutchinson, sample_nfe = result.SampleNfe,
                    seconds = result.Seconds, scatter_png = scatter, samples_npy = ShardedRun.SaveSamplesBeside(scatter, result.Samples, r.GetValue(saveSamples)),
                }, result.Cancelled);
            }));
            GalleryWeights.AddTo(command);
            return command;
        }
    }
}
