using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Families
{
    /// <summary>
    /// An <see cref="ParameterModule"/> holding small fully connected networks whose weights are drawn from a seeded
    /// generator (so a seed fixes the whole model) and registered by name, so the <see cref="Training.Trainer"/>,
    /// checkpoints and <c>to(dtype)</c> see them.
    /// </summary>
    public abstract class NetworkModule : ParameterModule
    {
        /// <summary>Creates the module; <paramref name="dim"/> is the dimension of its data x.</summary>
        protected NetworkModule(string name, int dim) : base(name, dim) { }

        /// <summary>Registers a dense layer y = x Wᵀ + b with W: [out, in] ~ N(0, 1/in) and b = 0.</summary>
        protected void Dense(string name, int inputs, int outputs, Generator? generator)
        {
            if (inputs < 1 || outputs < 1) throw new ArgumentException(ModelName + ": layer '" + name + "' needs positive sizes; got " + inputs + " → " + outputs + ".");
            RegisterParam(name + "_W", new long[] { outputs, inputs }, double.NaN, generator);
            RegisterParam(name + "_b", new long[] { outputs }, 0.0, generator);
        }

        /// <summary>x Wᵀ + b for the dense layer <paramref name="name"/>: [N, out].</summary>
        protected Tensor Apply(string name, Tensor x) => nn.functional.linear(x, Param(name + "_W"), Param(name + "_b"));

        /// <summary>Throws unless <paramref name="t"/> is [N, <paramref name="size"/>] floating point, naming the model, method, argument and size.</summary>
        protected void CheckRows(Tensor t, long size, string symbol, string method, string argument)
        {
            if (t is null) throw new ArgumentNullException(argument, ModelName + "." + method + ": argument '" + argument + "' is null.");
            if (t.dim() != 2 || t.shape[1] != size)
                throw new ArgumentException(ModelName + "." + method + ": argument '" + argument + "' must have shape [N, " + symbol + " = " + size + "]; got " + Broadcasting.Describe(t) + ".", argument);
            if (!t.is_floating_point())
                throw new ArgumentException(ModelName + "." + method + ": argument '" + argument + "' must be floating point; got " + t.dtype + ".", argument);
        }
    }
}
