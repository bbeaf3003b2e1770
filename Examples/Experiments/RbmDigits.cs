using System;
using System.Linq;
using System.Threading;
using Dsl.Discrete;
using Dsl.Models;
using Dsl.Models.Data;
using Dsl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Examples.Experiments
{
    /// <summary>The outcome of training an RBM on the binarised digits.</summary>
    public sealed record RbmDigitsRun(string Algorithm, int Hidden, int Epochs, int Steps, double PseudoLogLikelihoodBefore, double PseudoLogLikelihood,
        double AisLogLikelihoodBefore, double AisLogLikelihood, double AisStandardError, double? ExactLogLikelihood, double Seconds,
        double[][] Samples, double[][] Filters, bool Cancelled);

    /// <summary>
    /// The lectures' RBM on the UCI digits binarised at 8/16: CD-1 or PCD through the generated free energy and
    /// conditionals; the pseudo-likelihood and the AIS log-likelihood (exact too when H ≤ 20) before and after.
    /// </summary>
    public static class RbmDigits
    {
        /// <summary>Trains and evaluates; deterministic in <paramref name="seed"/>.</summary>
        public static RbmDigitsRun Run(bool persistent, int hidden = 64, int epochs = 10, long seed = 0, string? checkpoint = null, bool resume = false,
            IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
        {
            using var scope = NewDisposeScope();
            return Run(Digits.Images(PixelScale.Binary).to_type(ScalarType.Float64), persistent, hidden, epochs, seed, checkpoint, resume, progress, cancellation);
        }

        /// <summary>The batch of the RBM's CD/PCD steps (and the PCD chains started from the first rows).</summary>
        public const int Batch = 100;

        /// <summary>
        /// <see cref="Run(bool, int, int, long, string?, bool, IProgress{TrainingProgress}?, CancellationToken)"/> on binary rows [N, V] (0/1,
        /// float64, N ≥ <see cref="Batch"/>): a user's binary data file as well as the digits; V comes from the data.
        /// </summary>
        internal static RbmDigitsRun Run(Tensor data, bool persistent, int hidden, int epochs, long seed, string? checkpoint, bool resume,
            IProgress<TrainingProgress>? progress, CancellationToken cancellation)
        {
            using var scope = NewDisposeScope();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            int visible = (int)data.shape[1];
            var rbm = new BinaryRbm(V: visible, H: hidden, generator: new Generator((ulong)seed));
            rbm.to(ScalarType.Float64);
            rbm.SetParameter("W", empty(visible, hidden, dtype: ScalarType.Float64).normal_(0, 0.01, generator: new Generator((ulong)seed + 1)));
            var mean = data.mean(new long[] { 0 }).Clamp(0.02, 0.98);
            var baseBias = (mean / (global::Dsl.ScalarOps.RSub(1,mean))).log();
            var evaluation = data.narrow(0, 0, System.Math.Min(500, data.shape[0]));
            (double Pl, double Ais, double Se) Evaluate()
            {
                double pl = BoltzmannLearning.PseudoLogLikelihood(rbm, evaluation, new Generator((ulong)seed + 2)).mean().item<double>();
                var ais = BinaryRbmAis.LogPartition(rbm, baseBias, steps: 1000, runs: 100, new Generator((ulong)seed + 3));
                double ll = -rbm.FreeEnergy(evaluation).mean().item<double>() - ais.LogZ;
                return (pl, ll, ais.StandardError);
            }
            var before = Evaluate();
            const int batch = Batch;
            int steps = epochs * (((int)data.shape[0] + batch - 1) / batch);
            using var objective = new ContrastiveDivergence(rbm, 1, persistent ? data.narrow(0, 0, batch) : null);
            var result = Trainer.Train(rbm, new TensorDataStream(data, batch, seed + 4), objective.Loss, new TrainerOptions { Steps = steps, LearningRate = 0.01, Seed = seed + 5, CheckpointPath = checkpoint, CheckpointEvery = checkpoint != null ? 50 : 0, Resume = resume, Progress = progress, Cancellation = cancellation,
                    InitFrom = GalleryWeights.InitFrom, ExportPath = GalleryWeights.Export });
            var after = Evaluate();
            double? exact = hidden <= BoltzmannLearning.MaxEnumeratedHidden ? BoltzmannLearning.ExactLogLikelihood(rbm, evaluation).mean().item<double>() : null;
            // Samples: 200 block Gibbs sweeps from random bits; show p(v | h) of the last sweep.
            var g2 = new Generator((ulong)seed + 6);
            var v = BoltzmannLearning.Gibbs(rbm, empty(32, visible, dtype: ScalarType.Float64).bernoulli_(0.5, generator: g2), 200, g2);
            var shown = rbm.VisibleProbabilities(rbm.HiddenProbabilities(v).bernoulli(generator: g2));
            var samples = Enumerable.Range(0, 32).Select(i => shown[i].data<double>().ToArray()).ToArray();
            var w = rbm.named_parameters().First(p => p.name == "W").parameter.detach();
            var filters = Enumerable.Range(0, System.Math.Min(hidden, 32)).Select(j => w.select(1, j).contiguous().data<double>().ToArray()).ToArray();
            return new RbmDigitsRun(persistent ? "pcd" : "cd1", hidden, epochs, (int)result.Steps, before.Pl, after.Pl, before.Ais, after.Ais, after.Se, exact,
                clock.Elapsed.TotalSeconds, samples, filters, result.Cancelled);
        }
    }
}
