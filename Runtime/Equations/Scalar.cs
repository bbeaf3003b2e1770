using TorchSharp;
using static TorchSharp.torch;

namespace Dsl
{
    /// <summary>
    /// Scalar: one number per sample: [] unbatched (a parameter) or [N] batched. Operators broadcast per sample, trailing-aligned (a Vec meets a Mat along each
    /// row). Thin and eager: the user's equations run on these, which makes
    /// them the autograd reference of the generated code.
    /// </summary>
    public readonly partial struct Scalar
    {
        /// <summary>Wraps a tensor of rank 0 (unbatched) or 1 (batched).</summary>
        public Scalar(Tensor tensor)
        {
            Broadcasting.CheckRank(tensor, 0, "Scalar");
            Tensor = tensor;
        }

        /// <summary>The underlying tensor.</summary>
        public Tensor Tensor { get; }

        /// <summary>True when the value carries a leading batch axis N.</summary>
        public bool Batched => Tensor.dim() > 0;

        /// <summary>−a</summary>
        public static Scalar operator -(Scalar a) => new Scalar(a.Tensor.neg());

        /// <summary>a + b, broadcasting per sample.</summary>
        public static Scalar operator +(Scalar a, Scalar b) => new Scalar(Broadcasting.Binary(a.Tensor, 0, b.Tensor, 0, (x, y) => x.Add(y)));

        /// <summary>a - b, broadcasting per sample.</summary>
        public static Scalar operator -(Scalar a, Scalar b) => new Scalar(Broadcasting.Binary(a.Tensor, 0, b.Tensor, 0, (x, y) => x.sub(y)));

        /// <summary>a * b, broadcasting per sample.</summary>
        public static Scalar operator *(Scalar a, Scalar b) => new Scalar(Broadcasting.Binary(a.Tensor, 0, b.Tensor, 0, (x, y) => x.mul(y)));

        /// <summary>a / b, broadcasting per sample.</summary>
        public static Scalar operator /(Scalar a, Scalar b) => new Scalar(Broadcasting.Binary(a.Tensor, 0, b.Tensor, 0, (x, y) => x.div(y)));

        /// <summary>a + b, broadcasting per sample.</summary>
        public static Scalar operator +(Scalar a, double b) => new Scalar(Broadcasting.Binary(a.Tensor, 0, Broadcasting.Constant(b, a.Tensor), 0, (x, y) => x.Add(y)));

        /// <summary>a + b, broadcasting per sample.</summary>
        public static Scalar operator +(double a, Scalar b) => new Scalar(Broadcasting.Binary(Broadcasting.Constant(a, b.Tensor), 0, b.Tensor, 0, (x, y) => x.Add(y)));

        /// <summary>a - b, broadcasting per sample.</summary>
        public static Scalar operator -(Scalar a, double b) => new Scalar(Broadcasting.Binary(a.Tensor, 0, Broadcasting.Constant(b, a.Tensor), 0, (x, y) => x.sub(y)));

        /// <summary>a - b, broadcasting per sample.</summary>
        public static Scalar operator -(double a, Scalar b) => new Scalar(Broadcasting.Binary(Broadcasting.Constant(a, b.Tensor), 0, b.Tensor, 0, (x, y) => x.sub(y)));

        /// <summary>a * b, broadcasting per sample.</summary>
        public static Scalar operator *(Scalar a, double b) => new Scalar(Broadcasting.Binary(a.Tensor, 0, Broadcasting.Constant(b, a.Tensor), 0, (x, y) => x.mul(y)));

        /// <summary>a * b, broadcasting per sample.</summary>
        public static Scalar operator *(double a, Scalar b) => new Scalar(Broadcasting.Binary(Broadcasting.Constant(a, b.Tensor), 0, b.Tensor, 0, (x, y) => x.mul(y)));

        /// <summary>a / b, broadcasting per sample.</summary>
        public static Scalar operator /(Scalar a, double b) => new Scalar(Broadcasting.Binary(a.Tensor, 0, Broadcasting.Constant(b, a.Tensor), 0, (x, y) => x.div(y)));

        /// <summary>a / b, broadcasting per sample.</summary>
        public static Scalar operator /(double a, Scalar b) => new Scalar(Broadcasting.Binary(Broadcasting.Constant(a, b.Tensor), 0, b.Tensor, 0, (x, y) => x.div(y)));

        /// <inheritdoc/>
        public override string ToString() => "Scalar" + Broadcasting.Describe(Tensor);
    }
}
