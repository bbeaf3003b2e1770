using System.Numerics;
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
        /// <summary>eᵃ − 1, elementwise, accurate for tiny a.</summary>
        public static Scalar Expm1(Scalar a) => new Scalar(a.Tensor.expm1());
        /// <summary>eᵃ − 1, elementwise, accurate for tiny a.</summary>
        public static Vec Expm1(Vec a) => new Vec(a.Tensor.expm1());
        /// <summary>eᵃ − 1, elementwise, accurate for tiny a.</summary>
        public static Mat Expm1(Mat a) => new Mat(a.Tensor.expm1());
        /// <summary>log σ(a) = −softplus(−a), elementwise, without overflow.</summary>
        public static Scalar LogSigmoid(Scalar a) => new Scalar(torch.nn.functional.logsigmoid(a.Tensor));
        /// <summary>log σ(a) = −softplus(−a), elementwise, without overflow.</summary>
        public static Vec LogSigmoid(Vec a) => new Vec(torch.nn.functional.logsigmoid(a.Tensor));
        /// <summary>log σ(a) = −softplus(−a), elementwise, without overflow.</summary>
        public static Mat LogSigmoid(Mat a) => new Mat(torch.nn.functional.logsigmoid(a.Tensor));
        /// <summary>erf a, elementwise.</summary>
        public static Scalar Erf(Scalar a) => new Scalar(a.Tensor.erf());
        /// <summary>erf a, elementwise.</summary>
        public static Vec Erf(Vec a) => new Vec(a.Tensor.erf());
        /// <summary>erf a, elementwise.</summary>
        public static Mat Erf(Mat a) => new Mat(a.Tensor.erf());
        /// <summary>log |Γ(a)|, elementwise (log Γ(a) for a &gt; 0).</summary>
        public static Scalar Lgamma(Scalar a) => new Scalar(a.Tensor.lgamma());
        /// <summary>log |Γ(a)|, elementwise (log Γ(a) for a &gt; 0).</summary>
        public static Vec Lgamma(Vec a) => new Vec(a.Tensor.lgamma());
        /// <summary>log |Γ(a)|, elementwise (log Γ(a) for a &gt; 0).</summary>
        public static Mat Lgamma(Mat a) => new Mat(a.Tensor.lgamma());
        /// <summary>ψ(a) = (log Γ)′(a), elementwise; its derivatives are the polygamma functions ψ⁽ⁿ⁾.</summary>
        public static Scalar Digamma(Scalar a) => new Scalar(a.Tensor.digamma());
        /// <summary>ψ(a) = (log Γ)′(a), elementwise; its derivatives are the polygamma functions ψ⁽ⁿ⁾.</summary>
        public static Vec Digamma(Vec a) => new Vec(a.Tensor.digamma());
        /// <summary>ψ(a) = (log Γ)′(a), elementwise; its derivatives are the polygamma functions ψ⁽ⁿ⁾.</summary>
        public static Mat Digamma(Mat a) => new Mat(a.Tensor.digamma());
        /// <summary>eᵃ − 1 of a number, accurate for tiny a (the generator folds it).</summary>
        public static double Expm1(double a) => SpecialFunctions.Expm1(a);
        /// <summary>log σ(a) = −softplus(−a) of a number (the generator folds it).</summary>
        public static double LogSigmoid(double a) => SpecialFunctions.LogSigmoid(a);
        /// <summary>erf a of a number (the generator folds it).</summary>
        public static double Erf(double a) => SpecialFunctions.Erf(a);
        /// <summary>log |Γ(a)| of a number (the generator folds it).</summary>
        public static double Lgamma(double a) => SpecialFunctions.Lgamma(a);
        /// <summary>ψ(a) = (log Γ)′(a) of a number (the generator folds it).</summary>
        public static double Digamma(double a) => SpecialFunctions.Polygamma(0, a);
        /// <summary>max(a, 0), elementwise. Not differentiable at 0: a score through it needs [Subgradient] on the model (relu′(0) = 0), else DSL0008.</summary>
        public static Scalar Relu(Scalar a) => new Scalar(a.Tensor.relu());
        /// <summary>max(a, 0), elementwise. Not differentiable at 0: a score through it needs [Subgradient] on the model (relu′(0) = 0), else DSL0008.</summary>
        public static Vec Relu(Vec a) => new Vec(a.Tensor.relu());
        /// <summary>max(a, 0), elementwise. Not differentiable at 0: a score through it needs [Subgradient] on the model (relu′(0) = 0), else DSL0008.</summary>
        public static Mat Relu(Mat a) => new Mat(a.Tensor.relu());
        /// <summary>max(a, 0) of a number (the generator folds it).</summary>
        public static double Relu(double a) => FusedKernels.Relu(a);
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

        // Host overloads: a Dsl.Math function of numbers (literals, hyperparameters) is a number, computed eagerly here with
        // the definitions the generator's host spelling uses (FusedKernels for the stable ones), so Log(2.0) and Sqrt(2 * Beta)
        // read as they are written. They are generic over the numeric types so that, when a file also has
        // `using static System.Math;`, System.Math's own double overloads win for double arguments (C# prefers the
        // non-generic candidate) instead of the call becoming ambiguous (CS0121).

        /// <summary>exp(a) of a number.</summary>
        public static double Exp<T>(T a) where T : INumberBase<T> => System.Math.Exp(D(a));
        /// <summary>log(a) of a number.</summary>
        public static double Log<T>(T a) where T : INumberBase<T> => System.Math.Log(D(a));
        /// <summary>log(1 + a) of a number, accurate for tiny a.</summary>
        public static double Log1p<T>(T a) where T : INumberBase<T> => FusedKernels.Log1p(D(a));
        /// <summary>√a of a number.</summary>
        public static double Sqrt<T>(T a) where T : INumberBase<T> => System.Math.Sqrt(D(a));
        /// <summary>a² of a number.</summary>
        public static double Square<T>(T a) where T : INumberBase<T> => FusedKernels.Square(D(a));
        /// <summary>aᵖ of a number.</summary>
        public static double Pow<T>(T a, double p) where T : INumberBase<T> => System.Math.Pow(D(a), p);
        /// <summary>tanh(a) of a number.</summary>
        public static double Tanh<T>(T a) where T : INumberBase<T> => System.Math.Tanh(D(a));
        /// <summary>sin(a) of a number.</summary>
        public static double Sin<T>(T a) where T : INumberBase<T> => System.Math.Sin(D(a));
        /// <summary>cos(a) of a number.</summary>
        public static double Cos<T>(T a) where T : INumberBase<T> => System.Math.Cos(D(a));
        /// <summary>tan(a) of a number.</summary>
        public static double Tan<T>(T a) where T : INumberBase<T> => System.Math.Tan(D(a));
        /// <summary>σ(a) = 1/(1 + e^−a) of a number.</summary>
        public static double Sigmoid<T>(T a) where T : INumberBase<T> => FusedKernels.Sigmoid(D(a));
        /// <summary>softplus(a) = max(a, 0) + log1p(e^−|a|) of a number (the stable form every backend uses).</summary>
        public static double Softplus<T>(T a) where T : INumberBase<T> => FusedKernels.Softplus(D(a));
        /// <summary>|a| of a number.</summary>
        public static double Abs<T>(T a) where T : INumberBase<T> => System.Math.Abs(D(a));
        /// <summary>sign(a) of a number, as a double (NaN stays NaN).</summary>
        public static double Sign<T>(T a) where T : INumberBase<T> => FusedKernels.Sign(D(a));
        /// <summary>⌊a⌋ of a number.</summary>
        public static double Floor<T>(T a) where T : INumberBase<T> => System.Math.Floor(D(a));
        /// <summary>round(a) of a number, half to even.</summary>
        public static double Round<T>(T a) where T : INumberBase<T> => FusedKernels.Round(D(a));

        private static double D<T>(T a) where T : INumberBase<T> => double.CreateChecked(a);

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
            if (wt.dtype != vt.dtype || wt.device.ToString() != vt.device.ToString())   // a constant (Eye, Mat.Of) meets x: x's dtype and device
                wt = wt.to(vt.dtype, vt.device);
            if (!w.Batched && v.Batched) return new Vec(vt.matmul(wt.transpose(-2, -1)));
            if (w.Batched && v.Batched) return new Vec(wt.matmul(vt.unsqueeze(-1)).squeeze(-1));
            return new Vec(wt.matmul(vt));
        }

        /// <summary>Mᵀ.</summary>
        public static Mat Transpose(Mat m) => new Mat(m.Tensor.transpose(-2, -1));

        /// <summary>
        /// log |det A| of a square Mat[D,D]: torch.linalg.slogdet's logabsdet. The log of the absolute determinant, because a change of
        /// variables needs log|det ∂f/∂z| whatever the sign of det; for a symmetric positive definite A it is log det A.
        /// d log|det A| = tr(A⁻¹ dA).
        /// </summary>
        public static Scalar LogDet(Mat a) => new Scalar(ScalarOps.LogAbsDet(RequireSquare(a, "LogDet")));

        /// <summary>A⁻¹ of a square Mat[D,D] (torch.linalg.inv). dA⁻¹ = −A⁻¹ dA A⁻¹. To apply it to a Vec, write Solve(A, b).</summary>
        public static Mat Inverse(Mat a) => new Mat(RequireSquare(a, "Inverse").inverse());

        /// <summary>A⁻¹ b for a square Mat[D,D] A and a Vec[D] b, by a linear solve (torch.linalg.solve; the inverse is never formed).</summary>
        public static Vec Solve(Mat a, Vec b)
        {
            var at = RequireSquare(a, "Solve");
            var bt = b.Tensor;
            if (bt.shape[^1] != at.shape[^1])
                throw new System.ArgumentException("Solve(A, b): b has " + bt.shape[^1] + " entries where A is " + at.shape[^1] + " × " + at.shape[^1] + ".");
            if (at.dtype != bt.dtype || at.device.ToString() != bt.device.ToString())   // a constant (Eye, Mat.Of) meets x: x's dtype and device
                at = at.to(bt.dtype, bt.device);
            return new Vec(!a.Batched && b.Batched ? ScalarOps.SolveRows(at, bt) : ScalarOps.Solve(at, bt));
        }

        private static Tensor RequireSquare(Mat a, string function)
        {
            var t = a.Tensor;
            if (t.shape[^1] != t.shape[^2])
                throw new System.ArgumentException(function + " needs a square Mat, got " + t.shape[^2] + " × " + t.shape[^1] + ".");
            return t;
        }

        /// <summary>The number of entries of a Vec, as a Scalar (a dimension size inside an equation).</summary>
        public static Scalar Len(Vec v) => new Scalar(tensor((double)v.Tensor.shape[^1], dtype: v.Tensor.dtype, device: v.Tensor.device));
        /// <summary>The number of rows of a Mat, as a Scalar.</summary>
        public static Scalar Rows(Mat m) => new Scalar(tensor((double)m.Tensor.shape[^2], dtype: m.Tensor.dtype, device: m.Tensor.device));
        /// <summary>The number of columns of a Mat, as a Scalar.</summary>
        public static Scalar Cols(Mat m) => new Scalar(tensor((double)m.Tensor.shape[^1], dtype: m.Tensor.dtype, device: m.Tensor.device));
    }
}
