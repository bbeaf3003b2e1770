using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Discrete
{
    /// <summary>Settings of the gradient learning rule (<see cref="HopfieldLearning.Gradient"/>).</summary>
    public sealed record HopfieldGradientOptions
    {
        /// <summary>Full-batch gradient-ascent steps.</summary>
        public int Steps { get; init; } = 200;

        /// <summary>The step size on W (per unit of the mean pseudo-log-likelihood per pattern).</summary>
        public double LearningRate { get; init; } = 0.05;

        /// <summary>The inverse temperature β of the pseudo-likelihood.</summary>
        public double Beta { get; init; } = 1.0;
    }

    /// <summary>The outcome of <see cref="HopfieldLearning.Gradient"/>: the mean pseudo-log-likelihood per pattern before every step and after the last.</summary>
    public sealed record HopfieldLearningRun(int Steps, IReadOnlyList<double> PseudoLogLikelihood);

    /// <summary>
    /// The gradient learning rule for Hopfield networks: maximise the pseudo-log-likelihood of the stored patterns,
    /// Σ_μ Σᵢ log σ(2β ξᵢ^μ aᵢ(ξ^μ)), with aᵢ the local field = the generated score −∇E(ξ), differentiated by autograd
    /// through the generated (differentiable) <c>Score</c>. The couplings stay symmetric with a zero diagonal exactly:
    /// every step adds the projected gradient ½(G + Gᵀ)∘(1 − I) to a W that is already so.
    /// Each term is a logistic regression of unit i on the others, so unlike Hebbian storage the rule makes every pattern
    /// a fixed point up to the perceptron capacity (P/N below 2 in principle, well above Hebbian's ≈ 0.14).
    /// </summary>
    public static class HopfieldLearning
    {
        /// <summary>
        /// The pseudo-log-likelihood Σᵢ log σ(2β sᵢ aᵢ(s)) of every row of <paramref name="spins"/> [P, N], a = the generated
        /// score (differentiable in the model's parameters): [P].
        /// </summary>
        public static Tensor PseudoLogLikelihood(IEnergyScoreModel model, Tensor spins, double beta = 1.0)
        {
            HopfieldDynamics.CheckSpins(spins, "spins");
            using var scope = NewDisposeScope();
            var field = model.Score(spins);
            return nn.functional.logsigmoid((spins * field).Mul((2 * beta))).sum(new long[] { 1 }).MoveToOuterDisposeScope();
        }

        /// <summary>
        /// Trains the couplings (the parameter named <paramref name="weightName"/>, [N, N]) of <paramref name="model"/> by
        /// full-batch gradient ascent on the mean pseudo-log-likelihood of <paramref name="patterns"/> [P, N] (±1). The start
        /// (the model's current W, e.g. Hebbian) is first made symmetric with a zero diagonal. Other parameters are not changed.
        /// </summary>
        public static HopfieldLearningRun Gradient(ParameterModule model, Tensor patterns, HopfieldGradientOptions? options = null, string weightName = "W")
        {
            options ??= new HopfieldGradientOptions();
            if (model is not IEnergyScoreModel scoreModel) throw new ArgumentException("HopfieldLearning: " + model.ModelName + " has no generated score.", nameof(model));
            if (options.Steps < 0) throw new ArgumentException("HopfieldLearning on " + model.ModelName + ": steps must be ≥ 0, got " + options.Steps + ".", nameof(options));
            if (!(options.LearningRate > 0) || double.IsInfinity(options.LearningRate)) throw new ArgumentException("HopfieldLearning on " + model.ModelName + ": the learning rate must be finite and positive, got " + options.LearningRate + ".", nameof(options));
            if (!(options.Beta > 0) || double.IsInfinity(options.Beta)) throw new ArgumentException("HopfieldLearning on " + model.ModelName + ": β must be finite and positive, got " + options.Beta + ".", nameof(options));
            HopfieldDynamics.CheckSpins(patterns, "patterns");
            var named = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            if (!named.TryGetValue(weightName, out var w) || w.dim() != 2 || w.shape[0] != model.Dim || w.shape[1] != model.Dim)
                throw new ArgumentException("HopfieldLearning: " + model.ModelName + " has no [N, N] parameter named '" + weightName + "'.", nameof(weightName));
            using var scope = NewDisposeScope();
            var x = patterns.to(w.dtype).to(w.device);
            var mask = ones(model.Dim, model.Dim, dtype: w.dtype, device: w.device) - eye(model.Dim, dtype: w.dtype, device: w.device);
            using (no_grad()) w.copy_(SymmetricZeroDiagonal(w, mask));
            var trace = new List<double>();
            var caller = new AutogradCaller("HopfieldLearning.Gradient", "the pseudo-log-likelihood of '" + model.ModelName + "'", "'" + weightName + "'",
                "'" + weightName + "' must require grad (not frozen) and the model's Score must be differentiable in it.");
            using var grad = enable_grad();
            for (int step = 0; step <= options.Steps; step++)
            {
                using var stepScope = NewDisposeScope();
                var objective = PseudoLogLikelihood(scoreModel, x, options.Beta).mean();
                trace.Add(objective.ToDoubleValue());
                if (step == options.Steps) break;
                // W only: the other parameters keep their values. An objective that ignores W (null) has nothing to learn.
                var gradient = GuardedAutograd.Grad(caller, objective, w)
                    ?? throw new ArgumentException("HopfieldLearning.Gradient: the pseudo-log-likelihood of " + model.ModelName + " does not depend on '" + weightName + "'.", nameof(weightName));
                using (no_grad()) w.Add_(SymmetricZeroDiagonal(gradient, mask), alpha: options.LearningRate);
            }
            return new HopfieldLearningRun(options.Steps, trace);
        }

        /// <summary>½(M + Mᵀ) with a zero diagonal (exactly symmetric: the sum commutes elementwise).</summary>
        private static Tensor SymmetricZeroDiagonal(Tensor m, Tensor mask) => (m.Add(m.transpose(0, 1))).Mul_(0.5).mul_(mask);

        /// <summary>The fraction of <paramref name="patterns"/> [P, N] that are fixed points: every unit's field has its sign (aᵢξᵢ &gt; 0).</summary>
        public static double FixedPointFraction(IEnergyScoreModel model, Tensor patterns)
        {
            HopfieldDynamics.CheckSpins(patterns, "patterns");
            using var scope = NewDisposeScope();
            var stable = ((model.ScoreNoGrad(patterns) * patterns).Gt(0)).all(1);
            return stable.to_type(ScalarType.Float64).mean().ToDoubleValue();
        }
    }
}
