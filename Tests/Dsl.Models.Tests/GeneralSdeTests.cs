using System;
using System.Linq;
using Dsl.Models;
using Dsl.Sde;
using Dsl.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// General SDEs (issue 19, deliverable 3): the 2-D Ornstein–Uhlenbeck process with a rotation-plus-damping drift matrix
    /// and anisotropic diffusion, and the VP SDE with a β schedule per coordinate. Generated kernels against closed forms
    /// computed here in float64 (rotation matrices and exponential–trigonometric integrals, not a matrix exponential),
    /// against Euler–Maruyama simulation, reverse-time and probability-flow sampling and the likelihood with the exact score
    /// of Gaussian data, and parameter gradients through the kernel against central differences.
    /// </summary>
    public class GeneralSdeTests
    {
        private const double Damping = 1.0, Frequency = 2.0, Sigma1 = 1.0, Sigma2 = 0.3;
        private static readonly double[] BetaMin = { 0.1, 1.0, 0.5 };
        private static readonly double[] BetaMax = { 40.0, 45.0, 38.0 };   // ∫₀¹β ≥ 19: p_T is the prior N(0, Σ(T)) to |Φ(T)μ₀| ≤ 7e-5

        /// <summary>Φ(t) = e^{−γt} R(ωt); Σ(t) = ∫₀ᵗ e^{−2γs} R(ωs) diag(σ₁², σ₂²) R(ωs)ᵀ ds by the integrals of e^{−as}cos bs, e^{−as}sin bs.</summary>
        internal static (double[,] Phi, double[,] Sigma) OuKernel(double t, double g = Damping, double w = Frequency, double s1 = Sigma1, double s2 = Sigma2)
        {
            double e = System.Math.Exp(-g * t), c = System.Math.Cos(w * t), s = System.Math.Sin(w * t);
            var phi = new[,] { { e * c, -e * s }, { e * s, e * c } };
            double a = 2 * g, b = 2 * w, ea = System.Math.Exp(-a * t), n = a * a + b * b;
            double i0 = (1 - ea) / a;
            double ic = (ea * (b * System.Math.Sin(b * t) - a * System.Math.Cos(b * t)) + a) / n;
            double isn = (-ea * (a * System.Math.Sin(b * t) + b * System.Math.Cos(b * t)) + b) / n;
            double p = (s1 * s1 + s2 * s2) / 2, q = (s1 * s1 - s2 * s2) / 2;
            var sigma = new[,] { { p * i0 + q * ic, q * isn }, { q * isn, p * i0 - q * ic } };
            return (phi, sigma);
        }

        /// <summary>mᵢ = exp(−½Bᵢ), vᵢ = 1 − exp(−Bᵢ), Bᵢ(t) = βᵢ,min t + ½(βᵢ,max − βᵢ,min)t².</summary>
        internal static (double[,] Phi, double[,] Sigma) VpKernel(double t, double[] lo, double[] hi)
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

        private static Tensor T(double[,] a) => tensor(a.Cast<double>().ToArray(), new long[] { a.GetLength(0), a.GetLength(1) }, ScalarType.Float64);

        private static Tensor Times(int n, double t) => ScalarOps.Full(new long[] { n }, t, ScalarType.Float64);

        private static double MaxAbs(Tensor a, Tensor b) { using var d = (a - b).abs().max(); return d.ToDouble(); }

        [Fact]
        public void Rotating_OU_kernel_matches_the_closed_form_to_1e_8()
        {
            using var sde = RotatingOrnsteinUhlenbeck.Create(Damping, Frequency, Sigma1, Sigma2);
            Assert.Equal(GaussianKernelForm.MatrixExponential, sde.KernelForm);
            Assert.Equal(DiffusionForm.Diagonal, sde.DiffusionForm);
            var times = new[] { 1e-3, 0.05, 0.3, 1.0, 2.5, 7.0, 10.0 };
            using var t = tensor(times, ScalarType.Float64);
            using var phi = sde.TransitionMatrix(t);
            using var sigma = sde.KernelCovariance(t);
            for (int i = 0; i < times.Length; i++)
            {
                var (p, s) = OuKernel(times[i]);
                using var pe = T(p);
                using var se = T(s);
                Assert.True(MaxAbs(phi[i], pe) < 1e-8, "Φ(" + times[i] + ") off by " + MaxAbs(phi[i], pe));
                Assert.True(MaxAbs(sigma[i], se) < 1e-8, "Σ(" + times[i] + ") off by " + MaxAbs(sigma[i], se));
            }
            // The drift matrix and the perturbation/score identities: x = Φx₀ + L z ⇒ −Σ⁻¹(x − Φx₀) = −L⁻ᵀz.
            using var f = sde.DriftMatrix(Times(1, 0.7));
            using var fe = T(new[,] { { -Damping, -Frequency }, { Frequency, -Damping } });
            Assert.True(MaxAbs(f[0], fe) < 1e-15);
            using var x0 = tensor(new[] { 1.0, -0.5, 0.2, 2.0 }, new long[] { 2, 2 }, ScalarType.Float64);
            using var tt = tensor(new[] { 0.4, 3.0 }, ScalarType.Float64);
            using var z = tensor(new[] { 0.3, -1.2, 0.8, 0.1 }, new long[] { 2, 2 }, ScalarType.Float64);
            using var xt = sde.Perturb(x0, tt, z);
            using var score = sde.KernelScore(xt, x0, tt);
            for (int i = 0; i < 2; i++)
            {
                var (p, s) = OuKernel(tt[i].ToDouble());
                using var pe = T(p);
                using var se = T(s);
                using var l = linalg.cholesky(se);
                using var expected = pe.matmul(x0[i]).add(l.matmul(z[i]));
                Assert.True(MaxAbs(xt[i], expected) < 1e-12);
                using var expectedScore = linalg.solve(se, expected - pe.matmul(x0[i])).neg();
                Assert.True(MaxAbs(score[i], expectedScore) < 1e-9);
            }
        }

        [Fact]
        public void Per_coordinate_VP_kernel_matches_the_closed_form_to_1e_8()
        {
            using var sde = DiagonalVpSde.Create(BetaMin, BetaMax);
            Assert.Equal(GaussianKernelForm.ClosedForm, sde.KernelForm);
            var times = new[] { 1e-4, 0.01, 0.2, 0.5, 0.9, 1.0 };
            using var t = tensor(times, ScalarType.Float64);
            using var phi = sde.TransitionMatrix(t);
            using var sigma = sde.KernelCovariance(t);
            for (int i = 0; i < times.Length; i++)
            {
                var (p, s) = VpKernel(times[i], BetaMin, BetaMax);
                using var pe = T(p);
                using var se = T(s);
                Assert.True(MaxAbs(phi[i], pe) < 1e-8);
                Assert.True(MaxAbs(sigma[i], se) < 1e-8);
            }
            // The diffusion is diag(√β(t)) and GGᵀv = β ⊙ v.
            using var one = Times(1, 0.5);
            using var x = ones(1, 3, dtype: ScalarType.Float64);
            using var cov = sde.DiffusionCovarianceTimes(x, one, x);
            for (int i = 0; i < 3; i++) Assert.Equal(BetaMin[i] + 0.5 * (BetaMax[i] - BetaMin[i]), cov[0, i].ToDouble(), 12);
        }

        /// <summary>Forward Euler–Maruyama from a fixed x₀: the sample mean and covariance at t against Φx₀ and Σ, within 4.5 standard errors.</summary>
        [Theory]
        [InlineData("OU")]
        [InlineData("VP")]
        public void Kernel_matches_Monte_Carlo_simulation(string which)
        {
            const int n = 20000;
            IGeneralSde sde = which == "OU" ? RotatingOrnsteinUhlenbeck.Create(Damping, Frequency, Sigma1, Sigma2) : DiagonalVpSde.Create(BetaMin, BetaMax);
            double t1 = which == "OU" ? 1.0 : 0.3;
            int d = sde.Dim;
            var start = which == "OU" ? new[] { 1.0, -0.5 } : new[] { 1.0, -2.0, 0.5 };
            using var x0 = tensor(start, new long[] { 1, d }, ScalarType.Float64).expand(n, d).contiguous();
            using var xt = SdeSolvers.EulerMaruyama(sde, x0, 0, t1, 2000, new Generator(11));
            using var tt = Times(1, t1);
            using var mean = sde.KernelMean(x0[..1], tt);
            using var sigma = sde.KernelCovariance(tt);
            using var sampleMean = xt.mean(new long[] { 0 });
            using var centred = xt - sampleMean;
            using var sampleCov = centred.T.matmul(centred) / (n - 1);
            for (int i = 0; i < d; i++)
            {
                double se = System.Math.Sqrt(sigma[0, i, i].ToDouble() / n);
                Assert.True(System.Math.Abs(sampleMean[i].ToDouble() - mean[0, i].ToDouble()) < 4.5 * se, which + " mean " + i);
                for (int j = 0; j < d; j++)
                {
                    double sij = sigma[0, i, j].ToDouble();
                    double seCov = System.Math.Sqrt((sigma[0, i, i].ToDouble() * sigma[0, j, j].ToDouble() + sij * sij) / n);
                    Assert.True(System.Math.Abs(sampleCov[i, j].ToDouble() - sij) < 4.5 * seCov, which + " cov " + i + j + ": " + sampleCov[i, j].ToDouble() + " vs " + sij);
                }
            }
            ((IDisposable)sde).Dispose();
        }

        /// <summary>The exact score of Gaussian data N(μ₀, S₀) pushed through the kernel: pₜ = N(Φμ₀, ΦS₀Φᵀ + Σ), from the closed forms above.</summary>
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
                using var phi = T(p);
                using var sigma = T(s);
                using var m0 = tensor(mu, ScalarType.Float64);
                using var c0 = T(s0);
                return (phi.matmul(m0), phi.matmul(c0).matmul(phi.T).add(sigma));
            }

            public Tensor Score(Tensor x, Tensor t)
            {
                using var scope = NewDisposeScope();
                double time = t[0].ToDouble();
                Assert.True(MaxAbs(t, t[0]) == 0, "the samplers share t across the batch");
                var (mean, cov) = Marginal(time);
                var precision = linalg.inv(cov.to(x.dtype));
                return (x - mean.to(x.dtype)).matmul(precision).neg().MoveToOuterDisposeScope();
            }
        }

        private static readonly double[,] DataCov2 = { { 0.5, 0.2 }, { 0.2, 0.3 } };
        private static readonly double[,] DataCov3 = { { 0.5, 0.2, 0.0 }, { 0.2, 0.3, -0.1 }, { 0.0, -0.1, 0.4 } };

        private static (IGeneralSde Sde, ExactGaussianScore Score, double[] Mu, double[,] Cov) Setup(string which) => which == "OU"
            ? (RotatingOrnsteinUhlenbeck.Create(Damping, Frequency, Sigma1, Sigma2), new ExactGaussianScore(t => OuKernel(t), new[] { 1.0, -1.0 }, DataCov2), new[] { 1.0, -1.0 }, DataCov2)
            : (DiagonalVpSde.Create(BetaMin, BetaMax), new ExactGaussianScore(t => VpKernel(t, BetaMin, BetaMax), new[] { 1.0, -1.0, 0.5 }, DataCov3), new[] { 1.0, -1.0, 0.5 }, DataCov3);

        private static void AssertMoments(string what, Tensor samples, double[] mu, double[,] cov)
        {
            long n = samples.shape[0];
            int d = mu.Length;
            using var mean = samples.mean(new long[] { 0 });
            using var centred = samples - mean;
            using var sampleCov = centred.T.matmul(centred) / (n - 1);
            for (int i = 0; i < d; i++)
            {
                double se = System.Math.Sqrt(cov[i, i] / n);
                Assert.True(System.Math.Abs(mean[i].ToDouble() - mu[i]) < 4.5 * se, what + ": mean " + i + " = " + mean[i].ToDouble() + " vs " + mu[i]);
                for (int j = 0; j < d; j++)
                {
                    double seCov = System.Math.Sqrt((cov[i, i] * cov[j, j] + cov[i, j] * cov[i, j]) / n);
                    Assert.True(System.Math.Abs(sampleCov[i, j].ToDouble() - cov[i, j]) < 4.5 * seCov + 2e-3, what + ": cov " + i + j + " = " + sampleCov[i, j].ToDouble() + " vs " + cov[i, j]);
                }
            }
        }

        /// <summary>
        /// Reverse-time Euler–Maruyama (f − GGᵀs) and the probability-flow ODE (f − ½GGᵀs) from the prior N(0, Σ(T)) with the exact
        /// score recover the data moments. The covariance bound adds 2e-3 for the O(Δt) bias of 2000 Euler steps and the prior's
        /// mismatch with p_T (|Φ(T)μ₀| ≤ 7e-5 for both SDEs).
        /// </summary>
        [Theory]
        [InlineData("OU")]
        [InlineData("VP")]
        public void Reverse_time_and_probability_flow_sampling_recover_Gaussian_data(string which)
        {
            const int n = 20000;
            var (sde, score, mu, cov) = Setup(which);
            using (var reverse = SdeSolvers.Sample(sde, score, n, new SdeSamplerOptions { Steps = 2000, Epsilon = 1e-3, Seed = 5 }, ScalarType.Float64))
                AssertMoments(which + " reverse SDE", reverse.Samples, mu, cov);
            using (var flow = ProbabilityFlow.Sample(sde, score, n, new OdeOptions { RelativeTolerance = 1e-6, AbsoluteTolerance = 1e-6 }, 1e-3, seed: 6, dtype: ScalarType.Float64))
                AssertMoments(which + " probability flow", flow.Samples, mu, cov);
            ((IDisposable)sde).Dispose();
        }

        /// <summary>The probability-flow log-likelihood log p_ε(x) equals the analytic Gaussian density of p_ε = N(Φμ₀, ΦS₀Φᵀ + Σ)(ε).</summary>
        [Theory]
        [InlineData("OU")]
        [InlineData("VP")]
        public void Probability_flow_likelihood_equals_the_analytic_Gaussian_density(string which)
        {
            var (sde, score, mu, _) = Setup(which);
            int d = mu.Length;
            const double eps = 1e-3;
            using var x = randn(new long[] { 6, d }, ScalarType.Float64, generator: new Generator(9)).add(tensor(mu, ScalarType.Float64));
            using var result = ProbabilityFlow.LogLikelihood(sde, score, x, new LikelihoodOptions
            {
                Epsilon = eps,
                Ode = new OdeOptions { RelativeTolerance = 1e-8, AbsoluteTolerance = 1e-8 },
            });
            var (mean, covariance) = score.Marginal(eps);
            using var _m = mean;
            using var _c = covariance;
            using var normal = new TorchSharp.Modules.MultivariateNormal(mean, covariance);
            using var expected = normal.log_prob(x);
            double err = MaxAbs(result.LogLikelihood, expected);
            Assert.True(err < 2e-3, which + ": likelihood off by " + err);
            ((IDisposable)sde).Dispose();
        }

        /// <summary>Gradients of the kernel with respect to the [Param]s (autograd through the generated closed form and through Van Loan's exponential) against central differences.</summary>
        [Theory]
        [InlineData("OU")]
        [InlineData("VP")]
        public void Parameter_gradients_flow_through_the_kernel(string which)
        {
            IGeneralSde sde = which == "OU" ? RotatingOrnsteinUhlenbeck.Create(Damping, Frequency, Sigma1, Sigma2) : DiagonalVpSde.Create(BetaMin, BetaMax);
            var module = (Dsl.GeneratedCode.GeneratedModule)sde;
            int d = sde.Dim;
            using var t = tensor(new[] { 0.2, 0.7 }, ScalarType.Float64);
            using var x0 = tensor(Enumerable.Range(0, 2 * d).Select(i => 0.3 * i - 0.5).ToArray(), new long[] { 2, d }, ScalarType.Float64);
            using var w = randn(new long[] { 2, d, d }, ScalarType.Float64, generator: new Generator(4));
            Tensor Loss()
            {
                using var scope = NewDisposeScope();
                var mean = sde.KernelMean(x0, t);
                var cov = sde.KernelCovariance(t);
                return mean.Square().sum().add(cov.mul(w).sum()).MoveToOuterDisposeScope();
            }
            foreach (var p in module.parameters()) p.grad?.zero_();
            using (var loss = Loss()) loss.backward();
            foreach (var (name, p) in module.named_parameters())
            {
                using var grad = p.grad!.clone();
                using var flat = p.detach().flatten();
                for (int k = 0; k < flat.shape[0]; k++)
                {
                    double original = flat[k].ToDouble(), h = 1e-6;
                    double Eval(double v)
                    {
                        using (no_grad()) { p.flatten()[k].fill_(v); }
                        using var l = Loss();
                        return l.ToDouble();
                    }
                    double numeric = (Eval(original + h) - Eval(original - h)) / (2 * h);
                    Eval(original);
                    double analytic = grad.flatten()[k].ToDouble();
                    Assert.True(System.Math.Abs(numeric - analytic) < 1e-5 * (1 + System.Math.Abs(numeric)), which + " ∂/∂" + name + "[" + k + "]: autograd " + analytic + ", differences " + numeric);
                }
            }
            ((IDisposable)sde).Dispose();
        }
    }
}

namespace Dsl.Models.Tests
{
    /// <summary>`dsl linear-sde`: the generated kernels' largest errors against the closed forms, in JSON.</summary>
    [Collection("Console")]
    public class LinearSdeCliTests
    {
        [Theory]
        [InlineData("rotating-ou", "MatrixExponential")]
        [InlineData("diagonal-vp", "ClosedForm")]
        [InlineData("matrix-vp", "TimeChangedMatrixExponential")]
        public void Linear_sde_reports_kernel_errors_below_1e_8(string example, string form)
        {
            var json = Gallery.RunJson("linear-sde", "--example", example);
            Assert.Equal(form, json.GetProperty("kernel").GetString());
            Assert.True(json.GetProperty("max_transition_error").GetDouble() < 1e-8);
            Assert.True(json.GetProperty("max_covariance_error").GetDouble() < 1e-8);
            var (code, _, err) = Gallery.Run(new[] { "linear-sde", "--example", "nope", "--json" });
            Assert.Equal(2, code);
            Assert.Contains("rotating-ou, diagonal-vp", err);
        }

        /// <summary>
        /// `dsl linear-sde --sample`: the acceptance case from the gallery — reverse-time and probability-flow sampling with the exact
        /// score recover the data moments (max |z| over means and covariances; the 2000 Euler steps add an O(Δt) bias, which
        /// GeneralSdeTests bounds by 2e-3 beside 4.5 SE), and the probability-flow likelihood equals the analytic density.
        /// </summary>
        [Fact]
        public void Linear_sde_sample_recovers_the_data_and_the_likelihood_from_the_gallery()
        {
            var json = Gallery.RunJson("linear-sde", "--example", "rotating-ou", "--sample");
            Assert.Equal(20000, json.GetProperty("samples").GetInt32());
            Assert.True(json.GetProperty("reverse_max_abs_z").GetDouble() < 4.5, "reverse SDE " + json.GetProperty("reverse_max_abs_z").GetDouble());
            Assert.True(json.GetProperty("flow_max_abs_z").GetDouble() < 4.5, "probability flow " + json.GetProperty("flow_max_abs_z").GetDouble());
            Assert.True(json.GetProperty("likelihood_max_error").GetDouble() < 2e-3, "likelihood " + json.GetProperty("likelihood_max_error").GetDouble());
        }
    }
}

namespace Dsl.Models.Tests
{
    /// <summary>Geometric Brownian motion per coordinate, dxᵢ = μᵢxᵢ dt + σᵢxᵢ dwᵢ: a state-dependent diffusion g(x, t).</summary>
#pragma warning disable DSL0040 // the diffusion reads x: no Gaussian kernel, the point of this model
    [Sde]
    public partial class GeometricBrownianMotion
    {
        [Param("D", Init = 0.1)] public Vec Mu;
        [Param("D", Init = 0.5)] public Vec Volatility;

        [Drift] Vec F(Vec x, Scalar t) => Mu * x;

        [Diffusion] Vec G(Vec x, Scalar t) => Volatility * x;
    }
#pragma warning restore DSL0040

    /// <summary>An SDE whose diffusion reads x: Milstein and Euler–Maruyama against the log-normal law; the kernel members throw with the reason.</summary>
    public class StateDependentSdeTests
    {
        [Theory]
        [InlineData(true)]
        [InlineData(false)]
        public void Geometric_Brownian_motion_matches_its_log_normal_law(bool milstein)
        {
            const int n = 20000;
            double[] mu = { 0.1, -0.2 }, sigma = { 0.5, 0.3 }, start = { 1.0, 2.0 };
            using var sde = new GeometricBrownianMotion(2);
            TorchSharp.ModuleExtensionMethods.to(sde, ScalarType.Float64);
            using (var m = tensor(mu, ScalarType.Float64)) sde.SetParameter("Mu", m);
            using (var s = tensor(sigma, ScalarType.Float64)) sde.SetParameter("Volatility", s);
            Assert.True(sde.DiffusionDependsOnState);
            Assert.Equal(GaussianKernelForm.None, sde.KernelForm);
            using var x0 = tensor(start, new long[] { 1, 2 }, ScalarType.Float64).expand(n, 2).contiguous();
            using var x = milstein ? SdeSolvers.Milstein(sde, x0, 0, 1, 200, new Generator(21)) : SdeSolvers.EulerMaruyama(sde, x0, 0, 1, 200, new Generator(22));
            using var logs = x.log();
            for (int i = 0; i < 2; i++)
            {
                // E[x] = x₀e^{μt}, Var = x₀²e^{2μt}(e^{σ²t} − 1); E[log x] = log x₀ + (μ − σ²/2)t with sd σ√t (the Itô correction).
                double mean = start[i] * System.Math.Exp(mu[i]), sd = mean * System.Math.Sqrt(System.Math.Exp(sigma[i] * sigma[i]) - 1);
                Assert.True(System.Math.Abs(x[.., i].mean().ToDouble() - mean) < 4.5 * sd / System.Math.Sqrt(n), "mean " + i);
                double logMean = System.Math.Log(start[i]) + mu[i] - sigma[i] * sigma[i] / 2;
                Assert.True(System.Math.Abs(logs[.., i].mean().ToDouble() - logMean) < 4.5 * sigma[i] / System.Math.Sqrt(n) + 2e-3, "log mean " + i + ": " + logs[.., i].mean().ToDouble() + " vs " + logMean);
            }
            using var t = ScalarOps.Full(new long[] { 1 }, 0.5, ScalarType.Float64);
            var e = Assert.Throws<NotSupportedException>(() => sde.KernelCovariance(t));
            Assert.Contains("depends on x", e.Message);
            Assert.Throws<NotSupportedException>(() => sde.ReverseDrift(x0[..1], t, x0[..1]));
        }
    }
}

namespace Dsl.Models.Tests
{
    /// <summary>dx = (1 + t)A x dt + diag(σ) dw: a drift matrix that depends on t, so the kernel is the float64 RK4 table (DSL0015, info).</summary>
    [Sde(EndTime = 2.0)]
    public partial class TimeScaledOrnsteinUhlenbeck
    {
        [Param("D,D", Init = 0.0)] public Mat A;
        [Param("D", Init = 1.0)] public Vec Sigma;

        [Drift] Vec F(Vec x, Scalar t) => (1 + t) * Dsl.Math.MatVec(A, x);

        [Diffusion] Vec G(Scalar t) => Sigma;
    }

    /// <summary>The tabulated kernel against Φ = exp(B(t)A), B = t + t²/2, and Σ by Simpson quadrature of Φ(t, s)QΦ(t, s)ᵀ.</summary>
    public class TabulatedKernelTests
    {
        [Fact]
        public void Tabulated_kernel_matches_the_matrix_exponential_and_quadrature()
        {
            const double g = 1.0, w = 2.0, s1 = 1.0, s2 = 0.3;
            using var sde = new TimeScaledOrnsteinUhlenbeck(2);
            TorchSharp.ModuleExtensionMethods.to(sde, ScalarType.Float64);
            using (var a = tensor(new[] { -g, -w, w, -g }, new long[] { 2, 2 }, ScalarType.Float64)) sde.SetParameter("A", a);
            using (var s = tensor(new[] { s1, s2 }, ScalarType.Float64)) sde.SetParameter("Sigma", s);
            Assert.Equal(GaussianKernelForm.Tabulated, sde.KernelForm);
            // F = (1 + t)A is b(t)·A, but GGᵀ = diag(σ²) is not a constant multiple of (1 + t)·Q: no time change, so RK4.
            Assert.Contains(TimeScaledOrnsteinUhlenbeck.Info.Notes, n => n.Contains("RK4") && n.Contains("GGᵀ is not a constant multiple of b(t)·Q"));
            double B(double t) => t + t * t / 2;
            var times = new[] { 0.05, 0.6, 1.3, 2.0 };
            using var tt = tensor(times, ScalarType.Float64);
            using var phi = sde.TransitionMatrix(tt);
            using var sigma = sde.KernelCovariance(tt);
            for (int k = 0; k < times.Length; k++)
            {
                double t = times[k], u = B(t);
                double e = System.Math.Exp(-g * u), c = System.Math.Cos(w * u), sn = System.Math.Sin(w * u);
                var expected = new[,] { { e * c, -e * sn }, { e * sn, e * c } };
                // Σ(t) = ∫₀ᵗ e^{−2γr} R(ωr) diag(σ²) R(ωr)ᵀ ds with r = B(t) − B(s), by Simpson's rule on 20 000 intervals.
                const int m = 20000;
                var sum = new double[3];
                for (int j = 0; j <= m; j++)
                {
                    double s = t * j / m, r = u - B(s), weight = j == 0 || j == m ? 1 : j % 2 == 1 ? 4 : 2;
                    double ee = System.Math.Exp(-2 * g * r), cc = System.Math.Cos(w * r), ss = System.Math.Sin(w * r);
                    sum[0] += weight * ee * (s1 * s1 * cc * cc + s2 * s2 * ss * ss);
                    sum[1] += weight * ee * (s1 * s1 - s2 * s2) * cc * ss;
                    sum[2] += weight * ee * (s1 * s1 * ss * ss + s2 * s2 * cc * cc);
                }
                double h = t / m / 3;
                var cov = new[,] { { h * sum[0], h * sum[1] }, { h * sum[1], h * sum[2] } };
                for (int i = 0; i < 2; i++)
                    for (int j = 0; j < 2; j++)
                    {
                        Assert.True(System.Math.Abs(phi[k, i, j].ToDouble() - expected[i, j]) < 1e-8, "Φ(" + t + ")" + i + j);
                        Assert.True(System.Math.Abs(sigma[k, i, j].ToDouble() - cov[i, j]) < 1e-8, "Σ(" + t + ")" + i + j + ": " + sigma[k, i, j].ToDouble() + " vs " + cov[i, j]);
                    }
            }
        }
    }
}

namespace Dsl.Models.Tests
{
    /// <summary>dx = A x dt + L dw with a full matrix diffusion L: a constant Mat G, so the kernel is Van Loan's.</summary>
    [Sde(EndTime = 10.0)]
    public partial class MatrixDiffusionOrnsteinUhlenbeck
    {
        [Param("D,D", Init = 0.0)] public Mat A;
        [Param("D,D", Init = 0.0)] public Mat L;

        [Drift] Vec F(Vec x, Scalar t) => Dsl.Math.MatVec(A, x);

        [Diffusion] Mat G(Scalar t) => L;
    }

    /// <summary>A matrix diffusion: GGᵀ = LLᵀ is not diagonal; the kernel against the closed form, and the reverse drift f − LLᵀs.</summary>
    public class MatrixDiffusionTests
    {
        [Fact]
        public void Matrix_diffusion_kernel_and_reverse_drift_use_G_G_transpose()
        {
            const double g = 1.0, w = 2.0;
            double[,] l = { { 1.0, 0.0 }, { 0.4, 0.3 } };
            double q11 = 1.0, q12 = 0.4, q22 = 0.25;                       // LLᵀ
            using var sde = new MatrixDiffusionOrnsteinUhlenbeck(2);
            TorchSharp.ModuleExtensionMethods.to(sde, ScalarType.Float64);
            using (var a = tensor(new[] { -g, -w, w, -g }, new long[] { 2, 2 }, ScalarType.Float64)) sde.SetParameter("A", a);
            using (var lt = tensor(l.Cast<double>().ToArray(), new long[] { 2, 2 }, ScalarType.Float64)) sde.SetParameter("L", lt);
            Assert.Equal(DiffusionForm.Matrix, sde.DiffusionForm);
            Assert.Equal(GaussianKernelForm.MatrixExponential, sde.KernelForm);
            var times = new[] { 0.1, 1.0, 4.0 };
            using var tt = tensor(times, ScalarType.Float64);
            using var sigma = sde.KernelCovariance(tt);
            for (int k = 0; k < times.Length; k++)
            {
                // Σ = ∫₀ᵗ e^{−2γs}R(ωs)QR(ωs)ᵀds: the trace part p·I and the traceless part [[a, b], [b, −a]] rotated by 2ωs.
                double t = times[k], aa = 2 * g, bb = 2 * w, ea = System.Math.Exp(-aa * t), n = aa * aa + bb * bb;
                double i0 = (1 - ea) / aa;
                double ic = (ea * (bb * System.Math.Sin(bb * t) - aa * System.Math.Cos(bb * t)) + aa) / n;
                double isn = (-ea * (aa * System.Math.Sin(bb * t) + bb * System.Math.Cos(bb * t)) + bb) / n;
                double p = (q11 + q22) / 2, a = (q11 - q22) / 2, b = q12;
                double s00 = p * i0 + a * ic - b * isn, s01 = a * isn + b * ic, s11 = p * i0 - (a * ic - b * isn);
                Assert.True(System.Math.Abs(sigma[k, 0, 0].ToDouble() - s00) < 1e-8);
                Assert.True(System.Math.Abs(sigma[k, 0, 1].ToDouble() - s01) < 1e-8);
                Assert.True(System.Math.Abs(sigma[k, 1, 0].ToDouble() - s01) < 1e-8);
                Assert.True(System.Math.Abs(sigma[k, 1, 1].ToDouble() - s11) < 1e-8);
            }
            using var x = tensor(new[] { 0.5, -1.0 }, new long[] { 1, 2 }, ScalarType.Float64);
            using var s = tensor(new[] { 2.0, 3.0 }, new long[] { 1, 2 }, ScalarType.Float64);
            using var t1 = ScalarOps.Full(new long[] { 1 }, 0.5, ScalarType.Float64);
            using var reverse = sde.ReverseDrift(x, t1, s);
            using var flow = sde.ProbabilityFlowDrift(x, t1, s);
            double f0 = -g * 0.5 - w * -1.0, f1 = w * 0.5 - g * -1.0;
            double qs0 = q11 * 2 + q12 * 3, qs1 = q12 * 2 + q22 * 3;
            Assert.Equal(f0 - qs0, reverse[0, 0].ToDouble(), 12);
            Assert.Equal(f1 - qs1, reverse[0, 1].ToDouble(), 12);
            Assert.Equal(f0 - 0.5 * qs0, flow[0, 0].ToDouble(), 12);
            Assert.Equal(f1 - 0.5 * qs1, flow[0, 1].ToDouble(), 12);
        }
    }
}
