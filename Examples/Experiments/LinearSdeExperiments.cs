using System;
using System.Linq;
using Dsl.Models;
using Dsl.Sde;
using Dsl.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Examples.Experiments
{
    /// <summary>The generated Gaussian kernel of a general linear SDE against its closed form (float64), for `dsl linear-sde`.</summary>
    internal static class LinearSdeExperiments
    {
        public static readonly string[] Examples = { "rotating-ou", "diagonal-vp", "matrix-vp" };

        // matrix-vp: A = R(θ) diag(λ₁, λ₂) R(θ)ᵀ symmetric, σ the same in both coordinates, linear β from 0.1 to 20.
        private const double Theta = 0.4, Lambda1 = 1.0, Lambda2 = 2.5, MatrixSigma = 0.7;

        /// <summary>One example's kernel form and its largest errors against the closed form over a grid of times.</summary>
        public sealed record KernelErrors(string Example, string Sde, string KernelForm, string DiffusionForm, double[] Times, double MaxTransitionError, double MaxCovarianceError);

        /// <summary>Evaluates the example's TransitionMatrix and KernelCovariance at 50 times in (0, T] against the closed form.</summary>
        public static KernelErrors Run(string example)
        {
            IGeneralSde sde = example == "rotating-ou"
                ? RotatingOrnsteinUhlenbeck.Create(1.0, 2.0, 1.0, 0.3)
                : example == "matrix-vp"
                ? MatrixVpSde.Create(MatrixVpA(), new[] { MatrixSigma, MatrixSigma }, 0.1, 20.0)
                : DiagonalVpSde.Create(new[] { 0.1, 1.0, 0.5 }, new[] { 40.0, 45.0, 38.0 });
            try
            {
                var times = Enumerable.Range(1, 50).Select(i => sde.EndTime * i / 50.0).ToArray();
                using var t = tensor(times, ScalarType.Float64);
                using var phi = sde.TransitionMatrix(t);
                using var sigma = sde.KernelCovariance(t);
                double phiError = 0, sigmaError = 0;
                for (int k = 0; k < times.Length; k++)
                {
                    var (p, s) = example == "rotating-ou" ? RotatingOu(times[k], 1.0, 2.0, 1.0, 0.3) : example == "matrix-vp" ? MatrixVp(times[k]) : DiagonalVp(times[k], new[] { 0.1, 1.0, 0.5 }, new[] { 40.0, 45.0, 38.0 });
                    for (int i = 0; i < sde.Dim; i++)
                        for (int j = 0; j < sde.Dim; j++)
                        {
                            phiError = System.Math.Max(phiError, System.Math.Abs(phi[k, i, j].ToDoubleValue() - p[i, j]));
                            sigmaError = System.Math.Max(sigmaError, System.Math.Abs(sigma[k, i, j].ToDoubleValue() - s[i, j]));
                        }
                }
                return new KernelErrors(example, sde.SdeName, sde.KernelForm.ToString(), sde.DiffusionForm.ToString(), new[] { times[0], times[^1] }, phiError, sigmaError);
            }
            finally
            {
                ((IDisposable)sde).Dispose();
            }
        }

        /// <summary>Reverse-time and probability-flow sampling with the exact score, and the probability-flow likelihood, against the closed form.</summary>
        public sealed record SamplingFigures(string Example, int Samples, int Steps, double ReverseMaxAbsZ, double FlowMaxAbsZ, double LikelihoodMaxError);

        /// <summary>The exact score of Gaussian data N(μ₀, S₀) pushed through the closed-form kernel: pₜ = N(Φμ₀, ΦS₀Φᵀ + Σ).</summary>
        private sealed class ExactGaussianScore : ITimeScoreModel
        {
            private readonly Func<double, (double[,] Phi, double[,] Sigma)> kernel;
            private readonly double[] mu;
            private readonly double[,] s0;
            public ExactGaussianScore(Func<double, (double[,], double[,])> kernel, double[] mu, double[,] s0) { this.kernel = kernel; this.mu = mu; this.s0 = s0; }
            public string ModelName => "exact Gaussian score";
            public int Dim => mu.Length;
            public (Tensor Mean, Tensor Covariance) Marginal(double time)
            {
                var (p, s) = kernel(time);
                using var phi = Matrix(p);
                using var sigma = Matrix(s);
                using var m0 = tensor(mu, ScalarType.Float64);
                using var c0 = Matrix(s0);
                return (phi.matmul(m0), ScalarOps.Add(phi.matmul(c0).matmul(phi.T), sigma));
            }
            public Tensor Score(Tensor x, Tensor t)
            {
                using var scope = NewDisposeScope();
                var (mean, cov) = Marginal(t[0].ToDoubleValue());   // the samplers share t across the batch
                var precision = linalg.inv(cov.to(x.dtype));
                return (x - mean.to(x.dtype)).matmul(precision).neg().MoveToOuterDisposeScope();
            }
        }

        private static Tensor Matrix(double[,] a) => tensor(a.Cast<double>().ToArray(), ScalarType.Float64).reshape(a.GetLength(0), a.GetLength(1));

        /// <summary>Largest |estimate − exact| / SE over the sample mean and covariance entries (SE of a covariance entry: √((CᵢᵢCⱼⱼ + Cᵢⱼ²)/n)).</summary>
        private static double MaxAbsZ(Tensor samples, double[] mu, double[,] cov)
        {
            using var scope = NewDisposeScope();
            long n = samples.shape[0];
            int d = mu.Length;
            var mean = samples.mean(new long[] { 0 });
            var centred = samples - mean;
            var sampleCov = centred.T.matmul(centred).Div(n - 1);
            double worst = 0;
            for (int i = 0; i < d; i++)
            {
                worst = System.Math.Max(worst, System.Math.Abs(mean[i].ToDoubleValue() - mu[i]) / System.Math.Sqrt(cov[i, i] / n));
                for (int j = 0; j < d; j++)
                    worst = System.Math.Max(worst, System.Math.Abs(sampleCov[i, j].ToDoubleValue() - cov[i, j]) / System.Math.Sqrt((cov[i, i] * cov[j, j] + cov[i, j] * cov[i, j]) / n));
            }
            return worst;
        }

        /// <summary>
        /// Gaussian data N(μ₀, S₀) through the example's SDE: reverse-time Euler–Maruyama (f − GGᵀs, <paramref name="steps"/> steps) and the
        /// probability-flow ODE (f − ½GGᵀs) from the prior with the exact score, their samples' moments against the data's (max |z|; the
        /// Euler steps add an O(Δt) bias), and the probability-flow log-likelihood of 6 points against the analytic Gaussian density at ε.
        /// </summary>
        public static SamplingFigures Sampling(string example, int n = 20000, int steps = 2000)
        {
            bool ou = example == "rotating-ou";
            if (!ou && example != "diagonal-vp") throw new ArgumentException("linear-sde: --sample runs rotating-ou or diagonal-vp, got '" + example + "'.", nameof(example));
            double[] lo = { 0.1, 1.0, 0.5 }, hi = { 40.0, 45.0, 38.0 };
            double[] mu = ou ? new[] { 1.0, -1.0 } : new[] { 1.0, -1.0, 0.5 };
            double[,] cov = ou ? new[,] { { 0.5, 0.2 }, { 0.2, 0.3 } } : new[,] { { 0.5, 0.2, 0.0 }, { 0.2, 0.3, -0.1 }, { 0.0, -0.1, 0.4 } };
            IGeneralSde sde = ou ? RotatingOrnsteinUhlenbeck.Create(1.0, 2.0, 1.0, 0.3) : DiagonalVpSde.Create(lo, hi);
            var score = new ExactGaussianScore(ou ? t => RotatingOu(t, 1.0, 2.0, 1.0, 0.3) : t => DiagonalVp(t, lo, hi), mu, cov);
            try
            {
                double reverseZ, flowZ;
                using (var reverse = SdeSolvers.Sample(sde, score, n, new SdeSamplerOptions { Steps = steps, Epsilon = 1e-3, Seed = 5 }, ScalarType.Float64))
                    reverseZ = MaxAbsZ(reverse.Samples, mu, cov);
                using (var flow = ProbabilityFlow.Sample(sde, score, n, new OdeOptions { RelativeTolerance = 1e-6, AbsoluteTolerance = 1e-6 }, 1e-3, seed: 6, dtype: ScalarType.Float64))
                    flowZ = MaxAbsZ(flow.Samples, mu, cov);
                using var scope = NewDisposeScope();
                var x = ScalarOps.Add(randn(new long[] { 6, mu.Length }, ScalarType.Float64, generator: new Generator(9)), tensor(mu, ScalarType.Float64));
                using var result = ProbabilityFlow.LogLikelihood(sde, score, x, new LikelihoodOptions { Epsilon = 1e-3, Ode = new OdeOptions { RelativeTolerance = 1e-8, AbsoluteTolerance = 1e-8 } });
                var (mean, covariance) = score.Marginal(1e-3);
                // log N(x; m, C) = −½(x − m)ᵀC⁻¹(x − m) − ½ log det(2πC), written out (torch's MultivariateNormal passes implicit Scalars).
                var diff = x - mean;
                var exact = (diff.matmul(linalg.inv(covariance)) * diff).sum(1).Mul(-0.5) - linalg.det(covariance.Mul(2 * System.Math.PI)).log().Mul(0.5);
                double likelihoodError = (result.LogLikelihood - exact).abs().max().ToDoubleValue();
                return new SamplingFigures(example, n, steps, reverseZ, flowZ, likelihoodError);
            }
            finally
            {
                ((IDisposable)sde).Dispose();
            }
        }

        /// <summary>A = −γI + ωJ, G = diag(σ₁, σ₂): Φ = e^{−γt}R(ωt), Σ = ∫₀ᵗ e^{−2γs}R(ωs)GGᵀR(ωs)ᵀ ds in closed form.</summary>
        public static (double[,] Phi, double[,] Sigma) RotatingOu(double t, double g, double w, double s1, double s2)
        {
            double e = System.Math.Exp(-g * t), c = System.Math.Cos(w * t), s = System.Math.Sin(w * t);
            var phi = new[,] { { e * c, -e * s }, { e * s, e * c } };
            double a = 2 * g, b = 2 * w, ea = System.Math.Exp(-a * t), n = a * a + b * b;
            double i0 = (1 - ea) / a;
            double ic = (ea * (b * System.Math.Sin(b * t) - a * System.Math.Cos(b * t)) + a) / n;
            double isn = (-ea * (a * System.Math.Sin(b * t) + b * System.Math.Cos(b * t)) + b) / n;
            double p = (s1 * s1 + s2 * s2) / 2, q = (s1 * s1 - s2 * s2) / 2;
            return (phi, new[,] { { p * i0 + q * ic, q * isn }, { q * isn, p * i0 - q * ic } });
        }

        private static double[] MatrixVpA()
        {
            double c = System.Math.Cos(Theta), s = System.Math.Sin(Theta);
            return new[] { Lambda1 * c * c + Lambda2 * s * s, (Lambda1 - Lambda2) * c * s, (Lambda1 - Lambda2) * c * s, Lambda1 * s * s + Lambda2 * c * c };
        }

        /// <summary>
        /// dx = −½β(t)A x dt + √β(t)σ dw with A = R diag(λ) Rᵀ: in A's eigenbasis, per eigenvalue, Φ = R diag(e^{λᵢB}) Rᵀ and
        /// Σ = R diag(σ²(1 − e^{2λᵢB})/λᵢ) Rᵀ with B(t) = −½(β_min t + ½(β_max − β_min)t²) (the eigen-decomposition, not a matrix exponential).
        /// </summary>
        public static (double[,] Phi, double[,] Sigma) MatrixVp(double t)
        {
            double big = -0.5 * (0.1 * t + 0.5 * (20.0 - 0.1) * t * t);
            double c = System.Math.Cos(Theta), s = System.Math.Sin(Theta);
            double[] l = { Lambda1, Lambda2 };
            var p = l.Select(x => System.Math.Exp(x * big)).ToArray();
            var v = l.Select(x => MatrixSigma * MatrixSigma * (1 - System.Math.Exp(2 * x * big)) / x).ToArray();
            double[,] Rot(double[] e) => new[,] { { c * c * e[0] + s * s * e[1], c * s * (e[0] - e[1]) }, { c * s * (e[0] - e[1]), s * s * e[0] + c * c * e[1] } };
            return (Rot(p), Rot(v));
        }

        /// <summary>βᵢ(t) linear per coordinate: Φ = diag(exp(−½Bᵢ)), Σ = diag(1 − exp(−Bᵢ)), Bᵢ = ∫₀ᵗβᵢ.</summary>
        public static (double[,] Phi, double[,] Sigma) DiagonalVp(double t, double[] lo, double[] hi)
        {
            int d = lo.Length;
            var phi = new double[d, d];
            var sigma = new double[d, d];
            for (int i = 0; i < d; i++)
            {
                double big = lo[i] * t + 0.5 * (hi[i] - lo[i]) * t * t;
                phi[i, i] = System.Math.Exp(-0.5 * big);
                sigma[i, i] = 1 - System.Math.Exp(-big);
            }
            return (phi, sigma);
        }
    }
}
