using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using Dsl.Diffusion;
using Dsl.Models;
using Dsl.Models.Data;
using Dsl.Networks;
using Dsl.Sampling;
using Dsl.Sde;
using Dsl.Solvers;
using Dsl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Examples.Experiments
{
    /// <summary>What a DDPM checkpoint was trained as; stored inside it as its settings (under its checksum) and in the network's name.</summary>
    /// <summary>
    /// Variance: fixed-small (σₜ² = β̃ₜ), fixed-large (βₜ) or learned (Nichol &amp; Dhariwal's interpolation); Loss: simple, hybrid
    /// or vlb. Checkpoints written before these existed read as fixed-small and simple. DataDim and Standardize are set for a data file
    /// (its D and the standardisation, if any) and null, so not written, for the built-in sets.
    /// </summary>
    internal sealed record DdpmConfig(string Data, string Schedule, int T, int Width, int Depth, int Channels, string Variance = "fixed-small", string Loss = "simple",
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] int? DataDim = null, [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] Standardization? Standardize = null)
    {
        public bool IsDigits => Data == "digits";
        public bool LearnsVariance => Variance == "learned";
        public ReverseVariance ReverseVariance => DdpmExperiments.ParseVariance(Variance) ?? throw new ArgumentException("unknown variance '" + Variance + "'.");
        public DdpmLoss LossKind => DdpmExperiments.ParseLoss(Loss) ?? throw new ArgumentException("unknown loss '" + Loss + "'.");
        public int Dim => DataDim ?? (IsDigits ? 64 : 2);
        public string Tag => FormattableString.Invariant($"data={Data},schedule={Schedule},T={T}");
    }

    internal sealed record DdpmTrainRun(DdpmConfig Config, long Steps, long StartStep, double FirstLoss, double FinalLoss, double Seconds, string Checkpoint, bool Cancelled);

    /// <summary>The bound in bits per dimension with its standard error under one reverse variance.</summary>
    internal sealed record VarianceBound(string Variance, double BitsPerDim, double StandardError);

    internal sealed record DdpmSampleRun(DdpmConfig Config, string Sampler, int Nfe, double[][] Samples, double[][]? Data,
        double VlbBitsPerDim, double VlbStandardError, VarianceBound[] VlbByVariance, double OdeBitsPerDim, int OdeNfe, double? Mmd2, double? Gaussians8LogDensity, double? DataGaussians8LogDensity,
        double SampleSeconds, double Seconds, bool Cancelled);

    /// <summary>`dsl ddpm`: schedules, training (Algorithm 1 through the Trainer) and sampling with the bound and the ODE likelihood.</summary>
    internal static class DdpmExperiments
    {
        public static readonly string[] DataNames = Toy2D.Names.Append("digits").ToArray();

        /// <summary>The values of --variance and --loss.</summary>
        public static readonly string[] VarianceNames = { "fixed-small", "fixed-large", "learned" }, LossNames = { "simple", "hybrid", "vlb" };

        public static ReverseVariance? ParseVariance(string name) => name switch
        {
            "fixed-small" => ReverseVariance.Posterior, "fixed-large" => ReverseVariance.Beta, "learned" => ReverseVariance.Learned, _ => null,
        };

        public static DdpmLoss? ParseLoss(string name) => name switch { "simple" => DdpmLoss.Simple, "hybrid" => DdpmLoss.Hybrid, "vlb" => DdpmLoss.Vlb, _ => null };

        /// <summary>Null when the pair trains, else why not (a learned variance needs a loss with L_vlb in it).</summary>
        public static string? CombinationProblem(string variance, string loss) => variance == "learned" && loss == "simple"
            ? "--variance learned needs --loss hybrid or --loss vlb: L_simple does not depend on the variance, so it cannot train it." : null;

        /// <summary>The schedule by name on T steps, or null for an unknown name.</summary>
        public static DdpmSchedule? Schedule(string name, int T) => name switch
        {
            "linear" => DdpmSchedule.FromDiscretisedSde(new VpSde { BetaMin = 1e-4 * T, BetaMax = 0.02 * T }, T),
            "cosine" => DdpmSchedule.Cosine(new CosineVpSde(), T),
            _ => null,
        };

        public static DiffusionNetwork Network(DdpmConfig c, long seed) => c.IsDigits
            ? new DigitUNet(c.Channels, tag: c.Tag, generator: new Generator((ulong)seed + 101), learnedVariance: c.LearnsVariance)
            : new TimeMlp(c.Dim, c.Width, c.Depth, tag: c.Tag, generator: new Generator((ulong)seed + 101), learnedVariance: c.LearnsVariance);

        /// <summary>The training data: digits in [−1, 1] as [1797, 64], or null for a toy (drawn fresh each step).</summary>
        public static Tensor? DigitsData()
        {
            var images = Digits.Images(PixelScale.Symmetric);
            DigitUNet.RequireSymmetricImages(images, "dsl ddpm train --data digits");
            return images;
        }

        public static DdpmTrainRun Train(DdpmConfig c, GalleryData dataSet, int steps, int batch, double learningRate, string checkpoint, bool resume, long seed,
            IProgress<TrainingProgress>? progress, CancellationToken cancellation)
        {
            var schedule = Schedule(c.Schedule, c.T) ?? throw new ArgumentException("unknown schedule '" + c.Schedule + "'.");
            var net = Network(c, seed);
            if (dataSet.IsDigits) DigitUNet.RequireSymmetricImages(dataSet.Rows!, "dsl ddpm train --data digits");
            IDataStream data = dataSet.Stream(batch, seed);
            var lossOptions = new DdpmLossOptions { Kind = c.LossKind, Variance = c.ReverseVariance };
            var result = Trainer.Train(net, data, (x, g) => Ddpm.Loss(schedule, net, x, g, lossOptions), new TrainerOptions
            {
                Steps = steps, LearningRate = learningRate, EmaDecay = c.IsDigits ? 0.995 : 0.99, Seed = seed, CheckpointPath = checkpoint,
                CheckpointEvery = System.Math.Max(1, steps / 10), Resume = resume, Progress = progress, Cancellation = cancellation,
                Settings = JsonSerializer.Serialize(c),   // a resume with other settings is refused by the Trainer, naming them
                InitFrom = GalleryWeights.InitFrom, ExportPath = GalleryWeights.Export,   // --init-from / --export of the command
            });
            return new DdpmTrainRun(c, result.Steps, result.StartStep, result.LossHistory.Count > 0 ? result.LossHistory[0] : double.NaN, result.FinalLoss,
                result.Elapsed.TotalSeconds, checkpoint, result.Cancelled);
        }

        /// <summary>
        /// The config a checkpoint was trained with, read from the settings inside it (verified by its checksum); a checkpoint
        /// without them, or with settings that are not a DDPM config, is a <see cref="CheckpointException"/>.
        /// </summary>
        public static (DdpmConfig Config, Checkpoint.Header Header) StoredConfig(string checkpoint)
        {
            if (!File.Exists(checkpoint)) throw new CheckpointException("Checkpoint '" + checkpoint + "' does not exist; run `dsl ddpm train --checkpoint " + checkpoint + "` first.");
            var header = Checkpoint.Peek(checkpoint);
            string Refuse(string why) => "Checkpoint '" + checkpoint + "' " + why + "; it was not written by `dsl ddpm train`.";
            if (header.Settings == null) throw new CheckpointException(Refuse("records no settings"));
            DdpmConfig? c;
            try { c = JsonSerializer.Deserialize<DdpmConfig>(header.Settings); }
            catch (JsonException e) { throw new CheckpointException(Refuse("has settings that are not a DDPM config (" + e.Message.Split('\n')[0] + ")"), e); }
            if (c?.Data == null || c.Schedule == null) throw new CheckpointException(Refuse("has settings without the data and schedule"));
            if (ParseVariance(c.Variance ?? "") is null || ParseLoss(c.Loss ?? "") is null) throw new CheckpointException(Refuse("has an unknown variance '" + c.Variance + "' or loss '" + c.Loss + "'"));
            return (c, header);
        }

        /// <summary>Loads the network (EMA weights when the checkpoint has them) and its config.</summary>
        public static (DdpmConfig Config, DiffusionNetwork Net, DdpmSchedule Schedule) Load(string checkpoint)
        {
            var (c, header) = StoredConfig(checkpoint);
            var schedule = Schedule(c.Schedule, c.T) ?? throw new CheckpointException("Checkpoint '" + checkpoint + "' names an unknown schedule '" + c.Schedule + "'.");
            var net = Network(c, 0);
            using var optimizer = new AdamOptimizer(net.parameters());
            using var ema = header.HasEma ? new ExponentialMovingAverage(net, 0.99) : null;
            Checkpoint.Load(checkpoint, net, optimizer, ema, header.Settings);
            ema?.CopyTo(net);
            return (c, net, schedule);
        }

        public static DdpmSampleRun Sample(string checkpoint, string sampler, int steps, int n, long seed, IProgress<SamplerProgress>? progress, CancellationToken cancellation)
        {
            var clock = Stopwatch.StartNew();
            var chains = SampleChains(checkpoint, sampler, steps, n, seed, progress, cancellation);
            using var samples = chains.Samples;
            return Evaluate(checkpoint, sampler, samples, chains.Nfe, chains.Seconds, seed, chains.Cancelled, clock);
        }

        /// <summary>n chains of the trained DDPM: the samples [n, D] (float64, CPU), the network evaluations, the seconds and whether the run was cut short.</summary>
        public static (Tensor Samples, int Nfe, double Seconds, bool Cancelled) SampleChains(string checkpoint, string sampler, int steps, int n, long seed, IProgress<SamplerProgress>? progress, CancellationToken cancellation)
        {
            var (c, net, schedule) = Load(checkpoint);
            // The data the checkpoint names (a file: read again, standardised as recorded; refused if its D changed), before any sampling.
            using var dataSet = GalleryData.Reopen(c.Data, c.Standardize, c.Dim, seed);
            using var scope = NewDisposeScope();
            var epsilon = Ddpm.AsNoisePrediction(schedule, net);
            var variance = c.ReverseVariance;
            var options = new DdpmSamplerOptions
            {
                Steps = steps > 0 ? steps : sampler == "ancestral" ? schedule.Steps : 50, Eta = sampler == "ancestral" ? 1 : 0,
                ClipDenoised = c.IsDigits, Seed = seed, Progress = progress, Cancellation = cancellation, Variance = variance,
            };
            var sampleClock = Stopwatch.StartNew();
            using var result = sampler switch
            {
                // All T steps: Algorithm 2; fewer: the same ancestral step on a sub-sequence (DDIM with η = 1).
                "ancestral" => options.Steps < schedule.Steps ? Ddpm.Ddim(schedule, epsilon, n, c.Dim, options)
                    : net.LearnsVariance ? Ddpm.Ancestral(schedule, Ddpm.AsNoiseAndVariancePrediction(net), n, c.Dim, options) : Ddpm.Ancestral(schedule, epsilon, n, c.Dim, options),
                "ddim" => Ddpm.Ddim(schedule, epsilon, n, c.Dim, options),
                _ => Ddpm.ProbabilityFlowSample(schedule, epsilon, n, c.Dim,
                    steps > 0 ? new OdeOptions { Method = OdeMethod.Rk4, Steps = steps, Cancellation = cancellation } : new OdeOptions { RelativeTolerance = 1e-4, AbsoluteTolerance = 1e-4, Cancellation = cancellation }, seed),
            };
            double sampleSeconds = sampleClock.Elapsed.TotalSeconds;
            var samples = result.Samples.detach().to_type(ScalarType.Float64).cpu().contiguous().MoveToOuterDisposeScope();
            return (samples, result.FunctionEvaluations, sampleSeconds, result.Cancelled);
        }

        /// <summary>
        /// The figures of a DDPM sampling run from its samples (every block's, joined): the MMD to fresh data and, for the eight
        /// Gaussians, the mean log-density; the bound under each variance and the ODE likelihood on held-out data (seeded by
        /// <paramref name="seed"/>, the run's seed, so a merge of shards evaluates the same data).
        /// </summary>
        public static DdpmSampleRun Evaluate(string checkpoint, string sampler, Tensor samplesTensor, int nfe, double sampleSeconds, long seed, bool cancelled, Stopwatch? clock = null)
        {
            clock ??= Stopwatch.StartNew();
            var (c, net, schedule) = Load(checkpoint);
            using var scope = NewDisposeScope();
            var epsilon = Ddpm.AsNoisePrediction(schedule, net);
            int n = (int)samplesTensor.shape[0];
            var result = (Samples: samplesTensor.to_type(ScalarType.Float32), Cancelled: cancelled, FunctionEvaluations: nfe);
            using var dataSet = GalleryData.Reopen(c.Data, c.Standardize, c.Dim, seed);
            var samples = dataSet.ToDataUnits(result.Samples);   // data units: a standardised file's samples mapped back

            // The bound and the ODE likelihood on held-out data: the digits (bins of width 2/16: 17 grey levels in [−1, 1]) or fresh toy draws.
            Tensor evaluation;
            double[][]? dataRows = null;
            double? mmd = null, logDensity = null, dataLogDensity = null;
            if (c.IsDigits)
            {
                evaluation = Digits.Images(PixelScale.Symmetric).index_select(0, randperm(Digits.Count, generator: new Generator((ulong)seed + 7)).narrow(0, 0, 100));
            }
            else
            {
                var data = dataSet.Evaluation(n, seed);
                dataRows = dataSet.ToDataUnits(data);
                if (!result.Cancelled) mmd = SampleStatistics.Mmd2(result.Samples, data);
                if (dataSet.Toy == Toy2DKind.Gaussians8)
                {
                    logDensity = Toy2D.Gaussians8LogDensity(result.Samples).mean().ToDoubleValue();
                    dataLogDensity = Toy2D.Gaussians8LogDensity(data).mean().ToDoubleValue();
                }
                evaluation = data.narrow(0, 0, System.Math.Min(data.shape[0], 500));
            }
            double? binWidth = c.IsDigits ? 2.0 / 16 : null;
            // The bound under the checkpoint's variance and under each other one the network supports (the same ε̂, the same
            // xₜ draws), its KL terms computed by the generated GaussianPairKl.
            // In data units: a standardised file's −log p gains Σⱼ log stdⱼ (the bound and the ODE likelihood alike).
            double logScale = dataSet.Standardization?.LogScale ?? 0;
            var bounds = VarianceNames.Where(name => name != "learned" || net.LearnsVariance).Select(name =>
            {
                using var inner = NewDisposeScope();
                using var r = Bound(schedule, net, evaluation, ParseVariance(name)!.Value, binWidth, c.IsDigits ? 10 : 1, seed);
                return new VarianceBound(name, r.BitsPerDim + logScale / c.Dim / System.Math.Log(2), r.StandardErrorNatsPerDim / System.Math.Log(2));
            }).ToArray();
            var vlb = bounds.Single(b => b.Variance == c.Variance);
            using var ode = Ddpm.LogLikelihood(schedule, epsilon, c.IsDigits ? evaluation.narrow(0, 0, 50) : evaluation,
                c.IsDigits ? DivergenceEstimator.HutchinsonRademacher : DivergenceEstimator.Exact, new OdeOptions { RelativeTolerance = 1e-3, AbsoluteTolerance = 1e-3 }, seed);
            double odeNats = (-ode.LogLikelihood.mean().ToDoubleValue() + logScale) / c.Dim;
            double odeBits = binWidth is double w ? Ddpm.BitsPerDimension(odeNats, w) : odeNats / System.Math.Log(2);
            return new DdpmSampleRun(c, sampler, result.FunctionEvaluations, samples, dataRows, vlb.BitsPerDim, vlb.StandardError, bounds,
                odeBits, ode.FunctionEvaluations, mmd, logDensity, dataLogDensity, sampleSeconds, clock.Elapsed.TotalSeconds, result.Cancelled);
        }

        /// <summary>The variational bound of a trained network under a reverse variance, the KL terms by the generated GaussianPairKl.</summary>
        public static VlbResult Bound(DdpmSchedule schedule, DiffusionNetwork net, Tensor x0, ReverseVariance variance, double? binWidth, int stride, long seed)
        {
            var options = new VlbOptions { BinWidth = binWidth, Stride = stride, Seed = seed, Variance = variance, Kl = new GaussianPairKl((int)x0.shape[1]).Kl };
            return variance == ReverseVariance.Learned
                ? Ddpm.VariationalBound(schedule, Ddpm.AsNoiseAndVariancePrediction(net), x0, options)
                : Ddpm.VariationalBound(schedule, Ddpm.AsNoisePrediction(schedule, net), x0, options);
        }

        private static double[][] ToRows(Tensor x)
        {
            using var d = x.detach().to_type(ScalarType.Float64).cpu().contiguous();
            var flat = d.data<double>().ToArray();
            int cols = (int)x.shape[1];
            return Enumerable.Range(0, (int)x.shape[0]).Select(r => flat.AsSpan(r * cols, cols).ToArray()).ToArray();
        }
    }
}
