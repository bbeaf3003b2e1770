using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl
{
    /// <summary>
    /// Base of every generated energy model: a TorchSharp module whose [Param]s are registered parameters,
    /// plus the input checks every generated method runs before any native call.
    /// </summary>
    public abstract class EnergyModule : nn.Module, IModel
    {
        private readonly List<string> parameterNames = new List<string>();

        /// <summary>Creates the module for a model over x ∈ ℝ^<paramref name="dim"/>.</summary>
        protected EnergyModule(string modelName, int dim) : base(modelName)
        {
            ModelName = modelName;
            Dim = dim;
        }

        /// <inheritdoc/>
        public string ModelName { get; }

        /// <inheritdoc/>
        public int Dim { get; }

        /// <summary>The parameters' dtype (Float32 for a model without parameters).</summary>
        public ScalarType DType => parameterNames.Count == 0 ? ScalarType.Float32 : Param(parameterNames[0]).dtype;

        /// <summary>The parameters' device (CPU for a model without parameters).</summary>
        public Device Device => parameterNames.Count == 0 ? CPU : Param(parameterNames[0]).device;

        /// <summary>
        /// Which code the generated inference methods (<c>…NoGrad</c>) run: set from <see cref="EnergyModelAttribute.Kernels"/>, and
        /// settable at run time (benchmarks and tests compare the paths on one model). <see cref="KernelPath.TorchOps"/> turns the fused
        /// kernels off; <see cref="KernelPath.Fused"/> uses them for every CPU input, copying non-contiguous ones;
        /// <see cref="KernelPath.TorchScript"/> runs the generated TorchScript functions on every device (<see cref="KernelPath.Auto"/>
        /// runs them for CUDA inputs). Methods the generator did not fuse or script ignore it.
        /// </summary>
        public KernelPath Kernels { get; set; } = KernelPath.Auto;

        /// <summary>
        /// Registers a float32 parameter of <paramref name="shape"/>, filled with <paramref name="init"/> or, when it
        /// is NaN, drawn from N(0, 1/last dimension) with <paramref name="generator"/>.
        /// </summary>
        protected Tensor RegisterParam(string name, long[] shape, double init, Generator? generator)
        {
            Tensor value;
            using (no_grad())
            {
                if (double.IsNaN(init))
                {
                    double std = shape.Length == 0 ? 1.0 : 1.0 / System.Math.Sqrt(shape[^1]);
                    value = empty(shape, dtype: ScalarType.Float32).normal_(0, std, generator: generator);
                }
                else
                {
                    value = global::Dsl.ScalarOps.Full(shape, init, dtype: ScalarType.Float32);
                }
            }
            var parameter = new Parameter(value, requires_grad: true);
            register_parameter(name, parameter);
            parameterNames.Add(name);
            return parameter;
        }

        /// <summary>The current tensor of a registered parameter (after <c>to()</c> or <c>load_state_dict</c> too).</summary>
        protected Tensor Param(string name)
        {
            var p = get_parameter(name);
            if (p is null) throw new ArgumentException(ModelName + ": no parameter named '" + name + "'.", nameof(name));
            return p;
        }

        /// <summary>Throws an <see cref="ArgumentException"/> unless x is [N, Dim], floating point, on the parameters' dtype and device.</summary>
        protected void CheckInput(Tensor x, string method, string argument = "x")
        {
            if (x is null) throw new ArgumentNullException(argument, ModelName + "." + method + ": argument '" + argument + "' is null.");
            if (x.dim() != 2 || x.shape[1] != Dim)
                throw new ArgumentException(ModelName + "." + method + ": argument '" + argument + "' must have shape [N, " + Dim + "] (N samples of dimension D = " + Dim + "); got " + Broadcasting.Describe(x) + ".", argument);
            if (!x.is_floating_point())
                throw new ArgumentException(ModelName + "." + method + ": argument '" + argument + "' must be floating point; got " + x.dtype + ".", argument);
            if (parameterNames.Count == 0) return;
            var p = Param(parameterNames[0]);
            if (x.dtype != p.dtype)
                throw new ArgumentException(ModelName + "." + method + ": argument '" + argument + "' has dtype " + x.dtype + " but the model's parameters are " + p.dtype + "; convert x or call model.to(ScalarType." + x.dtype + ").", argument);
            if (x.device_type != p.device_type || x.device_index != p.device_index)
                throw new ArgumentException(ModelName + "." + method + ": argument '" + argument + "' is on " + x.device + " but the model's parameters are on " + p.device + "; move x or call model.to(device).", argument);
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
        protected void CheckStepFactors(string method, double sigma, double inputScale, double c, double a, double b)
        {
            if (!(sigma > 0) || double.IsInfinity(sigma))
                throw new ArgumentOutOfRangeException(nameof(sigma), sigma, ModelName + "." + method + ": the noise level σ must be finite and positive.");
            foreach (var (name, value) in new[] { ("inputScale", inputScale), ("c", c), ("a", a), ("b", b) })
                if (!double.IsFinite(value))
                    throw new ArgumentOutOfRangeException(name, value, ModelName + "." + method + ": the factor " + name + " must be finite.");
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
            if (parameterNames.Count > 0 && h.dtype != Param(parameterNames[0]).dtype)
                throw new ArgumentException(ModelName + "." + method + ": argument 'h' has dtype " + h.dtype + " but the model's parameters are " + Param(parameterNames[0]).dtype + ".", nameof(h));
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

        /// <summary>Checks a dimension size given to a generated constructor.</summary>
        protected static int CheckSize(string model, string symbol, int value)
        {
            if (value < 1) throw new ArgumentOutOfRangeException(symbol, value, model + ": dimension " + symbol + " must be at least 1.");
            return value;
        }

        /// <summary>Copies <paramref name="value"/> into the named parameter (dtype and device converted).</summary>
        public void SetParameter(string name, Tensor value)
        {
            if (!parameterNames.Contains(name))
                throw new ArgumentException(ModelName + ": no parameter named '" + name + "'; parameters: " + string.Join(", ", parameterNames) + ".", nameof(name));
            var p = Param(name);
            if (!p.shape.SequenceEqual(value.shape))
                throw new ArgumentException(ModelName + ": parameter '" + name + "' has shape " + Broadcasting.Describe(p) + " but the value has shape " + Broadcasting.Describe(value) + ".", nameof(value));
            using (no_grad()) p.copy_(value.to(p.dtype).to(p.device));
        }

        /// <summary>
        /// Converts the parameters for <c>to(dtype)</c> / <c>to(device)</c>. TorchSharp's own epilogue assigns each
        /// converted Parameter to the field of the same name by reflection, which fails for the model's
        /// Scalar/Vec/Mat fields; this one re-registers the converted parameters instead, and the generated code
        /// re-binds those fields from <see cref="Param"/> before it runs the user's equations.
        /// </summary>
        protected override void _toEpilog(ScalarType? dtype, Device? device, bool non_blocking)
        {
            foreach (var name in parameterNames)
            {
                var p = Param(name);
                Tensor converted;
                using (no_grad())
                {
                    converted = p;
                    if (dtype.HasValue && converted.dtype != dtype.Value) converted = converted.to(dtype.Value, non_blocking: non_blocking);
                    if (device is not null && (converted.device_type != device.type || converted.device_index != device.index))
                        converted = converted.to(device, non_blocking: non_blocking);
                }
                if (ReferenceEquals(converted, p)) continue;
                ConditionallyRegisterParameter(name, new Parameter(converted.detach(), p.requires_grad));
            }
        }

        /// <summary>The registered parameter names, in declaration order.</summary>
        public IReadOnlyList<string> ParameterNames => parameterNames;
    }
}
