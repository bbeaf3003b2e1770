using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl
{
    /// <summary>The distribution of Hutchinson probes v (both have E[v vᵀ] = I).</summary>
    public enum ProbeDistribution
    {
        /// <summary>v ~ N(0, I).</summary>
        Gaussian,
        /// <summary>vᵢ = ±1 with probability ½ each: lower variance, Var = 2 Σ_{i≠j} J_ij² (Hutchinson 1989).</summary>
        Rademacher,
    }

    /// <summary>A stochastic divergence estimate per sample with its estimator variance. Owns its tensors.</summary>
    public sealed class DivergenceEstimate : IDisposable
    {
        internal DivergenceEstimate(Tensor value, Tensor probeVariance, int probes)
        {
            Value = value; ProbeVariance = probeVariance; Probes = probes;
        }

        /// <summary>The estimate of ∇ₓ·f(x) per sample: the mean over probes, [N].</summary>
        public Tensor Value { get; }

        /// <summary>The sample variance of a single-probe estimate vᵀJv across the probes, [N] (zeros with one probe).</summary>
        public Tensor ProbeVariance { get; }

        /// <summary>The number of probes M; the variance of <see cref="Value"/> is ProbeVariance / M.</summary>
        public int Probes { get; }

        /// <summary>Disposes the tensors.</summary>
        public void Dispose() { Value.Dispose(); ProbeVariance.Dispose(); }
    }

    /// <summary>
    /// Divergence ∇ₓ·f(x) = tr ∂f/∂x of a vector field, the piece implicit and sliced score matching and the
    /// probability-flow likelihood are built from: exact (the generated one-pass divergence where the model has it,
    /// D autograd passes otherwise) or Hutchinson's unbiased trace estimate E_v[vᵀ (∂f/∂x) v].
    /// </summary>
    public static class DivergenceEstimators
    {
        /// <summary>
        /// The exact divergence of a model's score, [N]. Uses the generated ScoreDivergence when the model has one;
        /// otherwise one autograd pass per coordinate. With <paramref name="differentiable"/> the result keeps its
        /// graph, so a loss built on it trains the parameters.
        /// </summary>
        public static Tensor Exact(IScoreModel model, Tensor x, bool differentiable = false) =>
            Exact(model, x, differentiable, "DivergenceEstimators.Exact");

        /// <summary>The exact divergence of a model's score for <paramref name="entryPoint"/>, the public call that needs it (for its errors).</summary>
        internal static Tensor Exact(IScoreModel model, Tensor x, bool differentiable, string entryPoint)
        {
            if (model is IScoreDivergenceModel generated)
                return differentiable ? generated.ScoreDivergence(x) : generated.ScoreDivergenceNoGrad(x);
            return Exact(model.Score, x, differentiable, ScoreCaller(entryPoint, model), constantFieldIsZero: false);
        }

        /// <summary>The exact divergence of any field f: [N, D] → [N, D] by D autograd passes, [N].</summary>
        /// <remarks>The field must keep its autograd graph: one returned without (no_grad, detach, ScoreNoGrad) is an ArgumentException.</remarks>
        public static Tensor Exact(Func<Tensor, Tensor> field, Tensor x, bool differentiable = false) =>
            Exact(field, x, differentiable, FieldCaller("DivergenceEstimators.Exact"), constantFieldIsZero: false);

        /// <summary>
        /// The exact divergence for <paramref name="caller"/>; with <paramref name="constantFieldIsZero"/> a field without a
        /// graph counts as constant in x (the library's own fields only, e.g. an identically zero SDE drift).
        /// </summary>
        internal static Tensor Exact(Func<Tensor, Tensor> field, Tensor x, bool differentiable, AutogradCaller caller, bool constantFieldIsZero)
        {
            CheckBatch(x, nameof(Exact));
            if (!differentiable) return Autograd.Divergence(field, x, caller, constantFieldIsZero);
            using var scope = NewDisposeScope();
            using var grad = enable_grad();
            var input = x.requires_grad ? x : x.detach().requires_grad_(true);
            var f = CheckField(field(input), x, caller.EntryPoint);
            var div = zeros(x.shape[0], dtype: x.dtype, device: x.device);
            if (constantFieldIsZero && !f.requires_grad) return div.MoveToOuterDisposeScope();
            for (long i = 0; i < x.shape[1]; i++)
            {
                var gi = GuardedAutograd.Grad(caller, f.select(1, i).sum(), input, retainGraph: true, createGraph: true);
                if (gi is null) continue;
                div = div.Add(gi.select(1, i));
            }
            return div.MoveToOuterDisposeScope();
        }

        /// <summary>
        /// Hutchinson's estimate (1/M) Σₘ vₘᵀ (∂f/∂x) vₘ with M = <paramref name="probes"/> probes drawn from
        /// <paramref name="generator"/>; one vector–Jacobian product per probe. Unbiased for any M ≥ 1.
        /// </summary>
        /// <remarks>The field must keep its autograd graph: one returned without (no_grad, detach, ScoreNoGrad) is an ArgumentException.</remarks>
        public static DivergenceEstimate Hutchinson(Func<Tensor, Tensor> field, Tensor x, int probes, ProbeDistribution distribution,
            Generator generator, bool differentiable = false)
        {
            const string entryPoint = "DivergenceEstimators.Hutchinson";
            CheckBatch(x, nameof(Hutchinson));
            if (probes < 1) throw new ArgumentException(entryPoint + ": probes must be ≥ 1, got " + probes + ".", nameof(probes));
            using var scope = NewDisposeScope();
            using var grad = enable_grad();
            var input = differentiable && x.requires_grad ? x : x.detach().requires_grad_(true);
            var f = CheckField(field(input), x, entryPoint);
            var caller = FieldCaller(entryPoint);
            var estimates = new Tensor[probes];
            for (int m = 0; m < probes; m++)
            {
                var v = Probe(x, distribution, generator);
                // retain_graph: every probe differentiates the same f.
                var vjp = GuardedAutograd.Grad(caller, (f * v).sum(), input, retainGraph: true, createGraph: differentiable);
                estimates[m] = vjp is null ? zeros(x.shape[0], dtype: x.dtype, device: x.device) : (vjp * v).sum(1);
            }
            var all = stack(estimates);                                          // [M, N]
            var value = all.mean(new long[] { 0 });
            var variance = probes > 1 ? all.detach().var(0L) : zeros_like(value);
            if (!differentiable) value = value.detach();
            return new DivergenceEstimate(value.MoveToOuterDisposeScope(), variance.MoveToOuterDisposeScope(), probes);
        }

        /// <summary>Probe vectors shaped like <paramref name="like"/> with E[v vᵀ] = I.</summary>
        public static Tensor Probe(Tensor like, ProbeDistribution distribution, Generator generator)
        {
            var v = empty_like(like);
            if (distribution == ProbeDistribution.Gaussian) return v.normal_(0, 1, generator: generator);
            return v.bernoulli_(0.5, generator: generator).Mul_(2).Sub_(1);    // ±1 with probability ½
        }

        private static Tensor CheckField(Tensor f, Tensor x, string entryPoint)
        {
            if (f is null || f.IsInvalid) throw new ArgumentException(entryPoint + ": the field returned " + (f is null ? "null" : "a disposed tensor") + ".");
            if (f.dim() != 2 || f.shape[0] != x.shape[0] || f.shape[1] != x.shape[1])
                throw new ArgumentException(entryPoint + ": the field must return " + Broadcasting.Describe(x) + ", got " + Broadcasting.Describe(f) + ".");
            return f;
        }

        private static AutogradCaller FieldCaller(string entryPoint) => new(entryPoint, "the field", "x",
            "Pass a field that autograd can record (e.g. a model's Score, not ScoreNoGrad; nothing detached or under no_grad).");

        /// <summary>The caller for a model's score differentiated by <paramref name="entryPoint"/>.</summary>
        internal static AutogradCaller ScoreCaller(string entryPoint, IModel model) => new(entryPoint, "the score of '" + model.ModelName + "'", "x",
            "IScoreModel.Score must keep its autograd graph (ScoreNoGrad, detach or no_grad inside Score drop it); use the model's differentiable Score.");

        private static void CheckBatch(Tensor x, string method)
        {
            if (x is null) throw new ArgumentNullException(nameof(x));
            if (x.dim() != 2 || !x.is_floating_point())
                throw new ArgumentException("DivergenceEstimators." + method + ": x must be a floating-point [N, D] tensor, got " + x.dtype + " " + Broadcasting.Describe(x) + ".", nameof(x));
        }
    }
}
