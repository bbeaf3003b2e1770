using static Dsl.Math;

namespace Dsl.Models
{
    /// <summary>
    /// The likelihood of an observation y = A x + ε, ε ~ N(0, s²I), as an energy in x: E(x) = ‖y − A x‖² / (2s²)
    /// (−log p(y | x) up to a constant). The observation y is a parameter here, set with SetParameter("Y", …).
    /// </summary>
    [EnergyModel]
    public partial class LinearGaussianLikelihood
    {
        /// <summary>The observation operator A.</summary>
        [Param("M,D")] public Mat A;

        /// <summary>The observation y.</summary>
        [Param("M", Init = 0.0)] public Vec Y;

        /// <summary>The observation noise s.</summary>
        [Param(Init = 1.0)] public Scalar Noise;

        [Energy] internal Scalar E(Vec x) => Norm2(Y - A * x) / (2 * Noise * Noise);
    }

    /// <summary>
    /// Composition: a Bayesian posterior p(x | y) ∝ p(x) p(y | x) written from two parts,
    /// E(x) = E_prior(x) + E_likelihood(x) with a Gaussian prior N(μ, σ²I) and the linear-Gaussian likelihood of y.
    /// Its score is the posterior's, −P(x − m) with P = I/σ² + AᵀA/s², m = P⁻¹(μ/σ² + Aᵀy/s²).
    /// </summary>
    [EnergyModel]
    public partial class GaussianPosterior
    {
        /// <summary>The prior N(μ, σ²I).</summary>
        public readonly IsotropicGaussian Prior;

        /// <summary>The likelihood of the observation y given x.</summary>
        public readonly LinearGaussianLikelihood Likelihood;

        [Energy] Scalar E(Vec x) => Prior.E(x) + Likelihood.E(x);
    }

    /// <summary>
    /// Composition: a product of two gallery experts, p(x) ∝ p_mixture(x) · p_PoT(x), E(x) = E_mixture(x) + E_PoT(x): the
    /// heavy-tailed Student-t filters reshape a Gaussian mixture. Its score is the sum of the parts' scores.
    /// </summary>
    [EnergyModel]
    public partial class MixtureTimesStudentT
    {
        /// <summary>The Gaussian mixture expert.</summary>
        public readonly GaussianMixture Mixture;

        /// <summary>The product-of-Student-t expert.</summary>
        public readonly ProductOfStudentT Experts;

        [Energy] Scalar E(Vec x) => Mixture.E(x) + Experts.E(x);
    }
}
