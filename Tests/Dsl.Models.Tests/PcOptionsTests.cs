using System;
using System.Linq;
using Dsl.Examples.Experiments;
using Dsl.Sde;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// The predictor–corrector sampler's lecture variants: a fixed Langevin corrector step γ instead of the signal-to-noise rule, and
    /// predictor-then-corrector order (Song et al. 2021 Algorithm 2 as written) beside score_sde's corrector-then-predictor. Each
    /// against the known marginal p_ε of Gaussian data under the exact score: 4 standard errors plus the 1 % discretisation allowance
    /// of <see cref="SdeSamplingTests"/>.
    /// </summary>
    public class PcOptionsTests
    {
        [Theory]
        [InlineData("vp", 0.005, PcOrder.CorrectorFirst)]
        [InlineData("vp", null, PcOrder.PredictorFirst)]
        [InlineData("ve", 0.005, PcOrder.PredictorFirst)]
        public void Pc_variants_sample_the_known_gaussian_marginal(string sde, double? gamma, PcOrder order)
        {
            const int n = 2000, dim = 2, steps = 300;
            // γ = 0.005 against the data variance 0.25: one unadjusted Langevin step's stationary variance v/(1 − γ/(2v)) is 1 % high, 0.5 % in std.
            var r = SdeExperiments.Sample(sde, "pc", "gaussian", n, dim, steps: steps, seed: 11, correctorStep: gamma, order: order);
            for (int d = 0; d < dim; d++)
            {
                double seMean = r.TrueStd[d] / System.Math.Sqrt(n), seStd = r.TrueStd[d] / System.Math.Sqrt(2.0 * n);
                double bias = 0.01 * SdeExperiments.DataStd;
                Assert.True(System.Math.Abs(r.Mean[d] - r.TrueMean[d]) <= 4 * seMean + bias, $"{sde} γ={gamma} {order}: mean[{d}] {r.Mean[d]:F4} vs {r.TrueMean[d]:F4} (SE {seMean:E2})");
                Assert.True(System.Math.Abs(r.Std[d] - r.TrueStd[d]) <= 4 * seStd + bias, $"{sde} γ={gamma} {order}: std[{d}] {r.Std[d]:F4} vs {r.TrueStd[d]:F4} (SE {seStd:E2})");
            }
            // one corrector and one predictor score evaluation per step; predictor first skips the last corrector (the run returns the denoised mean)
            Assert.Equal(order == PcOrder.PredictorFirst ? 2 * steps - 1 : 2 * steps, r.Nfe);
        }

        [Fact]
        public void A_fixed_step_corrector_takes_exactly_its_step()
        {
            // Corrector-only on the VE SDE at one time step: x ← x + γs(x, T) + √(2γ)z from the prior. With the exact score of Gaussian data,
            // s(x, T) = −(x − μ)/v(T); the result is compared with the same update computed here from the same noise stream: the run's
            // counter-based stream (a generated data model through FromPerturbedData on the CPU: SharedTimeSteps), keyed from the
            // generator after the prior draw, draw 0 of step 0.
            var data = SdeExperiments.GaussianData(2);
            var sde = SdeExperiments.Sde("ve");
            var score = TimeScores.FromPerturbedData(data, sde);
            const double gamma = 0.3;
            var options = new SdeSamplerOptions { Steps = 1, Predictor = Predictor.None, Corrector = Corrector.Langevin, CorrectorStepSize = gamma, Denoise = false, Seed = 3 };
            using var result = SdeSolvers.Sample(sde, score, 64, null, LangevinCorrector.FixedStep(gamma), options, ScalarType.Float64);
            using var g = new Generator(3, CPU);
            using var x = sde.SamplePrior(64, 2, g, ScalarType.Float64, CPU);
            using var z = new Dsl.GeneratedCode.CounterNoise(Dsl.CounterRandom.SubKey(Dsl.CounterRandom.KeyFrom(g), 0), 0).Sample(x);
            using var t = ScalarOps.Full(new long[] { 64 }, sde.EndTime, ScalarType.Float64);
            using var s = score.Score(x, t);
            using var expected = x.Add(s, gamma).Add_(z, System.Math.Sqrt(2 * gamma));
            Assert.True(result.Samples.allclose(expected, rtol: 1e-12, atol: 1e-12), "the fixed-step corrector is x + γs + √(2γ)z");
            using var viaEnum = SdeSolvers.Sample(sde, score, 64, options, ScalarType.Float64);
            Assert.True(viaEnum.Samples.allclose(result.Samples, rtol: 0, atol: 0), "CorrectorStepSize in the options builds the same corrector");
        }

        [Fact]
        public void The_order_and_the_step_rule_change_the_samples_and_bad_values_are_refused()
        {
            var a = SdeExperiments.Sample("vp", "pc", "gaussian", 200, 2, steps: 50, seed: 1);
            var b = SdeExperiments.Sample("vp", "pc", "gaussian", 200, 2, steps: 50, seed: 1, order: PcOrder.PredictorFirst);
            var c = SdeExperiments.Sample("vp", "pc", "gaussian", 200, 2, steps: 50, seed: 1, correctorStep: 0.01);
            Assert.NotEqual(a.Mean, b.Mean);
            Assert.NotEqual(a.Mean, c.Mean);
            var e = Assert.Throws<ArgumentException>(() => SdeExperiments.Sample("vp", "pc", "gaussian", 10, 2, steps: 5, correctorStep: -1));
            Assert.Contains("CorrectorStepSize must be a finite number > 0", e.Message);
            Assert.Throws<ArgumentOutOfRangeException>(() => LangevinCorrector.FixedStep(0));
        }
    }

    /// <summary>`dsl sde-sample --sampler pc --corrector-step γ --pc-order predictor-first`.</summary>
    [Collection("Console")]
    public class PcOptionsCliTests
    {
        [Fact]
        public void Sde_sample_takes_the_corrector_step_and_order()
        {
            var json = Gallery.RunJson("sde-sample", "--sde", "vp", "--sampler", "pc", "--data", "gaussian", "--n", "2000", "--steps", "300",
                "--corrector-step", "0.005", "--pc-order", "predictor-first", "--out", System.IO.Path.Combine(System.IO.Path.GetTempPath(), "dsl-pc-options-" + Environment.ProcessId));
            Assert.Equal(0.005, json.GetProperty("corrector_step").GetDouble());
            Assert.Equal("predictor-first", json.GetProperty("pc_order").GetString());
            var mean = json.GetProperty("mean").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            var trueMean = json.GetProperty("true_mean").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            var trueStd = json.GetProperty("true_std").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            for (int d = 0; d < mean.Length; d++)
                Assert.True(System.Math.Abs(mean[d] - trueMean[d]) <= 4 * trueStd[d] / System.Math.Sqrt(2000) + 0.005, $"mean[{d}] {mean[d]} vs {trueMean[d]}");
            var (code, _, err) = Gallery.Run(new[] { "sde-sample", "--sampler", "em", "--corrector-step", "0.01", "--json" });
            Assert.Equal(2, code);
            Assert.Contains("--corrector-step and --pc-order are for --sampler pc", err);
            (code, _, err) = Gallery.Run(new[] { "sde-sample", "--pc-order", "sideways", "--json" });
            Assert.Equal(2, code);
            Assert.Contains("valid: corrector-first, predictor-first", err);
        }
    }
}
