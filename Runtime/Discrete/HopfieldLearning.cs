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

    /// <summary>Settings of MacKay's learning loop (<see cref="HopfieldLearning.MacKay"/>; MacKay 2003, Algorithm 42.9).</summary>
    public sealed record HopfieldMacKayOptions
    {
        /// <summary>L, the number of full-batch iterations.</summary>
        public int Iterations { get; init; } = 500;

        /// <summary>η, the step size.</summary>
        public double Eta { get; init; } = 0.01;

        /// <summary>α, the weight decay: the update descends G(W) + (α/2)E_W(W) with E_W = ½Σᵢⱼ wᵢⱼ² (each tied weight counted twice).</summary>
        public double Alpha { get; init; } = 0.1;

        /// <summary>Start from MacKay's Hebbian initialisation W = xᵀx (zero diagonal); false starts from the model's current W.</summary>
        public bool HebbianStart { get; init; } = true;
    }

    /// <summary>The outcome of <see cref="HopfieldLearning.MacKay"/>: the objective G + (α/2)E_W before every iteration and after the last.</summary>
    public sealed record HopfieldMacKayRun(int Iterations, IReadOnlyList<double> Objective);

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
            if (patterns.dim() != 2 || patterns.shape[1] != model.Dim)
                throw new ArgumentException("HopfieldLearning on " + model.ModelName + ": 'patterns' must have shape [P, " + model.Dim + "]; got " + Broadcasting.Describe(patterns) + ".", nameof(patterns));
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

        /// <summary>
        /// MacKay's Hopfield learning loop (Information Theory, Inference, and Learning Algorithms, 2003, Algorithm 42.9): the network
        /// as N perceptrons, each predicting its unit's target tᵢ = (xᵢ + 1)/2 from the others, with tied symmetric weights and weight
        /// decay α. Each of the L iterations: wᵢᵢ = 0; a = the local fields (the generated score of the patterns x [P, N], Wx + b for
        /// a symmetric W); y = σ(a); e = t − y; gw = xᵀe; gw ← gw + gwᵀ; W ← W + η(gw − αW). The start is W = xᵀx (Hebb) unless
        /// <see cref="HopfieldMacKayOptions.HebbianStart"/> is false (then the model's W, made symmetric); the returned W is symmetric with a zero diagonal. The objective traced is the one
        /// the update descends, G + (α/2)E_W with G = −Σ[t ln y + (1 − t) ln(1 − y)] = Σ[softplus(a) − t·a] and E_W = ½Σᵢⱼwᵢⱼ² over all
        /// i ≠ j: each tied weight wᵢⱼ = wⱼᵢ appears twice in E_W, so the decay −αwᵢⱼ per tied weight is the gradient of (α/2)E_W. Other parameters
        /// (the biases) are read by the fields but not changed.
        /// </summary>
        public static HopfieldMacKayRun MacKay(ParameterModule model, Tensor patterns, HopfieldMacKayOptions? options = null, string weightName = "W")
        {
            options ??= new HopfieldMacKayOptions();
            if (model is not IEnergyScoreModel scoreModel) throw new ArgumentException("HopfieldLearning.MacKay: " + model.ModelName + " has no generated score.", nameof(model));
            if (options.Iterations < 0) throw new ArgumentException("HopfieldLearning.MacKay on " + model.ModelName + ": iterations must be ≥ 0, got " + options.Iterations + ".", nameof(options));
            if (!(options.Eta > 0) || double.IsInfinity(options.Eta)) throw new ArgumentException("HopfieldLearning.MacKay on " + model.ModelName + ": η must be finite and positive, got " + options.Eta + ".", nameof(options));
            if (!(options.Alpha >= 0) || double.IsInfinity(options.Alpha)) throw new ArgumentException("HopfieldLearning.MacKay on " + model.ModelName + ": the weight decay α must be finite and ≥ 0, got " + options.Alpha + ".", nameof(options));
            HopfieldDynamics.CheckSpins(patterns, "patterns");
            if (patterns.dim() != 2 || patterns.shape[1] != model.Dim)
                throw new ArgumentException("HopfieldLearning.MacKay on " + model.ModelName + ": 'patterns' must have shape [P, " + model.Dim + "]; got " + Broadcasting.Describe(patterns) + ".", nameof(patterns));
            var named = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            if (!named.TryGetValue(weightName, out var w) || w.dim() != 2 || w.shape[0] != model.Dim || w.shape[1] != model.Dim)
                throw new ArgumentException("HopfieldLearning.MacKay: " + model.ModelName + " has no [N, N] parameter named '" + weightName + "'.", nameof(weightName));
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var x = patterns.to(w.dtype).to(w.device);
            var t = x.Add(1.0).Mul_(0.5);                                               // targets 0/1
            var mask = global::Dsl.ScalarOps.RSub(1, eye(model.Dim, dtype: w.dtype, device: w.device));
            if (options.HebbianStart) w.copy_(x.t().matmul(x));                          // w = x'·x
            else w.copy_(SymmetricZeroDiagonal(w, mask));                               // every update below is symmetric: so is W
            var trace = new List<double>();
            double alpha = options.Alpha, eta = options.Eta;
            for (int l = 0; l <= options.Iterations; l++)
            {
                using var step = NewDisposeScope();
                w.mul_(mask);                                                           // w(i,i) = 0
                var a = scoreModel.ScoreNoGrad(x);                                      // a = x·w (+ b)
                double g = (global::Dsl.ScalarOps.Softplus(a) - t * a).sum().ToDoubleValue();
                trace.Add(g + 0.25 * alpha * w.Square().sum().ToDoubleValue());   // G + (α/2)E_W: what the tied update descends
                if (l == options.Iterations) break;
                var e = t - a.sigmoid();                                                // e = t − y
                var gw = x.t().matmul(e);                                               // gw = x'·e
                gw = gw.Add(gw.t());                                                    // symmetrise
                w.Add_(gw.Sub_(w, alpha), eta);                                         // w += η(gw − αw)
            }
            w.mul_(mask);
            return new HopfieldMacKayRun(options.Iterations, trace);
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
