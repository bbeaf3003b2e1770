using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl
{
    public static partial class Math
    {
        /// <summary>
        /// ∇f at <paramref name="at"/>: the gradient of a Scalar function of a Vec (a part's energy <c>Grad(Target.E, q)</c>, a helper
        /// method of the model, or a lambda <c>Grad(q =&gt; Norm2(q) / 2, x)</c>), per sample. The generator differentiates f
        /// symbolically and substitutes the point, so the generated code has no autograd; this eager version takes torch's autograd
        /// with the graph kept (create_graph), so that an eager expression using it can itself be differentiated as a reference.
        /// </summary>
        public static Vec Grad(Func<Vec, Scalar> f, Vec at)
        {
            if (f is null) throw new ArgumentNullException(nameof(f), "Grad needs the function to differentiate.");
            using var grad = enable_grad();
            var input = at.Tensor.requires_grad ? at.Tensor : at.Tensor.detach().requires_grad_(true);
            var value = f(new Vec(input)).Tensor;
            if (value.dim() > 1) throw new ArgumentException("Grad differentiates a Scalar function (one value per sample), got a value of shape [" + string.Join(", ", value.shape) + "].", nameof(f));
            if (!value.requires_grad) return new Vec(zeros_like(input));
            var result = GuardedAutograd.Grad(new AutogradCaller("Dsl.Math.Grad (the eager equation)", "the function given to Grad", "its Vec argument",
                "give Grad a function that is differentiable in its argument"), value.sum(), input, retainGraph: true, createGraph: true);
            return new Vec(result ?? zeros_like(input));
        }

        /// <summary>The Vec of n zeros (a constant; torch's default dtype, promoted in a product with x).</summary>
        public static Vec Zeros(int n)
        {
            if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), "Zeros needs a size of at least 1, got " + n + ".");
            return new Vec(zeros(n, dtype: get_default_dtype()));
        }

        /// <summary>The Vec of n ones (a constant; torch's default dtype, promoted in a product with x).</summary>
        public static Vec Ones(int n)
        {
            if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), "Ones needs a size of at least 1, got " + n + ".");
            return new Vec(ones(n, dtype: get_default_dtype()));
        }
    }
}
