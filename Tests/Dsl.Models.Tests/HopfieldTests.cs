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
            var xi = empty(4, 20).bernoulli_(0.5, generator: g).Mul_(2).Sub_(1);
            var w = HopfieldDynamics.HebbianWeights(xi);
            Assert.Equal(0f, w.diagonal().abs().max().item<float>());
            Assert.True((w - w.transpose(0, 1)).abs().max().item<float>() == 0);
            var net = new HopfieldNetwork(N: 20);
            net.SetParameter("W", w);
            var s = empty(7, 20).bernoulli_(0.5, generator: g).Mul_(2).Sub_(1);
            Assert.True((net.ScoreNoGrad(s) - s.matmul(w)).abs().max().item<float>() < 1e-5);
        }

        [Fact]
        public void Asynchronous_updates_never_increase_the_energy_and_reach_a_fixed_point()
        {
            using var scope = NewDisposeScope();
            var g = new Generator(2);
            var net = new HopfieldNetwork(N: 40);
            var random = empty(40, 40).normal_(0, 1, generator: g);
            var w = (random.Add(random.transpose(0, 1))) * (ones(40, 40) - eye(40));   // any symmetric, zero-diagonal couplings
            net.SetParameter("W", w);
            var start = empty(16, 40).bernoulli_(0.5, generator: g).Mul_(2).Sub_(1);
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
        public void The_gradient_rule_keeps_W_symmetric_with_zero_diagonal_stores_every_pattern_and_keeps_the_Lyapunov_property()
        {
            using var scope = NewDisposeScope();
            var g = new Generator(5);
            var xi = empty(20, 64, dtype: ScalarType.Float64).bernoulli_(0.5, generator: g).Mul_(2).Sub_(1);   // P/N ≈ 0.31, beyond Hebbian capacity
            var net = new HopfieldNetwork(N: 64);
            net.to(ScalarType.Float64);
            net.SetParameter("W", HopfieldDynamics.HebbianWeights(xi));
            double hebbianFixed = HopfieldLearning.FixedPointFraction(net, xi);
            var run = HopfieldLearning.Gradient(net, xi, new HopfieldGradientOptions { Steps = 300, LearningRate = 0.1 });
            var w = net.named_parameters().First(p => p.name == "W").parameter.detach();
            Assert.True(w.eq(w.transpose(0, 1)).all().item<bool>(), "W is not exactly symmetric");
            Assert.Equal(0.0, w.diagonal().abs().max().ToDoubleValue());
            Assert.Equal(0.0, net.named_parameters().First(p => p.name == "B").parameter.abs().max().ToDoubleValue());   // only W trains
            Assert.True(run.PseudoLogLikelihood[^1] > run.PseudoLogLikelihood[0] + 5, $"PLL {run.PseudoLogLikelihood[0]:F3} → {run.PseudoLogLikelihood[^1]:F3}");
            Assert.True(hebbianFixed <= 0.5, $"Hebbian fixed points {hebbianFixed:F2}");
            Assert.Equal(1.0, HopfieldLearning.FixedPointFraction(net, xi));
            // Lyapunov: asynchronous updates from random starts never increase the (float64) energy of the learned couplings.
            var start = empty(16, 64, dtype: ScalarType.Float64).bernoulli_(0.5, generator: g).Mul_(2).Sub_(1);
            var dyn = HopfieldDynamics.Asynchronous(net, start, 100, g, trace: true);
            Assert.True(dyn.Converged);
            Assert.True(dyn.EnergyTrace.Zip(dyn.EnergyTrace.Skip(1), (a, b) => b <= a + 1e-12 * System.Math.Abs(a)).All(ok => ok), "energy increased");
            dyn.States.Dispose();
        }

        [Fact]
        public void The_gradient_rule_recalls_where_Hebbian_storage_fails()
        {
            // N = 64, P = 20 (P/N ≈ 0.31), 10% of the bits flipped. Measured (seed 1): Hebbian 0.05, gradient 1.00.
            var hebbian = HopfieldRecall.Run(n: 64, patterns: 20, noise: 0.1, seed: 1, rule: "hebbian");
            var gradient = HopfieldRecall.Run(n: 64, patterns: 20, noise: 0.1, seed: 1, rule: "gradient");
            Assert.True(hebbian.RecallRate <= 0.3, $"Hebbian recall {hebbian.RecallRate:F2}");
            Assert.True(gradient.RecallRate >= 0.9, $"gradient recall {gradient.RecallRate:F2}");
            Assert.True(gradient.RecallRate - hebbian.RecallRate >= 0.6);
            Assert.Equal(1.0, gradient.FixedPointFraction);
            Assert.True(gradient.EnergyNeverIncreased && hebbian.EnergyNeverIncreased);
            Assert.Equal("unknown --rule 'oja'", Assert.Throws<ArgumentException>(() => HopfieldRecall.Run(rule: "oja")).Message.Split(';')[0].Replace("Hopfield: ", ""));
        }

        [Fact]
        public void The_continuous_network_score_is_autograd_of_its_energy_and_the_mean_field_residual()
        {
            using var scope = NewDisposeScope();
            var g = new Generator(6);
            var net = new ContinuousHopfieldNetwork(N: 12) { Gain = 1.7 };
            net.to(ScalarType.Float64);
            var w = empty(12, 12, dtype: ScalarType.Float64).normal_(0, 0.5, generator: g);          // not symmetric: the score symmetrises
            var b = empty(12, dtype: ScalarType.Float64).normal_(0, 0.5, generator: g);
            net.SetParameter("W", w);
            net.SetParameter("B", b);
            var v = empty(32, 12, dtype: ScalarType.Float64).normal_(0, 1, generator: g).tanh_().Mul_(0.98);
            var reference = Dsl.Autograd.Score(net.EnergyEager, v);
            double RelErr(Tensor a, Tensor e) => (a - e).abs().max().ToDoubleValue() / (1 + e.abs().max().ToDoubleValue());
            Assert.True(RelErr(net.Score(v), reference) < 1e-10);
            Assert.True(RelErr(net.ScoreNoGrad(v), reference) < 1e-10);
            Assert.True(RelErr(net.Energy(v), net.EnergyEager(v)) < 1e-10 && RelErr(net.EnergyNoGrad(v), net.EnergyEager(v)) < 1e-10);
            var (e2, s2) = net.EnergyAndScoreNoGrad(v);
            Assert.True(RelErr(e2, net.EnergyEager(v)) < 1e-10 && RelErr(s2, reference) < 1e-10);
            var divergence = Dsl.Autograd.Divergence(x => Dsl.Autograd.Score(net.EnergyEager, x, createGraph: true), v);
            Assert.True(RelErr(net.ScoreDivergenceNoGrad(v), divergence) < 1e-10);
            // −∇E = ½(W + Wᵀ)v + b − atanh(v)/gain
            var explicitScore = v.matmul((w.Add(w.transpose(0, 1))).Mul(0.5)).Add(b) - v.atanh().Div(1.7);
            Assert.True(RelErr(net.ScoreNoGrad(v), explicitScore) < 1e-12);
        }

        [Theory]
        [InlineData(0.5)]
        [InlineData(2.0)]
        public void Continuous_dynamics_never_increase_the_energy_and_reach_the_mean_field_fixed_point(double gain)
        {
            using var scope = NewDisposeScope();
            var g = new Generator(7);
            const int n = 30;
            var net = new ContinuousHopfieldNetwork(N: n) { Gain = gain };
            net.to(ScalarType.Float64);
            var a = empty(n, n, dtype: ScalarType.Float64).normal_(0, 1 / System.Math.Sqrt(n), generator: g);
            var w = (a.Add(a.transpose(0, 1))) * (ones(n, n, dtype: ScalarType.Float64) - eye(n, dtype: ScalarType.Float64));
            var b = empty(n, dtype: ScalarType.Float64).normal_(0, 0.2, generator: g);
            net.SetParameter("W", w);
            net.SetParameter("B", b);
            double eta = HopfieldDynamics.ContinuousStepBound(w, gain);
            Assert.InRange(eta, 0.05, 1.0);
            var start = empty(8, n, dtype: ScalarType.Float64).uniform_(-0.9, 0.9, generator: g);
            var run = HopfieldDynamics.Continuous(net, start, gain, eta, maxSteps: 20_000, tolerance: 1e-9, trace: true);
            Assert.True(run.Converged, $"gain {gain}: not converged in {run.Sweeps} steps");
            Assert.True(run.EnergyTrace.Zip(run.EnergyTrace.Skip(1), (x, y) => y <= x + 1e-12 * (1 + System.Math.Abs(x))).All(ok => ok), "energy increased");
            var v = run.States;
            var residual = (v - (v.matmul(w).Add(b)).Mul_(gain).tanh_()).abs().max().ToDoubleValue();
            Assert.True(residual <= 1e-6, $"|v − tanh(gain(Wv + b))| = {residual:E2}");
            Assert.True(net.ScoreNoGrad(v).abs().max().ToDoubleValue() <= 1e-6 * (1 + 1 / gain) * 10);   // the score vanishes there
            v.Dispose();
        }

        [Fact]
        public void Continuous_dynamics_refuse_outputs_outside_the_open_interval()
        {
            var net = new ContinuousHopfieldNetwork(N: 3);
            Assert.Equal("start", Assert.Throws<ArgumentException>(() => HopfieldDynamics.Continuous(net, ones(1, 3), 1, 1, 10)).ParamName);
            Assert.Equal("eta", Assert.Throws<ArgumentException>(() => HopfieldDynamics.Continuous(net, zeros(1, 3), 1, 1.5, 10)).ParamName);
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
