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

    /// <summary>
    /// The affine coupling layer of RealNVP (Dinh et al. 2017, Eqs. 4–5) over z = (z_A, z_B), z_A = z[..K], z_B = z[K..]:
    /// y_A = z_A, y_B = z_B ⊙ exp(s(z_A)) + t(z_A), with s and t read from one tanh MLP of z_A (two hidden layers of width H, shared).
    /// The generator recognises the coupling in the Concat and derives log|det ∂y/∂z| = Σ s(z_A) (the Jacobian is triangular) and the
    /// inverse z_B = (y_B − t(y_A)) ⊙ exp(−s(y_A)). s = tanh(·) bounds each log-scale to (−1, 1). The output weights start at 0, so
    /// a new layer is the identity. Stack it with <see cref="AffineCouplingSwapped"/> so that every coordinate gets transformed.
    /// </summary>
    [Flow(Dim = "2*K")]
    public partial class AffineCoupling
    {
        /// <summary>The size K of each block (set by the generated constructor).</summary>
        public int K { get; init; }

        /// <summary>First hidden layer: weights [H, K] and bias.</summary>
        [Param("H,K")] public Mat W1;
        /// <summary>First hidden layer's bias.</summary>
        [Param("H", Init = 0.0)] public Vec B1;
        /// <summary>Second hidden layer: weights [H, H].</summary>
        [Param("H,H")] public Mat W2;
        /// <summary>Second hidden layer's bias.</summary>
        [Param("H", Init = 0.0)] public Vec B2;
        /// <summary>Log-scale head s: weights [K, H] (zero at the start: the layer starts as the identity).</summary>
        [Param("K,H", Init = 0.0)] public Mat Ws;
        /// <summary>Log-scale head's bias.</summary>
        [Param("K", Init = 0.0)] public Vec Bs;
        /// <summary>Shift head t: weights [K, H].</summary>
        [Param("K,H", Init = 0.0)] public Mat Wt;
        /// <summary>Shift head's bias.</summary>
        [Param("K", Init = 0.0)] public Vec Bt;

        Vec Hidden(Vec a) => Tanh(MatVec(W2, Tanh(MatVec(W1, a) + B1)) + B2);
        Vec S(Vec a) => Tanh(MatVec(Ws, Hidden(a)) + Bs);
        Vec T(Vec a) => MatVec(Wt, Hidden(a)) + Bt;

        [Transform] Vec F(Vec z) => Concat(z[..K], z[K..] * Exp(S(z[..K])) + T(z[..K]));
    }

    /// <summary>
    /// <see cref="AffineCoupling"/> with the partition swapped: y_A = z_A = z[K..] is copied and y_B = z[..K] ⊙ exp(s(z_A)) + t(z_A) is
    /// transformed, so that alternating the two transforms every coordinate (Dinh et al. 2017, Section 3.5).
    /// </summary>
    [Flow(Dim = "2*K")]
    public partial class AffineCouplingSwapped
    {
        /// <summary>The size K of each block (set by the generated constructor).</summary>
        public int K { get; init; }

        /// <summary>First hidden layer: weights [H, K].</summary>
        [Param("H,K")] public Mat W1;
        /// <summary>First hidden layer's bias.</summary>
        [Param("H", Init = 0.0)] public Vec B1;
        /// <summary>Second hidden layer: weights [H, H].</summary>
        [Param("H,H")] public Mat W2;
        /// <summary>Second hidden layer's bias.</summary>
        [Param("H", Init = 0.0)] public Vec B2;
        /// <summary>Log-scale head s: weights [K, H] (zero at the start).</summary>
        [Param("K,H", Init = 0.0)] public Mat Ws;
        /// <summary>Log-scale head's bias.</summary>
        [Param("K", Init = 0.0)] public Vec Bs;
        /// <summary>Shift head t: weights [K, H].</summary>
        [Param("K,H", Init = 0.0)] public Mat Wt;
        /// <summary>Shift head's bias.</summary>
        [Param("K", Init = 0.0)] public Vec Bt;

        Vec Hidden(Vec a) => Tanh(MatVec(W2, Tanh(MatVec(W1, a) + B1)) + B2);
        Vec S(Vec a) => Tanh(MatVec(Ws, Hidden(a)) + Bs);
        Vec T(Vec a) => MatVec(Wt, Hidden(a)) + Bt;

        [Transform] Vec F(Vec z) => Concat(z[..K] * Exp(S(z[K..])) + T(z[K..]), z[K..]);
    }

    /// <summary>
    /// A general linear change of variables y = (I + W) z + b (on a Vec, the dense counterpart of Glow's invertible 1×1 convolution, Kingma &amp;
    /// Dhariwal 2018, Section 3.2, with a dense matrix). The generator recognises y = A z + b with A = I + W and derives
    /// log|det ∂y/∂z| = log|det A| (one slogdet, the same for every sample) and the inverse z = A⁻¹(y − b) by a linear solve. W and b start
    /// at 0, so a new layer is the identity; A must stay non-singular (its log-determinant goes to −∞ as it approaches a singular matrix).
    /// </summary>
    [Flow]
    public partial class LinearFlow
    {
        /// <summary>The deviation W of the matrix A = I + W from the identity (zero at the start).</summary>
        [Param("D,D", Init = 0.0)] public Mat W;

        /// <summary>The shift b.</summary>
        [Param("D", Init = 0.0)] public Vec B;

        [Transform] Vec F(Vec z) => z + W * z + B;
    }
}
