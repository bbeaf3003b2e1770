using System;
using Dsl.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>Generated LogProb = −E − log Z against the closed-form densities of the lectures.</summary>
    public class LogProbTests
    {
        private static double MaxAbs(Tensor a, Tensor b) => (a - b).abs().max().ToDoubleValue();

        [Fact]
        public void Isotropic_gaussian_is_the_normal_density()
        {
            var m = (IsotropicGaussian)NumericTests.RandomModel("IsotropicGaussian", 1, ScalarType.Float64);
            var x = NumericTests.RandomInput(m, 50, 1);
            var mu = m.get_parameter("Mu")!;
            var sigma = m.get_parameter("Sigma")!.ToDoubleValue();
            var expected = (-(x - mu).Square().sum(1)).Div((2 * sigma * sigma)).Sub(0.5 * m.Dim * System.Math.Log(2 * System.Math.PI * sigma * sigma));
            Assert.True(MaxAbs(m.LogProb(x), expected) < 1e-12);
        }

        [Fact]
        public void Exponential_is_the_product_of_exponentials()
        {
            var m = (Exponential)NumericTests.RandomModel("Exponential", 2, ScalarType.Float64);
            var x = NumericTests.RandomInput(m, 50, 2);
            var lambda = m.get_parameter("Lambda")!;
            var expected = (lambda.log() - lambda * x).sum(1);
            Assert.True(MaxAbs(m.LogProb(x), expected) < 1e-12);
        }

        [Fact]
        public void Gaussian_mixture_is_the_weighted_sum_of_normals()
        {
            var m = (GaussianMixture)NumericTests.RandomModel("GaussianMixture", 3, ScalarType.Float64);
            var x = NumericTests.RandomInput(m, 50, 3);
            var mu = m.get_parameter("Mu")!;
            var logw = m.get_parameter("LogW")!.log_softmax(0);
            var sigma = m.get_parameter("Sigma")!.ToDoubleValue();
            var comp = (-(x.unsqueeze(1) - mu).Square().sum(2)).Div((2 * sigma * sigma)).Sub(0.5 * m.Dim * System.Math.Log(2 * System.Math.PI * sigma * sigma));
            var expected = (comp.Add(logw)).logsumexp(1);
            Assert.True(MaxAbs(m.LogProb(x), expected) < 1e-12);
        }
    }
}
