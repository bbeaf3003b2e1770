using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Dsl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Discrete
{
    /// <summary>How <see cref="DeepBeliefLearning.TrainGreedy{T}"/> trains each layer.</summary>
    public sealed class GreedyLayerOptions
    {
        /// <summary>Optimiser steps per layer.</summary>
        public int StepsPerLayer { get; init; } = 300;

        /// <summary>Rows per minibatch.</summary>
        public int BatchSize { get; init; } = 100;

        /// <summary>Adam's learning rate.</summary>
        public double LearningRate { get; init; } = 0.02;

        /// <summary>Gibbs sweeps k of CD-k (or per PCD step).</summary>
        public int Sweeps { get; init; } = 1;

        /// <summary>PCD (persistent chains started from the first batch) instead of CD-k.</summary>
        public bool Persistent { get; init; }

        /// <summary>Seed of the batches, the up-propagation samples and the Gibbs noise.</summary>
        public long Seed { get; init; }

        /// <summary>
        /// Before training layer k ≥ 1 whose shape is layer k−1's transposed, tie it to layer k−1 (W ← Wᵀ, B ← C, C ← B; see
        /// <see cref="DeepBeliefLearning.TieTransposed"/>): the net then starts from the lower RBM's own p(v), and the
        /// variational bound starts at that RBM's log-likelihood (Hinton, Osindero &amp; Teh 2006).
        /// </summary>
        public bool TieToLayerBelow { get; init; }

        /// <summary>Which layers to train (0 is the bottom); null trains all. Layers not listed are left as they are.</summary>
        public IReadOnlyCollection<int>? Layers { get; init; }

        /// <summary>Receives (layer, progress) about a hundred times per layer.</summary>
        public IProgress<(int Layer, TrainingProgress Progress)>? Progress { get; init; }

        /// <summary>Stops between steps; the remaining layers are not trained.</summary>
        public CancellationToken Cancellation { get; init; }
    }

    /// <summary>
    /// Deep belief nets (Hinton, Osindero &amp; Teh 2006) over a stack of bipartite layers: layer k's visible units are layer
    /// k−1's hidden units. The top two layers form an undirected RBM; the layers below are directed, top-down, through
    /// each layer's generated p(v|h). Greedy layer-wise training, ancestral sampling, and for two layers with a small
    /// middle layer the variational lower bound and the exact log-likelihood by enumerating the middle layer.
    /// </summary>
    public static class DeepBeliefLearning
    {
        /// <summary>The largest middle layer (the bottom layer's hidden units) whose 2^H states the two-layer bound enumerates.</summary>
        public const int MaxEnumeratedMiddle = 20;

        /// <summary>
        /// Bits of the hidden units of <paramref name="through"/> layers, drawn h ~ p(h|v) layer by layer from the bits
        /// <paramref name="v"/>: samples, not mean-field probabilities, because the next layer is a binary model whose
        /// generated members accept bits only (and because the variational bound is an expectation over those samples).
        /// </summary>
        public static Tensor PropagateUp(IReadOnlyList<IBipartiteModel> layers, Tensor v, int through, Generator generator)
        {
            if (through < 0 || through > layers.Count) throw new ArgumentOutOfRangeException(nameof(through), through, "DeepBeliefLearning.PropagateUp: through must lie in 0…" + layers.Count + ".");
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var current = v.alias();
            for (int k = 0; k < through; k++) current = layers[k].HiddenProbabilities(current).bernoulli(generator: generator);
            return current.MoveToOuterDisposeScope();
        }

        /// <summary>
        /// Greedy layer-wise training: layer k is an RBM trained by CD-k/PCD (<see cref="ContrastiveDivergence"/>, the
        /// <see cref="Trainer"/>) on fresh samples h ~ q(h|v) of the layers below (frozen), drawn per minibatch from rows of
        /// <paramref name="data"/>. Returns one <see cref="TrainingResult"/> per trained layer, bottom first.
        /// </summary>
        public static IReadOnlyList<(int Layer, TrainingResult Result)> TrainGreedy<T>(IReadOnlyList<T> layers, Tensor data, GreedyLayerOptions options)
            where T : ParameterModule, IBipartiteModel
        {
            if (layers.Count == 0) throw new ArgumentException("DeepBeliefLearning.TrainGreedy: no layers.", nameof(layers));
            for (int k = 1; k < layers.Count; k++)
                if (layers[k].Dim != layers[k - 1].HiddenDim)
                    throw new ArgumentException("DeepBeliefLearning.TrainGreedy: layer " + k + " has " + layers[k].Dim + " visible units but layer " + (k - 1) + " has " + layers[k - 1].HiddenDim + " hidden units.", nameof(layers));
            if (data.dim() != 2 || data.shape[1] != layers[0].Dim)
                throw new ArgumentException("DeepBeliefLearning.TrainGreedy: data must be [M, " + layers[0].Dim + "]; got " + Broadcasting.Describe(data) + ".", nameof(data));
            var bipartite = layers.Cast<IBipartiteModel>().ToArray();
            var results = new List<(int, TrainingResult)>();
            for (int k = 0; k < layers.Count; k++)
            {
                if (options.Layers != null && !options.Layers.Contains(k)) continue;
                if (options.Cancellation.IsCancellationRequested) break;
                int layer = k;
                if (options.TieToLayerBelow && k >= 1 && layers[k].Dim == layers[k - 1].HiddenDim && layers[k].HiddenDim == layers[k - 1].Dim)
                    TieTransposed(layers[k - 1], layers[k]);
                Tensor Sample(int n, Generator g)
                {
                    using var s = NewDisposeScope();
                    var rows = randint(0, data.shape[0], new long[] { n }, generator: g, device: data.device);
                    return PropagateUp(bipartite, data.index_select(0, rows), layer, g).MoveToOuterDisposeScope();
                }
                var stream = new SampledDataStream(Sample, layers[k].Dim, options.BatchSize, options.Seed + 17 * k);
                Tensor? start = null;
                if (options.Persistent) using (var g0 = new Generator((ulong)(options.Seed + 31 * k + 1))) start = Sample(options.BatchSize, g0);
                using var objective = new ContrastiveDivergence(layers[k], options.Sweeps, start);
                start?.Dispose();
                IProgress<TrainingProgress>? direct = options.Progress is null ? null : new Forward(layer, options.Progress);
                var result = Trainer.Train(layers[k], stream, objective.Loss, new TrainerOptions
                {
                    Steps = options.StepsPerLayer, LearningRate = options.LearningRate, Seed = options.Seed + 1000 + 17 * k,
                    Progress = direct, Cancellation = options.Cancellation,
                });
                results.Add((k, result));
                if (result.Cancelled) break;
            }
            return results;
        }

        private sealed class Forward : IProgress<TrainingProgress>
        {
            private readonly int layer;
            private readonly IProgress<(int, TrainingProgress)> target;
            public Forward(int layer, IProgress<(int, TrainingProgress)> target) { this.layer = layer; this.target = target; }
            public void Report(TrainingProgress value) => target.Report((layer, value));
        }

        /// <summary>
        /// Ancestral samples of the DBN: <paramref name="topSweeps"/> block Gibbs sweeps in the top RBM from uniform random
        /// bits, then h ~ p(h|h_above) down through each lower layer's generated conditional. Returns the bottom visible bits
        /// and p(v = 1 | h₁) of the last step (the smoother image to show), [n, V] each.
        /// </summary>
        public static (Tensor Samples, Tensor Means) AncestralSample(IReadOnlyList<IBipartiteModel> layers, int n, int topSweeps, Generator generator, ScalarType dtype = ScalarType.Float64, Device? device = null)
        {
            if (layers.Count == 0) throw new ArgumentException("DeepBeliefLearning.AncestralSample: no layers.", nameof(layers));
            foreach (var layer in layers) RequireBits(layer);
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var top = layers[^1];
            var x = empty(n, top.Dim, dtype: dtype, device: device).bernoulli_(0.5, generator: generator);
            x = BoltzmannLearning.Gibbs(top, x, topSweeps, generator);
            var means = top.VisibleMeans(top.HiddenProbabilities(x).bernoulli(generator: generator));
            if (layers.Count == 1) return (x.MoveToOuterDisposeScope(), means.MoveToOuterDisposeScope());
            for (int k = layers.Count - 2; k >= 0; k--)
            {
                means = layers[k].VisibleMeans(x);
                x = means.bernoulli(generator: generator);
            }
            return (x.MoveToOuterDisposeScope(), means.MoveToOuterDisposeScope());
        }

        /// <summary>
        /// The variational lower bound of a two-layer DBN (bottom <paramref name="lower"/>, top RBM <paramref name="top"/> over
        /// the middle units h): log p(v) ≥ Σ_h q(h|v) [log p(v|h) + log p_top(h) − log q(h|v)] with q(h|v) the bottom layer's
        /// factorial p(h|v), p(v|h) its generated conditional and p_top(h) = e^{−F_top(h)}/Z_top the top RBM's exact marginal;
        /// every sum runs over all 2^H middle states (H ≤ <see cref="MaxEnumeratedMiddle"/>): [N].
        /// </summary>
        public static Tensor VariationalBound(IBipartiteModel lower, IBipartiteModel top, Tensor v) => TwoLayer(lower, top, v, exact: false);

        /// <summary>log p(v) = log Σ_h p(v|h) p_top(h) of a two-layer DBN exactly, by enumerating the middle layer (H ≤ 20): [N].</summary>
        public static Tensor ExactLogLikelihood(IBipartiteModel lower, IBipartiteModel top, Tensor v) => TwoLayer(lower, top, v, exact: true);

        /// <summary>These formulas read E[v | h] as p(v = 1 | h): every layer must be an RBM over bits.</summary>
        private static void RequireBits(IBipartiteModel layer)
        {
            if (layer.VisibleUnits != UnitKind.Bits || layer.HiddenUnits != UnitKind.Bits)
                throw new ArgumentException("DeepBeliefLearning: " + layer.ModelName + " has " + layer.VisibleUnits + " visible and " + layer.HiddenUnits + " hidden units; deep belief nets here stack RBMs over bits.", nameof(layer));
        }

        private static Tensor TwoLayer(IBipartiteModel lower, IBipartiteModel top, Tensor v, bool exact)
        {
            RequireBits(lower);
            RequireBits(top);
            int h = lower.HiddenDim;
            if (top.Dim != h)
                throw new ArgumentException("DeepBeliefLearning: the top layer has " + top.Dim + " visible units but the lower layer has " + h + " hidden units.", nameof(top));
            if (h > MaxEnumeratedMiddle)
                throw new ArgumentException("DeepBeliefLearning: the middle layer has " + h + " units; enumerating its 2^H states is limited to H ≤ " + MaxEnumeratedMiddle + ".", nameof(lower));
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var states = BoltzmannLearning.AllBitVectors(h, v.dtype, v.device);                 // [S, H]
            var logTop = -top.FreeEnergy(states);
            logTop = logTop - logTop.logsumexp(0);                                                 // log p_top(h): [S]
            var rho = lower.VisibleMeans(states);                                          // p(vᵢ = 1 | h): [S, V]
            var logRho = rho.ClampMin(1e-300).log();
            var logOneMinusRho = (global::Dsl.ScalarOps.RSub(1,rho)).ClampMin(1e-300).log();
            var mu = lower.HiddenProbabilities(v);                                                 // q(hⱼ = 1 | v): [N, H]
            var logMu = mu.ClampMin(1e-300).log();
            var logOneMinusMu = (global::Dsl.ScalarOps.RSub(1,mu)).ClampMin(1e-300).log();
            var statesT = states.t();
            var oneMinusStatesT = global::Dsl.ScalarOps.RSub(1,statesT);
            long rows = System.Math.Max(1, (1L << 22) / states.shape[0]);
            var pieces = new List<Tensor>();
            for (long start = 0; start < v.shape[0]; start += rows)
            {
                long len = System.Math.Min(rows, v.shape[0] - start);
                var vc = v.narrow(0, start, len);
                var logLik = vc.matmul(logRho.t()).Add((global::Dsl.ScalarOps.RSub(1,vc)).matmul(logOneMinusRho.t()));        // log p(v|h): [n, S]
                var joint = logLik.Add(logTop);                                                       // log p(v, h)
                if (exact) { pieces.Add(joint.logsumexp(1)); continue; }
                var logQ = logMu.narrow(0, start, len).matmul(statesT).Add(logOneMinusMu.narrow(0, start, len).matmul(oneMinusStatesT));
                pieces.Add((logQ.exp() * (joint - logQ)).sum(new long[] { 1 }));
            }
            return cat(pieces, 0).MoveToOuterDisposeScope();
        }

        /// <summary>
        /// Ties <paramref name="upper"/> to the transpose of <paramref name="lower"/> (W ← Wᵀ, B ← C, C ← B), the initialisation
        /// under which the two-layer DBN defines the same p(v) as <paramref name="lower"/> alone (Hinton et al. 2006).
        /// Requires upper to have lower's shape transposed.
        /// </summary>
        public static void TieTransposed(ParameterModule lower, ParameterModule upper)
        {
            var p = lower.named_parameters().ToDictionary(x => x.name, x => x.parameter);
            if (!p.ContainsKey("W") || !p.ContainsKey("B") || !p.ContainsKey("C"))
                throw new ArgumentException("DeepBeliefLearning.TieTransposed: " + lower.ModelName + " has no W, B, C parameters.", nameof(lower));
            using var scope = NewDisposeScope();
            upper.SetParameter("W", p["W"].detach().t());
            upper.SetParameter("B", p["C"].detach());
            upper.SetParameter("C", p["B"].detach());
        }
    }
}
