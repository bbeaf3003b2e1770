using System;
using System.Linq;
using Dsl.Models;
using Dsl.Sde;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Examples.Experiments
{
    /// <summary>
    /// The Fokker–Planck equation ∂ₜpₜ = −∇·(f pₜ) + ½g²Δpₜ and the probability-flow continuity equation ∂ₜpₜ = −∇·(f̃ pₜ),
    /// f̃ = f − ½g²∇log pₜ (Song et al. 2021, eqs. 13 and 37), checked for the generated SDEs of Models/Sdes.cs (VE, VP, sub-VP,
    /// cosine VP, Brownian motion, Ornstein–Uhlenbeck) on Gaussian and Gaussian-mixture data, for `dsl fokker-planck`.
    /// pₜ is the data convolved with the generated kernel N(m(t)x₀, v(t)I): pₜ(x) = m⁻ᴰ p̃(x/m; σ̃ = √v/m) with p̃ the generated
    /// PerturbedGaussianMixture (closed form). Divided by pₜ both sides become
    /// ∂ₜlog pₜ = −∇·f − f·s + ½g²(∇·s + ‖s‖²) and ∂ₜlog pₜ = −∇·f̃ − f̃·s with s = ∇log pₜ; the time derivative is a 5-point
    /// central difference of the generated log pₜ in t (truncation O(h⁴)), the space terms are the generated score, its exact
    /// divergence, the generated drift f, its divergence, g and the generated probability-flow drift f̃. All in float64.
    /// </summary>
    public static class FokkerPlanckExperiment
    {
        /// <summary>The SDE names the command takes.</summary>
        public static readonly string[] SdeNames = { "ve", "vp", "subvp", "cosine", "bm", "ou" };

        /// <summary>The data names the command takes.</summary>
        public static readonly string[] DataNames = { "gaussian", "gmm" };

        /// <summary>
        /// The residuals relative to |∂ₜp|: at each of the times, max|R|/max|∂ₜp| and rms(R)/rms(∂ₜp) over the points drawn from pₜ
        /// (R = ∂ₜp − right-hand side, every term multiplied by pₜ), then the largest over the times.
        /// </summary>
        public sealed record Result(string Sde, string Data, int Dim, int Times, int PointsPerTime, double TimeMin, double TimeMax, double FdStep,
            double MaxRelativeResidual, double RmsRelativeResidual, double ContinuityMaxRelativeResidual, double ContinuityRmsRelativeResidual,
            double MaxAbsDtP, double Seconds);

        /// <summary>The generated SDE of that name.</summary>
        public static ISde Sde(string name) => name switch
        {
            "ve" => new VeSde(), "vp" => new VpSde(), "subvp" => new SubVpSde(), "cosine" => new CosineVpSde(),
            "bm" => new BrownianMotion(), "ou" => new OrnsteinUhlenbeck(),
            _ => throw new ArgumentException("unknown SDE '" + name + "'; valid: " + string.Join(", ", SdeNames) + ".", nameof(name)),
        };

        /// <summary>
        /// Runs the check at <paramref name="times"/> times evenly spread over [0.05T, 0.95T] with <paramref name="points"/> points
        /// each. <paramref name="diffusionScale"/> ≠ 1 multiplies g in the right-hand sides only (a wrong SDE: the control that
        /// shows the residual detects an error).
        /// </summary>
        public static Result Run(string sdeName, string dataName, int times = 12, int points = 256, long seed = 0, double diffusionScale = 1.0)
        {
            if (!DataNames.Contains(dataName)) throw new ArgumentException("unknown data '" + dataName + "'; valid: gaussian, gmm.", nameof(dataName));
            var start = DateTime.UtcNow;
            var sde = Sde(sdeName);
            var data = dataName == "gmm" ? SdeExperiments.MixtureData() : SdeExperiments.GaussianData(2);
            var score = TimeScores.FromPerturbedData(data, sde);
            int dim = data.Dim;
            var generator = new Generator((ulong)seed);
            double endTime = sde.EndTime;
            // h = 1e-4·T: the 5-point stencil's truncation ≈ h⁴|∂⁵log p|/30 and its rounding ≈ ε|log p|/h ≈ 1e-11 in float64.
            double h = 1e-4 * endTime;
            double worstMax = 0, worstRms = 0, worstContinuityMax = 0, worstContinuityRms = 0, maxDtP = 0;
            double tMin = 0.05 * endTime, tMax = 0.95 * endTime;
            try
            {
                for (int k = 0; k < times; k++)
                {
                    using var scope = NewDisposeScope();
                    double time = tMin + (tMax - tMin) * k / System.Math.Max(1, times - 1);
                    var x = SampleMarginal(sde, dataName, time, points, dim, generator);
                    Tensor LogP(double at) => LogDensity(sde, data, x, at);
                    var dtLogP = (LogP(time - 2 * h) - 8 * LogP(time - h) + 8 * LogP(time + h) - LogP(time + 2 * h)) / (12 * h);
                    var t = full(points, time, dtype: ScalarType.Float64);
                    var p = LogP(time).exp();
                    var s = score.Score(x, t);
                    var divS = ((ITimeScoreDivergenceModel)score).ScoreDivergence(x, t);
                    var f = sde.Drift(x, t);
                    var divF = sde.DriftDivergence(t, dim);
                    var g2 = sde.Diffusion(t).square() * (diffusionScale * diffusionScale);
                    var sNorm2 = s.square().sum(1);
                    // Fokker–Planck divided by p: −∇·f − f·s + ½g²(∇·s + ‖s‖²).
                    var fp = -divF - (f * s).sum(1) + 0.5 * g2 * (divS + sNorm2);
                    // Continuity with the generated probability-flow drift f̃ = f − ½g²s: −∇·f̃ − f̃·s, ∇·f̃ = ∇·f − ½g²∇·s.
                    var flow = sde.ProbabilityFlowDrift(x, t, s);
                    if (diffusionScale != 1.0) flow = f - 0.5 * g2.unsqueeze(1) * s;
                    var continuity = -(divF - 0.5 * g2 * divS) - (flow * s).sum(1);
                    var dtP = p * dtLogP;
                    var residual = p * (dtLogP - fp);
                    var continuityResidual = p * (dtLogP - continuity);
                    double dtMax = dtP.abs().max().item<double>(), dtRms = dtP.square().mean().sqrt().item<double>();
                    maxDtP = System.Math.Max(maxDtP, dtMax);
                    worstMax = System.Math.Max(worstMax, residual.abs().max().item<double>() / dtMax);
                    worstRms = System.Math.Max(worstRms, residual.square().mean().sqrt().item<double>() / dtRms);
                    worstContinuityMax = System.Math.Max(worstContinuityMax, continuityResidual.abs().max().item<double>() / dtMax);
                    worstContinuityRms = System.Math.Max(worstContinuityRms, continuityResidual.square().mean().sqrt().item<double>() / dtRms);
                }
            }
            finally
            {
                (sde as IDisposable)?.Dispose();
                data.Dispose();
            }
            return new Result(sdeName, dataName, dim, times, points, tMin, tMax, h, worstMax, worstRms, worstContinuityMax, worstContinuityRms, maxDtP,
                (DateTime.UtcNow - start).TotalSeconds);
        }

        /// <summary>log pₜ(x) = log p̃(x/m; √v/m) − D log m from the generated kernel m(t), v(t) and the generated mixture log-density.</summary>
        public static Tensor LogDensity(ISde sde, PerturbedGaussianMixture data, Tensor x, double time)
        {
            using var scope = NewDisposeScope();
            double m = sde.MeanCoefficientAt(time), v = sde.MarginalVarianceAt(time);
            var sigma = full(x.shape[0], System.Math.Sqrt(v) / m, dtype: ScalarType.Float64);
            return (data.LogProb(x / m, sigma) - x.shape[1] * System.Math.Log(m)).MoveToOuterDisposeScope();
        }

        /// <summary>Points from pₜ: xₜ = m(t)x₀ + √v(t)z with x₀ from the data (Gaussian N(μ, 0.5²I) or the 0.2/0.8 mixture at (∓5, ∓5)).</summary>
        private static Tensor SampleMarginal(ISde sde, string dataName, double time, int n, int dim, Generator generator)
        {
            using var scope = NewDisposeScope();
            Tensor x0;
            if (dataName == "gmm")
            {
                var minor = rand(n, dtype: ScalarType.Float64, generator: generator).lt(0.2).to_type(ScalarType.Float64).unsqueeze(1);
                var centre = (1 - 2 * minor) * 5.0;
                x0 = randn(n, dim, dtype: ScalarType.Float64, generator: generator) + centre;
            }
            else
            {
                x0 = randn(n, dim, dtype: ScalarType.Float64, generator: generator) * SdeExperiments.DataStd + tensor(SdeExperiments.DataMean(dim));
            }
            var z = randn(n, dim, dtype: ScalarType.Float64, generator: generator);
            return (x0 * sde.MeanCoefficientAt(time) + z * System.Math.Sqrt(sde.MarginalVarianceAt(time))).MoveToOuterDisposeScope();
        }
    }
}
