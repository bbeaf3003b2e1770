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
        /// <summary>What a bound run's figures need besides its rows: names, D, ε, the decoder term, Z, the predicted gap (perturbed score) and the kind of score.</summary>
        public sealed record ElboInfo(string Sde, string Data, string Score, int Dim, double Epsilon, double DecoderTerm, double ImportanceNormalizer, double? Gap, bool Checkpoint, bool Digits = false);

        /// <summary>
        /// One block of a bound run: [rows, 3] float64 (bound, −log p_ε(x_ε), log p_T(x_T)/π(x_T); a checkpoint's run has the bound alone, [rows, 1]),
        /// the ODE NLL/D of its rows below the ODE points (or null), the block's ODE NFE and seconds.
        /// </summary>
        public sealed record ElboRows(Tensor Rows, Tensor? OdeNll, int OdeNfe, double Seconds, ElboInfo Info) : IDisposable
        {
            /// <inheritdoc/>
            public void Dispose() { Rows.Dispose(); OdeNll?.Dispose(); }
        }

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
            using var rows = KnownRows(sdeName, dataName, perturbed, samples, seed, 0, samples, seed, odePoints, draws, controlVariate, antithetic);
            return Summarise(rows.Rows, rows.OdeNll, new[] { rows.OdeNfe }, rows.Seconds, rows.Info);
        }

        /// <summary>
        /// Rows [start, start + count) of a bound run on the known data (rows of one global draw seeded by <paramref name="seed"/>, so row i
        /// is the same point in every block): per row the bound, −log p_ε(x_ε), log p_T(x_T) − log π(x_T) and, for rows below
        /// <paramref name="odePoints"/>, the probability-flow NLL per dimension. <paramref name="blockSeed"/> drives the
        /// bound's (t, z) draws; the control variate is fitted to the block's rows.
        /// </summary>
        public static ElboRows KnownRows(string sdeName, string dataName, bool perturbed, int samples, long seed, int start, int count, long blockSeed, int odePoints = 200, int draws = 1,
            bool controlVariate = true, bool antithetic = true)
        {
            if (!DataNames.Contains(dataName)) throw new ArgumentException("unknown data '" + dataName + "'; valid: " + string.Join(", ", DataNames) + ".", nameof(dataName));
            var clock = Stopwatch.StartNew();
            var sde = Sde(sdeName);
            using var data = dataName == "gmm" ? SdeExperiments.MixtureData() : SdeExperiments.GaussianData(2);
            var score = ExactScore(data, sde, perturbed);
            using var scope = NewDisposeScope();
            var generator = new Generator((ulong)seed);
            var x0All = SampleData(dataName, samples, generator);
            // The prediction per point: −log p_ε(x_ε) + log p_T(x_T) − log π(x_T), x_ε and x_T from the kernel of x₀ (fresh draws).
            double endTime = sde.EndTime;
            var xEps = Perturb(sde, x0All, Epsilon, generator).narrow(0, start, count);
            var xT = Perturb(sde, x0All, endTime, generator).narrow(0, start, count);
            var x0 = x0All.narrow(0, start, count);
            using var bound = LikelihoodBound.Estimate(sde, score, x0, new LikelihoodBoundOptions
            {
                Epsilon = Epsilon, Seed = blockSeed + 1, Draws = draws, ControlVariate = controlVariate, Antithetic = antithetic,
            });
            var exactNll = FokkerPlanckExperiment.LogDensity(sde, data, xEps, Epsilon).neg();
            var mismatch = FokkerPlanckExperiment.LogDensity(sde, data, xT, endTime) - sde.PriorLogProb(xT);
            var (ode, odeNfe) = OdeRows(sde, score, x0, start, odePoints, 1e-5, DivergenceEstimator.Exact);
            var rows = stack(new[] { bound.Bound.to_type(ScalarType.Float64), exactNll.to_type(ScalarType.Float64), mismatch.to_type(ScalarType.Float64) }, 1).cpu().contiguous();
            var info = new ElboInfo(sdeName, dataName, perturbed ? "perturbed" : "exact", 2, Epsilon, bound.DecoderTerm, bound.ImportanceNormalizer, perturbed ? 0.5 * Perturbation.Sum(c => c * c) * IntegratedSquaredDiffusion(sde, Epsilon, endTime) : null, false);
            return new ElboRows(rows.MoveToOuterDisposeScope(), ode?.MoveToOuterDisposeScope(), odeNfe, clock.Elapsed.TotalSeconds, info);
        }

        /// <summary>
        /// The figures of a bound run from its rows (every block's, joined; see <see cref="KnownRows"/>): the bound's mean and standard
        /// error, the prediction and the z-score of the difference for the known scores, the ODE NLL over the rows that have one.
        /// </summary>
        public static Result Summarise(Tensor rows, Tensor? odeNllRows, int[] odeNfe, double seconds, ElboInfo info)
        {
            using var scope = NewDisposeScope();
            int samples = (int)rows.shape[0], dim = info.Dim;
            var bound = rows.select(1, 0);
            double boundMean = bound.mean().ToDoubleValue();
            double boundSe = samples > 1 ? bound.std().ToDoubleValue() / System.Math.Sqrt(samples) : double.NaN;
            int used = odeNllRows is null ? 0 : (int)odeNllRows.shape[0];
            double odeNll = used > 0 ? odeNllRows!.mean().ToDoubleValue() : double.NaN;
            double Bits(double nats) => info.Digits ? Diffusion.Ddpm.BitsPerDimension(nats, 2.0 / 16) : nats / System.Math.Log(2);
            double? exactPerDim = null, mismatchPerDim = null, predicted = null, differenceSe = null, z = null;
            if (!info.Checkpoint)
            {
                var exactNll = rows.select(1, 1);
                var mismatch = rows.select(1, 2);
                double gap = info.Gap ?? 0;
                var difference = bound - exactNll - mismatch;
                double meanDifference = difference.mean().ToDoubleValue() - gap;
                double se = difference.std().ToDoubleValue() / System.Math.Sqrt(samples);
                exactPerDim = exactNll.mean().ToDoubleValue() / dim;
                mismatchPerDim = mismatch.mean().ToDoubleValue() / dim;
                predicted = exactPerDim + mismatchPerDim + gap / dim;
                differenceSe = se / dim;
                z = meanDifference / se;
            }
            return new Result(info.Sde, info.Data, info.Score, samples, dim, info.Epsilon, boundMean / dim, boundSe / dim,
                exactPerDim, mismatchPerDim, info.Gap is double g ? g / dim : null, predicted, differenceSe, z,
                odeNll, used, odeNfe.Length == 0 ? 0 : odeNfe.Max(), Bits(boundMean / dim), Bits(odeNll), info.DecoderTerm / dim, info.ImportanceNormalizer, seconds);
        }

        /// <summary>
        /// The bound of a network trained by `dsl score-sde` (its checkpoint, loaded with the EMA weights as the command leaves them) on
        /// fresh data from the distribution it was trained on, next to the ODE NLL. Toy data: bits/dim = nats/ln 2 (continuous data);
        /// digits: 17 grey levels, + 3 bits (as `dsl score-sde`).
        /// </summary>
        public static Result RunCheckpoint(string path, int samples = 2000, long seed = 0, int odePoints = 200, int draws = 1)
        {
            int total = CheckpointRowCount(path, samples, seed);
            using var rows = CheckpointRows(path, samples, seed, 0, total, seed, odePoints, draws);
            return Summarise(rows.Rows, rows.OdeNll, new[] { rows.OdeNfe }, rows.Seconds, rows.Info);
        }

        /// <summary>The rows a checkpoint's bound runs on (<see cref="CheckpointData"/>: at most <paramref name="samples"/>).</summary>
        public static int CheckpointRowCount(string path, int samples, long seed)
        {
            var (config, _, _) = ScoreSdeExperiments.Load(path, seed);
            using var scope = NewDisposeScope();
            return (int)CheckpointData(config, samples, seed).X0.shape[0];
        }

        /// <summary>
        /// The evaluation rows of a checkpoint's bound (one draw seeded by <paramref name="seed"/>, so row i is the same point in every block):
        /// held-out digits, a toy's fresh draws, or rows of the data file it was trained on, standardised as recorded; and Σⱼ log stdⱼ of
        /// that standardisation (0 without one), which turns a standardised −log p back into data units.
        /// </summary>
        private static (Tensor X0, double LogScale) CheckpointData(ScoreSdeConfig config, int samples, long seed)
        {
            if (config.IsDigits)
            {
                using var all = Digits.Images(PixelScale.Symmetric);
                return (all.index_select(0, randperm(Digits.Count, generator: new Generator((ulong)seed + 7)).narrow(0, 0, System.Math.Min(samples, Digits.Count))), 0);
            }
            // A toy's fresh draws, or (a checkpoint trained on a data file) rows of that file, standardised as recorded.
            using var data = GalleryData.Reopen(config.Data, config.Standardize, config.Dim, seed);
            return (data.Evaluation(samples, seed), data.Standardization?.LogScale ?? 0);
        }

        /// <summary>Rows [start, start + count) of a checkpoint's bound run (see <see cref="KnownRows"/>): the bound alone, [rows, 1].</summary>
        public static ElboRows CheckpointRows(string path, int samples, long seed, int start, int count, long blockSeed, int odePoints = 200, int draws = 1)
        {
            var clock = Stopwatch.StartNew();
            var (config, score, sde) = ScoreSdeExperiments.Load(path, seed);
            using var scope = NewDisposeScope();
            var (x0All, logScale) = CheckpointData(config, samples, seed);
            var x0 = x0All.narrow(0, start, count);
            using var bound = LikelihoodBound.Estimate(sde, score, x0, new LikelihoodBoundOptions { Epsilon = ScoreSdeExperiments.TrainEpsilon, Seed = blockSeed + 1, Draws = draws });
            var (ode, odeNfe) = OdeRows(sde, score, x0, start, odePoints, 1e-3, config.IsDigits ? DivergenceEstimator.HutchinsonRademacher : DivergenceEstimator.Exact);
            // In data units: a standardised file's −log p gains Σⱼ log stdⱼ per point (the bound and the ODE NLL alike).
            var rows = bound.Bound.to_type(ScalarType.Float64).cpu().Add(logScale).unsqueeze(1).contiguous();
            ode = ode?.Add(logScale / config.Dim);
            var info = new ElboInfo(config.Sde, config.Data, path, config.Dim, ScoreSdeExperiments.TrainEpsilon, bound.DecoderTerm, bound.ImportanceNormalizer, null, true, config.IsDigits);
            return new ElboRows(rows.MoveToOuterDisposeScope(), ode?.MoveToOuterDisposeScope(), odeNfe, clock.Elapsed.TotalSeconds, info);
        }

        /// <summary>
        /// The probability-flow NLL per dimension (RK45 at rtol = atol = <paramref name="tolerance"/>, from ε) of the block's rows whose
        /// global index is below <paramref name="points"/> ([used] float64, or null when there are none) and the solve's NFE (0 when none).
        /// </summary>
        private static (Tensor? Nll, int Nfe) OdeRows(ISde sde, ITimeScoreModel score, Tensor x0, int start, int points, double tolerance, DivergenceEstimator divergence)
        {
            int used = (int)System.Math.Clamp(points - start, 0, x0.shape[0]);
            if (used == 0) return (null, 0);
            using var x = x0.narrow(0, 0, used);
            using var ode = ProbabilityFlow.LogLikelihood(sde, score, x, new LikelihoodOptions
            {
                Epsilon = Epsilon, Divergence = divergence, Ode = new OdeOptions { RelativeTolerance = tolerance, AbsoluteTolerance = tolerance },
            });
            return (ode.LogLikelihood.to_type(ScalarType.Float64).cpu().neg().Div(x0.shape[1]), ode.FunctionEvaluations);
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
