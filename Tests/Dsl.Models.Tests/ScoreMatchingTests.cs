using System;
using System.Linq;
using Dsl.Examples.Experiments;
using Dsl.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>Score matching recovers known parameters through the generated differentiable code.</summary>
    public class ScoreMatchingTests
    {
        [Theory]
        [InlineData(ScoreMatchingLoss.Esm)]
        [InlineData(ScoreMatchingLoss.Ism)]
        [InlineData(ScoreMatchingLoss.Ssm)]
        [InlineData(ScoreMatchingLoss.SsmVr)]
        [InlineData(ScoreMatchingLoss.Dsm)]
        [InlineData(ScoreMatchingLoss.Ncsn)]
        public void Each_objective_recovers_the_mixture_means_and_weights(ScoreMatchingLoss loss)
        {
            var r = MixtureFit.Run(loss, seed: 0);
            Assert.True(r.InitialMeanError > 0.5, "the fit must start away from the truth");
            Assert.True(r.MeanError < 0.05, $"{loss}: mean error {r.MeanError:F4} (started at {r.InitialMeanError:F3})");
            Assert.True(r.WeightError < 0.03, $"{loss}: weight error {r.WeightError:F4}");
            // DSM learns the score of the data convolved with N(0, σ²I): its σ is √(s² + σ_dsm²); every other objective the data's s.
            double expectedSigma = loss == ScoreMatchingLoss.Dsm ? System.Math.Sqrt(MixtureFit.TrueSigma * MixtureFit.TrueSigma + MixtureFit.DsmSigma * MixtureFit.DsmSigma) : MixtureFit.TrueSigma;
            Assert.True(System.Math.Abs(r.FittedSigma - expectedSigma) < 0.02, $"{loss}: σ {r.FittedSigma:F4}, expected {expectedSigma:F4}");
            Assert.True(r.LossHistory.Take(20).Average() > r.FinalLoss, $"{loss}: the loss must fall");
        }

        [Fact]
        public void The_MLP_energy_learns_a_ring_and_annealed_Langevin_samples_it()
        {
            var r = RingFit.Run(seed: 0);
            // Data: |r − 2| has mean E|N(0, 0.1²)| ≈ 0.08; chains of an untrained model wander off.
            Assert.True(r.UntrainedMeanRadiusError > 1, $"untrained error {r.UntrainedMeanRadiusError:F3}");
            Assert.True(r.MeanRadiusError < 0.2, $"mean |radius − 2| of the samples {r.MeanRadiusError:F3}");
            Assert.True(r.FractionOnRing > 0.9, $"fraction within 3 widths of the ring {r.FractionOnRing:F3}");
            // Samples must cover the ring, not collapse onto an arc: every quadrant holds a fair share.
            var quadrants = new int[4];
            for (int i = 0; i < r.SampleXs.Length; i++) quadrants[(r.SampleXs[i] >= 0 ? 0 : 1) + (r.SampleYs[i] >= 0 ? 0 : 2)]++;
            Assert.All(quadrants, q => Assert.InRange(q, r.SampleXs.Length / 8, r.SampleXs.Length / 2));
        }

        [Fact]
        public void Implicit_score_matching_without_a_generated_divergence_falls_back_to_the_autograd_trace()
        {
            using var scope = NewDisposeScope();
            var model = new MlpEnergy(D: 4, H: 8, generator: new Generator(2));
            model.to(ScalarType.Float64);
            var x = empty(32, 4, dtype: ScalarType.Float64).normal_(0, 1, generator: new Generator(3));
            var parameters = model.parameters().ToArray();
            var generated = ScoreMatching.ScoreMatchingLosses.Implicit(model, x);
            var fallback = ScoreMatching.ScoreMatchingLosses.Implicit(new ScoreOnly(model), x);
            Assert.Equal(generated.item<double>(), fallback.item<double>(), 10);
            var g1 = autograd.grad(new[] { generated }, parameters);
            var g2 = autograd.grad(new[] { fallback }, parameters);
            for (int i = 0; i < parameters.Length; i++)
                Assert.True((g1[i] - g2[i]).abs().max().item<double>() < 1e-10, "parameter " + i);
        }

        /// <summary>A model seen only through its score: no generated divergence to use.</summary>
        private sealed class ScoreOnly : IScoreModel
        {
            private readonly IScoreModel inner;
            public ScoreOnly(IScoreModel inner) { this.inner = inner; }
            public string ModelName => inner.ModelName;
            public int Dim => inner.Dim;
            public Tensor Score(Tensor x) => inner.Score(x);
            public Tensor ScoreNoGrad(Tensor x) => inner.ScoreNoGrad(x);
        }

        [Fact]
        public void The_loss_names_round_trip()
        {
            foreach (ScoreMatchingLoss loss in Enum.GetValues(typeof(ScoreMatchingLoss)))
                Assert.Equal(loss, MixtureFit.Parse(MixtureFit.Name(loss)));
            Assert.Null(MixtureFit.Parse("nope"));
        }
    }
}
