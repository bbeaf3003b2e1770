using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Sde
{
    /// <summary>What a network (or a conversion) predicts from a noisy xₜ.</summary>
    public enum PredictionKind
    {
        /// <summary>The clean data x̂₀ = E[x₀ | xₜ]; in the σ-parametrisation (α = 1, β = σ) this is the denoiser D(x; σ).</summary>
        Data,
        /// <summary>The noise ε̂ = (xₜ − α x̂₀)/β.</summary>
        Noise,
        /// <summary>The score ŝ = ∇ log pₜ(xₜ) = −ε̂/β.</summary>
        Score,
        /// <summary>The velocity v̂ = α ε̂ − β x̂₀ (Salimans &amp; Ho 2022).</summary>
        Velocity,
    }

    /// <summary>
    /// Conversions between the four predictions of a Gaussian perturbation xₜ = α x₀ + β ε, ε ~ N(0, I), with α = m(t) and
    /// β = √v(t) of the SDE (VP: α² + β² = 1; VE: α = 1, β = σ; EDM's σ-parametrisation x = x₀ + σ n is α = 1, β = σ, where
    /// the data prediction is the denoiser D(x; σ)):
    /// <list type="bullet">
    /// <item>x̂₀ ↔ ε̂: ε̂ = (xₜ − α x̂₀)/β, x̂₀ = (xₜ − β ε̂)/α;</item>
    /// <item>score ↔ ε̂: ŝ = −ε̂/β, ε̂ = −β ŝ (so with α = 1, β = σ: ŝ = (D − x)/σ², ε̂ = (x − D)/σ);</item>
    /// <item>v ↔ (x̂₀, ε̂): v̂ = α ε̂ − β x̂₀; from v̂: x̂₀ = (α xₜ − β v̂)/(α² + β²), ε̂ = (β xₜ + α v̂)/(α² + β²).</item>
    /// </list>
    /// α and β are scalars (one time for the batch), as the samplers use them.
    /// </summary>
    public static class Predictions
    {
        /// <summary>Converts <paramref name="value"/>, a <paramref name="from"/> prediction at xₜ = <paramref name="x"/>, to a <paramref name="to"/> prediction. Returns a fresh tensor.</summary>
        public static Tensor Convert(Tensor value, PredictionKind from, PredictionKind to, Tensor x, double alpha, double beta)
        {
            if (!(alpha > 0) || !double.IsFinite(alpha)) throw new ArgumentException("Predictions.Convert: alpha must be finite and > 0, got " + alpha + ".", nameof(alpha));
            if (!(beta > 0) || !double.IsFinite(beta)) throw new ArgumentException("Predictions.Convert: beta must be finite and > 0, got " + beta + ".", nameof(beta));
            if (!value.shape.AsSpan().SequenceEqual(x.shape))
                throw new ArgumentException("Predictions.Convert: value has shape [" + string.Join(", ", value.shape) + "] but x has [" + string.Join(", ", x.shape) + "].", nameof(value));
            using var scope = NewDisposeScope();
            var x0 = ToData(value, from, x, alpha, beta);
            Tensor result = to switch
            {
                PredictionKind.Data => x0,
                PredictionKind.Noise => NoiseOf(x0, x, alpha, beta),
                PredictionKind.Score => NoiseOf(x0, x, alpha, beta).Mul_(-1 / beta),
                PredictionKind.Velocity => NoiseOf(x0, x, alpha, beta).Mul_(alpha).Sub_(x0, beta),
                _ => throw new ArgumentOutOfRangeException(nameof(to), to, "Predictions.Convert: unknown prediction kind."),
            };
            return (ReferenceEquals(result, value) ? result.clone() : result).MoveToOuterDisposeScope();
        }

        // x̂₀ from any prediction.
        private static Tensor ToData(Tensor value, PredictionKind from, Tensor x, double alpha, double beta) => from switch
        {
            PredictionKind.Data => value,
            PredictionKind.Noise => x.Sub(value, beta).Div_(alpha),                          // (x − β ε)/α
            PredictionKind.Score => x.Add(value, beta * beta).Div_(alpha),                   // (x + β² s)/α  (Tweedie)
            PredictionKind.Velocity => x.Mul(alpha).Sub_(value, beta).Div_(alpha * alpha + beta * beta),  // (α x − β v)/(α² + β²)
            _ => throw new ArgumentOutOfRangeException(nameof(from), from, "Predictions.Convert: unknown prediction kind."),
        };

        private static Tensor NoiseOf(Tensor x0, Tensor x, double alpha, double beta) => x.Sub(x0, alpha).Div_(beta);   // (x − α x̂₀)/β
    }

    /// <summary>
    /// The preconditioning of a denoiser (Karras et al. 2022, EDM, Eq. 7 and Table 1) in the σ-parametrisation x = x₀ + σ n:
    /// D(x; σ) = c_skip(σ)·x + c_out(σ)·F(c_in(σ)·x; c_noise(σ)) for a raw network F, trained on the target
    /// F_target = (x₀ − c_skip(σ)·x)/c_out(σ). The score is s = (D − x)/σ² and ε = (x − D)/σ (see <see cref="Predictions"/> with α = 1, β = σ).
    /// <list type="bullet">
    /// <item><see cref="Edm"/>: c_skip = σ_d²/(σ² + σ_d²), c_out = σσ_d/√(σ² + σ_d²), c_in = 1/√(σ² + σ_d²), c_noise = ¼ ln σ;</item>
    /// <item><see cref="Ve"/>: c_skip = 1, c_out = σ, c_in = 1, c_noise = ln(½σ);</item>
    /// <item><see cref="Vp"/>: c_skip = 1, c_out = −σ, c_in = 1/√(σ² + 1), c_noise = (M − 1)·t(σ) with t(σ) the SDE's time of noise level σ.</item>
    /// </list>
    /// </summary>
    public sealed class DenoiserParametrisation
    {
        private readonly Func<double, double> skip, output, input, noise;

        /// <summary>A parametrisation from its four functions of σ.</summary>
        public DenoiserParametrisation(string name, Func<double, double> cSkip, Func<double, double> cOut, Func<double, double> cIn, Func<double, double> cNoise)
        {
            Name = name ?? throw new ArgumentNullException(nameof(name));
            skip = cSkip ?? throw new ArgumentNullException(nameof(cSkip));
            output = cOut ?? throw new ArgumentNullException(nameof(cOut));
            input = cIn ?? throw new ArgumentNullException(nameof(cIn));
            noise = cNoise ?? throw new ArgumentNullException(nameof(cNoise));
        }

        /// <summary>The name ("EDM", "VE", "VP").</summary>
        public string Name { get; }

        /// <summary>c_skip(σ).</summary>
        public double CSkip(double sigma) => skip(Check(sigma));
        /// <summary>c_out(σ).</summary>
        public double COut(double sigma) => output(Check(sigma));
        /// <summary>c_in(σ).</summary>
        public double CIn(double sigma) => input(Check(sigma));
        /// <summary>c_noise(σ).</summary>
        public double CNoise(double sigma) => noise(Check(sigma));

        /// <summary>EDM's choice for data of standard deviation σ_d (0.5 for images in [−1, 1]).</summary>
        public static DenoiserParametrisation Edm(double sigmaData = 0.5)
        {
            if (!(sigmaData > 0) || !double.IsFinite(sigmaData)) throw new ArgumentException("DenoiserParametrisation.Edm: sigmaData must be finite and > 0, got " + sigmaData + ".", nameof(sigmaData));
            double sd2 = sigmaData * sigmaData;
            return new DenoiserParametrisation("EDM",
                s => sd2 / (s * s + sd2),
                s => s * sigmaData / System.Math.Sqrt(s * s + sd2),
                s => 1 / System.Math.Sqrt(s * s + sd2),
                s => 0.25 * System.Math.Log(s));
        }

        /// <summary>The VE (SMLD/NCSN) choice of EDM Table 1.</summary>
        public static DenoiserParametrisation Ve() =>
            new DenoiserParametrisation("VE", s => 1, s => s, s => 1, s => System.Math.Log(0.5 * s));

        /// <summary>The VP (DDPM) choice of EDM Table 1, with c_noise = (M − 1)·t(σ) for the time t(σ) ∈ [0, T] of <paramref name="sde"/> where σ(t) = √v/m equals σ.</summary>
        public static DenoiserParametrisation Vp(ISde sde, double m = 1000)
        {
            if (sde is null || !sde.HasGaussianKernel) throw new ArgumentException("DenoiserParametrisation.Vp: needs an SDE with a Gaussian kernel.", nameof(sde));
            return new DenoiserParametrisation("VP", s => 1, s => -s, s => 1 / System.Math.Sqrt(s * s + 1),
                s => (m - 1) * TimeGrid.TimeOfNoiseLevel(sde, s, 0, sde.EndTime));
        }

        /// <summary>D(x; σ) = c_skip·x + c_out·F(c_in·x, c_noise) for a raw network <paramref name="network"/>(input, c_noise). Returns a fresh tensor.</summary>
        public Tensor Denoise(Func<Tensor, double, Tensor> network, Tensor x, double sigma)
        {
            if (network is null) throw new ArgumentNullException(nameof(network));
            using var scope = NewDisposeScope();
            var f = network(x.Mul(CIn(sigma)), CNoise(sigma));
            return f.Mul(COut(sigma)).Add_(x, CSkip(sigma)).MoveToOuterDisposeScope();
        }

        /// <summary>The raw network's training target F_target = (x₀ − c_skip·x)/c_out for clean data x₀ and x = x₀ + σn. Returns a fresh tensor.</summary>
        public Tensor NetworkTarget(Tensor x0, Tensor x, double sigma)
        {
            using var scope = NewDisposeScope();
            return x0.Sub(x, CSkip(sigma)).Div_(COut(sigma)).MoveToOuterDisposeScope();
        }

        /// <summary>EDM's loss weight λ(σ) = 1/c_out(σ)², which makes the effective weight of ‖F − F_target‖² one.</summary>
        public double LossWeight(double sigma) { double c = COut(sigma); return 1 / (c * c); }

        private double Check(double sigma)
        {
            if (!(sigma > 0) || !double.IsFinite(sigma)) throw new ArgumentException("DenoiserParametrisation " + Name + ": sigma must be finite and > 0, got " + sigma + ".", nameof(sigma));
            return sigma;
        }
    }
}
