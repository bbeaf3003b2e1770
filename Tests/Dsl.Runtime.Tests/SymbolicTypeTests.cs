using System;
using TorchSharp;
using static Dsl.Math;
using static TorchSharp.torch;

namespace Dsl.Runtime.Tests
{
    /// <summary>The eager types implement the per-sample broadcasting rule the generator emits.</summary>
    public class SymbolicTypeTests
    {
        private static double MaxAbs(Tensor a, Tensor b) => (a - b).abs().max().ToDoubleValue();

        [Fact]
        public void Vec_minus_Mat_meets_each_row()
        {
            var x = new Vec(randn(5, 3, dtype: ScalarType.Float64));          // batched Vec[D]
            var mu = new Mat(randn(4, 3, dtype: ScalarType.Float64));         // unbatched Mat[K,D]
            var d = x - mu;
            Assert.Equal(new long[] { 5, 4, 3 }, d.Tensor.shape);
            Assert.True(d.Batched);
            Assert.True(MaxAbs(d.Tensor[2, 1], x.Tensor[2] - mu.Tensor[1]) == 0);
            Assert.True(MaxAbs(RowNorm2(x, mu).Tensor, (x.Tensor.unsqueeze(1) - mu.Tensor).Square().sum(-1)) < 1e-14);
        }

        [Fact]
        public void Batched_scalar_scales_each_sample()
        {
            var s = new Scalar(tensor(new[] { 1.0, 2.0 }));
            var v = new Vec(ones(2, 3, dtype: ScalarType.Float64));
            var m = new Mat(ones(2, 4, 3, dtype: ScalarType.Float64));
            Assert.Equal(new[] { 1.0, 1, 1, 2, 2, 2 }, (s * v).Tensor.data<double>().ToArray());
            Assert.Equal(2.0, (m * s).Tensor[1, 3, 2].ToDoubleValue());
            Assert.Equal(-1.0, (1 - 2 * s).Tensor[0].ToDoubleValue());
        }

        [Fact]
        public void Mat_times_Vec_is_the_matrix_vector_product_batched_or_not()
        {
            var w = randn(4, 3, dtype: ScalarType.Float64);
            var xb = randn(5, 3, dtype: ScalarType.Float64);
            var wb = randn(5, 4, 3, dtype: ScalarType.Float64);
            Assert.True(MaxAbs((new Mat(w) * new Vec(xb)).Tensor, xb.matmul(w.t())) < 1e-14);
            Assert.True(MaxAbs((new Mat(wb) * new Vec(xb)).Tensor, einsum("nkd,nd->nk", wb, xb)) < 1e-14);
            Assert.True(MaxAbs((new Mat(w) * new Vec(xb[0])).Tensor, w.mv(xb[0])) < 1e-14);
            Assert.True(MaxAbs(Transpose(new Mat(w)).Tensor, w.t()) == 0);
        }

        [Fact]
        public void Reductions_act_on_per_sample_axes()
        {
            var v = new Vec(randn(6, 3, dtype: ScalarType.Float64));
            var u = new Vec(randn(6, 3, dtype: ScalarType.Float64));
            Assert.Equal(new long[] { 6 }, LogSumExp(v).Tensor.shape);
            Assert.True(MaxAbs(Dot(u, v).Tensor, (u.Tensor * v.Tensor).sum(1)) < 1e-14);
            Assert.True(MaxAbs(Norm2(v).Tensor, v.Tensor.Square().sum(1)) < 1e-14);
            Assert.True(MaxAbs(Softplus(v).Tensor, (v.Tensor.exp().Add(1)).log()) < 1e-12);
            Assert.Equal(3.0, Len(v).Tensor.ToDoubleValue());
        }

        [Fact]
        public void Autograd_reference_on_a_quadratic()
        {
            // E = ½ xᵀAx with symmetric A: s = −Ax, ∇·s = −tr A.
            var a = tensor(new[] { 2.0, 0.5, 0.5, 1.0 }).reshape(2, 2);
            Func<Tensor, Tensor> energy = x => (x * x.matmul(a)).sum(1).Mul(0.5);
            var x = randn(7, 2, dtype: ScalarType.Float64);
            Assert.True(MaxAbs(Autograd.Score(energy, x), -x.matmul(a)) < 1e-12);
            var div = Autograd.Divergence(xx => Autograd.Score(energy, xx, createGraph: true), x);
            Assert.True(MaxAbs(div, global::Dsl.ScalarOps.Full(new long[] { 7 },-3.0,dtype: ScalarType.Float64)) < 1e-12);
            Assert.Throws<ArgumentException>(() => Autograd.Score(energy, randn(3)));
        }

        [Fact]
        public void Wrong_rank_is_refused()
        {
            var e = Assert.Throws<ArgumentException>(() => new Vec(zeros(2, 2, 2)));
            Assert.Contains("Vec needs a tensor of rank 1 (unbatched) or 2 (batched)", e.Message);
        }
    }
}
