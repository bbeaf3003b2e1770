using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl
{
    /// <summary>
    /// A per-sample comparison of Scalars (or a Scalar and a number). Made by a comparison u &gt; v, u &lt; v, u &gt;= v or u &lt;= v and read only by
    /// <see cref="Math.Where(Cond, Scalar, Scalar)"/> and its overloads: the choice l &gt; r ? a : b of the generator's one select (WhereGt), with
    /// &gt;= and &lt;= as the negations of &lt; and &gt; (so a NaN in u or v takes b for &gt; and &lt;, a for &gt;= and &lt;=).
    /// </summary>
    public readonly struct Cond
    {
        internal Cond(Tensor l, int rankL, Tensor r, int rankR, bool swap)
        {
            L = l; RankL = rankL; R = r; RankR = rankR; Swap = swap;
        }

        internal Tensor L { get; }
        internal int RankL { get; }
        internal Tensor R { get; }
        internal int RankR { get; }
        /// <summary>True for &gt;= and &lt;=: the branches swap (not r &gt; l, not l &gt; r).</summary>
        internal bool Swap { get; }

        internal Tensor Select(Tensor a, int rankA, Tensor b, int rankB) => Conditions.Select(L, RankL, R, RankR, Swap ? b : a, Swap ? rankB : rankA, Swap ? a : b, Swap ? rankA : rankB);
    }

    /// <summary>
    /// An elementwise comparison involving a Vec. Made by a comparison u &gt; v, u &lt; v, u &gt;= v or u &lt;= v and read only by
    /// <see cref="Math.Where(Cond, Scalar, Scalar)"/> and its overloads: the choice l &gt; r ? a : b of the generator's one select (WhereGt), with
    /// &gt;= and &lt;= as the negations of &lt; and &gt; (so a NaN in u or v takes b for &gt; and &lt;, a for &gt;= and &lt;=).
    /// </summary>
    public readonly struct VecCond
    {
        internal VecCond(Tensor l, int rankL, Tensor r, int rankR, bool swap)
        {
            L = l; RankL = rankL; R = r; RankR = rankR; Swap = swap;
        }

        internal Tensor L { get; }
        internal int RankL { get; }
        internal Tensor R { get; }
        internal int RankR { get; }
        /// <summary>True for &gt;= and &lt;=: the branches swap (not r &gt; l, not l &gt; r).</summary>
        internal bool Swap { get; }

        internal Tensor Select(Tensor a, int rankA, Tensor b, int rankB) => Conditions.Select(L, RankL, R, RankR, Swap ? b : a, Swap ? rankB : rankA, Swap ? a : b, Swap ? rankA : rankB);
    }

    /// <summary>The select behind Where, Max and Min: l &gt; r ? a : b elementwise, the four operands aligned per sample as the operators align them.</summary>
    internal static class Conditions
    {
        internal static Tensor Select(Tensor l, int rankL, Tensor r, int rankR, Tensor a, int rankA, Tensor b, int rankB)
        {
            int rank = new[] { rankL, rankR, rankA, rankB }.Max();
            using var mask = Broadcasting.Align(l, rankL, rank).gt(Broadcasting.Align(r, rankR, rank));
            return torch.where(mask, Broadcasting.Align(a, rankA, rank), Broadcasting.Align(b, rankB, rank));
        }
    }

    public readonly partial struct Scalar
    {
        /// <summary>u &gt; v, elementwise: the condition of Where.</summary>
        public static Cond operator >(Scalar u, Scalar v) => new Cond(u.Tensor, 0, v.Tensor, 0, false);
        /// <summary>u &lt; v (v &gt; u), elementwise: the condition of Where.</summary>
        public static Cond operator <(Scalar u, Scalar v) => new Cond(v.Tensor, 0, u.Tensor, 0, false);
        /// <summary>u &gt;= v (not v &gt; u), elementwise: the condition of Where.</summary>
        public static Cond operator >=(Scalar u, Scalar v) => new Cond(v.Tensor, 0, u.Tensor, 0, true);
        /// <summary>u &lt;= v (not u &gt; v), elementwise: the condition of Where.</summary>
        public static Cond operator <=(Scalar u, Scalar v) => new Cond(u.Tensor, 0, v.Tensor, 0, true);
        /// <summary>u &gt; v, elementwise: the condition of Where.</summary>
        public static Cond operator >(Scalar u, double v) => new Cond(u.Tensor, 0, Broadcasting.Constant(v, u.Tensor), 0, false);
        /// <summary>u &lt; v (v &gt; u), elementwise: the condition of Where.</summary>
        public static Cond operator <(Scalar u, double v) => new Cond(Broadcasting.Constant(v, u.Tensor), 0, u.Tensor, 0, false);
        /// <summary>u &gt;= v (not v &gt; u), elementwise: the condition of Where.</summary>
        public static Cond operator >=(Scalar u, double v) => new Cond(Broadcasting.Constant(v, u.Tensor), 0, u.Tensor, 0, true);
        /// <summary>u &lt;= v (not u &gt; v), elementwise: the condition of Where.</summary>
        public static Cond operator <=(Scalar u, double v) => new Cond(u.Tensor, 0, Broadcasting.Constant(v, u.Tensor), 0, true);
        /// <summary>u &gt; v, elementwise: the condition of Where.</summary>
        public static Cond operator >(double u, Scalar v) => new Cond(Broadcasting.Constant(u, v.Tensor), 0, v.Tensor, 0, false);
        /// <summary>u &lt; v (v &gt; u), elementwise: the condition of Where.</summary>
        public static Cond operator <(double u, Scalar v) => new Cond(v.Tensor, 0, Broadcasting.Constant(u, v.Tensor), 0, false);
        /// <summary>u &gt;= v (not v &gt; u), elementwise: the condition of Where.</summary>
        public static Cond operator >=(double u, Scalar v) => new Cond(v.Tensor, 0, Broadcasting.Constant(u, v.Tensor), 0, true);
        /// <summary>u &lt;= v (not u &gt; v), elementwise: the condition of Where.</summary>
        public static Cond operator <=(double u, Scalar v) => new Cond(Broadcasting.Constant(u, v.Tensor), 0, v.Tensor, 0, true);
    }

    public readonly partial struct Vec
    {
        /// <summary>u &gt; v, elementwise: the condition of Where.</summary>
        public static VecCond operator >(Vec u, Vec v) => new VecCond(u.Tensor, 1, v.Tensor, 1, false);
        /// <summary>u &lt; v (v &gt; u), elementwise: the condition of Where.</summary>
        public static VecCond operator <(Vec u, Vec v) => new VecCond(v.Tensor, 1, u.Tensor, 1, false);
        /// <summary>u &gt;= v (not v &gt; u), elementwise: the condition of Where.</summary>
        public static VecCond operator >=(Vec u, Vec v) => new VecCond(v.Tensor, 1, u.Tensor, 1, true);
        /// <summary>u &lt;= v (not u &gt; v), elementwise: the condition of Where.</summary>
        public static VecCond operator <=(Vec u, Vec v) => new VecCond(u.Tensor, 1, v.Tensor, 1, true);
        /// <summary>u &gt; v, elementwise: the condition of Where.</summary>
        public static VecCond operator >(Vec u, Scalar v) => new VecCond(u.Tensor, 1, v.Tensor, 0, false);
        /// <summary>u &lt; v (v &gt; u), elementwise: the condition of Where.</summary>
        public static VecCond operator <(Vec u, Scalar v) => new VecCond(v.Tensor, 0, u.Tensor, 1, false);
        /// <summary>u &gt;= v (not v &gt; u), elementwise: the condition of Where.</summary>
        public static VecCond operator >=(Vec u, Scalar v) => new VecCond(v.Tensor, 0, u.Tensor, 1, true);
        /// <summary>u &lt;= v (not u &gt; v), elementwise: the condition of Where.</summary>
        public static VecCond operator <=(Vec u, Scalar v) => new VecCond(u.Tensor, 1, v.Tensor, 0, true);
        /// <summary>u &gt; v, elementwise: the condition of Where.</summary>
        public static VecCond operator >(Scalar u, Vec v) => new VecCond(u.Tensor, 0, v.Tensor, 1, false);
        /// <summary>u &lt; v (v &gt; u), elementwise: the condition of Where.</summary>
        public static VecCond operator <(Scalar u, Vec v) => new VecCond(v.Tensor, 1, u.Tensor, 0, false);
        /// <summary>u &gt;= v (not v &gt; u), elementwise: the condition of Where.</summary>
        public static VecCond operator >=(Scalar u, Vec v) => new VecCond(v.Tensor, 1, u.Tensor, 0, true);
        /// <summary>u &lt;= v (not u &gt; v), elementwise: the condition of Where.</summary>
        public static VecCond operator <=(Scalar u, Vec v) => new VecCond(u.Tensor, 0, v.Tensor, 1, true);
        /// <summary>u &gt; v, elementwise: the condition of Where.</summary>
        public static VecCond operator >(Vec u, double v) => new VecCond(u.Tensor, 1, Broadcasting.Constant(v, u.Tensor), 0, false);
        /// <summary>u &lt; v (v &gt; u), elementwise: the condition of Where.</summary>
        public static VecCond operator <(Vec u, double v) => new VecCond(Broadcasting.Constant(v, u.Tensor), 0, u.Tensor, 1, false);
        /// <summary>u &gt;= v (not v &gt; u), elementwise: the condition of Where.</summary>
        public static VecCond operator >=(Vec u, double v) => new VecCond(Broadcasting.Constant(v, u.Tensor), 0, u.Tensor, 1, true);
        /// <summary>u &lt;= v (not u &gt; v), elementwise: the condition of Where.</summary>
        public static VecCond operator <=(Vec u, double v) => new VecCond(u.Tensor, 1, Broadcasting.Constant(v, u.Tensor), 0, true);
        /// <summary>u &gt; v, elementwise: the condition of Where.</summary>
        public static VecCond operator >(double u, Vec v) => new VecCond(Broadcasting.Constant(u, v.Tensor), 0, v.Tensor, 1, false);
        /// <summary>u &lt; v (v &gt; u), elementwise: the condition of Where.</summary>
        public static VecCond operator <(double u, Vec v) => new VecCond(v.Tensor, 1, Broadcasting.Constant(u, v.Tensor), 0, false);
        /// <summary>u &gt;= v (not v &gt; u), elementwise: the condition of Where.</summary>
        public static VecCond operator >=(double u, Vec v) => new VecCond(v.Tensor, 1, Broadcasting.Constant(u, v.Tensor), 0, true);
        /// <summary>u &lt;= v (not u &gt; v), elementwise: the condition of Where.</summary>
        public static VecCond operator <=(double u, Vec v) => new VecCond(Broadcasting.Constant(u, v.Tensor), 0, v.Tensor, 1, true);
    }
}
