using System;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl
{
    /// <summary>
    /// The per-sample broadcasting rule shared by Scalar, Vec and Mat. A value of per-sample rank p is
    /// batched when its tensor has rank p + 1. When a batched operand meets one of higher per-sample rank r,
    /// singleton axes go right after the batch axis ([N] → [N,1], [N,K] → [N,1,K]) so that torch's trailing
    /// broadcasting aligns per-sample axes. The generator emits the same rule statically.
    /// </summary>
    internal static class Broadcasting
    {
        public static Tensor Binary(Tensor a, int rankA, Tensor b, int rankB, Func<Tensor, Tensor, Tensor> op)
        {
            int rank = System.Math.Max(rankA, rankB);
            return op(Align(a, rankA, rank), Align(b, rankB, rank));
        }

        public static Tensor Align(Tensor t, int rank, int targetRank)
        {
            if (t.dim() <= rank) return t;
            for (int i = rank; i < targetRank; i++) t = t.unsqueeze(1);
            return t;
        }

        /// <summary>A literal as a 0-dim tensor on the other operand's device and dtype.</summary>
        public static Tensor Constant(double value, Tensor like) => tensor(value, dtype: like.dtype, device: like.device);

        public static void CheckRank(Tensor? t, int rank, string kind)
        {
            if (t is null) throw new ArgumentNullException(nameof(t), kind + " needs a tensor.");
            long dims = t.dim();
            if (dims != rank && dims != rank + 1)
                throw new ArgumentException(kind + " needs a tensor of rank " + rank + " (unbatched) or " + (rank + 1) + " (batched), got shape " + Describe(t) + ".", nameof(t));
        }

        public static string Describe(Tensor t) => "[" + string.Join(", ", t.shape.Select(s => s.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";
    }
}
