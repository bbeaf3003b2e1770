using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl
{
    /// <summary>
    /// The slow, independent reference: scores and divergences by TorchSharp autograd of an energy function.
    /// Shapes are validated before autograd runs, because an exception inside libtorch's autograd can take the
    /// process down.
    /// </summary>
    public static class Autograd
    {
        /// <summary>s(x) = −∇ₓ Σₙ E(xₙ) for x: [N, D]; with <paramref name="createGraph"/> the result stays differentiable.</summary>
        public static Tensor Score(Func<Tensor, Tensor> energy, Tensor x, bool createGraph = false)
        {
            CheckBatch(x, nameof(Score));
            using var scope = NewDisposeScope();
            using var grad = enable_grad();
            var input = createGraph && x.requires_grad ? x : x.detach().requires_grad_(true);
            var e = energy(input);
            if (e.dim() != 1 || e.shape[0] != x.shape[0])
                throw new ArgumentException("Autograd.Score: the energy must return [N] = [" + x.shape[0] + "], got " + Broadcasting.Describe(e) + ".");
            // allow_unused: an energy that does not depend on x has a zero score, not a native abort.
            var g = autograd.grad(new[] { e.sum() }, new[] { input }, retain_graph: createGraph, create_graph: createGraph, allow_unused: true)[0];
            if (g is null || g.IsInvalid) return zeros_like(x).MoveToOuterDisposeScope();
            var s = createGraph ? g.neg() : g.neg().detach();
            return s.MoveToOuterDisposeScope();
        }

        /// <summary>∇ₓ·v(x) exactly, by one backward pass per coordinate (D passes) for x: [N, D].</summary>
        public static Tensor Divergence(Func<Tensor, Tensor> field, Tensor x)
        {
            CheckBatch(x, nameof(Divergence));
            using var scope = NewDisposeScope();
            using var grad = enable_grad();
            var input = x.detach().requires_grad_(true);
            var v = field(input);
            if (v.dim() != 2 || v.shape[0] != x.shape[0] || v.shape[1] != x.shape[1])
                throw new ArgumentException("Autograd.Divergence: the field must return " + Broadcasting.Describe(x) + ", got " + Broadcasting.Describe(v) + ".");
            var div = zeros(x.shape[0], dtype: x.dtype, device: x.device);
            if (!v.requires_grad) return div.MoveToOuterDisposeScope();   // a field constant in x
            long d = x.shape[1];
            for (long i = 0; i < d; i++)
            {
                var gi = autograd.grad(new[] { v.select(1, i).sum() }, new[] { input }, retain_graph: true, allow_unused: true)[0];
                if (gi is null || gi.IsInvalid) continue;
                div = div.Add(gi.select(1, i));
            }
            return div.detach().MoveToOuterDisposeScope();
        }

        /// <summary>
        /// The model's score by autograd of its own equations run eagerly: what a PyTorch user gets without Dsl,
        /// as an <see cref="IScoreModel"/> for samplers, losses and benchmarks that compare the two paths.
        /// </summary>
        public static IScoreModel EagerScoreModel(IEquationModel model) => new EagerScore(model);

        private sealed class EagerScore : IScoreModel
        {
            private readonly IEquationModel model;
            public EagerScore(IEquationModel model) { this.model = model; }
            public string ModelName => model.ModelName + " (autograd of the eager equations)";
            public int Dim => model.Dim;
            public Tensor Score(Tensor x) => Autograd.Score(model.EnergyEager, x, createGraph: true);
            public Tensor ScoreNoGrad(Tensor x) => Autograd.Score(model.EnergyEager, x);
        }

        private static void CheckBatch(Tensor x, string method)
        {
            if (x is null) throw new ArgumentNullException(nameof(x));
            if (x.dim() != 2 || !x.is_floating_point())
                throw new ArgumentException("Autograd." + method + ": x must be a floating-point [N, D] tensor, got " + x.dtype + " " + Broadcasting.Describe(x) + ".", nameof(x));
        }
    }
}
