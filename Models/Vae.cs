using System;
using Dsl.Families;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models
{
    /// <summary>The decoder's observation model p_θ(x | z).</summary>
    public enum VaeLikelihood
    {
        /// <summary>Bernoulli(σ(logits)) per pixel, for binary data.</summary>
        Bernoulli,
        /// <summary>N(μ_θ(z), σ²I) with one learned σ, for real data.</summary>
        Gaussian,
    }

    /// <summary>
    /// A variational autoencoder (Kingma &amp; Welling 2014): Gaussian encoder q_φ(z|x) = N(μ_φ(x), diag σ²_φ(x)), prior
    /// p(z) = N(0, I), decoder p_θ(x|z) Bernoulli or Gaussian, each a one-hidden-layer tanh network. Trained by maximising
    /// the ELBO  L(x) = E_q[log p_θ(x|z)] − KL(q_φ(z|x) ‖ p(z))  with the reparameterisation z = μ + σ ⊙ ε, ε ~ N(0, I); the KL,
    /// the reparameterisation and both log-densities are generated from <see cref="GaussianEncoderKl"/>;
    /// evaluated by the importance-weighted bound of Burda et al. (2016), L_K = E[log (1/K) Σₖ p(x, zₖ)/q(zₖ|x)], which
    /// is ≥ L and increases with K towards log p(x).
    /// </summary>
    public sealed class Vae : NetworkModule
    {
        /// <summary>Creates the model for data of dimension <paramref name="dataDim"/> (D) and latents of <paramref name="latentDim"/> (L).</summary>
        public Vae(int dataDim, int latentDim, int hidden, VaeLikelihood likelihood = VaeLikelihood.Bernoulli, Generator? generator = null)
            : base("Vae", CheckSize("Vae", "D", dataDim))
        {
            LatentDim = CheckSize("Vae", "L", latentDim);
            Divergence = new GaussianEncoderKl(latentDim);
            Hidden = CheckSize("Vae", "H", hidden);
            Likelihood = likelihood;
            Dense("enc", dataDim, hidden, generator);
            Dense("enc_mu", hidden, latentDim, generator);
            Dense("enc_logvar", hidden, latentDim, generator);
            Dense("dec", latentDim, hidden, generator);
            Dense("dec_out", hidden, dataDim, generator);
            if (likelihood == VaeLikelihood.Gaussian) RegisterParam("dec_logstd", Array.Empty<long>(), System.Math.Log(0.3), generator);
        }

        /// <summary>L, the latent dimension.</summary>
        public int LatentDim { get; }

        /// <summary>The generated KL(q_φ(z|x) ‖ p(z)), reparameterisation and log-densities over z: [N, L].</summary>
        public GaussianEncoderKl Divergence { get; }

        /// <summary>H, the hidden width of encoder and decoder.</summary>
        public int Hidden { get; }

        /// <summary>The decoder's observation model.</summary>
        public VaeLikelihood Likelihood { get; }

        /// <summary>The encoder q_φ(z|x): (μ, log σ²), each [N, L].</summary>
        public (Tensor Mu, Tensor LogVar) Encode(Tensor x)
        {
            CheckInput(x, "Encode");
            using var scope = NewDisposeScope();
            var h = Apply("enc", x).tanh();
            return (Apply("enc_mu", h).MoveToOuterDisposeScope(), Apply("enc_logvar", h).Clamp(-12, 8).MoveToOuterDisposeScope());
        }

        /// <summary>The decoder's output for z: [N, L]: Bernoulli logits or Gaussian means, [N, D].</summary>
        public Tensor Decode(Tensor z)
        {
            CheckRows(z, LatentDim, "L", "Decode", "z");
            using var scope = NewDisposeScope();
            return Apply("dec_out", Apply("dec", z).tanh()).MoveToOuterDisposeScope();
        }

        /// <summary>
        /// S reparameterised draws z = μ + σ ⊙ ε per row (the generated <see cref="GaussianEncoderKl.Reparameterise"/>), differentiable in
        /// μ and log σ²: [S, N, L] for μ, log σ², ε: [N, L], [N, L], [S, N, L].
        /// </summary>
        private Tensor Reparameterise(Tensor mu, Tensor logVar, Tensor epsilon)
        {
            using var scope = NewDisposeScope();
            long s = epsilon.shape[0], n = mu.shape[0];
            var z = Divergence.Reparameterise(epsilon.reshape(s * n, LatentDim), Tile(mu, s), Tile(logVar, s));
            return z.reshape(s, n, LatentDim).MoveToOuterDisposeScope();
        }

        /// <summary>[N, L] repeated S times along the rows: [S·N, L] (matching a flattened [S, N, L]).</summary>
        private Tensor Tile(Tensor t, long s) => t.unsqueeze(0).expand(s, t.shape[0], LatentDim).reshape(s * t.shape[0], LatentDim);

        /// <summary>log p_θ(x|z) summed over the D pixels; x: [..., D], decoded: [..., D] → [...].</summary>
        private Tensor ObservationLogLikelihood(Tensor x, Tensor decoded)
        {
            using var scope = NewDisposeScope();
            Tensor ll;
            if (Likelihood == VaeLikelihood.Bernoulli)
                ll = -nn.functional.binary_cross_entropy_with_logits(decoded, x.expand_as(decoded), reduction: nn.Reduction.None);   // x log σ(l) + (1−x) log σ(−l)
            else
            {
                var logStd = Param("dec_logstd");
                ll = (((x - decoded) / logStd.exp()).Square().Mul(-0.5) - logStd).Sub(0.5 * System.Math.Log(2 * System.Math.PI));
            }
            return ll.sum(new long[] { -1 }).MoveToOuterDisposeScope();
        }

        /// <summary>log p_θ(x|z): [N] for x: [N, D], z: [N, L].</summary>
        public Tensor LogLikelihood(Tensor x, Tensor z)
        {
            CheckInput(x, "LogLikelihood");
            CheckRows(z, LatentDim, "L", "LogLikelihood", "z");
            if (z.shape[0] != x.shape[0])
                throw new ArgumentException("Vae.LogLikelihood: x has " + x.shape[0] + " rows but z has " + z.shape[0] + ".", nameof(z));
            using var scope = NewDisposeScope();
            return ObservationLogLikelihood(x, Decode(z)).MoveToOuterDisposeScope();
        }

        /// <summary>
        /// The ELBO as the slide writes it, per sample: L(x) = E_q[log p_θ(x|z)] − KL(q_φ(z|x) ‖ N(0, I)), the expectation by
        /// <paramref name="samples"/> reparameterised draws, the KL in closed form. Returns (ELBO, reconstruction, KL), each [N].
        /// </summary>
        public (Tensor Elbo, Tensor Reconstruction, Tensor Kl) Elbo(Tensor x, Generator generator, int samples = 1)
        {
            CheckInput(x, "Elbo");
            if (samples < 1) throw new ArgumentException("Vae.Elbo: samples must be ≥ 1, got " + samples + ".", nameof(samples));
            using var scope = NewDisposeScope();
            var (mu, logVar) = Encode(x);
            var eps = empty(new long[] { samples, x.shape[0], LatentDim }, dtype: x.dtype, device: x.device).normal_(0, 1, generator: generator);
            var z = Reparameterise(mu, logVar, eps);                                     // [S, N, L]
            var decoded = Apply("dec_out", Apply("dec", z).tanh());
            var reconstruction = ObservationLogLikelihood(x, decoded).mean(new long[] { 0 });
            var kl = Divergence.Kl(mu, logVar);                                        // generated closed form
            return ((reconstruction - kl).MoveToOuterDisposeScope(), reconstruction.MoveToOuterDisposeScope(), kl.MoveToOuterDisposeScope());
        }

        /// <summary>The training loss −(1/N) Σ L(xᵢ) (one reparameterised sample per row): 0-dim.</summary>
        public Tensor Loss(Tensor x, Generator generator)
        {
            using var scope = NewDisposeScope();
            var (elbo, _, _) = Elbo(x, generator);
            return (-elbo.mean()).MoveToOuterDisposeScope();
        }

        /// <summary>
        /// The importance-weighted bound L_K(x) = log (1/K) Σₖ p_θ(x|zₖ) p(zₖ) / q_φ(zₖ|x), zₖ ~ q_φ(·|x) (Burda et al. 2016): [N].
        /// L_1 is an unbiased estimate of the ELBO; E[L_K] increases with K towards log p(x).
        /// </summary>
        public Tensor Iwae(Tensor x, int k, Generator generator)
        {
            CheckInput(x, "Iwae");
            if (k < 1) throw new ArgumentException("Vae.Iwae: K must be ≥ 1, got " + k + ".", nameof(k));
            using var scope = NewDisposeScope();
            var (mu, logVar) = Encode(x);
            var eps = empty(new long[] { k, x.shape[0], LatentDim }, dtype: x.dtype, device: x.device).normal_(0, 1, generator: generator);
            var z = Reparameterise(mu, logVar, eps);                                     // [K, N, L]
            var decoded = Apply("dec_out", Apply("dec", z).tanh());
            var flat = z.reshape(k * x.shape[0], LatentDim);
            var logPrior = Divergence.PLogDensity(flat).reshape(k, x.shape[0]);                                   // log p(zₖ)
            var logPosterior = Divergence.QLogDensity(flat, Tile(mu, k), Tile(logVar, k)).reshape(k, x.shape[0]);  // log q(zₖ|x)
            var logW = ObservationLogLikelihood(x, decoded).Add(logPrior) - logPosterior;
            return (logW.logsumexp(0).Sub(System.Math.Log(k))).MoveToOuterDisposeScope();
        }

        /// <summary>n draws from the model: z ~ N(0, I), then the decoder's mean (Bernoulli probabilities or Gaussian means): [n, D].</summary>
        public Tensor SampleMeans(long n, Generator generator)
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var z = empty(new long[] { n, LatentDim }, dtype: DType, device: Device).normal_(0, 1, generator: generator);
            var decoded = Decode(z);
            return (Likelihood == VaeLikelihood.Bernoulli ? decoded.sigmoid() : decoded).MoveToOuterDisposeScope();
        }
    }
}
