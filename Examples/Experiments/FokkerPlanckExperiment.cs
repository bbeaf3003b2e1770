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
        public static readonly string[] SdeNames = { "ve", "vp", "subvp", "cosine", "bm", "ou", "rotating-ou", "diagonal-vp" };

        /// <summary>The general SDEs among them (matrix kernel N(Φ(t)x₀, Σ(t)), D = 2).</summary>
        public static readonly string[] GeneralSdeNames = { "rotating-ou", "diagonal-vp" };

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
            "rotating-ou" => RotatingOrnsteinUhlenbeck.Create(0.5, 2.0, 1.0, 0.3),
            "diagonal-vp" => DiagonalVpSde.Create(new[] { 0.1, 1.0 }, new[] { 20.0, 12.0 }),
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
            if (GeneralSdeNames.Contains(sdeName)) return RunGeneral(sdeName, dataName, times, points, seed, diffusionScale);
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
                    var dtLogP = ScalarOps.Add(LogP(time - 2 * h) - LogP(time - h).Mul(8.0), LogP(time + h).Mul(8.0)).sub(LogP(time + 2 * h)).Div(12 * h);
                    var t = ScalarOps.Full(new long[] { points }, time, ScalarType.Float64);
                    var p = LogP(time).exp();
                    var s = score.Score(x, t);
                    var divS = ((ITimeScoreDivergenceModel)score).ScoreDivergence(x, t);
                    var f = sde.Drift(x, t);
                    var divF = sde.DriftDivergence(t, dim);
                    var g2 = ScalarOps.Square(sde.Diffusion(t)).Mul(diffusionScale * diffusionScale);
                    var sNorm2 = ScalarOps.Square(s).sum(1);
                    // Fokker–Planck divided by p: −∇·f − f·s + ½g²(∇·s + ‖s‖²).
                    var fp = ScalarOps.Add(-divF - (f * s).sum(1), g2.Mul(0.5) * ScalarOps.Add(divS, sNorm2));
                    // Continuity with the generated probability-flow drift f̃ = f − ½g²s: −∇·f̃ − f̃·s, ∇·f̃ = ∇·f − ½g²∇·s.
                    var flow = sde.ProbabilityFlowDrift(x, t, s);
                    if (diffusionScale != 1.0) flow = f - g2.unsqueeze(1).Mul(0.5) * s;
                    var continuity = -(divF - g2.Mul(0.5) * divS) - (flow * s).sum(1);
                    var dtP = p * dtLogP;
                    var residual = p * (dtLogP - fp);
                    var continuityResidual = p * (dtLogP - continuity);
                    double dtMax = dtP.abs().max().item<double>(), dtRms = ScalarOps.Square(dtP).mean().sqrt().item<double>();
                    maxDtP = System.Math.Max(maxDtP, dtMax);
                    worstMax = System.Math.Max(worstMax, residual.abs().max().item<double>() / dtMax);
                    worstRms = System.Math.Max(worstRms, ScalarOps.Square(residual).mean().sqrt().item<double>() / dtRms);
                    worstContinuityMax = System.Math.Max(worstContinuityMax, continuityResidual.abs().max().item<double>() / dtMax);
                    worstContinuityRms = System.Math.Max(worstContinuityRms, ScalarOps.Square(continuityResidual).mean().sqrt().item<double>() / dtRms);
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

        /// <summary>
        /// The same check for a general linear SDE with the generated matrix kernel: pₜ = Σₖ wₖ N(Φμₖ, C), C = s²ΦΦᵀ + Σ(t), in closed
        /// form here (its score s = Σₖ rₖuₖ, uₖ = −C⁻¹(x − Φμₖ), and Hessian H = −C⁻¹ + Σₖ rₖuₖuₖᵀ − ssᵀ), from the generated
        /// TransitionMatrix and KernelCovariance; f, ∇·f = tr F, GGᵀ and f̃ are the generated Drift, DriftMatrix, DiffusionMatrix and
        /// ProbabilityFlowDrift. Divided by pₜ: Fokker–Planck ∂ₜlog p = −tr F − f·s + ½tr(GGᵀ(H + ssᵀ)), continuity
        /// ∂ₜlog p = −(tr F − ½tr(GGᵀH)) − f̃·s (GGᵀ does not depend on x).
        /// </summary>
        private static Result RunGeneral(string sdeName, string dataName, int times, int points, long seed, double diffusionScale)
        {
            var start = DateTime.UtcNow;
            var sde = (IGeneralSde)Sde(sdeName);
            bool gmm = dataName == "gmm";
            using var means = gmm ? tensor(new[] { -5.0, -5.0, 5.0, 5.0 }).reshape(2, 2) : tensor(SdeExperiments.DataMean(2)).reshape(1, 2);
            using var logW = gmm ? tensor(new[] { System.Math.Log(0.2), System.Math.Log(0.8) }) : zeros(1, dtype: ScalarType.Float64);
            double s2 = gmm ? 1.0 : SdeExperiments.DataStd * SdeExperiments.DataStd;
            var generator = new Generator((ulong)seed);
            double endTime = sde.EndTime, h = 1e-4 * endTime, tMin = 0.05 * endTime, tMax = 0.95 * endTime;
            double worstMax = 0, worstRms = 0, worstContinuityMax = 0, worstContinuityRms = 0, maxDtP = 0;
            try
            {
                for (int k = 0; k < times; k++)
                {
                    using var scope = NewDisposeScope();
                    double time = tMin + (tMax - tMin) * k / System.Math.Max(1, times - 1);
                    (Tensor Phi, Tensor Cov) Kernel(double at)
                    {
                        using var one = ScalarOps.Full(new long[] { 1 }, at, ScalarType.Float64);
                        var phi = sde.TransitionMatrix(one)[0];
                        return (phi, ScalarOps.Add(phi.matmul(phi.mT).Mul(s2), sde.KernelCovariance(one)[0]));
                    }
                    // Points from pₜ: x = Φx₀ + Σ^{1/2}z with x₀ from the data.
                    var (phiT, _) = Kernel(time);
                    using (var one = ScalarOps.Full(new long[] { 1 }, time, ScalarType.Float64))
                    {
                        var component = gmm ? rand(points, dtype: ScalarType.Float64, generator: generator).Ge(0.2).to_type(ScalarType.Int64) : zeros(points, dtype: ScalarType.Int64);
                        var x0 = ScalarOps.Add(means.index_select(0, component), randn(points, 2, dtype: ScalarType.Float64, generator: generator).Mul(System.Math.Sqrt(s2)));
                        var root = linalg.cholesky(sde.KernelCovariance(one)[0]);
                        var noise = randn(points, 2, dtype: ScalarType.Float64, generator: generator);
                        var xt = ScalarOps.Add(x0.matmul(phiT.mT), noise.matmul(root.mT));
                        RunGeneralAt(sde, xt, time, h, Kernel, means, logW, diffusionScale, ref worstMax, ref worstRms, ref worstContinuityMax, ref worstContinuityRms, ref maxDtP);
                    }
                }
            }
            finally
            {
                (sde as IDisposable)?.Dispose();
            }
            return new Result(sdeName, dataName, 2, times, points, tMin, tMax, h, worstMax, worstRms, worstContinuityMax, worstContinuityRms, maxDtP,
                (DateTime.UtcNow - start).TotalSeconds);
        }

        private static void RunGeneralAt(IGeneralSde sde, Tensor x, double time, double h, Func<double, (Tensor Phi, Tensor Cov)> kernel, Tensor means, Tensor logW,
            double diffusionScale, ref double worstMax, ref double worstRms, ref double worstContinuityMax, ref double worstContinuityRms, ref double maxDtP)
        {
            // Per component: log wₖ + log N(x; Φμₖ, C) and uₖ = −C⁻¹(x − Φμₖ).
            (Tensor LogP, Tensor Score, Tensor Hessian) Density(double at, bool derivatives)
            {
                var (phi, cov) = kernel(at);
                var precision = linalg.inv(cov);
                var centres = means.matmul(phi.mT);                                  // [K, D]
                var diff = x.unsqueeze(1) - centres.unsqueeze(0);                     // [N, K, D]
                var u = -diff.matmul(precision);                                      // [N, K, D] (C⁻¹ symmetric)
                var logN = (diff * u).sum(2).Mul(0.5) - linalg.det(cov.Mul(2 * System.Math.PI)).log().Mul(0.5);
                var logJoint = ScalarOps.Add(logN, logW.unsqueeze(0));
                var logP = logJoint.logsumexp(1);
                if (!derivatives) return (logP, logP, logP);
                var r = (logJoint - logP.unsqueeze(1)).exp().unsqueeze(2);           // [N, K, 1]
                var s = (r * u).sum(1);                                               // [N, D]
                var hessian = ScalarOps.Add(-precision.unsqueeze(0), (r.unsqueeze(3) * u.unsqueeze(3) * u.unsqueeze(2)).sum(1)) - s.unsqueeze(2) * s.unsqueeze(1);
                return (logP, s, hessian);
            }
            var dtLogP = ScalarOps.Add(Density(time - 2 * h, false).LogP - Density(time - h, false).LogP.Mul(8.0), Density(time + h, false).LogP.Mul(8.0)).sub(Density(time + 2 * h, false).LogP).Div(12 * h);
            var (logPt, score, hess) = Density(time, true);
            var p = logPt.exp();
            long n = x.shape[0];
            var t = ScalarOps.Full(new long[] { n }, time, ScalarType.Float64);
            var f = sde.Drift(x, t);
            var divF = sde.DriftMatrix(t).diagonal(0, 1, 2).sum(1);
            var g = sde.DiffusionMatrix(x, t).Mul(diffusionScale);
            var ggT = g.matmul(g.mT);                                                 // [N, D, D]
            var outer = ScalarOps.Add(hess, score.unsqueeze(2) * score.unsqueeze(1));
            var fp = ScalarOps.Add(-divF - (f * score).sum(1), (ggT * outer).sum(new long[] { 1, 2 }).Mul(0.5));
            var flow = diffusionScale == 1.0 ? sde.ProbabilityFlowDrift(x, t, score) : f - ggT.matmul(score.unsqueeze(2)).squeeze(2).Mul(0.5);
            var continuity = -(divF - (ggT * hess).sum(new long[] { 1, 2 }).Mul(0.5)) - (flow * score).sum(1);
            var dtP = p * dtLogP;
            var residual = p * (dtLogP - fp);
            var continuityResidual = p * (dtLogP - continuity);
            double dtMax = dtP.abs().max().item<double>(), dtRms = ScalarOps.Square(dtP).mean().sqrt().item<double>();
            maxDtP = System.Math.Max(maxDtP, dtMax);
            worstMax = System.Math.Max(worstMax, residual.abs().max().item<double>() / dtMax);
            worstRms = System.Math.Max(worstRms, ScalarOps.Square(residual).mean().sqrt().item<double>() / dtRms);
            worstContinuityMax = System.Math.Max(worstContinuityMax, continuityResidual.abs().max().item<double>() / dtMax);
            worstContinuityRms = System.Math.Max(worstContinuityRms, ScalarOps.Square(continuityResidual).mean().sqrt().item<double>() / dtRms);
        }

        /// <summary>log pₜ(x) = log p̃(x/m; √v/m) − D log m from the generated kernel m(t), v(t) and the generated mixture log-density.</summary>
        public static Tensor LogDensity(ISde sde, PerturbedGaussianMixture data, Tensor x, double time)
        {
            using var scope = NewDisposeScope();
            double m = sde.MeanCoefficientAt(time), v = sde.MarginalVarianceAt(time);
            var sigma = ScalarOps.Full(new long[] { x.shape[0] }, System.Math.Sqrt(v) / m, ScalarType.Float64);
            return data.LogProb(x.Div(m), sigma).Sub(x.shape[1] * System.Math.Log(m)).MoveToOuterDisposeScope();
        }

        /// <summary>Points from pₜ: xₜ = m(t)x₀ + √v(t)z with x₀ from the data (Gaussian N(μ, 0.5²I) or the 0.2/0.8 mixture at (∓5, ∓5)).</summary>
        private static Tensor SampleMarginal(ISde sde, string dataName, double time, int n, int dim, Generator generator)
        {
            using var scope = NewDisposeScope();
            Tensor x0;
            if (dataName == "gmm")
            {
                var minor = rand(n, dtype: ScalarType.Float64, generator: generator).Lt(0.2).to_type(ScalarType.Float64).unsqueeze(1);
                var centre = ScalarOps.RSub(1.0, minor.Mul(2.0)).Mul(5.0);
                x0 = ScalarOps.Add(randn(n, dim, dtype: ScalarType.Float64, generator: generator), centre);
            }
            else
            {
                x0 = ScalarOps.Add(randn(n, dim, dtype: ScalarType.Float64, generator: generator).Mul(SdeExperiments.DataStd), tensor(SdeExperiments.DataMean(dim)));
            }
            var z = randn(n, dim, dtype: ScalarType.Float64, generator: generator);
            return ScalarOps.Add(x0.Mul(sde.MeanCoefficientAt(time)), z.Mul(System.Math.Sqrt(sde.MarginalVarianceAt(time)))).MoveToOuterDisposeScope();
        }
    }
}
