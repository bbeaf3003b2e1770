using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl
{
    /// <summary>
    /// The slow, independent reference: scores and divergences by TorchSharp autograd of an energy function.
    /// Shapes are validated and autograd goes through <see cref="GuardedAutograd"/>, because an exception inside
    /// libtorch's autograd.grad takes the process down.
    /// </summary>
    public static class Autograd
    {
        /// <summary>s(x) = −∇ₓ Σₙ E(xₙ) for x: [N, D]; with <paramref name="createGraph"/> the result stays differentiable.</summary>
        public static Tensor Score(Func<Tensor, Tensor> energy, Tensor x, bool createGraph = false) =>
            Score(energy, x, createGraph, new AutogradCaller("Autograd.Score", "the energy", "x",
                "Pass an energy that autograd can record (Energy or EnergyEager, not EnergyNoGrad), computed from x without detach or no_grad."));

        /// <summary>The score by autograd, with errors phrased for <paramref name="caller"/>, the public call that needs it.</summary>
        internal static Tensor Score(Func<Tensor, Tensor> energy, Tensor x, bool createGraph, AutogradCaller caller)
        {
            CheckBatch(x, nameof(Score));
            using var scope = NewDisposeScope();
            using var grad = enable_grad();
            var input = createGraph && x.requires_grad ? x : x.detach().requires_grad_(true);
            var e = energy(input);
            if (e.dim() != 1 || e.shape[0] != x.shape[0])
                throw new ArgumentException(caller.EntryPoint + ": " + caller.Function + " must return [N] = [" + x.shape[0] + "], got " + Broadcasting.Describe(e) + ".");
            // An energy that depends on parameters but not on x has a zero score (the guard reports it as unused: null).
            var g = GuardedAutograd.Grad(caller, e.sum(), input, retainGraph: createGraph, createGraph: createGraph);
            if (g is null) return zeros_like(x).MoveToOuterDisposeScope();
            var s = createGraph ? g.neg() : g.neg().detach();
            return s.MoveToOuterDisposeScope();
        }

        /// <summary>∇ₓ·v(x) exactly, by one backward pass per coordinate (D passes) for x: [N, D].</summary>
        /// <remarks>The field must keep its autograd graph: a field returned without one (no_grad, detach, a NoGrad method) is an
        /// ArgumentException, never a silent zero.</remarks>
        public static Tensor Divergence(Func<Tensor, Tensor> field, Tensor x) =>
            Divergence(field, x, new AutogradCaller("Autograd.Divergence", "the field", "x",
                "Pass a field that autograd can record (e.g. Score, or Autograd.Score with createGraph: true; not ScoreNoGrad)."), constantFieldIsZero: false);

        /// <summary>
        /// The exact divergence for <paramref name="caller"/>. With <paramref name="constantFieldIsZero"/> a field returned
        /// without a graph counts as constant in x (divergence 0): for the library's own fields, such as an SDE drift that is
        /// identically zero; a user's function is held to having a graph.
        /// </summary>
        internal static Tensor Divergence(Func<Tensor, Tensor> field, Tensor x, AutogradCaller caller, bool constantFieldIsZero)
        {
            CheckBatch(x, nameof(Divergence));
            using var scope = NewDisposeScope();
            using var grad = enable_grad();
            var input = x.detach().requires_grad_(true);
            var v = field(input);
            if (v.dim() != 2 || v.shape[0] != x.shape[0] || v.shape[1] != x.shape[1])
                throw new ArgumentException(caller.EntryPoint + ": " + caller.Function + " must return " + Broadcasting.Describe(x) + ", got " + Broadcasting.Describe(v) + ".");
            var div = zeros(x.shape[0], dtype: x.dtype, device: x.device);
            if (constantFieldIsZero && !v.requires_grad) return div.MoveToOuterDisposeScope();
            long d = x.shape[1];
            for (long i = 0; i < d; i++)
            {
                // retain_graph: the D passes share one graph.
                var gi = GuardedAutograd.Grad(caller, v.select(1, i).sum(), input, retainGraph: true);
                if (gi is null) continue;
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
