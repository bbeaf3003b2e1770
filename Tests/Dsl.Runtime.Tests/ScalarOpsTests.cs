using Dsl;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Tests
{
    /// <summary>The race-free scalar forms compute what TorchSharp's own operators compute, and keep integer tensors integer.</summary>
    public class ScalarOpsTests
    {
        private static void Same(Tensor expected, Tensor actual, double tolerance = 0)
        {
            Assert.Equal(expected.dtype, actual.dtype);
            Assert.Equal(expected.shape, actual.shape);
            Assert.True(tolerance == 0 ? expected.equal(actual).all().ToBooleanValue() : expected.allclose(actual, tolerance, tolerance),
                "max |difference| " + (expected.to_type(ScalarType.Float64) - actual.to_type(ScalarType.Float64)).abs().max().ToDoubleValue());
        }

        [Fact]
        public void Floating_forms_equal_torchs_operators()
        {
            using var scope = NewDisposeScope();
            var g = new Generator(3);
            var x = randn(new long[] { 50, 3 }, dtype: ScalarType.Float64, generator: g).mul(5.0.ToScalar());
            var y = randn(new long[] { 50, 3 }, dtype: ScalarType.Float64, generator: g);
            Same(x + y, x.Add(y));
            Same(x.add(y, 0.25.ToScalar()), x.Add(y, 0.25));
            Same(x + 1.5, x.Add(1.5));
            Same(x - 1.5, x.Sub(1.5));
            Same(x - y * 0.25, x.Sub(y, 0.25), 1e-15);
            Same(2.0 - x, ScalarOps.RSub(2.0, x));
            Same(x * 0.5, x.Mul(0.5));
            Same(x / 3.0, x.Div(3.0));
            Same(3.0 / x, ScalarOps.RDiv(3.0, x), 1e-15);
            Same(x.square(), x.Square());
            Same(x.pow(3.0), x.Pow(3.0));
            Same(x.clamp(-1.0, 2.0), x.Clamp(-1.0, 2.0));
            Same(x.clamp_min(0.5), x.ClampMin(0.5));
            Same(x.gt(0.5), x.Gt(0.5));
            Same(full(new long[] { 2, 3 }, 0.75, dtype: ScalarType.Float32), ScalarOps.Full(new long[] { 2, 3 }, 0.75, dtype: ScalarType.Float32));
            Same(nn.functional.softplus(x), ScalarOps.Softplus(x), 1e-8);   // torch's softplus returns x above 20; log(1 + e^x) differs by ≤ 2e-9 there
            Same(nn.functional.leaky_relu(x, 0.1), ScalarOps.LeakyRelu(x, 0.1), 1e-15);
            Assert.Equal(x.sum().ToDouble(), x.sum().ToDoubleValue());
            var inPlace = x.clone();
            inPlace.Mul_(2.0).Add_(y, 0.5).Sub_(1.0).Div_(4.0).Square_();
            Same(((x * 2.0).add(y, 0.5.ToScalar()) - 1.0).div(4.0.ToScalar()).square(), inPlace, 1e-15);
        }

        [Fact]
        public void Integer_constants_keep_integer_tensors_integer()
        {
            using var scope = NewDisposeScope();
            var k = arange(0, 10, 1, dtype: ScalarType.Int64);
            Same(k + 1000, k.Add(1000));
            Same(k + k, k.Add(k));
            Same(k - 1, k.Sub(1));
            Same(k * 3, k.Mul(3));
            Same(5 - k, ScalarOps.RSub(5, k));
            Same(arange(0, 7, 1, dtype: ScalarType.Int64), ScalarOps.Arange(7, ScalarType.Int64));
            Assert.Equal(ScalarType.Int64, ScalarOps.Full(new long[] { 3 }, 4).dtype);
        }
    }
}
