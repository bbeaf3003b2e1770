using System;

namespace Dsl
{
    /// <summary>
    /// Marks a <c>partial</c> class as one layer of a normalising flow x = f(z). The generator reads its
    /// <see cref="TransformAttribute"/> method and recognises two forms:
    /// <list type="bullet">
    /// <item>f(z) = z + u·g(z) with u free of z and g a scalar (the planar flow of Rezende &amp; Mohamed 2015): it derives
    /// log|det ∂f/∂z| = log|1 + uᵀ∇g(z)| by the matrix determinant lemma, with ∇g from the symbolic gradient, and emits
    /// <c>Forward</c>, <c>LogDetJacobian</c> and <c>ForwardAndLogDet</c>: <see cref="Flows.IFlowLayer"/>. Another form that is not
    /// a Concat is diagnostic DSL0021.</item>
    /// <item>f(z) = Concat(z[..K], z[K..] ⊙ a(z[..K]) + b(z[..K])), or the blocks swapped (the affine coupling of RealNVP, Dinh et
    /// al. 2017, with a = Exp(s)): it derives log|det ∂f/∂z| = Σ log|a| (Σ s for a = Exp(s)) from the triangular Jacobian and the
    /// inverse z_B = (y_B − b(y_A)) / a(y_A), and also emits <c>Inverse</c> and <c>InverseAndLogDet</c>:
    /// <see cref="Flows.IInvertibleFlowLayer"/>. A Concat of another form is diagnostic DSL0060.</item>
    /// </list>
    /// </summary>
    [AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
    public sealed class FlowAttribute : Attribute
    {
        /// <summary>z's dimension: a name used in the [Param] shapes (default "D"), or a size expression over them such as "2*K"
        /// (an int member named K then reads as that size in slices z[..K]).</summary>
        public string Dim { get; set; } = "D";
    }

    /// <summary>Marks the method <c>Vec F(Vec z)</c> whose body is the flow layer's transform f(z).</summary>
    [AttributeUsage(AttributeTargets.Method, Inherited = false, AllowMultiple = false)]
    public sealed class TransformAttribute : Attribute
    {
    }
}
