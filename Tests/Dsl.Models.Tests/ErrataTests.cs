using System;
using System.Linq;
using Dsl.Diffusion;
using Dsl.Examples.Experiments;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// docs/errata.md lists where the lecture slides and the code differ. Each erratum that the other suites do not already
    /// decide is decided here by a measurement that separates the two forms: the slides' form fails it, the code's passes.
    /// </summary>
    public class ErrataTests
    {
        /// <summary>
        /// The probability-flow ODE is dx/dt = f − ½g²∇log pₜ. The slides' f − g²∇log pₜ is the continuity drift of an SDE with
        /// diffusion √2·g, so it transports p₀ along the wrong marginals: its continuity residual against the true pₜ is large.
        /// </summary>
        [Theory]
        [InlineData("vp")]
        [InlineData("ve")]
        public void The_probability_flow_needs_the_half_and_the_slides_drift_breaks_the_continuity_equation(string sde)
        {
            var code = FokkerPlanckExperiment.Run(sde, "gmm", times: 6, points: 128, seed: 0);
            var slides = FokkerPlanckExperiment.Run(sde, "gmm", times: 6, points: 128, seed: 0, diffusionScale: Math.Sqrt(2));
            Assert.True(code.ContinuityMaxRelativeResidual < 1e-6, $"{sde}: f − ½g²s continuity residual {code.ContinuityMaxRelativeResidual:E2}");
            Assert.True(slides.ContinuityMaxRelativeResidual > 0.1, $"{sde}: f − g²s continuity residual only {slides.ContinuityMaxRelativeResidual:E2}");
        }

        /// <summary>
        /// q(xₜ | x₀) = N(√ᾱₜ x₀, (1 − ᾱₜ)I): 1 − ᾱₜ is the variance, √(1 − ᾱₜ) the standard deviation that multiplies ε. From
        /// x₀ = 0, the sample variance of xₜ must be 1 − ᾱₜ within its standard error (√(2/(n−1))·(1 − ᾱₜ) per coordinate
        /// pooled over D), and differs from the slides' √(1 − ᾱₜ) by many standard errors wherever ᾱₜ is far from 0 and 1.
        /// </summary>
        [Fact]
        public void The_forward_kernel_variance_is_one_minus_alpha_bar_not_its_square_root()
        {
            var schedule = DdpmSchedule.FromDiscretisedSde(new VpSde { BetaMin = 0.1, BetaMax = 20 }, 1000);
            using var scope = NewDisposeScope();
            var g = new Generator(11);
            const int n = 20000, d = 2;
            foreach (int step in new[] { 50, 150, 300 })
            {
                var x0 = zeros(n, d, dtype: ScalarType.Float64);
                var eps = empty(n, d, dtype: ScalarType.Float64).normal_(0, 1, generator: g);
                var t = tensor(Enumerable.Repeat((long)step, n).ToArray());
                var xt = Ddpm.QSample(schedule, x0, t, eps);
                double variance = xt.var().ToDoubleValue();
                double oneMinusAlphaBar = 1 - schedule.AlphaBars[step - 1];
                double se = oneMinusAlphaBar * Math.Sqrt(2.0 / (n * d - 1));
                Assert.True(Math.Abs(variance - oneMinusAlphaBar) < 4 * se, $"t = {step}: Var xₜ = {variance}, 1 − ᾱ = {oneMinusAlphaBar}, SE {se:E2}");
                Assert.True(Math.Abs(variance - Math.Sqrt(oneMinusAlphaBar)) > 20 * se, $"t = {step}: the slides' √(1 − ᾱ) = {Math.Sqrt(oneMinusAlphaBar)} is not separated");
            }
        }
    }
}
