using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl
{
    /// <summary>
    /// A TorchSharp module over x ∈ ℝ^D whose parameters are registered by name: the base of every generated model (through
    /// <see cref="GeneratedCode.GeneratedModule"/>) and of the hand-written modules (networks, flows, GANs, CNFs), so the
    /// <see cref="Training.Trainer"/>, its EMA and checkpoints serve all of them. It converts its parameters for
    /// <c>to(dtype/device)</c> and carries the checks every model runs on its input x: [N, D].
    /// </summary>
    public abstract class ParameterModule : nn.Module, IModel
    {
        private readonly List<string> parameterNames = new List<string>();
        private readonly List<(string Name, ParameterModule Part)> parts = new List<(string, ParameterModule)>();

        /// <summary>Creates the module for a model over x ∈ ℝ^<paramref name="dim"/>.</summary>
        protected ParameterModule(string modelName, int dim) : base(modelName)
        {
            ModelName = modelName;
            Dim = dim;
        }

        /// <inheritdoc/>
        public string ModelName { get; }

        /// <inheritdoc/>
        public int Dim { get; }

        /// <summary>The parameters' dtype (Float32 for a model without parameters).</summary>
        public ScalarType DType => FirstParameter()?.dtype ?? ScalarType.Float32;

        /// <summary>The parameters' device (CPU for a model without parameters).</summary>
        public Device Device => FirstParameter()?.device ?? CPU;

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

        /// <summary>
        /// Registers another model as a part of this one (a TorchSharp submodule named <paramref name="name"/>): its parameters
        /// train, convert and checkpoint with this model's, under the names "<paramref name="name"/>.Parameter", and
        /// <see cref="Param"/> and <see cref="SetParameter"/> accept those names. Generated constructors call it for each part
        /// a model holds (a readonly field or get-only property whose type is another generated energy model).
        /// </summary>
        protected T RegisterPart<T>(string name, T part) where T : ParameterModule => RegisterPart(name, part, Dim);

        /// <summary>
        /// Registers a part over x ∈ ℝ^<paramref name="partDim"/>, a dimension other than this model's: a part that reads a block of
        /// a structured state, such as the position half u[..D] of a state u = (x, v) of dimension 2·D.
        /// </summary>
        protected T RegisterPart<T>(string name, T part, long partDim) where T : ParameterModule
        {
            if (part is null) throw new ArgumentNullException(nameof(part), ModelName + ": the part '" + name + "' is null.");
            if (part.Dim != partDim)
                throw new ArgumentException(ModelName + ": the part '" + name + "' is over x ∈ ℝ^" + part.Dim + " but this model reads it over ℝ^" + partDim + ".", nameof(part));
            register_module(name, part);
            parts.Add((name, part));
            return part;
        }

        /// <summary>The parts registered with <see cref="RegisterPart{T}(string, T)"/>, in registration order.</summary>
        public IReadOnlyList<(string Name, ParameterModule Part)> Parts => parts;

        /// <summary>The current tensor of a registered parameter (after <c>to()</c> or <c>load_state_dict</c> too); "Part.Name" reads a part's.</summary>
        protected Tensor Param(string name)
        {
            int dot = name.IndexOf('.');
            if (dot > 0) return PartNamed(name.Substring(0, dot)).Param(name.Substring(dot + 1));
            var p = get_parameter(name);
            if (p is null) throw new ArgumentException(ModelName + ": no parameter named '" + name + "'.", nameof(name));
            return p;
        }

        private ParameterModule PartNamed(string name)
        {
            foreach (var (partName, part) in parts)
                if (partName == name) return part;
            throw new ArgumentException(ModelName + ": no part named '" + name + "'.", nameof(name));
        }

        /// <summary>The first parameter of this model, else of its first part that has one; null when there is none.</summary>
        private protected Tensor? FirstParameter()
        {
            if (parameterNames.Count > 0) return Param(parameterNames[0]);
            foreach (var (_, part) in parts)
            {
                var p = part.FirstParameter();
                if (p is not null) return p;
            }
            return null;
        }

        /// <summary>Throws an <see cref="ArgumentException"/> unless x is [N, Dim], floating point, on the parameters' dtype and device.</summary>
        protected void CheckInput(Tensor x, string method, string argument = "x") => CheckInput(x, method, argument, matchDtype: true);

        /// <summary>
        /// As <see cref="CheckInput(Tensor, string, string)"/>; with <paramref name="matchDtype"/> false any floating dtype is
        /// accepted (a method that converts x itself, such as a shared-level flow computing in double).
        /// </summary>
        private protected void CheckInput(Tensor x, string method, string argument, bool matchDtype)
        {
            if (x is null) throw new ArgumentNullException(argument, ModelName + "." + method + ": argument '" + argument + "' is null.");
            if (x.dim() != 2 || x.shape[1] != Dim)
                throw new ArgumentException(ModelName + "." + method + ": argument '" + argument + "' must have shape [N, " + Dim + "] (N samples of dimension D = " + Dim + "); got " + Broadcasting.Describe(x) + ".", argument);
            if (!x.is_floating_point())
                throw new ArgumentException(ModelName + "." + method + ": argument '" + argument + "' must be floating point; got " + x.dtype + ".", argument);
            var p = FirstParameter();
            if (p is null) return;
            if (matchDtype && x.dtype != p.dtype)
                throw new ArgumentException(ModelName + "." + method + ": argument '" + argument + "' has dtype " + x.dtype + " but the model's parameters are " + p.dtype + "; convert x or call model.to(ScalarType." + x.dtype + ").", argument);
            if (x.device_type != p.device_type || x.device_index != p.device_index)
                throw new ArgumentException(ModelName + "." + method + ": argument '" + argument + "' is on " + x.device + " but the model's parameters are on " + p.device + "; move x or call model.to(device).", argument);
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
            int dot = name.IndexOf('.');
            if (dot > 0 && parts.Any(p => p.Name == name.Substring(0, dot)))
            {
                PartNamed(name.Substring(0, dot)).SetParameter(name.Substring(dot + 1), value);
                return;
            }
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
        /// re-binds those fields from <see cref="Param"/> before it runs the user's equations. Submodules (parts) are converted with
        /// their own <c>to</c>, as TorchSharp's epilogue does.
        /// </summary>
        protected override void _toEpilog(ScalarType? dtype, Device? device, bool non_blocking)
        {
            // Submodules (a generated model's parts) convert as TorchSharp's own epilogue would convert them.
            foreach (var (_, child) in named_children())
            {
                if (device is null) child.to(dtype!.Value, non_blocking);
                else if (dtype is null) child.to(device, non_blocking);
                else child.to(device, dtype.Value, non_blocking);
            }
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

        /// <summary>
        /// The registered parameter names, in declaration order, then each part's as "Part.Name" (the order of
        /// <c>named_parameters()</c>); <see cref="SetParameter"/> accepts every one of them.
        /// </summary>
        public IReadOnlyList<string> ParameterNames =>
            parts.Count == 0 ? parameterNames : parameterNames.Concat(parts.SelectMany(p => p.Part.ParameterNames.Select(n => p.Name + "." + n))).ToList();
    }
}

