using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.Discrete;
using Dsl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models
{
    /// <summary>
    /// A deep belief net (Hinton, Osindero &amp; Teh 2006) as a stack of generated <see cref="BinaryRbm"/>s: layer k has
    /// sizes (H_{k−1}, H_k) with H₋₁ = V. The top two layers form an undirected RBM, the lower ones directed sigmoid
    /// layers through each RBM's generated p(v|h). Training, sampling and the bound are <see cref="DeepBeliefLearning"/>'s.
    /// </summary>
    public sealed class DeepBeliefNet : IDisposable
    {
        private readonly BinaryRbm[] layers;

        /// <summary>
        /// Layers of <paramref name="hidden"/>[k] hidden units over <paramref name="visible"/> bits; couplings N(0, 0.01²),
        /// biases 0, in <paramref name="dtype"/>.
        /// </summary>
        public DeepBeliefNet(int visible, IReadOnlyList<int> hidden, long seed = 0, ScalarType dtype = ScalarType.Float64)
        {
            if (hidden.Count == 0) throw new ArgumentException("DeepBeliefNet: at least one hidden layer.", nameof(hidden));
            layers = new BinaryRbm[hidden.Count];
            int below = visible;
            using var g = new Generator((ulong)seed);
            for (int k = 0; k < hidden.Count; k++)
            {
                var rbm = new BinaryRbm(V: below, H: hidden[k], generator: g);
                rbm.to(dtype);
                using (var w = empty(below, hidden[k], dtype: dtype).normal_(0, 0.01, generator: g)) rbm.SetParameter("W", w);
                layers[k] = rbm;
                below = hidden[k];
            }
        }

        /// <summary>The layers, bottom first.</summary>
        public IReadOnlyList<BinaryRbm> Layers => layers;

        /// <summary>Visible units.</summary>
        public int Visible => layers[0].Dim;

        /// <summary>Greedy layer-wise training on the bits <paramref name="data"/> (see <see cref="DeepBeliefLearning.TrainGreedy{T}"/>).</summary>
        public IReadOnlyList<(int Layer, TrainingResult Result)> TrainGreedy(Tensor data, GreedyLayerOptions options) => DeepBeliefLearning.TrainGreedy(layers, data, options);

        /// <summary>Ancestral samples: the bottom bits and p(v = 1 | h₁) of the last step, [n, V] each.</summary>
        public (Tensor Samples, Tensor Means) Sample(int n, int topSweeps, Generator generator) =>
            DeepBeliefLearning.AncestralSample(layers, n, topSweeps, generator, layers[0].DType, layers[0].Device);

        /// <summary>The variational lower bound on log p(v) of a two-layer net (middle layer ≤ 20 units, enumerated): [N].</summary>
        public Tensor VariationalBound(Tensor v) => DeepBeliefLearning.VariationalBound(layers[0], TwoLayerTop(), v);

        /// <summary>log p(v) of a two-layer net by enumerating the middle layer: [N].</summary>
        public Tensor ExactLogLikelihood(Tensor v) => DeepBeliefLearning.ExactLogLikelihood(layers[0], TwoLayerTop(), v);

        private BinaryRbm TwoLayerTop() =>
            layers.Length == 2 ? layers[1] : throw new InvalidOperationException("DeepBeliefNet: the bound and the exact log-likelihood are for two layers; this net has " + layers.Length + ".");

        /// <summary>Disposes the layers.</summary>
        public void Dispose()
        {
            foreach (var l in layers) l.Dispose();
        }
    }
}
