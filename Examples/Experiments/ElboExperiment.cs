using System;
using System.Diagnostics;
using System.Linq;
using Dsl.Models;
using Dsl.Models.Data;
using Dsl.Sde;
using Dsl.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Examples.Experiments
{
    /// <summary>
    /// `dsl elbo`: the continuous-time likelihood bound (<see cref="LikelihoodBound"/>) of a score on the VP, VE or sub-VP SDE, next to the
    /// probability-flow NLL (<see cref="ProbabilityFlow.LogLikelihood"/>). For the exact score of Gaussian or mixture data
    /// (<see cref="TimeScores.FromPerturbedData"/>) and for that score plus a constant c, the bound is compared with its prediction: per
    /// data point x₀ the exact score's bound has expectation E_{x_ε|x₀}[−log p_ε(x_ε)] + E_{x_T|x₀}[log p_T(x_T) − log π(x_T)], estimated
    /// here by one draw of x_ε and one of x_T per point with the closed-form p_ε and p_T (the data convolved with the generated kernel);
    /// averaged over the data, s + c adds ½‖c‖²∫_ε^T g² dt (closed form per SDE). All in float64.
    /// </summary>
    public static class ElboExperiment
    {
        /// <summary>The SDE names the command takes.</summary>
        public static readonly string[] SdeNames = { "vp", "ve", "subvp" };

        /// <summary>The data names the command takes.</summary>
        public static readonly string[] DataNames = { "gaussian", "gmm" };

        /// <summary>The constant c added to the exact score for `--score perturbed`.</summary>
        public static readonly double[] Perturbation = { 0.3, -0.2 };

        /// <summary>The truncation ε of the bound and the ODE (score_sde's 1e-5).</summary>
        public const double Epsilon = 1e-5;

        /// <summary>The figures of one run, per dimension in nats unless named otherwise. Predicted, ExactNll, PriorMismatch, GapPredicted and Z are null for a network.</summary>
        public sealed record Result(string Sde, string Data, string Score, int Samples, int Dim, double Epsilon,
            double BoundNatsPerDim, double StandardError, double? ExactNllNatsPerDim, double? PriorMismatchNatsPerDim, double? GapPredicted,
            double? PredictedNatsPerDim, double? DifferenceStandardError, double? Z, double OdeNllNatsPerDim, int OdePoints, int OdeNfe,
            double BoundBitsPerDim, double OdeBitsPerDim, double DecoderTermNatsPerDim, double ImportanceNormalizer, double Seconds);

        /// <summary>VP and sub-VP with β 0.1 → 20; VE with σ 0.01 → 20 (about the largest distance between the mixture's points).</summary>
        public static ISde Sde(string name) => name switch
        {
            "vp" => new VpSde(),
            "subvp" => new SubVpSde(),
            "ve" => new VeSde { SigmaMin = 0.01, SigmaMax = 20 },
            _ => throw new ArgumentException("unknown SDE '" + name + "'; valid: " + string.Join(", ", SdeNames) + ".", nameof(name)),
        };

        /// <summary>
        /// ∫_a^b g(t)² dt in closed form: VP β: B(b) − B(a) with B(t) = β_min t + ½(β_max − β_min)t²; sub-VP β(1 − e^{−2B}):
        /// [B + ½e^{−2B}]_a^b; VE d σ(t)²/dt: σ(b)² − σ(a)² with σ(t) = σ_min(σ_max/σ_min)^t.
        /// </summary>
        public static double IntegratedSquaredDiffusion(ISde sde, double a, double b)
        {
            static double B(double bmin, double bmax, double t) => bmin * t + 0.5 * (bmax - bmin) * t * t;
            switch (sde)
            {
                case VpSde vp: return B(vp.BetaMin, vp.BetaMax, b) - B(vp.BetaMin, vp.BetaMax, a);
                case SubVpSde sub:
                    double F(double t) { double x = B(sub.BetaMin, sub.BetaMax, t); return x + 0.5 * System.Math.Exp(-2 * x); }
                    return F(b) - F(a);
                case VeSde ve:
                    double S2(double t) => System.Math.Pow(ve.SigmaMin * System.Math.Pow(ve.SigmaMax / ve.SigmaMin, t), 2);
                    return S2(b) - S2(a);
                default: throw new ArgumentException("no closed-form ∫g² for " + sde.SdeName + ".", nameof(sde));
            }
        }

        /// <summary>The Gaussian data's H(p_ε)/D + KL(p_T‖π)/D in closed form (the bound of the exact score averaged over x₀ ~ p₀): p_t = N(m μ, (m²·0.5² + v)I), π = N(0, v(T)I).</summary>
        public static double GaussianEntropyPlusPriorKl(ISde sde)
        {
            double tau2 = SdeExperiments.DataStd * SdeExperiments.DataStd;
            var mu = SdeExperiments.DataMean(2);
            double mE = sde.MeanCoefficientAt(Epsilon), vE = sde.MarginalVarianceAt(Epsilon);
            double mT = sde.MeanCoefficientAt(sde.EndTime), vT = sde.MarginalVarianceAt(sde.EndTime);
            double entropy = 0.5 * System.Math.Log(2 * System.Math.PI * System.Math.E * (mE * mE * tau2 + vE));
            double ratio = (mT * mT * tau2 + vT) / vT;
            double kl = 0.5 * (ratio - 1 - System.Math.Log(ratio)) + mT * mT * mu.Sum(m => m * m) / (2 * vT * 2);
            return entropy + kl;
        }

        /// <summary>n draws from the data: N(μ, 0.5²I) in 2D, or 0.2·N((−5,−5), I) + 0.8·N((5,5), I) (float64).</summary>
        public static Tensor SampleData(string dataName, int n, Generator generator)
        {
            using var scope = NewDisposeScope();
            if (dataName == "gmm")
            {
                var minor = rand(n, dtype: ScalarType.Float64, generator: generator).Lt(0.2).to_type(ScalarType.Float64).unsqueeze(1);
                var centre = ScalarOps.RSub(1.0, minor.Mul(2.0)).Mul(5.0);
                return ScalarOps.Add(randn(n, 2, dtype: ScalarType.Float64, generator: generator), centre).MoveToOuterDisposeScope();
            }
            return ScalarOps.Add(randn(n, 2, dtype: ScalarType.Float64, generator: generator).Mul(SdeExperiments.DataStd), tensor(SdeExperiments.DataMean(2))).MoveToOuterDisposeScope();
        }

        /// <summary>The exact score of the data's time marginals, plus c when <paramref name="perturbed"/> (the divergence is unchanged by a constant).</summary>
        public static ITimeScoreDivergenceModel ExactScore(PerturbedGaussianMixture data, ISde sde, bool perturbed)
        {
            var exact = TimeScores.FromPerturbedData(data, sde);
            return perturbed ? new Shifted(exact, Perturbation) : exact;
        }

        /// <summary>
        /// The bound of the exact (or perturbed) score on <paramref name="samples"/> data points, its predicted value and the z-score of the
        /// difference, and the ODE NLL of the first <paramref name="odePoints"/> points.
        /// </summary>
        public static Result RunKnown(string sdeName, string dataName, bool perturbed, int samples = 4000, long seed = 0, int odePoints = 200, int draws = 1,
            bool controlVariate = true, bool antithetic = true)
        {
            if (!DataNames.Contains(dataName)) throw new ArgumentException("unknown data '" + dataName + "'; valid: " + string.Join(", ", DataNames) + ".", nameof(dataName));
            var clock = Stopwatch.StartNew();
            var sde = Sde(sdeName);
            using var data = dataName == "gmm" ? SdeExperiments.MixtureData() : SdeExperiments.GaussianData(2);
            var score = ExactScore(data, sde, perturbed);
            using var scope = NewDisposeScope();
            var generator = new Generator((ulong)seed);
            var x0 = SampleData(dataName, samples, generator);
            using var bound = LikelihoodBound.Estimate(sde, score, x0, new LikelihoodBoundOptions
            {
                Epsilon = Epsilon, Seed = seed + 1, Draws = draws, ControlVariate = controlVariate, Antithetic = antithetic,
            });
            // The prediction per point: −log p_ε(x_ε) + log p_T(x_T) − log π(x_T), x_ε and x_T from the kernel of x₀ (fresh draws).
            double endTime = sde.EndTime;
            var xEps = Perturb(sde, x0, Epsilon, generator);
            var xT = Perturb(sde, x0, endTime, generator);
            var exactNll = FokkerPlanckExperiment.LogDensity(sde, data, xEps, Epsilon).neg();
            var mismatch = FokkerPlanckExperiment.LogDensity(sde, data, xT, endTime) - sde.PriorLogProb(xT);
            double gap = perturbed ? 0.5 * Perturbation.Sum(c => c * c) * IntegratedSquaredDiffusion(sde, Epsilon, endTime) : 0;
            var difference = bound.Bound - exactNll - mismatch;
            const int dim = 2;
            double meanDifference = difference.mean().ToDoubleValue() - gap;
            double differenceSe = difference.std().ToDoubleValue() / System.Math.Sqrt(samples);
            double exactPerDim = exactNll.mean().ToDoubleValue() / dim, mismatchPerDim = mismatch.mean().ToDoubleValue() / dim;
            var (odeNll, odeNfe, used) = Ode(sde, score, x0, odePoints, 1e-5, DivergenceEstimator.Exact);
            return new Result(sdeName, dataName, perturbed ? "perturbed" : "exact", samples, dim, Epsilon, bound.MeanNatsPerDim, bound.StandardErrorNatsPerDim,
                exactPerDim, mismatchPerDim, perturbed ? gap / dim : null, exactPerDim + mismatchPerDim + gap / dim, differenceSe / dim, meanDifference / differenceSe,
                odeNll, used, odeNfe, bound.MeanNatsPerDim / System.Math.Log(2), odeNll / System.Math.Log(2), bound.DecoderTerm / dim, bound.ImportanceNormalizer,
                clock.Elapsed.TotalSeconds);
        }

        /// <summary>
        /// The bound of a network trained by `dsl score-sde` (its checkpoint, loaded with the EMA weights as the command leaves them) on
        /// fresh data from the distribution it was trained on, next to the ODE NLL. Toy data: bits/dim = nats/ln 2 (continuous data);
        /// digits: 17 grey levels, + 3 bits (as `dsl score-sde`).
        /// </summary>
        public static Result RunCheckpoint(string path, int samples = 2000, long seed = 0, int odePoints = 200, int draws = 1)
        {
            var clock = Stopwatch.StartNew();
            var (config, score, sde) = ScoreSdeExperiments.Load(path, seed);
            using var scope = NewDisposeScope();
            Tensor x0;
            double logScale = 0;
            if (config.IsDigits)
            {
                using var all = Digits.Images(PixelScale.Symmetric);
                x0 = all.index_select(0, randperm(Digits.Count, generator: new Generator((ulong)seed + 7)).narrow(0, 0, System.Math.Min(samples, Digits.Count)));
            }
            else
            {
                // A toy's fresh draws, or (a checkpoint trained on a data file) rows of that file, standardised as recorded.
                using var data = GalleryData.Reopen(config.Data, config.Standardize, config.Dim, seed);
                x0 = data.Evaluation(samples, seed);
                logScale = data.Standardization?.LogScale ?? 0;
            }
            using var bound = LikelihoodBound.Estimate(sde, score, x0, new LikelihoodBoundOptions { Epsilon = ScoreSdeExperiments.TrainEpsilon, Seed = seed + 1, Draws = draws });
            var (odeNll, odeNfe, used) = Ode(sde, score, x0, odePoints, 1e-3, config.IsDigits ? DivergenceEstimator.HutchinsonRademacher : DivergenceEstimator.Exact);
            int dim = config.Dim;
            // In data units: a standardised file's −log p gains Σⱼ log stdⱼ per point (the bound and the ODE NLL alike).
            double boundNats = bound.MeanNatsPerDim + logScale / dim;
            odeNll += logScale / dim;
            double Bits(double nats) => config.IsDigits ? Diffusion.Ddpm.BitsPerDimension(nats, 2.0 / 16) : nats / System.Math.Log(2);
            return new Result(config.Sde, config.Data, path, (int)x0.shape[0], dim, ScoreSdeExperiments.TrainEpsilon, boundNats, bound.StandardErrorNatsPerDim,
                null, null, null, null, null, null, odeNll, used, odeNfe, Bits(boundNats), Bits(odeNll), bound.DecoderTerm / dim, bound.ImportanceNormalizer,
                clock.Elapsed.TotalSeconds);
        }

        /// <summary>The probability-flow NLL per dimension of the first <paramref name="points"/> rows (RK45 at rtol = atol = <paramref name="tolerance"/>, from ε); NaN for 0 points.</summary>
        private static (double NatsPerDim, int Nfe, int Points) Ode(ISde sde, ITimeScoreModel score, Tensor x0, int points, double tolerance, DivergenceEstimator divergence)
        {
            if (points <= 0) return (double.NaN, 0, 0);
            int used = (int)System.Math.Min(points, x0.shape[0]);
            using var x = x0.narrow(0, 0, used);
            using var ode = ProbabilityFlow.LogLikelihood(sde, score, x, new LikelihoodOptions
            {
                Epsilon = Epsilon, Divergence = divergence, Ode = new OdeOptions { RelativeTolerance = tolerance, AbsoluteTolerance = tolerance },
            });
            return (-ode.LogLikelihood.mean().ToDoubleValue() / x0.shape[1], ode.FunctionEvaluations, used);
        }

        private static Tensor Perturb(ISde sde, Tensor x0, double time, Generator generator)
        {
            using var t = ScalarOps.Full(new long[] { x0.shape[0] }, time, x0.dtype, x0.device);
            using var z = empty_like(x0).normal_(0, 1, generator: generator);
            return sde.Perturb(x0, t, z);
        }

        /// <summary>s(x, t) + c for a constant c (same divergence).</summary>
        private sealed class Shifted : ITimeScoreDivergenceModel
        {
            private readonly ITimeScoreDivergenceModel inner;
            private readonly double[] shift;
            public Shifted(ITimeScoreDivergenceModel inner, double[] shift) { this.inner = inner; this.shift = shift; }
            public string ModelName => inner.ModelName + " + c";
            public int Dim => inner.Dim;
            public Tensor Score(Tensor x, Tensor t)
            {
                using var c = tensor(shift, dtype: x.dtype, device: x.device);
                using var s = inner.Score(x, t);
                return ScalarOps.Add(s, c);
            }
            public Tensor ScoreDivergence(Tensor x, Tensor t) => inner.ScoreDivergence(x, t);
        }
    }
}
