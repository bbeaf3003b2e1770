using System;
using System.Linq;
using Dsl.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>Divergence estimators: Hutchinson is unbiased with the variance theory predicts; the exact paths agree.</summary>
    public class DivergenceEstimatorTests
    {
        private static MlpEnergy Model()
        {
            var m = new MlpEnergy(D: 6, H: 16, generator: new Generator(3));
            m.to(ScalarType.Float64);
            return m;
        }

        [Theory]
        [InlineData(ProbeDistribution.Gaussian)]
        [InlineData(ProbeDistribution.Rademacher)]
        public void Hutchinson_is_unbiased_within_a_few_standard_errors(ProbeDistribution distribution)
        {
            using var scope = NewDisposeScope();
            var model = Model();
            var x = empty(12, 6, dtype: ScalarType.Float64).normal_(0, 1, generator: new Generator(4));
            var exact = DivergenceEstimators.Exact(model, x);
            const int probes = 4000;
            using var estimate = DivergenceEstimators.Hutchinson(model.Score, x, probes, distribution, new Generator(5));
            var z = (estimate.Value - exact).abs() / (estimate.ProbeVariance.Div(probes)).sqrt();
            Assert.True(z.max().item<double>() < 4.5, $"max |estimate − exact| = {z.max().item<double>():F2} standard errors");
            Assert.Equal(probes, estimate.Probes);
        }

        [Fact]
        public void Probe_variances_match_the_closed_forms_and_Rademacher_is_lower()
        {
            // For a symmetric Jacobian J (a Hessian): Var_Gaussian[vᵀJv] = 2‖J‖²_F, Var_Rademacher = 2 Σ_{i≠j} J²ᵢⱼ.
            using var scope = NewDisposeScope();
            var model = Model();
            var x = empty(4, 6, dtype: ScalarType.Float64).normal_(0, 1, generator: new Generator(6));
            var rows = Enumerable.Range(0, 6).Select(i =>
            {
                var input = x.detach().requires_grad_(true);
                var s = model.Score(input);
                return autograd.grad(new[] { s.select(1, i).sum() }, new[] { input })[0];
            }).ToArray();
            var jacobian = stack(rows, 1);                                                   // [N, D, D]
            var frob = jacobian.Square().sum(new long[] { 1, 2 });
            var offDiagonal = frob - jacobian.diagonal(0, 1, 2).Square().sum(1);
            const int probes = 8000;
            using var gaussian = DivergenceEstimators.Hutchinson(model.Score, x, probes, ProbeDistribution.Gaussian, new Generator(7));
            using var rademacher = DivergenceEstimators.Hutchinson(model.Score, x, probes, ProbeDistribution.Rademacher, new Generator(8));
            var relG = ((gaussian.ProbeVariance - frob.Mul(2)).abs() / (frob.Mul(2))).max().item<double>();
            var relR = ((rademacher.ProbeVariance - offDiagonal.Mul(2)).abs() / (offDiagonal.Mul(2))).max().item<double>();
            Assert.True(relG < 0.1, $"Gaussian probe variance off by {relG:P1}");
            Assert.True(relR < 0.1, $"Rademacher probe variance off by {relR:P1}");
            Assert.True((rademacher.ProbeVariance < gaussian.ProbeVariance).all().item<bool>());
        }

        [Fact]
        public void Exact_divergence_uses_the_generated_one_and_agrees_with_the_autograd_loop()
        {
            using var scope = NewDisposeScope();
            var model = Model();
            var x = empty(16, 6, dtype: ScalarType.Float64).normal_(0, 1, generator: new Generator(9));
            var generated = DivergenceEstimators.Exact(model, x);
            var loop = DivergenceEstimators.Exact(model.Score, x);
            var differentiable = DivergenceEstimators.Exact(model.Score, x, differentiable: true);
            Assert.True((generated - loop).abs().max().item<double>() < 1e-10);
            Assert.True((generated - differentiable).abs().max().item<double>() < 1e-10);
            Assert.True(differentiable.requires_grad, "the differentiable loop keeps its graph for ISM training");
        }

        [Fact]
        public void Bad_probe_counts_and_shapes_are_rejected()
        {
            var model = Model();
            var x = zeros(3, 6, dtype: ScalarType.Float64);
            Assert.Equal("probes", Assert.Throws<ArgumentException>(() => DivergenceEstimators.Hutchinson(model.Score, x, 0, ProbeDistribution.Gaussian, new Generator(1))).ParamName);
            var e = Assert.Throws<ArgumentException>(() => DivergenceEstimators.Hutchinson(xx => xx.sum(1), x, 1, ProbeDistribution.Gaussian, new Generator(1)));
            Assert.Contains("must return [3, 6]", e.Message);
        }
    }
}
