using Dsl.Sampling;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Runtime.Tests
{
    /// <summary>
    /// The samplers' per-step finiteness check scans contiguous float CPU tensors in place, a vector of lanes at a time with a
    /// scalar tail: a single NaN, +∞ or −∞ anywhere (in a vector or in the tail) must be found, and it must agree with
    /// libtorch's isfinite on the paths it does not scan (non-contiguous, other dtypes).
    /// </summary>
    public class FiniteCheckTests
    {
        [Theory]
        [InlineData(ScalarType.Float32)]
        [InlineData(ScalarType.Float64)]
        public void One_non_finite_entry_anywhere_is_found(ScalarType dtype)
        {
            using var scope = NewDisposeScope();
            foreach (long n in new long[] { 1, 3, 8, 13, 1001 })
            {
                var x = randn(n, generator: new Generator(1)).to(dtype);
                Assert.True(ChainLoop.AllFinite(x));
                foreach (long at in new[] { 0, n / 2, n - 1 })
                    foreach (double bad in new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity })
                    {
                        var y = x.clone();
                        y[at] = tensor(bad, dtype);
                        Assert.False(ChainLoop.AllFinite(y), $"{dtype} n={n}: {bad} at {at}");
                    }
            }
            // Huge finite values are finite (v − v = 0 even at the largest finite value).
            Assert.True(ChainLoop.AllFinite(global::Dsl.ScalarOps.Full(new long[] { 17 }, dtype == ScalarType.Float32 ? float.MaxValue : double.MaxValue, dtype: dtype)));
        }

        [Fact]
        public void Non_contiguous_and_other_dtypes_take_libtorch_isfinite()
        {
            using var scope = NewDisposeScope();
            var x = randn(6, 5, generator: new Generator(2));
            x[4, 3] = tensor(float.NaN);
            Assert.False(ChainLoop.AllFinite(x.t()));
            Assert.True(ChainLoop.AllFinite(x.t()[..3]));
            Assert.True(ChainLoop.AllFinite(ones(4, dtype: ScalarType.Float16)));
        }
    }
}
