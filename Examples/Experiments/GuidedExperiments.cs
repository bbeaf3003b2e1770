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
using Dsl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Examples.Experiments
{
    /// <summary>
    /// What the guided-generation models were trained as; stored inside each of the three checkpoints as its settings.
    /// One class-conditional denoiser trained with label dropout serves classifier-free guidance (labels), classifier
    /// guidance and inpainting (the null label: the unconditional model).
    /// </summary>
    internal sealed record GuidedConfig(string Schedule, int T, int Channels, double DropLabel, int DenoiserSteps, int ClassifierSteps, int ClassifierWidth)
    {
        public string Tag => FormattableString.Invariant($"data=digits,schedule={Schedule},T={T},drop={DropLabel}");
    }

    /// <summary>The trained (or loaded) pieces: the conditional denoiser, the noisy classifier and the clean judge.</summary>
    internal sealed record GuidedModels(GuidedConfig Config, DdpmSchedule Schedule, DigitUNet Denoiser, TimeClassifier Classifier, TimeClassifier Judge,
        double JudgeTestAccuracy, double ClassifierTestAccuracy, double TrainSeconds, bool Trained, bool Cancelled);

    internal sealed record GuidedRun(string Method, int Digit, double Scale, string Sampler, int Nfe, double[][] Samples, double TargetClassRate, double GuidingClassifierRate,
        double UnconditionalTargetRate, double JudgeTestAccuracy, double ClassifierTestAccuracy, double SampleSeconds, bool Trained, double TrainSeconds, bool Cancelled);

    internal sealed record InpaintRun(string Mask, int Count, double MissingFraction, double InpaintedMse, double UnconditionalMse, double MeanFillMse, int Nfe,
        double[][] Originals, double[][] Masks, double[][] Inpainted, double SampleSeconds, bool Trained, double TrainSeconds, bool Cancelled);

    /// <summary>`dsl guided` and `dsl inpaint`: classifier guidance, classifier-free guidance and inpainting on the 8×8 digits.</summary>
    internal static class GuidedExperiments
    {
        public const int HeldOut = 297;
        public static readonly string[] Masks = { "left", "right", "top", "bottom", "center", "random" };

        /// <summary>The fixed train/test split of the 1797 digits (seeded permutation; the last 297 are held out).</summary>
        public static (Tensor TrainX, Tensor TrainY, Tensor TestX, Tensor TestY) Split()
        {
            using var scope = NewDisposeScope();
            var images = Digits.Images(PixelScale.Symmetric);
            DigitUNet.RequireSymmetricImages(images, "dsl guided");
            var labels = Digits.Labels();
            var order = randperm(Digits.Count, generator: new Generator(20_260_707));
            var train = order.narrow(0, 0, Digits.Count - HeldOut);
            var test = order.narrow(0, Digits.Count - HeldOut, HeldOut);
            return (images.index_select(0, train).MoveToOuterDisposeScope(), labels.index_select(0, train).MoveToOuterDisposeScope(),
                images.index_select(0, test).MoveToOuterDisposeScope(), labels.index_select(0, test).MoveToOuterDisposeScope());
        }

        public static string ClassifierPath(string checkpoint) => checkpoint + ".classifier.ckpt";
        public static string JudgePath(string checkpoint) => checkpoint + ".judge.ckpt";

        /// <summary>
        /// Loads the three models from &lt;checkpoint&gt; (+ .classifier.ckpt, .judge.ckpt) when they exist and were trained as
        /// <paramref name="config"/>; otherwise trains them (Trainer: Adam, EMA, atomic checkpoints, NaN stop).
        /// </summary>
        public static GuidedModels TrainOrLoad(GuidedConfig config, string checkpoint, long seed, IProgress<TrainingProgress>? progress, CancellationToken cancellation)
        {
            var schedule = DdpmExperiments.Schedule(config.Schedule, config.T) ?? throw new ArgumentException("unknown schedule '" + config.Schedule + "'; valid: linear, cosine.");
            var denoiser = new DigitUNet(config.Channels, classes: 10, tag: config.Tag, generator: new Generator((ulong)seed + 101));
            var classifier = new TimeClassifier(64, 10, config.ClassifierWidth, tag: "noisy," + config.Tag, generator: new Generator((ulong)seed + 202));
            var judge = NewJudge(config.ClassifierWidth, seed);
            var settings = JsonSerializer.Serialize(config);
            var (trainX, trainY, testX, testY) = Split();
            try
            {
                var clock = Stopwatch.StartNew();
                bool trained = false, cancelled = false;
                if (File.Exists(checkpoint))
                {
                    // Each file carries the settings under its checksum: other settings are refused, naming what differs.
                    LoadWeights(checkpoint, denoiser, settings);
                    LoadWeights(ClassifierPath(checkpoint), classifier, settings);
                    LoadWeights(JudgePath(checkpoint), judge, settings);
                }
                else
                {
                    trained = true;
                    var dataStream = new LabelledTensorDataStream(trainX, trainY, 64, seed);
                    var denoise = Trainer.Train(denoiser, dataStream, (x, y, g) =>
                    {
                        // Classifier-free training (Ho & Salimans 2022, Algorithm 1): drop labels to ∅ with probability p_uncond.
                        using var dropped = Guidance.LabelDropout(y, 10, config.DropLabel, g);
                        return Ddpm.SimpleLoss(schedule, denoiser, x, g, DdpmTarget.Noise, dropped);
                    }, Options(config.DenoiserSteps, 1e-3, 0.995, seed, checkpoint + ".part", settings, progress, cancellation));
                    cancelled = denoise.Cancelled;
                    if (!cancelled)
                    {
                        var noisy = Trainer.Train(classifier, new LabelledTensorDataStream(trainX, trainY, 128, seed + 1),
                            (x, y, g) => Guidance.ClassifierLoss(schedule, classifier, x, y, g),
                            Options(config.ClassifierSteps, 2e-3, 0.99, seed + 1, ClassifierPath(checkpoint), settings, progress, cancellation));
                        cancelled = noisy.Cancelled;
                    }
                    if (!cancelled)
                    {
                        var clean = TrainJudge(judge, trainX, trainY, JudgeSteps(config.ClassifierSteps), seed, JudgePath(checkpoint), settings, progress, cancellation);
                        cancelled = clean.Cancelled;
                    }
                    if (!cancelled)
                    {
                        // The denoiser's file appears last: a complete set or none is found by the next run.
                        File.Move(checkpoint + ".part", checkpoint, overwrite: true);
                    }
                }
                double judgeAccuracy = Guidance.Accuracy(judge, testX, testY);
                double classifierAccuracy = Guidance.Accuracy(classifier, testX, testY, schedule.Times[0]);
                return new GuidedModels(config, schedule, denoiser, classifier, judge, judgeAccuracy, classifierAccuracy, clock.Elapsed.TotalSeconds, trained, cancelled);
            }
            finally
            {
                trainX.Dispose(); trainY.Dispose(); testX.Dispose(); testY.Dispose();
            }
        }

        /// <summary>The clean judge's Adam steps for a noisy classifier of <paramref name="classifierSteps"/> steps: half, at least 1.</summary>
        public static int JudgeSteps(int classifierSteps) => System.Math.Max(1, classifierSteps / 2);

        /// <summary>The independent clean judge, untrained: TimeClassifier(64, 10, width, tag "clean"), weights from seed + 303.</summary>
        public static TimeClassifier NewJudge(int width, long seed) => new TimeClassifier(64, 10, width, tag: "clean", generator: new Generator((ulong)seed + 303));

        /// <summary>
        /// The judge's training: an ordinary classifier on clean images in [−1, 1] at τ = 0 (<see cref="Guidance.ClassifierLoss"/> with no
        /// schedule), batches of 128 (stream seed + 2), Adam 2·10⁻³, EMA 0.99, checkpoints at <paramref name="path"/>.
        /// </summary>
        public static TrainingResult TrainJudge(TimeClassifier judge, Tensor trainX, Tensor trainY, int steps, long seed, string path, string settings,
            IProgress<TrainingProgress>? progress, CancellationToken cancellation) =>
            Trainer.Train(judge, new LabelledTensorDataStream(trainX, trainY, 128, seed + 2), (x, y, g) => Guidance.ClassifierLoss(null, judge, x, y, g),
                Options(steps, 2e-3, 0.99, seed + 2, path, settings, progress, cancellation));

        /// <summary>
        /// The clean judge alone, trained or loaded exactly as `dsl guided` trains its judge (<see cref="NewJudge"/>, <see cref="TrainJudge"/>
        /// on <see cref="Split"/>'s 1500 training images) for the runs that judge other generators: loaded from <paramref name="path"/> when a
        /// judge of these settings was saved there, else trained (to path.part, renamed when complete, so a cancelled run leaves no judge
        /// behind). Returns the judge, its accuracy on the 297 held-out digits, whether it was trained and whether training was cancelled.
        /// </summary>
        public static (TimeClassifier Judge, double TestAccuracy, bool Trained, bool Cancelled) JudgeOnly(int width, int steps, long seed, string path,
            IProgress<TrainingProgress>? progress, CancellationToken cancellation)
        {
            var judge = NewJudge(width, seed);
            var settings = JsonSerializer.Serialize(new { judge = "clean", data = "digits", width, steps, seed });
            var (trainX, trainY, testX, testY) = Split();
            try
            {
                bool trained = false, cancelled = false;
                if (File.Exists(path)) LoadWeights(path, judge, settings);
                else
                {
                    trained = true;
                    cancelled = TrainJudge(judge, trainX, trainY, steps, seed, path + ".part", settings, progress, cancellation).Cancelled;
                    if (!cancelled) File.Move(path + ".part", path, overwrite: true);
                }
                return (judge, Guidance.Accuracy(judge, testX, testY), trained, cancelled);
            }
            finally
            {
                trainX.Dispose(); trainY.Dispose(); testX.Dispose(); testY.Dispose();
            }
        }

        private static TrainerOptions Options(int steps, double lr, double ema, long seed, string path, string settings, IProgress<TrainingProgress>? progress,
            CancellationToken cancellation) => new()
        {
            Steps = steps, LearningRate = lr, EmaDecay = ema, Seed = seed, CheckpointPath = path, CheckpointEvery = System.Math.Max(1, steps / 5),
            Settings = settings, Progress = progress, Cancellation = cancellation,
        };

        /// <summary>The EMA weights of a checkpoint (a checkpoint of other settings or another architecture is refused, naming both).</summary>
        private static void LoadWeights(string path, ParameterModule model, string settings)
        {
            if (!File.Exists(path)) throw new CheckpointException("Checkpoint '" + path + "' is missing (written by `dsl guided` beside the denoiser); delete the set and train again.");
            var header = Checkpoint.Peek(path);
            using var optimizer = new AdamOptimizer(model.parameters());
            using var ema = header.HasEma ? new ExponentialMovingAverage(model, 0.99) : null;
            Checkpoint.Load(path, model, optimizer, ema, settings);
            ema?.CopyTo(model);
        }

        /// <summary>Guided samples of one digit, judged by the independent clean classifier, with the unconditional baseline.</summary>
        public static GuidedRun Guided(GuidedModels models, string method, int digit, double scale, string sampler, int steps, int n, long seed,
            IProgress<SamplerProgress>? progress, CancellationToken cancellation)
        {
            using var scope = NewDisposeScope();
            var schedule = models.Schedule;
            var labels = global::Dsl.ScalarOps.Full(new long[] { n }, digit, ScalarType.Int64);
            var nulls = global::Dsl.ScalarOps.Full(new long[] { n }, 10, ScalarType.Int64);
            var unconditional = Ddpm.AsNoisePrediction(schedule, models.Denoiser, DdpmTarget.Noise, nulls);
            NoisePrediction epsilon = method == "classifier"
                ? Guidance.ClassifierGuided(schedule.Sde, unconditional, models.Classifier, labels, scale)
                : Guidance.ClassifierFree(models.Denoiser, labels, scale);
            var clock = Stopwatch.StartNew();
            using var result = Sample(schedule, epsilon, sampler, steps, n, seed, progress, cancellation);
            double seconds = clock.Elapsed.TotalSeconds;
            using var baseline = Sample(schedule, unconditional, sampler, steps, n, seed, null, cancellation);
            double Rate(INoisyClassifier c, Tensor x, double tau) => Guidance.Predict(c, x, tau).Eq(digit).to_type(ScalarType.Float64).mean().ToDoubleValue();
            return new GuidedRun(method, digit, scale, sampler, result.FunctionEvaluations, ToRows(result.Samples), Rate(models.Judge, result.Samples, 0),
                Rate(models.Classifier, result.Samples, schedule.Times[0]), Rate(models.Judge, baseline.Samples, 0), models.JudgeTestAccuracy, models.ClassifierTestAccuracy,
                seconds, models.Trained, models.TrainSeconds, result.Cancelled || baseline.Cancelled);
        }

        /// <summary>DDIM (η = 0) on K steps or ancestral sampling on all T, x̂₀ clipped to [−1, 1].</summary>
        private static SdeSampleResult Sample(DdpmSchedule schedule, NoisePrediction epsilon, string sampler, int steps, int n, long seed, IProgress<SamplerProgress>? progress, CancellationToken cancellation)
        {
            var options = new DdpmSamplerOptions { Steps = steps, ClipDenoised = true, Seed = seed, Progress = progress, Cancellation = cancellation };
            return sampler == "ancestral" ? Ddpm.Ancestral(schedule, epsilon, n, 64, options) : Ddpm.Ddim(schedule, epsilon, n, 64, options);
        }

        /// <summary>The mask on the 8×8 grid (1 = known, 0 = missing): [64], or [n, 64] for "random" (each pixel missing with probability ½).</summary>
        public static Tensor Mask(string kind, int n, long seed)
        {
            if (kind == "random")
            {
                using var g = new Generator((ulong)seed + 4242);
                return empty(new long[] { n, 64 }).uniform_(0, 1, generator: g).Ge(0.5).to_type(ScalarType.Float32);
            }
            var m = new float[64];
            for (int r = 0; r < 8; r++)
                for (int c = 0; c < 8; c++)
                {
                    bool missing = kind switch
                    {
                        "left" => c < 4, "right" => c >= 4, "top" => r < 4, "bottom" => r >= 4,
                        "center" => r >= 2 && r < 6 && c >= 2 && c < 6,
                        _ => throw new ArgumentException("unknown --mask '" + kind + "'; valid: " + string.Join(", ", Masks) + "."),
                    };
                    m[r * 8 + c] = missing ? 0f : 1f;
                }
            return tensor(m);
        }

        /// <summary>Inpainting of held-out digits by replacement (RePaint with --resample), against unconditional samples and the mean image.</summary>
        public static InpaintRun Inpaint(GuidedModels models, string maskKind, int n, int steps, int resample, long seed, IProgress<SamplerProgress>? progress, CancellationToken cancellation)
        {
            using var scope = NewDisposeScope();
            var (trainX, _, testX, _) = Split();
            n = System.Math.Min(n, HeldOut);
            var truth = testX.narrow(0, 0, n);
            var mask = Mask(maskKind, n, seed);
            var nulls = global::Dsl.ScalarOps.Full(new long[] { n }, 10, ScalarType.Int64);
            var epsilon = Ddpm.AsNoisePrediction(models.Schedule, models.Denoiser, DdpmTarget.Noise, nulls);
            var clock = Stopwatch.StartNew();
            using var inpainted = Inpainting.Sample(models.Schedule, epsilon, truth, mask, new InpaintingOptions
            {
                Steps = steps, Resample = resample, ClipDenoised = true, Seed = seed, Progress = progress, Cancellation = cancellation,
            });
            double seconds = clock.Elapsed.TotalSeconds;
            // The baseline: the same network sampled without the observation (same seed and sub-sequence, all pixels generated).
            using var free = Ddpm.Ddim(models.Schedule, epsilon, n, 64, new DdpmSamplerOptions { Steps = steps > 0 ? steps : models.Schedule.Steps, Eta = 1, ClipDenoised = true, Seed = seed, Cancellation = cancellation });
            var meanImage = trainX.mean(new long[] { 0 }, keepdim: true).expand(n, 64);
            var full2d = mask.dim() == 1 ? mask.unsqueeze(0).expand(n, 64) : mask;
            double missing = 1 - full2d.mean().ToDoubleValue();
            var shown = where(full2d.Eq(1), truth, global::Dsl.ScalarOps.FullLike(truth, double.NaN));
            return new InpaintRun(maskKind, n, missing, Inpainting.MaskedMse(inpainted.Samples, truth, mask), Inpainting.MaskedMse(free.Samples, truth, mask),
                Inpainting.MaskedMse(meanImage, truth, mask), inpainted.FunctionEvaluations, ToRows(truth), ToRows(shown), ToRows(inpainted.Samples), seconds,
                models.Trained, models.TrainSeconds, inpainted.Cancelled || free.Cancelled);
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
