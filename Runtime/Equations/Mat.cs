using TorchSharp;
using static TorchSharp.torch;

namespace Dsl
{
    /// <summary>
    /// Mat: a matrix per sample: [K, D] unbatched or [N, K, D] batched. Operators broadcast per sample, trailing-aligned (a Vec meets a Mat along each
    /// row); Mat * Vec is the matrix–vector product. Thin and eager: the user's equations run on these, which makes
    /// them the autograd reference of the generated code.
    /// </summary>
    public readonly partial struct Mat
    {
        /// <summary>Wraps a tensor of rank 2 (unbatched) or 3 (batched).</summary>
        public Mat(Tensor tensor)
        {
            Broadcasting.CheckRank(tensor, 2, "Mat");
            Tensor = tensor;
        }

        /// <summary>The underlying tensor.</summary>
        public Tensor Tensor { get; }

        /// <summary>True when the value carries a leading batch axis N.</summary>
        public bool Batched => Tensor.dim() > 2;

        /// <summary>−a</summary>
        public static Mat operator -(Mat a) => new Mat(a.Tensor.neg());

        /// <summary>a + b, broadcasting per sample.</summary>
        public static Mat operator +(Mat a, Scalar b) => new Mat(Broadcasting.Binary(a.Tensor, 2, b.Tensor, 0, (x, y) => x.Add(y)));

        /// <summary>a + b, broadcasting per sample.</summary>
        public static Mat operator +(Scalar a, Mat b) => new Mat(Broadcasting.Binary(a.Tensor, 0, b.Tensor, 2, (x, y) => x.Add(y)));

        /// <summary>a - b, broadcasting per sample.</summary>
        public static Mat operator -(Mat a, Scalar b) => new Mat(Broadcasting.Binary(a.Tensor, 2, b.Tensor, 0, (x, y) => x.sub(y)));

        /// <summary>a - b, broadcasting per sample.</summary>
        public static Mat operator -(Scalar a, Mat b) => new Mat(Broadcasting.Binary(a.Tensor, 0, b.Tensor, 2, (x, y) => x.sub(y)));

        /// <summary>a * b, broadcasting per sample.</summary>
        public static Mat operator *(Mat a, Scalar b) => new Mat(Broadcasting.Binary(a.Tensor, 2, b.Tensor, 0, (x, y) => x.mul(y)));

        /// <summary>a * b, broadcasting per sample.</summary>
        public static Mat operator *(Scalar a, Mat b) => new Mat(Broadcasting.Binary(a.Tensor, 0, b.Tensor, 2, (x, y) => x.mul(y)));

        /// <summary>a / b, broadcasting per sample.</summary>
        public static Mat operator /(Mat a, Scalar b) => new Mat(Broadcasting.Binary(a.Tensor, 2, b.Tensor, 0, (x, y) => x.div(y)));

        /// <summary>a / b, broadcasting per sample.</summary>
        public static Mat operator /(Scalar a, Mat b) => new Mat(Broadcasting.Binary(a.Tensor, 0, b.Tensor, 2, (x, y) => x.div(y)));

        /// <summary>a + b, broadcasting per sample.</summary>
        public static Mat operator +(Mat a, Vec b) => new Mat(Broadcasting.Binary(a.Tensor, 2, b.Tensor, 1, (x, y) => x.Add(y)));

        /// <summary>a + b, broadcasting per sample.</summary>
        public static Mat operator +(Vec a, Mat b) => new Mat(Broadcasting.Binary(a.Tensor, 1, b.Tensor, 2, (x, y) => x.Add(y)));

        /// <summary>a - b, broadcasting per sample.</summary>
        public static Mat operator -(Mat a, Vec b) => new Mat(Broadcasting.Binary(a.Tensor, 2, b.Tensor, 1, (x, y) => x.sub(y)));

        /// <summary>a - b, broadcasting per sample.</summary>
        public static Mat operator -(Vec a, Mat b) => new Mat(Broadcasting.Binary(a.Tensor, 1, b.Tensor, 2, (x, y) => x.sub(y)));

        /// <summary>The matrix–vector product W v: Mat[K,L] × Vec[L] → Vec[K].</summary>
        public static Vec operator *(Mat w, Vec v) => Math.MatVec(w, v);

        /// <summary>a / b, broadcasting per sample.</summary>
        public static Mat operator /(Mat a, Vec b) => new Mat(Broadcasting.Binary(a.Tensor, 2, b.Tensor, 1, (x, y) => x.div(y)));

        /// <summary>a / b, broadcasting per sample.</summary>
        public static Mat operator /(Vec a, Mat b) => new Mat(Broadcasting.Binary(a.Tensor, 1, b.Tensor, 2, (x, y) => x.div(y)));

        /// <summary>a + b, broadcasting per sample.</summary>
        public static Mat operator +(Mat a, Mat b) => new Mat(Broadcasting.Binary(a.Tensor, 2, b.Tensor, 2, (x, y) => x.Add(y)));

        /// <summary>a - b, broadcasting per sample.</summary>
        public static Mat operator -(Mat a, Mat b) => new Mat(Broadcasting.Binary(a.Tensor, 2, b.Tensor, 2, (x, y) => x.sub(y)));

        /// <summary>a * b, broadcasting per sample.</summary>
        public static Mat operator *(Mat a, Mat b) => new Mat(Broadcasting.Binary(a.Tensor, 2, b.Tensor, 2, (x, y) => x.mul(y)));

        /// <summary>a / b, broadcasting per sample.</summary>
        public static Mat operator /(Mat a, Mat b) => new Mat(Broadcasting.Binary(a.Tensor, 2, b.Tensor, 2, (x, y) => x.div(y)));

        /// <summary>a + b, broadcasting per sample.</summary>
        public static Mat operator +(Mat a, double b) => new Mat(Broadcasting.Binary(a.Tensor, 2, Broadcasting.Constant(b, a.Tensor), 0, (x, y) => x.Add(y)));

        /// <summary>a + b, broadcasting per sample.</summary>
        public static Mat operator +(double a, Mat b) => new Mat(Broadcasting.Binary(Broadcasting.Constant(a, b.Tensor), 0, b.Tensor, 2, (x, y) => x.Add(y)));

        /// <summary>a - b, broadcasting per sample.</summary>
        public static Mat operator -(Mat a, double b) => new Mat(Broadcasting.Binary(a.Tensor, 2, Broadcasting.Constant(b, a.Tensor), 0, (x, y) => x.sub(y)));

        /// <summary>a - b, broadcasting per sample.</summary>
        public static Mat operator -(double a, Mat b) => new Mat(Broadcasting.Binary(Broadcasting.Constant(a, b.Tensor), 0, b.Tensor, 2, (x, y) => x.sub(y)));

        /// <summary>a * b, broadcasting per sample.</summary>
        public static Mat operator *(Mat a, double b) => new Mat(Broadcasting.Binary(a.Tensor, 2, Broadcasting.Constant(b, a.Tensor), 0, (x, y) => x.mul(y)));

        /// <summary>a * b, broadcasting per sample.</summary>
        public static Mat operator *(double a, Mat b) => new Mat(Broadcasting.Binary(Broadcasting.Constant(a, b.Tensor), 0, b.Tensor, 2, (x, y) => x.mul(y)));

        /// <summary>a / b, broadcasting per sample.</summary>
        public static Mat operator /(Mat a, double b) => new Mat(Broadcasting.Binary(a.Tensor, 2, Broadcasting.Constant(b, a.Tensor), 0, (x, y) => x.div(y)));

        /// <summary>a / b, broadcasting per sample.</summary>
        public static Mat operator /(double a, Mat b) => new Mat(Broadcasting.Binary(Broadcasting.Constant(a, b.Tensor), 0, b.Tensor, 2, (x, y) => x.div(y)));

        /// <inheritdoc/>
        public override string ToString() => "Mat" + Broadcasting.Describe(Tensor);
    }
}
