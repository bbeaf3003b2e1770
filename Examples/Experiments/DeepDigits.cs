using System;
using System.Collections.Generic;
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
    /// <summary>One greedily trained DBN layer: its sizes, steps, the smoothed final CD loss and the seconds it took.</summary>
    public sealed record DbnLayerRun(int Layer, int Visible, int Hidden, int Steps, double FinalLoss, double Seconds);

    /// <summary>The outcome of <see cref="DeepDigits.Dbn"/>.</summary>
    public sealed record DbnDigitsRun(int[] Hidden, DbnLayerRun[] Layers, double? RbmExactLogLikelihood, double? VariationalBound, double? ExactLogLikelihood,
        double Seconds, double[][] Samples, bool Cancelled);

    /// <summary>The outcome of <see cref="DeepDigits.Dbm"/>.</summary>
    public sealed record DbmDigitsRun(int Hidden1, int Hidden2, int Steps, double? ExactLogLikelihoodBefore, double? ExactLogLikelihood,
        double? MeanFieldBoundBefore, double? MeanFieldBound, double MeanFieldIterations, double Seconds, double[][] Samples, bool Cancelled);

    /// <summary>A deep belief net and a two-layer deep Boltzmann machine on the binarised digits.</summary>
    public static class DeepDigits
    {
        private static double[][] Rows(Tensor t) => Enumerable.Range(0, (int)t.shape[0]).Select(i => t[i].data<double>().ToArray()).ToArray();

        /// <summary>
        /// Greedy layer-wise CD-1 training (layer k ≥ 1 tied to layer k−1 transposed first when the shapes allow), ancestral
        /// samples (1000 top Gibbs sweeps), and for two layers with a middle layer ≤ 20 the RBM's exact log-likelihood, the
        /// DBN's variational bound and its exact log-likelihood on the first 500 images.
        /// </summary>
        public static DbnDigitsRun Dbn(int[] hidden, int steps, long seed, IProgress<(int Layer, TrainingProgress Progress)>? progress = null, CancellationToken cancellation = default)
        {
            using var scope = NewDisposeScope();
            return Dbn(Digits.Images(PixelScale.Binary).to_type(ScalarType.Float64), hidden, steps, seed, progress, cancellation);
        }

        /// <summary>The DBN on binary rows [N, V] (0/1, float64): a user's binary data file as well as the digits; V comes from the data.</summary>
        internal static DbnDigitsRun Dbn(Tensor data, int[] hidden, int steps, long seed, IProgress<(int Layer, TrainingProgress Progress)>? progress, CancellationToken cancellation)
        {
            using var scope = NewDisposeScope();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var evaluation = data.narrow(0, 0, System.Math.Min(500, data.shape[0]));
            using var dbn = new DeepBeliefNet((int)data.shape[1], hidden, seed);
            // --init-from/--export: the stack's RBMs as one state dict, keys "{layer}.{parameter}" (e.g. "0.W", "1.B"), as a
            // PyTorch nn.ModuleList of the layers names them. Not disposed here: the layers belong to the DBN.
            var stack = new LayerStack(dbn.Layers);
            if (GalleryWeights.InitFrom is string initFrom) Weights.Load(stack, initFrom);
            var layers = new List<DbnLayerRun>();
            double? rbm = null;
            bool cancelled = false;
            for (int k = 0; k < hidden.Length && !cancelled; k++)
            {
                var start = clock.Elapsed.TotalSeconds;
                var r = dbn.TrainGreedy(data, new GreedyLayerOptions
                {
                    StepsPerLayer = steps, LearningRate = k == 0 ? 0.02 : 0.005, Seed = seed + 1, Layers = new[] { k }, TieToLayerBelow = true,
                    Progress = progress, Cancellation = cancellation,
                });
                if (r.Count == 0) { cancelled = true; break; }
                var result = r[0].Result;
                cancelled = result.Cancelled;
                layers.Add(new DbnLayerRun(k, dbn.Layers[k].Dim, hidden[k], (int)result.Steps, result.FinalLoss, clock.Elapsed.TotalSeconds - start));
                if (k == 0 && hidden[0] <= BoltzmannLearning.MaxEnumeratedHidden)
                    rbm = BoltzmannLearning.ExactLogLikelihood(dbn.Layers[0], evaluation).mean().ToDoubleValue();
            }
            double? bound = null, exact = null;
            if (hidden.Length == 2 && hidden[0] <= DeepBeliefLearning.MaxEnumeratedMiddle && layers.Count == 2)
            {
                bound = dbn.VariationalBound(evaluation).mean().ToDoubleValue();
                exact = dbn.ExactLogLikelihood(evaluation).mean().ToDoubleValue();
            }
            if (GalleryWeights.Export is string export && !cancelled) Weights.Save(stack, export);
            var (_, means) = dbn.Sample(32, 1000, new Generator((ulong)seed + 7));
            return new DbnDigitsRun(hidden, layers.ToArray(), rbm, bound, exact, clock.Elapsed.TotalSeconds, Rows(means), cancelled);
        }

        /// <summary>
        /// A two-layer DBM trained from scratch by mean-field (data) minus persistent-chain (model) statistics; exact
        /// log-likelihood (H₁ ≤ 20, H₂ ≤ 16) and the mean-field bound on the first 500 images before and after; samples are
        /// p(v | h₁) after 300 alternating Gibbs sweeps from random states.
        /// </summary>
        public static DbmDigitsRun Dbm(int hidden1, int hidden2, int steps, long seed, IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
        {
            using var scope = NewDisposeScope();
            return Dbm(Digits.Images(PixelScale.Binary).to_type(ScalarType.Float64), hidden1, hidden2, steps, seed, progress, cancellation);
        }

        /// <summary>The DBN's RBMs as one module whose state dict names them "0", "1", … (as a PyTorch nn.ModuleList would), for Dsl.Weights.</summary>
        private sealed class LayerStack : nn.Module
        {
            public LayerStack(IReadOnlyList<BinaryRbm> layers) : base("DbnLayers")
            {
                for (int k = 0; k < layers.Count; k++) register_module(k.ToString(System.Globalization.CultureInfo.InvariantCulture), layers[k]);
            }
        }

        /// <summary>The batch of the DBM's learning steps.</summary>
        public const int DbmBatch = 100;

        /// <summary>The DBM on binary rows [N, V] (0/1, float64): a user's binary data file as well as the digits; V comes from the data.</summary>
        internal static DbmDigitsRun Dbm(Tensor data, int hidden1, int hidden2, int steps, long seed, IProgress<TrainingProgress>? progress, CancellationToken cancellation)
        {
            using var scope = NewDisposeScope();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var evaluation = data.narrow(0, 0, System.Math.Min(500, data.shape[0]));
            using var dbm = new DeepBoltzmannMachine((int)data.shape[1], hidden1, hidden2, seed);
            bool exactOk = hidden1 <= BoltzmannLearning.MaxEnumeratedHidden && hidden2 <= DeepBoltzmannMachine.MaxEnumeratedHidden2;
            (double? Exact, double? Bound, double Iterations) Measure()
            {
                using var q = dbm.MeanField(evaluation);
                if (!exactOk) return (null, null, q.Iterations);
                double logZ = dbm.LogPartition();
                return (dbm.ExactLogLikelihood(evaluation, logZ).mean().ToDoubleValue(), dbm.MeanFieldBound(evaluation, q, logZ).mean().ToDoubleValue(), q.Iterations);
            }
            var before = Measure();
            using var learning = new DbmPersistentLearning(dbm, dbm.RandomState(100, new Generator((ulong)seed + 2)));
            var result = Trainer.Train(dbm, new TensorDataStream(data, DbmBatch, seed + 3), learning.Loss,
                new TrainerOptions { Steps = steps, LearningRate = 0.01, Seed = seed + 4, Progress = progress, Cancellation = cancellation, InitFrom = GalleryWeights.InitFrom, ExportPath = GalleryWeights.Export });
            var after = Measure();
            var g = new Generator((ulong)seed + 5);
            var x = dbm.Gibbs(dbm.RandomState(32, g), 300, g);
            var (shown, _) = dbm.OuterProbabilities(dbm.Joint.HiddenProbabilities(x).bernoulli(generator: g));
            return new DbmDigitsRun(hidden1, hidden2, (int)result.Steps, before.Exact, after.Exact, before.Bound, after.Bound, after.Iterations,
                clock.Elapsed.TotalSeconds, Rows(shown), result.Cancelled);
        }
    }
}
