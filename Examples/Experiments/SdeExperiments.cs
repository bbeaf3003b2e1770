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

    /// <summary>
    /// One block of a sampling run: the samples [n, D] (float64, CPU), the score evaluations, the seconds, the first coordinate of the
    /// first (at most 12) chains at the recorded steps ([chains, steps], or null for a sampler that records none) and whether it was cut short.
    /// </summary>
    public sealed record SdeSampleBlock(Tensor Samples, int Nfe, double Seconds, Tensor? Trajectory, bool Cancelled) : IDisposable
    {
        /// <inheritdoc/>
        public void Dispose()
        {
            Samples.Dispose();
            Trajectory?.Dispose();
        }
    }

    /// <summary>One block of a likelihood run: [n, 5] float64 rows (see <see cref="SdeExperiments.LikelihoodBlock"/>), the NFE and the seconds.</summary>
    public sealed record LikelihoodBlockRun(Tensor Rows, int Nfe, double Seconds) : IDisposable
    {
        /// <inheritdoc/>
        public void Dispose() => Rows.Dispose();
    }

    /// <summary>The outcome of a likelihood run on Gaussian data.</summary>
    /// <remarks>
    /// Two targets. <see cref="ExactNllNatsPerDim"/> is −log p_ε(x) (per dimension, averaged over x), what the ODE would give
    /// with a prior equal to p_T; <see cref="AbsErrNatsPerDim"/> is measured against it and so includes the prior gap
    /// log π(x_T) − log p_T(x_T) (a random quantity, its mean in <see cref="PriorGapNatsPerDim"/>, of order 1e-4 nats/dim for VE
    /// here, with a sampling spread in <see cref="StandardErrorNatsPerDim"/>). The ODE's own exact value is
    /// log π(Φ(x)) + log p_ε(x) − log p_T(Φ(x)) with Φ the exact flow map, affine for Gaussian data:
    /// Φ(x) − m_T μ = (σ_T/σ_ε)(x − m_ε μ), σ_t² = m_t² s² + v_t; the solver's error <see cref="OdeErrNatsPerDim"/> and
    /// <see cref="OdeMeanAbsErrNatsPerDim"/> are measured against that.
    /// </remarks>
    public sealed record LikelihoodRun(string Sde, string Estimator, int N, int Dim, double NllNatsPerDim, double ExactNllNatsPerDim, double AbsErrNatsPerDim,
        double StandardErrorNatsPerDim, double BitsPerDim, int Nfe, double Seconds)
    {
        /// <summary>|mean over x of (log p̂(x) − ODE-exact(x))| / D: the solver's error in nats/dim.</summary>
        public double OdeErrNatsPerDim { get; init; }

        /// <summary>mean over x of |log p̂(x) − ODE-exact(x)| / D.</summary>
        public double OdeMeanAbsErrNatsPerDim { get; init; }

        /// <summary>
        /// mean over x of the error the tolerances ask for on the final state, carried to log p̂ (per dimension):
        /// (atol + rtol·|Δ|) for the accumulator Δ plus Σᵢ |∂log π/∂xᵢ|(atol + rtol·|x_T,i|) for the latent, at the exact values.
        /// </summary>
        public double ToleranceNatsPerDim { get; init; }

        /// <summary>mean over x of (log π(Φ(x)) − log p_T(Φ(x))) / D: how far the ODE's exact value is from log p_ε (signed).</summary>
        public double PriorGapNatsPerDim { get; init; }
    }

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
        public static SdeSampleBlock SampleBlock(string sdeName, string sampler, string dataName, int n = 2000, int dim = 2, int steps = 1000, long seed = 0,
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
            var samples = result.Samples.to_type(ScalarType.Float64).cpu().clone();
            // The first coordinate of the first (at most 12) chains along reverse time, [chains, recorded steps], for the trajectory plot.
            var trajectory = result.Trajectory is null ? null
                : result.Trajectory.select(2, 0).narrow(1, 0, System.Math.Min(12, n)).t().to_type(ScalarType.Float64).cpu().contiguous();
            return new SdeSampleBlock(samples, result.FunctionEvaluations, result.Elapsed.TotalSeconds, trajectory, result.Cancelled);
        }

        /// <summary>
        /// The samples' mean and standard deviation per coordinate beside the truth p_ε (the data perturbed for time ε = 1e-3, m(ε) ≈ 1,
        /// v(ε) ≈ 0 but kept exact), and for the mixture the weight of the minor mode (x₁ + x₂ &lt; 0; the truth is 0.2).
        /// </summary>
        public static (double[] Mean, double[] Std, double[] TrueMean, double[] TrueStd, double? MinorModeWeight) SampleStatistics(string sdeName, string dataName, int dim, Tensor x)
        {
            const double eps = 1e-3;
            var sde = Sde(sdeName);
            bool gmm = dataName == "gmm";
            if (gmm) dim = 2;
            using var scope = NewDisposeScope();
            var mean = x.mean(new long[] { 0 }).data<double>().ToArray();
            var std = x.std(0L).data<double>().ToArray();
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
            return (mean, std, trueMean, trueStd, minor);
        }

        /// <summary>
        /// One sampling run of n chains (<see cref="SampleBlock"/>) and its statistics (<see cref="SampleStatistics"/>): the tests' and
        /// the tour's entry point; the gallery runs blocks of chains through the same two.
        /// </summary>
        public static SdeSampleRun Sample(string sdeName, string sampler, string dataName, int n = 2000, int dim = 2, int steps = 1000, long seed = 0,
            IProgress<SamplerProgress>? progress = null, CancellationToken cancellation = default, OdeMethod odeMethod = OdeMethod.Rk45,
            string gridName = "uniform", double churn = 0, double? correctorStep = null, PcOrder order = PcOrder.CorrectorFirst)
        {
            if (dataName == "gmm") dim = 2;
            using var block = SampleBlock(sdeName, sampler, dataName, n, dim, steps, seed, progress, cancellation, odeMethod, gridName, churn, correctorStep, order);
            var (mean, std, trueMean, trueStd, minor) = SampleStatistics(sdeName, dataName, dim, block.Samples);
            double[][]? trajectory = block.Trajectory is null ? null
                : Enumerable.Range(0, (int)block.Trajectory.shape[1]).Select(k => block.Trajectory.select(1, k).data<double>().ToArray()).ToArray();
            return new SdeSampleRun(sdeName, sampler, dataName, n, dim, mean, std, trueMean, trueStd, minor, block.Nfe, block.Seconds,
                Column(block.Samples, 0), dim > 1 ? Column(block.Samples, 1) : new double[n], trajectory, block.Cancelled);
        }

        /// <summary>
        /// n draws of N(μ, s²I) as float64 [n, dim] from splitmix64 uniforms by Box–Muller: the same bits as the PyTorch peer
        /// Bench/peers/w6_likelihood.py draws for the same seed, so the two solve the same problem.
        /// </summary>
        public static Tensor GaussianSample(int n, int dim, long seed)
        {
            var values = new double[n * dim];
            ulong state = unchecked((ulong)seed);
            double Uniform()
            {
                state = unchecked(state + 0x9E3779B97F4A7C15UL);
                ulong z = state;
                z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
                z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
                z ^= z >> 31;
                return ((z >> 11) + 0.5) * (1.0 / (1UL << 53));
            }
            var mu = DataMean(dim);
            for (int k = 0; k < values.Length; k++)
            {
                double u1 = Uniform(), u2 = Uniform();
                values[k] = mu[k % dim] + DataStd * System.Math.Sqrt(-2 * System.Math.Log(u1)) * System.Math.Cos(2 * System.Math.PI * u2);
            }
            return tensor(values, new long[] { n, dim }, ScalarType.Float64);
        }

        /// <summary>
        /// Exact log-likelihood of Gaussian data by the probability-flow ODE, against the analytic log p_ε and against the ODE's
        /// exact value (see <see cref="LikelihoodRun"/>). The data are <see cref="GaussianSample"/> (float64, or cast to
        /// <paramref name="dtype"/>, the score model's dtype: the solver's state stays float64 either way).
        /// </summary>
        public static LikelihoodRun Likelihood(string sdeName, int dim = 2, DivergenceEstimator estimator = DivergenceEstimator.Exact, int n = 500, long seed = 0,
            double rtol = 1e-5, double atol = 1e-5, ScalarType dtype = ScalarType.Float64)
        {
            using var x64 = GaussianSample(n, dim, seed);
            using var block = LikelihoodBlock(sdeName, x64, estimator, seed + 1, rtol, atol, dtype);
            return LikelihoodSummary(sdeName, estimator, dim, block.Rows, block.Nfe, block.Seconds);
        }

        /// <summary>
        /// The probability-flow log-likelihood of the rows <paramref name="x64"/> (float64, [n, D], drawn by <see cref="GaussianSample"/>),
        /// each beside its two targets: [n, 5] float64 columns log p̂(x), log p_ε(x), the ODE's exact value, the prior gap
        /// log π(Φ(x)) − log p_T(Φ(x)) and the tolerance budget (see <see cref="LikelihoodRun"/>). <paramref name="probeSeed"/> seeds
        /// the Hutchinson probes. The score runs in <paramref name="dtype"/>; the solver's state is float64 either way.
        /// </summary>
        public static LikelihoodBlockRun LikelihoodBlock(string sdeName, Tensor x64, DivergenceEstimator estimator, long probeSeed,
            double rtol = 1e-5, double atol = 1e-5, ScalarType dtype = ScalarType.Float64)
        {
            int dim = (int)x64.shape[1];
            var sde = Sde(sdeName);
            var data = GaussianData(dim);
            if (dtype != ScalarType.Float64) data.to(dtype);
            var score = TimeScores.FromPerturbedData(data, sde);
            using var scope = NewDisposeScope();
            var x = x64.to_type(dtype);
            var options = new LikelihoodOptions
            {
                Ode = new OdeOptions { Method = OdeMethod.Rk45, RelativeTolerance = rtol, AbsoluteTolerance = atol },
                Epsilon = 1e-5, Divergence = estimator, Seed = probeSeed,
            };
            using var result = ProbabilityFlow.LogLikelihood(sde, score, x, options);
            // The analytic log p_ε(x) = log N(x; m_ε μ, σ_ε² I), σ_t² = m_t² s² + v_t, from the data as the model sees them.
            var xe = x.to_type(ScalarType.Float64);
            double me = sde.MeanCoefficientAt(options.Epsilon), mt = sde.MeanCoefficientAt(sde.EndTime);
            double se2 = me * me * DataStd * DataStd + sde.MarginalVarianceAt(options.Epsilon);
            double st2 = mt * mt * DataStd * DataStd + sde.MarginalVarianceAt(sde.EndTime);
            double vPrior = sde.MarginalVarianceAt(sde.EndTime);
            var mu = tensor(DataMean(dim), ScalarType.Float64);
            var centred = xe.sub(mu.Mul(me));
            var exact = ScalarOps.Square(centred).sum(new long[] { 1 }).Div(-2 * se2).Sub(0.5 * dim * System.Math.Log(2 * System.Math.PI * se2));
            // The ODE's exact value: Φ(x) = m_T μ + (σ_T/σ_ε)(x − m_ε μ); Δ = ∫∇·f̃ dt = D log(σ_T/σ_ε); log π(Φ(x)) + Δ.
            var phi = ScalarOps.Add(centred.Mul(System.Math.Sqrt(st2 / se2)), mu.Mul(mt));
            double exactDelta = 0.5 * dim * System.Math.Log(st2 / se2);
            var priorAtPhi = sde.PriorLogProb(phi).to_type(ScalarType.Float64);
            var odeExact = priorAtPhi.Add(exactDelta);
            var logPT = ScalarOps.Square(centred).sum(new long[] { 1 }).Div(-2 * se2).Sub(0.5 * dim * System.Math.Log(2 * System.Math.PI * st2));   // log p_T(Φ(x)): same standardised point
            var gap = priorAtPhi.sub(logPT);
            // What the tolerances ask of the final state, carried to log p̂: (atol + rtol|Δ|) + Σᵢ |xᵢ|/v_π (atol + rtol|xᵢ|) at x = Φ(x).
            var latentBudget = phi.abs().Div(vPrior).mul(phi.abs().Mul(rtol).Add(atol)).sum(new long[] { 1 });
            var budget = latentBudget.Add(atol + rtol * System.Math.Abs(exactDelta));
            var ll = result.LogLikelihood.to_type(ScalarType.Float64);
            var rows = stack(new[] { ll, exact, odeExact, gap, budget }, 1).cpu().contiguous().MoveToOuterDisposeScope();
            return new LikelihoodBlockRun(rows, result.FunctionEvaluations, result.Elapsed.TotalSeconds);
        }

        /// <summary>The figures of a likelihood run from its rows (<see cref="LikelihoodBlock"/>'s [n, 5] columns, all blocks joined).</summary>
        public static LikelihoodRun LikelihoodSummary(string sdeName, DivergenceEstimator estimator, int dim, Tensor rows, int nfe, double seconds)
        {
            using var scope = NewDisposeScope();
            int n = (int)rows.shape[0];
            Tensor Col(int k) => rows.select(1, k);
            var ll = Col(0);
            var perDim = -ll.mean().ToDoubleValue() / dim;
            var exactPerDim = -Col(1).mean().ToDoubleValue() / dim;
            var differences = ll.sub(Col(1)).Div(dim);
            var odeDifferences = ll.sub(Col(2)).Div(dim);
            double se = n > 1 ? differences.std().ToDoubleValue() / System.Math.Sqrt(n) : 0;
            return new LikelihoodRun(sdeName, estimator.ToString(), n, dim, perDim, exactPerDim, System.Math.Abs(perDim - exactPerDim), se,
                ProbabilityFlow.BitsPerDimension(perDim, DataRange.Symmetric), nfe, seconds)
            {
                OdeErrNatsPerDim = System.Math.Abs(odeDifferences.mean().ToDoubleValue()),
                OdeMeanAbsErrNatsPerDim = odeDifferences.abs().mean().ToDoubleValue(),
                ToleranceNatsPerDim = Col(4).mean().ToDoubleValue() / dim,
                PriorGapNatsPerDim = Col(3).mean().ToDoubleValue() / dim,
            };
        }

        private static double[] Column(Tensor t, int c) => t.select(1, c).to_type(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();
    }
}
