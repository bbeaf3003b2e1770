using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using Dsl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Families
{
    /// <summary>
    /// The GAN objectives of Goodfellow et al. (2014) in terms of discriminator logits l, D = σ(l):
    /// V(D, G) = E_data[log D(x)] + E_z[log(1 − D(G(z)))], with log D = −softplus(−l) and log(1 − D) = −softplus(l).
    /// </summary>
    public static class GanLosses
    {
        /// <summary>The discriminator's loss −V(D, G) = E softplus(−l_real) + E softplus(l_fake): 0-dim.</summary>
        public static Tensor Discriminator(Tensor realLogits, Tensor fakeLogits)
        {
            using var scope = NewDisposeScope();
            return (global::Dsl.ScalarOps.Softplus(-realLogits).mean().Add(global::Dsl.ScalarOps.Softplus(fakeLogits).mean())).MoveToOuterDisposeScope();
        }

        /// <summary>The minimax generator loss E_z[log(1 − D(G(z)))] = −E softplus(l_fake) (saturates when D rejects the fakes): 0-dim.</summary>
        public static Tensor GeneratorMinimax(Tensor fakeLogits)
        {
            using var scope = NewDisposeScope();
            return (-global::Dsl.ScalarOps.Softplus(fakeLogits).mean()).MoveToOuterDisposeScope();
        }

        /// <summary>The non-saturating generator loss −E_z[log D(G(z))] = E softplus(−l_fake): 0-dim.</summary>
        public static Tensor GeneratorNonSaturating(Tensor fakeLogits)
        {
            using var scope = NewDisposeScope();
            return global::Dsl.ScalarOps.Softplus(-fakeLogits).mean().MoveToOuterDisposeScope();
        }

        /// <summary>The optimal discriminator for a fixed generator, D*(x) = p_data(x) / (p_data(x) + p_g(x)) = σ(log p_data − log p_g).</summary>
        public static Tensor OptimalDiscriminator(Tensor logPData, Tensor logPG)
        {
            using var scope = NewDisposeScope();
            return (logPData - logPG).sigmoid().MoveToOuterDisposeScope();
        }
    }

    /// <summary>Options of <see cref="GanTraining"/>.</summary>
    public sealed class GanOptions
    {
        /// <summary>Alternating steps (one discriminator and one generator update each).</summary>
        public int Steps { get; init; } = 2000;
        /// <summary>Minibatch size of real and fake samples.</summary>
        public int BatchSize { get; init; } = 256;
        /// <summary>Adam learning rate of both networks (β₁ = 0.5, β₂ = 0.999, as in DCGAN).</summary>
        public double LearningRate { get; init; } = 1e-3;
        /// <summary>Use the non-saturating generator loss −log D(G(z)) (default) instead of the minimax log(1 − D(G(z))).</summary>
        public bool NonSaturating { get; init; } = true;
        /// <summary>Seed of the latent and data draws.</summary>
        public long Seed { get; init; }
        /// <summary>Progress (step, discriminator loss).</summary>
        public IProgress<(long Step, long Total, double DLoss, double GLoss)>? Progress { get; init; }
        /// <summary>Stops between steps.</summary>
        public CancellationToken Cancellation { get; init; }
        /// <summary>
        /// Where to keep the last good state: the generator (with its optimiser) at this path and the discriminator at the path +
        /// ".discriminator", each written atomically every <see cref="CheckpointEvery"/> steps and at the end; a diverged step never
        /// overwrites them.
        /// </summary>
        public string? CheckpointPath { get; init; }
        /// <summary>Steps between checkpoints (0: only at the end).</summary>
        public int CheckpointEvery { get; init; }
        /// <summary>
        /// A weights file (.safetensors, .pt or .pth) both networks start from, with the keys of <see cref="GanTraining.Pair"/>
        /// ("generator.l0_W", …, "discriminator.l0_W", …), loaded strictly before the first step; null: their initialisation.
        /// </summary>
        public string? InitFrom { get; init; }
        /// <summary>A weights file both networks are written to after the run (the keys of <see cref="GanTraining.Pair"/>); null: none.</summary>
        public string? ExportPath { get; init; }
    }

    /// <summary>The losses of a GAN run, one entry per step.</summary>
    public sealed record GanResult(int Steps, IReadOnlyList<double> DiscriminatorLoss, IReadOnlyList<double> GeneratorLoss, TimeSpan Elapsed, bool Cancelled);

    /// <summary>Alternating stochastic gradient training of a GAN, and of a discriminator alone against a fixed generator.</summary>
    public static class GanTraining
    {
        /// <summary>
        /// The two networks as one module for <see cref="Weights"/>: its state dict holds the generator's parameters under
        /// "generator." and the discriminator's under "discriminator." (e.g. "generator.l0_W"). It only groups them: the networks
        /// stay the caller's to use and dispose.
        /// </summary>
        public static nn.Module Pair(Mlp generator, Mlp discriminator) => new GanPair(generator, discriminator);

        private sealed class GanPair : nn.Module
        {
            public GanPair(Mlp generator, Mlp discriminator) : base("Gan")
            {
                register_module("generator", generator ?? throw new ArgumentNullException(nameof(generator)));
                register_module("discriminator", discriminator ?? throw new ArgumentNullException(nameof(discriminator)));
            }
        }

        /// <summary>The discriminator's checkpoint beside the generator's at <paramref name="path"/>.</summary>
        public static string DiscriminatorCheckpoint(string path) => path + ".discriminator";

        private static AutogradCaller LossCaller(string entryPoint, string loss, Mlp network) => new(entryPoint, loss, "the parameters of '" + network.ModelName + "'",
            "'" + network.ModelName + "' needs trainable parameters (requires_grad) and a forward pass recorded by autograd (not under no_grad).");

        private static void SaveCheckpoint(string path, Mlp generator, AdamOptimizer gOpt, Mlp discriminator, AdamOptimizer dOpt, long step,
            IReadOnlyList<double> gHistory, IReadOnlyList<double> dHistory)
        {
            Checkpoint.Save(path, generator, gOpt, null, step, gHistory);
            Checkpoint.Save(DiscriminatorCheckpoint(path), discriminator, dOpt, null, step, dHistory);
        }

        /// <summary>
        /// Trains a discriminator (logits [N, 1]) by minimising −V(D, G) with the generator's samples fixed:
        /// its optimum is D*(x) = p_data/(p_data + p_g) (Goodfellow et al. 2014, Proposition 1).
        /// </summary>
        public static IReadOnlyList<double> TrainDiscriminator(Mlp discriminator, Func<int, Generator, Tensor> real, Func<int, Generator, Tensor> fake,
            int steps, int batchSize, double learningRate, long seed)
        {
            using var optimizer = new AdamOptimizer(discriminator.parameters(), learningRate, beta1: 0.5);
            var history = new List<double>();
            for (long step = 0; step < steps; step++)
            {
                using var scope = NewDisposeScope();
                using var g = new Generator(Seeds.ForStep(seed, step, 0x_da7a));
                optimizer.ZeroGrad();
                var loss = GanLosses.Discriminator(discriminator.Forward(real(batchSize, g)).squeeze(1), discriminator.Forward(fake(batchSize, g)).squeeze(1));
                double value = loss.ToDoubleValue();
                if (!double.IsFinite(value)) throw TrainingDivergedException.For(discriminator, discriminator.ModelName, step, value);
                GuardedAutograd.Backward(LossCaller("GanTraining.TrainDiscriminator", "the discriminator loss", discriminator), loss);
                optimizer.Step();
                history.Add(value);
            }
            return history;
        }

        /// <summary>
        /// Alternating updates: the discriminator descends −V(D, G) on a real and a fake batch, then the generator descends the
        /// non-saturating (or minimax) loss on a fresh latent batch z ~ N(0, I).
        /// </summary>
        public static GanResult Train(Mlp generator, Mlp discriminator, Func<int, Generator, Tensor> real, GanOptions options)
        {
            if (discriminator.Dim != generator.Outputs)
                throw new ArgumentException("GanTraining: the generator " + generator.ModelName + " produces " + generator.Outputs + " dimensions but the discriminator "
                    + discriminator.ModelName + " reads " + discriminator.Dim + ".", nameof(discriminator));
            if (discriminator.Outputs != 1)
                throw new ArgumentException("GanTraining: the discriminator " + discriminator.ModelName + " must output one logit, not " + discriminator.Outputs + ".", nameof(discriminator));
            var clock = Stopwatch.StartNew();
            if (options.InitFrom != null) Weights.Load(Pair(generator, discriminator), options.InitFrom);
            using var dOpt = new AdamOptimizer(discriminator.parameters(), options.LearningRate, beta1: 0.5);
            using var gOpt = new AdamOptimizer(generator.parameters(), options.LearningRate, beta1: 0.5);
            var dHistory = new List<double>();
            var gHistory = new List<double>();
            long reportEvery = System.Math.Max(1, options.Steps / 100);
            int step = 0;
            for (; step < options.Steps; step++)
            {
                if (options.Cancellation.IsCancellationRequested) break;
                using var scope = NewDisposeScope();
                using var g = new Generator(Seeds.ForStep(options.Seed, step, 0x_6a4));
                var x = real(options.BatchSize, g);
                if (x.dim() != 2 || x.shape[1] != discriminator.Dim)
                    throw new ArgumentException("GanTraining: the data sampler returned " + Broadcasting.Describe(x) + " but " + discriminator.ModelName + " reads [N, " + discriminator.Dim + "].");
                var z = empty(new long[] { options.BatchSize, generator.Dim }, dtype: x.dtype).normal_(0, 1, generator: g);

                dOpt.ZeroGrad();
                Tensor fake;
                using (no_grad()) fake = generator.Forward(z);
                var dLoss = GanLosses.Discriminator(discriminator.Forward(x).squeeze(1), discriminator.Forward(fake).squeeze(1));
                double dValue = dLoss.ToDoubleValue();
                if (!double.IsFinite(dValue)) throw TrainingDivergedException.For(discriminator, discriminator.ModelName, step, dValue);
                GuardedAutograd.Backward(LossCaller("GanTraining.Train", "the discriminator loss", discriminator), dLoss);
                dOpt.Step();

                gOpt.ZeroGrad();
                var z2 = empty(new long[] { options.BatchSize, generator.Dim }, dtype: x.dtype).normal_(0, 1, generator: g);
                var logits = discriminator.Forward(generator.Forward(z2)).squeeze(1);
                var gLoss = options.NonSaturating ? GanLosses.GeneratorNonSaturating(logits) : GanLosses.GeneratorMinimax(logits);
                double gValue = gLoss.ToDoubleValue();
                if (!double.IsFinite(gValue)) throw TrainingDivergedException.For(generator, generator.ModelName, step, gValue);
                GuardedAutograd.Backward(LossCaller("GanTraining.Train", "the generator loss", generator), gLoss);
                gOpt.Step();
                dHistory.Add(dValue);
                gHistory.Add(gValue);
                if (options.Progress != null && ((step + 1) % reportEvery == 0 || step + 1 == options.Steps))
                    options.Progress.Report((step + 1, options.Steps, dValue, gValue));
                if (options.CheckpointPath != null && options.CheckpointEvery > 0 && (step + 1) % options.CheckpointEvery == 0)
                    SaveCheckpoint(options.CheckpointPath, generator, gOpt, discriminator, dOpt, step + 1, gHistory, dHistory);
            }
            if (options.CheckpointPath != null && step > 0)
                SaveCheckpoint(options.CheckpointPath, generator, gOpt, discriminator, dOpt, step, gHistory, dHistory);
            if (options.ExportPath != null) Weights.Save(Pair(generator, discriminator), options.ExportPath);
            return new GanResult(step, dHistory, gHistory, clock.Elapsed, step < options.Steps);
        }
    }
}
