using TorchSharp;
using static TorchSharp.torch;

namespace Dsl
{
    // Max, Min and Where: the eager definitions of the generator's select WhereGt(l, r, a, b) = l > r ? a : b (see Conditions).
    public static partial class Math
    {
        /// <summary>max(a, b) elementwise with broadcasting, as a &gt; b ? a : b (a tie, and a NaN in a, takes b). Kinked where a = b: a score through it needs [Subgradient] on the model (∂/∂a = 1 for a &gt; b, 0 for a ≤ b), else DSL0008.</summary>
        public static Scalar Max(Scalar a, Scalar b) { var ta = a.Tensor; var tb = b.Tensor; return new Scalar(Conditions.Select(ta, 0, tb, 0, ta, 0, tb, 0)); }
        /// <summary>min(a, b) elementwise with broadcasting, as b &gt; a ? a : b (a tie, and a NaN in b, takes b). Kinked where a = b: a score through it needs [Subgradient] on the model (∂/∂a = 1 for a &lt; b, 0 for a ≥ b), else DSL0008.</summary>
        public static Scalar Min(Scalar a, Scalar b) { var ta = a.Tensor; var tb = b.Tensor; return new Scalar(Conditions.Select(tb, 0, ta, 0, ta, 0, tb, 0)); }
        /// <summary>max(a, b) elementwise with broadcasting, as a &gt; b ? a : b (a tie, and a NaN in a, takes b). Kinked where a = b: a score through it needs [Subgradient] on the model (∂/∂a = 1 for a &gt; b, 0 for a ≤ b), else DSL0008.</summary>
        public static Scalar Max(Scalar a, double b) { var ta = a.Tensor; var tb = Broadcasting.Constant(b, a.Tensor); return new Scalar(Conditions.Select(ta, 0, tb, 0, ta, 0, tb, 0)); }
        /// <summary>min(a, b) elementwise with broadcasting, as b &gt; a ? a : b (a tie, and a NaN in b, takes b). Kinked where a = b: a score through it needs [Subgradient] on the model (∂/∂a = 1 for a &lt; b, 0 for a ≥ b), else DSL0008.</summary>
        public static Scalar Min(Scalar a, double b) { var ta = a.Tensor; var tb = Broadcasting.Constant(b, a.Tensor); return new Scalar(Conditions.Select(tb, 0, ta, 0, ta, 0, tb, 0)); }
        /// <summary>max(a, b) elementwise with broadcasting, as a &gt; b ? a : b (a tie, and a NaN in a, takes b). Kinked where a = b: a score through it needs [Subgradient] on the model (∂/∂a = 1 for a &gt; b, 0 for a ≤ b), else DSL0008.</summary>
        public static Scalar Max(double a, Scalar b) { var ta = Broadcasting.Constant(a, b.Tensor); var tb = b.Tensor; return new Scalar(Conditions.Select(ta, 0, tb, 0, ta, 0, tb, 0)); }
        /// <summary>min(a, b) elementwise with broadcasting, as b &gt; a ? a : b (a tie, and a NaN in b, takes b). Kinked where a = b: a score through it needs [Subgradient] on the model (∂/∂a = 1 for a &lt; b, 0 for a ≥ b), else DSL0008.</summary>
        public static Scalar Min(double a, Scalar b) { var ta = Broadcasting.Constant(a, b.Tensor); var tb = b.Tensor; return new Scalar(Conditions.Select(tb, 0, ta, 0, ta, 0, tb, 0)); }
        /// <summary>max(a, b) elementwise with broadcasting, as a &gt; b ? a : b (a tie, and a NaN in a, takes b). Kinked where a = b: a score through it needs [Subgradient] on the model (∂/∂a = 1 for a &gt; b, 0 for a ≤ b), else DSL0008.</summary>
        public static Vec Max(Vec a, Vec b) { var ta = a.Tensor; var tb = b.Tensor; return new Vec(Conditions.Select(ta, 1, tb, 1, ta, 1, tb, 1)); }
        /// <summary>min(a, b) elementwise with broadcasting, as b &gt; a ? a : b (a tie, and a NaN in b, takes b). Kinked where a = b: a score through it needs [Subgradient] on the model (∂/∂a = 1 for a &lt; b, 0 for a ≥ b), else DSL0008.</summary>
        public static Vec Min(Vec a, Vec b) { var ta = a.Tensor; var tb = b.Tensor; return new Vec(Conditions.Select(tb, 1, ta, 1, ta, 1, tb, 1)); }
        /// <summary>max(a, b) elementwise with broadcasting, as a &gt; b ? a : b (a tie, and a NaN in a, takes b). Kinked where a = b: a score through it needs [Subgradient] on the model (∂/∂a = 1 for a &gt; b, 0 for a ≤ b), else DSL0008.</summary>
        public static Vec Max(Vec a, Scalar b) { var ta = a.Tensor; var tb = b.Tensor; return new Vec(Conditions.Select(ta, 1, tb, 0, ta, 1, tb, 0)); }
        /// <summary>min(a, b) elementwise with broadcasting, as b &gt; a ? a : b (a tie, and a NaN in b, takes b). Kinked where a = b: a score through it needs [Subgradient] on the model (∂/∂a = 1 for a &lt; b, 0 for a ≥ b), else DSL0008.</summary>
        public static Vec Min(Vec a, Scalar b) { var ta = a.Tensor; var tb = b.Tensor; return new Vec(Conditions.Select(tb, 0, ta, 1, ta, 1, tb, 0)); }
        /// <summary>max(a, b) elementwise with broadcasting, as a &gt; b ? a : b (a tie, and a NaN in a, takes b). Kinked where a = b: a score through it needs [Subgradient] on the model (∂/∂a = 1 for a &gt; b, 0 for a ≤ b), else DSL0008.</summary>
        public static Vec Max(Scalar a, Vec b) { var ta = a.Tensor; var tb = b.Tensor; return new Vec(Conditions.Select(ta, 0, tb, 1, ta, 0, tb, 1)); }
        /// <summary>min(a, b) elementwise with broadcasting, as b &gt; a ? a : b (a tie, and a NaN in b, takes b). Kinked where a = b: a score through it needs [Subgradient] on the model (∂/∂a = 1 for a &lt; b, 0 for a ≥ b), else DSL0008.</summary>
        public static Vec Min(Scalar a, Vec b) { var ta = a.Tensor; var tb = b.Tensor; return new Vec(Conditions.Select(tb, 1, ta, 0, ta, 0, tb, 1)); }
        /// <summary>max(a, b) elementwise with broadcasting, as a &gt; b ? a : b (a tie, and a NaN in a, takes b). Kinked where a = b: a score through it needs [Subgradient] on the model (∂/∂a = 1 for a &gt; b, 0 for a ≤ b), else DSL0008.</summary>
        public static Vec Max(Vec a, double b) { var ta = a.Tensor; var tb = Broadcasting.Constant(b, a.Tensor); return new Vec(Conditions.Select(ta, 1, tb, 0, ta, 1, tb, 0)); }
        /// <summary>min(a, b) elementwise with broadcasting, as b &gt; a ? a : b (a tie, and a NaN in b, takes b). Kinked where a = b: a score through it needs [Subgradient] on the model (∂/∂a = 1 for a &lt; b, 0 for a ≥ b), else DSL0008.</summary>
        public static Vec Min(Vec a, double b) { var ta = a.Tensor; var tb = Broadcasting.Constant(b, a.Tensor); return new Vec(Conditions.Select(tb, 0, ta, 1, ta, 1, tb, 0)); }
        /// <summary>max(a, b) elementwise with broadcasting, as a &gt; b ? a : b (a tie, and a NaN in a, takes b). Kinked where a = b: a score through it needs [Subgradient] on the model (∂/∂a = 1 for a &gt; b, 0 for a ≤ b), else DSL0008.</summary>
        public static Vec Max(double a, Vec b) { var ta = Broadcasting.Constant(a, b.Tensor); var tb = b.Tensor; return new Vec(Conditions.Select(ta, 0, tb, 1, ta, 0, tb, 1)); }
        /// <summary>min(a, b) elementwise with broadcasting, as b &gt; a ? a : b (a tie, and a NaN in b, takes b). Kinked where a = b: a score through it needs [Subgradient] on the model (∂/∂a = 1 for a &lt; b, 0 for a ≥ b), else DSL0008.</summary>
        public static Vec Min(double a, Vec b) { var ta = Broadcasting.Constant(a, b.Tensor); var tb = b.Tensor; return new Vec(Conditions.Select(tb, 1, ta, 0, ta, 0, tb, 1)); }
        /// <summary>max(a, b) elementwise with broadcasting, as a &gt; b ? a : b (a tie, and a NaN in a, takes b). Kinked where a = b: a score through it needs [Subgradient] on the model (∂/∂a = 1 for a &gt; b, 0 for a ≤ b), else DSL0008.</summary>
        public static Mat Max(Mat a, Mat b) { var ta = a.Tensor; var tb = b.Tensor; return new Mat(Conditions.Select(ta, 2, tb, 2, ta, 2, tb, 2)); }
        /// <summary>min(a, b) elementwise with broadcasting, as b &gt; a ? a : b (a tie, and a NaN in b, takes b). Kinked where a = b: a score through it needs [Subgradient] on the model (∂/∂a = 1 for a &lt; b, 0 for a ≥ b), else DSL0008.</summary>
        public static Mat Min(Mat a, Mat b) { var ta = a.Tensor; var tb = b.Tensor; return new Mat(Conditions.Select(tb, 2, ta, 2, ta, 2, tb, 2)); }
        /// <summary>max(a, b) elementwise with broadcasting, as a &gt; b ? a : b (a tie, and a NaN in a, takes b). Kinked where a = b: a score through it needs [Subgradient] on the model (∂/∂a = 1 for a &gt; b, 0 for a ≤ b), else DSL0008.</summary>
        public static Mat Max(Mat a, double b) { var ta = a.Tensor; var tb = Broadcasting.Constant(b, a.Tensor); return new Mat(Conditions.Select(ta, 2, tb, 0, ta, 2, tb, 0)); }
        /// <summary>min(a, b) elementwise with broadcasting, as b &gt; a ? a : b (a tie, and a NaN in b, takes b). Kinked where a = b: a score through it needs [Subgradient] on the model (∂/∂a = 1 for a &lt; b, 0 for a ≥ b), else DSL0008.</summary>
        public static Mat Min(Mat a, double b) { var ta = a.Tensor; var tb = Broadcasting.Constant(b, a.Tensor); return new Mat(Conditions.Select(tb, 0, ta, 2, ta, 2, tb, 0)); }
        /// <summary>max(a, b) elementwise with broadcasting, as a &gt; b ? a : b (a tie, and a NaN in a, takes b). Kinked where a = b: a score through it needs [Subgradient] on the model (∂/∂a = 1 for a &gt; b, 0 for a ≤ b), else DSL0008.</summary>
        public static Mat Max(double a, Mat b) { var ta = Broadcasting.Constant(a, b.Tensor); var tb = b.Tensor; return new Mat(Conditions.Select(ta, 0, tb, 2, ta, 0, tb, 2)); }
        /// <summary>min(a, b) elementwise with broadcasting, as b &gt; a ? a : b (a tie, and a NaN in b, takes b). Kinked where a = b: a score through it needs [Subgradient] on the model (∂/∂a = 1 for a &lt; b, 0 for a ≥ b), else DSL0008.</summary>
        public static Mat Min(double a, Mat b) { var ta = Broadcasting.Constant(a, b.Tensor); var tb = b.Tensor; return new Mat(Conditions.Select(tb, 2, ta, 0, ta, 0, tb, 2)); }
        /// <summary>max(a, b) of numbers as a &gt; b ? a : b (the generator folds it).</summary>
        public static double Max(double a, double b) => a > b ? a : b;
        /// <summary>min(a, b) of numbers as b &gt; a ? a : b (the generator folds it).</summary>
        public static double Min(double a, double b) => b > a ? a : b;
        /// <summary>cond ? a : b elementwise with broadcasting (cond: a comparison such as x &gt; 0). Jumps where the compared values are equal: a score through an x-dependent comparison needs [Subgradient] on the model (the selected branch's derivative), else DSL0008.</summary>
        public static Scalar Where(Cond cond, Scalar a, Scalar b) { var c = cond; return new Scalar(c.Select(a.Tensor, 0, b.Tensor, 0)); }
        /// <summary>cond ? a : b elementwise with broadcasting (cond: a comparison such as x &gt; 0). Jumps where the compared values are equal: a score through an x-dependent comparison needs [Subgradient] on the model (the selected branch's derivative), else DSL0008.</summary>
        public static Scalar Where(Cond cond, Scalar a, double b) { var c = cond; return new Scalar(c.Select(a.Tensor, 0, Broadcasting.Constant(b, c.L), 0)); }
        /// <summary>cond ? a : b elementwise with broadcasting (cond: a comparison such as x &gt; 0). Jumps where the compared values are equal: a score through an x-dependent comparison needs [Subgradient] on the model (the selected branch's derivative), else DSL0008.</summary>
        public static Scalar Where(Cond cond, double a, Scalar b) { var c = cond; return new Scalar(c.Select(Broadcasting.Constant(a, c.L), 0, b.Tensor, 0)); }
        /// <summary>cond ? a : b elementwise with broadcasting (cond: a comparison such as x &gt; 0). Jumps where the compared values are equal: a score through an x-dependent comparison needs [Subgradient] on the model (the selected branch's derivative), else DSL0008.</summary>
        public static Scalar Where(Cond cond, double a, double b) { var c = cond; return new Scalar(c.Select(Broadcasting.Constant(a, c.L), 0, Broadcasting.Constant(b, c.L), 0)); }
        /// <summary>cond ? a : b elementwise with broadcasting (cond: a comparison such as x &gt; 0). Jumps where the compared values are equal: a score through an x-dependent comparison needs [Subgradient] on the model (the selected branch's derivative), else DSL0008.</summary>
        public static Vec Where(Cond cond, Vec a, Vec b) { var c = cond; return new Vec(c.Select(a.Tensor, 1, b.Tensor, 1)); }
        /// <summary>cond ? a : b elementwise with broadcasting (cond: a comparison such as x &gt; 0). Jumps where the compared values are equal: a score through an x-dependent comparison needs [Subgradient] on the model (the selected branch's derivative), else DSL0008.</summary>
        public static Vec Where(Cond cond, Vec a, Scalar b) { var c = cond; return new Vec(c.Select(a.Tensor, 1, b.Tensor, 0)); }
        /// <summary>cond ? a : b elementwise with broadcasting (cond: a comparison such as x &gt; 0). Jumps where the compared values are equal: a score through an x-dependent comparison needs [Subgradient] on the model (the selected branch's derivative), else DSL0008.</summary>
        public static Vec Where(Cond cond, Scalar a, Vec b) { var c = cond; return new Vec(c.Select(a.Tensor, 0, b.Tensor, 1)); }
        /// <summary>cond ? a : b elementwise with broadcasting (cond: a comparison such as x &gt; 0). Jumps where the compared values are equal: a score through an x-dependent comparison needs [Subgradient] on the model (the selected branch's derivative), else DSL0008.</summary>
        public static Vec Where(Cond cond, Vec a, double b) { var c = cond; return new Vec(c.Select(a.Tensor, 1, Broadcasting.Constant(b, c.L), 0)); }
        /// <summary>cond ? a : b elementwise with broadcasting (cond: a comparison such as x &gt; 0). Jumps where the compared values are equal: a score through an x-dependent comparison needs [Subgradient] on the model (the selected branch's derivative), else DSL0008.</summary>
        public static Vec Where(Cond cond, double a, Vec b) { var c = cond; return new Vec(c.Select(Broadcasting.Constant(a, c.L), 0, b.Tensor, 1)); }
        /// <summary>cond ? a : b elementwise with broadcasting (cond: a comparison such as x &gt; 0). Jumps where the compared values are equal: a score through an x-dependent comparison needs [Subgradient] on the model (the selected branch's derivative), else DSL0008.</summary>
        public static Vec Where(VecCond cond, Scalar a, Scalar b) { var c = cond; return new Vec(c.Select(a.Tensor, 0, b.Tensor, 0)); }
        /// <summary>cond ? a : b elementwise with broadcasting (cond: a comparison such as x &gt; 0). Jumps where the compared values are equal: a score through an x-dependent comparison needs [Subgradient] on the model (the selected branch's derivative), else DSL0008.</summary>
        public static Vec Where(VecCond cond, Scalar a, double b) { var c = cond; return new Vec(c.Select(a.Tensor, 0, Broadcasting.Constant(b, c.L), 0)); }
        /// <summary>cond ? a : b elementwise with broadcasting (cond: a comparison such as x &gt; 0). Jumps where the compared values are equal: a score through an x-dependent comparison needs [Subgradient] on the model (the selected branch's derivative), else DSL0008.</summary>
        public static Vec Where(VecCond cond, double a, Scalar b) { var c = cond; return new Vec(c.Select(Broadcasting.Constant(a, c.L), 0, b.Tensor, 0)); }
        /// <summary>cond ? a : b elementwise with broadcasting (cond: a comparison such as x &gt; 0). Jumps where the compared values are equal: a score through an x-dependent comparison needs [Subgradient] on the model (the selected branch's derivative), else DSL0008.</summary>
        public static Vec Where(VecCond cond, double a, double b) { var c = cond; return new Vec(c.Select(Broadcasting.Constant(a, c.L), 0, Broadcasting.Constant(b, c.L), 0)); }
        /// <summary>cond ? a : b elementwise with broadcasting (cond: a comparison such as x &gt; 0). Jumps where the compared values are equal: a score through an x-dependent comparison needs [Subgradient] on the model (the selected branch's derivative), else DSL0008.</summary>
        public static Vec Where(VecCond cond, Vec a, Vec b) { var c = cond; return new Vec(c.Select(a.Tensor, 1, b.Tensor, 1)); }
        /// <summary>cond ? a : b elementwise with broadcasting (cond: a comparison such as x &gt; 0). Jumps where the compared values are equal: a score through an x-dependent comparison needs [Subgradient] on the model (the selected branch's derivative), else DSL0008.</summary>
        public static Vec Where(VecCond cond, Vec a, Scalar b) { var c = cond; return new Vec(c.Select(a.Tensor, 1, b.Tensor, 0)); }
        /// <summary>cond ? a : b elementwise with broadcasting (cond: a comparison such as x &gt; 0). Jumps where the compared values are equal: a score through an x-dependent comparison needs [Subgradient] on the model (the selected branch's derivative), else DSL0008.</summary>
        public static Vec Where(VecCond cond, Scalar a, Vec b) { var c = cond; return new Vec(c.Select(a.Tensor, 0, b.Tensor, 1)); }
        /// <summary>cond ? a : b elementwise with broadcasting (cond: a comparison such as x &gt; 0). Jumps where the compared values are equal: a score through an x-dependent comparison needs [Subgradient] on the model (the selected branch's derivative), else DSL0008.</summary>
        public static Vec Where(VecCond cond, Vec a, double b) { var c = cond; return new Vec(c.Select(a.Tensor, 1, Broadcasting.Constant(b, c.L), 0)); }
        /// <summary>cond ? a : b elementwise with broadcasting (cond: a comparison such as x &gt; 0). Jumps where the compared values are equal: a score through an x-dependent comparison needs [Subgradient] on the model (the selected branch's derivative), else DSL0008.</summary>
        public static Vec Where(VecCond cond, double a, Vec b) { var c = cond; return new Vec(c.Select(Broadcasting.Constant(a, c.L), 0, b.Tensor, 1)); }
    }
}
