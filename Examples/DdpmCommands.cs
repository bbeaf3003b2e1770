using System;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text;
using Dsl.Examples.Experiments;
using Dsl.Networks;
using Dsl.Sampling;
using Dsl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Examples
{
    /// <summary>`dsl ddpm schedule|train|sample`: Ho et al.'s DDPM end to end on 2D toys and the 8×8 digits.</summary>
    internal static class DdpmCommands
    {
        public static Command Build(GalleryOptions o)
        {
            var ddpm = new Command("ddpm", "Denoising diffusion probabilistic models: schedules, training (L_simple), ancestral/DDIM/ODE sampling, the bound and the ODE likelihood.");
            ddpm.Subcommands.Add(ScheduleCommand(o));
            ddpm.Subcommands.Add(TrainCommand(o));
            ddpm.Subcommands.Add(SampleCommand(o));
            return ddpm;
        }

        private static Option<int> StepsT() => new Option<int>("--T") { Description = "Diffusion steps T.", DefaultValueFactory = _ => 1000 }.InRange(2, 100_000);

        private static Command ScheduleCommand(GalleryOptions o)
        {
            var schedule = new Option<string>("--schedule") { Description = "linear (Ho et al., the discretised VP SDE) or cosine (Nichol & Dhariwal).", DefaultValueFactory = _ => "linear" };
            var T = StepsT();
            var command = new Command("schedule", "The schedule's tables in float64 (β, ᾱ, √ᾱ, √(1−ᾱ), posterior coefficients and variance, SDE time τ) as CSV in --out.");
            command.Options.Add(schedule);
            command.Options.Add(T);
            command.SetAction(r => o.Run("ddpm schedule", r, run =>
            {
                string name = r.GetValue(schedule)!.ToLowerInvariant();
                int steps = r.GetValue(T);
                var s = DdpmExperiments.Schedule(name, steps);
                if (s is null) return SamplingCommands.Fail("ddpm schedule", "unknown --schedule '" + name + "'; valid: linear, cosine.");
                var csv = new StringBuilder("t,tau,beta,alpha,alpha_bar,sqrt_alpha_bar,sqrt_one_minus_alpha_bar,posterior_mean_coef1,posterior_mean_coef2,posterior_variance,posterior_log_variance_clipped\n");
                for (int i = 0; i < s.Steps; i++)
                    csv.AppendLine(string.Join(",", new[] { s.Times[i], s.Betas[i], s.Alphas[i], s.AlphaBars[i], s.SqrtAlphaBars[i], s.SqrtOneMinusAlphaBars[i], s.PosteriorMeanCoef1[i],
                        s.PosteriorMeanCoef2[i], s.PosteriorVariance[i], s.PosteriorLogVarianceClipped[i] }.Select(v => v.ToString("R", CultureInfo.InvariantCulture)).Prepend((i + 1).ToString(CultureInfo.InvariantCulture))));
                var path = run.Output($"ddpm-schedule-{name}-{steps}.csv");
                File.WriteAllText(path, csv.ToString());
                return run.Finish(new
                {
                    command = "ddpm schedule", schedule = name, T = steps, sde = s.Sde.SdeName, beta_1 = s.Betas[0], beta_T = s.Betas[^1],
                    alpha_bar_T = s.AlphaBars[^1], posterior_variance_1 = s.PosteriorVariance[0], posterior_variance_2 = s.PosteriorVariance[1],
                    posterior_log_variance_clipped_1 = s.PosteriorLogVarianceClipped[0], tau_1 = s.Times[0], tau_T = s.Times[^1], csv = Path.GetFullPath(path),
                }, false);
            }));
            return command;
        }

        private static Command TrainCommand(GalleryOptions o)
        {
            var data = new Option<string>("--data") { Description = "moons, gaussians8, swissroll, checkerboard (2D, TimeMlp), digits (8×8 in [−1, 1], DigitUNet) or a .csv/.npy/.npz file of N points [N, D] (TimeMlp, D from the file).", DefaultValueFactory = _ => "moons" };
            var standardize = GalleryData.StandardizeOption();
            var steps = new Option<int?>("--steps") { Description = "Adam steps (default: 4000 for 2D, 1500 for digits)." }.AtLeast(1);
            var schedule = new Option<string>("--schedule") { Description = "linear or cosine.", DefaultValueFactory = _ => "linear" };
            var T = StepsT();
            var batch = new Option<int?>("--batch") { Description = "Batch size (default: 256 for 2D, 64 for digits)." }.AtLeast(1);
            var lr = new Option<double?>("--lr") { Description = "Adam learning rate (default: 2e-3 for 2D, 1e-3 for digits)." }.PositiveFinite();
            var width = new Option<int>("--width") { Description = "2D: hidden width of the TimeMlp.", DefaultValueFactory = _ => 128 }.InRange(1, 4096);
            var depth = new Option<int>("--depth") { Description = "2D: residual blocks of the TimeMlp.", DefaultValueFactory = _ => 3 }.InRange(0, 64);
            var channels = new Option<int>("--channels") { Description = "Digits: channels of the U-Net at 8×8 (multiple of 8).", DefaultValueFactory = _ => 32 }.MultipleOf(8, 8, 512);
            var checkpoint = new Option<string?>("--checkpoint") { Description = "Checkpoint file (default: --out/ddpm-<data>.ckpt); it stores its settings and a checksum." };
            var resume = new Option<bool>("--resume") { Description = "Continue from --checkpoint (same settings required)." };
            var variance = new Option<string>("--variance") { Description = "Reverse variance: fixed-small (β̃ₜ), fixed-large (βₜ) or learned (Nichol & Dhariwal: exp(v log β + (1−v) log β̃), v a second network output).", DefaultValueFactory = _ => "fixed-small" };
            var loss = new Option<string>("--loss") { Description = "simple (L_simple), hybrid (L_simple + 0.001 L_vlb, mean detached in L_vlb) or vlb (L_vlb; eq. 12's weighted ε-loss for a fixed variance). learned needs hybrid or vlb.", DefaultValueFactory = _ => "simple" };
            var command = new Command("train", "Train a noise network by Ho et al.'s Algorithm 1 (L_simple), Nichol & Dhariwal's hybrid loss or L_vlb, with Adam and an EMA of the weights; atomic checkpoints, --resume.");
            foreach (var opt in new Option[] { data, standardize, steps, schedule, T, batch, lr, width, depth, channels, checkpoint, resume, variance, loss }) command.Options.Add(opt);
            command.SetAction(r => o.Run("ddpm train", r, run =>
            {
                string s = r.GetValue(schedule)!.ToLowerInvariant();
                if (s != "linear" && s != "cosine") return SamplingCommands.Fail("ddpm train", "unknown --schedule '" + s + "'; valid: linear, cosine.");
                string v = r.GetValue(variance)!.ToLowerInvariant(), l = r.GetValue(loss)!.ToLowerInvariant();
                if (DdpmExperiments.ParseVariance(v) is null) return SamplingCommands.Fail("ddpm train", "unknown --variance '" + v + "'; valid: " + string.Join(", ", DdpmExperiments.VarianceNames) + ".");
                if (DdpmExperiments.ParseLoss(l) is null) return SamplingCommands.Fail("ddpm train", "unknown --loss '" + l + "'; valid: " + string.Join(", ", DdpmExperiments.LossNames) + ".");
                if (DdpmExperiments.CombinationProblem(v, l) is string combination) return SamplingCommands.Fail("ddpm train", combination);
                var (opened, dataProblem) = GalleryData.TryOpen(r.GetValue(data)!, DdpmExperiments.DataNames, r.GetValue(standardize), run.Seed);
                if (opened is null) return SamplingCommands.Fail("ddpm train", dataProblem!);
                using var dataSet = opened;
                string d = dataSet.Slug;
                bool digits = dataSet.IsDigits;
                // Absent options take the documented per-data defaults; a given value was checked by its rule and is used as given.
                int n = r.GetValue(steps) ?? (digits ? 1500 : 4000);
                int b = r.GetValue(batch) ?? (digits ? 64 : 256);
                double rate = r.GetValue(lr) ?? (digits ? 1e-3 : 2e-3);
                int t = r.GetValue(T);
                if (dataSet.BatchProblem(b) is string tooFew) return SamplingCommands.Fail("ddpm train", tooFew);
                var config = new DdpmConfig(dataSet.Name, s, t, digits ? 0 : r.GetValue(width), digits ? 0 : r.GetValue(depth), digits ? r.GetValue(channels) : 0, v, l,
                    dataSet.IsFile ? dataSet.Dim : null, dataSet.Standardization);
                if (MemoryBudget.NetworkTraining(digits, b, r.GetValue(width), r.GetValue(depth), r.GetValue(channels)) is string tooLarge) return SamplingCommands.Fail("ddpm train", tooLarge);
                var path = r.GetValue(checkpoint) ?? run.Output("ddpm-" + d + ".ckpt");
                if (GalleryOptions.CheckpointProblem("--checkpoint", path, r.GetValue(resume)) is string unusable) return SamplingCommands.Fail("ddpm train", unusable);
                DdpmTrainRun result;
                try
                {
                    result = DdpmExperiments.Train(config, dataSet, n, b, rate, path, r.GetValue(resume), run.Seed,
                        run.Progress<TrainingProgress>(p => $"step {p.Step}/{p.TotalSteps}, loss {p.Loss:F4}, {p.SamplesPerSecond:F0} samples/s"), run.Cancellation);
                }
                catch (Exception e) when (e is CheckpointException || e is ArgumentException || e is TrainingDivergedException) { return SamplingCommands.Fail("ddpm train", e.Message); }
                return run.Finish(new
                {
                    command = "ddpm train", data = dataSet.DisplayName, data_set = dataSet.Json(), dim = dataSet.Dim, schedule = s, T = t, variance = v, loss = l, network = digits ? "DigitUNet" : "TimeMlp", steps = result.Steps, start_step = result.StartStep,
                    batch = b, lr = rate, first_loss = result.FirstLoss, final_loss = result.FinalLoss, seconds = result.Seconds, checkpoint = Path.GetFullPath(result.Checkpoint),
                }, result.Cancelled);
            }));
            GalleryWeights.AddTo(command);
            return command;
        }

        private static Command SampleCommand(GalleryOptions o)
        {
            var checkpoint = new Option<string>("--checkpoint") { Description = "A checkpoint written by `dsl ddpm train`.", Required = true };
            var sampler = new Option<string>("--sampler") { Description = "ancestral (Algorithm 2), ddim (η = 0) or ode (probability flow).", DefaultValueFactory = _ => "ddim" };
            var steps = new Option<int?>("--steps") { Description = "Steps K: ancestral all T by default (K < T: the ancestral step on a sub-sequence), ddim 50, ode adaptive RK45 (K: fixed-step RK4)." }.AtLeast(1);
            var n = new Option<int>("--n") { Description = "Samples (2D; digits draw min(n, 64)).", DefaultValueFactory = _ => 1000 }.AtLeast(2);
            var command = new Command("sample", "Sample a trained DDPM (the ancestral sampler with the checkpoint's variance, learned or fixed); report the variational bound under each variance and the probability-flow likelihood (bits/dim) and, for 2D, the MMD to fresh data; PNGs.");
            foreach (var opt in new Option[] { checkpoint, sampler, steps, n }) command.Options.Add(opt);
            var shards = new ShardOptions();
            shards.AddTo(command);
            command.SetAction(r => o.Run("ddpm sample", r, run =>
            {
                string m = r.GetValue(sampler)!.ToLowerInvariant();
                if (m != "ancestral" && m != "ddim" && m != "ode") return SamplingCommands.Fail("ddpm sample", "unknown --sampler '" + m + "'; valid: ancestral, ddim, ode.");
                // No --steps: the sampler's default (0 tells DdpmExperiments.Sample to use it).
                int k = r.GetValue(steps) ?? 0, count = r.GetValue(n);
                var path = r.GetValue(checkpoint)!;
                if (!File.Exists(path)) return SamplingCommands.Fail("ddpm sample", "--checkpoint: there is no checkpoint at '" + path + "'; train one with `dsl ddpm train`.");
                // The samples, noise and the network's activations (width 128 at most for 2D, the U-Net for the digits): a few
                // hundred float32 values per sample, 64 for each live [n, D] buffer; 2D runs keep n, digits at most 64.
                if (MemoryBudget.Refusal("--n " + count, count * 64.0, 4, 64) is string tooLarge) return SamplingCommands.Fail("ddpm sample", tooLarge);
                if (Shard.TryParse(r.GetValue(shards.ShardOption), out var shard) is string badShard) return SamplingCommands.Fail("ddpm sample", badShard);
                bool digits;
                try { digits = DdpmExperiments.StoredConfig(path).Config.IsDigits; }
                catch (Exception e) when (e is CheckpointException || e is ArgumentException) { return SamplingCommands.Fail("ddpm sample", e.Message); }
                var config = new DdpmSampleConfig(Path.GetFullPath(path), m, k, digits ? System.Math.Min(count, 64) : count);
                var progress = run.Progress<SamplerProgress>(p => $"step {p.Step}/{p.TotalSteps}");
                try
                {
                    return ShardedRun.Execute(run, DdpmSampleCommand.Instance, config, new RowBlocks(config.N, r.GetValue(shards.Block)), shard, r.GetValue(shards.SaveSamples), (block, start, rows, seed) =>
                    {
                        var chains = DdpmExperiments.SampleChains(config.Checkpoint, m, k, rows, seed, progress, run.Cancellation);
                        var output = new BlockOutput { Cancelled = chains.Cancelled };
                        output.Rows["samples"] = chains.Samples;
                        output.Counters["nfe"] = chains.Nfe;
                        output.Counters["seconds"] = chains.Seconds;
                        return output;
                    });
                }
                catch (Exception e) when (e is CheckpointException || e is ArgumentException || e is ArithmeticException || e is Dsl.Data.DataFileException) { return SamplingCommands.Fail("ddpm sample", e.Message); }
            }));
            return command;
        }
    }

    /// <summary>The configuration of a `dsl ddpm sample` run: the checkpoint (a full path: the merge reloads it to evaluate), the sampler, K and n.</summary>
    internal sealed record DdpmSampleConfig(string Checkpoint, string Sampler, int Steps, int N);

    /// <summary>`dsl ddpm sample` as blocks of chains; the evaluation (MMD, bounds, ODE likelihood on held-out data) runs once on the joined samples.</summary>
    internal sealed class DdpmSampleCommand : ShardableCommand
    {
        public static readonly DdpmSampleCommand Instance = new();

        public override string Name => "ddpm sample";

        public override object Summarise(JsonElement configJson, RunRows rows, GalleryRun run, long seed, bool saveSamples)
        {
            var config = configJson.Deserialize<DdpmSampleConfig>()!;
            string m = config.Sampler;
            var samplesTensor = rows.Array("samples")!;
            var result = DdpmExperiments.Evaluate(config.Checkpoint, m, samplesTensor, (int)rows.Counters["nfe"].Max(), rows.Sum("seconds"), seed, rows.Cancelled);
            var c = result.Config;
            using var dataSet = GalleryData.Reopen(c.Data, c.Standardize, c.Dim, seed);
            string png = c.IsDigits
                ? Plots.ImageGrid(run.Output($"ddpm-{c.Data}-{m}.png"), $"DDPM on the digits ({m}, {result.Nfe} network evaluations)",
                    result.Samples.Select(img => img.Select(v => System.Math.Clamp((v + 1) / 2, 0, 1)).ToArray()).ToList(), 8, 8, 8)
                : dataSet.PlotRows(run.Output($"ddpm-{dataSet.Slug}-{m}.png"), $"DDPM on {dataSet.DisplayName} ({m}, {result.Nfe} network evaluations)",
                    new[] { ("data", result.Data!), ("samples", result.Samples) });
            // The samples in data units (a standardised file's mapped back), as the plot and the JSON report them.
            using var dataUnits = tensor(result.Samples.SelectMany(row => row).ToArray(), new long[] { result.Samples.Length, c.Dim }, ScalarType.Float64);
            string? samplesFile = ShardedRun.SaveSamples(run, $"ddpm-{(c.IsDigits ? c.Data : dataSet.Slug)}-{m}.npy", dataUnits, saveSamples);
            return new
            {
                command = "ddpm sample", data = dataSet.DisplayName, data_set = dataSet.Json(), dim = c.Dim, schedule = c.Schedule, T = c.T, variance = c.Variance, loss = c.Loss, sampler = m, n = result.Samples.Length, nfe = result.Nfe,
                vlb_bits_per_dim = result.VlbBitsPerDim, vlb_standard_error = result.VlbStandardError,
                vlb_by_variance = result.VlbByVariance.ToDictionary(b => b.Variance, b => new { bits_per_dim = b.BitsPerDim, standard_error = b.StandardError }), ode_bits_per_dim = result.OdeBitsPerDim, ode_nfe = result.OdeNfe,
                bits_per_dim_note = c.IsDigits ? "probability of 17 grey levels in [-1, 1] (bins 2/16); VLB with the discretised decoder, ODE + log2(16/2)"
                    : dataSet.IsFile ? "density of the file's rows in data units (nats/ln 2, can be negative); evaluated on up to 500 training rows" : "density of continuous 2D data (nats/ln 2, can be negative)",
                mmd2_units = dataSet.Standardization is null ? "data" : "standardised",
                sample_mean = Enumerable.Range(0, c.Dim).Select(j => result.Samples.Average(p => p[j])).ToArray(),   // data units: a standardised run's samples mapped back
                mmd2 = result.Mmd2, mean_log_density = result.Gaussians8LogDensity, data_mean_log_density = result.DataGaussians8LogDensity,
                sample_seconds = result.SampleSeconds, seconds = result.Seconds, blocks = rows.Counters["nfe"].Length, png, samples_npy = samplesFile,
            };
        }
    }
}
