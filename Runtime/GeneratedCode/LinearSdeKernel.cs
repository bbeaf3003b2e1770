using System;
using Dsl.Sde;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.GeneratedCode
{
    /// <summary>
    /// The Gaussian perturbation kernel N(Φ(t)x₀, Σ(t)) of a linear SDE dx = F(t)x dt + G(t) dw, for the generated
    /// <see cref="IGeneralSde"/> classes: Φ′ = FΦ, Φ(0) = I; Σ′ = FΣ + ΣFᵀ + GGᵀ, Σ(0) = 0. Differentiable in torch
    /// (parameters train through it) except <see cref="Tabulate"/>, which integrates in float64 on the host.
    /// </summary>
    public static class LinearSdeKernel
    {
        /// <summary>The number of RK4 steps over [0, T] of <see cref="Tabulate"/>.</summary>
        public const int TableSteps = 2048;

        /// <summary>F = a·I + diag(d) + M from the drift's scalar, per-coordinate and matrix parts (each may be null): [N, D, D].</summary>
        public static Tensor DriftMatrix(Tensor t, long dim, Tensor? scalar, Tensor? diagonal, Tensor? matrix)
        {
            using var scope = NewDisposeScope();
            long n = t.shape[0];
            var f = zeros(new long[] { n, dim, dim }, t.dtype, t.device);
            if (scalar is not null)
            {
                using var identity = eye(dim, dtype: t.dtype, device: t.device);
                f = f.Add(identity.unsqueeze(0) * scalar.reshape(n, 1, 1));
            }
            if (diagonal is not null) f = f.Add(diag_embed(diagonal.expand(n, dim)));
            if (matrix is not null) f = f.Add(matrix.expand(n, dim, dim));
            return f.MoveToOuterDisposeScope();
        }

        /// <summary>G as a matrix from the diffusion as written ([N] scalar, [N, D] per coordinate, [N, D, D] matrix): [N, D, D].</summary>
        public static Tensor DiffusionMatrix(Tensor g, DiffusionForm form, long dim)
        {
            using var scope = NewDisposeScope();
            Tensor result;
            switch (form)
            {
                case DiffusionForm.Scalar:
                    {
                        using var identity = eye(dim, dtype: g.dtype, device: g.device);
                        result = identity.unsqueeze(0) * g.reshape(-1, 1, 1);
                        break;
                    }
                case DiffusionForm.Diagonal: result = diag_embed(g); break;
                default: result = g.clone(); break;
            }
            return result.MoveToOuterDisposeScope();
        }

        /// <summary>G·v for the diffusion as written: [N, D].</summary>
        public static Tensor Times(Tensor g, DiffusionForm form, Tensor v)
        {
            using var scope = NewDisposeScope();
            var result = form switch
            {
                DiffusionForm.Scalar => v * g.unsqueeze(1),
                DiffusionForm.Diagonal => v * g,
                _ => g.matmul(v.unsqueeze(-1)).squeeze(-1),
            };
            return result.MoveToOuterDisposeScope();
        }

        /// <summary>GGᵀ·v for the diffusion as written: [N, D].</summary>
        public static Tensor CovarianceTimes(Tensor g, DiffusionForm form, Tensor v)
        {
            using var scope = NewDisposeScope();
            var result = form switch
            {
                DiffusionForm.Scalar => v * g.Square().unsqueeze(1),
                DiffusionForm.Diagonal => v * g.Square(),
                _ => g.matmul(g.transpose(-2, -1).matmul(v.unsqueeze(-1))).squeeze(-1),
            };
            return result.MoveToOuterDisposeScope();
        }

        /// <summary>GGᵀ: [N, D, D].</summary>
        public static Tensor Covariance(Tensor g, DiffusionForm form, long dim)
        {
            using var scope = NewDisposeScope();
            var matrix = DiffusionMatrix(g, form, dim);
            return matrix.matmul(matrix.transpose(-2, -1)).MoveToOuterDisposeScope();
        }

        /// <summary>
        /// Van Loan (1978): for constant F and Q = GGᵀ, exp(t·[[F, Q], [0, −Fᵀ]]) = [[Φ, X], [0, Φ⁻ᵀ]] with Φ = exp(tF) and
        /// X = ∫₀ᵗ e^{(t−s)F} Q e^{−sFᵀ} ds, so Σ(t) = XΦᵀ = ∫₀ᵗ e^{(t−s)F} Q e^{(t−s)Fᵀ} ds. Returns (Φ, Σ), [N, D, D] each.
        /// </summary>
        public static (Tensor Transition, Tensor Covariance) VanLoan(Tensor f, Tensor q, Tensor t)
        {
            using var scope = NewDisposeScope();
            long n = t.shape[0], d = f.shape[^1];
            var top = cat(new[] { f.expand(n, d, d), q.expand(n, d, d) }, 2);
            var bottom = cat(new[] { zeros(new long[] { n, d, d }, f.dtype, f.device), f.expand(n, d, d).transpose(-2, -1).neg() }, 2);
            var block = cat(new[] { top, bottom }, 1) * t.reshape(n, 1, 1);
            var e = linalg.matrix_exp(block);
            var phi = e.narrow(1, 0, d).narrow(2, 0, d);
            var x = e.narrow(1, 0, d).narrow(2, d, d);
            var sigma = x.matmul(phi.transpose(-2, -1));
            sigma = sigma.Add(sigma.transpose(-2, -1)).Mul_(0.5);   // symmetric to rounding
            return (phi.contiguous().MoveToOuterDisposeScope(), sigma.MoveToOuterDisposeScope());
        }

        /// <summary>
        /// Φ(t) and Σ(t) by RK4 in float64: <see cref="TableSteps"/> steps over [0, T] (F and GGᵀ evaluated in one batch at the
        /// grid points and midpoints), then one RK4 step from the grid point below each t. Detached: not differentiable.
        /// </summary>
        /// <param name="driftMatrix">F(t): [M, D, D] for t: [M] (float64).</param>
        /// <param name="diffusionCovariance">G(t)G(t)ᵀ: [M, D, D] for t: [M] (float64).</param>
        /// <param name="endTime">T.</param>
        /// <param name="t">The query times: [N].</param>
        /// <param name="dtype">The result dtype.</param>
        public static (Tensor Transition, Tensor Covariance) Tabulate(Func<Tensor, Tensor> driftMatrix, Func<Tensor, Tensor> diffusionCovariance, double endTime, Tensor t, ScalarType dtype)
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            int steps = TableSteps;
            double h = endTime / steps;
            var gridTimes = new double[2 * steps + 1];
            for (int i = 0; i < gridTimes.Length; i++) gridTimes[i] = i * h / 2;
            var (fGrid, qGrid, d) = Evaluate(driftMatrix, diffusionCovariance, gridTimes);
            int dd = d * d;
            var phis = new double[steps + 1][];
            var sigmas = new double[steps + 1][];
            phis[0] = Identity(d);
            sigmas[0] = new double[dd];
            for (int k = 0; k < steps; k++)
                (phis[k + 1], sigmas[k + 1]) = Rk4(phis[k], sigmas[k], h, d,
                    Slice(fGrid, 2 * k, dd), Slice(qGrid, 2 * k, dd), Slice(fGrid, 2 * k + 1, dd), Slice(qGrid, 2 * k + 1, dd), Slice(fGrid, 2 * k + 2, dd), Slice(qGrid, 2 * k + 2, dd));

            var query = t.to(ScalarType.Float64).cpu().data<double>().ToArray();
            int n = query.Length;
            var stepTimes = new double[3 * n];
            var starts = new int[n];
            for (int i = 0; i < n; i++)
            {
                double time = System.Math.Min(System.Math.Max(query[i], 0), endTime);
                int k = System.Math.Min((int)System.Math.Floor(time / h), steps);
                starts[i] = k;
                double delta = time - k * h;
                stepTimes[3 * i] = k * h;
                stepTimes[3 * i + 1] = k * h + delta / 2;
                stepTimes[3 * i + 2] = time;
            }
            var (fStep, qStep, _) = Evaluate(driftMatrix, diffusionCovariance, stepTimes);
            var phiOut = new double[n * dd];
            var sigmaOut = new double[n * dd];
            for (int i = 0; i < n; i++)
            {
                int k = starts[i];
                double delta = stepTimes[3 * i + 2] - stepTimes[3 * i];
                var (phi, sigma) = delta > 0
                    ? Rk4(phis[k], sigmas[k], delta, d, Slice(fStep, 3 * i, dd), Slice(qStep, 3 * i, dd), Slice(fStep, 3 * i + 1, dd), Slice(qStep, 3 * i + 1, dd), Slice(fStep, 3 * i + 2, dd), Slice(qStep, 3 * i + 2, dd))
                    : (phis[k], sigmas[k]);
                Array.Copy(phi, 0, phiOut, i * dd, dd);
                Array.Copy(sigma, 0, sigmaOut, i * dd, dd);
            }
            var phiTensor = tensor(phiOut, new long[] { n, d, d }, ScalarType.Float64).to(dtype).to(t.device);
            var sigmaTensor = tensor(sigmaOut, new long[] { n, d, d }, ScalarType.Float64).to(dtype).to(t.device);
            return (phiTensor.MoveToOuterDisposeScope(), sigmaTensor.MoveToOuterDisposeScope());
        }

        /// <summary>Runs <paramref name="f"/> in its own dispose scope and keeps only its result (the generated one-line members).</summary>
        public static Tensor Scoped(Func<Tensor> f)
        {
            using var scope = NewDisposeScope();
            return f().MoveToOuterDisposeScope();
        }

        /// <summary>diag(v) for v: [N, D]: [N, D, D].</summary>
        public static Tensor Diagonal(Tensor v) => diag_embed(v);

        /// <summary>A generated [N] → [N] member at one float64 time, in the SDE's dtype and on its device, without autograd.</summary>
        public static double At(Func<Tensor, Tensor> member, double t, ScalarType dtype, Device device)
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            using var time = global::Dsl.ScalarOps.Full(new long[] { 1 }, t, dtype, device);
            return member(time).to(ScalarType.Float64).cpu().ToDoubleValue();
        }

        /// <summary>A [1] time tensor holding t, in the SDE's dtype and on its device.</summary>
        public static Tensor Time(double t, ScalarType dtype, Device device) => global::Dsl.ScalarOps.Full(new long[] { 1 }, t, dtype, device);

        /// <summary>M·x for M: [N, D, D], x: [N, D].</summary>
        public static Tensor Apply(Tensor m, Tensor x)
        {
            using var scope = NewDisposeScope();
            return m.matmul(x.unsqueeze(-1)).squeeze(-1).MoveToOuterDisposeScope();
        }

        /// <summary>The lower Cholesky factor L of Σ (LLᵀ = Σ), with the SDE's name in the error when Σ is not positive definite (t = 0, or degenerate noise).</summary>
        public static Tensor Cholesky(string sde, string member, Tensor sigma)
        {
            var (l, info) = linalg.cholesky_ex(sigma);
            using (info)
            using (var worst = info.max())
            {
                if (worst.ToInt64Value() != 0)
                {
                    l.Dispose();
                    throw new InvalidOperationException(sde + "." + member + ": the kernel covariance Σ(t) is not positive definite at some t (t = 0, or noise that does not reach every coordinate yet).");
                }
            }
            return l;
        }

        /// <summary>xₜ = Φx₀ + L·noise with LLᵀ = Σ: a draw from N(Φx₀, Σ) for standard normal noise: [N, D].</summary>
        public static Tensor Perturb(string sde, Tensor phi, Tensor sigma, Tensor x0, Tensor noise)
        {
            using var scope = NewDisposeScope();
            var l = Cholesky(sde, "Perturb", sigma);
            return Apply(phi, x0).Add(Apply(l, noise)).MoveToOuterDisposeScope();
        }

        /// <summary>−Σ⁻¹(x − Φx₀) by two triangular solves with the Cholesky factor: [N, D].</summary>
        public static Tensor Score(string sde, Tensor phi, Tensor sigma, Tensor x, Tensor x0)
        {
            using var scope = NewDisposeScope();
            var l = Cholesky(sde, "KernelScore", sigma);
            var r = (x - Apply(phi, x0)).unsqueeze(-1);
            return cholesky_solve(r, l).squeeze(-1).neg().MoveToOuterDisposeScope();
        }

        /// <summary>log N(x; 0, Σ) for one covariance Σ: [D, D] and x: [N, D]: [N].</summary>
        public static Tensor GaussianLogProb(string sde, Tensor x, Tensor sigma)
        {
            using var scope = NewDisposeScope();
            var l = Cholesky(sde, "PriorLogProb", sigma.unsqueeze(0)).squeeze(0);
            var z = linalg.solve_triangular(l, x.transpose(0, 1), upper: false);     // L⁻¹x: [D, N]
            var halfLogDet = l.diagonal().log().sum();
            long d = x.shape[1];
            return z.Square().sum(new long[] { 0 }).Mul(-0.5).sub(halfLogDet).Sub(0.5 * d * System.Math.Log(2 * System.Math.PI)).MoveToOuterDisposeScope();
        }

        /// <summary>n draws from N(0, Σ) for one covariance Σ: [D, D].</summary>
        public static Tensor SampleGaussian(string sde, long n, Tensor sigma, Generator generator)
        {
            using var scope = NewDisposeScope();
            var l = Cholesky(sde, "SamplePrior", sigma.unsqueeze(0)).squeeze(0);
            var z = empty(new long[] { n, sigma.shape[0] }, sigma.dtype, sigma.device).normal_(0, 1, generator: generator);
            return z.matmul(l.transpose(0, 1)).MoveToOuterDisposeScope();
        }

        /// <summary>The trace of F(t): [N] (the divergence of a linear drift F(t)x).</summary>
        public static Tensor Trace(Tensor f)
        {
            using var scope = NewDisposeScope();
            return f.diagonal(0, -2, -1).sum(new long[] { -1 }).MoveToOuterDisposeScope();
        }

        private static (double[] F, double[] Q, int D) Evaluate(Func<Tensor, Tensor> driftMatrix, Func<Tensor, Tensor> diffusionCovariance, double[] times)
        {
            using var scope = NewDisposeScope();
            var t = tensor(times, ScalarType.Float64);
            var f = driftMatrix(t).to(ScalarType.Float64).cpu().contiguous();
            var q = diffusionCovariance(t).to(ScalarType.Float64).cpu().contiguous();
            return (f.data<double>().ToArray(), q.data<double>().ToArray(), (int)f.shape[^1]);
        }

        private static double[] Slice(double[] all, int index, int size)
        {
            var result = new double[size];
            Array.Copy(all, index * size, result, 0, size);
            return result;
        }

        private static double[] Identity(int d)
        {
            var result = new double[d * d];
            for (int i = 0; i < d; i++) result[i * d + i] = 1;
            return result;
        }

        // (FΦ, FΣ + ΣFᵀ + Q) for row-major D×D arrays.
        private static (double[], double[]) Derivative(double[] f, double[] q, double[] phi, double[] sigma, int d)
        {
            var dPhi = new double[d * d];
            var dSigma = new double[d * d];
            for (int i = 0; i < d; i++)
                for (int j = 0; j < d; j++)
                {
                    double a = 0, b = 0;
                    for (int k = 0; k < d; k++)
                    {
                        a += f[i * d + k] * phi[k * d + j];
                        b += f[i * d + k] * sigma[k * d + j] + sigma[i * d + k] * f[j * d + k];
                    }
                    dPhi[i * d + j] = a;
                    dSigma[i * d + j] = b + q[i * d + j];
                }
            return (dPhi, dSigma);
        }

        private static double[] Axpy(double[] y, double a, double[] x)
        {
            var result = new double[y.Length];
            for (int i = 0; i < y.Length; i++) result[i] = y[i] + a * x[i];
            return result;
        }

        private static (double[], double[]) Rk4(double[] phi, double[] sigma, double h, int d, double[] f0, double[] q0, double[] fMid, double[] qMid, double[] f1, double[] q1)
        {
            var (k1p, k1s) = Derivative(f0, q0, phi, sigma, d);
            var (k2p, k2s) = Derivative(fMid, qMid, Axpy(phi, h / 2, k1p), Axpy(sigma, h / 2, k1s), d);
            var (k3p, k3s) = Derivative(fMid, qMid, Axpy(phi, h / 2, k2p), Axpy(sigma, h / 2, k2s), d);
            var (k4p, k4s) = Derivative(f1, q1, Axpy(phi, h, k3p), Axpy(sigma, h, k3s), d);
            var nextPhi = new double[phi.Length];
            var nextSigma = new double[sigma.Length];
            for (int i = 0; i < phi.Length; i++)
            {
                nextPhi[i] = phi[i] + h / 6 * (k1p[i] + 2 * k2p[i] + 2 * k3p[i] + k4p[i]);
                nextSigma[i] = sigma[i] + h / 6 * (k1s[i] + 2 * k2s[i] + 2 * k3s[i] + k4s[i]);
            }
            return (nextPhi, nextSigma);
        }
    }
}
