using System;

namespace Dsl
{
    /// <summary>
    /// Marks a <c>partial</c> class as a stochastic differential equation dx = f(x, t) dt + g(t) dw on t ∈ [0, T].
    /// The generator reads its <see cref="DriftAttribute"/> and <see cref="DiffusionAttribute"/> methods and emits the
    /// batched drift and diffusion, the perturbation kernel p₀ₜ(xₜ|x₀) = N(m(t)x₀, v(t)I) when the drift is a(t)·x
    /// (in closed form, or tabulated by quadrature), the prior, reverse-time and probability-flow drifts: <see cref="Sde.ISde"/>.
    /// A class with [Param] fields, a Vec or Mat diffusion or a diffusion G(x, t) is a general SDE (<see cref="Sde.IGeneralSde"/>):
    /// a linear drift F(t)x gets the kernel N(Φ(t)x₀, Σ(t)) and the reverse-time drifts use G(t)G(t)ᵀ.
    /// </summary>
    [AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
    public sealed class SdeAttribute : Attribute
    {
        /// <summary>The end time T (default 1).</summary>
        public double EndTime { get; set; } = 1.0;

        /// <summary>
        /// The state's dimension: a name ("D", the default) or a size expression over the SDE's sizes, such as "2*D" for a
        /// position–velocity state u = (x, v) with x of dimension D. An int member named like a size (<c>public int D { get; init; }</c>)
        /// is set by the generated constructor and may be read in slices: <c>u[..D]</c>, <c>u[D..]</c>.
        /// </summary>
        public string Dim { get; set; } = "D";
    }

    /// <summary>Marks the method <c>Vec F(Vec x, Scalar t)</c> whose body is the drift f(x, t).</summary>
    [AttributeUsage(AttributeTargets.Method, Inherited = false, AllowMultiple = false)]
    public sealed class DriftAttribute : Attribute
    {
    }

    /// <summary>
    /// Marks the diffusion method: <c>Scalar G(Scalar t)</c> (G = g(t)I), <c>Vec G(Scalar t)</c> (G = diag g(t)), <c>Mat G(Scalar t)</c>
    /// (a D×D matrix), or any of them with <c>(Vec x, Scalar t)</c> for a diffusion that depends on the state (no Gaussian kernel, DSL0040).
    /// </summary>
    [AttributeUsage(AttributeTargets.Method, Inherited = false, AllowMultiple = false)]
    public sealed class DiffusionAttribute : Attribute
    {
    }
}
