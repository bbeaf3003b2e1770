using System;
using Dsl.Sde;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Diffusion
{
    public static partial class Guidance
    {
        /// <summary>
        /// Classifier guidance with a classifier written as an equation: ε̂(xₜ, y) = ε(xₜ) − γ σₜ ∇ₓ log p_φ(y | xₜ, t), where
        /// ∇ₓ log p_φ(y | xₜ, t) is the classifier's generated score −∇ₓE(x, t | y) (no autograd). The classifier's energy must be
        /// the negative log-probability of the label, E(x, t | y) = −log p_φ(y | x, t), e.g.
        /// <c>LogSumExp(f) − Pick(f, y)</c> for logits f (the log-softmax): an unnormalised energy would add −∇ₓ log Z(x, t).
        /// σₜ is the SDE kernel's standard deviation at t, as in <see cref="ClassifierGuided(ISde, NoisePrediction, INoisyClassifier, Tensor, double)"/>.
        /// </summary>
        /// <param name="sde">The schedule's SDE, for σ(t).</param>
        /// <param name="epsilon">The unconditional noise prediction ε(x, t).</param>
        /// <param name="classifier">A generated model with <c>[Time] Scalar t, [Condition] Label y</c> whose energy is −log p(y | x, t).</param>
        /// <param name="labels">The requested class per sample: int64 [N] in 0…K−1.</param>
        /// <param name="scale">γ ≥ 0 (0: unguided).</param>
        public static NoisePrediction ClassifierGuided(ISde sde, NoisePrediction epsilon, ITimeConditionalEnergyModel classifier, Tensor labels, double scale)
        {
            if (classifier is null) throw new ArgumentNullException(nameof(classifier));
            return Guided(sde, epsilon, classifier, labels, scale, (x, t) => classifier.ScoreNoGrad(x, t, labels));
        }

        /// <summary>
        /// Classifier guidance with a time-independent classifier written as an equation, E(x | y) = −log p_φ(y | x): the same
        /// update with ∇ₓ log p_φ(y | xₜ) taken at every t (a classifier of clean data; a noisy classifier with a [Time] input
        /// follows the reverse path better).
        /// </summary>
        public static NoisePrediction ClassifierGuided(ISde sde, NoisePrediction epsilon, IConditionalEnergyModel classifier, Tensor labels, double scale)
        {
            if (classifier is null) throw new ArgumentNullException(nameof(classifier));
            return Guided(sde, epsilon, classifier, labels, scale, (x, t) => classifier.ScoreNoGrad(x, labels));
        }

        /// <summary>∇ₓ log p_φ(y | x, t) of an equation classifier: its generated score −∇ₓE(x, t | y), [N, D], no tape.</summary>
        public static Tensor LogProbGradient(ITimeConditionalEnergyModel classifier, Tensor x, Tensor time, Tensor labels)
        {
            if (classifier is null) throw new ArgumentNullException(nameof(classifier));
            RequireLabels(classifier, "Guidance.LogProbGradient");
            CheckLabels(labels, x.shape[0], classifier.ConditionSize, allowNull: false, "Guidance.LogProbGradient (" + classifier.ModelName + ")");
            return classifier.ScoreNoGrad(x, time, labels);
        }

        private static NoisePrediction Guided(ISde sde, NoisePrediction epsilon, IConditionInput classifier, Tensor labels, double scale, Func<Tensor, Tensor, Tensor> gradient)
        {
            if (sde is null) throw new ArgumentNullException(nameof(sde));
            if (epsilon is null) throw new ArgumentNullException(nameof(epsilon));
            RequireLabels(classifier, "Guidance.ClassifierGuided");
            CheckScale(scale, "Guidance.ClassifierGuided", "γ");
            string who = "Guidance.ClassifierGuided (" + classifier.ModelName + ")";
            CheckLabels(labels, -1, classifier.ConditionSize, allowNull: false, who);
            return (x, t) =>
            {
                CheckLabels(labels, x.shape[0], classifier.ConditionSize, allowNull: false, who);
                using var scope = NewDisposeScope();
                var eps = epsilon(x, t);
                if (scale == 0) return eps.MoveToOuterDisposeScope();
                var g = gradient(x, t.to_type(x.dtype));
                var sigma = sde.MarginalStd(t).to_type(x.dtype).unsqueeze(1);
                return (eps - (g * sigma).Mul(scale)).MoveToOuterDisposeScope();
            };
        }

        private static void RequireLabels(IConditionInput classifier, string who)
        {
            if (classifier.ConditionKind != ConditionKind.Label)
                throw new ArgumentException(who + ": the classifier '" + classifier.ModelName + "' conditions on an observation Vec, not on a label; declare its energy with [Condition] Label y.", nameof(classifier));
        }
    }
}
