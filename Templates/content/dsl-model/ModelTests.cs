using System;
using Dsl;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace DslModel
{
    /// <summary>The generated analytic code against the slow, independent reference: autograd of your own equations.</summary>
    public class ModelTests
    {
        private static MixtureEnergy Model()
        {
            var model = new MixtureEnergy(D: 2, K: 3, generator: new Generator(7));
            model.to(ScalarType.Float64);
            return model;
        }

        private static Tensor Input(int n) => randn(new long[] { n, 2 }, dtype: ScalarType.Float64, generator: new Generator(11)) * 2;

        private static double MaxRelErr(Tensor actual, Tensor expected) =>
            (actual - expected).abs().max().ToDouble() / (1 + expected.abs().max().ToDouble());

        [Fact]
        public void Generated_score_equals_autograd_of_the_energy()
        {
            using var scope = NewDisposeScope();
            var model = Model();
            var x = Input(256);
            var reference = Autograd.Score(model.EnergyEager, x);   // −∇ₓE by autograd of E as written
            Assert.True(MaxRelErr(model.Score(x), reference) < 1e-10, "Score differs from autograd");
            Assert.True(MaxRelErr(model.ScoreNoGrad(x), reference) < 1e-10, "ScoreNoGrad differs from autograd");
            Assert.True(MaxRelErr(model.Energy(x), model.EnergyEager(x)) < 1e-12, "Energy differs from the equation");
        }

        [Fact]
        public void Generated_divergence_equals_autograd_and_log_prob_is_normalised()
        {
            using var scope = NewDisposeScope();
            var model = Model();
            var x = Input(64);
            // ∇ₓ·s by autograd, twice: the score of E by autograd, then its divergence.
            var reference = Autograd.Divergence(xx => Autograd.Score(model.EnergyEager, xx, createGraph: true), x);
            Assert.True(MaxRelErr(model.ScoreDivergence(x), reference) < 1e-9, "ScoreDivergence differs from autograd");
            // ∫ p(x) dx = 1 on a grid over [−12, 12]²: the declared log-partition is right.
            var g = linspace(-12, 12, 241, dtype: ScalarType.Float64);
            var grid = stack(new[] { g.repeat_interleave(241), g.repeat(241) }, 1);
            double mass = model.LogProb(grid).exp().sum().ToDouble() * 0.1 * 0.1;
            Assert.True(System.Math.Abs(mass - 1) < 1e-3, "∫p = " + mass);
        }

        [Fact]
        public void Sde_marginals_solve_the_moment_equations()
        {
            // For an affine drift f(x, t) = a(t)x: dm/dt = a m, dv/dt = 2a v + g² (m(0) = 1, v(0) = 0), by RK4 in float64.
            using var scope = NewDisposeScope();
            var sde = new NoisingSde();
            double A(double t) => sde.Drift(ones(1, 1, dtype: ScalarType.Float64), tensor(new[] { t })).ToDouble();
            double m = 1, v = 0, h = sde.EndTime / 2000;
            for (int i = 0; i < 2000; i++)
            {
                double t = i * h;
                (double, double) F(double tt, double mm, double vv) => (A(tt) * mm, 2 * A(tt) * vv + System.Math.Pow(sde.DiffusionAt(tt), 2));
                var k1 = F(t, m, v); var k2 = F(t + h / 2, m + h / 2 * k1.Item1, v + h / 2 * k1.Item2);
                var k3 = F(t + h / 2, m + h / 2 * k2.Item1, v + h / 2 * k2.Item2); var k4 = F(t + h, m + h * k3.Item1, v + h * k3.Item2);
                m += h / 6 * (k1.Item1 + 2 * k2.Item1 + 2 * k3.Item1 + k4.Item1);
                v += h / 6 * (k1.Item2 + 2 * k2.Item2 + 2 * k3.Item2 + k4.Item2);
                double tEnd = (i + 1) * h;
                if ((i + 1) % 400 == 0)
                {
                    Assert.True(System.Math.Abs(sde.MeanCoefficientAt(tEnd) - m) < 1e-8, $"m({tEnd}) = {sde.MeanCoefficientAt(tEnd)} vs {m}");
                    Assert.True(System.Math.Abs(sde.MarginalVarianceAt(tEnd) - v) < 1e-8, $"v({tEnd}) = {sde.MarginalVarianceAt(tEnd)} vs {v}");
                }
            }
        }
    }
}
