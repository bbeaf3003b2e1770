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
    /// dx = −(1 + t)A x dt + √(2 + 2t) L dw: a matrix diffusion with GGᵀ = (2 + 2t)LLᵀ = −2·b(t)·LLᵀ for b = −(1 + t), so the
    /// kernel is the time-changed matrix exponential through the Mat-diffusion branch (G = s(t)·L).
    /// </summary>
    [Sde(EndTime = 2.0)]
    public partial class MatrixDiffusionTimeChangedSde
    {
        [Param("D,D", Init = 0.0)] public Mat A;
        [Param("D,D", Init = 0.0)] public Mat L;

        [Drift] Vec F(Vec x, Scalar t) => -(1 + t) * Dsl.Math.MatVec(A, x);

        [Diffusion] Mat G(Scalar t) => Dsl.Math.Sqrt(2 + 2 * t) * L;
    }

    /// <summary>
    /// The time-changed matrix exponential (F = b(t)·A, GGᵀ = b(t)·Q): Φ = exp(B(t)A), Σ = Van Loan at B(t). Checked against an
    /// independent float64 RK4 of Φ′ = FΦ, Σ′ = FΣ + ΣFᵀ + GGᵀ in t written here (no time change, no matrix exponential), against
    /// the VP closed form for A = I, against Euler–Maruyama simulation, and its parameter gradients against central differences.
    /// </summary>
    public class MatrixVpSdeTests
    {
        private static readonly double[] A3 = { 1.0, 0.5, 0.0, -0.5, 1.2, 0.3, 0.2, 0.0, 0.8 };   // not symmetric; eigenvalues with positive real parts
        private static readonly double[] Sigma3 = { 1.0, 0.5, 0.8 };
        private const double BetaMin = 0.1, BetaMax = 20.0;

        /// <summary>Φ(t), Σ(t) by RK4 in t on <paramref name="steps"/> steps for F(s) = f(s)·A and GGᵀ(s) = q(s) (row-major D×D).</summary>
        internal static (double[] Phi, double[] Sigma) Rk4(double[] a, Func<double, double> f, Func<double, double[]> q, int d, double t, int steps)
        {
            var phi = new double[d * d];
            for (int i = 0; i < d; i++) phi[i * d + i] = 1;
            var sigma = new double[d * d];
            double h = t / steps;
            (double[], double[]) Deriv(double s, double[] p, double[] c)
            {
                double fs = f(s);
                var qs = q(s);
                var dp = new double[d * d];
                var dc = new double[d * d];
                for (int i = 0; i < d; i++)
                    for (int j = 0; j < d; j++)
                    {
                        double x = 0, y = 0;
                        for (int k = 0; k < d; k++)
                        {
                            x += a[i * d + k] * p[k * d + j];
                            y += a[i * d + k] * c[k * d + j] + c[i * d + k] * a[j * d + k];
                        }
                        dp[i * d + j] = fs * x;
                        dc[i * d + j] = fs * y + qs[i * d + j];
                    }
                return (dp, dc);
            }
            double[] Ax(double[] y, double k, double[] x) => y.Select((v, i) => v + k * x[i]).ToArray();
            for (int n = 0; n < steps; n++)
            {
                double s = n * h;
                var (k1p, k1c) = Deriv(s, phi, sigma);
                var (k2p, k2c) = Deriv(s + h / 2, Ax(phi, h / 2, k1p), Ax(sigma, h / 2, k1c));
                var (k3p, k3c) = Deriv(s + h / 2, Ax(phi, h / 2, k2p), Ax(sigma, h / 2, k2c));
                var (k4p, k4c) = Deriv(s + h, Ax(phi, h, k3p), Ax(sigma, h, k3c));
                for (int i = 0; i < d * d; i++)
                {
                    phi[i] += h / 6 * (k1p[i] + 2 * k2p[i] + 2 * k3p[i] + k4p[i]);
                    sigma[i] += h / 6 * (k1c[i] + 2 * k2c[i] + 2 * k3c[i] + k4c[i]);
                }
            }
            return (phi, sigma);
        }

        private static double Beta(double t) => BetaMin + t * (BetaMax - BetaMin);

        private static (double[] Phi, double[] Sigma) VpReference(double t) =>
            Rk4(A3, s => -0.5 * Beta(s), s => new[] { Beta(s) * Sigma3[0] * Sigma3[0], 0, 0, 0, Beta(s) * Sigma3[1] * Sigma3[1], 0, 0, 0, Beta(s) * Sigma3[2] * Sigma3[2] }, 3, t, 20000);

        private static double MaxAbs(Tensor a, double[] b)
        {
            var x = a.to(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();
            return x.Select((v, i) => System.Math.Abs(v - b[i])).Max();
        }

        [Fact]
        public void Kernel_matches_an_independent_RK4_to_1e_8()
        {
            using var sde = MatrixVpSde.Create(A3, Sigma3, BetaMin, BetaMax);
            Assert.Equal(GaussianKernelForm.TimeChangedMatrixExponential, sde.KernelForm);
            Assert.Contains(MatrixVpSde.Info.Notes, n => n.Contains("B(t)"));
            var times = new[] { 1e-3, 0.05, 0.3, 0.7, 1.0 };
            using var t = tensor(times, ScalarType.Float64);
            using var phi = sde.TransitionMatrix(t);
            using var sigma = sde.KernelCovariance(t);
            using var bt = sde.KernelTime(t);
            for (int i = 0; i < times.Length; i++)
            {
                double time = times[i];
                Assert.Equal(-0.5 * (BetaMin * time + 0.5 * (BetaMax - BetaMin) * time * time), bt[i].ToDouble(), 12);
                var (p, s) = VpReference(time);
                double ep = MaxAbs(phi[i], p), es = MaxAbs(sigma[i], s);
                Assert.True(ep < 1e-8, "Φ(" + time + ") off by " + ep);
                Assert.True(es < 1e-8, "Σ(" + time + ") off by " + es);
            }
        }

        [Fact]
        public void With_A_the_identity_and_unit_sigma_it_is_the_VP_SDE()
        {
            using var sde = MatrixVpSde.Create(new[] { 1.0, 0, 0, 0, 1.0, 0, 0, 0, 1.0 }, new[] { 1.0, 1.0, 1.0 }, BetaMin, BetaMax);
            var times = new[] { 1e-4, 0.1, 0.5, 1.0 };
            using var t = tensor(times, ScalarType.Float64);
            using var phi = sde.TransitionMatrix(t);
            using var sigma = sde.KernelCovariance(t);
            for (int i = 0; i < times.Length; i++)
            {
                double big = BetaMin * times[i] + 0.5 * (BetaMax - BetaMin) * times[i] * times[i];
                double m = System.Math.Exp(-0.5 * big), v = 1 - System.Math.Exp(-big);
                Assert.True(MaxAbs(phi[i], new[] { m, 0, 0, 0, m, 0, 0, 0, m }) < 1e-12);
                Assert.True(MaxAbs(sigma[i], new[] { v, 0, 0, 0, v, 0, 0, 0, v }) < 1e-12);
            }
        }

        [Fact]
        public void Matrix_diffusion_kernel_matches_an_independent_RK4_to_1e_8()
        {
            double[] a = { 0.8, -1.5, 1.5, 0.6 };
            double[] l = { 1.0, 0.0, 0.4, 0.3 };
            double[] llt = { 1.0, 0.4, 0.4, 0.25 };
            using var sde = new MatrixDiffusionTimeChangedSde(2);
            TorchSharp.ModuleExtensionMethods.to(sde, ScalarType.Float64);
            using (var at = tensor(a, new long[] { 2, 2 }, ScalarType.Float64)) sde.SetParameter("A", at);
            using (var lt = tensor(l, new long[] { 2, 2 }, ScalarType.Float64)) sde.SetParameter("L", lt);
            Assert.Equal(GaussianKernelForm.TimeChangedMatrixExponential, sde.KernelForm);
            var times = new[] { 0.02, 0.5, 1.2, 2.0 };
            using var t = tensor(times, ScalarType.Float64);
            using var phi = sde.TransitionMatrix(t);
            using var sigma = sde.KernelCovariance(t);
            for (int i = 0; i < times.Length; i++)
            {
                var (p, s) = Rk4(a, r => -(1 + r), r => llt.Select(v => (2 + 2 * r) * v).ToArray(), 2, times[i], 20000);
                double ep = MaxAbs(phi[i], p), es = MaxAbs(sigma[i], s);
                Assert.True(ep < 1e-8, "Φ(" + times[i] + ") off by " + ep);
                Assert.True(es < 1e-8, "Σ(" + times[i] + ") off by " + es);
            }
        }

        /// <summary>Forward Euler–Maruyama from a fixed x₀ (20 000 paths, 2000 steps): sample mean and covariance at t = 0.3 within 4.5 standard errors.</summary>
        [Fact]
        public void Kernel_matches_Monte_Carlo_simulation()
        {
            const int n = 20000;
            using var sde = MatrixVpSde.Create(A3, Sigma3, BetaMin, BetaMax);
            const double t1 = 0.3;
            using var x0 = tensor(new[] { 1.0, -2.0, 0.5 }, new long[] { 1, 3 }, ScalarType.Float64).expand(n, 3).contiguous();
            using var xt = SdeSolvers.EulerMaruyama(sde, x0, 0, t1, 2000, new Generator(13));
            using var tt = ScalarOps.Full(new long[] { 1 }, t1, ScalarType.Float64);
            using var mean = sde.KernelMean(x0[..1], tt);
            using var sigma = sde.KernelCovariance(tt);
            using var sampleMean = xt.mean(new long[] { 0 });
            using var centred = xt - sampleMean;
            using var sampleCov = centred.T.matmul(centred) / (n - 1);
            for (int i = 0; i < 3; i++)
            {
                double se = System.Math.Sqrt(sigma[0, i, i].ToDouble() / n);
                Assert.True(System.Math.Abs(sampleMean[i].ToDouble() - mean[0, i].ToDouble()) < 4.5 * se, "mean " + i);
                for (int j = 0; j < 3; j++)
                {
                    double sij = sigma[0, i, j].ToDouble();
                    double seCov = System.Math.Sqrt((sigma[0, i, i].ToDouble() * sigma[0, j, j].ToDouble() + sij * sij) / n);
                    Assert.True(System.Math.Abs(sampleCov[i, j].ToDouble() - sij) < 4.5 * seCov, "cov " + i + j + ": " + sampleCov[i, j].ToDouble() + " vs " + sij);
                }
            }
        }

        /// <summary>Gradients of Perturb and KernelCovariance with respect to A and σ (autograd through exp(B(t)A) and Van Loan's exponential) against central differences.</summary>
        [Fact]
        public void Parameter_gradients_flow_through_the_kernel()
        {
            using var sde = MatrixVpSde.Create(A3, Sigma3, BetaMin, BetaMax);
            using var t = tensor(new[] { 0.2, 0.7 }, ScalarType.Float64);
            using var x0 = tensor(Enumerable.Range(0, 6).Select(i => 0.3 * i - 0.5).ToArray(), new long[] { 2, 3 }, ScalarType.Float64);
            using var z = randn(new long[] { 2, 3 }, ScalarType.Float64, generator: new Generator(3));
            using var w = randn(new long[] { 2, 3, 3 }, ScalarType.Float64, generator: new Generator(4));
            Tensor Loss()
            {
                using var scope = NewDisposeScope();
                var xt = sde.Perturb(x0, t, z);
                var cov = sde.KernelCovariance(t);
                return xt.Square().sum().add(cov.mul(w).sum()).MoveToOuterDisposeScope();
            }
            foreach (var p in sde.parameters()) p.grad?.zero_();
            using (var loss = Loss()) loss.backward();
            int checkedCount = 0;
            foreach (var (name, p) in sde.named_parameters())
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
                    Assert.True(System.Math.Abs(numeric - analytic) < 1e-5 * (1 + System.Math.Abs(numeric)), "∂/∂" + name + "[" + k + "]: autograd " + analytic + ", differences " + numeric);
                    checkedCount++;
                }
            }
            Assert.Equal(12, checkedCount);
        }
    }
}
