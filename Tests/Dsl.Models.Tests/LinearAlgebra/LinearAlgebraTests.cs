using System;
using System.Linq;
using Dsl.Models.Tests.LinearAlgebra;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// LogDet, Inverse and Solve (Dsl.Math; IR ops with their own adjoints) against independent truth, in float64 with fixed seeds:
    /// the generated score, divergence and parameter gradients against autograd of the eager equations and against the closed
    /// forms; the Gaussians' log Z against a 2-D quadrature of exp(−E); the runtime's batched solve conventions against the inverse.
    /// </summary>
    public class LinearAlgebraTests
    {
        private readonly ITestOutputHelper output;
        public LinearAlgebraTests(ITestOutputHelper output) => this.output = output;

        private static double RelErr(Tensor actual, Tensor expected) =>
            (actual - expected).abs().max().ToDoubleValue() / (1 + expected.abs().max().ToDoubleValue());

        private static Tensor Normal(long[] shape, double std, Generator g) => empty(shape, dtype: ScalarType.Float64).normal_(0, std, generator: g);

        /// <summary>A random symmetric positive definite D×D matrix L Lᵀ + ½I.</summary>
        private static Tensor Spd(int d, Generator g)
        {
            var l = Normal(new long[] { d, d }, 0.6, g);
            return ScalarOps.Add(l.matmul(l.transpose(0, 1)), eye(d, dtype: ScalarType.Float64).Mul(0.5));
        }

        /// <summary>A random well-conditioned non-symmetric D×D matrix 1.5·I + 0.3·G (so a missing transpose shows).</summary>
        private static Tensor NonSymmetric(int d, Generator g) =>
            ScalarOps.Add(eye(d, dtype: ScalarType.Float64).Mul(1.5), Normal(new long[] { d, d }, 0.3, g));

        private static CovarianceGaussian Covariance(Tensor mu, Tensor sigma)
        {
            var m = new CovarianceGaussian(D: (int)mu.shape[0]);
            m.to(ScalarType.Float64);
            m.SetParameter("Mu", mu);
            m.SetParameter("Sigma", sigma);
            return m;
        }

        [Theory]
        [InlineData(true)]
        [InlineData(false)]
        public void Covariance_gaussian_score_and_divergence_match_autograd_and_the_closed_form(bool symmetric)
        {
            using var scope = NewDisposeScope();
            foreach (var seed in FixedSeeds.For("CovarianceGaussian" + symmetric, 4))
            {
                var g = new Generator((ulong)seed);
                const int D = 3;
                var sigma = symmetric ? Spd(D, g) : NonSymmetric(D, g);
                var mu = Normal(new long[] { D }, 1, g);
                var m = Covariance(mu, sigma);
                var x = Normal(new long[] { 64, D }, 1.5, g);
                var inv = linalg.inv(sigma);
                var d = x - mu;
                // ∇E = ½(Σ⁻¹ + Σ⁻ᵀ)(x − μ), ΔE = tr Σ⁻¹.
                var closedScore = d.matmul(ScalarOps.Add(inv, inv.transpose(0, 1)).transpose(0, 1)).Mul(-0.5);
                var autogradScore = Autograd.Score(m.EnergyEager, x);
                Assert.True(RelErr(m.Score(x), closedScore) <= 1e-12, "Score vs closed form: " + RelErr(m.Score(x), closedScore));
                Assert.True(RelErr(m.ScoreNoGrad(x), autogradScore) <= 1e-12, "ScoreNoGrad vs autograd");
                var (e, s) = m.EnergyAndScoreNoGrad(x);
                Assert.True(RelErr(e, m.EnergyEager(x)) <= 1e-12 && RelErr(s, closedScore) <= 1e-12, "EnergyAndScoreNoGrad");
                var closedDivergence = full(new long[] { 64 }, -inv.trace().ToDoubleValue(), dtype: ScalarType.Float64);
                var autogradDivergence = Autograd.Divergence(xx => Autograd.Score(m.EnergyEager, xx, createGraph: true), x);
                Assert.True(RelErr(m.ScoreDivergence(x), closedDivergence) <= 1e-12, "ScoreDivergence vs −tr Σ⁻¹");
                Assert.True(RelErr(m.ScoreDivergenceNoGrad(x), autogradDivergence) <= 1e-12, "ScoreDivergenceNoGrad vs autograd");
            }
        }

        [Fact]
        public void The_inverse_formed_gives_the_same_energy_score_and_divergence_as_the_solve()
        {
            using var scope = NewDisposeScope();
            var g = new Generator(41);
            var sigma = NonSymmetric(4, g);
            var mu = Normal(new long[] { 4 }, 1, g);
            var solve = Covariance(mu, sigma);
            var inverse = new InverseCovarianceEnergy(D: 4);
            inverse.to(ScalarType.Float64);
            inverse.SetParameter("Mu", mu);
            inverse.SetParameter("Sigma", sigma);
            var x = Normal(new long[] { 50, 4 }, 1.5, g);
            Assert.True(RelErr(inverse.EnergyNoGrad(x), solve.EnergyNoGrad(x)) <= 1e-12);
            Assert.True(RelErr(inverse.Score(x), solve.Score(x)) <= 1e-12);
            Assert.True(RelErr(inverse.ScoreDivergenceNoGrad(x), solve.ScoreDivergenceNoGrad(x)) <= 1e-12);
            Assert.True(RelErr(inverse.Score(x), Autograd.Score(inverse.EnergyEager, x)) <= 1e-12);
        }

        [Fact]
        public void An_x_dependent_matrix_has_the_autograd_score_through_LogDet_Inverse_and_Solve_and_no_exact_divergence()
        {
            using var scope = NewDisposeScope();
            double worst = 0;
            foreach (var seed in FixedSeeds.For("XDependentMatrixEnergy", 4))
            {
                var g = new Generator((ulong)seed);
                const int D = 3;
                var m = new XDependentMatrixEnergy(D: D) { D = D };
                m.to(ScalarType.Float64);
                m.SetParameter("A", Normal(new long[] { D, D }, 0.5, g));
                m.SetParameter("B", Normal(new long[] { D }, 1, g));
                var x = Normal(new long[] { 64, D }, 1.5, g);
                var reference = Autograd.Score(m.EnergyEager, x);
                Assert.True(RelErr(m.Energy(x), m.EnergyEager(x)) <= 1e-12, "Energy");
                foreach (var (name, score) in new[] { ("Score", m.Score(x)), ("ScoreNoGrad", m.ScoreNoGrad(x)), ("EnergyAndScore", m.EnergyAndScore(x).Item2) })
                {
                    worst = System.Math.Max(worst, RelErr(score, reference));
                    Assert.True(RelErr(score, reference) <= 1e-10, name + ": " + RelErr(score, reference));
                }
            }
            output.WriteLine("x-dependent M(x): worst relative score error vs autograd " + worst.ToString("E2"));
            Assert.False(typeof(IScoreDivergenceModel).IsAssignableFrom(typeof(XDependentMatrixEnergy)));
        }

        /// <summary>log ∫ exp(−E) dx by the trapezoidal rule on a 801² grid over μ ± 12 σ_max (exponentially accurate for a Gaussian).</summary>
        private static double QuadratureLogZ(IEnergyModel model, Tensor mu, double sigmaMax)
        {
            const int n = 801;
            double half = 12 * sigmaMax, h = 2 * half / (n - 1);
            var axis = linspace(-half, half, n, dtype: ScalarType.Float64);
            var grid = stack(meshgrid(new[] { axis, axis }, indexing: "ij").Select(t => t.reshape(-1)).ToArray(), 1).Add(mu);
            return (-model.EnergyNoGrad(grid)).logsumexp(0).ToDoubleValue() + 2 * System.Math.Log(h);
        }

        private static double LogZ(ILogProbModel model, IEnergyModel energy, Tensor x) =>
            (-model.LogProb(x) - energy.EnergyNoGrad(x)).mean().ToDoubleValue();

        [Fact]
        public void Log_Z_from_LogDet_is_the_normalisation_of_exp_minus_E_by_quadrature()
        {
            using var scope = NewDisposeScope();
            var g = new Generator(5);
            var sigma = Spd(2, g);
            var mu = Normal(new long[] { 2 }, 1, g);
            var x = Normal(new long[] { 8, 2 }, 1, g);
            double sigmaMax = System.Math.Sqrt(linalg.eigvalsh(sigma).max().ToDoubleValue());

            var cov = Covariance(mu, sigma);
            double covLogZ = LogZ(cov, cov, x), covTruth = QuadratureLogZ(cov, mu, sigmaMax);

            var prec = new FullCovarianceGaussian(D: 2);
            prec.to(ScalarType.Float64);
            prec.SetParameter("Mu", mu);
            prec.SetParameter("P", linalg.inv(sigma));
            double precLogZ = LogZ(prec, prec, x), precTruth = QuadratureLogZ(prec, mu, sigmaMax);

            output.WriteLine($"CovarianceGaussian log Z {covLogZ:R} vs quadrature {covTruth:R} (|Δ| = {System.Math.Abs(covLogZ - covTruth):E2}); "
                + $"FullCovarianceGaussian {precLogZ:R} vs {precTruth:R} (|Δ| = {System.Math.Abs(precLogZ - precTruth):E2})");
            Assert.True(System.Math.Abs(covLogZ - covTruth) < 1e-9);
            Assert.True(System.Math.Abs(precLogZ - precTruth) < 1e-9);
        }

        [Fact]
        public void Parameter_gradients_of_log_Z_are_the_closed_forms()
        {
            using var scope = NewDisposeScope();
            var g = new Generator(9);
            var sigma = NonSymmetric(3, g);                   // log|det| is defined for any invertible matrix: ∂/∂A log|det A| = A⁻ᵀ
            var mu = Normal(new long[] { 3 }, 1, g);
            var x = Normal(new long[] { 1, 3 }, 1, g);

            // ∂ log Z / ∂Σ = ½ Σ⁻ᵀ for log Z = ½D log 2π + ½ log|det Σ|.
            var cov = Covariance(mu, sigma);
            var covParameter = cov.named_parameters().First(p => p.name == "Sigma").parameter;
            var covGrad = autograd.grad(new[] { (-cov.LogProb(x) - cov.Energy(x)).sum() }, new[] { covParameter })[0];
            var covClosed = linalg.inv(sigma).transpose(0, 1).Mul(0.5);
            Assert.True(RelErr(covGrad, covClosed) <= 1e-12, "∂logZ/∂Σ: " + RelErr(covGrad, covClosed));

            // ∂ log Z / ∂P = −½ P⁻ᵀ for log Z = ½D log 2π − ½ log|det P|.
            var prec = new FullCovarianceGaussian(D: 3);
            prec.to(ScalarType.Float64);
            prec.SetParameter("Mu", mu);
            prec.SetParameter("P", sigma);
            var precParameter = prec.named_parameters().First(p => p.name == "P").parameter;
            var precGrad = autograd.grad(new[] { (-prec.LogProb(x) - prec.Energy(x)).sum() }, new[] { precParameter })[0];
            var precClosed = linalg.inv(sigma).transpose(0, 1).Mul(-0.5);
            Assert.True(RelErr(precGrad, precClosed) <= 1e-12, "∂logZ/∂P: " + RelErr(precGrad, precClosed));
        }

        [Fact]
        public void Parameters_train_through_the_generated_score()
        {
            // ∂/∂θ of a loss on the generated Score and Energy equals ∂/∂θ of the same loss on autograd's score of the eager equations.
            using var scope = NewDisposeScope();
            var g = new Generator(13);
            var m = Covariance(Normal(new long[] { 3 }, 1, g), NonSymmetric(3, g));
            var x = Normal(new long[] { 32, 3 }, 1.5, g);
            var parameters = m.parameters().ToArray();
            var generated = autograd.grad(new[] { m.Score(x).Square().sum().Add(m.Energy(x).sum()) }, parameters);
            var reference = autograd.grad(new[] { Autograd.Score(m.EnergyEager, x, createGraph: true).Square().sum().Add(m.EnergyEager(x).sum()) }, parameters);
            for (int i = 0; i < parameters.Length; i++)
                Assert.True(RelErr(generated[i], reference[i]) <= 1e-10, m.ParameterNames[i] + ": " + RelErr(generated[i], reference[i]));
        }

        [Fact]
        public void Solve_LogDet_and_Inverse_broadcast_one_matrix_or_a_batch_against_the_inverse()
        {
            using var scope = NewDisposeScope();
            var g = new Generator(17);
            const int N = 5, D = 4;
            var a = NonSymmetric(D, g);
            var batchA = stack(Enumerable.Range(0, N).Select(_ => NonSymmetric(D, g)).ToArray());
            var b = Normal(new long[] { D }, 1, g);
            var batchB = Normal(new long[] { N, D }, 1, g);
            Tensor Expected(Tensor m, Tensor v) => m.inverse().matmul(v.unsqueeze(-1)).squeeze(-1);

            // The runtime's two forms: one factorisation for N columns (SolveRows), and b as a column with batch broadcasting (Solve).
            Assert.True(RelErr(ScalarOps.SolveRows(a, batchB), Expected(a, batchB)) <= 1e-12);
            Assert.Equal(new long[] { N, D }, ScalarOps.SolveRows(a, batchB).shape);
            Assert.True(RelErr(ScalarOps.Solve(batchA, batchB), Expected(batchA, batchB)) <= 1e-12);
            Assert.True(RelErr(ScalarOps.Solve(batchA, b), Expected(batchA, b.expand(N, D))) <= 1e-12);
            Assert.True(RelErr(ScalarOps.Solve(a, b), Expected(a, b)) <= 1e-12);
            Assert.Equal(new long[] { D }, ScalarOps.Solve(a, b).shape);

            // The eager Dsl.Math functions on every batching.
            Assert.True(RelErr(Math.Solve(new Mat(a), new Vec(batchB)).Tensor, Expected(a, batchB)) <= 1e-12);
            Assert.True(RelErr(Math.Solve(new Mat(batchA), new Vec(batchB)).Tensor, Expected(batchA, batchB)) <= 1e-12);
            Assert.True(RelErr(Math.Solve(new Mat(batchA), new Vec(b)).Tensor, Expected(batchA, b.expand(N, D))) <= 1e-12);
            var logAbsDet = stack(Enumerable.Range(0, N).Select(i => batchA[i].det().abs().log()).ToArray());
            Assert.True(RelErr(Math.LogDet(new Mat(batchA)).Tensor, logAbsDet) <= 1e-12);
            var flipped = cat(new[] { a.narrow(0, 0, 1).neg(), a.narrow(0, 1, D - 1) }, 0);          // one row negated: det < 0
            Assert.True(flipped.det().ToDoubleValue() < 0);
            Assert.True(RelErr(Math.LogDet(new Mat(flipped)).Tensor, flipped.det().abs().log()) <= 1e-12);   // log|det|, not NaN
            Assert.True(RelErr(Math.Inverse(new Mat(batchA)).Tensor.matmul(batchA), eye(D, dtype: ScalarType.Float64).expand(N, D, D)) <= 1e-12);

            var wide = Assert.Throws<ArgumentException>(() => Math.LogDet(new Mat(zeros(3, 4, dtype: ScalarType.Float64))));
            Assert.Contains("square", wide.Message);
            var mismatch = Assert.Throws<ArgumentException>(() => Math.Solve(new Mat(a), new Vec(zeros(3, dtype: ScalarType.Float64))));
            Assert.Contains("3 entries", mismatch.Message);
        }
    }
}
