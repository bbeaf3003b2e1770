using System;
using System.Linq;
using Dsl.Examples.Experiments;
using Dsl.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// Annealed importance sampling for a continuous energy (<see cref="ContinuousAis"/>) against the closed-form log Z of a Gaussian
    /// mixture, Z = Σₖ wₖ (2πσ²)^{D/2}, computed here from the parameters read back from the model.
    /// </summary>
    public class ContinuousAisTests
    {
        private static double ExactLogZ(GaussianMixture model)
        {
            Tensor P(string name) => model.named_parameters().First(p => p.name == name).parameter;
            double[] logW = P("LogW").data<double>().ToArray();
            double sigma = P("Sigma").ToDoubleValue();
            int d = (int)P("Mu").shape[1];
            return System.Math.Log(logW.Sum(System.Math.Exp)) + 0.5 * d * System.Math.Log(2 * System.Math.PI * sigma * sigma);
        }

        [Theory]
        [InlineData(AisTransition.Mala, 0.1)]
        [InlineData(AisTransition.MetropolisHastings, 0.5)]
        public void Log_partition_of_a_gaussian_mixture_is_within_four_standard_errors(AisTransition transition, double step)
        {
            using var model = ContinuousAisExperiment.Mixture();
            double exact = ExactLogZ(model);
            Assert.True(System.Math.Abs(exact - 2.2025) < 1e-3, "the mixture's log Z is log 4 + log(0.72π): " + exact);
            foreach (long seed in FixedSeeds.For("ContinuousAis" + transition, 2))
            {
                var options = new ContinuousAisOptions { Chains = 1000, Temperatures = 200, StepsPerTemperature = 2, StepSize = step, Transition = transition, BaseStd = 3, Seed = seed };
                var estimate = ContinuousAis.LogPartition(model, options);
                Assert.False(estimate.Cancelled);
                Assert.Equal(200, estimate.Temperatures);
                Assert.InRange(estimate.StandardError, 1e-3, 0.1);
                Assert.InRange(estimate.AcceptanceRate, 0.3, 1.0);
                Assert.True(System.Math.Abs(estimate.LogZ - exact) <= 4 * estimate.StandardError,
                    transition + " seed " + seed + ": log Z " + estimate.LogZ + " ± " + estimate.StandardError + " vs exact " + exact);
                if (seed == FixedSeeds.For("ContinuousAis" + transition, 1).First())
                    Assert.Equal(estimate.LogZ, ContinuousAis.LogPartition(model, options).LogZ);   // same seed, same estimate
            }
        }

        [Fact]
        public void Importance_weights_without_annealing_are_the_plain_importance_sampling_estimate()
        {
            // K = 1: one weight per chain, w = e^{−E(x)}/p₀(x) at x ~ p₀: plain importance sampling, unbiased for Z but with a larger
            // spread; the AIS path with K = 200 must have a smaller standard error at the same n (the point of annealing).
            using var model = ContinuousAisExperiment.Mixture();
            var plain = ContinuousAis.LogPartition(model, new ContinuousAisOptions { Chains = 1000, Temperatures = 1, BaseStd = 3, Seed = 5 });
            var annealed = ContinuousAis.LogPartition(model, new ContinuousAisOptions { Chains = 1000, Temperatures = 200, StepsPerTemperature = 2, BaseStd = 3, Seed = 5 });
            double exact = ExactLogZ(model);
            Assert.True(System.Math.Abs(plain.LogZ - exact) <= 4 * plain.StandardError, "plain IS: " + plain.LogZ + " ± " + plain.StandardError + " vs " + exact);
            Assert.True(annealed.StandardError < plain.StandardError, "AIS " + annealed.StandardError + " vs IS " + plain.StandardError);
            Assert.True(annealed.EffectiveSampleSize > plain.EffectiveSampleSize);
        }

        [Fact]
        public void Bad_settings_are_refused_with_their_names()
        {
            using var model = ContinuousAisExperiment.Mixture();
            Assert.Contains("Chains must be ≥ 2", Assert.Throws<ArgumentException>(() => ContinuousAis.LogPartition(model, new ContinuousAisOptions { Chains = 1 })).Message);
            Assert.Contains("betas must increase strictly from 0 to 1", Assert.Throws<ArgumentException>(() =>
                ContinuousAis.LogPartition(model, new ContinuousAisOptions { Betas = new[] { 0.0, 0.7, 0.5, 1.0 } })).Message);
            Assert.Contains("StepSize", Assert.Throws<ArgumentException>(() => ContinuousAis.LogPartition(model, new ContinuousAisOptions { StepSize = -1 })).Message);
        }
    }

    /// <summary>`dsl ais --model gmm`: log Z with its standard error and the exact value, two independent routes to the latter.</summary>
    [Collection("Console")]
    public class ContinuousAisCliTests
    {
        [Fact]
        public void Ais_command_prints_log_z_within_four_standard_errors_of_the_exact_value()
        {
            var json = Gallery.RunJson("ais", "--model", "gmm", "--chains", "1000", "--temperatures", "200");
            double logZ = json.GetProperty("log_z").GetDouble(), se = json.GetProperty("standard_error").GetDouble(), exact = json.GetProperty("exact_log_z").GetDouble();
            Assert.Equal(exact, json.GetProperty("exact_log_z_from_log_prob").GetDouble(), 10);
            Assert.True(System.Math.Abs(logZ - exact) <= 4 * se, logZ + " ± " + se + " vs " + exact);
            var (code, _, err) = Gallery.Run(new[] { "ais", "--model", "rbm", "--json" });
            Assert.Equal(2, code);
            Assert.Contains("unknown --model 'rbm'; valid: gmm", err);
            (code, _, err) = Gallery.Run(new[] { "ais", "--transition", "hmc", "--json" });
            Assert.Equal(2, code);
            Assert.Contains("valid: mala, mh", err);
        }
    }
}
