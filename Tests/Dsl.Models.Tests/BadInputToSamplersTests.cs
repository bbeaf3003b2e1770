using System;
using System.Linq;
using Dsl.Sampling;
using Dsl.Sde;
using Dsl.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// Samplers and solvers refuse a start that is already NaN or ±∞ (instead of reporting a divergence and blaming the step
    /// size) and a score of the wrong shape (instead of a raw libtorch size error, or a silent broadcast of [N, 1] against [N, D]).
    /// </summary>
    public class BadInputToSamplersTests
    {
        private static IEnergyScoreModel Mixture() => (IEnergyScoreModel)ModelCatalog.Find("GaussianMixture")!.Create(0);

        private static readonly SamplerOptions Short = new() { Steps = 3, Seed = 1 };

        private static Tensor AllNaN() => tensor(Enumerable.Repeat(float.NaN, 8).ToArray()).reshape(4, 2);

        /// <summary>Four chains, row 2 holds +∞.</summary>
        private static Tensor OneInfiniteRow()
        {
            var x = zeros(4, 2);
            using var infinity = tensor(float.PositiveInfinity);
            x[2, 1] = infinity;
            return x;
        }

        /// <summary>A score of shape [N, 1]: the first coordinate only.</summary>
        private static Tensor Narrow(Tensor score) => score.narrow(1, 0, 1);

        private sealed class NarrowScore : IEnergyScoreModel
        {
            private readonly IEnergyScoreModel inner = Mixture();
            public string ModelName => "NarrowScore";
            public int Dim => 2;
            public Tensor Energy(Tensor x) => inner.Energy(x);
            public Tensor EnergyNoGrad(Tensor x) => inner.EnergyNoGrad(x);
            public Tensor Score(Tensor x) => Narrow(inner.Score(x));
            public Tensor ScoreNoGrad(Tensor x) => Narrow(inner.ScoreNoGrad(x));
            public (Tensor Energy, Tensor Score) EnergyAndScore(Tensor x) => (inner.Energy(x), Score(x));
            public (Tensor Energy, Tensor Score) EnergyAndScoreNoGrad(Tensor x) => (inner.EnergyNoGrad(x), ScoreNoGrad(x));
        }

        [Fact]
        public void A_NaN_start_is_refused_as_a_bad_start_not_reported_as_a_divergence()
        {
            var e = Assert.Throws<ArgumentException>(() => Samplers.Langevin(Mixture(), AllNaN(), 0.01, Short));
            Assert.Equal("x0", e.ParamName);
            Assert.Contains("Langevin on GaussianMixture: the initial state x0 has NaN or ±∞ entries before the first step, in row 0 and 3 others of 4 (chain 0)", e.Message);
            Assert.Contains("not a divergence of the sampler", e.Message);
            Assert.Contains("Metropolis–Hastings on GaussianMixture: the initial state x0 has NaN",
                Assert.Throws<ArgumentException>(() => Samplers.MetropolisHastings(Mixture(), AllNaN(), 0.1, Short)).Message);
        }

        [Fact]
        public void An_infinite_start_names_its_chain()
        {
            var e = Assert.Throws<ArgumentException>(() => Samplers.Mala(Mixture(), OneInfiniteRow(), 0.01, Short));
            Assert.Contains("MALA on GaussianMixture: the initial state x0 has NaN or ±∞ entries before the first step, in row 2 of 4 (chain 2)", e.Message);
            var perturbed = new PerturbedGaussianMixture(D: 2, K: 2, generator: new Generator(1));
            var annealed = Assert.Throws<ArgumentException>(() => Samplers.AnnealedLangevin(perturbed, OneInfiniteRow(), new[] { 1.0, 0.1 }, 0.01, 2, Short));
            Assert.Contains("Annealed Langevin on PerturbedGaussianMixture: the initial state x0 has NaN or ±∞ entries before the first step, in row 2 of 4", annealed.Message);
        }

        [Fact]
        public void The_SDE_solvers_refuse_a_non_finite_start_or_data()
        {
            using var g = new Generator(2);
            var forward = Assert.Throws<ArgumentException>(() => SdeSolvers.EulerMaruyama(new VpSde(), OneInfiniteRow(), 0, 1, 10, g));
            Assert.Contains("SdeSolvers.EulerMaruyama on VpSde: the initial state x0 has NaN or ±∞ entries before the first step, in row 2 of 4", forward.Message);
            var score = TimeScores.FromScorePrediction(2, (x, t) => Mixture().Score(x));
            var likelihood = Assert.Throws<ArgumentException>(() => ProbabilityFlow.LogLikelihood(new VeSde(), score, AllNaN(), new LikelihoodOptions()));
            Assert.Contains("ProbabilityFlow.LogLikelihood on score prediction: the data x has NaN or ±∞ entries", likelihood.Message);
        }

        [Theory]
        [InlineData(Predictor.EulerMaruyama, Corrector.None, "Reverse Euler–Maruyama")]
        [InlineData(Predictor.ReverseDiffusion, Corrector.None, "Reverse diffusion")]
        [InlineData(Predictor.EulerMaruyama, Corrector.Langevin, "Predictor–corrector")]
        [InlineData(Predictor.None, Corrector.Langevin, "Langevin corrector")]
        public void SdeSolvers_Sample_refuses_a_score_of_the_wrong_shape(Predictor predictor, Corrector corrector, string solver)
        {
            var model = Mixture();
            var score = TimeScores.FromScorePrediction(2, (x, t) => Narrow(model.ScoreNoGrad(x)), "narrow score");
            var e = Assert.Throws<ArgumentException>(() => SdeSolvers.Sample(new VpSde(), score, 8,
                new SdeSamplerOptions { Steps = 3, Predictor = predictor, Corrector = corrector }));
            Assert.Equal("SdeSolvers.Sample (" + solver + "): the score 'narrow score' returned [8, 1] for x of shape [8, 2]; it must return [N, D] = [8, 2], one score row per row of x.", e.Message);
        }

        [Fact]
        public void ProbabilityFlow_refuses_a_score_of_the_wrong_shape_when_sampling_and_in_both_likelihoods()
        {
            var model = Mixture();
            var score = TimeScores.FromScorePrediction(2, (x, t) => Narrow(model.Score(x)), "narrow score");
            var sample = Assert.Throws<ArgumentException>(() => ProbabilityFlow.Sample(new VeSde(), score, 8, new OdeOptions()));
            Assert.Contains("ProbabilityFlow.Sample: the score 'narrow score' returned [8, 1] for x of shape [8, 2]; it must return [N, D] = [8, 2]", sample.Message);
            var x = empty(8, 2).normal_(0, 1, generator: new Generator(3));
            foreach (var divergence in new[] { DivergenceEstimator.Exact, DivergenceEstimator.HutchinsonGaussian })
            {
                var e = Assert.Throws<ArgumentException>(() => ProbabilityFlow.LogLikelihood(new VeSde(), score, x, new LikelihoodOptions { Divergence = divergence }));
                Assert.Contains("ProbabilityFlow.LogLikelihood: the score 'narrow score' returned [8, 1] for x of shape [8, 2]", e.Message);
            }
        }

        [Fact]
        public void Langevin_and_MALA_refuse_a_hand_written_score_of_the_wrong_shape()
        {
            var x0 = zeros(4, 2);
            var langevin = Assert.Throws<ArgumentException>(() => Samplers.Langevin(new NarrowScore(), x0, 0.01, Short));
            Assert.Contains("Langevin: the score 'NarrowScore' returned [4, 1] for x of shape [4, 2]; it must return [N, D] = [4, 2]", langevin.Message);
            var mala = Assert.Throws<ArgumentException>(() => Samplers.Mala(new NarrowScore(), x0, 0.01, Short));
            Assert.Contains("MALA: the score 'NarrowScore' returned [4, 1]", mala.Message);
            using var g = new Generator(4);
            var step = Assert.Throws<ArgumentException>(() => Samplers.LangevinStep(new NarrowScore(), x0, 0.01, g));
            Assert.Contains("Samplers.LangevinStep: the score 'NarrowScore' returned [4, 1]", step.Message);
        }
    }
}
