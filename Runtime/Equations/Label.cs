using TorchSharp;
using static TorchSharp.torch;

namespace Dsl
{
    /// <summary>
    /// Label: one class index per sample, an int64 tensor [] unbatched or [N] batched with values in 0…K−1: the type of a
    /// <c>[Condition] Label y</c> argument. It has no arithmetic; equations use it through <see cref="Math.Pick(Vec, Label)"/>
    /// and <see cref="Math.OneHot(Label, Scalar)"/>. Thin and eager, like <see cref="Vec"/>.
    /// </summary>
    public readonly struct Label
    {
        /// <summary>Wraps an integer tensor of rank 0 (unbatched) or 1 (batched).</summary>
        public Label(Tensor tensor)
        {
            if (tensor is null) throw new System.ArgumentNullException(nameof(tensor));
            if (tensor.dim() > 1 || tensor.is_floating_point() || tensor.dtype == ScalarType.Bool)
                throw new System.ArgumentException("Label: expected an integer tensor [] or [N] of class indices; got " + tensor.dtype + " " + Broadcasting.Describe(tensor) + ".", nameof(tensor));
            Tensor = tensor.dtype == ScalarType.Int64 ? tensor : tensor.to_type(ScalarType.Int64);
        }

        /// <summary>The underlying int64 tensor.</summary>
        public Tensor Tensor { get; }

        /// <summary>True when the value carries a leading batch axis N.</summary>
        public bool Batched => Tensor.dim() > 0;
    }

    public static partial class Math
    {
        /// <summary>
        /// vᵧ: the entry of v at the label y, per sample (a gather). With logits f(x) over K classes, the classifier's energy is
        /// E(x, y) = −log softmax(f(x))ᵧ = LogSumExp(f) − Pick(f, y), whose generated score −∇ₓE is ∇ₓ log p(y | x).
        /// The generator writes it as Sum(v ⊙ onehot(y)), so derivatives in x flow through v only.
        /// </summary>
        public static Scalar Pick(Vec v, Label y)
        {
            var index = y.Tensor.dim() == 0 ? y.Tensor.reshape(1) : y.Tensor;
            var table = v.Tensor.dim() == 1 ? v.Tensor.unsqueeze(0).expand(index.shape[0], v.Tensor.shape[0]) : v.Tensor;
            if (table.shape[0] != index.shape[0])
                throw new System.ArgumentException("Pick: v has " + table.shape[0] + " rows but y has " + index.shape[0] + " labels.");
            var picked = table.gather(1, index.unsqueeze(1)).squeeze(1);
            return new Scalar(y.Tensor.dim() == 0 && v.Tensor.dim() == 1 ? picked.squeeze(0) : picked);
        }

        /// <summary>
        /// The one-hot vector eᵧ of length K: [N, K] (or [K] for an unbatched label), in the dtype of <paramref name="classes"/>.
        /// K is written as the length of a Vec of the model, e.g. <c>OneHot(y, Len(b))</c>, so that the generator knows its
        /// dimension symbol: then <c>M * OneHot(y, Len(b))</c> is the column of M that y selects.
        /// </summary>
        public static Vec OneHot(Label y, Scalar classes)
        {
            long k = (long)classes.Tensor.ToDoubleValue();
            return new Vec(nn.functional.one_hot(y.Tensor, k).to_type(classes.Tensor.dtype).to(classes.Tensor.device));
        }
    }
}
