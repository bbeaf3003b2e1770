using System;

namespace Dsl
{
    /// <summary>
    /// Marks a <c>partial</c> class as an energy-based model p(x) = exp(−E(x))/Z. The Dsl generator reads its
    /// <see cref="EnergyAttribute"/> method and emits the energy, the analytic score s(x) = −∇ₓE(x), the exact
    /// score divergence where it is affordable, and the interfaces of <see cref="IEnergyScoreModel"/>.
    /// </summary>
    [AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
    public sealed class EnergyModelAttribute : Attribute
    {
        /// <summary>The symbol naming the dimension of x in parameter shapes (default "D").</summary>
        public string Dim { get; set; } = "D";

        /// <summary>The symbol naming the dimension of the [Hidden] units of a bipartite energy (default "H").</summary>
        public string HiddenDim { get; set; } = "H";

        /// <summary>
        /// Which code the inference methods (<c>EnergyNoGrad</c>, <c>ScoreNoGrad</c>, …) run: <see cref="KernelPath.Auto"/> (default) lets
        /// the generator fuse each expression it can into one C# loop over the samples and dispatch to it at run time when the input
        /// allows, and to its TorchScript function when the input is on CUDA; <see cref="KernelPath.TorchOps"/> emits torch ops only;
        /// <see cref="KernelPath.Fused"/> requires the fused kernel (DSL0018 where an expression cannot be fused) and drops the size
        /// heuristic; <see cref="KernelPath.TorchScript"/> requires the TorchScript functions (DSL0019) and makes them the model's path on
        /// every device.
        /// </summary>
        public KernelPath Kernels { get; set; } = KernelPath.Auto;
    }

    /// <summary>Which generated code path an inference method takes (see <see cref="EnergyModelAttribute.Kernels"/>).</summary>
    public enum KernelPath
    {
        /// <summary>Fused where the generator can fuse the expression and the input is a contiguous float32/float64 CPU tensor; torch ops otherwise.</summary>
        Auto = 0,
        /// <summary>Always the torch-op path (CPU or GPU, one libtorch kernel per operation).</summary>
        TorchOps = 1,
        /// <summary>The fused C# loop whenever the input is on the CPU (non-contiguous inputs are copied first); torch ops on other devices.</summary>
        Fused = 2,
        /// <summary>
        /// The generated TorchScript functions (<c>TorchScriptSource</c>, compiled once per model type with <c>torch.jit.compile</c>) on
        /// every device: fused by libtorch on CUDA, unfused op by op on the CPU. <see cref="Auto"/> already takes them for CUDA inputs.
        /// </summary>
        TorchScript = 3,
    }

    /// <summary>Marks the method <c>Scalar E(Vec x)</c> whose body is the energy equation.</summary>
    [AttributeUsage(AttributeTargets.Method, Inherited = false, AllowMultiple = false)]
    public sealed class EnergyAttribute : Attribute
    {
    }

    /// <summary>
    /// Marks the second argument of the energy, <c>Scalar E(Vec x, [NoiseLevel] Scalar sigma)</c>, as a
    /// per-sample noise level: the model is noise-conditional (NCSN, Song &amp; Ermon 2019) and the generator emits
    /// <c>Energy(x, sigma)</c>, <c>Score(x, sigma)</c> with σ: [N], differentiating in x only.
    /// </summary>
    [AttributeUsage(AttributeTargets.Parameter, Inherited = false, AllowMultiple = false)]
    public sealed class NoiseLevelAttribute : Attribute
    {
    }

    /// <summary>
    /// Marks the second argument of a bipartite energy <c>Scalar E(Bits v, [Hidden] Bits h)</c> (or Spins; a real
    /// <c>Vec v</c> for a Gaussian visible block): the generator derives the local fields, the factorised conditionals
    /// p(hⱼ = 1 | v) = σ(−∂E/∂hⱼ) (σ(−2∂E/∂hⱼ) for spins), p(v | h), and the free energy F(v) = E(v, 0) − Σⱼ softplus(−∂E/∂hⱼ)
    /// (− Σⱼ log 2cosh(∂E/∂hⱼ) for spins) with h summed out.
    /// </summary>
    [AttributeUsage(AttributeTargets.Parameter, Inherited = false, AllowMultiple = false)]
    public sealed class HiddenAttribute : Attribute
    {
    }

    /// <summary>
    /// Optionally marks the first argument of a bipartite energy as the visible units, <c>Scalar E([Visible] Bits v, [Hidden] Bits h)</c>.
    /// The first argument is the visible block whether or not it carries the attribute; it is there so equations can say so.
    /// </summary>
    [AttributeUsage(AttributeTargets.Parameter, Inherited = false, AllowMultiple = false)]
    public sealed class VisibleAttribute : Attribute
    {
    }

    /// <summary>
    /// Opts an energy model in to subgradients: its score (and divergence) may go through the kinked functions Abs and Relu,
    /// differentiated by the subgradient libtorch's autograd uses (abs′(u) = sign u, relu′(u) = 1 for u &gt; 0 and 0 for u ≤ 0: 0 at
    /// the kink in both) and with second derivative 0. Without it a score through them is refused (DSL0008); with it the generator
    /// reports each place it used a subgradient (DSL0030, info). Max, Min and Where whose comparison reads x opt in the same way:
    /// the derivative is the selected branch's (a tie takes the branch the comparison selects: Max's and Min's second argument).
    /// Sign, Floor and Round stay refused: their derivative is 0 almost everywhere, so no score is useful.
    /// </summary>
    [AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
    public sealed class SubgradientAttribute : Attribute
    {
    }

    /// <summary>
    /// Marks a parameterless method <c>Scalar LogZ()</c> returning the log-partition function log Z in closed
    /// form; the generator then emits <c>LogProb(x) = −E(x) − log Z</c>.
    /// </summary>
    [AttributeUsage(AttributeTargets.Method, Inherited = false, AllowMultiple = false)]
    public sealed class LogPartitionAttribute : Attribute
    {
    }

    /// <summary>
    /// Marks a field of type <see cref="Scalar"/>, <see cref="Vec"/> or <see cref="Mat"/> as a trainable
    /// parameter with a symbolic shape such as <c>"K,D"</c>. The generated constructor takes one size per
    /// symbol and registers the parameter with TorchSharp.
    /// </summary>
    [AttributeUsage(AttributeTargets.Field, Inherited = false, AllowMultiple = false)]
    public sealed class ParamAttribute : Attribute
    {
        /// <summary>Creates the attribute with a shape: "" for a Scalar, "K" for a Vec, "K,D" for a Mat.</summary>
        public ParamAttribute(string shape = "") { Shape = shape; }

        /// <summary>Comma-separated dimension symbols; their count must match the field type's rank.</summary>
        public string Shape { get; set; }

        /// <summary>
        /// Initial value of every entry. Unset (NaN): normal with standard deviation 1/√(last dimension)
        /// (1 for a Scalar), drawn from the generator given to the constructor.
        /// </summary>
        public double Init { get; set; } = double.NaN;
    }
}
