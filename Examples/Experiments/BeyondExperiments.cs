using System;
using System.Linq;
using Dsl.Diffusion;
using Dsl.Models;
using Dsl.ScoreMatching;
using Dsl.Sde;
using Dsl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Examples.Experiments
{
    /// <summary>
    /// The acceptance cases of docs/beyond-the-lectures.md (conditioning and composition) as runs with figures, for
    /// `dsl beyond --case …` and the tests: a Bayesian posterior from a prior part and a likelihood part against the closed-form
    /// posterior; a conditional Gaussian E(x | y) against its closed form; a time-dependent MLP energy trained by continuous-time
    /// DSM and sampled by the reverse SDE; an equation classifier driving classifier guidance.
    /// </summary>
    public static class BeyondExperiments
    {
        /// <summary>The cases `dsl beyond --case` runs.</summary>
        public static readonly string[] Cases = { "posterior", "conditional-gaussian", "time-energy", "classifier-guidance", "covariance-gaussian" };

        private static Tensor P(ParameterModule model, string name) => model.named_parameters().First(np => np.name == name).parameter.detach();

        private static double RelErr(Tensor actual, Tensor expected) =>
            (actual - expected).abs().max().ToDoubleValue() / (1 + expected.abs().max().ToDoubleValue());

        /// <summary>Largest relative errors of a closed-form check over several random models.</summary>
        public sealed record ClosedFormErrors(int Models, double MaxScoreError, double MaxDivergenceError, double MaxLogProbError);

        /// <summary>
        /// GaussianPosterior (prior N(μ, σ²I) part + likelihood part of y = Ax + ε) over x ∈ ℝ³ with 4 observations, float64, random
        /// parameters per seed: its generated score against the closed-form posterior's −P(x − m), P = I/σ² + AᵀA/s²,
        /// m = P⁻¹(μ/σ² + Aᵀy/s²), and its divergence against −tr P.
        /// </summary>
        public static ClosedFormErrors Posterior(long seed, int models = 4)
        {
            double score = 0, divergence = 0;
            for (int k = 0; k < models; k++)
            {
                using var scope = NewDisposeScope();
                var g = new Generator((ulong)(seed * 1000 + k));
                var m = new GaussianPosterior(D: 3, Likelihood_M: 4, generator: g);
                m.to(ScalarType.Float64);
                m.SetParameter("Prior.Mu", empty(3, dtype: ScalarType.Float64).normal_(0, 1, generator: g));
                m.SetParameter("Prior.Sigma", empty(1, dtype: ScalarType.Float64).uniform_(0.5, 2.0, generator: g).reshape(Array.Empty<long>()));
                m.SetParameter("Likelihood.A", empty(4, 3, dtype: ScalarType.Float64).normal_(0, 1, generator: g));
                m.SetParameter("Likelihood.Y", empty(4, dtype: ScalarType.Float64).normal_(0, 2, generator: g));
                m.SetParameter("Likelihood.Noise", empty(1, dtype: ScalarType.Float64).uniform_(0.3, 1.5, generator: g).reshape(Array.Empty<long>()));
                double sigma2 = System.Math.Pow(P(m, "Prior.Sigma").ToDoubleValue(), 2), s2 = System.Math.Pow(P(m, "Likelihood.Noise").ToDoubleValue(), 2);
                var a = P(m, "Likelihood.A");
                var precision = ScalarOps.Add(eye(3, dtype: ScalarType.Float64).Div(sigma2), a.t().matmul(a).Div(s2));
                var mean = linalg.solve(precision, ScalarOps.Add(P(m, "Prior.Mu").Div(sigma2), a.t().matmul(P(m, "Likelihood.Y")).Div(s2)));
                var x = empty(50, 3, dtype: ScalarType.Float64).normal_(0, 2, generator: g);
                score = System.Math.Max(score, RelErr(m.ScoreNoGrad(x), (x - mean).matmul(precision).neg()));
                double trace = precision.diagonal().sum().ToDoubleValue();
                divergence = System.Math.Max(divergence, (m.ScoreDivergence(x).Add(trace)).abs().max().ToDoubleValue() / (1 + trace));
            }
            return new ClosedFormErrors(models, score, divergence, 0);
        }

        /// <summary>
        /// ConditionalGaussian E(x | y) = ‖x − Wy − b‖²/(2s²) over x ∈ ℝ³ given y ∈ ℝ², float64, random parameters per seed: the
        /// generated score against −(x − Wy − b)/s², the divergence against −D/s², LogProb against log N(x; Wy + b, s²I).
        /// </summary>
        public static ClosedFormErrors ConditionalGaussianCheck(long seed, int models = 4)
        {
            double score = 0, divergence = 0, logProb = 0;
            for (int k = 0; k < models; k++)
            {
                using var scope = NewDisposeScope();
                var g = new Generator((ulong)(seed * 1000 + k));
                var m = new ConditionalGaussian(D: 3, K: 2, generator: g);
                m.to(ScalarType.Float64);
                m.SetParameter("W", empty(3, 2, dtype: ScalarType.Float64).normal_(0, 0.7, generator: g));
                m.SetParameter("B", empty(3, dtype: ScalarType.Float64).normal_(0, 0.7, generator: g));
                m.SetParameter("S", empty(1, dtype: ScalarType.Float64).uniform_(0.5, 1.5, generator: g).reshape(Array.Empty<long>()));
                var x = empty(32, 3, dtype: ScalarType.Float64).normal_(0, 2, generator: g);
                var y = empty(32, 2, dtype: ScalarType.Float64).normal_(0, 1, generator: g);
                double s = P(m, "S").ToDoubleValue();
                var residual = x - y.matmul(P(m, "W").t()) - P(m, "B");
                score = System.Math.Max(score, RelErr(m.ScoreNoGrad(x, y), residual.neg().Div(s * s)));
                divergence = System.Math.Max(divergence, RelErr(m.ScoreDivergenceNoGrad(x, y), ScalarOps.Full(new long[] { 32 }, -3 / (s * s), ScalarType.Float64)));
                var closedLogProb = ScalarOps.Square(residual).sum(new long[] { 1 }).neg().Div(2 * s * s).Sub(1.5 * System.Math.Log(2 * System.Math.PI * s * s));
                logProb = System.Math.Max(logProb, RelErr(m.LogProb(x, y), closedLogProb));
            }
            return new ClosedFormErrors(models, score, divergence, logProb);
        }

        /// <summary>The covariance Gaussian's errors against closed forms and against the quadrature of exp(−E).</summary>
        public sealed record CovarianceErrors(int Models, double MaxScoreError, double MaxDivergenceError, double MaxLogZError, double MaxPrecisionLogZError, double LogZ, double QuadratureLogZ);

        /// <summary>
        /// CovarianceGaussian (E = ½ dᵀ Solve(Σ, d), log Z = ½D log 2π + ½ LogDet(Σ)) over x ∈ ℝ², float64, a random symmetric positive
        /// definite Σ = LLᵀ + ½I per model: the generated score against the closed form −½(Σ⁻¹ + Σ⁻ᵀ)(x − μ), the divergence against
        /// −tr Σ⁻¹, and log Z (read from the generated LogProb as −log p − E) against log ∫ exp(−E) dx by the trapezoidal rule on an
        /// 801 × 801 grid over μ ± 12 σ_max (exponentially accurate for a Gaussian, so an independent truth); the same log Z for
        /// FullCovarianceGaussian with P = Σ⁻¹ (log Z = ½D log 2π − ½ LogDet(P)).
        /// </summary>
        public static CovarianceErrors CovarianceGaussianCheck(long seed, int models = 4)
        {
            double score = 0, divergence = 0, logZError = 0, precisionError = 0, lastLogZ = 0, lastQuadrature = 0;
            for (int k = 0; k < models; k++)
            {
                using var scope = NewDisposeScope();
                var g = new Generator((ulong)(seed * 1000 + k));
                var l = empty(2, 2, dtype: ScalarType.Float64).normal_(0, 0.7, generator: g);
                var sigma = ScalarOps.Add(l.matmul(l.t()), eye(2, dtype: ScalarType.Float64).Mul(0.5));
                var mu = empty(2, dtype: ScalarType.Float64).normal_(0, 1, generator: g);
                var m = new CovarianceGaussian(D: 2, generator: g);
                m.to(ScalarType.Float64);
                m.SetParameter("Mu", mu);
                m.SetParameter("Sigma", sigma);
                var x = empty(50, 2, dtype: ScalarType.Float64).normal_(0, 2, generator: g);
                var inv = linalg.inv(sigma);
                score = System.Math.Max(score, RelErr(m.ScoreNoGrad(x), (x - mu).matmul(inv.t()).neg()));
                double trace = inv.trace().ToDoubleValue();
                divergence = System.Math.Max(divergence, (m.ScoreDivergenceNoGrad(x).Add(trace)).abs().max().ToDoubleValue() / (1 + trace));

                double sigmaMax = System.Math.Sqrt(linalg.eigvalsh(sigma).max().ToDoubleValue());
                const int n = 801;
                double half = 12 * sigmaMax, h = 2 * half / (n - 1);
                var axis = linspace(-half, half, n, dtype: ScalarType.Float64);
                var grid = stack(meshgrid(new[] { axis, axis }, indexing: "ij").Select(t => t.reshape(-1)).ToArray(), 1).Add(mu);
                double Quadrature(IEnergyModel model) => model.EnergyNoGrad(grid).neg().logsumexp(0).ToDoubleValue() + 2 * System.Math.Log(h);
                double LogZ(ILogProbModel model, IEnergyModel energy) => (model.LogProb(x).neg() - energy.EnergyNoGrad(x)).mean().ToDoubleValue();
                lastLogZ = LogZ(m, m);
                lastQuadrature = Quadrature(m);
                logZError = System.Math.Max(logZError, System.Math.Abs(lastLogZ - lastQuadrature));

                var p = new FullCovarianceGaussian(D: 2, generator: g);
                p.to(ScalarType.Float64);
                p.SetParameter("Mu", mu);
                p.SetParameter("P", inv);
                precisionError = System.Math.Max(precisionError, System.Math.Abs(LogZ(p, p) - Quadrature(p)));
            }
            return new CovarianceErrors(models, score, divergence, logZError, precisionError, lastLogZ, lastQuadrature);
        }

        /// <summary>A sample moment against its exact value, with the standard error from the sample size.</summary>
        public sealed record Moment(string Name, double Estimate, double Exact, double StandardError)
        {
            /// <summary>(estimate − exact) / standard error.</summary>
            public double Z => (Estimate - Exact) / StandardError;
        }

        /// <summary>The time-energy run: training time, and the samples' moments against the data's.</summary>
        public sealed record TimeEnergyResult(double TrainSeconds, double Seconds, Moment[] Moments);

        /// <summary>
        /// TimeMlpEnergy E(x, t) trained by continuous-time DSM (variance weighting, VP SDE, t = ε + (1 − ε)u²) on N(μ, diag(s²)) in
        /// 2-D, μ = (1, −0.5), s = (0.7, 1.2), then 2000 samples by the reverse SDE (Euler–Maruyama, 500 steps) with the score
        /// −∇ₓE(x, t): their means, variances and covariance against the data's.
        /// </summary>
        public static TimeEnergyResult TimeEnergy(long seed)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var scope = NewDisposeScope();
            double[] mu = { 1.0, -0.5 }, std = { 0.7, 1.2 };
            var g = new Generator((ulong)seed);
            var sde = new VpSde();
            var model = new TimeMlpEnergy(D: 2, H: 16, generator: g);
            var mean = tensor(mu, ScalarType.Float32).unsqueeze(0);
            var scale = tensor(std, ScalarType.Float32).unsqueeze(0);
            // The time features h(t) = tanh(w t + β) start spread over the SDE's time scale (|w| ~ 4), so a(t) and c(t) can follow
            // the kernel, which moves most between t = 0 and 0.5 on the VP SDE.
            model.SetParameter("Wt", empty(16).normal_(0, 3, generator: g));
            const int batch = 1024;
            foreach (var (steps, rate) in new[] { (400, 1e-2), (150, 2e-3) })
            {
                using var optimizer = new AdamOptimizer(model.parameters(), learningRate: rate);
                for (int step = 0; step < steps; step++)
                {
                    using var stepScope = NewDisposeScope();
                    var x0 = ScalarOps.Add(empty(batch, 2).normal_(0, 1, generator: g).mul(scale), mean);
                    var t = ScalarOps.Square(empty(batch).uniform_(0, 1, generator: g)).Mul(1 - 1e-3).Add(1e-3);
                    var z = empty(batch, 2).normal_(0, 1, generator: g);
                    optimizer.ZeroGrad();
                    var loss = ContinuousTimeScoreMatching.PerSample(sde, model, x0, t, z, TimeWeighting.Variance).mean();
                    loss.backward();
                    optimizer.Step();
                }
            }
            double trainSeconds = clock.Elapsed.TotalSeconds;
            const int n = 2000;
            using var result = SdeSolvers.Sample(sde, model, n, new SdeSamplerOptions { Steps = 500, Seed = seed + 4 });
            var samples = result.Samples.to_type(ScalarType.Float64);
            var m = samples.mean(new long[] { 0 });
            var v = samples.var(new long[] { 0 });
            var moments = new System.Collections.Generic.List<Moment>();
            for (int d = 0; d < 2; d++)
            {
                double variance = std[d] * std[d];
                moments.Add(new Moment("mean[" + d + "]", m[d].ToDoubleValue(), mu[d], System.Math.Sqrt(variance / n)));
                moments.Add(new Moment("var[" + d + "]", v[d].ToDoubleValue(), variance, variance * System.Math.Sqrt(2.0 / (n - 1))));
            }
            double covariance = ((samples[.., 0] - m[0]) * (samples[.., 1] - m[1])).mean().ToDoubleValue();
            moments.Add(new Moment("cov[0,1]", covariance, 0, std[0] * std[1] / System.Math.Sqrt(n)));
            return new TimeEnergyResult(trainSeconds, clock.Elapsed.TotalSeconds, moments.ToArray());
        }

        /// <summary>The guidance run: the generated-vs-autograd guidance difference and the requested mode's rate with and without guidance.</summary>
        public sealed record GuidanceResult(double GuidanceDifference, double UnguidedRate, double GuidedRate, int Samples, double Seconds);

        /// <summary>The classifier as an INoisyClassifier with logits written by hand from its parameters (the autograd reference).</summary>
        private sealed class HandClassifier : INoisyClassifier
        {
            private readonly EquationClassifier c;
            public HandClassifier(EquationClassifier c) { this.c = c; }
            public string ModelName => "hand-written logits";
            public int Dim => 2;
            public int Classes => 2;
            public Tensor Logits(Tensor x, Tensor time)
            {
                var h = ScalarOps.Add(ScalarOps.Add(x.matmul(P(c, "W1").t()), P(c, "U") * time.to_type(x.dtype).unsqueeze(1)), P(c, "B1")).tanh();
                return ScalarOps.Add(h.matmul(P(c, "W2").t()), P(c, "B2"));
            }
        }

        /// <summary>
        /// Data ½N((2, 0), 0.5²I) + ½N((−2, 0), 0.5²I) on the VP SDE with its exact ε; EquationClassifier E(x, t | y) = −log p(y | x, t)
        /// trained 300 steps on noisy points; then ε − γσₜ∇ₓ log p(y | x, t) with the generated gradient against the same guidance
        /// over hand-written logits by autograd, and the rate of samples in mode 0 (x₁ &gt; 0) without and with guidance (γ = 1).
        /// </summary>
        public static GuidanceResult ClassifierGuidance(long seed)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var scope = NewDisposeScope();
            var g = new Generator((ulong)seed);
            var sde = new VpSde();
            var data = new PerturbedGaussianMixture(D: 2, K: 2, generator: g);
            data.SetParameter("Mu", tensor(new double[] { 2, 0, -2, 0 }, new long[] { 2, 2 }, ScalarType.Float64));
            data.SetParameter("LogW", zeros(2, dtype: ScalarType.Float64));
            data.SetParameter("Sigma", tensor(0.5, ScalarType.Float64));
            data.to(ScalarType.Float32);
            var exact = TimeScores.FromPerturbedData(data, sde);
            NoisePrediction epsilon = (x, t) => -exact.Score(x, t) * sde.MarginalStd(t).to_type(x.dtype).unsqueeze(1);

            var classifier = new EquationClassifier(D: 2, H: 16, K: 2, generator: g);
            using (var optimizer = new AdamOptimizer(classifier.parameters(), learningRate: 1e-2))
            {
                for (int step = 0; step < 300; step++)
                {
                    using var stepScope = NewDisposeScope();
                    var y = randint(0, 2, new long[] { 256 }, generator: g, dtype: ScalarType.Int64);
                    var x0 = ScalarOps.Add(y.to_type(ScalarType.Float32).Mul(-4.0).Add(2.0).unsqueeze(1) * tensor(new float[] { 1, 0 }).unsqueeze(0), empty(256, 2).normal_(0, 0.5, generator: g));
                    var t = empty(256).uniform_(1e-3, 1, generator: g);
                    var xt = ScalarOps.Add(x0 * sde.MeanCoefficient(t).unsqueeze(1), empty(256, 2).normal_(0, 1, generator: g) * sde.MarginalStd(t).unsqueeze(1));
                    optimizer.ZeroGrad();
                    var loss = classifier.Energy(xt, t, y).mean();   // the cross-entropy −log p(y | xₜ, t)
                    loss.backward();
                    optimizer.Step();
                }
            }
            var labels0 = zeros(new long[] { 64 }, ScalarType.Int64);
            var probe = empty(64, 2).normal_(0, 2, generator: g);
            var probeT = empty(64).uniform_(0.05, 1, generator: g);
            var viaEquation = Guidance.ClassifierGuided(sde, epsilon, classifier, labels0, 2.0)(probe, probeT);
            var viaAutograd = Guidance.ClassifierGuided(sde, epsilon, new HandClassifier(classifier), labels0, 2.0)(probe, probeT);
            double difference = (viaEquation - viaAutograd).abs().max().ToDoubleValue();

            const int n = 1000;
            double Rate(NoisePrediction eps, long sampleSeed)
            {
                using var r = SdeSolvers.Sample(sde, TimeScores.FromNoisePrediction(sde, 2, eps), n, new SdeSamplerOptions { Steps = 200, Seed = sampleSeed });
                return r.Samples[.., 0].Gt(0.0).to_type(ScalarType.Float64).mean().ToDoubleValue();
            }
            var labels = zeros(new long[] { n }, ScalarType.Int64);
            double unguided = Rate(epsilon, seed + 10), guided = Rate(Guidance.ClassifierGuided(sde, epsilon, classifier, labels, 1.0), seed + 10);
            return new GuidanceResult(difference, unguided, guided, n, clock.Elapsed.TotalSeconds);
        }
    }
}
