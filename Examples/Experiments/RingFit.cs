using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.Models;
using Dsl.Sampling;
using Dsl.ScoreMatching;
using Dsl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Examples.Experiments
{
    /// <summary>The outcome of fitting the noise-conditional MLP energy to a ring and sampling it.</summary>
    public sealed record RingFitResult(
        int Steps, double FinalLoss, double MeanRadiusError, double FractionOnRing, double UntrainedMeanRadiusError,
        double[] SampleXs, double[] SampleYs, double[] DataXs, double[] DataYs, IReadOnlyList<double> LossHistory, double Seconds);

    /// <summary>
    /// A neural energy learned from data: NoiseConditionalMlpEnergy trained with the multi-scale NCSN objective on
    /// a ring of radius 2 (radial noise 0.1), then sampled with annealed Langevin dynamics through its generated score.
    /// </summary>
    public static class RingFit
    {
        /// <summary>The ring's radius.</summary>
        public const double Radius = 2.0;

        /// <summary>The radial standard deviation of the data.</summary>
        public const double Width = 0.1;

        /// <summary>Noise levels of training and sampling.</summary>
        public static readonly double[] Sigmas = NoiseSchedule.Geometric(2.0, 0.05, 10);

        /// <summary>Trains and samples; deterministic in <paramref name="seed"/>.</summary>
        public static RingFitResult Run(long seed, int steps = 2000, int hidden = 64, int samples = 2000,
            IProgress<TrainingProgress>? progress = null, IProgress<SamplerProgress>? sampling = null, System.Threading.CancellationToken cancellation = default)
        {
            using var scope = NewDisposeScope();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var model = new NoiseConditionalMlpEnergy(D: 2, H: hidden, generator: new Generator((ulong)seed));
            var start = empty(samples, 2).uniform_(-3, 3, generator: new Generator((ulong)seed + 1));
            double untrained = Evaluate(model, start, seed).MeanError;

            var data = new SampledDataStream((n, g) => SampleRing(n, g), dim: 2, batchSize: 256, seed);
            var result = Trainer.Train(model, data, (x, g) => ScoreMatchingLosses.NoiseConditional(model, x, Sigmas, g),
                new TrainerOptions { Steps = steps, LearningRate = 3e-3, EmaDecay = 0.99, Seed = seed, Progress = progress, Cancellation = cancellation,
                    InitFrom = GalleryWeights.InitFrom, ExportPath = GalleryWeights.Export });

            var (error, onRing, xs, ys) = Evaluate(model, start, seed, sampling);
            using var g0 = new Generator((ulong)seed + 2);
            var reference = SampleRing(samples, g0);
            return new RingFitResult((int)result.Steps, result.FinalLoss, error, onRing, untrained, xs, ys,
                Column(reference, 0), Column(reference, 1), result.LossHistory, clock.Elapsed.TotalSeconds);
        }

        /// <summary>
        /// The same energy, objective, noise levels and sampler on a user's data file of dimension D (rows drawn with replacement,
        /// batches of 256): samples in data units and MMD² (RBF widths 0.1, 0.3, 1 times √(D/2), model units) between
        /// <paramref name="samples"/> annealed-Langevin samples and as many rows of the data.
        /// </summary>
        internal static (int Steps, double FinalLoss, double Mmd2, double[][] Samples, double[][] Data, IReadOnlyList<double> LossHistory, double Seconds) RunOnData(
            GalleryData dataSet, long seed, int steps, int hidden = 64, int samples = 500,
            IProgress<TrainingProgress>? progress = null, IProgress<SamplerProgress>? sampling = null, System.Threading.CancellationToken cancellation = default)
        {
            using var scope = NewDisposeScope();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var model = new NoiseConditionalMlpEnergy(D: dataSet.Dim, H: hidden, generator: new Generator((ulong)seed));
            var start = empty(samples, dataSet.Dim).uniform_(-3, 3, generator: new Generator((ulong)seed + 1));
            var result = Trainer.Train(model, dataSet.Stream(256, seed), (x, g) => ScoreMatchingLosses.NoiseConditional(model, x, Sigmas, g),
                new TrainerOptions { Steps = steps, LearningRate = 3e-3, EmaDecay = 0.99, Seed = seed, Progress = progress, Cancellation = cancellation });
            using var r = Samplers.AnnealedLangevin(model, start, Sigmas, 2e-4 * 100, 50, new SamplerOptions { Seed = seed + 3, Progress = sampling });
            var reference = dataSet.Draw(samples, new Generator((ulong)seed + 2));
            double widen = System.Math.Sqrt(dataSet.Dim / 2.0);
            double mmd = Dsl.Diffusion.SampleStatistics.Mmd2(r.Samples, reference, new[] { 0.1 * widen, 0.3 * widen, 1.0 * widen });
            return ((int)result.Steps, result.FinalLoss, mmd, dataSet.ToDataUnits(r.Samples), dataSet.ToDataUnits(reference), result.LossHistory, clock.Elapsed.TotalSeconds);
        }

        private static (double MeanError, double OnRing, double[] Xs, double[] Ys) Evaluate(NoiseConditionalMlpEnergy model, Tensor start, long seed, IProgress<SamplerProgress>? progress = null)
        {
            using var r = Samplers.AnnealedLangevin(model, start, Sigmas, 2e-4 * 100, 50, new SamplerOptions { Seed = seed + 3, Progress = progress });
            var radius = r.Samples.Square().sum(1).sqrt();
            var deviation = (radius.Sub(Radius)).abs();
            return (deviation.mean().item<float>(), (deviation.Lt(3 * Width)).to_type(ScalarType.Float32).mean().item<float>(), Column(r.Samples, 0), Column(r.Samples, 1));
        }

        /// <summary>n points of the ring: angle uniform, radius N(2, 0.1²).</summary>
        public static Tensor SampleRing(int n, Generator g)
        {
            using var scope = NewDisposeScope();
            var angle = empty(n).uniform_(0, 2 * System.Math.PI, generator: g);
            var radius = empty(n).normal_(Radius, Width, generator: g);
            return stack(new[] { radius * angle.cos(), radius * angle.sin() }, 1).MoveToOuterDisposeScope();
        }

        private static double[] Column(Tensor t, int c) => t.select(1, c).to_type(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();
    }
}
