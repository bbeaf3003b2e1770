using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// The generated KL(q‖p) of [KlDivergence] declarations against independent truth: the textbook closed forms, autograd of
    /// those formulas, and Monte Carlo of the user's own log-densities run eagerly; q's derived mean, variance and
    /// reparameterisation against the distribution they claim.
    /// </summary>
    public class KlDivergenceTests
    {
        private static (Tensor Mu, Tensor LogVar) RandomGaussian(Generator g, long n, long d) =>
            (randn(new long[] { n, d }, dtype: ScalarType.Float64, generator: g).Mul(1.5),
             randn(new long[] { n, d }, dtype: ScalarType.Float64, generator: g).Mul(1.2));

        [Fact]
        public void Generated_VAE_KL_equals_the_textbook_formula_and_its_gradients_equal_autograd_of_it()
        {
            using var scope = NewDisposeScope();
            var kl = new GaussianEncoderKl(6);
            var (mu, logVar) = RandomGaussian(new Generator(21), 64, 6);
            // Kingma & Welling (2014), appendix B: KL(N(μ, σ²) ‖ N(0, I)) = ½ Σ (σ² + μ² − 1 − log σ²).
            static Tensor Textbook(Tensor m, Tensor lv) => (lv.exp().Add(m.Square()).Sub(1) - lv).sum(new long[] { 1 }).Mul(0.5);
            Assert.True((kl.Kl(mu, logVar) - Textbook(mu, logVar)).abs().max().ToDoubleValue() < 1e-12);
            Assert.True((kl.QMean(mu, logVar) - mu).abs().max().ToDoubleValue() < 1e-15);
            Assert.True((kl.QVariance(mu, logVar) - logVar.exp()).abs().max().ToDoubleValue() < 1e-12);

            var m = mu.detach().requires_grad_(true);
            var lv = logVar.detach().requires_grad_(true);
            var generated = autograd.grad(new[] { kl.Kl(m, lv).sum() }, new[] { m, lv });
            var m2 = mu.detach().requires_grad_(true);
            var lv2 = logVar.detach().requires_grad_(true);
            var reference = autograd.grad(new[] { Textbook(m2, lv2).sum() }, new[] { m2, lv2 });
            Assert.True((generated[0] - reference[0]).abs().max().ToDoubleValue() < 1e-12);
            Assert.True((generated[1] - reference[1]).abs().max().ToDoubleValue() < 1e-12);
            Assert.True((generated[1] - (logVar.exp().Sub(1)).Mul(0.5)).abs().max().ToDoubleValue() < 1e-12);   // ∂KL/∂log σ² = ½(σ² − 1)
        }

        [Fact]
        public void Generated_KL_between_two_Gaussians_equals_the_textbook_formula()
        {
            using var scope = NewDisposeScope();
            var kl = new GaussianPairKl(4);
            var g = new Generator(22);
            var (mu1, lv1) = RandomGaussian(g, 50, 4);
            var (mu2, lv2) = RandomGaussian(g, 50, 4);
            // ½ Σ [log σ₂²/σ₁² + (σ₁² + (μ₁ − μ₂)²)/σ₂² − 1]
            var textbook = ((lv2 - lv1).Add((lv1.exp().Add((mu1 - mu2).Square())) / lv2.exp()).Sub(1)).sum(new long[] { 1 }).Mul(0.5);
            Assert.True((kl.Kl(mu1, lv1, mu2, lv2) - textbook).abs().max().ToDoubleValue() < 1e-11);
            Assert.True(kl.Kl(mu1, lv1, mu1, lv1).abs().max().ToDoubleValue() < 1e-12, "KL(q‖q) = 0");
        }

        [Fact]
        public void Generated_KL_matches_Monte_Carlo_of_the_users_own_log_densities_under_the_generated_reparameterisation()
        {
            using var scope = NewDisposeScope();
            var kl = new GaussianPairKl(3);
            var g = new Generator(23);
            var (mu1, lv1) = RandomGaussian(g, 5, 3);
            var (mu2, lv2) = RandomGaussian(g, 5, 3);
            const int n = 100_000;
            Tensor Rows(Tensor t) => t.unsqueeze(0).expand(n, 5, 3).reshape(n * 5, 3);
            var eps = randn(new long[] { n * 5, 3 }, dtype: ScalarType.Float64, generator: g);
            var z = kl.Reparameterise(eps, Rows(mu1), Rows(lv1));
            // The reparameterised draws have the claimed moments: mean μ₁, variance σ₁² (4 standard errors).
            var draws = z.reshape(n, 5, 3);
            var meanErr = ((draws.mean(new long[] { 0 }) - mu1).abs() / (lv1.Mul(0.5)).exp()).Mul(System.Math.Sqrt(n));
            Assert.True(meanErr.max().ToDoubleValue() < 4.5, "mean error in standard errors " + meanErr.max().ToDoubleValue());
            // KL = E_q[log q − log p] with the user's equations run eagerly (not the generated code).
            var terms = (kl.QLogDensityEager(z, Rows(mu1), Rows(lv1)) - kl.PLogDensityEager(z, Rows(mu2), Rows(lv2))).reshape(n, 5);
            var mc = terms.mean(new long[] { 0 });
            var se = terms.std(0L).Div(System.Math.Sqrt(n));
            var closed = kl.Kl(mu1, lv1, mu2, lv2);
            for (int i = 0; i < 5; i++)
            {
                double diff = System.Math.Abs(mc[i].ToDoubleValue() - closed[i].ToDoubleValue());
                Assert.True(diff < 4 * se[i].ToDoubleValue(), $"row {i}: closed {closed[i].ToDoubleValue():F5}, Monte Carlo {mc[i].ToDoubleValue():F5} ± {se[i].ToDoubleValue():F5}");
            }
            // The generated log-densities are the user's equations.
            Assert.True((kl.QLogDensity(z, Rows(mu1), Rows(lv1)) - kl.QLogDensityEager(z, Rows(mu1), Rows(lv1))).abs().max().ToDoubleValue() < 1e-10);
        }

        [Fact]
        public void Mismatched_latent_sizes_name_the_model_the_method_and_the_argument()
        {
            var kl = new GaussianEncoderKl(8);
            var e = Assert.Throws<ArgumentException>(() => kl.Kl(zeros(4, 8), zeros(4, 3)));
            Assert.Contains("GaussianEncoderKl.Kl: argument 'logVar' must have shape [N, 8]", e.Message);
            var e2 = Assert.Throws<ArgumentException>(() => kl.Kl(zeros(4, 8), zeros(5, 8)));
            Assert.Contains("argument 'logVar' must have one row per sample", e2.Message);
            var vae = new Vae(64, 8, 16, VaeLikelihood.Bernoulli, new Generator(1));
            var e3 = Assert.Throws<ArgumentException>(() => vae.LogLikelihood(zeros(4, 64), zeros(4, 5)));
            Assert.Contains("Vae.LogLikelihood: argument 'z' must have shape [N, L = 8]", e3.Message);
        }
    }
}
