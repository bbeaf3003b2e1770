using static Dsl.Math;

namespace Dsl.Models
{
    /// <summary>
    /// Underdamped (kinetic) Langevin dynamics with a target part: a position x and a velocity v of dimension D each, in one state
    /// u = (x, v) of dimension 2·D, with
    ///   dx = v dt,   dv = −∇E(x) dt − γ v dt + √(2γ) dw.
    /// Its stationary law is p(x, v) ∝ exp(−E(x) − ½‖v‖²), so after burn-in x is distributed as the target p(x) ∝ exp(−E(x)) of the
    /// part (here a Gaussian mixture), whatever the friction γ &gt; 0. The drift reads the part's energy gradient through Grad: the
    /// generator differentiates the mixture's energy symbolically and substitutes x = u[..D], so the generated drift has no autograd.
    /// The drift is not linear in u, so there is no Gaussian kernel (DSL0040, suppressed here on purpose: this SDE is simulated, not
    /// used for denoising score matching).
    /// </summary>
#pragma warning disable DSL0040 // no Gaussian kernel: the drift reads −∇E(x); the SDE is simulated by Euler–Maruyama
    [Sde(Dim = "2*D", EndTime = 100.0)]
    public partial class KineticLangevin
    {
        /// <summary>The dimension D of the position x (the state u = (x, v) has 2·D entries); set by the generated constructor.</summary>
        public int D { get; init; }

        /// <summary>The target p(x) ∝ exp(−E(x)): a Gaussian mixture whose energy's gradient drives the velocity.</summary>
        public readonly GaussianMixture Target;

        /// <summary>The friction γ &gt; 0 (default 1).</summary>
        public double Friction { get; init; } = 1.0;

        /// <summary>f(u) = (v, −∇E(x) − γv) with x = u[..D], v = u[D..].</summary>
        [Drift] Vec F(Vec u, Scalar t) => Concat(u[D..], -Grad(Target.E, u[..D]) - Friction * u[D..]);

        /// <summary>G = diag(0, …, 0, √(2γ), …, √(2γ)): noise on the velocity only.</summary>
        [Diffusion] Vec G(Scalar t) => Concat(Zeros(D), Sqrt(2 * Friction) * Ones(D));
    }
#pragma warning restore DSL0040
}
