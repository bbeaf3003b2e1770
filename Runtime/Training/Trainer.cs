using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Training
{
    /// <summary>How to train: steps, Adam's learning rate, EMA, seed, checkpoints, progress and cancellation.</summary>
    public sealed class TrainerOptions
    {
        /// <summary>Total optimiser steps (a resumed run continues up to this count).</summary>
        public int Steps { get; init; } = 1000;

        /// <summary>Adam's learning rate.</summary>
        public double LearningRate { get; init; } = 1e-2;

        /// <summary>Decay of the parameter EMA; null trains without one.</summary>
        public double? EmaDecay { get; init; }

        /// <summary>Seed of the per-step loss noise (probes, DSM noise, noise levels); batches have their own stream seed.</summary>
        public long Seed { get; init; }

        /// <summary>Checkpoint file; null disables checkpoints.</summary>
        public string? CheckpointPath { get; init; }

        /// <summary>Save a checkpoint every this many steps (and at the end, and on cancellation); 0 saves only then.</summary>
        public int CheckpointEvery { get; init; }

        /// <summary>Continue from <see cref="CheckpointPath"/> when it exists.</summary>
        public bool Resume { get; init; }

        /// <summary>
        /// A weights file (.safetensors, .pt or .pth; <see cref="Weights.Load"/>, strict) the model starts from instead of its
        /// initialisation; ignored when the run resumes from a checkpoint (the checkpoint holds the newer state). Loaded before the
        /// EMA takes its first copy. A file that does not fit the model is a <see cref="WeightsException"/> before any step.
        /// </summary>
        public string? InitFrom { get; init; }

        /// <summary>
        /// A weights file (.safetensors, .pt or .pth) written with <see cref="Weights.Save"/> after the run, with the EMA weights
        /// when there is an EMA (what the returned model holds), also after a cancelled run; null writes none.
        /// </summary>
        public string? ExportPath { get; init; }

        /// <summary>
        /// How the run is configured, as a JSON object (e.g. the loss, the data, the architecture): stored inside every checkpoint
        /// under its checksum, and a resume under different settings is refused with a <see cref="CheckpointException"/> naming
        /// the properties that differ. Null stores none (and then only a checkpoint without settings resumes).
        /// </summary>
        public string? Settings { get; init; }

        /// <summary>Receives progress about a hundred times per run.</summary>
        public IProgress<TrainingProgress>? Progress { get; init; }

        /// <summary>Stops between steps; the state so far is checkpointed and returned with <see cref="TrainingResult.Cancelled"/>.</summary>
        public CancellationToken Cancellation { get; init; }
    }

    /// <summary>A progress report: step reached, total, the loss of that step and throughput.</summary>
    public readonly record struct TrainingProgress(long Step, long TotalSteps, double Loss, double SamplesPerSecond);

    /// <summary>The outcome of <see cref="Trainer"/>.Train.</summary>
    /// <param name="Steps">Steps completed in total (including those before a resume).</param>
    /// <param name="StartStep">The step the run started from (0, or the checkpoint's step).</param>
    /// <param name="LossHistory">The loss of every completed step.</param>
    /// <param name="FinalLoss">Mean loss over the last 10% of steps (at least one): a smoothed final figure.</param>
    /// <param name="Elapsed">Wall-clock time of this run.</param>
    /// <param name="Cancelled">True when the run stopped early at the token's request.</param>
    public sealed record TrainingResult(long Steps, long StartStep, IReadOnlyList<double> LossHistory, double FinalLoss, TimeSpan Elapsed, bool Cancelled);

    /// <summary>Thrown when the loss becomes NaN or Inf; the last checkpoint on disk is left untouched.</summary>
    public sealed class TrainingDivergedException : ArithmeticException
    {
        /// <summary>Creates the exception.</summary>
        public TrainingDivergedException(string model, long step, double loss, string? parameter = null)
            : base("Training " + model + ": the loss became " + loss.ToString(System.Globalization.CultureInfo.InvariantCulture) + " at step " + step
                + (parameter == null ? "" : " (parameter '" + parameter + "' holds a non-finite value)")
                + "; lower the learning rate. The last checkpoint (if any) was kept.") { Step = step; Parameter = parameter; }

        /// <summary>The step whose loss was not finite.</summary>
        public long Step { get; }

        /// <summary>The first parameter (by registration order) holding NaN or ±∞ when the loss diverged, or null when all were finite.</summary>
        public string? Parameter { get; }

        /// <summary>The exception for <paramref name="module"/>, naming its first non-finite parameter (the usual culprit after an overflow).</summary>
        public static TrainingDivergedException For(nn.Module module, string model, long step, double loss)
        {
            string? culprit = null;
            using (no_grad())
                foreach (var (name, p) in module.named_parameters())
                {
                    using var finite = p.isfinite().all();
                    if (!finite.item<bool>()) { culprit = name; break; }
                }
            return new TrainingDivergedException(model, step, loss, culprit);
        }
    }

    /// <summary>
    /// Minimises a loss over a model's parameters with <see cref="AdamOptimizer"/> (torch's Adam update without TorchSharp's
    /// implicit-Scalar race). Every step is a pure function of
    /// (seed, step, state): batch k comes from the stream's step-addressed generator and the loss's noise from a
    /// generator seeded by (Seed, k), so resuming from a checkpoint reproduces the uninterrupted run.
    /// </summary>
    public static class Trainer
    {
        /// <summary>Trains <paramref name="model"/> on <paramref name="data"/>; <paramref name="loss"/> maps (batch, generator) to a 0-dim loss.</summary>
        public static TrainingResult Train(ParameterModule model, IDataStream data, Func<Tensor, Generator, Tensor> loss, TrainerOptions options)
        {
            if (data is null) throw new ArgumentNullException(nameof(data));
            if (loss is null) throw new ArgumentNullException(nameof(loss));
            return Run(model, data, (step, generator) => loss(data.Batch(step), generator), options);
        }

        /// <summary>
        /// Trains on labelled data (classifiers, class-conditional networks): <paramref name="loss"/> maps (batch, labels,
        /// generator) to a 0-dim loss; the same loop, EMA, checkpoints and NaN stop as the unlabelled overload.
        /// </summary>
        public static TrainingResult Train(ParameterModule model, ILabelledDataStream data, Func<Tensor, Tensor, Generator, Tensor> loss, TrainerOptions options)
        {
            if (data is null) throw new ArgumentNullException(nameof(data));
            if (loss is null) throw new ArgumentNullException(nameof(loss));
            return Run(model, data, (step, generator) =>
            {
                var (x, labels) = data.LabelledBatch(step);
                return loss(x, labels, generator);
            }, options);
        }

        private static AutogradCaller LossCaller(ParameterModule model) => new("Trainer.Train", "the loss", "the parameters of '" + model.ModelName + "'",
            "The loss function must compute the loss from the model's differentiable methods (Score, Energy; not ScoreNoGrad or EnergyNoGrad), "
            + "without detach or no_grad, and the model needs trainable parameters.");

        /// <summary>The loop: <paramref name="stepLoss"/> gives the loss of a step (its batch and noise inside the step's dispose scope).</summary>
        private static TrainingResult Run(ParameterModule model, IDataStream data, Func<long, Generator, Tensor> stepLoss, TrainerOptions options)
        {
            if (model is null) throw new ArgumentNullException(nameof(model));
            if (data.Dim != model.Dim)
                throw new ArgumentException("Trainer: the data stream yields rows of dimension " + data.Dim + " but " + model.ModelName + " has D = " + model.Dim + ".", nameof(data));
            if (options.Steps < 0) throw new ArgumentException("Trainer: Steps must be ≥ 0, got " + options.Steps + ".", nameof(options));
            if (!(options.LearningRate > 0) || double.IsInfinity(options.LearningRate))
                throw new ArgumentException("Trainer: LearningRate must be a finite positive number, got " + options.LearningRate + ".", nameof(options));
            if (options.CheckpointEvery < 0) throw new ArgumentException("Trainer: CheckpointEvery must be ≥ 0.", nameof(options));

            var clock = Stopwatch.StartNew();
            if (options.Settings != null) ValidateSettings(options.Settings);
            bool resuming = options.Resume && options.CheckpointPath != null && File.Exists(options.CheckpointPath);
            if (options.InitFrom != null && !resuming) Weights.Load(model, options.InitFrom);
            using var optimizer = new AdamOptimizer(model.parameters(), options.LearningRate);
            using var ema = options.EmaDecay is double decay ? new ExponentialMovingAverage(model, decay) : null;
            var history = new List<double>();
            long start = 0;
            if (resuming)
            {
                var header = Checkpoint.Load(options.CheckpointPath!, model, optimizer, ema, options.Settings);
                start = header.Step;
                history.AddRange(header.LossHistory.Take((int)System.Math.Min(header.LossHistory.Count, start)));
            }
            long reportEvery = System.Math.Max(1, options.Steps / 100);
            bool cancelled = false;
            long step = start;
            for (; step < options.Steps; step++)
            {
                if (options.Cancellation.IsCancellationRequested) { cancelled = true; break; }
                double value;
                using (var scope = NewDisposeScope())
                using (var generator = new Generator(Seeds.ForStep(options.Seed, step, 0x_1055)))
                {
                    optimizer.ZeroGrad();
                    var l = stepLoss(step, generator);
                    if (l.numel() != 1) throw new ArgumentException("Trainer: the loss must be a single number, got " + Broadcasting.Describe(l) + ".", "loss");
                    value = l.ToDoubleValue();
                    if (double.IsNaN(value) || double.IsInfinity(value)) throw TrainingDivergedException.For(model, model.ModelName, step, value);
                    GuardedAutograd.Backward(LossCaller(model), l);
                    optimizer.Step();
                }
                ema?.Update(model);
                history.Add(value);
                if (options.Progress != null && ((step + 1) % reportEvery == 0 || step + 1 == options.Steps))
                {
                    double seconds = clock.Elapsed.TotalSeconds;
                    options.Progress.Report(new TrainingProgress(step + 1, options.Steps, value, seconds > 0 ? (step + 1 - start) * data.BatchSize / seconds : 0));
                }
                if (options.CheckpointPath != null && options.CheckpointEvery > 0 && (step + 1) % options.CheckpointEvery == 0)
                    Checkpoint.Save(options.CheckpointPath, model, optimizer, ema, step + 1, history, options.Settings);
            }
            if (options.CheckpointPath != null && step > start)
                Checkpoint.Save(options.CheckpointPath, model, optimizer, ema, step, history, options.Settings);
            ema?.CopyTo(model);
            if (options.ExportPath != null) Weights.Save(model, options.ExportPath);
            int tail = System.Math.Max(1, history.Count / 10);
            double final = history.Count == 0 ? double.NaN : history.Skip(history.Count - tail).Average();
            return new TrainingResult(step, start, history, final, clock.Elapsed, cancelled);
        }

        /// <summary>Settings that are not a JSON object are the caller's mistake, found before any training (not at the first checkpoint).</summary>
        private static void ValidateSettings(string settings)
        {
            try
            {
                using var document = System.Text.Json.JsonDocument.Parse(settings);
                if (document.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object) return;
            }
            catch (System.Text.Json.JsonException) { }
            throw new ArgumentException("Trainer: Settings must be a JSON object, got '" + settings + "'.", "options");
        }
    }
}
