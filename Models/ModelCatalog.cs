using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.GeneratedCode;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models
{
    /// <summary>One model of the gallery: its generated metadata and a factory with representative parameters.</summary>
    /// <param name="Name">The command-line name (the class name).</param>
    /// <param name="Info">What the generator produced.</param>
    /// <param name="Create">Builds the model with fixed sizes and parameters drawn from the seed.</param>
    public sealed record CatalogEntry(string Name, ModelInfo Info, Func<long, ParameterModule> Create);

    /// <summary>Every energy model of Models/, with sizes and parameter values that make a sensible density.</summary>
    public static class ModelCatalog
    {
        /// <summary>All entries, in lecture order.</summary>
        public static IReadOnlyList<CatalogEntry> All { get; } = new[]
        {
            new CatalogEntry("IsotropicGaussian", IsotropicGaussian.Info, seed =>
            {
                var m = new IsotropicGaussian(D: 2, generator: Seeded(seed));
                m.SetParameter("Mu", tensor(new[] { 1.0f, -0.5f }));
                m.SetParameter("Sigma", tensor(0.8f));
                return m;
            }),
            new CatalogEntry("FullCovarianceGaussian", FullCovarianceGaussian.Info, seed =>
            {
                var m = new FullCovarianceGaussian(D: 2, generator: Seeded(seed));
                m.SetParameter("Mu", tensor(new[] { 0.5f, 0.0f }));
                m.SetParameter("P", tensor(new[] { 2.0f, 0.9f, 0.9f, 1.0f }).reshape(2, 2));
                return m;
            }),
            new CatalogEntry("Exponential", Exponential.Info, seed =>
            {
                var m = new Exponential(D: 3, generator: Seeded(seed));
                m.SetParameter("Lambda", tensor(new[] { 0.5f, 1.0f, 2.0f }));
                return m;
            }),
            new CatalogEntry("GaussianMixture", GaussianMixture.Info, seed =>
            {
                var m = new GaussianMixture(D: 2, K: 2, generator: Seeded(seed));
                m.SetParameter("Mu", tensor(new[] { -2.0f, 0.0f, 2.0f, 0.0f }).reshape(2, 2));
                m.SetParameter("Sigma", tensor(0.7f));
                return m;
            }),
            new CatalogEntry("ProductOfStudentT", ProductOfStudentT.Info, seed => new ProductOfStudentT(D: 2, K: 4, generator: Seeded(seed))),
            new CatalogEntry("MlpEnergy", MlpEnergy.Info, seed => new MlpEnergy(D: 32, H: 64, generator: Seeded(seed))),
            new CatalogEntry("GaussianPosterior", GaussianPosterior.Info, seed =>
            {
                // Composition: a Gaussian prior part times the likelihood of y = A x + ε (three observations of x ∈ ℝ²).
                var m = new GaussianPosterior(D: 2, Likelihood_M: 3, generator: Seeded(seed));
                m.SetParameter("Prior.Mu", tensor(new[] { 0.5f, -0.5f }));
                m.SetParameter("Prior.Sigma", tensor(1.5f));
                m.SetParameter("Likelihood.A", tensor(new[] { 1.0f, 0.0f, 0.0f, 1.0f, 1.0f, 1.0f }).reshape(3, 2));
                m.SetParameter("Likelihood.Y", tensor(new[] { 1.0f, 0.2f, 1.5f }));
                m.SetParameter("Likelihood.Noise", tensor(0.7f));
                return m;
            }),
            new CatalogEntry("MixtureTimesStudentT", MixtureTimesStudentT.Info, seed =>
            {
                // Composition: the product of the gallery's two-mode mixture and a product of Student-t experts.
                var m = new MixtureTimesStudentT(D: 2, Mixture_K: 2, Experts_K: 4, generator: Seeded(seed));
                m.SetParameter("Mixture.Mu", tensor(new[] { -2.0f, 0.0f, 2.0f, 0.0f }).reshape(2, 2));
                m.SetParameter("Mixture.Sigma", tensor(0.7f));
                m.SetParameter("Experts.Alpha", tensor(new[] { 0.5f, 0.5f, 0.5f, 0.5f }));
                return m;
            }),
        };

        /// <summary>The noise-conditional models (E(x, σ)): listed by `dsl models`, sampled by annealed Langevin.</summary>
        public static IReadOnlyList<(string Name, ModelInfo Info)> NoiseConditional { get; } = new[]
        {
            ("PerturbedGaussianMixture", PerturbedGaussianMixture.Info),
            ("NoiseConditionalMlpEnergy", NoiseConditionalMlpEnergy.Info),
        };

        /// <summary>The models with [Time]/[Condition] inputs (E(x, t | y), issue 19): listed by `dsl models`.</summary>
        public static IReadOnlyList<(string Name, ModelInfo Info)> Conditioned { get; } = new[]
        {
            ("TimeMlpEnergy", TimeMlpEnergy.Info),
            ("EquationClassifier", EquationClassifier.Info),
            ("ConditionalGaussian", ConditionalGaussian.Info),
            ("ClassConditionalGaussian", ClassConditionalGaussian.Info),
        };

        /// <summary>
        /// Models of docs/beyond-the-lectures.md that the catalog-wide numeric tests do not draw random inputs for (x on the
        /// positive half-line or the simplex, or of size 2·D, or piecewise with [Subgradient] joins, or a covariance matrix that must be
        /// symmetric positive definite and that no fused kernel covers): listed by <c>dsl models</c>; their own tests check them.
        /// </summary>
        public static IReadOnlyList<(string Name, ModelInfo Info)> Beyond { get; } = new[]
        {
            ("PhaseSpaceGaussian", PhaseSpaceGaussian.Info),
            ("TiltedGaussian", TiltedGaussian.Info),
            ("GammaDensity", GammaDensity.Info),
            ("DirichletDensity", DirichletDensity.Info),
            ("HuberLocation", HuberLocation.Info),
            ("SoftBoxGaussian", SoftBoxGaussian.Info),
            ("CovarianceGaussian", CovarianceGaussian.Info),
        };

        /// <summary>
        /// The [Sde] classes, with their generated Info (dx = f dt + G dw as written, sizes, parameters, generated members, kernel):
        /// the lectures' VE, VP, sub-VP, cosine-VP, Brownian and Ornstein–Uhlenbeck SDEs, the general linear SDEs and the kinetic-
        /// Langevin SDE with a mixture part (`dsl sde-sample`, `dsl linear-sde`, `dsl kinetic-langevin`).
        /// </summary>
        public static IReadOnlyList<(string Name, ModelInfo Info)> Sdes { get; } = new[]
        {
            ("VeSde", VeSde.Info),
            ("VpSde", VpSde.Info),
            ("SubVpSde", SubVpSde.Info),
            ("CosineVpSde", CosineVpSde.Info),
            ("BrownianMotion", BrownianMotion.Info),
            ("OrnsteinUhlenbeck", OrnsteinUhlenbeck.Info),
            ("RotatingOrnsteinUhlenbeck", RotatingOrnsteinUhlenbeck.Info),
            ("DiagonalVpSde", DiagonalVpSde.Info),
            ("MatrixVpSde", MatrixVpSde.Info),
            ("KineticLangevin", KineticLangevin.Info),
        };

        /// <summary>
        /// The other generative families of the lectures (issue 10): flow layers and KL divergences written as equations with their
        /// generated members, and the VAE, GAN and CNF built on them (`dsl planar-flow`, `vae`, `gan`, `cnf`).
        /// </summary>
        public static IReadOnlyList<(string Name, ModelInfo Info)> Families { get; } = new[]
        {
            ("PlanarFlow", new ModelInfo("PlanarFlow", "f(z) = " + PlanarFlow.Equation, new[] { "D" }, new[] { "U: [D]", "W: [D]", "B" },
                new[] { "Forward", "LogDetJacobian", "ForwardAndLogDet", "ForwardAndLogDetNoGrad" },
                new[] { "log|det ∂f/∂z| = log|1 + uᵀ∇g(z)| by the matrix determinant lemma; refuses wᵀu < −1 (dsl planar-flow)" })),
            ("InvertiblePlanarFlow", new ModelInfo("InvertiblePlanarFlow", "f(z) = " + InvertiblePlanarFlow.Equation, new[] { "D" }, new[] { "U: [D]", "W: [D]", "B" },
                new[] { "Forward", "LogDetJacobian", "ForwardAndLogDet", "ForwardAndLogDetNoGrad" },
                new[] { "û = u + (m(wᵀu) − wᵀu)w/‖w‖² keeps wᵀû > −1" })),
            ("AffineCoupling", new ModelInfo("AffineCoupling", "f(z) = " + AffineCoupling.Equation, new[] { "K", "H" }, new[] { "W1: [H, K]", "B1: [H]", "W2: [H, H]", "B2: [H]", "Ws: [K, H]", "Bs: [K]", "Wt: [K, H]", "Bt: [K]" },
                new[] { "Forward", "LogDetJacobian", "ForwardAndLogDet", "ForwardAndLogDetNoGrad", "Inverse", "InverseAndLogDet" },
                new[] { "affine coupling (RealNVP): log|det ∂f/∂z| = Σ s(z_A), inverse (y_B − t(y_A)) ⊙ exp(−s(y_A)) (dsl flow)" })),
            ("AffineCouplingSwapped", new ModelInfo("AffineCouplingSwapped", "f(z) = " + AffineCouplingSwapped.Equation, new[] { "K", "H" }, new[] { "W1: [H, K]", "B1: [H]", "W2: [H, H]", "B2: [H]", "Ws: [K, H]", "Bs: [K]", "Wt: [K, H]", "Bt: [K]" },
                new[] { "Forward", "LogDetJacobian", "ForwardAndLogDet", "ForwardAndLogDetNoGrad", "Inverse", "InverseAndLogDet" },
                new[] { "the coupling with the partition swapped: copies z[K..], transforms z[..K]" })),
            ("LinearFlow", new ModelInfo("LinearFlow", "f(z) = " + LinearFlow.Equation, new[] { "D" }, new[] { "W: [D, D]", "B: [D]" },
                new[] { "Forward", "LogDetJacobian", "ForwardAndLogDet", "ForwardAndLogDetNoGrad", "Inverse", "InverseAndLogDet" },
                new[] { "linear change of variables y = A z + b, A = I + W: log|det ∂f/∂z| = log|det A|, inverse Solve(A, y − b) (dsl flow --layers realnvp-linear)" })),
            ("GaussianEncoderKl", new ModelInfo("GaussianEncoderKl", "log q = " + GaussianEncoderKl.LogQEquation + ";  log p = " + GaussianEncoderKl.LogPEquation,
                new[] { "L" }, Array.Empty<string>(), new[] { "Kl", "QMean", "QVariance", "Reparameterise", "QLogDensity", "PLogDensity" },
                new[] { "KL(q‖p) = f(m) + ½Σ f''ᵢ vᵢ, f = log q − log p; the VAE's ELBO uses it (dsl vae)" })),
            ("GaussianPairKl", new ModelInfo("GaussianPairKl", "log q = " + GaussianPairKl.LogQEquation + ";  log p = " + GaussianPairKl.LogPEquation,
                new[] { "D" }, Array.Empty<string>(), new[] { "Kl", "QMean", "QVariance", "Reparameterise", "QLogDensity", "PLogDensity" },
                new[] { "KL between two diagonal Gaussians" })),
            ("Vae", new ModelInfo("Vae", "L(x) = E_q[log p_θ(x|z)] − KL(q_φ(z|x) ‖ p(z)),  z = μ + σ ⊙ ε", new[] { "D", "L", "H" },
                new[] { "enc, enc_mu, enc_logvar, dec, dec_out (tanh MLPs)" }, new[] { "KL, reparameterisation, log q and log p from GaussianEncoderKl" },
                new[] { "Bernoulli or Gaussian decoder; IWAE_K for evaluation (dsl vae)",
                    "classes K ≥ 2: conditional VAE, one-hot y joined to encoder and decoder inputs, L(x, y) = E_q[log p_θ(x|z, y)] − KL(q_φ(z|x, y) ‖ N(0, I)) (dsl vae --conditional)" })),
            ("Gan", new ModelInfo("Gan", "min_G max_D E_data[log D(x)] + E_z[log(1 − D(G(z)))]", new[] { "D" }, new[] { "generator and discriminator MLPs" },
                Array.Empty<string>(), new[] { "minimax or non-saturating generator loss; D* = p_data/(p_data + p_g) (dsl gan)" })),
            ("ContinuousFlow", new ModelInfo("ContinuousFlow", "log p(x) = log N(z(T)) + ∫₀ᵀ ∇·f(z(t), t) dt", new[] { "D", "H" }, new[] { "tanh MLP field of [z, t]" },
                Array.Empty<string>(), new[] { "augmented ODE with the exact or Hutchinson divergence (dsl cnf)" })),
        };

        /// <summary>The entry named <paramref name="name"/> (case-insensitive), or null.</summary>
        public static CatalogEntry? Find(string name) =>
            All.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase));

        private static Generator Seeded(long seed) => new Generator((ulong)seed);
    }
}
