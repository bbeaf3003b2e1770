using System;
using System.Linq;
using Dsl.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// Noise-conditional models: the generated E(x, σ), s(x, σ) and ∇ₓ·s(x, σ) against autograd of the user's own
    /// equation run eagerly, with per-sample σ; the perturbed mixture against its closed form.
    /// </summary>
    public class NoiseConditionalTests
    {
        private static ParameterModule Create(string name, long seed, ScalarType dtype)
        {
            var g = new Generator((ulong)seed);
            ParameterModule model = name == nameof(PerturbedGaussianMixture)
                ? new PerturbedGaussianMixture(D: 3, K: 4, generator: g)
                : new NoiseConditionalMlpEnergy(D: 3, H: 8, generator: g);
            foreach (var p in model.ParameterNames)
            {
                var shape = model.named_parameters().First(np => np.name == p).parameter.shape;
                var value = empty(shape, dtype: ScalarType.Float64).normal_(0, 0.7, generator: g);
                if (p == "Sigma") value = value.abs().Add(0.3);
                model.SetParameter(p, value);
            }
            model.to(dtype);
            return model;
        }

        private static double RelErr(Tensor actual, Tensor expected) =>
            (actual - expected).abs().max().ToDoubleValue() / (1 + expected.abs().max().ToDoubleValue());

        private static void Check(string name, long seed, ScalarType dtype, double tolerance)
        {
            using var scope = NewDisposeScope();
            var module = Create(name, seed, dtype);
            var model = (INoiseConditionalDivergenceModel)module;
            var g = new Generator((ulong)seed + 3);
            var x = empty(32, 3, dtype: ScalarType.Float64).normal_(0, 1.5, generator: g).to(dtype);
            var sigma = empty(32, dtype: ScalarType.Float64).normal_(0, 1, generator: g).exp().to(dtype);   // log-normal σ per sample
            Func<Tensor, Tensor> eager = xx => model.EnergyEager(xx, sigma);
            var energyRef = eager(x);
            var scoreRef = Autograd.Score(eager, x);
            var divRef = Autograd.Divergence(xx => Autograd.Score(eager, xx, createGraph: true), x);

            Assert.True(RelErr(model.Energy(x, sigma), energyRef) <= tolerance, name + " Energy");
            Assert.True(RelErr(model.EnergyNoGrad(x, sigma), energyRef) <= tolerance, name + " EnergyNoGrad");
            Assert.True(RelErr(model.Score(x, sigma), scoreRef) <= tolerance, name + " Score " + RelErr(model.Score(x, sigma), scoreRef));
            Assert.True(RelErr(model.ScoreNoGrad(x, sigma), scoreRef) <= tolerance, name + " ScoreNoGrad");
            var (e, s) = model.EnergyAndScoreNoGrad(x, sigma);
            Assert.True(RelErr(e, energyRef) <= tolerance && RelErr(s, scoreRef) <= tolerance, name + " EnergyAndScoreNoGrad");
            Assert.True(RelErr(model.ScoreDivergence(x, sigma), divRef) <= tolerance, name + " ScoreDivergence " + RelErr(model.ScoreDivergence(x, sigma), divRef));
            Assert.True(RelErr(model.ScoreDivergenceNoGrad(x, sigma), divRef) <= tolerance, name + " ScoreDivergenceNoGrad");
        }

        [Theory]
        [InlineData(nameof(PerturbedGaussianMixture))]
        [InlineData(nameof(NoiseConditionalMlpEnergy))]
        public void Float64_generated_quantities_match_autograd_with_per_sample_sigma(string name)
        {
            // 1e-8: σ is log-normal here, and E/σ at small σ magnifies float64 rounding of the two-layer network.
            foreach (var seed in FixedSeeds.For(name + "f64", 6)) Check(name, seed, ScalarType.Float64, 1e-8);
        }

        [Theory]
        [InlineData(nameof(PerturbedGaussianMixture))]
        [InlineData(nameof(NoiseConditionalMlpEnergy))]
        public void Float32_generated_quantities_match_autograd_with_per_sample_sigma(string name)
        {
            foreach (var seed in FixedSeeds.For(name + "f32", 4)) Check(name, seed, ScalarType.Float32, 1e-4);
        }

        [Fact]
        public void Parameter_gradients_through_the_generated_score_match_the_eager_double_backward()
        {
            using var scope = NewDisposeScope();
            var module = Create(nameof(NoiseConditionalMlpEnergy), 11, ScalarType.Float64);
            var model = (INoiseConditionalModel)module;
            var g = new Generator(5);
            var x = empty(16, 3, dtype: ScalarType.Float64).normal_(0, 1, generator: g);
            var sigma = global::Dsl.ScalarOps.Full(new long[] { 16 },0.7,dtype: ScalarType.Float64);
            var w = empty(16, 3, dtype: ScalarType.Float64).normal_(0, 1, generator: g);
            var parameters = module.parameters().ToArray();
            var generated = autograd.grad(new[] { (model.Score(x, sigma) * w).sum() }, parameters);
            var eager = autograd.grad(new[] { (Autograd.Score(xx => model.EnergyEager(xx, sigma), x, createGraph: true) * w).sum() }, parameters);
            for (int i = 0; i < parameters.Length; i++)
                Assert.True(RelErr(generated[i], eager[i]) <= 1e-9, "parameter " + i);
        }

        [Fact]
        public void Perturbed_mixture_log_density_is_the_closed_form_of_the_convolved_mixture()
        {
            using var scope = NewDisposeScope();
            var model = new PerturbedGaussianMixture(D: 2, K: 2);
            model.to(ScalarType.Float64);
            model.SetParameter("Mu", tensor(new[] { -5.0, -5.0, 5.0, 5.0 }).reshape(2, 2));
            model.SetParameter("LogW", tensor(new[] { System.Math.Log(0.2), System.Math.Log(0.8) }));
            model.SetParameter("Sigma", tensor(1.0));
            var x = tensor(new[] { 0.5, -1.0, 4.0, 6.0, -7.0, -3.0 }, dtype: ScalarType.Float64).reshape(3, 2);
            var sigmas = new[] { 0.0, 1.0, 10.0 };
            var sigma = tensor(sigmas, dtype: ScalarType.Float64);
            var actual = model.LogProb(x, sigma).data<double>().ToArray();
            var xs = x.data<double>().ToArray();
            for (int n = 0; n < 3; n++)
            {
                double v = 1 + sigmas[n] * sigmas[n];
                double p = 0;
                foreach (var (w, m) in new[] { (0.2, -5.0), (0.8, 5.0) })
                {
                    double r2 = (xs[2 * n] - m) * (xs[2 * n] - m) + (xs[2 * n + 1] - m) * (xs[2 * n + 1] - m);
                    p += w * System.Math.Exp(-r2 / (2 * v)) / (2 * System.Math.PI * v);
                }
                Assert.Equal(System.Math.Log(p), actual[n], 10);
            }
        }

        [Fact]
        public void A_sigma_of_the_wrong_shape_is_a_clear_error()
        {
            var model = new PerturbedGaussianMixture(D: 2, K: 2);
            var x = zeros(5, 2);
            var e = Assert.Throws<ArgumentException>(() => model.ScoreNoGrad(x, zeros(4)));
            Assert.Contains("PerturbedGaussianMixture.ScoreNoGrad", e.Message);
            Assert.Contains("'sigma' must have shape [N] = [5]", e.Message);
            Assert.Equal("sigma", e.ParamName);
            var d = Assert.Throws<ArgumentException>(() => model.Score(x, zeros(5, dtype: ScalarType.Float64)));
            Assert.Contains("dtype", d.Message);
        }
    }
}
