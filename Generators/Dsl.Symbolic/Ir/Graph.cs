using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.Symbolic.Ops;

namespace Dsl.Symbolic.Ir
{
    /// <summary>
    /// Builds and interns nodes. Every constructor normalises as it builds (constant folding, identities,
    /// log∘exp, canonical operand order), so structurally equal results are the same node: hash-consing is
    /// the common-subexpression elimination of this compiler. Shapes are inferred here; a violation throws
    /// <see cref="ShapeException"/> naming both shapes.
    /// </summary>
    public sealed class Graph
    {
        /// <summary>Default cap on nodes: a pathological model is refused rather than hanging the build.</summary>
        public const int DefaultMaxNodes = 20000;

        private readonly Dictionary<Key, Node> interned = new Dictionary<Key, Node>();
        private readonly List<Node> nodes = new List<Node>();

        /// <summary>Creates a graph that refuses to grow past <paramref name="maxNodes"/> nodes.</summary>
        public Graph(int maxNodes = DefaultMaxNodes) { MaxNodes = maxNodes; }

        /// <summary>The node cap.</summary>
        public int MaxNodes { get; }

        /// <summary>
        /// True when the calculus may differentiate the kinked functions (Abs, Relu, and WhereGt through an x-dependent comparison) by their op-table subgradient (a model marked
        /// [Subgradient]); false (the default): a derivative through them is refused (NonDifferentiableException, DSL0008).
        /// </summary>
        public bool Subgradients { get; set; }

        /// <summary>Number of distinct nodes built so far.</summary>
        public int Count => nodes.Count;

        // ---------------------------------------------------------------- leaves

        /// <summary>The input x: a batched Vec of dimension <paramref name="dim"/>.</summary>
        public Node Input(string dim) => Intern(Op.Input, Shape.Of(true, dim), null, 0, Array.Empty<Node>());

        /// <summary>A second named variable (the hidden units h of a bipartite energy): a batched Vec of dimension <paramref name="dim"/>.</summary>
        public Node Input(string dim, string name) => Intern(Op.Input, Shape.Of(true, dim), name, 0, Array.Empty<Node>());

        /// <summary>The periodic nearest-neighbour sum of <paramref name="a"/> (a Vec of L² sites) on the L×L lattice, L = <paramref name="side"/> (a host scalar).</summary>
        public Node Neighbors(Node a, Node side)
        {
            if (a.Shape.Rank != 1) throw new ShapeException("LatticeNeighbours needs a Vec of the L×L sites, got " + a.Shape);
            if (side.Shape.Rank != 0 || side.Shape.Batched || side.DependsOnInput)
                throw new ShapeException("LatticeNeighbours needs the lattice side L as a number, got " + side.Shape);
            if (a.IsConstValue(0)) return a;
            // Linear in its argument: a per-sample scalar factor moves outside, so N(c·x) and N(x) become one shared sum.
            if (a.Op == Op.Mul && a.A.Shape.Rank == 0 && !a.A.DependsOnInput) return Mul(a.A, Neighbors(a.B, side));
            if (a.Op == Op.Mul && a.B.Shape.Rank == 0 && !a.B.DependsOnInput) return Mul(Neighbors(a.A, side), a.B);
            if (a.Op == Op.Neg) return Neg(Neighbors(a.A, side));
            return Intern(Op.Neighbors, a.Shape, null, 0, new[] { a, side });
        }

        /// <summary>
        /// The periodic shift of <paramref name="a"/> (a Vec of L² sites) by (<paramref name="rows"/>, <paramref name="columns"/>) on the
        /// L×L lattice, L = <paramref name="side"/> (a host scalar), as torch.roll does on the L×L view.
        /// </summary>
        public Node Roll(Node a, Node side, int rows, int columns)
        {
            if (a.Shape.Rank != 1) throw new ShapeException("Roll needs a Vec of the L×L sites, got " + a.Shape);
            if (side.Shape.Rank != 0 || side.Shape.Batched || side.DependsOnInput)
                throw new ShapeException("Roll needs the lattice side L as a number, got " + side.Shape);
            if (rows == 0 && columns == 0) return a;
            if (a.IsConstValue(0)) return a;
            if (a.Op == Op.Mul && a.A.Shape.Rank == 0 && !a.A.DependsOnInput) return Mul(a.A, Roll(a.B, side, rows, columns));
            if (a.Op == Op.Mul && a.B.Shape.Rank == 0 && !a.B.DependsOnInput) return Mul(Roll(a.A, side, rows, columns), a.B);
            if (a.Op == Op.Neg) return Neg(Roll(a.A, side, rows, columns));
            if (a.Op == Op.Roll && a.B == side) return Roll(a.A, side, rows + (int)a.Args[2].Value, columns + (int)a.Args[3].Value);
            return Intern(Op.Roll, a.Shape, null, 0, new[] { a, side, Const(rows), Const(columns) });
        }

        /// <summary>A per-sample conditioning Scalar (a noise level σ): batched, but constant for derivatives in x.</summary>
        public Node Condition(string name) => Intern(Op.Condition, Shape.Of(true), name, 0, Array.Empty<Node>());

        /// <summary>
        /// A per-sample conditioning Vec of length <paramref name="dim"/> (an observation y, or a label's one-hot): batched, but
        /// constant for derivatives in x, like the Scalar condition.
        /// </summary>
        public Node Condition(string name, string dim) => Intern(Op.Condition, Shape.Of(true, dim), name, 0, Array.Empty<Node>());

        /// <summary>A parameter of the given (unbatched) shape.</summary>
        public Node Param(string name, params string[] dims) => Intern(Op.Param, Shape.Of(false, dims), name, 0, Array.Empty<Node>());

        /// <summary>A scalar hyperparameter read from a model field at run time.</summary>
        public Node Hyper(string name) => Intern(Op.Hyper, Shape.Scalar, name, 0, Array.Empty<Node>());

        /// <summary>A literal.</summary>
        public Node Const(double value)
        {
            if (value == 0) value = 0; // one zero: −0.0 and 0.0 intern together
            return Intern(Op.Const, Shape.Scalar, null, value, Array.Empty<Node>());
        }

        /// <summary>The run-time size of dimension <paramref name="symbol"/> (a size name or size expression) as a scalar; a literal size is a literal.</summary>
        public Node DimSize(string symbol)
        {
            if (symbol == Shape.One) return Const(1);
            if (SizeExpr.TryCanonical(symbol, out var canonical) && SizeExpr.Constant(canonical) is long n) return Const(n);
            return Intern(Op.DimSize, Shape.Scalar, symbol, 0, Array.Empty<Node>());
        }

        // ---------------------------------------------------------------- elementwise binary

        /// <summary>a + b</summary>
        public Node Add(Node a, Node b)
        {
            var shape = BroadcastShape(a, b, "+");
            StripBroadcasts(ref a, ref b, shape);
            if (a.IsConst && b.IsConst) return Const(OpTable.Get(Op.Add).Fold(a.Value, b.Value));
            if (a.IsConstValue(0)) return Fit(b, shape);
            if (b.IsConstValue(0)) return Fit(a, shape);
            if (b.Op == Op.Neg) return Sub(a, b.A);
            if (a.Op == Op.Neg) return Sub(b, a.A);
            if (a == b) return Mul(Const(2), a);
            Order(ref a, ref b);
            return Intern(Op.Add, shape, null, 0, new[] { a, b });
        }

        /// <summary>a − b</summary>
        public Node Sub(Node a, Node b)
        {
            var shape = BroadcastShape(a, b, "-");
            StripBroadcasts(ref a, ref b, shape);
            if (a.IsConst && b.IsConst) return Const(OpTable.Get(Op.Sub).Fold(a.Value, b.Value));
            if (b.IsConstValue(0)) return Fit(a, shape);
            if (a.IsConstValue(0)) return Fit(Neg(b), shape);
            if (a == b) return Fit(Const(0), shape);
            if (b.Op == Op.Neg) return Add(a, b.A);
            return Intern(Op.Sub, shape, null, 0, new[] { a, b });
        }

        /// <summary>a ⊙ b (elementwise, broadcasting)</summary>
        public Node Mul(Node a, Node b)
        {
            var shape = BroadcastShape(a, b, "*");
            StripBroadcasts(ref a, ref b, shape);
            if (a.IsConst && b.IsConst) return Const(OpTable.Get(Op.Mul).Fold(a.Value, b.Value));
            if (b.IsConst) { var t = a; a = b; b = t; }
            if (a.IsConstValue(0) || b.IsConstValue(0)) return Fit(Const(0), shape);
            if (a.IsConstValue(1)) return Fit(b, shape);
            if (b.IsConstValue(1)) return Fit(a, shape);
            if (a.IsConstValue(-1)) return Fit(Neg(b), shape);
            if (a.Op == Op.Neg) return Neg(Mul(a.A, b));
            if (b.Op == Op.Neg) return Neg(Mul(a, b.A));
            if (a.IsConst && b.Op == Op.Mul && b.A.IsConst) return Mul(Const(a.Value * b.A.Value), b.B);
            if (!a.IsConst && b.Op == Op.Mul && b.A.IsConst) return Mul(b.A, Mul(a, b.B));
            if (a.Op == Op.Mul && a.A.IsConst) return Mul(a.A, Mul(a.B, b));
            if (b.Op == Op.Recip) return Div(a, b.A);
            if (a.Op == Op.Recip) return Div(b, a.A);
            if (a == b) return Square(a);
            Order(ref a, ref b);
            return Intern(Op.Mul, shape, null, 0, new[] { a, b });
        }

        /// <summary>a / b</summary>
        public Node Div(Node a, Node b)
        {
            var shape = BroadcastShape(a, b, "/");
            StripBroadcasts(ref a, ref b, shape);
            if (a.IsConst && b.IsConst && b.Value != 0) return Const(OpTable.Get(Op.Div).Fold(a.Value, b.Value));
            if (b.IsConstValue(1)) return Fit(a, shape);
            if (a.IsConstValue(0)) return Fit(Const(0), shape);
            if (b.IsConst && b.Value != 0) return Mul(Const(1 / b.Value), a);
            if (a.IsConstValue(1)) return Fit(Recip(b), shape);
            if (a.Op == Op.Neg) return Neg(Div(a.A, b));
            if (a.Op == Op.Mul && a.A.IsConst) return Mul(a.A, Div(a.B, b));
            return Intern(Op.Div, shape, null, 0, new[] { a, b });
        }

        // ---------------------------------------------------------------- elementwise select

        /// <summary>
        /// l &gt; r ? a : b elementwise, broadcasting all four (Op.WhereGt). A tie and a NaN in l or r take b. Folds a literal
        /// comparison, equal branches and l = r (never greater: b).
        /// </summary>
        public Node WhereGt(Node l, Node r, Node a, Node b)
        {
            var cond = BroadcastShape(l, r, ">");
            var values = BroadcastShape(a, b, "Where");
            var shape = Shape.TryBroadcast(cond, values)
                ?? throw new ShapeException("the comparison's shape " + cond + " and the branches' shape " + values + " do not broadcast in Where");
            if (l.IsConst && r.IsConst) return Fit(l.Value > r.Value ? a : b, shape);
            if (a == b || l == r) return Fit(l == r ? b : a, shape);
            var args = new[] { l, r, a, b };
            for (int i = 0; i < args.Length; i++)
                if (args[i].Op == Op.Broadcast && args.Select((o, j) => j == i ? o.A.Shape : o.Shape).Aggregate((Shape?)args[i].A.Shape, (s, t) => s == null ? null : Shape.TryBroadcast(s, t)) is Shape same && same.Equals(shape))
                    args[i] = args[i].A;                                                       // implicit broadcasting gives the same shape
            return Intern(Op.WhereGt, shape, null, 0, args);
        }

        // ---------------------------------------------------------------- elementwise unary

        /// <summary>−a</summary>
        public Node Neg(Node a)
        {
            switch (a.Op)
            {
                case Op.Const: return Const(OpTable.Get(Op.Neg).Fold(a.Value));
                case Op.Neg: return a.A;
                case Op.Sub: return Sub(a.B, a.A);
                case Op.Mul when a.A.IsConst: return Mul(Const(-a.A.Value), a.B);
                case Op.Broadcast: return Broadcast(Neg(a.A), a.Shape);
            }
            return Intern(Op.Neg, a.Shape, null, 0, new[] { a });
        }

        /// <summary>An elementwise function by operation (Pow takes its exponent in <paramref name="p"/>, Polygamma its order).</summary>
        public Node Unary(Op op, Node a, double p = 0)
        {
            switch (op)
            {
                case Op.Neg: return Neg(a);
                case Op.Exp: return Exp(a);
                case Op.Log: return Log(a);
                case Op.Sqrt: return Sqrt(a);
                case Op.Square: return Square(a);
                case Op.Pow: return Pow(a, p);
                case Op.Recip: return Recip(a);
                default:
                    // The functions without bespoke simplifications: folded and shaped by the op table.
                    var info = OpTable.Get(op);
                    if (!info.IsElementwiseUnary) throw new ArgumentException("not an elementwise unary operation: " + op);
                    if (a.IsConst) return Const(info.Fold(a.Value, p));
                    return Intern(op, a.Shape, null, info.HasParameter ? p : 0, new[] { a });
            }
        }

        /// <summary>exp a</summary>
        public Node Exp(Node a)
        {
            if (a.IsConst) return Const(OpTable.Get(Op.Exp).Fold(a.Value));
            return Intern(Op.Exp, a.Shape, null, 0, new[] { a });
        }

        /// <summary>log a; log(exp a) = a.</summary>
        public Node Log(Node a)
        {
            if (a.IsConst && a.Value > 0) return Const(OpTable.Get(Op.Log).Fold(a.Value));
            if (a.Op == Op.Exp) return a.A;
            return Intern(Op.Log, a.Shape, null, 0, new[] { a });
        }

        /// <summary>√a</summary>
        public Node Sqrt(Node a)
        {
            if (a.IsConst && a.Value >= 0) return Const(OpTable.Get(Op.Sqrt).Fold(a.Value));
            return Intern(Op.Sqrt, a.Shape, null, 0, new[] { a });
        }

        /// <summary>a²</summary>
        public Node Square(Node a)
        {
            if (a.IsConst) return Const(OpTable.Get(Op.Square).Fold(a.Value));
            if (a.Op == Op.Neg) return Square(a.A);
            if (a.Op == Op.Mul && a.A.IsConst) return Mul(Const(a.A.Value * a.A.Value), Square(a.B)); // (c·u)² = c²·u²
            if (a.Op == Op.Broadcast) return Broadcast(Square(a.A), a.Shape);
            return Intern(Op.Square, a.Shape, null, 0, new[] { a });
        }

        /// <summary>a^p for constant p.</summary>
        public Node Pow(Node a, double p)
        {
            if (p == 1) return a;
            if (p == 0) return Fit(Const(1), a.Shape);
            if (p == 2) return Square(a);
            if (p == 0.5) return Sqrt(a);
            if (p == -1) return Recip(a);
            if (a.IsConst) return Const(OpTable.Get(Op.Pow).Fold(a.Value, p));
            return Intern(Op.Pow, a.Shape, null, p, new[] { a });
        }

        /// <summary>1/a</summary>
        public Node Recip(Node a)
        {
            if (a.IsConst && a.Value != 0) return Const(OpTable.Get(Op.Recip).Fold(a.Value));
            if (a.Op == Op.Recip) return a.A;
            if (a.Op == Op.Neg) return Neg(Recip(a.A));
            return Intern(Op.Recip, a.Shape, null, 0, new[] { a });
        }

        // ---------------------------------------------------------------- reductions

        /// <summary>Σ over the last axis.</summary>
        public Node SumLast(Node a)
        {
            if (a.Shape.Rank == 0) throw new ShapeException("Sum needs a Vec or Mat, got Scalar");
            var shape = a.Shape.DropLast();
            switch (a.Op)
            {
                case Op.Neg: return Neg(SumLast(a.A));
                case Op.Broadcast:
                    {
                        var inner = a.A;
                        if (inner.Shape.Rank == 0) return Fit(Mul(inner, DimSize(a.Shape.Last)), shape);
                        if (inner.Op == Op.Unsqueeze && inner.Shape.Rank == a.Shape.Rank)
                            return Fit(Mul(inner.A, DimSize(a.Shape.Last)), shape);
                        if (inner.Shape.Last == a.Shape.Last) return Fit(SumLast(inner), shape);
                        break;
                    }
                case Op.Mul:
                    {
                        // Factors constant along the summed axis move out: Σⱼ c·vⱼ = c·Σⱼ vⱼ.
                        if (AlongLastConstant(a.A, a.Shape, out var outer) && a.B.Shape.SameDims(a.Shape))
                            return Mul(outer, SumLast(a.B));
                        if (AlongLastConstant(a.B, a.Shape, out outer) && a.A.Shape.SameDims(a.Shape))
                            return Mul(outer, SumLast(a.A));
                        break;
                    }
            }
            return Intern(Op.SumLast, shape, null, 0, new[] { a });
        }

        /// <summary>Σ over the rows of a Mat: Mat[K,D] → Vec[D].</summary>
        public Node SumRows(Node a)
        {
            var shape = a.Shape.DropRows();
            switch (a.Op)
            {
                case Op.Neg: return Neg(SumRows(a.A));
                case Op.Broadcast when a.A.Shape.Rank <= 1:
                    return Fit(Mul(a.A, DimSize(a.Shape.Dims[0])), shape);
                case Op.Mul:
                    {
                        // Σₖ cₖ Wₖ = Wᵀc for a parameter matrix: one GEMM over the batch. (A batched matrix
                        // stays an elementwise product and row sum: N tiny matmuls would be slower.)
                        if (a.A.Op == Op.Unsqueeze && a.B.Shape.SameDims(a.Shape) && !a.B.Shape.Batched) return MatVec(Transpose(a.B), a.A.A);
                        if (a.B.Op == Op.Unsqueeze && a.A.Shape.SameDims(a.Shape) && !a.A.Shape.Batched) return MatVec(Transpose(a.A), a.B.A);
                        if (a.A.Shape.Rank == 0 && a.B.Shape.SameDims(a.Shape)) return Mul(a.A, SumRows(a.B));
                        if (a.B.Shape.Rank == 0 && a.A.Shape.SameDims(a.Shape)) return Mul(a.B, SumRows(a.A));
                        break;
                    }
            }
            return Intern(Op.SumRows, shape, null, 0, new[] { a });
        }

        /// <summary>log Σ exp over the last axis.</summary>
        public Node LogSumExp(Node a)
        {
            if (a.Shape.Rank == 0) throw new ShapeException("LogSumExp needs a Vec or Mat, got Scalar");
            return Intern(Op.LogSumExp, a.Shape.DropLast(), null, 0, new[] { a });
        }

        // ---------------------------------------------------------------- linear algebra and shape

        /// <summary>W v: Mat[K,L] × Vec[L] → Vec[K].</summary>
        public Node MatVec(Node w, Node v)
        {
            if (w.Shape.Rank != 2 || v.Shape.Rank > 1)
                throw new ShapeException("a matrix–vector product needs Mat * Vec, got " + w.Shape + " * " + v.Shape);
            if (v.Shape.Rank == 1 && v.Shape.Last != w.Shape.Dims[1])
                throw new ShapeException("Mat * Vec needs the Vec's length to equal the Mat's columns: " + w.Shape + " * " + v.Shape);
            var shape = Shape.Of(w.Shape.Batched || v.Shape.Batched, w.Shape.Dims[0]);
            if (v.Shape.Rank == 0 || (v.Op == Op.Broadcast && v.A.Shape.Rank == 0))
            {
                var c = v.Shape.Rank == 0 ? v : v.A;
                return Fit(Mul(c, SumLast(w)), shape);
            }
            if (v.IsConstValue(0) || w.IsConstValue(0)) return Fit(Const(0), shape);
            return Intern(Op.MatVec, shape, null, 0, new[] { w, v });
        }

        /// <summary>A B: Mat[K,L] × Mat[L,D] → Mat[K,D].</summary>
        public Node MatMul(Node a, Node b)
        {
            if (a.Shape.Rank != 2 || b.Shape.Rank != 2 || a.Shape.Dims[1] != b.Shape.Dims[0])
                throw new ShapeException("a matrix product needs Mat[K,L] × Mat[L,D], got " + a.Shape + " × " + b.Shape);
            return Intern(Op.MatMul, Shape.Of(a.Shape.Batched || b.Shape.Batched, a.Shape.Dims[0], b.Shape.Dims[1]), null, 0, new[] { a, b });
        }

        /// <summary>Aᵀ</summary>
        public Node Transpose(Node a)
        {
            if (a.Shape.Rank != 2) throw new ShapeException("Transpose needs a Mat, got " + a.Shape);
            if (a.Op == Op.Transpose) return a.A;
            if (a.Op == Op.Selector) return Selector(a.Shape.Dims[1], a.Shape.Dims[0], SizeExpr.Scale(a.Name!, -1));   // Sᵀ[j, r] = δ(j − o, r)
            return Intern(Op.Transpose, Shape.Of(a.Shape.Batched, a.Shape.Dims[1], a.Shape.Dims[0]), null, 0, new[] { a });
        }

        /// <summary>The diagonal of a square Mat.</summary>
        public Node Diagonal(Node a)
        {
            if (a.Shape.Rank != 2 || a.Shape.Dims[0] != a.Shape.Dims[1]) throw new ShapeException("Diagonal needs a square Mat, got " + a.Shape);
            if (a.Op == Op.Transpose) return Diagonal(a.A);
            return Intern(Op.Diagonal, Shape.Of(a.Shape.Batched, a.Shape.Dims[0]), null, 0, new[] { a });
        }

        /// <summary>True for the identity selector Eye(n) (offset 0, square).</summary>
        private static bool IsIdentity(Node a) => a.Op == Op.Selector && a.Name == "0" && a.Shape.Dims[0] == a.Shape.Dims[1];

        private static void RequireSquare(Node a, string function)
        {
            if (a.Shape.Rank != 2)
                throw new ShapeException(function + " needs a square Mat[D,D], got " + a.Shape);
            if (a.Shape.Dims[0] != a.Shape.Dims[1])
                throw new ShapeException(function + " needs a square Mat (the same dimension on both axes), got " + a.Shape);
        }

        /// <summary>
        /// log |det A| of a square Mat (slogdet's logabsdet, so a change of variables can use it whatever det A's sign).
        /// log|det I| = 0, log|det Aᵀ| = log|det A|, log|det A⁻¹| = −log|det A|.
        /// </summary>
        public Node LogDet(Node a)
        {
            RequireSquare(a, "LogDet");
            if (IsIdentity(a)) return Const(0);
            if (a.Op == Op.Transpose) return LogDet(a.A);
            if (a.Op == Op.Inverse) return Neg(LogDet(a.A));
            return Intern(Op.LogDet, Shape.Of(a.Shape.Batched), null, 0, new[] { a });
        }

        /// <summary>A⁻¹ of a square Mat. I⁻¹ = I, (A⁻¹)⁻¹ = A.</summary>
        public Node Inverse(Node a)
        {
            RequireSquare(a, "Inverse");
            if (IsIdentity(a)) return a;
            if (a.Op == Op.Inverse) return a.A;
            return Intern(Op.Inverse, a.Shape, null, 0, new[] { a });
        }

        /// <summary>A⁻¹ b for a square Mat[D,D] A and a Vec[D] b (a Scalar b is broadcast to Vec[D]). Solve(I, b) = b, Solve(A, 0) = 0, Solve(A⁻¹, b) = A b.</summary>
        public Node Solve(Node a, Node b)
        {
            RequireSquare(a, "Solve");
            var n = a.Shape.Dims[0];
            if (b.Shape.Rank == 0) b = Broadcast(b, Shape.Of(b.Shape.Batched, n));
            if (b.Shape.Rank != 1 || b.Shape.Last != n)
                throw new ShapeException("Solve(A, b) needs b to be a Vec of A's size " + n + ", got " + a.Shape + " and " + b.Shape);
            var shape = Shape.Of(a.Shape.Batched || b.Shape.Batched, n);
            if (b.IsConstValue(0)) return Fit(Const(0), shape);
            if (IsIdentity(a)) return Fit(b, shape);
            if (a.Op == Op.Inverse) return MatVec(a.A, b);
            return Intern(Op.Solve, shape, null, 0, new[] { a, b });
        }

        /// <summary>Adds a trailing singleton axis (a Vec[K] as the column Mat[K,1]).</summary>
        public Node Unsqueeze(Node a)
        {
            if (a.Shape.Rank >= 2) throw new ShapeException("cannot add an axis to a Mat");
            return Intern(Op.Unsqueeze, a.Shape.AppendOne(), null, 0, new[] { a });
        }

        /// <summary>Expands <paramref name="a"/> to <paramref name="shape"/> (numpy broadcasting).</summary>
        public Node Broadcast(Node a, Shape shape)
        {
            if (a.Shape.Equals(shape)) return a;
            if (a.Op == Op.Broadcast) return Broadcast(a.A, shape);
            if (!a.Shape.BroadcastsTo(shape) || (a.Shape.Batched && !shape.Batched))
                throw new ShapeException("cannot broadcast " + a.Shape + " to " + shape);
            return Intern(Op.Broadcast, shape, null, 0, new[] { a });
        }

        /// <summary><paramref name="a"/> if it already has <paramref name="shape"/> (dims and batching), else broadcast.</summary>
        public Node Fit(Node a, Shape shape) => a.Shape.Equals(shape) ? a : Broadcast(a, shape.Batched || !a.Shape.Batched ? shape : shape.WithBatched(true));

        // ---------------------------------------------------------------- structured state (compositions with the selector)

        /// <summary>
        /// The constant selector S: Mat[rows, cols], S[r, j] = 1 when j = r + offset (sizes and offset: size expressions, such as
        /// "D", "2*D", "-3").
        /// </summary>
        public Node Selector(string rows, string cols, string offset) =>
            Intern(Op.Selector, Shape.Of(false, SizeExpr.Canonical(rows), SizeExpr.Canonical(cols)), SizeExpr.Canonical(offset), 0, Array.Empty<Node>());

        /// <summary>The identity Mat[n, n].</summary>
        public Node Eye(string n) => Selector(n, n, "0");

        /// <summary>
        /// a[start .. start + length] of a Vec a: S a with the selector of offset start (a size expression). Throws
        /// <see cref="ShapeException"/> naming both sizes when the slice provably leaves a (a negative start or length, or an end past
        /// a's length for every size).
        /// </summary>
        public Node Slice(Node a, string start, string length)
        {
            if (a.Shape.Rank != 1) throw new ShapeException("a slice needs a Vec, got " + a.Shape);
            start = SizeExpr.Canonical(start);
            length = SizeExpr.Canonical(length);
            var n = a.Shape.Last;
            var end = SizeExpr.Add(start, length);
            if (!SizeExpr.ProvablyAtMost("0", start) && SizeExpr.Constant(start) is long s && s < 0)
                throw new ShapeException("the slice starts at " + start + ", before the start of " + a.Shape);
            if (SizeExpr.Constant(length) is long l && l <= 0)
                throw new ShapeException("the slice [" + start + ".." + end + "] of " + a.Shape + " is empty or reversed");
            if (SizeExpr.Constant(SizeExpr.Sub(end, n)) is long past && past > 0)
                throw new ShapeException("the slice [" + start + ".." + end + "] ends " + past + " past the end of " + a.Shape);
            if (start == "0" && length == n) return a;
            if (a.Op == Op.Broadcast && a.A.Shape.Rank == 0) return Broadcast(a.A, Shape.Of(a.Shape.Batched, length));
            return MatVec(Selector(length, n, start), a);
        }

        /// <summary>aᵢ of a Vec a (i: a size expression): the one-element slice, summed.</summary>
        public Node Index(Node a, string i)
        {
            if (a.Shape.Rank != 1) throw new ShapeException("indexing needs a Vec, got " + a.Shape);
            if (SizeExpr.Constant(SizeExpr.Sub(SizeExpr.Canonical(i), a.Shape.Last)) is long past && past >= 0)
                throw new ShapeException("the index " + SizeExpr.Canonical(i) + " is past the end of " + a.Shape);
            return SumLast(Slice(a, i, "1"));
        }

        /// <summary>A Vec v placed at <paramref name="start"/> in a zero Vec of length <paramref name="total"/>: Sᵀ v.</summary>
        public Node Pad(Node v, string start, string total)
        {
            if (v.Shape.Rank != 1) throw new ShapeException("padding needs a Vec, got " + v.Shape);
            if (v.IsConstValue(0)) return Fit(Const(0), Shape.Of(v.Shape.Batched, SizeExpr.Canonical(total)));
            return MatVec(Selector(total, v.Shape.Last, SizeExpr.Scale(start, -1)), v);
        }

        /// <summary>
        /// The concatenation of Vecs and Scalars into one Vec (its length: the sum of theirs): Σₖ Sₖᵀ partₖ, a Scalar part as
        /// part·eₖ with eₖ the unit Vec at its position.
        /// </summary>
        public Node Concat(IReadOnlyList<Node> parts)
        {
            if (parts.Count == 0) throw new ShapeException("Concat needs at least one part");
            string total = "0";
            foreach (var p in parts)
            {
                if (p.Shape.Rank > 1) throw new ShapeException("Concat joins Vecs and Scalars, got " + p.Shape);
                total = SizeExpr.Add(total, p.Shape.Rank == 0 ? "1" : p.Shape.Last);
            }
            Node? sum = null;
            string offset = "0";
            foreach (var p in parts)
            {
                var placed = p.Shape.Rank == 0
                    ? Mul(p, SumLast(Selector(total, "1", SizeExpr.Scale(offset, -1))))
                    : Pad(p, offset, total);
                sum = sum == null ? placed : Add(sum, placed);
                offset = SizeExpr.Add(offset, p.Shape.Rank == 0 ? "1" : p.Shape.Last);
            }
            return sum!;
        }

        /// <summary>
        /// The block matrix [[A, B], [C, D]]: A and B share their rows, A and C their columns, D has C's rows and B's columns;
        /// L A R + L B R' + …, with selectors L (rows) and R (columns).
        /// </summary>
        public Node Block(Node a, Node b, Node c, Node d)
        {
            foreach (var m in new[] { a, b, c, d })
                if (m.Shape.Rank != 2) throw new ShapeException("Block needs four Mats, got " + a.Shape + ", " + b.Shape + ", " + c.Shape + ", " + d.Shape);
            string p = a.Shape.Dims[0], q = a.Shape.Dims[1], s = c.Shape.Dims[0], r = b.Shape.Dims[1];
            if (b.Shape.Dims[0] != p) throw new ShapeException("Block's top blocks need the same rows, got " + a.Shape + " and " + b.Shape);
            if (c.Shape.Dims[1] != q) throw new ShapeException("Block's left blocks need the same columns, got " + a.Shape + " and " + c.Shape);
            if (d.Shape.Dims[0] != s || d.Shape.Dims[1] != r) throw new ShapeException("Block's bottom-right block needs " + c.Shape.Dims[0] + " rows and " + b.Shape.Dims[1] + " columns (Mat[" + s + "," + r + "]), got " + d.Shape);
            string rows = SizeExpr.Add(p, s), cols = SizeExpr.Add(q, r);
            Node Place(Node m, string rowOffset, string colOffset) =>
                MatMul(MatMul(Selector(rows, m.Shape.Dims[0], SizeExpr.Scale(rowOffset, -1)), m), Selector(m.Shape.Dims[1], cols, colOffset));
            return Add(Add(Place(a, "0", "0"), Place(b, "0", q)), Add(Place(c, p, "0"), Place(d, p, q)));
        }

        // ---------------------------------------------------------------- helpers

        /// <summary>Folds an elementwise function of a literal with the op table's definition (exposed for the evaluator).</summary>
        public static double Fold(Op op, double v, double p = 0)
        {
            var info = OpTable.Get(op);
            if (!info.IsElementwiseUnary) throw new ArgumentException("not an elementwise unary operation: " + op);
            return info.Fold(v, p);
        }

        private static Shape BroadcastShape(Node a, Node b, string op)
        {
            var shape = Shape.TryBroadcast(a.Shape, b.Shape);
            if (shape == null) throw new ShapeException("shapes " + a.Shape + " and " + b.Shape + " do not broadcast in '" + op + "'");
            return shape;
        }

        /// <summary>Drops an explicit Broadcast when implicit broadcasting against the other operand gives the same shape.</summary>
        private static void StripBroadcasts(ref Node a, ref Node b, Shape shape)
        {
            if (a.Op == Op.Broadcast && Equals(Shape.TryBroadcast(a.A.Shape, b.Shape), shape)) a = a.A;
            if (b.Op == Op.Broadcast && Equals(Shape.TryBroadcast(a.Shape, b.A.Shape), shape)) b = b.A;
        }

        /// <summary>True when <paramref name="factor"/> does not vary along the last axis of <paramref name="whole"/>; gives it without that axis.</summary>
        private bool AlongLastConstant(Node factor, Shape whole, out Node outer)
        {
            outer = factor;
            if (factor.Shape.Rank == 0) return true;
            if (factor.Op == Op.Unsqueeze && factor.Shape.Rank == whole.Rank)
            {
                outer = factor.A;
                return true;
            }
            return false;
        }

        /// <summary>Canonical operand order for commutative operations: literals first, then creation order.</summary>
        private static void Order(ref Node a, ref Node b)
        {
            bool swap = b.IsConst && !a.IsConst || (a.IsConst == b.IsConst && a.Id > b.Id);
            if (swap) { var t = a; a = b; b = t; }
        }

        private Node Intern(Op op, Shape shape, string? name, double value, Node[] args)
        {
            var key = new Key(op, shape, name, value, args);
            if (interned.TryGetValue(key, out var existing)) return existing;
            if (nodes.Count >= MaxNodes)
                throw new GraphTooLargeException("the expression needs more than " + MaxNodes + " distinct nodes");
            var node = new Node(nodes.Count, op, shape, name, value, args);
            nodes.Add(node);
            interned.Add(key, node);
            return node;
        }

        private readonly struct Key : IEquatable<Key>
        {
            private readonly Op op;
            private readonly Shape shape;
            private readonly string? name;
            private readonly double value;
            private readonly Node[] args;

            public Key(Op op, Shape shape, string? name, double value, Node[] args)
            {
                this.op = op; this.shape = shape; this.name = name; this.value = value; this.args = args;
            }

            public bool Equals(Key other)
            {
                if (op != other.op || !shape.Equals(other.shape) || name != other.name || !value.Equals(other.value) || args.Length != other.args.Length)
                    return false;
                for (int i = 0; i < args.Length; i++)
                    if (!ReferenceEquals(args[i], other.args[i])) return false;
                return true;
            }

            public override bool Equals(object? obj) => obj is Key k && Equals(k);

            public override int GetHashCode()
            {
                int h = ((int)op * 397) ^ shape.GetHashCode() ^ value.GetHashCode();
                if (name != null) h = h * 31 + StringComparer.Ordinal.GetHashCode(name);
                foreach (var a in args) h = h * 31 + a.Id;
                return h;
            }
        }
    }

    /// <summary>The graph grew past its cap (a pathological expression).</summary>
    public sealed class GraphTooLargeException : Exception
    {
        /// <summary>Creates the exception.</summary>
        public GraphTooLargeException(string message) : base(message) { }
    }
}
