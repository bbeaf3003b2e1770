using Dsl.Sde;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl
{
    /// <summary>What a conditional model's [Condition] argument is.</summary>
    public enum ConditionKind
    {
        /// <summary>An observation y: [N, K] (floating point, x's dtype and device).</summary>
        Vector,
        /// <summary>A class label y: int64 [N] in 0…K−1.</summary>
        Label,
    }

    /// <summary>What every conditional model says about its [Condition] argument.</summary>
    public interface IConditionInput : IModel
    {
        /// <summary>An observation Vec or a class label.</summary>
        ConditionKind ConditionKind { get; }

        /// <summary>K: the length of an observation y, or the number of classes of a label (labels 0…K−1).</summary>
        int ConditionSize { get; }
    }

    /// <summary>
    /// A time-dependent energy E(x, t) and its score s(x, t) = −∇ₓE(x, t) for per-sample times t: [N] (or [N, 1]). Generated
    /// for <c>Scalar E(Vec x, [Time] Scalar t)</c>. It is an <see cref="ITimeScoreModel"/>, so
    /// <see cref="ScoreMatching.ContinuousTimeScoreMatching"/> trains it and <see cref="SdeSolvers"/> and
    /// <see cref="ProbabilityFlow"/> sample with it.
    /// </summary>
    public interface ITimeEnergyModel : IModel, ITimeScoreModel
    {
        /// <summary>E(x, t): [N]; differentiable.</summary>
        Tensor Energy(Tensor x, Tensor t);
        /// <summary>E(x, t) with no autograd tape.</summary>
        Tensor EnergyNoGrad(Tensor x, Tensor t);
        /// <summary>s(x, t) with no autograd tape.</summary>
        Tensor ScoreNoGrad(Tensor x, Tensor t);
        /// <summary>(E(x, t), s(x, t)) computed together; differentiable.</summary>
        (Tensor Energy, Tensor Score) EnergyAndScore(Tensor x, Tensor t);
        /// <summary>(E(x, t), s(x, t)) with no autograd tape.</summary>
        (Tensor Energy, Tensor Score) EnergyAndScoreNoGrad(Tensor x, Tensor t);
        /// <summary>E(x, t) by running the user's [Energy] method eagerly: the autograd reference.</summary>
        Tensor EnergyEager(Tensor x, Tensor t);
    }

    /// <summary>
    /// A conditional energy E(x | y) and its score s(x | y) = −∇ₓE(x | y) for a per-sample observation y: [N, K] or label y:
    /// int64 [N]. Generated for <c>Scalar E(Vec x, [Condition] Vec y)</c> or <c>Scalar E(Vec x, [Condition] Label y)</c>. With
    /// E = −log p(y | x) (a classifier written as LogSumExp(f) − Pick(f, y)) the score is ∇ₓ log p(y | x), what classifier
    /// guidance needs. <see cref="Conditioning.Given(IConditionalEnergyModel, Tensor)"/> fixes y and gives an ordinary
    /// energy model for the Langevin samplers.
    /// </summary>
    public interface IConditionalEnergyModel : IConditionInput
    {
        /// <summary>E(x | y): [N]; differentiable.</summary>
        Tensor Energy(Tensor x, Tensor y);
        /// <summary>E(x | y) with no autograd tape.</summary>
        Tensor EnergyNoGrad(Tensor x, Tensor y);
        /// <summary>s(x | y) = −∇ₓE(x | y): [N, D]; differentiable.</summary>
        Tensor Score(Tensor x, Tensor y);
        /// <summary>s(x | y) with no autograd tape.</summary>
        Tensor ScoreNoGrad(Tensor x, Tensor y);
        /// <summary>(E, s) computed together; differentiable.</summary>
        (Tensor Energy, Tensor Score) EnergyAndScore(Tensor x, Tensor y);
        /// <summary>(E, s) with no autograd tape.</summary>
        (Tensor Energy, Tensor Score) EnergyAndScoreNoGrad(Tensor x, Tensor y);
        /// <summary>E(x | y) by running the user's [Energy] method eagerly: the autograd reference.</summary>
        Tensor EnergyEager(Tensor x, Tensor y);
    }

    /// <summary>
    /// A time-dependent conditional energy E(x, t | y) (a noisy classifier −log p(y | x, t), a conditional score model):
    /// generated for <c>Scalar E(Vec x, [Time] Scalar t, [Condition] … y)</c>; s = −∇ₓE(x, t | y).
    /// <see cref="Diffusion.Guidance.ClassifierGuided(ISde, NoisePrediction, ITimeConditionalEnergyModel, Tensor, double)"/>
    /// takes it as the classifier; <see cref="Conditioning.Given(ITimeConditionalEnergyModel, Tensor)"/> fixes y and gives an
    /// <see cref="ITimeScoreModel"/> for the reverse-time samplers.
    /// </summary>
    public interface ITimeConditionalEnergyModel : IConditionInput
    {
        /// <summary>E(x, t | y): [N]; differentiable.</summary>
        Tensor Energy(Tensor x, Tensor t, Tensor y);
        /// <summary>E(x, t | y) with no autograd tape.</summary>
        Tensor EnergyNoGrad(Tensor x, Tensor t, Tensor y);
        /// <summary>s(x, t | y) = −∇ₓE(x, t | y): [N, D]; differentiable.</summary>
        Tensor Score(Tensor x, Tensor t, Tensor y);
        /// <summary>s(x, t | y) with no autograd tape.</summary>
        Tensor ScoreNoGrad(Tensor x, Tensor t, Tensor y);
        /// <summary>(E, s) computed together; differentiable.</summary>
        (Tensor Energy, Tensor Score) EnergyAndScore(Tensor x, Tensor t, Tensor y);
        /// <summary>(E, s) with no autograd tape.</summary>
        (Tensor Energy, Tensor Score) EnergyAndScoreNoGrad(Tensor x, Tensor t, Tensor y);
        /// <summary>E(x, t | y) by running the user's [Energy] method eagerly: the autograd reference.</summary>
        Tensor EnergyEager(Tensor x, Tensor t, Tensor y);
    }
}
