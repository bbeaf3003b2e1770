using static Dsl.Math;

namespace Dsl.Models
{
    /// <summary>
    /// KL(q_φ(z|x) ‖ p(z)) of the VAE, generated from the two log-densities as the slide writes them: the encoder's diagonal
    /// Gaussian and the standard normal prior. The generator reads q's mean μ and variance exp(log σ²) off log q and derives
    /// the closed form ½ Σⱼ (μⱼ² + σⱼ² − 1 − log σⱼ²) (Kingma &amp; Welling 2014, appendix B) by the Gaussian second-moment rule,
    /// and the reparameterisation z = μ + σ ⊙ ε (see the generated GaussianEncoderKl.Kl.g.cs).
    /// </summary>
    [KlDivergence(Dim = "L")]
    public partial class GaussianEncoderKl
    {
        // log q_φ(z | x) = log N(z; μ, diag σ²) = −½ Σⱼ [(zⱼ − μⱼ)²/σⱼ² + log σⱼ² + log 2π],  σ² = exp(log σ²)
        [LogQ] Scalar LogQ(Vec z, Vec mu, Vec logVar) => -0.5 * Sum(Square(z - mu) / Exp(logVar) + logVar + System.Math.Log(2 * PI));

        // log p(z) = log N(z; 0, I) = −½ Σⱼ [zⱼ² + log 2π]
        [LogP] Scalar LogP(Vec z) => -0.5 * Sum(Square(z) + System.Math.Log(2 * PI));
    }

    /// <summary>
    /// KL(N(μ₁, diag σ₁²) ‖ N(μ₂, diag σ₂²)) between two diagonal Gaussians, both written as log N: the closed form
    /// ½ Σⱼ [log σ₂ⱼ²/σ₁ⱼ² + (σ₁ⱼ² + (μ₁ⱼ − μ₂ⱼ)²)/σ₂ⱼ² − 1] is generated (the KL terms of DDPM's variational bound have this form).
    /// </summary>
    [KlDivergence]
    public partial class GaussianPairKl
    {
        // log q(z) = log N(z; μ₁, diag exp(log σ₁²))
        [LogQ] Scalar LogQ(Vec z, Vec mu1, Vec logVar1) => -0.5 * Sum(Square(z - mu1) / Exp(logVar1) + logVar1 + System.Math.Log(2 * PI));

        // log p(z) = log N(z; μ₂, diag exp(log σ₂²))
        [LogP] Scalar LogP(Vec z, Vec mu2, Vec logVar2) => -0.5 * Sum(Square(z - mu2) / Exp(logVar2) + logVar2 + System.Math.Log(2 * PI));
    }
}
