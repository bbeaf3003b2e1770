using System;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Discrete
{
    /// <summary>
    /// Sampling and learning for bipartite energies over bits, on the generated conditionals and free energies:
    /// block Gibbs sampling, the contrastive-divergence loss (CD-k, and PCD with persistent chains),
    /// the pseudo-likelihood, and the exact log-likelihood by enumerating the hidden states (H ≤ 20).
    /// </summary>
    public static class BoltzmannLearning
    {
        /// <summary>The largest hidden layer whose 2^H states <see cref="ExactLogLikelihood"/> enumerates.</summary>
        public const int MaxEnumeratedHidden = 20;

        /// <summary><paramref name="sweeps"/> sweeps of block Gibbs sampling v → h ~ p(h|v) → v ~ p(v|h); returns new visible units.</summary>
        public static Tensor Gibbs(IBipartiteModel model, Tensor v, int sweeps, Generator generator)
        {
            if (sweeps < 1) throw new ArgumentException("BoltzmannLearning.Gibbs on " + model.ModelName + ": sweeps must be ≥ 1, got " + sweeps + ".", nameof(sweeps));
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var current = v;
            for (int k = 0; k < sweeps; k++)
            {
                var h = model.SampleHidden(current, generator);
                current = model.SampleVisible(h, generator);
            }
            return current.MoveToOuterDisposeScope();
        }

        /// <summary>
        /// The contrastive-divergence surrogate mean F(v_data) − mean F(v_model) (v_model held fixed): its parameter gradient
        /// is the CD estimate of −∇ log-likelihood (Hinton 2002), with v_model from k Gibbs sweeps (CD-k) or from persistent chains (PCD).
        /// </summary>
        public static Tensor ContrastiveDivergenceLoss(IBipartiteModel model, Tensor data, Tensor negatives)
        {
            using var scope = NewDisposeScope();
            using var fixedNegatives = negatives.detach();
            return (model.FreeEnergy(data).mean() - model.FreeEnergy(fixedNegatives).mean()).MoveToOuterDisposeScope();
        }

        /// <summary>
        /// The stochastic pseudo-log-likelihood per sample (Besag 1975; scikit-learn's BernoulliRBM.score_samples): one random
        /// unit i per sample, V·log σ(F(ṽ) − F(v)) with ṽ = v with bit i flipped: [N].
        /// </summary>
        public static Tensor PseudoLogLikelihood(IBipartiteModel model, Tensor v, Generator generator)
        {
            if (model.VisibleUnits == UnitKind.Real)
                throw new ArgumentException("BoltzmannLearning.PseudoLogLikelihood: " + model.ModelName + " has real visible units; the pseudo-likelihood flips discrete units.", nameof(model));
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var index = randint(0, model.Dim, new long[] { v.shape[0] }, generator: generator, device: v.device);
            var flip = nn.functional.one_hot(index, model.Dim).to_type(v.dtype);
            var flipped = model.VisibleUnits == UnitKind.Spins
                ? v * (global::Dsl.ScalarOps.RSub(1,flip.Mul(2)))                                             // −v at i, v elsewhere
                : (v - flip).abs();                                              // 1 − v at i, v elsewhere
            var logistic = nn.functional.logsigmoid(model.FreeEnergy(flipped) - model.FreeEnergy(v));
            return (logistic.Mul(model.Dim)).MoveToOuterDisposeScope();
        }

        /// <summary>
        /// log p(v) = −F(v) − log Z exactly, with log Z = log Σ_h e^{−G(h)} over all 2^H hidden states (G: the generated
        /// hidden free energy): [N]. Refused for H &gt; <see cref="MaxEnumeratedHidden"/>.
        /// </summary>
        public static Tensor ExactLogLikelihood(IBipartiteModel model, Tensor v)
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            return (-model.FreeEnergy(v) - LogPartition(model, v.dtype, v.device)).MoveToOuterDisposeScope();
        }

        /// <summary>log Z by enumerating the hidden states (H ≤ 20; bits or spins), each with the visible units summed or integrated out.</summary>
        public static Tensor LogPartition(IBipartiteModel model, ScalarType dtype, Device device)
        {
            int h = model.HiddenDim;
            if (h > MaxEnumeratedHidden)
                throw new ArgumentException("BoltzmannLearning: " + model.ModelName + " has " + h + " hidden units; exact enumeration of 2^H states is limited to H ≤ " + MaxEnumeratedHidden + ". Use annealed importance sampling.", nameof(model));
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var states = AllBitVectors(h, dtype, device);
            if (model.HiddenUnits == UnitKind.Spins) states = states.Mul(2).Sub(1);
            return (-model.HiddenFreeEnergy(states)).logsumexp(0).MoveToOuterDisposeScope();
        }

        /// <summary>All 2ⁿ bit vectors as rows [2ⁿ, n]; row k holds the binary digits of k, least significant first.</summary>
        public static Tensor AllBitVectors(int n, ScalarType dtype = ScalarType.Float64, Device? device = null)
        {
            if (n < 0 || n > 30) throw new ArgumentOutOfRangeException(nameof(n), n, "BoltzmannLearning.AllBitVectors: n must lie in 0…30.");
            using var scope = NewDisposeScope();
            var codes = ScalarOps.Arange(1L << n, ScalarType.Int64, device).unsqueeze(1);
            var one = ones(1, dtype: ScalarType.Int64, device: device);
            return codes.bitwise_right_shift(ScalarOps.Arange(n, ScalarType.Int64, device)).bitwise_and(one).to_type(dtype).MoveToOuterDisposeScope();
        }
    }
}

namespace Dsl.Discrete
{
    /// <summary>
    /// The CD-k / PCD objective for the <see cref="Training.Trainer"/>: negatives from k Gibbs sweeps started at the batch
    /// (CD-k), or from persistent chains advanced k sweeps per step (PCD, Tieleman 2008). Owns the persistent chains.
    /// </summary>
    public sealed class ContrastiveDivergence : IDisposable
    {
        private readonly IBipartiteModel model;
        private readonly int sweeps;
        private Tensor? chains;

        /// <summary>CD-k when <paramref name="persistentChains"/> is null, PCD starting from a copy of those chains otherwise.</summary>
        public ContrastiveDivergence(IBipartiteModel model, int sweeps = 1, Tensor? persistentChains = null)
        {
            if (sweeps < 1) throw new ArgumentException("ContrastiveDivergence on " + model.ModelName + ": sweeps must be ≥ 1, got " + sweeps + ".", nameof(sweeps));
            this.model = model;
            this.sweeps = sweeps;
            if (persistentChains is not null)
                using (var detached = persistentChains.detach()) chains = detached.clone().DetachFromDisposeScope();
        }

        /// <summary>The surrogate loss for one batch (see <see cref="BoltzmannLearning.ContrastiveDivergenceLoss"/>).</summary>
        public Tensor Loss(Tensor batch, Generator generator)
        {
            if (chains is null) return BoltzmannLearning.ContrastiveDivergenceLoss(model, batch, BoltzmannLearning.Gibbs(model, batch, sweeps, generator));
            var next = BoltzmannLearning.Gibbs(model, chains, sweeps, generator).MoveToOuterDisposeScope();
            chains.Dispose();
            chains = next.DetachFromDisposeScope();
            return BoltzmannLearning.ContrastiveDivergenceLoss(model, batch, chains);
        }

        /// <summary>Disposes the persistent chains.</summary>
        public void Dispose() => chains?.Dispose();
    }
}
