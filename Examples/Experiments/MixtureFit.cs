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
    /// <summary>The score-matching objectives of the lectures, by their gallery names.</summary>
    public enum ScoreMatchingLoss
    {
        /// <summary>Explicit score matching against the known score.</summary>
        Esm,
        /// <summary>Implicit (Hyvärinen) score matching with the generated exact divergence.</summary>
        Ism,
        /// <summary>Sliced score matching (Gaussian projections).</summary>
        Ssm,
        /// <summary>Sliced score matching, variance-reduced.</summary>
        SsmVr,
        /// <summary>Denoising score matching at one σ.</summary>
        Dsm,
        /// <summary>The multi-scale NCSN objective with λ(σ) = σ².</summary>
        Ncsn,
    }

    /// <summary>The outcome of fitting a Gaussian mixture by score matching.</summary>
    public sealed record MixtureFitResult(
        string Loss, int Steps, double FinalLoss, double MeanError, double WeightError, double InitialMeanError,
        double[,] FittedMeans, double[] FittedWeights, double FittedSigma, double[,] TrueMeans, double[] TrueWeights, double TrueSigma,
        IReadOnlyList<double> LossHistory, double Seconds);

    /// <summary>
    /// Score matching recovers parameters: samples from a known two-component mixture in 2D, a GaussianMixture
    /// (or, for NCSN, a PerturbedGaussianMixture) started away from the truth, Adam through the generated score.
    /// </summary>
    public static class MixtureFit
    {
        /// <summary>The true means μₖ (rows).</summary>
        public static readonly double[,] TrueMeans = { { -1.5, -0.5 }, { 1.5, 1.0 } };

        /// <summary>The true weights wₖ.</summary>
        public static readonly double[] TrueWeights = { 0.3, 0.7 };

        /// <summary>The true shared standard deviation.</summary>
        public const double TrueSigma = 0.8;

        /// <summary>The DSM noise level.</summary>
        public const double DsmSigma = 0.3;

        /// <summary>The NCSN noise levels.</summary>
        public static readonly double[] NcsnSigmas = NoiseSchedule.Geometric(1.0, 0.05, 6);

        /// <summary>Fits the mixture with <paramref name="loss"/>; deterministic in <paramref name="seed"/>.</summary>
        public static MixtureFitResult Run(ScoreMatchingLoss loss, long seed, int steps = 800, int batchSize = 512, double learningRate = 0.03,
            IProgress<TrainingProgress>? progress = null, string? checkpoint = null, bool resume = false, System.Threading.CancellationToken cancellation = default)
        {
            using var scope = NewDisposeScope();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var init = new Generator((ulong)seed);
            var startMeans = empty(2, 2, dtype: ScalarType.Float64).normal_(0, 1, generator: init);   // far from the truth, seeded
            ParameterModule model = loss == ScoreMatchingLoss.Ncsn ? new PerturbedGaussianMixture(D: 2, K: 2) : new GaussianMixture(D: 2, K: 2);
            model.to(ScalarType.Float64);
            model.SetParameter("Mu", startMeans);
            model.SetParameter("Sigma", tensor(1.0));
            double initialError = MatchedMeanError(Read(model, "Mu"), TrueMeans).Error;

            var truth = new GaussianMixture(D: 2, K: 2);
            truth.to(ScalarType.Float64);
            truth.SetParameter("Mu", tensor(Flatten(TrueMeans)).reshape(2, 2));
            truth.SetParameter("LogW", tensor(TrueWeights.Select(w => System.Math.Log(w)).ToArray()));
            truth.SetParameter("Sigma", tensor(TrueSigma));

            var data = new SampledDataStream((n, g) => SampleMixture(n, g), dim: 2, batchSize, seed);
            Func<Tensor, Generator, Tensor> objective = loss switch
            {
                ScoreMatchingLoss.Esm => (x, g) => ScoreMatchingLosses.Explicit((IScoreModel)model, x, truth.ScoreNoGrad),
                ScoreMatchingLoss.Ism => (x, g) => ScoreMatchingLosses.Implicit((IScoreModel)model, x),
                ScoreMatchingLoss.Ssm => (x, g) => ScoreMatchingLosses.Sliced((IScoreModel)model, x, g),
                ScoreMatchingLoss.SsmVr => (x, g) => ScoreMatchingLosses.Sliced((IScoreModel)model, x, g, varianceReduced: true),
                ScoreMatchingLoss.Dsm => (x, g) => ScoreMatchingLosses.Denoising((IScoreModel)model, x, DsmSigma, g),
                _ => (x, g) => ScoreMatchingLosses.NoiseConditional((INoiseConditionalModel)model, x, NcsnSigmas, g),
            };
            var result = Trainer.Train(model, data, objective, new TrainerOptions
            {
                Steps = steps, LearningRate = learningRate, EmaDecay = 0.98, Seed = seed, Progress = progress,
                CheckpointPath = checkpoint, CheckpointEvery = checkpoint != null ? System.Math.Max(1, steps / 10) : 0, Resume = resume,
                Cancellation = cancellation,
                // What the checkpoint was trained with: resuming an ism checkpoint under dsm (same model, same shapes) is refused.
                Settings = System.Text.Json.JsonSerializer.Serialize(new { loss = Name(loss), batch = batchSize, learning_rate = learningRate }),
                InitFrom = GalleryWeights.InitFrom, ExportPath = GalleryWeights.Export,   // --init-from / --export of the command
            });

            var means = Read(model, "Mu");
            var (error, permutation) = MatchedMeanError(means, TrueMeans);
            var logW = Read(model, "LogW");
            double max = System.Math.Max(logW[0, 0], logW[0, 1]);
            var weights = new[] { System.Math.Exp(logW[0, 0] - max), System.Math.Exp(logW[0, 1] - max) };
            double total = weights.Sum();
            weights = weights.Select(w => w / total).ToArray();
            double weightError = Enumerable.Range(0, 2).Average(k => System.Math.Abs(weights[permutation[k]] - TrueWeights[k]));
            return new MixtureFitResult(Name(loss), (int)result.Steps, result.FinalLoss, error, weightError, initialError,
                means, weights, System.Math.Abs(Read(model, "Sigma")[0, 0]), TrueMeans, TrueWeights, TrueSigma, result.LossHistory, clock.Elapsed.TotalSeconds);
        }

        /// <summary>The gallery name of a loss.</summary>
        public static string Name(ScoreMatchingLoss loss) => loss == ScoreMatchingLoss.SsmVr ? "ssm-vr" : loss.ToString().ToLowerInvariant();

        /// <summary>Parses a gallery name (esm, ism, ssm, ssm-vr, dsm, ncsn).</summary>
        public static ScoreMatchingLoss? Parse(string name) => name.ToLowerInvariant() switch
        {
            "esm" => ScoreMatchingLoss.Esm, "ism" => ScoreMatchingLoss.Ism, "ssm" => ScoreMatchingLoss.Ssm,
            "ssm-vr" => ScoreMatchingLoss.SsmVr, "dsm" => ScoreMatchingLoss.Dsm, "ncsn" => ScoreMatchingLoss.Ncsn, _ => null,
        };

        /// <summary>n draws from the true mixture.</summary>
        public static Tensor SampleMixture(int n, Generator g)
        {
            using var scope = NewDisposeScope();
            var component = multinomial(tensor(TrueWeights), n, replacement: true, generator: g);
            var means = tensor(Flatten(TrueMeans)).reshape(2, 2).index_select(0, component);
            return (empty(n, 2, dtype: ScalarType.Float64).normal_(0, TrueSigma, generator: g).Add(means)).MoveToOuterDisposeScope();
        }

        /// <summary>Mean absolute error of the fitted means after matching components (best of all K! assignments).</summary>
        public static (double Error, int[] Permutation) MatchedMeanError(double[,] fitted, double[,] truth)
        {
            int k = truth.GetLength(0), d = truth.GetLength(1);
            double best = double.PositiveInfinity;
            int[] bestPermutation = Enumerable.Range(0, k).ToArray();
            foreach (var permutation in Permutations(Enumerable.Range(0, k).ToArray(), 0))
            {
                double error = 0;
                for (int i = 0; i < k; i++)
                    for (int j = 0; j < d; j++)
                        error += System.Math.Abs(fitted[permutation[i], j] - truth[i, j]);
                error /= k * d;
                if (error < best) { best = error; bestPermutation = (int[])permutation.Clone(); }
            }
            return (best, bestPermutation);
        }

        private static IEnumerable<int[]> Permutations(int[] items, int start)
        {
            if (start == items.Length) { yield return items; yield break; }
            for (int i = start; i < items.Length; i++)
            {
                (items[start], items[i]) = (items[i], items[start]);
                foreach (var p in Permutations(items, start + 1)) yield return p;
                (items[start], items[i]) = (items[i], items[start]);
            }
        }

        private static double[,] Read(ParameterModule model, string name)
        {
            var p = model.named_parameters().First(q => q.name == name).parameter.detach().to_type(ScalarType.Float64).cpu();
            var flat = p.reshape(-1).data<double>().ToArray();
            int cols = p.dim() == 2 ? (int)p.shape[1] : flat.Length;
            var result = new double[flat.Length / System.Math.Max(1, cols), System.Math.Max(1, cols)];
            for (int i = 0; i < flat.Length; i++) result[i / cols, i % cols] = flat[i];
            return result;
        }

        private static double[] Flatten(double[,] a) => a.Cast<double>().ToArray();
    }
}
