using System;
using System.Linq;
using Dsl.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// Composition (models holding other generated models as parts, their energies inlined): the posterior of a Gaussian prior
    /// part and a linear-Gaussian likelihood part against the closed-form posterior, a product of two gallery experts against
    /// the sum of the parts' own generated scores and divergences and autograd, parameter gradients reaching the parts, and the
    /// parts converting, binding and checkpointing with the model.
    /// </summary>
    public class CompositionTests
    {
        private static double RelErr(Tensor actual, Tensor expected) =>
            (actual - expected).abs().max().ToDoubleValue() / (1 + expected.abs().max().ToDoubleValue());

        /// <summary>A float64 posterior over x ∈ ℝ³ with 4 observations and random prior, operator, observation and noise.</summary>
        private static GaussianPosterior RandomPosterior(long seed)
        {
            var g = new Generator((ulong)seed);
            var m = new GaussianPosterior(D: 3, Likelihood_M: 4, generator: g);
            m.to(ScalarType.Float64);
            m.SetParameter("Prior.Mu", empty(3, dtype: ScalarType.Float64).normal_(0, 1, generator: g));
            m.SetParameter("Prior.Sigma", empty(1, dtype: ScalarType.Float64).uniform_(0.5, 2.0, generator: g).reshape(Array.Empty<long>()));
            m.SetParameter("Likelihood.A", empty(4, 3, dtype: ScalarType.Float64).normal_(0, 1, generator: g));
            m.SetParameter("Likelihood.Y", empty(4, dtype: ScalarType.Float64).normal_(0, 2, generator: g));
            m.SetParameter("Likelihood.Noise", empty(1, dtype: ScalarType.Float64).uniform_(0.3, 1.5, generator: g).reshape(Array.Empty<long>()));
            return m;
        }

        private static Tensor Value(GaussianPosterior m, string name) => m.named_parameters().First(p => p.name == name).parameter.detach();

        /// <summary>The closed-form posterior N(m, P⁻¹): P = I/σ² + AᵀA/s², m = P⁻¹(μ/σ² + Aᵀy/s²).</summary>
        private static (Tensor Precision, Tensor Mean) ClosedForm(GaussianPosterior model)
        {
            var mu = Value(model, "Prior.Mu");
            double sigma2 = System.Math.Pow(Value(model, "Prior.Sigma").ToDouble(), 2);
            var a = Value(model, "Likelihood.A");
            var y = Value(model, "Likelihood.Y");
            double s2 = System.Math.Pow(Value(model, "Likelihood.Noise").ToDouble(), 2);
            var precision = eye(3, dtype: ScalarType.Float64).div(sigma2).add(a.t().matmul(a).div(s2));
            var mean = linalg.solve(precision, mu.div(sigma2).add(a.t().matmul(y).div(s2)));
            return (precision, mean);
        }

        [Fact]
        public void The_posterior_of_a_prior_part_and_a_likelihood_part_has_the_closed_form_posterior_score()
        {
            foreach (var seed in FixedSeeds.For("posterior-score", 6))
            {
                using var scope = NewDisposeScope();
                var model = RandomPosterior(seed);
                var (precision, mean) = ClosedForm(model);
                var x = empty(50, 3, dtype: ScalarType.Float64).normal_(0, 2, generator: new Generator((ulong)seed + 1));
                var exact = (x - mean).matmul(precision).neg();                     // s(x) = −P(x − m), P symmetric
                Assert.True(RelErr(model.Score(x), exact) <= 1e-10, $"seed {seed}: Score {RelErr(model.Score(x), exact)}");
                Assert.True(RelErr(model.ScoreNoGrad(x), exact) <= 1e-10, $"seed {seed}: ScoreNoGrad");
                Assert.True(RelErr(model.Score(x), Autograd.Score(model.EnergyEager, x)) <= 1e-10, $"seed {seed}: Score vs autograd of the eager equations");
                // ∇·s = −tr P, the same for every x.
                var trace = precision.diagonal().sum().ToDouble();
                Assert.True((model.ScoreDivergence(x) + trace).abs().max().ToDouble() <= 1e-9 * (1 + trace), $"seed {seed}: ScoreDivergence");
                // The energy is the sum of the parts' own generated energies.
                Assert.True(RelErr(model.Energy(x), model.Prior.Energy(x) + model.Likelihood.Energy(x)) <= 1e-12, $"seed {seed}: Energy");
            }
        }

        [Fact]
        public void Parameter_gradients_reach_the_parts_parameters()
        {
            using var scope = NewDisposeScope();
            var model = RandomPosterior(11);
            Assert.Equal(new[] { "Prior.Mu", "Prior.Sigma", "Likelihood.A", "Likelihood.Y", "Likelihood.Noise" }, model.ParameterNames);
            Assert.Equal(model.ParameterNames, model.named_parameters().Select(p => p.name));
            const int n = 40;
            var x = empty(n, 3, dtype: ScalarType.Float64).normal_(0, 1, generator: new Generator(5));
            // Σₙ Σᵢ sᵢ(xₙ) with s = −(x − μ)/σ² − Aᵀ(Ax − y)/s²: ∂/∂μⱼ = N/σ², ∂/∂yₖ = N Σᵢ Aₖᵢ / s².
            var loss = model.Score(x).sum();
            var parameters = model.parameters().ToArray();
            var grads = autograd.grad(new[] { loss }, parameters, allow_unused: true);
            var byName = model.ParameterNames.Zip(grads).ToDictionary(p => p.First, p => p.Second);
            double sigma2 = System.Math.Pow(Value(model, "Prior.Sigma").ToDouble(), 2);
            double s2 = System.Math.Pow(Value(model, "Likelihood.Noise").ToDouble(), 2);
            var expectedMu = full(3, n / sigma2, dtype: ScalarType.Float64);
            var expectedY = Value(model, "Likelihood.A").sum(new long[] { 1 }).mul(n / s2);
            Assert.True(RelErr(byName["Prior.Mu"], expectedMu) <= 1e-10, "∂/∂Prior.Mu");
            Assert.True(RelErr(byName["Likelihood.Y"], expectedY) <= 1e-10, "∂/∂Likelihood.Y");
            // Every part parameter gets the gradient autograd gives through the eager equations.
            var reference = autograd.grad(new[] { Autograd.Score(model.EnergyEager, x, createGraph: true).sum() }, parameters, allow_unused: true);
            for (int i = 0; i < parameters.Length; i++)
                Assert.True(RelErr(grads[i], reference[i]) <= 1e-10, "∂/∂" + model.ParameterNames[i]);
        }

        [Fact]
        public void A_product_of_two_gallery_experts_has_the_sum_of_their_scores_and_divergences()
        {
            foreach (var seed in FixedSeeds.For("product-of-experts", 4))
            {
                using var scope = NewDisposeScope();
                var model = (MixtureTimesStudentT)NumericTests.RandomModel("MixtureTimesStudentT", seed, ScalarType.Float64);
                var x = NumericTests.RandomInput(model, 64, seed);
                // The parts are live models: their own generated scores and divergences are the independent reference.
                var sum = model.Mixture.Score(x) + model.Experts.Score(x);
                Assert.True(RelErr(model.Score(x), sum) <= 1e-10, $"seed {seed}: Score");
                Assert.True(RelErr(model.ScoreNoGrad(x), sum) <= 1e-10, $"seed {seed}: ScoreNoGrad");
                var divergence = model.Mixture.ScoreDivergence(x) + model.Experts.ScoreDivergence(x);
                Assert.True(RelErr(model.ScoreDivergence(x), divergence) <= 1e-10, $"seed {seed}: ScoreDivergence vs the parts'");
                var laplacian = Autograd.Divergence(xx => Autograd.Score(model.EnergyEager, xx, createGraph: true), x);
                Assert.True(RelErr(model.ScoreDivergence(x), laplacian) <= 1e-9, $"seed {seed}: ScoreDivergence vs autograd {RelErr(model.ScoreDivergence(x), laplacian)}");
                Assert.True(RelErr(model.ScoreDivergenceNoGrad(x), laplacian) <= 1e-9, $"seed {seed}: ScoreDivergenceNoGrad vs autograd");
            }
        }

        [Fact]
        public void Parts_convert_bind_and_checkpoint_with_the_model()
        {
            using var scope = NewDisposeScope();
            var model = new MixtureTimesStudentT(D: 2, Mixture_K: 3, Experts_K: 5, generator: new Generator(3));
            Assert.Equal(ScalarType.Float32, model.DType);
            model.to(ScalarType.Float64);
            Assert.Equal(ScalarType.Float64, model.DType);
            Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float64, p.dtype));
            Assert.Equal(ScalarType.Float64, model.Mixture.DType);
            var x = empty(16, 2, dtype: ScalarType.Float64).normal_(0, 1, generator: new Generator(4));
            // The eager path reads the parts' [Param] fields: they are rebound to the converted tensors.
            Assert.True(RelErr(model.EnergyEager(x), model.Energy(x)) <= 1e-12);
            Assert.Equal(new long[] { 3, 2 }, model.Mixture.named_parameters().First(p => p.name == "Mu").parameter.shape);
            Assert.Equal(new long[] { 5, 2 }, model.Experts.named_parameters().First(p => p.name == "W").parameter.shape);
            // SetParameter through the model writes the part's parameter.
            model.SetParameter("Experts.Alpha", full(5, 2.0, dtype: ScalarType.Float64));
            Assert.Equal(2.0, model.Experts.named_parameters().First(p => p.name == "Alpha").parameter.mean().ToDouble());
            Assert.Contains("Mixture.LogW", model.state_dict().Keys);
            var ex = Assert.Throws<ArgumentException>(() => model.SetParameter("Nope.Alpha", full(5, 2.0)));
            Assert.Contains("no parameter named 'Nope.Alpha'", ex.Message);
        }
    }
}
