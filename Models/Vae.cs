using System;
using Dsl.Diffusion;
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
    /// <para>
    /// With <c>classes</c> K ≥ 2 it is the conditional VAE (Sohn, Lee &amp; Yan 2015; the labelled term of Kingma, Rezende, Mohamed
    /// &amp; Welling 2014, M2): the one-hot label y ∈ {0, …, K−1} is concatenated to the inputs of the encoder, q_φ(z|x, y) =
    /// N(μ_φ(x, y), diag σ²_φ(x, y)), and of the decoder, p_θ(x|z, y); the prior stays p(z) = N(0, I). Its ELBO is
    /// L(x, y) = E_q[log p_θ(x|z, y)] − KL(q_φ(z|x, y) ‖ N(0, I)) ≤ log p_θ(x|y) (Sohn et al. eq. 4 with a prior that ignores
    /// the condition; Kingma et al. eq. 6 without the constant log p(y)), and a requested class is drawn as z ~ N(0, I),
    /// x = the decoder's mean at (z, y) (<see cref="SampleMeans(Tensor, Generator)"/>). Every method then takes the labels as
    /// int64 [N] in 0…K−1; the unconditional model takes none.
    /// </para>
    /// </summary>
    public sealed class Vae : NetworkModule
    {
        /// <summary>
        /// Creates the model for data of dimension <paramref name="dataDim"/> (D) and latents of <paramref name="latentDim"/> (L);
        /// <paramref name="classes"/> K = 0 is the unconditional VAE, K ≥ 2 the conditional VAE on labels 0…K−1 (one-hot, concatenated
        /// to the encoder's x and the decoder's z).
        /// </summary>
        public Vae(int dataDim, int latentDim, int hidden, VaeLikelihood likelihood = VaeLikelihood.Bernoulli, Generator? generator = null, int classes = 0)
            : base("Vae", CheckSize("Vae", "D", dataDim))
        {
            LatentDim = CheckSize("Vae", "L", latentDim);
            Divergence = new GaussianEncoderKl(latentDim);
            Hidden = CheckSize("Vae", "H", hidden);
            Likelihood = likelihood;
            if (classes < 0 || classes == 1)
                throw new ArgumentException("Vae: classes K must be 0 (unconditional) or ≥ 2 (conditional on labels 0…K−1), got " + classes + ".", nameof(classes));
            Classes = classes;
            Dense("enc", dataDim + classes, hidden, generator);
            Dense("enc_mu", hidden, latentDim, generator);
            Dense("enc_logvar", hidden, latentDim, generator);
            Dense("dec", latentDim + classes, hidden, generator);
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

        /// <summary>K, the number of classes the model is conditioned on; 0 for the unconditional VAE.</summary>
        public int Classes { get; }

        /// <summary>Whether the model is the conditional VAE (K ≥ 2): its methods then require the labels y.</summary>
        public bool IsConditional => Classes > 0;

        /// <summary>
        /// The encoder q_φ(z|x) (or q_φ(z|x, y) for the conditional VAE, <paramref name="labels"/> int64 [N] in 0…K−1): (μ, log σ²),
        /// each [N, L].
        /// </summary>
        public (Tensor Mu, Tensor LogVar) Encode(Tensor x, Tensor? labels = null)
        {
            CheckInput(x, "Encode");
            using var scope = NewDisposeScope();
            var (mu, logVar) = EncodeChecked(x, OneHot(labels, x.shape[0], "Encode"));
            return (mu.MoveToOuterDisposeScope(), logVar.MoveToOuterDisposeScope());
        }

        /// <summary>
        /// The decoder's output for z: [N, L] (and, for the conditional VAE, <paramref name="labels"/> y: int64 [N] in 0…K−1):
        /// Bernoulli logits or Gaussian means of p_θ(x|z) (p_θ(x|z, y)), [N, D].
        /// </summary>
        public Tensor Decode(Tensor z, Tensor? labels = null)
        {
            CheckRows(z, LatentDim, "L", "Decode", "z");
            using var scope = NewDisposeScope();
            return DecodeChecked(z, OneHot(labels, z.shape[0], "Decode")).MoveToOuterDisposeScope();
        }

        /// <summary>
        /// The labels as one-hot rows [N, K] in the model's dtype (null for the unconditional model), after checking that they are given
        /// exactly when the model is conditional and are int64 [<paramref name="n"/>] in 0…K−1; the error names the model, the method,
        /// the argument and the expected shape and range.
        /// </summary>
        private Tensor? OneHot(Tensor? labels, long n, string method)
        {
            string who = ModelName + "." + method;
            if (!IsConditional)
            {
                if (labels is null) return null;
                throw new ArgumentException(who + ": argument 'labels' must be null: this VAE is unconditional (classes = 0); construct it with classes ≥ 2 to condition on labels.", nameof(labels));
            }
            if (labels is null)
                throw new ArgumentNullException(nameof(labels), who + ": argument 'labels' is null; this conditional VAE needs labels y as int64 [N = " + n + "] in 0…" + (Classes - 1) + ".");
            Guidance.CheckLabels(labels, n, Classes, allowNull: false, who + " (argument 'labels')");
            return nn.functional.one_hot(labels.to(Device), Classes).to_type(DType);
        }

        /// <summary>[..., N, F] joined with the one-hot labels [N, K] broadcast over the leading dimensions: [..., N, F + K].</summary>
        private static Tensor Join(Tensor input, Tensor? oneHot)
        {
            if (oneHot is null) return input;
            var shape = (long[])input.shape.Clone();
            shape[shape.Length - 1] = oneHot.shape[1];
            return cat(new[] { input, oneHot.expand(shape) }, -1);
        }

        /// <summary>The encoder on checked inputs: (μ, log σ²) of q_φ(z|x[, y]).</summary>
        private (Tensor Mu, Tensor LogVar) EncodeChecked(Tensor x, Tensor? oneHot)
        {
            var h = Apply("enc", Join(x, oneHot)).tanh();
            return (Apply("enc_mu", h), Apply("enc_logvar", h).Clamp(-12, 8));
        }

        /// <summary>The decoder on checked inputs: z [..., N, L] → logits or means [..., N, D] of p_θ(x|z[, y]).</summary>
        private Tensor DecodeChecked(Tensor z, Tensor? oneHot) => Apply("dec_out", Apply("dec", Join(z, oneHot)).tanh());

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

        /// <summary>log p_θ(x|z) (log p_θ(x|z, y) with <paramref name="labels"/> for the conditional VAE): [N] for x: [N, D], z: [N, L].</summary>
        public Tensor LogLikelihood(Tensor x, Tensor z, Tensor? labels = null)
        {
            CheckInput(x, "LogLikelihood");
            CheckRows(z, LatentDim, "L", "LogLikelihood", "z");
            if (z.shape[0] != x.shape[0])
                throw new ArgumentException("Vae.LogLikelihood: x has " + x.shape[0] + " rows but z has " + z.shape[0] + ".", nameof(z));
            using var scope = NewDisposeScope();
            return ObservationLogLikelihood(x, DecodeChecked(z, OneHot(labels, x.shape[0], "LogLikelihood"))).MoveToOuterDisposeScope();
        }

        /// <summary>
        /// The ELBO as the slide writes it, per sample: L(x) = E_q[log p_θ(x|z)] − KL(q_φ(z|x) ‖ N(0, I)), the expectation by
        /// <paramref name="samples"/> reparameterised draws, the KL in closed form. Returns (ELBO, reconstruction, KL), each [N].
        /// For the conditional VAE, with <paramref name="labels"/> y (int64 [N] in 0…K−1), the conditional ELBO
        /// L(x, y) = E_{q_φ(z|x,y)}[log p_θ(x|z, y)] − KL(q_φ(z|x, y) ‖ N(0, I)) (Sohn et al. 2015 eq. 4; Kingma et al. 2014 eq. 6).
        /// </summary>
        public (Tensor Elbo, Tensor Reconstruction, Tensor Kl) Elbo(Tensor x, Generator generator, int samples = 1, Tensor? labels = null)
        {
            CheckInput(x, "Elbo");
            if (samples < 1) throw new ArgumentException("Vae.Elbo: samples must be ≥ 1, got " + samples + ".", nameof(samples));
            using var scope = NewDisposeScope();
            var oneHot = OneHot(labels, x.shape[0], "Elbo");
            var (mu, logVar) = EncodeChecked(x, oneHot);
            var eps = empty(new long[] { samples, x.shape[0], LatentDim }, dtype: x.dtype, device: x.device).normal_(0, 1, generator: generator);
            var z = Reparameterise(mu, logVar, eps);                                     // [S, N, L]
            var decoded = DecodeChecked(z, oneHot);
            var reconstruction = ObservationLogLikelihood(x, decoded).mean(new long[] { 0 });
            var kl = Divergence.Kl(mu, logVar);                                        // generated closed form
            return ((reconstruction - kl).MoveToOuterDisposeScope(), reconstruction.MoveToOuterDisposeScope(), kl.MoveToOuterDisposeScope());
        }

        /// <summary>
        /// The training loss −(1/N) Σ L(xᵢ) (one reparameterised sample per row): 0-dim; for the conditional VAE −(1/N) Σ L(xᵢ, yᵢ)
        /// with <paramref name="labels"/> y.
        /// </summary>
        public Tensor Loss(Tensor x, Generator generator, Tensor? labels = null)
        {
            using var scope = NewDisposeScope();
            var (elbo, _, _) = Elbo(x, generator, 1, labels);
            return (-elbo.mean()).MoveToOuterDisposeScope();
        }

        /// <summary>
        /// The importance-weighted bound L_K(x) = log (1/K) Σₖ p_θ(x|zₖ) p(zₖ) / q_φ(zₖ|x), zₖ ~ q_φ(·|x) (Burda et al. 2016): [N].
        /// L_1 is an unbiased estimate of the ELBO; E[L_K] increases with K towards log p(x). For the conditional VAE, with
        /// <paramref name="labels"/> y, every density is conditioned on y and the bound increases towards log p(x|y).
        /// </summary>
        public Tensor Iwae(Tensor x, int k, Generator generator, Tensor? labels = null)
        {
            CheckInput(x, "Iwae");
            if (k < 1) throw new ArgumentException("Vae.Iwae: K must be ≥ 1, got " + k + ".", nameof(k));
            using var scope = NewDisposeScope();
            var oneHot = OneHot(labels, x.shape[0], "Iwae");
            var (mu, logVar) = EncodeChecked(x, oneHot);
            var eps = empty(new long[] { k, x.shape[0], LatentDim }, dtype: x.dtype, device: x.device).normal_(0, 1, generator: generator);
            var z = Reparameterise(mu, logVar, eps);                                     // [K, N, L]
            var decoded = DecodeChecked(z, oneHot);
            var flat = z.reshape(k * x.shape[0], LatentDim);
            var logPrior = Divergence.PLogDensity(flat).reshape(k, x.shape[0]);                                   // log p(zₖ)
            var logPosterior = Divergence.QLogDensity(flat, Tile(mu, k), Tile(logVar, k)).reshape(k, x.shape[0]);  // log q(zₖ|x)
            var logW = ObservationLogLikelihood(x, decoded).Add(logPrior) - logPosterior;
            return (logW.logsumexp(0).Sub(System.Math.Log(k))).MoveToOuterDisposeScope();
        }

        /// <summary>n draws from the unconditional model: z ~ N(0, I), then the decoder's mean (Bernoulli probabilities or Gaussian means): [n, D].</summary>
        public Tensor SampleMeans(long n, Generator generator)
        {
            if (IsConditional)
                throw new InvalidOperationException(ModelName + ".SampleMeans: this VAE is conditional on " + Classes + " classes; call SampleMeans(labels, generator) with the requested labels, int64 [n] in 0…" + (Classes - 1) + ".");
            if (n < 0) throw new ArgumentException(ModelName + ".SampleMeans: n must be ≥ 0, got " + n + ".", nameof(n));
            return Means(n, null, generator);
        }

        /// <summary>
        /// One draw of each requested class from the conditional VAE: z ~ N(0, I), then the decoder's mean at (z, yᵢ) (Bernoulli
        /// probabilities or Gaussian means): [N, D] for <paramref name="labels"/> y: int64 [N] in 0…K−1. The same generator state
        /// gives the same samples.
        /// </summary>
        public Tensor SampleMeans(Tensor labels, Generator generator)
        {
            if (!IsConditional)
                throw new InvalidOperationException(ModelName + ".SampleMeans: this VAE is unconditional (classes = 0); call SampleMeans(n, generator).");
            if (labels is null)
                throw new ArgumentNullException(nameof(labels), ModelName + ".SampleMeans: argument 'labels' is null; expected the requested classes as int64 [N] in 0…" + (Classes - 1) + ".");
            Guidance.CheckLabels(labels, -1, Classes, allowNull: false, ModelName + ".SampleMeans (argument 'labels')");
            using var scope = NewDisposeScope();
            return Means(labels.shape[0], OneHot(labels, labels.shape[0], "SampleMeans"), generator).MoveToOuterDisposeScope();
        }

        private Tensor Means(long n, Tensor? oneHot, Generator generator)
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var z = empty(new long[] { n, LatentDim }, dtype: DType, device: Device).normal_(0, 1, generator: generator);
            var decoded = DecodeChecked(z, oneHot);
            return (Likelihood == VaeLikelihood.Bernoulli ? decoded.sigmoid() : decoded).MoveToOuterDisposeScope();
        }
    }
}
