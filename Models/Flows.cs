using static Dsl.Math;

namespace Dsl.Models
{
    /// <summary>
    /// The planar flow of Rezende &amp; Mohamed (2015) as it is written on the slide: f(z) = z + u·tanh(wᵀz + b). The
    /// generator recognises the rank-one update and derives log|det ∂f/∂z| = log|1 + uᵀ∇g(z)| with
    /// ∇g(z) = (1 − tanh²(wᵀz + b))·w. The layer is invertible only when wᵀu ≥ −1: every generated method checks it
    /// and names the parameter when it fails (use <see cref="InvertiblePlanarFlow"/> to train).
    /// </summary>
    [Flow]
    public partial class PlanarFlow
    {
        /// <summary>The direction u of the update.</summary>
        [Param("D")] public Vec U;

        /// <summary>The normal w of the hyperplane.</summary>
        [Param("D")] public Vec W;

        /// <summary>The offset b.</summary>
        [Param(Init = 0.0)] public Scalar B;

        [Transform] Vec F(Vec z) => z + U * Tanh(Dot(W, z) + B);

        partial void ValidateParameters(string method) => Dsl.Flows.Planar.CheckInvertible(ModelName, method, "U", Param("U"), Param("W"), Param("B"));
    }

    /// <summary>
    /// The planar flow with the invertibility constraint written into the equation (Rezende &amp; Mohamed 2015, appendix A):
    /// û = u + (m(wᵀu) − wᵀu)·w/‖w‖² with m(a) = −1 + softplus(a), so that wᵀû = m(wᵀu) &gt; −1 for every u and w.
    /// f(z) = z + û·tanh(wᵀz + b): the generator treats û as the z-free direction of the rank-one update.
    /// </summary>
    [Flow]
    public partial class InvertiblePlanarFlow
    {
        /// <summary>The unconstrained direction u (the layer uses û).</summary>
        [Param("D")] public Vec U;

        /// <summary>The normal w of the hyperplane.</summary>
        [Param("D")] public Vec W;

        /// <summary>The offset b.</summary>
        [Param(Init = 0.0)] public Scalar B;

        // û = u + (m(wᵀu) − wᵀu) w/‖w‖²,  m(a) = −1 + softplus(a)
        Vec UHat() => U + (Softplus(Dot(W, U)) - 1 - Dot(W, U)) * W / Norm2(W);

        [Transform] Vec F(Vec z) => z + UHat() * Tanh(Dot(W, z) + B);

        partial void ValidateParameters(string method) => Dsl.Flows.Planar.CheckFinite(ModelName, method, Param("U"), Param("W"), Param("B"));
    }
}
