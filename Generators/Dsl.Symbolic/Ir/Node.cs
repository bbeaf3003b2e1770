using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Dsl.Symbolic.Ir
{
    /// <summary>The operations of the expression DAG.</summary>
    public enum Op
    {
        // Leaves
        /// <summary>The model input x (batched Vec[D]).</summary>
        Input,
        /// <summary>A per-sample conditioning input such as a noise level σ (batched Scalar, constant in x).</summary>
        Condition,
        /// <summary>A trainable parameter (unbatched).</summary>
        Param,
        /// <summary>A runtime constant read from a model field (a hyperparameter).</summary>
        Hyper,
        /// <summary>A numeric literal.</summary>
        Const,
        /// <summary>The run-time size of a dimension symbol, as a scalar.</summary>
        DimSize,

        // Elementwise unary
        /// <summary>−a</summary>
        Neg,
        /// <summary>exp a</summary>
        Exp,
        /// <summary>log a</summary>
        Log,
        /// <summary>√a</summary>
        Sqrt,
        /// <summary>a²</summary>
        Square,
        /// <summary>a^p for a constant p (stored in Value)</summary>
        Pow,
        /// <summary>tanh a</summary>
        Tanh,
        /// <summary>σ(a) = 1/(1+e^−a)</summary>
        Sigmoid,
        /// <summary>log(1+e^a)</summary>
        Softplus,
        /// <summary>1/a</summary>
        Recip,
        /// <summary>|a| (not differentiable at 0)</summary>
        Abs,
        /// <summary>sign a (derivative zero almost everywhere, undefined at 0)</summary>
        Sign,
        /// <summary>⌊a⌋</summary>
        Floor,
        /// <summary>round(a)</summary>
        Round,
        /// <summary>sin a</summary>
        Sin,
        /// <summary>cos a</summary>
        Cos,
        /// <summary>log(1 + a), accurate for tiny a</summary>
        Log1p,
        /// <summary>eᵃ − 1, accurate for tiny a</summary>
        Expm1,
        /// <summary>log σ(a) = −softplus(−a)</summary>
        LogSigmoid,
        /// <summary>erf a</summary>
        Erf,
        /// <summary>log |Γ(a)|</summary>
        Lgamma,
        /// <summary>ψ⁽ⁿ⁾(a), the n-th derivative of digamma ψ = (log Γ)′; the order n is the node's Value (Digamma is n = 0)</summary>
        Polygamma,
        /// <summary>max(a, 0); not differentiable at 0 (subgradient 0 there, with [Subgradient])</summary>
        Relu,

        // Elementwise binary (broadcasting)
        /// <summary>a + b</summary>
        Add,
        /// <summary>a − b</summary>
        Sub,
        /// <summary>a ⊙ b</summary>
        Mul,
        /// <summary>a / b</summary>
        Div,

        // Elementwise selection (broadcasting over all four operands)
        /// <summary>
        /// l &gt; r ? a : b elementwise: Args l, r, a, b. The one select of the IR: Max(a, b) is WhereGt(a, b, a, b), Min(a, b) is
        /// WhereGt(b, a, a, b), and Where(u &lt; v, a, b), Where(u &gt;= v, a, b), Where(u &lt;= v, a, b) swap operands. A tie (l = r) and a
        /// NaN in l or r take b. Piecewise constant in l and r: not differentiable where l = r depends on x ([Subgradient] takes the
        /// branch the comparison selects).
        /// </summary>
        WhereGt,

        // Reductions
        /// <summary>Σ over the last axis (Vec→Scalar, Mat→Vec).</summary>
        SumLast,
        /// <summary>Σ over the rows of a Mat (axis −2): Mat[K,D]→Vec[D].</summary>
        SumRows,
        /// <summary>log Σ exp over the last axis.</summary>
        LogSumExp,

        // Linear algebra
        /// <summary>W v: Mat[K,L] × Vec[L] → Vec[K].</summary>
        MatVec,
        /// <summary>A B: Mat[K,L] × Mat[L,D] → Mat[K,D].</summary>
        MatMul,
        /// <summary>Aᵀ.</summary>
        Transpose,
        /// <summary>The diagonal of a square Mat.</summary>
        Diagonal,
        /// <summary>log |det A| of a square Mat[D,D] (slogdet's logabsdet): a Scalar. d log|det A| = tr(A⁻¹ dA).</summary>
        LogDet,
        /// <summary>A⁻¹ of a square Mat[D,D]. dA⁻¹ = −A⁻¹ dA A⁻¹.</summary>
        Inverse,
        /// <summary>A⁻¹ b: Mat[D,D] × Vec[D] → Vec[D], by a linear solve (the inverse is never formed at run time).</summary>
        Solve,

        // Shape
        /// <summary>Adds a trailing singleton axis.</summary>
        Unsqueeze,
        /// <summary>Expands to a larger shape (stored in the node's shape).</summary>
        Broadcast,

        // Lattices
        /// <summary>
        /// The periodic nearest-neighbour sum of a Vec holding an L×L lattice row-major (B: the host side L):
        /// yᵢ = Σ_{j ~ i} xⱼ. Linear and self-adjoint.
        /// </summary>
        Neighbors,
        /// <summary>
        /// The periodic shift of a Vec holding an L×L lattice row-major: yᵣ,꜀ = x₍ᵣ₋Δr₎ mod L, ₍꜀₋Δc₎ mod L (torch.roll of the
        /// L×L view). Args: a, the host side L, and the constant shifts Δr, Δc. Linear; its adjoint is the opposite shift.
        /// </summary>
        Roll,

        // Structured state (slices, concatenation, constant matrices) as compositions with this one constant
        /// <summary>
        /// The constant 0/1 selector matrix S: Mat[rows, cols] with S[r, j] = 1 when j = r + offset, else 0 (offset: a size expression
        /// in <see cref="Node.Name"/>). Eye(n) is the selector with offset 0; the slice x[a..b] is S x with offset a, rows b − a; the
        /// zero padding of a block into a longer Vec is Sᵀ v (offset −a). Unbatched, constant in x.
        /// </summary>
        Selector,
    }

    /// <summary>
    /// One node of the hash-consed expression DAG. Nodes are created only by <see cref="Graph"/>, which
    /// interns them: two structurally equal expressions are the same object, so common subexpressions are
    /// shared by construction and reference equality is structural equality.
    /// </summary>
    public sealed class Node
    {
        internal Node(int id, Op op, Shape shape, string? name, double value, Node[] args)
        {
            Id = id;
            Op = op;
            Shape = shape;
            Name = name;
            Value = value;
            Args = args;
            DependsOnInput = op == Op.Input || (op != Op.Condition && System.Array.Exists(args, a => a.DependsOnInput));
        }

        /// <summary>Creation order inside its graph: deterministic for a deterministic construction.</summary>
        public int Id { get; }

        /// <summary>The operation.</summary>
        public Op Op { get; }

        /// <summary>The static shape of one sample's value.</summary>
        public Shape Shape { get; }

        /// <summary>Parameter, hyperparameter or dimension name; null otherwise.</summary>
        public string? Name { get; }

        /// <summary>Literal value (Const) or exponent (Pow); 0 otherwise.</summary>
        public double Value { get; }

        /// <summary>Operands.</summary>
        public IReadOnlyList<Node> Args { get; }

        /// <summary>First operand.</summary>
        public Node A => Args[0];

        /// <summary>Second operand.</summary>
        public Node B => Args[1];

        /// <summary>True for a literal.</summary>
        public bool IsConst => Op == Op.Const;

        /// <summary>True when the node is the literal <paramref name="v"/>, possibly broadcast.</summary>
        public bool IsConstValue(double v) =>
            (Op == Op.Const && Value == v) || (Op == Op.Broadcast && A.IsConstValue(v));

        /// <summary>
        /// True when the node depends on x. Not the same as <see cref="Shape"/>.Batched: a conditioning input
        /// (σ) is batched, one value per sample, yet constant for the calculus in x.
        /// </summary>
        public bool DependsOnInput { get; }

        /// <summary>A deterministic, fully parenthesised rendering (for tests and generated comments).</summary>
        public override string ToString()
        {
            var sb = new StringBuilder();
            Print(sb);
            return sb.ToString();
        }

        private void Print(StringBuilder sb)
        {
            switch (Op)
            {
                case Op.Input: sb.Append(Name ?? "x"); return;
                case Op.Condition:
                case Op.Param:
                case Op.Hyper: sb.Append(Name); return;
                case Op.DimSize: sb.Append('|').Append(Name).Append('|'); return;
                case Op.Selector: sb.Append("Selector(").Append(Shape.Dims[0]).Append(", ").Append(Shape.Dims[1]).Append(", ").Append(Name).Append(')'); return;
                case Op.Const: sb.Append(FormatNumber(Value)); return;
                case Op.Add: Infix(sb, " + "); return;
                case Op.Sub: Infix(sb, " - "); return;
                case Op.Mul: Infix(sb, " * "); return;
                case Op.Div: Infix(sb, " / "); return;
                case Op.Neg: sb.Append("-("); A.Print(sb); sb.Append(')'); return;
                case Op.Pow:
                    sb.Append("Pow("); A.Print(sb); sb.Append(", ").Append(FormatNumber(Value)).Append(')'); return;
                case Op.Polygamma:
                    sb.Append("Polygamma(").Append(FormatNumber(Value)).Append(", "); A.Print(sb); sb.Append(')'); return;
                case Op.Broadcast:
                    sb.Append("Broadcast("); A.Print(sb); sb.Append(", ").Append(Shape).Append(')'); return;
                default:
                    sb.Append(Op).Append('(');
                    for (int i = 0; i < Args.Count; i++)
                    {
                        if (i > 0) sb.Append(", ");
                        Args[i].Print(sb);
                    }
                    sb.Append(')');
                    return;
            }
        }

        private void Infix(StringBuilder sb, string op)
        {
            sb.Append('(');
            A.Print(sb);
            sb.Append(op);
            B.Print(sb);
            sb.Append(')');
        }

        /// <summary>Round-trippable invariant-culture rendering of a double.</summary>
        public static string FormatNumber(double v)
        {
            if (v == System.Math.Floor(v) && System.Math.Abs(v) < 1e15) return v.ToString("0.0", CultureInfo.InvariantCulture);
            return v.ToString("R", CultureInfo.InvariantCulture);
        }
    }
}
