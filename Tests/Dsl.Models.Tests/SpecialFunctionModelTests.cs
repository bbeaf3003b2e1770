using System;
using System.Linq;
using Dsl.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// The gallery densities whose [LogPartition] is written with Lgamma (Models/SpecialFunctions.cs): the generated LogProb
    /// integrates to 1 (Gamma by a 1-D quadrature per coordinate, Dirichlet with K = 3 by a 2-D quadrature over the simplex),
    /// equals the textbook log-density computed from libtorch's lgamma, and the generated score and divergence match autograd of
    /// the eager equations. Also the gradient of the mean log-likelihood in α, through the generated LogProb (libtorch's
    /// lgamma backward), against the closed form log x + log β − ψ(α).
    /// </summary>
    public class SpecialFunctionModelTests
    {
        private static double RelErr(Tensor actual, Tensor expected) =>
            (actual - expected).abs().max().ToDoubleValue() / (1 + expected.abs().max().ToDoubleValue());

        private static GammaDensity Gamma(double[] alpha, double[] beta)
        {
            var m = new GammaDensity(D: alpha.Length);
            m.to(ScalarType.Float64);
            m.SetParameter("Alpha", tensor(alpha, dtype: ScalarType.Float64));
            m.SetParameter("Beta", tensor(beta, dtype: ScalarType.Float64));
            return m;
        }

        private static DirichletDensity Dirichlet(double a1, double a2, double a3)
        {
            var m = new DirichletDensity(D: 2);
            m.to(ScalarType.Float64);
            m.SetParameter("Alpha", tensor(new[] { a1, a2 }, dtype: ScalarType.Float64));
            m.SetParameter("AlphaLast", tensor(a3, dtype: ScalarType.Float64));
            return m;
        }

        /// <summary>
        /// The tanh-sinh (double-exponential) rule on (0, 1): nodes ½(1 + tanh(π/2 sinh t)) and their complements 1 − node computed
        /// without cancellation, for t = kh, |t| ≤ 3.2. It integrates endpoint singularities such as x^−0.3 to near machine precision.
        /// </summary>
        private static (double[] X, double[] OneMinusX, double[] W) TanhSinh(double h)
        {
            int n = (int)System.Math.Round(3.2 / h);
            var x = new double[2 * n + 1];
            var c = new double[2 * n + 1];
            var w = new double[2 * n + 1];
            for (int k = -n; k <= n; k++)
            {
                double t = k * h, s = System.Math.PI / 2 * System.Math.Sinh(t);
                double e = System.Math.Exp(-2 * System.Math.Abs(s));            // 1 − tanh|s| = 2e/(1 + e)
                double small = e / (1 + e);                                       // ½(1 − tanh|s|)
                x[k + n] = s >= 0 ? 1 - small : small;
                c[k + n] = s >= 0 ? small : 1 - small;
                double cosh = System.Math.Cosh(s);
                w[k + n] = h * 0.5 * System.Math.PI / 2 * System.Math.Cosh(t) / (cosh * cosh);
            }
            return (x, c, w);
        }

        [Theory]
        [InlineData(0.7, 1.3)]
        [InlineData(3.5, 0.6)]
        [InlineData(1.0, 2.0)]
        [InlineData(12.25, 4.0)]
        public void Gamma_log_prob_integrates_to_one(double alpha, double beta)
        {
            using var scope = NewDisposeScope();
            var m = Gamma(new[] { alpha }, new[] { beta });
            // x = eᵗ: ∫₀^∞ p(x) dx = ∫ p(eᵗ) eᵗ dt, smooth in t; the trapezoid rule on [−60, 8] with h = 1/256 is exact to rounding for
            // this analytic, double-sided decaying integrand (e^{αt} as t → −∞, e^{−βeᵗ} as t → ∞).
            var t = linspace(-60, 8, 68 * 256 + 1, dtype: ScalarType.Float64);
            var logp = m.LogProb(t.exp().unsqueeze(1));
            double integral = (logp + t).exp().sum().ToDoubleValue() / 256;
            Assert.True(System.Math.Abs(integral - 1) < 1e-10, $"∫ p = {integral:R} for α = {alpha}, β = {beta}");
        }

        [Fact]
        public void Gamma_log_prob_is_the_textbook_density_and_its_score_matches_autograd()
        {
            using var scope = NewDisposeScope();
            var alpha = new[] { 0.7, 3.5, 1.0 };
            var beta = new[] { 1.3, 0.6, 2.0 };
            var m = Gamma(alpha, beta);
            var x = empty(64, 3, dtype: ScalarType.Float64).uniform_(-3, 3, generator: new Generator(11)).exp();
            var a = tensor(alpha, dtype: ScalarType.Float64);
            var b = tensor(beta, dtype: ScalarType.Float64);
            var expected = ((a - 1) * x.log() - b * x + a * b.log() - a.lgamma()).sum(new long[] { 1 });
            Assert.True(RelErr(m.LogProb(x), expected) < 1e-12);

            var eager = (IEquationModel)m;
            var score = Autograd.Score(eager.EnergyEager, x);
            Assert.True(RelErr(m.Score(x), score) < 1e-12, "score");
            Assert.True(RelErr(m.Score(x), (a - 1) / x - b) < 1e-12, "score against (α − 1)/x − β");
            var divergence = Autograd.Divergence(xx => Autograd.Score(eager.EnergyEager, xx, createGraph: true), x);
            Assert.True(RelErr(m.ScoreDivergence(x), divergence) < 1e-12, "divergence");
        }

        [Fact]
        public void Gamma_log_likelihood_gradient_in_alpha_is_log_x_plus_log_beta_minus_digamma()
        {
            using var scope = NewDisposeScope();
            var m = Gamma(new[] { 0.7, 3.5 }, new[] { 1.3, 0.6 });
            var x = empty(32, 2, dtype: ScalarType.Float64).uniform_(-2, 2, generator: new Generator(5)).exp();
            var alpha = m.get_parameter("Alpha")!;
            var grad = autograd.grad(new[] { m.LogProb(x).mean() }, new[] { alpha })[0];
            var a = tensor(new[] { 0.7, 3.5 }, dtype: ScalarType.Float64);
            var b = tensor(new[] { 1.3, 0.6 }, dtype: ScalarType.Float64);
            var expected = x.log().mean(new long[] { 0 }) + b.log() - a.digamma();
            Assert.True(RelErr(grad, expected) < 1e-12);
        }

        [Theory]
        [InlineData(1.5, 2.5, 3.0)]
        [InlineData(0.8, 0.6, 1.4)]
        [InlineData(4.0, 0.5, 7.25)]
        public void Dirichlet_log_prob_integrates_to_one_over_the_simplex(double a1, double a2, double a3)
        {
            using var scope = NewDisposeScope();
            var m = Dirichlet(a1, a2, a3);
            // y₁ = u, y₂ = (1 − u)v on (0, 1)², Jacobian 1 − u; tanh-sinh in u and in v. The singular edges (αᵢ < 1) are drawn at
            // y₁ = 0 and y₂ = 0, which the nodes reach with full relative precision; α_K ≥ 1 because the model computes 1 − Σy
            // itself, which rounds to 0 at nodes within 1e-16 of the far edge (a singular density there would read +∞ from log 0).
            var (x, c, w) = TanhSinh(1.0 / 64);
            int n = x.Length;
            var y = new double[n * n * 2];
            var weight = new double[n * n];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                {
                    y[2 * (i * n + j)] = x[i];
                    y[2 * (i * n + j) + 1] = c[i] * x[j];
                    weight[i * n + j] = w[i] * w[j] * c[i];
                }
            var logp = m.LogProb(tensor(y, dtype: ScalarType.Float64).reshape(n * n, 2));
            double integral = (logp.exp() * tensor(weight, dtype: ScalarType.Float64)).sum().ToDoubleValue();
            Assert.True(System.Math.Abs(integral - 1) < 1e-7, $"∫ p = {integral:R} for α = ({a1}, {a2}, {a3})");
        }

        [Fact]
        public void Dirichlet_log_prob_is_the_textbook_density_and_its_score_matches_autograd()
        {
            using var scope = NewDisposeScope();
            var m = Dirichlet(0.8, 2.5, 3.0);
            var full = empty(64, 3, dtype: ScalarType.Float64).normal_(0, 1, generator: new Generator(3)).softmax(1);
            var y = full.narrow(1, 0, 2).contiguous();
            var a = tensor(new[] { 0.8, 2.5, 3.0 }, dtype: ScalarType.Float64);
            var logB = a.lgamma().sum() - a.sum().lgamma();
            var expected = ((a - 1) * full.log()).sum(new long[] { 1 }) - logB;
            Assert.True(RelErr(m.LogProb(y), expected) < 1e-12);

            var eager = (IEquationModel)m;
            Assert.True(RelErr(m.Score(y), Autograd.Score(eager.EnergyEager, y)) < 1e-12, "score");
            var divergence = Autograd.Divergence(yy => Autograd.Score(eager.EnergyEager, yy, createGraph: true), y);
            Assert.True(RelErr(m.ScoreDivergence(y), divergence) < 1e-12, "divergence");
        }
    }
}
