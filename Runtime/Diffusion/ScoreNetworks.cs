using System;
using System.Globalization;
using Dsl.Sde;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Diffusion
{
    /// <summary>
    /// A denoising network used as a noise-conditional score s_θ(x, σ) (NCSN, Song &amp; Ermon 2019), so the annealed
    /// Langevin sampler and the multi-scale DSM loss (<c>ScoreMatchingLosses.NoiseConditional</c>) take it like any
    /// generated noise-conditional model. The network predicts the noise z of x̃ = x + σz, and
    /// <code>s_θ(x, σ) = −net(c_in(σ)·x, τ(σ)) / σ,   c_in(σ) = 1/√(1 + σ²),   τ(σ) = ln(σ/σ_min) / ln(σ_max/σ_min)</code>
    /// — the 1/σ scaling is Song &amp; Ermon (2020)'s (‖s‖ ∝ 1/σ at the optimum, so the network's output stays O(1) at
    /// every level); with it the λ(σ) = σ² loss is ½‖z − net‖², the DDPM's L_simple. c_in keeps the input O(1) when σ is
    /// large (Karras et al. 2022's input scaling for data of unit scale); τ(σ) is the VE SDE time of σ, so levels map to
    /// [0, 1] as the time embedding expects. A network has no energy: the energy members throw NotSupportedException.
    /// </summary>
    public sealed class NoiseConditionalNetwork : INoiseConditionalModel
    {
        private readonly IDiffusionNetwork network;

        /// <summary>Wraps <paramref name="network"/> for noise levels in [<paramref name="sigmaMin"/>, <paramref name="sigmaMax"/>] (the training range).</summary>
        public NoiseConditionalNetwork(IDiffusionNetwork network, double sigmaMin, double sigmaMax)
        {
            this.network = network ?? throw new ArgumentNullException(nameof(network));
            if (!(sigmaMin > 0) || double.IsInfinity(sigmaMax) || !(sigmaMax > sigmaMin))
                throw new ArgumentException("NoiseConditionalNetwork(" + network.ModelName + "): needs σ_max > σ_min > 0, got σ_min = " + sigmaMin.ToString(CultureInfo.InvariantCulture)
                    + ", σ_max = " + sigmaMax.ToString(CultureInfo.InvariantCulture) + ".", nameof(sigmaMin));
            SigmaMin = sigmaMin;
            SigmaMax = sigmaMax;
        }

        /// <summary>The wrapped network.</summary>
        public IDiffusionNetwork Network => network;

        /// <summary>σ_min, the level mapped to τ = 0.</summary>
        public double SigmaMin { get; }

        /// <summary>σ_max, the level mapped to τ = 1.</summary>
        public double SigmaMax { get; }

        /// <inheritdoc/>
        public string ModelName => "NCSN[" + network.ModelName + "]";

        /// <inheritdoc/>
        public int Dim => network.Dim;

        /// <summary>The network's time input for noise levels σ: τ = ln(σ/σ_min)/ln(σ_max/σ_min), [N].</summary>
        public Tensor TimeOf(Tensor sigma) => sigma.log().Sub_(System.Math.Log(SigmaMin)).Div_(System.Math.Log(SigmaMax / SigmaMin));

        /// <summary>s_θ(x, σ) = −net(x/√(1 + σ²), τ(σ))/σ: [N, D]; differentiable.</summary>
        public Tensor Score(Tensor x, Tensor sigma)
        {
            Check(x, sigma, "Score");
            using var scope = NewDisposeScope();
            var column = sigma.unsqueeze(1);
            var input = x / (column.Square().Add(1)).sqrt();
            return (-network.Predict(input, TimeOf(sigma)) / column).MoveToOuterDisposeScope();
        }

        /// <summary>s_θ(x, σ) with no autograd tape.</summary>
        public Tensor ScoreNoGrad(Tensor x, Tensor sigma)
        {
            using var noGrad = no_grad();
            return Score(x, sigma);
        }

        /// <summary>
        /// The time score of the data perturbed by a linear SDE with kernel N(m(t)x₀, v(t)I), read off the noise-conditional
        /// score: pₜ(x) = m⁻ᴰ p̃(x/m; σ = √v/m), so sₜ(x) = s_θ(x/m, √v/m)/m. For the VE SDE (m = 1) this is s_θ(x, √v(t)):
        /// NCSN is the VE SDE at discrete levels (Song et al. 2021), and the probability-flow ODE gives its likelihood.
        /// </summary>
        public ITimeScoreModel AsTimeScore(ISde sde)
        {
            if (sde is null) throw new ArgumentNullException(nameof(sde));
            if (!sde.HasGaussianKernel)
                throw new ArgumentException(ModelName + ".AsTimeScore: " + sde.SdeName + " has no Gaussian perturbation kernel, so a noise level cannot be read off the time.", nameof(sde));
            return TimeScores.FromScorePrediction(Dim, (x, t) =>
            {
                using var scope = NewDisposeScope();
                var m = sde.MeanCoefficient(t);
                var sigma = sde.MarginalStd(t) / m;
                var column = m.unsqueeze(1);
                return (Score(x / column, sigma) / column).MoveToOuterDisposeScope();
            }, ModelName + " under " + sde.SdeName);
        }

        Tensor INoiseConditionalModel.Energy(Tensor x, Tensor sigma) => throw NoEnergy();
        Tensor INoiseConditionalModel.EnergyNoGrad(Tensor x, Tensor sigma) => throw NoEnergy();
        Tensor INoiseConditionalModel.EnergyEager(Tensor x, Tensor sigma) => throw NoEnergy();
        (Tensor Energy, Tensor Score) INoiseConditionalModel.EnergyAndScore(Tensor x, Tensor sigma) => throw NoEnergy();
        (Tensor Energy, Tensor Score) INoiseConditionalModel.EnergyAndScoreNoGrad(Tensor x, Tensor sigma) => throw NoEnergy();

        private NotSupportedException NoEnergy() =>
            new(ModelName + ": a score network has no energy E(x, σ); use the score (annealed Langevin, denoising score matching) or AsTimeScore for the probability-flow likelihood.");

        private void Check(Tensor x, Tensor sigma, string method)
        {
            if (x is null) throw new ArgumentNullException(nameof(x), ModelName + "." + method + ": x is null.");
            if (sigma is null) throw new ArgumentNullException(nameof(sigma), ModelName + "." + method + ": σ is null.");
            if (x.dim() != 2 || x.shape[1] != Dim)
                throw new ArgumentException(ModelName + "." + method + ": x must be [N, " + Dim + "]; got " + Broadcasting.Describe(x) + ".", nameof(x));
            if (sigma.dim() != 1 || sigma.shape[0] != x.shape[0] || sigma.dtype != x.dtype)
                throw new ArgumentException(ModelName + "." + method + ": σ must be [N] = [" + x.shape[0] + "] of " + x.dtype + " (one noise level per row of x); got " + sigma.dtype + " " + Broadcasting.Describe(sigma) + ".", nameof(sigma));
            using var noGrad = no_grad();
            using var smallest = sigma.min();
            double min = smallest.ToDoubleValue();
            if (!(min > 0))
                throw new ArgumentException(ModelName + "." + method + ": noise levels σ must be positive; got min σ = " + min.ToString("G6", CultureInfo.InvariantCulture) + ".", nameof(sigma));
        }
    }

    /// <summary>Noise-predicting networks as time-dependent scores on a DSL SDE (score_sde's ε-parametrisation with input scaling).</summary>
    public static class ScoreNetworks
    {
        /// <summary>
        /// s_θ(x, t) = −net(c_in(t)·x, t)/σₜ with σₜ = √v(t) and c_in(t) = 1/√(m(t)² + v(t)), m and v the generated marginal
        /// of <paramref name="sde"/>: the network predicts the noise of xₜ = m x₀ + σₜ z (score_sde's VP parametrisation; for
        /// the VE SDE its `scale_by_sigma`). c_in = 1 on the VP SDE and keeps the VE input O(1) when σₜ is large.
        /// </summary>
        public static ITimeScoreModel FromNoiseNetwork(ISde sde, IDiffusionNetwork network)
        {
            if (sde is null) throw new ArgumentNullException(nameof(sde));
            if (network is null) throw new ArgumentNullException(nameof(network));
            if (!sde.HasGaussianKernel)
                throw new ArgumentException("ScoreNetworks.FromNoiseNetwork(" + network.ModelName + "): " + sde.SdeName + " has no Gaussian perturbation kernel (drift not a(t)·x), so σₜ is undefined.", nameof(sde));
            return TimeScores.FromScorePrediction(network.Dim, (x, t) =>
            {
                using var scope = NewDisposeScope();
                var m = sde.MeanCoefficient(t);
                var std = sde.MarginalStd(t);
                var input = x / (m.Square().Add(std.Square())).sqrt().unsqueeze(1);
                return (-network.Predict(input, t) / std.unsqueeze(1)).MoveToOuterDisposeScope();
            }, network.ModelName + " on " + sde.SdeName);
        }
    }
}
