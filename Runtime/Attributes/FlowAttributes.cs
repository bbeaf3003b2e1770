using System;

namespace Dsl
{
    /// <summary>
    /// Marks a <c>partial</c> class as one layer of a normalising flow x = f(z). The generator reads its
    /// <see cref="TransformAttribute"/> method; when f(z) = z + u·g(z) with u free of z and g a scalar (the planar flow of
    /// Rezende &amp; Mohamed 2015), it derives log|det ∂f/∂z| = log|1 + uᵀ∇g(z)| by the matrix determinant lemma, with ∇g
    /// from the symbolic gradient, and emits <c>Forward</c>, <c>LogDetJacobian</c> and <c>ForwardAndLogDet</c>:
    /// <see cref="Flows.IFlowLayer"/>. Any other form is diagnostic DSL0021.
    /// </summary>
    [AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
    public sealed class FlowAttribute : Attribute
    {
        /// <summary>The name of z's dimension in the [Param] shapes (default "D").</summary>
        public string Dim { get; set; } = "D";
    }

    /// <summary>Marks the method <c>Vec F(Vec z)</c> whose body is the flow layer's transform f(z).</summary>
    [AttributeUsage(AttributeTargets.Method, Inherited = false, AllowMultiple = false)]
    public sealed class TransformAttribute : Attribute
    {
    }
}
