using System;

namespace Dsl
{
    /// <summary>
    /// Marks a <c>partial</c> class that declares two log-densities over a latent Vec z: the variational density
    /// (<see cref="LogQAttribute"/>) and the prior (<see cref="LogPAttribute"/>), written as the slide writes log N. The generator
    /// derives q's mean and variance from log q (quadratic in z with a diagonal Hessian: ∇log q = a ⊙ z + b gives m = −b/a,
    /// v = −1/a) and KL(q‖p) = E_q[log q − log p] in closed form, f(m) + ½ Σᵢ ∂²f/∂zᵢ² vᵢ for f = log q − log p of degree ≤ 2
    /// in z; it emits <c>QLogDensity</c>, <c>PLogDensity</c>, <c>QMean</c>, <c>QVariance</c>, <c>Reparameterise</c> and <c>Kl</c>.
    /// Any other form is diagnostic DSL0022.
    /// </summary>
    [AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
    public sealed class KlDivergenceAttribute : Attribute
    {
        /// <summary>The name of z's dimension in the [Param] shapes (default "D").</summary>
        public string Dim { get; set; } = "D";
    }

    /// <summary>Marks <c>Scalar LogQ(Vec z, Vec mu, …)</c>: log q(z | arguments), the density the expectation is taken under.</summary>
    [AttributeUsage(AttributeTargets.Method, Inherited = false, AllowMultiple = false)]
    public sealed class LogQAttribute : Attribute
    {
    }

    /// <summary>Marks <c>Scalar LogP(Vec z, …)</c>: log p(z | arguments), the second density of KL(q‖p).</summary>
    [AttributeUsage(AttributeTargets.Method, Inherited = false, AllowMultiple = false)]
    public sealed class LogPAttribute : Attribute
    {
    }
}
