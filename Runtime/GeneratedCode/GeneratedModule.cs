using System;
using static TorchSharp.torch;

namespace Dsl.GeneratedCode
{
    /// <summary>
    /// The base class the generators emit for every [EnergyModel], bipartite, flow-layer and divergence model: a
    /// <see cref="ParameterModule"/> plus the argument checks only generated methods call (noise levels, hidden units,
    /// unit values, step factors). Hand-written modules derive from <see cref="ParameterModule"/> instead.
    /// </summary>
    public abstract class GeneratedModule : ParameterModule
    {
        /// <summary>Creates the module for a model over x ∈ ℝ^<paramref name="dim"/>.</summary>
        protected GeneratedModule(string modelName, int dim) : base(modelName, dim)
        {
        }

        /// <summary>Throws an <see cref="ArgumentException"/> unless <paramref name="other"/> has as many rows (samples) as x.</summary>
        protected void CheckSameBatch(Tensor x, Tensor other, string argument, string method)
        {
            if (other.shape[0] != x.shape[0])
                throw new ArgumentException(ModelName + "." + method + ": argument '" + argument + "' must have one row per sample of x (" + x.shape[0] + "); got " + Broadcasting.Describe(other) + ".", argument);
        }

        /// <summary>Validates per-sample noise levels σ: [N] matching x: [N, D] in length, dtype and device.</summary>
        protected void CheckNoiseLevel(Tensor x, Tensor sigma, string method)
        {
            if (sigma is null) throw new ArgumentNullException(nameof(sigma), ModelName + "." + method + ": argument 'sigma' is null.");
            if (sigma.dim() != 1 || sigma.shape[0] != x.shape[0])
                throw new ArgumentException(ModelName + "." + method + ": argument 'sigma' must have shape [N] = [" + x.shape[0] + "] (one noise level per sample of x); got " + Broadcasting.Describe(sigma) + ".", nameof(sigma));
            if (sigma.dtype != x.dtype)
                throw new ArgumentException(ModelName + "." + method + ": argument 'sigma' has dtype " + sigma.dtype + " but x is " + x.dtype + ".", nameof(sigma));
            if (sigma.device_type != x.device_type || sigma.device_index != x.device_index)
                throw new ArgumentException(ModelName + "." + method + ": argument 'sigma' is on " + sigma.device + " but x is on " + x.device + ".", nameof(sigma));
        }

        /// <summary>Validates the numbers of a shared-noise-level step: σ &gt; 0 and every factor finite.</summary>
        protected void CheckStepFactors(string method, double sigma, double inputScale, double c, double a, double b) =>
            CheckLevelAndFactors(method, sigma, ("inputScale", inputScale), ("c", c), ("a", a), ("b", b));

        private void CheckLevelAndFactors(string method, double sigma, params (string Name, double Value)[] factors)
        {
            if (!(sigma > 0) || double.IsInfinity(sigma))
                throw new ArgumentOutOfRangeException(nameof(sigma), sigma, ModelName + "." + method + ": the noise level σ must be finite and positive.");
            foreach (var (name, value) in factors)
                if (!double.IsFinite(value))
                    throw new ArgumentOutOfRangeException(name, value, ModelName + "." + method + ": the factor " + name + " must be finite.");
        }

        /// <summary>
        /// Validates the arguments of a shared-level flow: x of shape [N, D] on the parameters' device in any floating dtype (the
        /// flow converts it), σ &gt; 0, every factor finite, <paramref name="flow"/> of x's shape and <paramref name="divergence"/>
        /// of shape [N], both of x's dtype and device, contiguous, and neither sharing memory with x (the kernel reads x while it
        /// writes them).
        /// </summary>
        protected void CheckFlowArguments(string method, Tensor x, double sigma, double inputScale, double c, double a, double divergenceShift, double divergenceScale, Tensor flow, Tensor divergence)
        {
            CheckInput(x, method, "x", matchDtype: false);
            CheckLevelAndFactors(method, sigma, ("inputScale", inputScale), ("c", c), ("a", a), ("divergenceShift", divergenceShift), ("divergenceScale", divergenceScale));
            CheckOutput(method, x, flow, nameof(flow), x.shape);
            CheckOutput(method, x, divergence, nameof(divergence), new[] { x.shape[0] });
        }

        private void CheckOutput(string method, Tensor x, Tensor output, string argument, long[] shape)
        {
            if (output is null) throw new ArgumentNullException(argument, ModelName + "." + method + ": argument '" + argument + "' is null.");
            if (!output.shape.AsSpan().SequenceEqual(shape) || output.dtype != x.dtype || output.device_type != x.device_type || output.device_index != x.device_index || !output.is_contiguous())
                throw new ArgumentException(ModelName + "." + method + ": argument '" + argument + "' must be a contiguous tensor of shape [" + string.Join(", ", shape) + "], dtype " + x.dtype
                    + " on " + x.device + " (x's); got " + Broadcasting.Describe(output) + " " + output.dtype + " on " + output.device + (output.is_contiguous() ? "" : ", not contiguous") + ".", argument);
            if (output.Handle == x.Handle || (x.device_type == TorchSharp.DeviceType.CPU && x.is_contiguous() && output.bytes.Overlaps(x.bytes)))
                throw new ArgumentException(ModelName + "." + method + ": argument '" + argument + "' must not share memory with x (the kernel reads x while it writes it).", argument);
        }

        /// <summary>x in the dtype of the model's parameters (the dtype its torch-op path computes in); x itself when they agree or there are none.</summary>
        protected Tensor InParameterType(Tensor x)
        {
            var p = FirstParameter();
            return p is null || p.dtype == x.dtype ? x : x.to_type(p.dtype);
        }

        /// <summary>Validates hidden units h: [N, H] matching v: [N, ·] in batch size, dtype and device.</summary>
        protected void CheckHidden(Tensor v, Tensor h, long hiddenSize, string method)
        {
            CheckHiddenOnly(h, hiddenSize, method);
            if (h.shape[0] != v.shape[0])
                throw new ArgumentException(ModelName + "." + method + ": argument 'h' must have shape [N, " + hiddenSize + "] with N = " + v.shape[0] + " (one row per row of v); got " + Broadcasting.Describe(h) + ".", nameof(h));
        }

        /// <summary>Validates hidden units h: [N, H], floating point, on the parameters' dtype and device.</summary>
        protected void CheckHiddenOnly(Tensor h, long hiddenSize, string method)
        {
            if (h is null) throw new ArgumentNullException(nameof(h), ModelName + "." + method + ": argument 'h' is null.");
            if (h.dim() != 2 || h.shape[1] != hiddenSize || !h.is_floating_point())
                throw new ArgumentException(ModelName + "." + method + ": argument 'h' must be a floating-point [N, " + hiddenSize + "] tensor of hidden units; got " + h.dtype + " " + Broadcasting.Describe(h) + ".", nameof(h));
            if (ParameterNames.Count > 0 && h.dtype != Param(ParameterNames[0]).dtype)
                throw new ArgumentException(ModelName + "." + method + ": argument 'h' has dtype " + h.dtype + " but the model's parameters are " + Param(ParameterNames[0]).dtype + ".", nameof(h));
        }

        /// <summary>Throws, naming the first offending entry, unless every entry of <paramref name="units"/> is 0 or 1.</summary>
        protected void CheckBits(Tensor units, string argument, string method) =>
            UnitValues.Require(units, 0, 1, "bits 0 or 1", ModelName + "." + method, argument);

        /// <summary>Throws, naming the first offending entry, unless every entry of <paramref name="units"/> is −1 or +1.</summary>
        protected void CheckSpins(Tensor units, string argument, string method) =>
            UnitValues.Require(units, -1, 1, "spins -1 or +1", ModelName + "." + method, argument);

        /// <summary>Throws unless every precision aᵢ = ∂²E/∂vᵢ² of a real visible block is positive (else ∫ e^{−E} dv diverges).</summary>
        protected void CheckPrecision(Tensor precision, string method)
        {
            using var scope = NewDisposeScope();
            if ((precision.Le(0)).any().item<bool>())
                throw new InvalidOperationException(ModelName + "." + method + ": the visible precision ∂²E/∂vᵢ² must be positive for p(v | h) to be a Gaussian; its smallest value is "
                    + precision.min().ToDoubleValue().ToString(System.Globalization.CultureInfo.InvariantCulture) + ".");
        }
    }
}
