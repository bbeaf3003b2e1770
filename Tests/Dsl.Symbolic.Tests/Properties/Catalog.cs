using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.Symbolic.Ir;

namespace Dsl.Symbolic.Tests.Properties
{
    /// <summary>What an operand must satisfy for the operation to stay finite.</summary>
    public enum Domain
    {
        /// <summary>Any finite value.</summary>
        Any,
        /// <summary>Strictly positive and bounded away from 0 (log, √, 1/a, a/b's b, a^p for non-integer or negative p).</summary>
        Positive,
    }

    /// <summary>Which property a random expression is drawn for; it decides which operations may see an x-dependent operand.</summary>
    public enum Profile
    {
        /// <summary>Simplification preserves value: every operation, x-dependent or not.</summary>
        Value,
        /// <summary>∇ₓ: no x-dependent operand under a non-differentiable operation or one the gradient refuses (Diagonal).</summary>
        Gradient,
        /// <summary>ΔE: additionally none under an operation the forward-Laplacian rules do not cover (see <see cref="OpSpec.Laplacian"/>).</summary>
        Laplacian,
    }

    /// <summary>One way of producing a value of shape <see cref="Result"/> from operands of shapes <see cref="Args"/>.</summary>
    public sealed record Form(string[] Result, string[][] Args, Domain[] Domains, Func<Expr[], Expr> Make, int Weight = 2)
    {
        /// <summary>The operand indices that must not depend on x under each profile (beyond the op-level rules), e.g. MatVec's matrix for ΔE.</summary>
        public int[] XFreeForLaplacian { get; init; } = Array.Empty<int>();

        /// <summary>The operand indices that must not depend on x under the gradient and Laplacian profiles, e.g. WhereGt's compared values.</summary>
        public int[] XFreeForGradient { get; init; } = Array.Empty<int>();
    }

    /// <summary>
    /// An operation as the property tests know it. <see cref="Differentiable"/>, <see cref="Gradient"/> and <see cref="Laplacian"/>
    /// say whether an x-dependent operand is allowed under it for the gradient and Laplacian properties; <see cref="Forms"/> are the
    /// shapes it is drawn in (a leaf has none: <see cref="Catalog.Leaves"/> draws it).
    /// </summary>
    public sealed record OpSpec(Op Op, bool Differentiable, bool Gradient, bool Laplacian, Form[] Forms);

    /// <summary>
    /// THE one list of operations the property tests draw, with the domain each operand needs and which calculus supports
    /// it. <see cref="CatalogTests.Every_op_of_the_IR_is_in_the_catalog"/> fails when the <see cref="Op"/> enum has an operation this
    /// list does not name, so a new operation cannot escape the property tests.
    ///
    /// The operations come from the op table (<see cref="AllOps"/> enumerates <c>OpTable.All</c>) and so does an elementwise
    /// function's differentiability; what this list adds is the domain of each operand and the drawable forms of the structural
    /// operations (which the table's shape rule alone does not make drawable).
    /// </summary>
    public static class Catalog
    {
        /// <summary>Dimension sizes. D = 4 so that x is a 2×2 lattice for Neighbors and Roll; K ≠ D so that a mixed-up axis is a shape error.</summary>
        public static readonly Dictionary<string, int> Sizes = new() { ["D"] = 4, ["K"] = 3 };

        /// <summary>The lattice side for Neighbors and Roll (D = Side²).</summary>
        public const int Side = 2;

        public const string HyperName = "h";
        public const string ConditionName = "sigma";

        public static readonly string[] S = Array.Empty<string>();
        public static readonly string[] VD = { "D" };
        public static readonly string[] VK = { "K" };
        public static readonly string[] MKD = { "K", "D" };

        /// <summary>The fixed non-symmetric Mat[D,D] Q (entries 0.15·sin(1 + 3i + 7j) ∈ [−0.15, 0.15]) of the well-conditioned matrices LogDet, Inverse and Solve are drawn on.</summary>
        public const string FixedMatrix = "Q";

        /// <summary>The value of <see cref="FixedMatrix"/>.</summary>
        public static DenseValue FixedMatrixValue()
        {
            int d = Sizes["D"];
            var v = new double[d * d];
            for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) v[i * d + j] = 0.15 * Math.Sin(1 + 3 * i + 7 * j);
            return new DenseValue(new[] { d, d }, v);
        }

        /// <summary>The shapes a subexpression is requested in.</summary>
        public static readonly string[][] MainShapes = { S, VD, VK, MKD };

        /// <summary>The parameters by shape (two matrices so that a matrix product has two different operands).</summary>
        public static readonly (string Name, string[] Dims)[] Parameters = { ("s", S), ("b", VD), ("c", VK), ("W", MKD), ("V", MKD) };

        /// <summary>The operations the tests know: the op table's entries, in its (the <see cref="Op"/> enum's) order.</summary>
        public static IEnumerable<Op> AllOps => Dsl.Symbolic.Ops.OpTable.All.Select(info => info.Op);

        private static Expr E(Op op, string[] dims, params Expr[] args) => new Expr(op, dims, args);

        /// <summary>Binary forms producing <paramref name="r"/>: same shapes, and every broadcast the IR allows into r.</summary>
        private static IEnumerable<Form> BinaryForms(Op op, string[] r, Domain right)
        {
            var d = new[] { Domain.Any, right };
            yield return new Form(r, new[] { r, r }, d, a => E(op, r, a[0], a[1]), 16);
            if (r.Length > 0)
            {
                yield return new Form(r, new[] { r, S }, d, a => E(op, r, a[0], a[1]), 4);
                yield return new Form(r, new[] { S, r }, d, a => E(op, r, a[0], a[1]), 4);
            }
            if (r.Length == 2)
            {
                yield return new Form(r, new[] { r, VD }, d, a => E(op, r, a[0], a[1]), 8);
                yield return new Form(r, new[] { VD, r }, d, a => E(op, r, a[0], a[1]), 4);
            }
        }

        /// <summary>The catalog: one entry per operation of the IR.</summary>
        public static readonly IReadOnlyDictionary<Op, OpSpec> Specs = Build();

        private static IReadOnlyDictionary<Op, OpSpec> Build()
        {
            var specs = new List<OpSpec>();
            void Leaf(Op op) => specs.Add(new OpSpec(op, true, true, true, Array.Empty<Form>()));
            // An elementwise unary op: drawn in every main shape, with the operand's domain.
            // Differentiability is the op table's: the calculus refuses exactly the functions the table marks non-differentiable.
            void U(Op op, Domain domain)
            {
                bool differentiable = !Dsl.Symbolic.Ops.OpTable.Get(op).NonDifferentiable;
                specs.Add(new OpSpec(op, differentiable, differentiable, differentiable,
                    MainShapes.Select(s => new Form(s, new[] { s }, new[] { domain }, a => E(op, s, a[0]), 4)).ToArray()));
            }
            void B(Op op, Domain right) =>
                specs.Add(new OpSpec(op, true, true, true, MainShapes.SelectMany(s => BinaryForms(op, s, right)).ToArray()));

            // Leaves (drawn by Leaves, not by forms).
            Leaf(Op.Input); Leaf(Op.Condition); Leaf(Op.Param); Leaf(Op.Hyper); Leaf(Op.Const); Leaf(Op.DimSize);
            Leaf(Op.Selector);   // the constant 0/1 selector of slices, Concat, Eye and Block: a Mat[K,D] leaf with offsets −1, 0, 1

            // Elementwise unary.
            U(Op.Neg, Domain.Any);
            U(Op.Exp, Domain.Any);
            U(Op.Log, Domain.Positive);
            U(Op.Sqrt, Domain.Positive);
            U(Op.Square, Domain.Any);
            // a^p: the exponents include the ones Graph.Pow rewrites (0, 1, 2, ½, −1) and others; a positive base for all of them
            // (a^½, a^−1, a^1.5 need it; the integer ones would not, but one domain per operand keeps the table simple).
            specs.Add(new OpSpec(Op.Pow, true, true, true, MainShapes.SelectMany(s => new[] { 0.0, 1, 2, 3, 0.5, -1, 1.5, -2 }
                .Select(p => new Form(s, new[] { s }, new[] { Domain.Positive }, a => new Expr(Op.Pow, s, new[] { a[0] }, p), 1))).ToArray()));
            U(Op.Tanh, Domain.Any);
            U(Op.Sigmoid, Domain.Any);
            U(Op.Softplus, Domain.Any);
            U(Op.Recip, Domain.Positive);
            U(Op.Abs, Domain.Any);
            U(Op.Sign, Domain.Any);
            U(Op.Floor, Domain.Any);
            U(Op.Round, Domain.Any);
            U(Op.Sin, Domain.Any);
            U(Op.Cos, Domain.Any);
            U(Op.Log1p, Domain.Positive);   // log(1 + a) needs a > −1; the positive domain is inside it
            U(Op.Expm1, Domain.Any);
            U(Op.LogSigmoid, Domain.Any);
            U(Op.Erf, Domain.Any);
            U(Op.Relu, Domain.Any);
            U(Op.Lgamma, Domain.Positive);  // Γ's poles are 0 and the negative integers
            // ψ⁽ⁿ⁾ with the orders a model reaches (Digamma is 0; its derivatives 1 and 2; Lgamma's 0 and 1), on the positive reals.
            specs.Add(new OpSpec(Op.Polygamma, true, true, true, MainShapes.SelectMany(s => new[] { 0.0, 1, 2 }
                .Select(p => new Form(s, new[] { s }, new[] { Domain.Positive }, a => new Expr(Op.Polygamma, s, new[] { a[0] }, p), 1))).ToArray()));

            // Elementwise binary (the divisor positive).
            B(Op.Add, Domain.Any);
            B(Op.Sub, Domain.Any);
            B(Op.Mul, Domain.Any);
            B(Op.Div, Domain.Positive);

            var any1 = new[] { Domain.Any };
            var any2 = new[] { Domain.Any, Domain.Any };
            var any4 = new[] { Domain.Any, Domain.Any, Domain.Any, Domain.Any };

            // The select l > r ? a : b: differentiable in its branches, piecewise constant in l and r (an x-dependent comparison is
            // refused without [Subgradient]), so the gradient and Laplacian profiles keep l and r free of x. Drawn in every main shape,
            // with the comparison or a branch broadcast from a Scalar (and Max(a, b) = WhereGt(a, b, a, b)'s sharing).
            specs.Add(new OpSpec(Op.WhereGt, true, true, true, MainShapes.SelectMany(s => new[]
            {
                new Form(s, new[] { s, s, s, s }, any4, a => E(Op.WhereGt, s, a[0], a[1], a[2], a[3]), 4) { XFreeForGradient = new[] { 0, 1 } },
                new Form(s, new[] { s, S, s, S }, any4, a => E(Op.WhereGt, s, a[0], a[1], a[2], a[3]), 2) { XFreeForGradient = new[] { 0, 1 } },
                new Form(s, new[] { S, S, s, s }, any4, a => E(Op.WhereGt, s, a[0], a[1], a[2], a[3]), 2) { XFreeForGradient = new[] { 0, 1 } },
                new Form(s, new[] { s, s }, any2, a => E(Op.WhereGt, s, a[0], a[1], a[0], a[1]), 2) { XFreeForGradient = new[] { 0, 1 } },
            }).ToArray()));
            // Reductions.
            specs.Add(new OpSpec(Op.SumLast, true, true, true, new[]
            {
                new Form(S, new[] { VD }, any1, a => E(Op.SumLast, S, a[0]), 60),
                new Form(S, new[] { VK }, any1, a => E(Op.SumLast, S, a[0]), 16),
                new Form(VK, new[] { MKD }, any1, a => E(Op.SumLast, VK, a[0]), 16),
            }));
            specs.Add(new OpSpec(Op.SumRows, true, true, true, new[] { new Form(VD, new[] { MKD }, any1, a => E(Op.SumRows, VD, a[0]), 16) }));
            specs.Add(new OpSpec(Op.LogSumExp, true, true, true, new[]
            {
                new Form(S, new[] { VD }, any1, a => E(Op.LogSumExp, S, a[0]), 30),
                new Form(S, new[] { VK }, any1, a => E(Op.LogSumExp, S, a[0]), 8),
                new Form(VK, new[] { MKD }, any1, a => E(Op.LogSumExp, VK, a[0]), 12),
            }));

            // Linear algebra. The forward-Laplacian rules have no Jacobian for an x-dependent matrix (MatVec's matrix, MatMul,
            // Transpose, Diagonal: LaplacianUnsupportedException), and the gradient has none through Diagonal.
            specs.Add(new OpSpec(Op.MatVec, true, true, true, new[]
            {
                new Form(VK, new[] { MKD, VD }, any2, a => E(Op.MatVec, VK, a[0], a[1]), 30) { XFreeForLaplacian = new[] { 0 } },
            }));
            specs.Add(new OpSpec(Op.Transpose, true, true, false, new[]
            {
                new Form(VD, new[] { MKD, VK }, any2, a => E(Op.MatVec, VD, E(Op.Transpose, new[] { "D", "K" }, a[0]), a[1]), 12),   // Wᵀc
                new Form(VD, new[] { MKD }, any1, a => E(Op.SumLast, VD, E(Op.Transpose, new[] { "D", "K" }, a[0])), 6),
            }));
            specs.Add(new OpSpec(Op.MatMul, true, true, false, new[]
            {
                new Form(VK, new[] { MKD, MKD }, any2, a => E(Op.SumLast, VK, E(Op.MatMul, new[] { "K", "K" }, a[0], E(Op.Transpose, new[] { "D", "K" }, a[1]))), 24),
            }));
            specs.Add(new OpSpec(Op.Diagonal, true, false, false, new[]
            {
                new Form(VK, new[] { MKD, MKD }, any2, a => E(Op.Diagonal, VK, E(Op.MatMul, new[] { "K", "K" }, a[0], E(Op.Transpose, new[] { "D", "K" }, a[1]))), 24),
            }));

            // Dense linear algebra of a square matrix. Its domain is a well-conditioned, non-symmetric Mat[D,D] built from a Vec[D] operand
            // v (x itself, often): A(v) = I + Q ⊙ tanh(v), Aᵢⱼ = δᵢⱼ + Qᵢⱼ tanh(vⱼ), with Q the fixed non-symmetric parameter of entries in
            // [−0.15, 0.15] (FixedMatrix), so ‖A − I‖₂ ≤ ‖A − I‖_F < 0.15·D = 0.6 and A's singular values lie in (0.4, 1.6); a missing
            // transpose in an adjoint shows. The gradient covers an x-dependent A (Ā = ḡA⁻ᵀ, −Bᵀ B̄ Bᵀ, −b̄xᵀ); the Laplacian covers Solve
            // with an x-free A (the linear map A⁻¹) and refuses the rest (LaplacianUnsupportedException).
            static Expr Conditioned(Expr v) =>
                E(Op.Add, new[] { "D", "D" }, new Expr(Op.Selector, new[] { "D", "D" }, Array.Empty<Expr>(), name: "0"),
                    E(Op.Mul, new[] { "D", "D" }, E(Op.Tanh, VD, v), new Expr(Op.Param, new[] { "D", "D" }, Array.Empty<Expr>(), name: FixedMatrix)));
            specs.Add(new OpSpec(Op.LogDet, true, true, false, new[]
            {
                new Form(S, new[] { VD }, any1, a => E(Op.LogDet, S, Conditioned(a[0])), 12),
            }));
            specs.Add(new OpSpec(Op.Inverse, true, true, false, new[]
            {
                new Form(VD, new[] { VD, VD }, any2, a => E(Op.MatVec, VD, E(Op.Inverse, new[] { "D", "D" }, Conditioned(a[0])), a[1]), 48),
            }));
            specs.Add(new OpSpec(Op.Solve, true, true, true, new[]
            {
                new Form(VD, new[] { VD, VD }, any2, a => E(Op.Solve, VD, Conditioned(a[0]), a[1]), 12) { XFreeForLaplacian = new[] { 0 } },
            }));

            // Shape.
            specs.Add(new OpSpec(Op.Unsqueeze, true, true, false, new[]
            {
                new Form(MKD, new[] { VK, MKD }, any2, a => E(Op.Mul, MKD, E(Op.Unsqueeze, new[] { "K", "1" }, a[0]), a[1]), 16),     // cₖ·Wₖⱼ
                // (W v)ₖ·Wₖⱼ: a per-row factor read from a Vec[D] operand, which x reaches far more often than a Vec[K] one, so the
                // x-dependent Unsqueeze is drawn in every profile (a Vec[K] operand alone was x-free in all 3000 coverage draws).
                new Form(MKD, new[] { VD, MKD }, any2, a => E(Op.Mul, MKD, E(Op.Unsqueeze, new[] { "K", "1" }, E(Op.MatVec, VK, a[1], a[0])), a[1]), 16),
            }));
            specs.Add(new OpSpec(Op.Broadcast, true, true, true, new[]
            {
                new Form(VD, new[] { S }, any1, a => E(Op.Broadcast, VD, a[0]), 4),
                new Form(VK, new[] { S }, any1, a => E(Op.Broadcast, VK, a[0]), 4),
                new Form(MKD, new[] { VD }, any1, a => E(Op.Broadcast, MKD, a[0]), 16),
                new Form(MKD, new[] { S }, any1, a => E(Op.Broadcast, MKD, a[0]), 4),
            }));

            // Lattices (x is a 2×2 lattice). The Laplacian rules do not cover them.
            specs.Add(new OpSpec(Op.Neighbors, true, true, false, new[] { new Form(VD, new[] { VD }, any1, a => E(Op.Neighbors, VD, a[0]), 12) }));
            specs.Add(new OpSpec(Op.Roll, true, true, false, new[] { (-1, 0), (0, 1), (1, -1), (0, 0) }
                .Select(rc => new Form(VD, new[] { VD }, any1, a => new Expr(Op.Roll, VD, new[] { a[0] }, rows: rc.Item1, columns: rc.Item2), 4)).ToArray()));

            return specs.ToDictionary(s => s.Op);
        }

        /// <summary>True when, under <paramref name="profile"/>, the operands of <paramref name="spec"/> may depend on x.</summary>
        public static bool AllowsX(OpSpec spec, Profile profile) => profile switch
        {
            Profile.Value => true,
            Profile.Gradient => spec.Differentiable && spec.Gradient,
            _ => spec.Differentiable && spec.Gradient && spec.Laplacian,
        };
    }
}
