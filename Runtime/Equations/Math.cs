using Dsl.GeneratedCode;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl
{
    /// <summary>
    /// The functions an equation may call (<c>using static Dsl.Math;</c>). Each runs eagerly on tensors and is
    /// known to the generator, which differentiates it symbolically. Reductions act on the per-sample axes.
    /// </summary>
    public static partial class Math
    {
        /// <summary>π.</summary>
        public const double PI = System.Math.PI;

        /// <summary>exp(a), elementwise.</summary>
        public static Scalar Exp(Scalar a) => new Scalar(a.Tensor.exp());
        /// <summary>exp(a), elementwise.</summary>
        public static Vec Exp(Vec a) => new Vec(a.Tensor.exp());
        /// <summary>exp(a), elementwise.</summary>
        public static Mat Exp(Mat a) => new Mat(a.Tensor.exp());
        /// <summary>log(a), elementwise.</summary>
        public static Scalar Log(Scalar a) => new Scalar(a.Tensor.log());
        /// <summary>log(a), elementwise.</summary>
        public static Vec Log(Vec a) => new Vec(a.Tensor.log());
        /// <summary>log(a), elementwise.</summary>
        public static Mat Log(Mat a) => new Mat(a.Tensor.log());
        /// <summary>log(1 + a), elementwise, accurate for tiny a.</summary>
        public static Scalar Log1p(Scalar a) => new Scalar(a.Tensor.log1p());
        /// <summary>log(1 + a), elementwise, accurate for tiny a.</summary>
        public static Vec Log1p(Vec a) => new Vec(a.Tensor.log1p());
        /// <summary>log(1 + a), elementwise, accurate for tiny a.</summary>
        public static Mat Log1p(Mat a) => new Mat(a.Tensor.log1p());
        /// <summary>√a, elementwise.</summary>
        public static Scalar Sqrt(Scalar a) => new Scalar(a.Tensor.sqrt());
        /// <summary>√a, elementwise.</summary>
        public static Vec Sqrt(Vec a) => new Vec(a.Tensor.sqrt());
        /// <summary>√a, elementwise.</summary>
        public static Mat Sqrt(Mat a) => new Mat(a.Tensor.sqrt());
        /// <summary>a², elementwise.</summary>
        public static Scalar Square(Scalar a) => new Scalar(a.Tensor.Square());
        /// <summary>a², elementwise.</summary>
        public static Vec Square(Vec a) => new Vec(a.Tensor.Square());
        /// <summary>a², elementwise.</summary>
        public static Mat Square(Mat a) => new Mat(a.Tensor.Square());
        /// <summary>aᵖ for a constant exponent p, elementwise.</summary>
        public static Scalar Pow(Scalar a, double p) => new Scalar(a.Tensor.Pow(p));
        /// <summary>aᵖ for a constant exponent p, elementwise.</summary>
        public static Vec Pow(Vec a, double p) => new Vec(a.Tensor.Pow(p));
        /// <summary>aᵖ for a constant exponent p, elementwise.</summary>
        public static Mat Pow(Mat a, double p) => new Mat(a.Tensor.Pow(p));
        /// <summary>tanh(a), elementwise.</summary>
        public static Scalar Tanh(Scalar a) => new Scalar(a.Tensor.tanh());
        /// <summary>tanh(a), elementwise.</summary>
        public static Vec Tanh(Vec a) => new Vec(a.Tensor.tanh());
        /// <summary>tanh(a), elementwise.</summary>
        public static Mat Tanh(Mat a) => new Mat(a.Tensor.tanh());
        /// <summary>The periodic nearest-neighbour sum of the L×L lattice held row-major in <paramref name="s"/> (see <see cref="Lattice.NeighbourSum"/>).</summary>
        public static Vec LatticeNeighbours(Vec s, double side) => new Vec(Lattice.NeighbourSum(s.Tensor, (long)System.Math.Round(side)));

        /// <summary>The periodic shift of the L×L lattice held row-major in <paramref name="s"/> by (Δr, Δc) (see <see cref="Lattice.Roll"/>).</summary>
        public static Vec Roll(Vec s, double side, int rows, int columns) => new Vec(Lattice.Roll(s.Tensor, (long)System.Math.Round(side), rows, columns));

        /// <summary>sin(a), elementwise.</summary>
        public static Scalar Sin(Scalar a) => new Scalar(a.Tensor.sin());
        /// <summary>sin(a), elementwise.</summary>
        public static Vec Sin(Vec a) => new Vec(a.Tensor.sin());
        /// <summary>cos(a), elementwise.</summary>
        public static Scalar Cos(Scalar a) => new Scalar(a.Tensor.cos());
        /// <summary>cos(a), elementwise.</summary>
        public static Vec Cos(Vec a) => new Vec(a.Tensor.cos());
        /// <summary>tan(a) = sin(a)/cos(a), elementwise.</summary>
        public static Scalar Tan(Scalar a) => new Scalar(a.Tensor.tan());
        /// <summary>tan(a) = sin(a)/cos(a), elementwise.</summary>
        public static Vec Tan(Vec a) => new Vec(a.Tensor.tan());
        /// <summary>σ(a) = 1/(1 + e^−a), elementwise.</summary>
        public static Scalar Sigmoid(Scalar a) => new Scalar(a.Tensor.sigmoid());
        /// <summary>σ(a) = 1/(1 + e^−a), elementwise.</summary>
        public static Vec Sigmoid(Vec a) => new Vec(a.Tensor.sigmoid());
        /// <summary>σ(a) = 1/(1 + e^−a), elementwise.</summary>
        public static Mat Sigmoid(Mat a) => new Mat(a.Tensor.sigmoid());
        /// <summary>softplus(a) = log(1 + eᵃ), elementwise.</summary>
        public static Scalar Softplus(Scalar a) => new Scalar(global::Dsl.ScalarOps.Softplus(a.Tensor));
        /// <summary>softplus(a) = log(1 + eᵃ), elementwise.</summary>
        public static Vec Softplus(Vec a) => new Vec(global::Dsl.ScalarOps.Softplus(a.Tensor));
        /// <summary>softplus(a) = log(1 + eᵃ), elementwise.</summary>
        public static Mat Softplus(Mat a) => new Mat(global::Dsl.ScalarOps.Softplus(a.Tensor));
        /// <summary>|a| (no score through it: DSL0008).</summary>
        public static Scalar Abs(Scalar a) => new Scalar(a.Tensor.abs());
        /// <summary>|a| (no score through it: DSL0008).</summary>
        public static Vec Abs(Vec a) => new Vec(a.Tensor.abs());
        /// <summary>sign(a) (no score through it: DSL0008).</summary>
        public static Scalar Sign(Scalar a) => new Scalar(a.Tensor.sign());
        /// <summary>sign(a) (no score through it: DSL0008).</summary>
        public static Vec Sign(Vec a) => new Vec(a.Tensor.sign());
        /// <summary>⌊a⌋ (no score through it: DSL0008).</summary>
        public static Scalar Floor(Scalar a) => new Scalar(a.Tensor.floor());
        /// <summary>⌊a⌋ (no score through it: DSL0008).</summary>
        public static Vec Floor(Vec a) => new Vec(a.Tensor.floor());
        /// <summary>round(a), half to even (no score through it: DSL0008).</summary>
        public static Scalar Round(Scalar a) => new Scalar(a.Tensor.round());
        /// <summary>round(a), half to even (no score through it: DSL0008).</summary>
        public static Vec Round(Vec a) => new Vec(a.Tensor.round());

        /// <summary>log Σₖ exp(vₖ), numerically stable.</summary>
        public static Scalar LogSumExp(Vec v) => new Scalar(v.Tensor.logsumexp(-1));
        /// <summary>Σₖ vₖ.</summary>
        public static Scalar Sum(Vec v) => new Scalar(v.Tensor.sum(-1));
        /// <summary>Σₖⱼ Mₖⱼ.</summary>
        public static Scalar Sum(Mat m) => new Scalar(m.Tensor.sum(-1).sum(-1));
        /// <summary>Σⱼ Mₖⱼ for each row k.</summary>
        public static Vec RowSum(Mat m) => new Vec(m.Tensor.sum(-1));
        /// <summary>aᵀb = Σₖ aₖbₖ.</summary>
        public static Scalar Dot(Vec a, Vec b) => Sum(a * b);
        /// <summary>‖v‖² = Σₖ vₖ² (the squared Euclidean norm).</summary>
        public static Scalar Norm2(Vec v) => new Scalar(v.Tensor.Square().sum(-1));
        /// <summary>‖Mₖ‖² for each row k.</summary>
        public static Vec RowNorm2(Mat m) => new Vec(m.Tensor.Square().sum(-1));
        /// <summary>‖x − Mₖ‖² for each row k: a Vec against each row of a Mat.</summary>
        public static Vec RowNorm2(Vec x, Mat m) => RowNorm2(x - m);

        /// <summary>W v: Mat[K,L] × Vec[L] → Vec[K].</summary>
        public static Vec MatVec(Mat w, Vec v)
        {
            var wt = w.Tensor;
            var vt = v.Tensor;
            if (!w.Batched && v.Batched) return new Vec(vt.matmul(wt.transpose(-2, -1)));
            if (w.Batched && v.Batched) return new Vec(wt.matmul(vt.unsqueeze(-1)).squeeze(-1));
            return new Vec(wt.matmul(vt));
        }

        /// <summary>Mᵀ.</summary>
        public static Mat Transpose(Mat m) => new Mat(m.Tensor.transpose(-2, -1));

        /// <summary>The number of entries of a Vec, as a Scalar (a dimension size inside an equation).</summary>
        public static Scalar Len(Vec v) => new Scalar(tensor((double)v.Tensor.shape[^1], dtype: v.Tensor.dtype, device: v.Tensor.device));
        /// <summary>The number of rows of a Mat, as a Scalar.</summary>
        public static Scalar Rows(Mat m) => new Scalar(tensor((double)m.Tensor.shape[^2], dtype: m.Tensor.dtype, device: m.Tensor.device));
        /// <summary>The number of columns of a Mat, as a Scalar.</summary>
        public static Scalar Cols(Mat m) => new Scalar(tensor((double)m.Tensor.shape[^1], dtype: m.Tensor.dtype, device: m.Tensor.device));
    }
}
