using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.GeneratedCode
{
    /// <summary>
    /// The argument checks of generated models with [Time] and [Condition] inputs: each names the model, the method and the
    /// argument, and returns the tensor the generated code computes with (a time as [N]; a label as its one-hot [N, K] in x's dtype).
    /// </summary>
    public static class ConditioningChecks
    {
        /// <summary>A per-sample time t: floating point [N] or [N, 1] on x's device; returns it as [N] in x's dtype (a float64 time grid meets float32 samples).</summary>
        public static Tensor Time(string model, string method, string argument, Tensor x, Tensor t)
        {
            if (t is null) throw new ArgumentNullException(argument, model + "." + method + ": argument '" + argument + "' is null.");
            bool shaped = (t.dim() == 1 && t.shape[0] == x.shape[0]) || (t.dim() == 2 && t.shape[0] == x.shape[0] && t.shape[1] == 1);
            if (!shaped)
                throw new ArgumentException(model + "." + method + ": argument '" + argument + "' must have shape [N] or [N, 1] with N = " + x.shape[0]
                    + " (one time per sample of x); got " + Broadcasting.Describe(t) + ".", argument);
            if (!t.is_floating_point())
                throw new ArgumentException(model + "." + method + ": argument '" + argument + "' must be floating point; got " + t.dtype + ".", argument);
            if (t.device_type != x.device_type || t.device_index != x.device_index)
                throw new ArgumentException(model + "." + method + ": argument '" + argument + "' is on " + t.device + " but x is on " + x.device + ".", argument);
            var flat = t.dim() == 1 ? t : t.reshape(t.shape[0]);
            return flat.dtype == x.dtype ? flat : flat.to_type(x.dtype);
        }

        /// <summary>A per-sample observation y: [N, K] with x's dtype and device; returns it.</summary>
        public static Tensor Observation(string model, string method, string argument, Tensor x, Tensor y, long size)
        {
            if (y is null) throw new ArgumentNullException(argument, model + "." + method + ": argument '" + argument + "' is null.");
            if (y.dim() != 2 || y.shape[0] != x.shape[0] || y.shape[1] != size)
                throw new ArgumentException(model + "." + method + ": argument '" + argument + "' must have shape [N, K] = [" + x.shape[0] + ", " + size
                    + "] (one observation per sample of x); got " + Broadcasting.Describe(y) + ".", argument);
            SameKind(model, method, argument, x, y);
            return y;
        }

        /// <summary>Per-sample class labels y: int64 [N] (or [N, 1]) in 0…K−1 on x's device; returns their one-hot [N, K] in x's dtype.</summary>
        public static Tensor OneHot(string model, string method, string argument, Tensor x, Tensor y, long classes)
        {
            if (y is null) throw new ArgumentNullException(argument, model + "." + method + ": argument '" + argument + "' is null.");
            bool shaped = (y.dim() == 1 && y.shape[0] == x.shape[0]) || (y.dim() == 2 && y.shape[0] == x.shape[0] && y.shape[1] == 1);
            if (!shaped || y.dtype != ScalarType.Int64)
                throw new ArgumentException(model + "." + method + ": argument '" + argument + "' must be int64 labels [N] with N = " + x.shape[0]
                    + " (one class per sample of x); got " + y.dtype + " " + Broadcasting.Describe(y) + ".", argument);
            if (y.device_type != x.device_type || y.device_index != x.device_index)
                throw new ArgumentException(model + "." + method + ": argument '" + argument + "' is on " + y.device + " but x is on " + x.device + ".", argument);
            using var scope = NewDisposeScope();
            var flat = y.reshape(y.shape[0]);
            if (flat.numel() > 0)
            {
                long lo, hi;
                using (var mn = flat.min()) lo = mn.ToInt64Value();
                using (var mx = flat.max()) hi = mx.ToInt64Value();
                if (lo < 0 || hi >= classes)
                    throw new ArgumentOutOfRangeException(argument, model + "." + method + ": labels must lie in 0…" + (classes - 1) + " (K = " + classes + " classes); got values in " + lo + "…" + hi + ".");
            }
            return nn.functional.one_hot(flat, classes).to_type(x.dtype).MoveToOuterDisposeScope();
        }

        private static void SameKind(string model, string method, string argument, Tensor x, Tensor other)
        {
            if (other.dtype != x.dtype)
                throw new ArgumentException(model + "." + method + ": argument '" + argument + "' has dtype " + other.dtype + " but x is " + x.dtype + ".", argument);
            if (other.device_type != x.device_type || other.device_index != x.device_index)
                throw new ArgumentException(model + "." + method + ": argument '" + argument + "' is on " + other.device + " but x is on " + x.device + ".", argument);
        }
    }
}
