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
            return (units == UnitKind.Spins ? bits.Mul(2).Sub(1) : bits).MoveToOuterDisposeScope();
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

        /// <summary>
        /// Advances Gibbs chains in place by <paramref name="sweeps"/> sweeps of single-unit heat-bath updates: random scan (the default)
        /// or systematic scan (units 1, 2, …, D in order, the lecture's pseudocode); see <see cref="SpinSamplers.GibbsSweep"/>.
        /// </summary>
        public static void Gibbs(IDiscreteEnergyModel model, Tensor chains, int sweeps, Generator generator, GibbsScan scan = GibbsScan.Random)
        {
            if (sweeps < 1) throw new ArgumentException("FullyVisibleLearning.Gibbs on " + model.ModelName + ": sweeps must be ≥ 1, got " + sweeps + ".", nameof(sweeps));
            for (int k = 0; k < sweeps; k++) SpinSamplers.GibbsSweep(model, chains, 1.0, generator, scan);
        }

        /// <summary>
        /// Maximum-likelihood learning by moment matching with persistent Gibbs chains (stochastic maximum likelihood, Younes
        /// 1989; Tieleman 2008): each step advances the chains <paramref name="sweepsPerStep"/> sweeps, takes the gradient of
        /// <see cref="MomentMatchingLoss"/> on a minibatch, moves every parameter by −learningRate·gradient, then calls
        /// <paramref name="project"/> (e.g. <see cref="SymmetrizeZeroDiagonal"/> on W). Returns the loss per step. <paramref name="scan"/>
        /// chooses the Gibbs sweeps' order (random by default, or systematic).
        /// </summary>
        public static double[] Fit(IDiscreteEnergyModel model, TorchSharp.Modules.Parameter[] parameters, Tensor data, int steps, double learningRate,
            int chains, int sweepsPerStep, int batchSize, Generator generator, Action? project = null, GibbsScan scan = GibbsScan.Random)
        {
            if (steps < 1) throw new ArgumentException("FullyVisibleLearning.Fit on " + model.ModelName + ": steps must be ≥ 1, got " + steps + ".", nameof(steps));
            if (!(learningRate > 0)) throw new ArgumentException("FullyVisibleLearning.Fit on " + model.ModelName + ": the learning rate must be positive, got " + learningRate + ".", nameof(learningRate));
            if (data.dim() != 2 || data.shape[1] != model.Dim) throw new ArgumentException("FullyVisibleLearning.Fit on " + model.ModelName + ": data must be [M, " + model.Dim + "]; got " + Broadcasting.Describe(data) + ".", nameof(data));
            if (parameters is null || parameters.Length == 0) throw new ArgumentException("FullyVisibleLearning.Fit on " + model.ModelName + ": no parameters to learn.", nameof(parameters));
            var caller = new AutogradCaller("FullyVisibleLearning.Fit", "the moment-matching loss of '" + model.ModelName + "'", "the parameters",
                "Pass parameters of this model that require grad (not frozen), and a model whose Energy is differentiable in them.");
            var losses = new double[steps];
            using var persistent = data.index_select(0, randint(0, data.shape[0], new long[] { chains }, generator: generator, device: data.device)).clone();
            project?.Invoke();
            for (int step = 0; step < steps; step++)
            {
                using var scope = NewDisposeScope();
                Gibbs(model, persistent, sweepsPerStep, generator, scan);
                var batch = data.index_select(0, randint(0, data.shape[0], new long[] { batchSize }, generator: generator, device: data.device));
                var loss = MomentMatchingLoss(model, batch, persistent);
                var grads = GuardedAutograd.Grad(caller, new[] { loss }, parameters);
                using (no_grad())
                    for (int i = 0; i < parameters.Length; i++)
                        if (grads[i] is Tensor gradient) parameters[i].sub_(gradient.Mul(learningRate));
                project?.Invoke();
                losses[step] = loss.ToDoubleValue();
            }
            return losses;
        }

        /// <summary>Projects a coupling matrix in place onto the symmetric matrices with zero diagonal: W ← ½(W + Wᵀ) with Wᵢᵢ = 0.</summary>
        public static void SymmetrizeZeroDiagonal(Tensor w)
        {
            if (w.dim() != 2 || w.shape[0] != w.shape[1]) throw new ArgumentException("FullyVisibleLearning.SymmetrizeZeroDiagonal: W must be square; got " + Broadcasting.Describe(w) + ".", nameof(w));
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var offDiagonal = global::Dsl.ScalarOps.RSub(1,eye(w.shape[0], dtype: w.dtype, device: w.device));
            w.copy_((w.Add(w.t())).Mul(0.5) * offDiagonal);
        }
    }
}
