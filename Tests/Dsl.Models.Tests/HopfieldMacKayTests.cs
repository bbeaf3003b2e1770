using System;
using System.Linq;
using Dsl.Discrete;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>MacKay's Hopfield learning loop with weight decay (Algorithm 42.9) beside Hebbian storage.</summary>
    public class HopfieldMacKayTests
    {
        [Fact]
        public void MacKay_learning_stores_patterns_that_hebbian_storage_loses()
        {
            // N = 50, P = 15 (load 0.3, twice Hebb's ≈ 0.14): each Hebbian bit is unstable with probability ≈ Φ(−√(N/P)) ≈ 0.03, so about
            // 25 of the 750 bits are; MacKay's loop (perceptron learning, capacity up to 2N) makes every pattern a fixed point.
            const int n = 50, p = 15;
            using var scope = NewDisposeScope();
            var g = new Generator(4);
            var xi = empty(p, n, dtype: ScalarType.Float64).bernoulli_(0.5, generator: g).Mul_(2).Sub_(1);
            var hebb = new HopfieldNetwork(N: n);
            hebb.to(ScalarType.Float64);
            hebb.SetParameter("W", HopfieldDynamics.HebbianWeights(xi));
            double hebbFixed = HopfieldLearning.FixedPointFraction(hebb, xi);
            Assert.True(hebbFixed < 1, "Hebbian storage at load 0.3 keeps some unstable bits: " + hebbFixed);

            var net = new HopfieldNetwork(N: n);
            net.to(ScalarType.Float64);
            var run = HopfieldLearning.MacKay(net, xi, new HopfieldMacKayOptions { Iterations = 500, Eta = 0.01, Alpha = 0.1 });
            Assert.Equal(1.0, HopfieldLearning.FixedPointFraction(net, xi));
            var w = net.named_parameters().First(q => q.name == "W").parameter;
            Assert.Equal(0.0, w.diagonal().abs().max().ToDoubleValue());
            Assert.Equal(0.0, (w - w.t()).abs().max().ToDoubleValue());
            Assert.Equal(501, run.Objective.Count);
            Assert.True(run.Objective[^1] < run.Objective[0], $"G + αE_W fell: {run.Objective[0]:F2} → {run.Objective[^1]:F2}");
            // Weight decay bounds the weights: with α = 1 they end smaller than with α = 0.1 from the same start.
            var strong = new HopfieldNetwork(N: n);
            strong.to(ScalarType.Float64);
            HopfieldLearning.MacKay(strong, xi, new HopfieldMacKayOptions { Iterations = 500, Eta = 0.01, Alpha = 1.0 });
            var ws = strong.named_parameters().First(q => q.name == "W").parameter;
            Assert.True(ws.norm().ToDoubleValue() < w.norm().ToDoubleValue(), $"‖W‖ with α = 1: {ws.norm().ToDoubleValue():F2}, with α = 0.1: {w.norm().ToDoubleValue():F2}");
        }

        [Fact]
        public void One_iteration_is_the_algorithm_written_out()
        {
            // One step from W = xᵀx (zero diagonal), computed here with plain tensor algebra, against the library.
            const int n = 8, p = 3;
            using var scope = NewDisposeScope();
            var xi = empty(p, n, dtype: ScalarType.Float64).bernoulli_(0.5, generator: new Generator(9)).Mul_(2).Sub_(1);
            var net = new HopfieldNetwork(N: n);
            net.to(ScalarType.Float64);
            HopfieldLearning.MacKay(net, xi, new HopfieldMacKayOptions { Iterations = 1, Eta = 0.05, Alpha = 0.5 });
            var offDiagonal = ScalarOps.RSub(1, eye(n, dtype: ScalarType.Float64));
            var w0 = xi.t().matmul(xi) * offDiagonal;
            var e = xi.Add(1.0).Mul(0.5) - xi.matmul(w0).sigmoid();
            var gw = xi.t().matmul(e);
            var expected = (w0 + (gw + gw.t() - w0.Mul(0.5)).Mul(0.05)) * offDiagonal;
            var w = net.named_parameters().First(q => q.name == "W").parameter;
            Assert.True(w.allclose(expected, rtol: 1e-12, atol: 1e-12), "W after one iteration");
            Assert.Throws<ArgumentException>(() => HopfieldLearning.MacKay(net, xi, new HopfieldMacKayOptions { Alpha = -1 }));
        }
    }
}
