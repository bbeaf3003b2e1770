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
using Dsl.ScoreMatching;
using Dsl.Sde;
using Dsl.Solvers;
using Dsl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Examples.Experiments
{
    /// <summary>What an NCSN checkpoint was trained as (stored inside it as its settings, under its checksum).</summary>
    /// <remarks>
    /// <paramref name="DataDim"/> and <paramref name="Standardize"/> are set for a data file (its D and the standardisation, if any) and
    /// null, so not written, for the built-in sets: checkpoints from before data files resume unchanged.
    /// </remarks>
    internal sealed record NcsnConfig(string Data, int Levels, double SigmaMax, double SigmaMin, int Width, int Depth,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] int? DataDim = null, [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] Standardization? Standardize = null)
    {
        // Not written into the settings: checkpoints from before data files have no Dim there and must resume unchanged.
        [System.Text.Json.Serialization.JsonIgnore] public int Dim => DataDim ?? 2;
        public string Tag => FormattableString.Invariant($"ncsn,data={Data},L={Levels},sigma={SigmaMax}..{SigmaMin}");
        public double[] Sigmas => NoiseSchedule.Geometric(SigmaMax, SigmaMin, Levels);
    }

    /// <summary>What a continuous-time score checkpoint was trained as.</summary>
    /// <remarks>
    /// <paramref name="Loss"/> is null for denoising score matching (and then not written, so checkpoints from before the option
    /// resume unchanged), "ism" or "ssm" for the implicit and sliced losses. <paramref name="DataDim"/> and <paramref name="Standardize"/>
    /// likewise: set for a data file, null (not written) for the built-in sets.
    /// </remarks>
    internal sealed record ScoreSdeConfig(string Data, string Sde, string Weighting, int Width, int Depth, int Channels,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Loss = null,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] int? DataDim = null, [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] Standardization? Standardize = null)
    {
        public bool IsDigits => Data == "digits";
        public int Dim => DataDim ?? (IsDigits ? 64 : 2);
        public string Tag => FormattableString.Invariant($"score-sde,data={Data},sde={Sde},weighting={Weighting}") + (Loss is null ? "" : ",loss=" + Loss);
    }

    /// <summary>The figures of one train-then-evaluate run.</summary>
    internal sealed record ScoreRun(long Steps, long StartStep, double FirstLoss, double FinalLoss, double TrainSeconds, string Checkpoint,
        double[][] Samples, double[][]? Data, int SampleNfe, double SampleSeconds, double? Mmd2, double? MeanLogDensity, double? DataMeanLogDensity,
        double OdeNllNatsPerDim, double? OdeBitsPerDim, int OdeNfe, double Seconds, bool Cancelled);

    /// <summary>
    /// `dsl ncsn` and `dsl score-sde`: neural score networks beyond DDPM. NCSN: a noise-conditional TimeMlp trained by
    /// multi-scale DSM (λ(σ) = σ²) and sampled by the sampler library's annealed Langevin. Score SDE: an ε-network on the
    /// DSL's VP or VE SDE trained by continuous-time DSM (λ = σₜ² or g²), sampled by the reverse SDE, predictor–corrector
    /// or the probability-flow ODE; the likelihood by the ODE in both.
    /// </summary>
    internal static class ScoreSdeExperiments
    {
        public static readonly string[] ToyNames = Toy2D.Names;
        public static readonly string[] DataNames = Toy2D.Names.Append("digits").ToArray();

        /// <summary>Training truncation of t (score_sde: 1e-5).</summary>
        public const double TrainEpsilon = 1e-5;

        public static ISde MakeSde(string name, bool digits) => name switch
        {
            "vp" => new VpSde(),
            // σ_max about the largest distance between data points (Song & Ermon 2020, technique 1): ≈ 4.5 for the toys, ≈ 12 for the digits.
            "ve" => new VeSde { SigmaMin = 0.01, SigmaMax = digits ? 20 : 5 },
            _ => throw new ArgumentException("unknown SDE '" + name + "'; valid: vp, ve."),
        };

        public static TimeWeighting Weighting(string name) => name switch
        {
            "g2" => TimeWeighting.Likelihood,
            "sigma2" => TimeWeighting.Variance,
            _ => throw new ArgumentException("unknown weighting '" + name + "'; valid: g2 (λ = g(t)², likelihood), sigma2 (λ = σₜ²)."),
        };

        public static TimeMlp ToyNetwork(int dim, int width, int depth, string tag, long seed) => new(dim, width, depth, tag: tag, generator: new Generator((ulong)seed + 101));

        public static ScoreRun Ncsn(NcsnConfig c, GalleryData data, int steps, int batch, double learningRate, string checkpoint, bool resume, int n, double stepEpsilon, int stepsPerLevel,
            long seed, IProgress<TrainingProgress>? trainProgress, IProgress<SamplerProgress>? sampleProgress, CancellationToken cancellation)
        {
            var clock = Stopwatch.StartNew();
            var net = ToyNetwork(c.Dim, c.Width, c.Depth, c.Tag, seed);
            var model = new NoiseConditionalNetwork(net, c.SigmaMin, c.SigmaMax);
            var sigmas = c.Sigmas;
            var train = Train(net, data, checkpoint, resume, c, steps, batch, learningRate, 0.99, seed, (x, g) => ScoreMatchingLosses.NoiseConditional(model, x, sigmas, g),
                trainProgress, cancellation);
            using var scope = NewDisposeScope();
            var sampleClock = Stopwatch.StartNew();
            using var start = empty(n, c.Dim).normal_(0, c.SigmaMax, generator: new Generator((ulong)seed + 11));
            using var result = Samplers.AnnealedLangevin(model, start, sigmas, stepEpsilon, stepsPerLevel,
                new SamplerOptions { Seed = seed, Progress = sampleProgress, Cancellation = cancellation });
            double sampleSeconds = sampleClock.Elapsed.TotalSeconds;
            // NCSN is the VE SDE at L levels: VeSde(σ_L, σ₁) has v(t) = σ(t)² − σ_L², and the likelihood starts where √v(ε) = σ_L.
            var ve = new VeSde { SigmaMin = c.SigmaMin, SigmaMax = c.SigmaMax };
            double epsilon = TimeOfVariance(ve, c.SigmaMin * c.SigmaMin);
            return Evaluate(data, model.AsTimeScore(ve), ve, epsilon, result.Samples, (int)result.Steps, sampleSeconds, train, result.Cancelled, n, seed, clock);
        }

        public static ScoreRun ScoreSde(ScoreSdeConfig c, GalleryData data, int steps, int batch, double learningRate, string checkpoint, bool resume, int n, string sampler, int sampleSteps,
            long seed, IProgress<TrainingProgress>? trainProgress, IProgress<SamplerProgress>? sampleProgress, CancellationToken cancellation,
            PcOrder pcOrder = PcOrder.CorrectorFirst, double? correctorStep = null)
        {
            var clock = Stopwatch.StartNew();
            var sde = MakeSde(c.Sde, c.IsDigits);
            var weighting = Weighting(c.Weighting);
            DiffusionNetwork net = c.IsDigits ? new DigitUNet(c.Channels, tag: c.Tag, generator: new Generator((ulong)seed + 101)) : ToyNetwork(c.Dim, c.Width, c.Depth, c.Tag, seed);
            var score = ScoreNetworks.FromNoiseNetwork(sde, net);
            Func<Tensor, Generator, Tensor> loss = c.Loss switch
            {
                null => (x, g) => ContinuousTimeScoreMatching.Loss(sde, score, x, weighting, g, TrainEpsilon),
                "ism" => (x, g) => ContinuousTimeScoreMatching.ImplicitLoss(sde, score, x, weighting, g, TrainEpsilon),
                "ssm" => (x, g) => ContinuousTimeScoreMatching.SlicedLoss(sde, score, x, weighting, g, TrainEpsilon),
                _ => throw new ArgumentException("unknown loss '" + c.Loss + "'; valid: dsm, ism, ssm."),
            };
            var train = Train(net, data, checkpoint, resume, c, steps, batch, learningRate, c.IsDigits ? 0.995 : 0.99, seed, loss, trainProgress, cancellation);
            using var scope = NewDisposeScope();
            // Sampling ends at ε = 1e-3 on VP and 1e-5 on VE (score_sde's choices); the likelihood starts at 1e-5 on both.
            double sampleEpsilon = c.Sde == "vp" ? 1e-3 : 1e-5;
            var sampleClock = Stopwatch.StartNew();
            using var result = sampler == "ode"
                ? ProbabilityFlow.Sample(sde, score, n, sampleSteps > 0 ? new OdeOptions { Method = OdeMethod.Rk4, Steps = sampleSteps, Cancellation = cancellation }
                    : new OdeOptions { RelativeTolerance = 1e-4, AbsoluteTolerance = 1e-4, Cancellation = cancellation }, sampleEpsilon, seed)
                : SdeSolvers.Sample(sde, score, n, new SdeSamplerOptions
                {
                    Steps = sampleSteps > 0 ? sampleSteps : sampler == "pc" ? 500 : 1000, Epsilon = sampleEpsilon, Seed = seed, Progress = sampleProgress, Cancellation = cancellation,
                    Predictor = sampler == "pc" ? Predictor.ReverseDiffusion : Predictor.EulerMaruyama, Corrector = sampler == "pc" ? Corrector.Langevin : Corrector.None,
                    Order = pcOrder, CorrectorStepSize = correctorStep,
                });
            double sampleSeconds = sampleClock.Elapsed.TotalSeconds;
            var samples = c.IsDigits ? result.Samples.Clamp(-1, 1) : result.Samples;
            return Evaluate(data, score, sde, TrainEpsilon, samples, result.FunctionEvaluations, sampleSeconds, train, result.Cancelled, n, seed, clock);
        }

        /// <summary>
        /// The score network of a `dsl score-sde` checkpoint with its settings and SDE: the network is rebuilt from the settings stored in
        /// the checkpoint and loaded by the same Trainer resume as `--resume` (checksum and settings verified), with zero further steps,
        /// so the EMA weights end up in the network as after training.
        /// </summary>
        public static (ScoreSdeConfig Config, ITimeScoreModel Score, ISde Sde) Load(string path, long seed)
        {
            var header = Checkpoint.Peek(path);
            ScoreSdeConfig? config = null;
            try { config = header.Settings is null ? null : JsonSerializer.Deserialize<ScoreSdeConfig>(header.Settings); }
            catch (JsonException) { }
            if (config is null || config.Sde is null || config.Data is null || !(DataNames.Contains(config.Data) || Dsl.Data.ArrayFiles.IsDataFile(config.Data)))
                throw new CheckpointException("Checkpoint '" + path + "' was not written by `dsl score-sde` (its settings are " + (header.Settings ?? "absent") + ").");
            var sde = MakeSde(config.Sde, config.IsDigits);
            DiffusionNetwork net = config.IsDigits ? new DigitUNet(config.Channels, tag: config.Tag, generator: new Generator((ulong)seed + 101)) : ToyNetwork(config.Dim, config.Width, config.Depth, config.Tag, seed);
            var score = ScoreNetworks.FromNoiseNetwork(sde, net);
            Train(net, null, path, true, config, (int)header.Step, config.IsDigits ? 64 : 256, 1e-3, config.IsDigits ? 0.995 : 0.99, seed,
                (x, g) => throw new InvalidOperationException("no training steps when loading"), null, CancellationToken.None);
            return (config, score, sde);
        }

        /// <summary>The time at which the generated marginal variance v(t) reaches <paramref name="variance"/> (bisection; v increases).</summary>
        public static double TimeOfVariance(ISde sde, double variance)
        {
            double lo = 0, hi = sde.EndTime;
            if (!(sde.MarginalVarianceAt(hi) > variance)) throw new ArgumentException(sde.SdeName + ": v(T) does not exceed " + variance + ".");
            for (int i = 0; i < 100; i++)
            {
                double mid = 0.5 * (lo + hi);
                if (sde.MarginalVarianceAt(mid) < variance) lo = mid; else hi = mid;
            }
            return 0.5 * (lo + hi);
        }

        private sealed record Trained(long Steps, long StartStep, double FirstLoss, double FinalLoss, double Seconds, string Checkpoint);

        private static Trained Train<TConfig>(DiffusionNetwork net, GalleryData? dataSet, string checkpoint, bool resume, TConfig config, int steps, int batch, double learningRate,
            double emaDecay, long seed, Func<Tensor, Generator, Tensor> loss, IProgress<TrainingProgress>? progress, CancellationToken cancellation)
        {
            if (dataSet?.IsDigits == true) DigitUNet.RequireSymmetricImages(dataSet.Rows!, "dsl score-sde --data digits");
            // Loading (no data set): a stream of zeros of the network's D stands in; no step runs.
            IDataStream data = dataSet?.Stream(batch, seed) ?? new SampledDataStream((k, g) => zeros(k, net.Dim), net.Dim, batch, seed);
            var result = Trainer.Train(net, data, loss, new TrainerOptions
            {
                Steps = steps, LearningRate = learningRate, EmaDecay = emaDecay, Seed = seed, CheckpointPath = checkpoint,
                CheckpointEvery = System.Math.Max(1, steps / 10), Resume = resume, Progress = progress, Cancellation = cancellation,
                Settings = JsonSerializer.Serialize(config),   // a resume with other settings is refused by the Trainer, naming them
                InitFrom = GalleryWeights.InitFrom, ExportPath = GalleryWeights.Export,   // --init-from / --export of the command
            });
            return new Trained(result.Steps, result.StartStep, result.LossHistory.Count > 0 ? result.LossHistory[0] : double.NaN, result.FinalLoss, result.Elapsed.TotalSeconds, checkpoint);
        }

        /// <summary>MMD² to fresh data and the true log-density (toys), and the probability-flow NLL of held-out data (nats/dim; digits also bits/dim).</summary>
        private static ScoreRun Evaluate(GalleryData dataSet, ITimeScoreModel score, ISde sde, double epsilon, Tensor samples, int sampleNfe, double sampleSeconds, Trained train,
            bool cancelled, int n, long seed, Stopwatch clock)
        {
            bool digits = dataSet.IsDigits;
            Tensor evaluation;
            double[][]? dataRows = null;
            double? mmd = null, logDensity = null, dataLogDensity = null;
            if (digits)
            {
                evaluation = Digits.Images(PixelScale.Symmetric).index_select(0, randperm(Digits.Count, generator: new Generator((ulong)seed + 7)).narrow(0, 0, 50));
            }
            else
            {
                var data = dataSet.Evaluation(n, seed);
                dataRows = dataSet.ToDataUnits(data);
                if (!cancelled) mmd = SampleStatistics.Mmd2(samples, data);
                if (dataSet.Toy == Toy2DKind.Gaussians8)
                {
                    logDensity = Toy2D.Gaussians8LogDensity(samples).mean().ToDoubleValue();
                    dataLogDensity = Toy2D.Gaussians8LogDensity(data).mean().ToDoubleValue();
                }
                evaluation = data.narrow(0, 0, System.Math.Min(data.shape[0], 500));
            }
            using var ode = ProbabilityFlow.LogLikelihood(sde, score, evaluation, new LikelihoodOptions
            {
                Epsilon = epsilon, Seed = seed, Divergence = digits ? DivergenceEstimator.HutchinsonRademacher : DivergenceEstimator.Exact,
                Ode = new OdeOptions { RelativeTolerance = 1e-3, AbsoluteTolerance = 1e-3 },
            });
            int dim = (int)evaluation.shape[1];
            // In data units: a standardised file's −log p gains Σⱼ log stdⱼ (x = mean + std·z).
            double nats = dataSet.NllToDataUnits(-ode.LogLikelihood.mean().ToDoubleValue()) / dim;
            double? bits = digits ? Ddpm.BitsPerDimension(nats, 2.0 / 16) : null;
            return new ScoreRun(train.Steps, train.StartStep, train.FirstLoss, train.FinalLoss, train.Seconds, train.Checkpoint, dataSet.ToDataUnits(samples), dataRows, sampleNfe, sampleSeconds,
                mmd, logDensity, dataLogDensity, nats, bits, ode.FunctionEvaluations, clock.Elapsed.TotalSeconds, cancelled);
        }

        public static double[][] Rows(Tensor x)
        {
            using var d = x.detach().to_type(ScalarType.Float64).cpu().contiguous();
            var flat = d.data<double>().ToArray();
            int cols = (int)x.shape[1];
            return Enumerable.Range(0, (int)x.shape[0]).Select(r => flat.AsSpan(r * cols, cols).ToArray()).ToArray();
        }
    }
}
