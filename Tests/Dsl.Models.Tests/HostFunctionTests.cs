using System;
using Dsl.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// Dsl.Math functions of numbers (literals, hyperparameters): the double overloads agree with the tensor overloads, and
    /// a model written with them (TiltedGaussian: Sqrt(2 * Beta) * (x − μ), Log(2.0) * Softplus(Tau) * Sum(x)) generates a
    /// score, divergence and log-density equal to autograd of its eager equation and to the closed form.
    /// </summary>
    public class HostFunctionTests
    {
        private static double MaxAbs(Tensor a, Tensor b) => (a - b).abs().max().ToDoubleValue();

        private static double OnTensor(Func<Scalar, Scalar> f, double v)
        {
            using var scope = NewDisposeScope();
            return f(new Scalar(tensor(v, dtype: ScalarType.Float64))).Tensor.ToDoubleValue();
        }

        [Theory]
        [InlineData(-800.0)]
        [InlineData(-3.5)]
        [InlineData(-1e-12)]
        [InlineData(0.0)]
        [InlineData(1e-12)]
        [InlineData(0.7)]
        [InlineData(2.5)]
        [InlineData(800.0)]
        public void Double_overloads_agree_with_the_tensor_overloads(double v)
        {
            void Same(double onDouble, Func<Scalar, Scalar> f, string name)
            {
                double expected = OnTensor(f, v);
                if (double.IsNaN(expected)) { Assert.True(double.IsNaN(onDouble), name + "(" + v + ") = " + onDouble + ", the tensor gives NaN"); return; }
                if (double.IsInfinity(expected)) { Assert.True(expected == onDouble, name + "(" + v + ") = " + onDouble + ", the tensor gives " + expected); return; }
                Assert.True(System.Math.Abs(onDouble - expected) <= 1e-13 * (1 + System.Math.Abs(expected)), name + "(" + v + ") = " + onDouble + ", the tensor gives " + expected);
            }
            Same(Math.Exp(v), Math.Exp, "Exp");
            Same(Math.Log(v), Math.Log, "Log");
            Same(Math.Log1p(v), Math.Log1p, "Log1p");
            Same(Math.Sqrt(v), Math.Sqrt, "Sqrt");
            Same(Math.Square(v), Math.Square, "Square");
            Same(Math.Pow(v, 3.0), a => Math.Pow(a, 3.0), "Pow");
            Same(Math.Tanh(v), Math.Tanh, "Tanh");
            Same(Math.Sin(v), Math.Sin, "Sin");
            Same(Math.Cos(v), Math.Cos, "Cos");
            Same(Math.Tan(v), Math.Tan, "Tan");
            Same(Math.Sigmoid(v), Math.Sigmoid, "Sigmoid");
            Same(Math.Softplus(v), Math.Softplus, "Softplus");
            Same(Math.Abs(v), Math.Abs, "Abs");
            Same(Math.Sign(v), Math.Sign, "Sign");
            Same(Math.Floor(v), Math.Floor, "Floor");
            Same(Math.Round(v), Math.Round, "Round");
        }

        [Fact]
        public void Stable_forms_hold_where_the_naive_ones_fail()
        {
            Assert.Equal(800.0, Math.Softplus(800.0));                    // log(1 + e^800) overflows naively
            Assert.Equal(1e-12 - 0.5e-24, Math.Log1p(1e-12), 1e-27);      // u − u²/2; log(1 + 1e-12) is off by ~1e-16 relative naively
            Assert.Equal(System.Math.Sqrt(6.0), Math.Sqrt(2 * 3));        // integer arguments are numbers too
            Assert.True(double.IsNaN(Math.Sign(double.NaN)));            // NaN stays NaN (System.Math.Sign throws)
        }

        [Theory]
        [InlineData(2.0, 0.5)]
        [InlineData(0.3, -1.7)]
        [InlineData(5.0, 3.0)]
        public void Tilted_gaussian_matches_autograd_and_its_closed_form(double beta, double tau)
        {
            using var scope = NewDisposeScope();
            var m = new TiltedGaussian(D: 3, generator: new Generator(11)) { Beta = beta, Tau = tau };
            m.SetParameter("Mu", tensor(new[] { 0.4, -1.2, 2.0 }));
            m.to(ScalarType.Float64);
            var x = empty(40, 3, dtype: ScalarType.Float64).normal_(0, 1.5, generator: new Generator(5));
            var mu = m.get_parameter("Mu")!;

            // Against autograd of the eager equation (the C# method as written, run on tensors).
            var reference = Autograd.Score(m.EnergyEager, x);
            Assert.True(MaxAbs(m.Energy(x), m.EnergyEager(x)) < 1e-12);
            Assert.True(MaxAbs(m.Score(x), reference) < 1e-12);
            Assert.True(MaxAbs(m.ScoreNoGrad(x), reference) < 1e-12);
            var divRef = Autograd.Divergence(xx => Autograd.Score(m.EnergyEager, xx, createGraph: true), x);
            Assert.True(MaxAbs(m.ScoreDivergence(x), divRef) < 1e-12);

            // Against the closed form: s(x) = −β(x − μ) − c, ∇·s = −βD, log p = log N(x; μ − c/β, 1/β).
            double c = System.Math.Log(2.0) * (System.Math.Max(tau, 0) + System.Math.Log(1 + System.Math.Exp(-System.Math.Abs(tau))));
            var score = (x - mu).mul(tensor(-beta, dtype: ScalarType.Float64)).sub(tensor(c, dtype: ScalarType.Float64));
            Assert.True(MaxAbs(m.Score(x), score) < 1e-12);
            Assert.True(MaxAbs(m.ScoreDivergence(x), full(40, -3 * beta, dtype: ScalarType.Float64)) < 1e-12);
            var mean = mu.sub(tensor(c / beta, dtype: ScalarType.Float64));
            var logp = (x - mean).square().sum(1).mul(tensor(-0.5 * beta, dtype: ScalarType.Float64)).add(tensor(1.5 * System.Math.Log(beta / (2 * System.Math.PI)), dtype: ScalarType.Float64));
            Assert.True(MaxAbs(m.LogProb(x), logp) < 1e-12);
        }
    }
}
