using System;
using System.Linq;
using Dsl.Discrete;
using Dsl.Examples.Experiments;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>Hopfield networks through the generated energy and score of E(s) = −½sᵀWs − bᵀs.</summary>
    public class HopfieldTests
    {
        [Fact]
        public void The_generated_score_is_the_local_field_of_Hebbian_couplings()
        {
            using var scope = NewDisposeScope();
            var g = new Generator(1);
            var xi = empty(4, 20).bernoulli_(0.5, generator: g).mul_(2).sub_(1);
            var w = HopfieldDynamics.HebbianWeights(xi);
            Assert.Equal(0f, w.diagonal().abs().max().item<float>());
            Assert.True((w - w.transpose(0, 1)).abs().max().item<float>() == 0);
            var net = new HopfieldNetwork(N: 20);
            net.SetParameter("W", w);
            var s = empty(7, 20).bernoulli_(0.5, generator: g).mul_(2).sub_(1);
            Assert.True((net.ScoreNoGrad(s) - s.matmul(w)).abs().max().item<float>() < 1e-5);
        }

        [Fact]
        public void Asynchronous_updates_never_increase_the_energy_and_reach_a_fixed_point()
        {
            using var scope = NewDisposeScope();
            var g = new Generator(2);
            var net = new HopfieldNetwork(N: 40);
            var random = empty(40, 40).normal_(0, 1, generator: g);
            var w = (random + random.transpose(0, 1)) * (ones(40, 40) - eye(40));   // any symmetric, zero-diagonal couplings
            net.SetParameter("W", w);
            var start = empty(16, 40).bernoulli_(0.5, generator: g).mul_(2).sub_(1);
            var run = HopfieldDynamics.Asynchronous(net, start, 100, g, trace: true);
            Assert.True(run.Converged);
            Assert.True(run.EnergyTrace.Zip(run.EnergyTrace.Skip(1), (a, b) => b <= a + 1e-4).All(ok => ok), "energy increased");
            // A fixed point: another synchronous step changes nothing.
            Assert.True(HopfieldDynamics.Synchronous(net, run.States, 1).Converged);
        }

        [Fact]
        public void Recall_works_below_capacity_and_fails_well_above_it()
        {
            var low = HopfieldRecall.Run(n: 100, patterns: 5, noise: 0.1, seed: 1);
            Assert.True(low.EnergyNeverIncreased);
            Assert.True(low.RecallRate >= 0.8, $"P/N = 0.05: recall {low.RecallRate:F2}");
            Assert.Equal(0.8, low.InitialOverlap, 6);                                  // 10% flipped: overlap 1 − 2·0.1
            var high = HopfieldRecall.Run(n: 100, patterns: 40, noise: 0.1, seed: 1);
            Assert.True(high.RecallRate <= 0.2, $"P/N = 0.4: recall {high.RecallRate:F2}");
        }

        [Fact]
        public void Values_that_are_not_spins_are_named()
        {
            var s = ones(2, 3);
            s[1, 2] = tensor(0.5f);
            var e = Assert.Throws<ArgumentException>(() => HopfieldDynamics.HebbianWeights(s));
            Assert.Contains("entry [1, 2] is 0.5", e.Message);
        }
    }
}
