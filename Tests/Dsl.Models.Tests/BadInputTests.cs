using System;
using Dsl.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>Bad input is refused before any native call, naming the model, the method, the argument and both shapes.</summary>
    public class BadInputTests
    {
        private static readonly GaussianMixture Model = (GaussianMixture)ModelCatalog.Find("GaussianMixture")!.Create(0);

        [Fact]
        public void Wrong_rank()
        {
            var e = Assert.Throws<ArgumentException>(() => Model.Score(zeros(2)));
            Assert.Equal("x", e.ParamName);
            Assert.Contains("GaussianMixture.Score: argument 'x' must have shape [N, 2]", e.Message);
            Assert.Contains("got [2]", e.Message);
        }

        [Fact]
        public void Wrong_dimension()
        {
            var e = Assert.Throws<ArgumentException>(() => Model.ScoreDivergenceNoGrad(zeros(3, 5)));
            Assert.Contains("GaussianMixture.ScoreDivergenceNoGrad", e.Message);
            Assert.Contains("[N, 2]", e.Message);
            Assert.Contains("got [3, 5]", e.Message);
        }

        [Fact]
        public void Dtype_mismatch()
        {
            var e = Assert.Throws<ArgumentException>(() => Model.Energy(zeros(3, 2, dtype: ScalarType.Float64)));
            Assert.Contains("dtype Float64 but the model's parameters are Float32", e.Message);
        }

        [Fact]
        public void Integer_input()
        {
            var e = Assert.Throws<ArgumentException>(() => Model.EnergyNoGrad(zeros(3, 2, dtype: ScalarType.Int64)));
            Assert.Contains("must be floating point", e.Message);
        }

        [Fact]
        public void Bad_sizes_and_parameters()
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => new GaussianMixture(D: 0, K: 2));
            var e = Assert.Throws<ArgumentException>(() => Model.SetParameter("Mu", zeros(3, 3)));
            Assert.Contains("parameter 'Mu' has shape [2, 2] but the value has shape [3, 3]", e.Message);
            var unknown = Assert.Throws<ArgumentException>(() => Model.SetParameter("Nu", zeros(1)));
            Assert.Contains("Mu, LogW, Sigma", unknown.Message);
        }

        [Fact]
        public void Moving_the_model_keeps_generated_and_eager_paths_in_step()
        {
            var m = ModelCatalog.Find("IsotropicGaussian")!.Create(0);
            m.to(ScalarType.Float64);
            Assert.Equal(ScalarType.Float64, m.DType);
            var x = randn(4, 2, dtype: ScalarType.Float64);
            var generated = ((IEnergyModel)m).Energy(x);
            var eager = ((IEquationModel)m).EnergyEager(x);
            Assert.Equal(ScalarType.Float64, generated.dtype);
            Assert.True((generated - eager).abs().max().ToDoubleValue() < 1e-12);
        }
    }
}
