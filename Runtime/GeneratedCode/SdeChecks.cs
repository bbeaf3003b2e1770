using System;
using static TorchSharp.torch;

namespace Dsl.GeneratedCode
{
    /// <summary>Input checks of the generated SDE members: the SDE, the member, the argument and the expected shape.</summary>
    public static class SdeChecks
    {
        /// <summary>t must be a floating-point [N] tensor.</summary>
        public static void Time(string sde, string member, Tensor t)
        {
            if (t is null) throw new ArgumentNullException(nameof(t), sde + "." + member + ": argument 't' is null.");
            if (t.dim() != 1 || !t.is_floating_point())
                throw new ArgumentException(sde + "." + member + ": argument 't' must be a floating-point [N] tensor of per-sample times; got " + t.dtype + " " + Broadcasting.Describe(t) + ".", nameof(t));
        }

        /// <summary>x must be a floating-point [N, D] tensor.</summary>
        public static void Batch(string sde, string member, Tensor x)
        {
            if (x is null) throw new ArgumentNullException(nameof(x), sde + "." + member + ": argument 'x' is null.");
            if (x.dim() != 2 || !x.is_floating_point())
                throw new ArgumentException(sde + "." + member + ": argument 'x' must be a floating-point [N, D] tensor; got " + x.dtype + " " + Broadcasting.Describe(x) + ".", nameof(x));
        }

        /// <summary>x: [N, D] and t: [N] with the same N.</summary>
        public static void State(string sde, string member, Tensor x, Tensor t)
        {
            Batch(sde, member, x);
            Time(sde, member, t);
            if (t.shape[0] != x.shape[0])
                throw new ArgumentException(sde + "." + member + ": argument 't' must have shape [N] = [" + x.shape[0] + "] (one time per row of x); got " + Broadcasting.Describe(t) + ".", nameof(t));
        }

        /// <summary>An argument that must have the shape of x.</summary>
        public static void SameShape(string sde, string member, string argument, Tensor value, Tensor x)
        {
            if (value is null) throw new ArgumentNullException(argument, sde + "." + member + ": argument '" + argument + "' is null.");
            if (!value.shape.AsSpan().SequenceEqual(x.shape))
                throw new ArgumentException(sde + "." + member + ": argument '" + argument + "' must have the shape of x, " + Broadcasting.Describe(x) + "; got " + Broadcasting.Describe(value) + ".", argument);
        }
    }
}
