using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Discrete
{
    /// <summary>
    /// Learning for fully visible energies over bits or spins (the Boltzmann machine of Ackley, Hinton &amp; Sejnowski 1985):
    /// the log-likelihood gradient is ⟨∂E/∂θ⟩_model − ⟨∂E/∂θ⟩_data, for E = −½xᵀWx − bᵀx the difference of data and model
    /// correlations. The model statistics come from Gibbs chains on the generated conditionals, or, for D ≤
    /// <see cref="MaxEnumerated"/> units, exactly from all 2^D states (the test oracle).
    /// </summary>
    public static class FullyVisibleLearning
    {
        /// <summary>The most units whose 2^D states the exact methods enumerate.</summary>
        public const int MaxEnumerated = 20;

        /// <summary>All 2^D states of D units as rows [2^D, D]: bits 0/1, or spins ±1.</summary>
        public static Tensor AllStates(UnitKind units, int d, ScalarType dtype = ScalarType.Float64, Device? device = null)
        {
            if (units == UnitKind.Real) throw new ArgumentException("FullyVisibleLearning.AllStates: real units cannot be enumerated.", nameof(units));
            if (d > MaxEnumerated) throw new ArgumentOutOfRangeException(nameof(d), d, "FullyVisibleLearning: exact enumeration of 2^D states is limited to D ≤ " + MaxEnumerated + ".");
            using var scope = NewDisposeScope();
            var bits = BoltzmannLearning.AllBitVectors(d, dtype, device);
            return (units == UnitKind.Spins ? bits * 2 - 1 : bits).MoveToOuterDisposeScope();
        }

        /// <summary>log Z = log Σ_x e^{−E(x)} over every state (differentiable in the parameters).</summary>
        public static Tensor LogPartition(IDiscreteEnergyModel model, ScalarType dtype, Device? device = null)
        {
            using var scope = NewDisposeScope();
            var states = AllStates(model.Units, model.Dim, dtype, device);
            return (-model.Energy(states)).logsumexp(0).MoveToOuterDisposeScope();
        }

        /// <summary>log p(x) = −E(x) − log Z exactly: [N]; differentiable, so its gradient is the exact learning signal.</summary>
        public static Tensor ExactLogLikelihood(IDiscreteEnergyModel model, Tensor data)
        {
            using var scope = NewDisposeScope();
            return (-model.Energy(data) - LogPartition(model, data.dtype, data.device)).MoveToOuterDisposeScope();
        }

        /// <summary>The exact distribution p(x) over <see cref="AllStates"/>' rows: [2^D].</summary>
        public static Tensor ExactProbabilities(IDiscreteEnergyModel model, ScalarType dtype = ScalarType.Float64, Device? device = null)
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var states = AllStates(model.Units, model.Dim, dtype, device);
            var logits = -model.EnergyNoGrad(states);
            return (logits - logits.logsumexp(0)).exp().MoveToOuterDisposeScope();
        }

        /// <summary>
        /// The moment-matching surrogate mean E(data) − mean E(negatives) (negatives held fixed): its parameter gradient is the
        /// stochastic estimate ⟨∂E/∂θ⟩_data − ⟨∂E/∂θ⟩_model of −∇ log-likelihood, with negatives from Gibbs chains.
        /// </summary>
        public static Tensor MomentMatchingLoss(IDiscreteEnergyModel model, Tensor data, Tensor negatives)
        {
            using var scope = NewDisposeScope();
            using var fixedNegatives = negatives.detach();
            return (model.Energy(data).mean() - model.Energy(fixedNegatives).mean()).MoveToOuterDisposeScope();
        }

        /// <summary>Advances Gibbs chains in place by <paramref name="sweeps"/> random-scan sweeps of single-unit heat-bath updates.</summary>
        public static void Gibbs(IDiscreteEnergyModel model, Tensor chains, int sweeps, Generator generator)
        {
            if (sweeps < 1) throw new ArgumentException("FullyVisibleLearning.Gibbs on " + model.ModelName + ": sweeps must be ≥ 1, got " + sweeps + ".", nameof(sweeps));
            for (int k = 0; k < sweeps; k++) SpinSamplers.GibbsSweep(model, chains, 1.0, generator);
        }

        /// <summary>Projects a coupling matrix in place onto the symmetric matrices with zero diagonal: W ← ½(W + Wᵀ) with Wᵢᵢ = 0.</summary>
        public static void SymmetrizeZeroDiagonal(Tensor w)
        {
            if (w.dim() != 2 || w.shape[0] != w.shape[1]) throw new ArgumentException("FullyVisibleLearning.SymmetrizeZeroDiagonal: W must be square; got " + Broadcasting.Describe(w) + ".", nameof(w));
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var offDiagonal = 1 - eye(w.shape[0], dtype: w.dtype, device: w.device);
            w.copy_((w + w.t()) * 0.5 * offDiagonal);
        }
    }
}
