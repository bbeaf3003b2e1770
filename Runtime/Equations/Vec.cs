using TorchSharp;
using static TorchSharp.torch;

namespace Dsl
{
    /// <summary>
    /// Vec: a vector per sample: [K] unbatched or [N, K] batched. Operators broadcast per sample, trailing-aligned (a Vec meets a Mat along each
    /// row). Thin and eager: the user's equations run on these, which makes
    /// them the autograd reference of the generated code.
    /// </summary>
    public readonly partial struct Vec
    {
        /// <summary>Wraps a tensor of rank 1 (unbatched) or 2 (batched).</summary>
        public Vec(Tensor tensor)
        {
            Broadcasting.CheckRank(tensor, 1, "Vec");
            Tensor = tensor;
        }

        /// <summary>The underlying tensor.</summary>
        public Tensor Tensor { get; }

        /// <summary>True when the value carries a leading batch axis N.</summary>
        public bool Batched => Tensor.dim() > 1;

        /// <summary>−a</summary>
        public static Vec operator -(Vec a) => new Vec(a.Tensor.neg());

        /// <summary>a + b, broadcasting per sample.</summary>
        public static Vec operator +(Vec a, Scalar b) => new Vec(Broadcasting.Binary(a.Tensor, 1, b.Tensor, 0, (x, y) => x.Add(y)));

        /// <summary>a + b, broadcasting per sample.</summary>
        public static Vec operator +(Scalar a, Vec b) => new Vec(Broadcasting.Binary(a.Tensor, 0, b.Tensor, 1, (x, y) => x.Add(y)));

        /// <summary>a - b, broadcasting per sample.</summary>
        public static Vec operator -(Vec a, Scalar b) => new Vec(Broadcasting.Binary(a.Tensor, 1, b.Tensor, 0, (x, y) => x.sub(y)));

        /// <summary>a - b, broadcasting per sample.</summary>
        public static Vec operator -(Scalar a, Vec b) => new Vec(Broadcasting.Binary(a.Tensor, 0, b.Tensor, 1, (x, y) => x.sub(y)));

        /// <summary>a * b, broadcasting per sample.</summary>
        public static Vec operator *(Vec a, Scalar b) => new Vec(Broadcasting.Binary(a.Tensor, 1, b.Tensor, 0, (x, y) => x.mul(y)));

        /// <summary>a * b, broadcasting per sample.</summary>
        public static Vec operator *(Scalar a, Vec b) => new Vec(Broadcasting.Binary(a.Tensor, 0, b.Tensor, 1, (x, y) => x.mul(y)));

        /// <summary>a / b, broadcasting per sample.</summary>
        public static Vec operator /(Vec a, Scalar b) => new Vec(Broadcasting.Binary(a.Tensor, 1, b.Tensor, 0, (x, y) => x.div(y)));

        /// <summary>a / b, broadcasting per sample.</summary>
        public static Vec operator /(Scalar a, Vec b) => new Vec(Broadcasting.Binary(a.Tensor, 0, b.Tensor, 1, (x, y) => x.div(y)));

        /// <summary>a + b, broadcasting per sample.</summary>
        public static Vec operator +(Vec a, Vec b) => new Vec(Broadcasting.Binary(a.Tensor, 1, b.Tensor, 1, (x, y) => x.Add(y)));

        /// <summary>a - b, broadcasting per sample.</summary>
        public static Vec operator -(Vec a, Vec b) => new Vec(Broadcasting.Binary(a.Tensor, 1, b.Tensor, 1, (x, y) => x.sub(y)));

        /// <summary>a * b, broadcasting per sample.</summary>
        public static Vec operator *(Vec a, Vec b) => new Vec(Broadcasting.Binary(a.Tensor, 1, b.Tensor, 1, (x, y) => x.mul(y)));

        /// <summary>a / b, broadcasting per sample.</summary>
        public static Vec operator /(Vec a, Vec b) => new Vec(Broadcasting.Binary(a.Tensor, 1, b.Tensor, 1, (x, y) => x.div(y)));

        /// <summary>a + b, broadcasting per sample.</summary>
        public static Vec operator +(Vec a, double b) => new Vec(Broadcasting.Binary(a.Tensor, 1, Broadcasting.Constant(b, a.Tensor), 0, (x, y) => x.Add(y)));

        /// <summary>a + b, broadcasting per sample.</summary>
        public static Vec operator +(double a, Vec b) => new Vec(Broadcasting.Binary(Broadcasting.Constant(a, b.Tensor), 0, b.Tensor, 1, (x, y) => x.Add(y)));

        /// <summary>a - b, broadcasting per sample.</summary>
        public static Vec operator -(Vec a, double b) => new Vec(Broadcasting.Binary(a.Tensor, 1, Broadcasting.Constant(b, a.Tensor), 0, (x, y) => x.sub(y)));

        /// <summary>a - b, broadcasting per sample.</summary>
        public static Vec operator -(double a, Vec b) => new Vec(Broadcasting.Binary(Broadcasting.Constant(a, b.Tensor), 0, b.Tensor, 1, (x, y) => x.sub(y)));

        /// <summary>a * b, broadcasting per sample.</summary>
        public static Vec operator *(Vec a, double b) => new Vec(Broadcasting.Binary(a.Tensor, 1, Broadcasting.Constant(b, a.Tensor), 0, (x, y) => x.mul(y)));

        /// <summary>a * b, broadcasting per sample.</summary>
        public static Vec operator *(double a, Vec b) => new Vec(Broadcasting.Binary(Broadcasting.Constant(a, b.Tensor), 0, b.Tensor, 1, (x, y) => x.mul(y)));

        /// <summary>a / b, broadcasting per sample.</summary>
        public static Vec operator /(Vec a, double b) => new Vec(Broadcasting.Binary(a.Tensor, 1, Broadcasting.Constant(b, a.Tensor), 0, (x, y) => x.div(y)));

        /// <summary>a / b, broadcasting per sample.</summary>
        public static Vec operator /(double a, Vec b) => new Vec(Broadcasting.Binary(Broadcasting.Constant(a, b.Tensor), 0, b.Tensor, 1, (x, y) => x.div(y)));

        /// <inheritdoc/>
        public override string ToString() => "Vec" + Broadcasting.Describe(Tensor);
    }
}
