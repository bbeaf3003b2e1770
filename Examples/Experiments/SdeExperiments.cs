using System;
using System.Linq;
using System.Threading;
using Dsl.Models;
using Dsl.Sampling;
using Dsl.Sde;
using Dsl.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Examples.Experiments
{
    /// <summary>The outcome of a reverse-time sampling run on data with a known density.</summary>
    public sealed record SdeSampleRun(string Sde, string Sampler, string Data, int N, int Dim, double[] Mean, double[] Std, double[] TrueMean, double[] TrueStd,
        double? MinorModeWeight, int Nfe, double Seconds, double[] Xs, double[] Ys, double[][]? TrajectoryXs, bool Cancelled);

    /// <summary>The outcome of a likelihood run on Gaussian data.</summary>
    public sealed record LikelihoodRun(string Sde, string Estimator, int N, int Dim, double NllNatsPerDim, double ExactNllNatsPerDim, double AbsErrNatsPerDim,
        double StandardErrorNatsPerDim, double BitsPerDim, int Nfe, double Seconds);

    /// <summary>
    /// The SDE experiments of the gallery and the tests: data whose perturbed densities are known exactly (a Gaussian
    /// N(μ, s²I), or Song &amp; Ermon's two-mode mixture), so the exact score of every pₜ comes from the generated
    /// marginals and the generated noise-conditional model: sₜ(x) = s̃(x/m, √v/m)/m.
    /// </summary>
    public static class SdeExperiments
    {
        /// <summary>The data's standard deviation s.</summary>
        public const double DataStd = 0.5;

        /// <summary>The SDE named vp, ve, subvp (also bm, ou, cosine).</summary>
        public static ISde Sde(string name) => name.ToLowerInvariant() switch
        {
            "vp" => new VpSde(), "ve" => new VeSde(), "subvp" => new SubVpSde(), "cosine" => new CosineVpSde(),
            _ => throw new ArgumentException("unknown SDE '" + name + "'; valid: vp, ve, subvp, cosine.", nameof(name)),
        };

        /// <summary>The data mean μᵢ = (−1)ⁱ(0.5 + 0.25i).</summary>
        public static double[] DataMean(int dim) => Enumerable.Range(0, dim).Select(i => (i % 2 == 0 ? 1 : -1) * (0.5 + 0.25 * i)).ToArray();

        /// <summary>Gaussian data N(μ, s²I) as the K = 1 perturbed mixture (float64).</summary>
        public static PerturbedGaussianMixture GaussianData(int dim)
        {
            var data = new PerturbedGaussianMixture(D: dim, K: 1);
            data.to(ScalarType.Float64);
            data.SetParameter("Mu", tensor(DataMean(dim)).reshape(1, dim));
            data.SetParameter("Sigma", tensor(DataStd));
            return data;
        }

        /// <summary>0.2·N((−5,−5), I) + 0.8·N((5,5), I) (float64).</summary>
        public static PerturbedGaussianMixture MixtureData()
        {
            var data = new PerturbedGaussianMixture(D: 2, K: 2);
            data.to(ScalarType.Float64);
            data.SetParameter("Mu", tensor(new[] { -5.0, -5.0, 5.0, 5.0 }).reshape(2, 2));
            data.SetParameter("LogW", tensor(new[] { System.Math.Log(0.2), System.Math.Log(0.8) }));
            data.SetParameter("Sigma", tensor(1.0));
            return data;
        }

        /// <summary>
        /// Reverse-time sampling: em (reverse Euler–Maruyama), pc (reverse diffusion + Langevin corrector: the signal-to-noise step rule
        /// or a fixed step <paramref name="correctorStep"/>, in the given <paramref name="order"/>), ode (probability flow, RK45).
        /// </summary>
        public static SdeSampleRun Sample(string sdeName, string sampler, string dataName, int n = 2000, int dim = 2, int steps = 1000, long seed = 0,
            IProgress<SamplerProgress>? progress = null, CancellationToken cancellation = default, OdeMethod odeMethod = OdeMethod.Rk45,
            string gridName = "uniform", double churn = 0, double? correctorStep = null, PcOrder order = PcOrder.CorrectorFirst)
        {
            var sde = Sde(sdeName);
            bool gmm = dataName == "gmm";
            if (gmm) dim = 2;
            var data = gmm ? MixtureData() : GaussianData(dim);
            var score = TimeScores.FromPerturbedData(data, sde);
            double eps = 1e-3;
            // The fixed-step samplers walk the chosen grid; the uniform grid is what Steps alone gives (the same arithmetic).
            TimeGrid? Grid(int count) => gridName switch
            {
                "uniform" => null,
                "logsnr" => TimeGrid.LogSnr(sde, count, eps),
                "karras" => TimeGrid.Karras(sde, count, eps),
                _ => throw new ArgumentException("unknown grid '" + gridName + "'; valid: uniform, logsnr, karras.", nameof(gridName)),
            };
            int odeSteps = System.Math.Min(steps, 200);
            using var result = sampler switch
            {
                "em" => SdeSolvers.Sample(sde, score, n, new SdeSamplerOptions { Steps = steps, Grid = Grid(steps), Epsilon = eps, Seed = seed, Thin = System.Math.Max(1, steps / 10), Progress = progress, Cancellation = cancellation }, ScalarType.Float64),
                "pc" => SdeSolvers.Sample(sde, score, n, new SdeSamplerOptions { Steps = steps, Grid = Grid(steps), Epsilon = eps, Predictor = Predictor.ReverseDiffusion, Corrector = Corrector.Langevin, Snr = 0.16, CorrectorStepSize = correctorStep, Order = order, Seed = seed, Thin = System.Math.Max(1, steps / 10), Progress = progress, Cancellation = cancellation }, ScalarType.Float64),
                "ode" => odeMethod != OdeMethod.Rk45 && Grid(odeSteps) is TimeGrid odeGrid
                    ? ProbabilityFlow.Sample(sde, score, n, odeGrid, odeMethod, seed, ScalarType.Float64)
                    : ProbabilityFlow.Sample(sde, score, n, new OdeOptions { Method = odeMethod, Steps = odeSteps, RelativeTolerance = 1e-5, AbsoluteTolerance = 1e-5, Cancellation = cancellation }, eps, seed, ScalarType.Float64),
                "heun" => HeunSampler.Sample(sde, score, n, Grid(odeSteps) ?? TimeGrid.Uniform(sde, odeSteps, eps), new HeunOptions { Seed = seed, Churn = churn }, ScalarType.Float64),
                _ => throw new ArgumentException("unknown sampler '" + sampler + "'; valid: em, pc, ode, heun.", nameof(sampler)),
            };
            var x = result.Samples;
            var mean = x.mean(new long[] { 0 }).data<double>().ToArray();
            var std = x.std(0L).data<double>().ToArray();
            // The truth is p_ε: the data perturbed for time ε (m(ε) ≈ 1, v(ε) ≈ 0 but kept exact).
            double m = sde.MeanCoefficientAt(eps), v = sde.MarginalVarianceAt(eps);
            double[] trueMean, trueStd;
            if (gmm)
            {
                trueMean = new[] { m * (0.2 * -5 + 0.8 * 5), m * (0.2 * -5 + 0.8 * 5) };
                double within = m * m + v, between = m * m * (0.2 * 0.8 * 100);
                trueStd = new[] { System.Math.Sqrt(within + between), System.Math.Sqrt(within + between) };
            }
            else
            {
                trueMean = DataMean(dim).Select(mu => m * mu).ToArray();
                trueStd = Enumerable.Repeat(System.Math.Sqrt(m * m * DataStd * DataStd + v), dim).ToArray();
            }
            double? minor = gmm ? (x.select(1, 0).Add(x.select(1, 1)).Lt(0)).to_type(ScalarType.Float64).mean().item<double>() : null;
            double[][]? trajectory = result.Trajectory is null ? null : Enumerable.Range(0, (int)result.Trajectory.shape[0]).Select(i => Column(result.Trajectory[i], 0)).ToArray();
            return new SdeSampleRun(sdeName, sampler, dataName, n, dim, mean, std, trueMean, trueStd, minor, result.FunctionEvaluations, result.Elapsed.TotalSeconds,
                Column(x, 0), dim > 1 ? Column(x, 1) : new double[n], trajectory, result.Cancelled);
        }

        /// <summary>Exact log-likelihood of Gaussian data by the probability-flow ODE, against the analytic log p_ε.</summary>
        public static LikelihoodRun Likelihood(string sdeName, int dim = 2, DivergenceEstimator estimator = DivergenceEstimator.Exact, int n = 500, long seed = 0,
            double rtol = 1e-5, double atol = 1e-5)
        {
            var sde = Sde(sdeName);
            var data = GaussianData(dim);
            var score = TimeScores.FromPerturbedData(data, sde);
            var x = empty(n, dim, dtype: ScalarType.Float64).normal_(0, DataStd, generator: new Generator((ulong)seed)).Add(tensor(DataMean(dim)));
            var options = new LikelihoodOptions
            {
                Ode = new OdeOptions { Method = OdeMethod.Rk45, RelativeTolerance = rtol, AbsoluteTolerance = atol },
                Epsilon = 1e-5, Divergence = estimator, Seed = seed + 1,
            };
            using var result = ProbabilityFlow.LogLikelihood(sde, score, x, options);
            // The analytic log p_ε(x) = log N(x; m(ε)μ, (m(ε)²s² + v(ε))I), from the same generated model at σ̃ = √v/m.
            double m = sde.MeanCoefficientAt(options.Epsilon), v = sde.MarginalVarianceAt(options.Epsilon);
            using var sigma = global::Dsl.ScalarOps.Full(new long[] { n },System.Math.Sqrt(v) / m,ScalarType.Float64);
            using var exact = data.LogProb(x.Div(m), sigma).Sub(dim * System.Math.Log(m));
            var perDim = -result.LogLikelihood.mean().item<double>() / dim;
            var exactPerDim = -exact.mean().item<double>() / dim;
            var differences = (result.LogLikelihood - exact).Div(dim);
            double se = n > 1 ? differences.std().item<double>() / System.Math.Sqrt(n) : 0;
            return new LikelihoodRun(sdeName, estimator.ToString(), n, dim, perDim, exactPerDim, System.Math.Abs(perDim - exactPerDim), se,
                ProbabilityFlow.BitsPerDimension(perDim, DataRange.Symmetric), result.FunctionEvaluations, result.Elapsed.TotalSeconds);
        }

        private static double[] Column(Tensor t, int c) => t.select(1, c).to_type(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();
    }
}
