using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.Generators.Diagnostics;
using Dsl.Generators.Model;
using Dsl.Symbolic.Calculus;
using Dsl.Symbolic.Ir;

namespace Dsl.Generators.Lowering
{
    /// <summary>The structure the flow lowering recognised in the transform.</summary>
    public enum FlowForm
    {
        /// <summary>f(z) = z + u·g(z): log|det| by the matrix determinant lemma (the planar flow).</summary>
        RankOne,

        /// <summary>
        /// f(z) = Concat(z_A, z_B ⊙ a(z_A) + b(z_A)) or with the blocks swapped (Dinh et al. 2017): a triangular Jacobian, log|det| = Σ log|a(z_A)|,
        /// and the inverse z_B = (y_B − b(y_A)) / a(y_A).
        /// </summary>
        AffineCoupling,

        /// <summary>
        /// f(z) = A z + b with A a square Mat and b a Vec, both free of z (a general linear change of variables): log|det| = log|det A|, the same for
        /// every sample, and the inverse z = A⁻¹(y − b) by a linear solve.
        /// </summary>
        Linear,
    }

    /// <summary>
    /// A flow layer lowered to the IR: f(z) and its derived log-determinant; for a rank-one update also u, g and ∇g, for an affine coupling
    /// also the blocks, the scale a(z_A), the shift b(z_A) and the inverse.
    /// </summary>
    public sealed class LoweredFlow
    {
        internal LoweredFlow(FlowSpec spec, Graph graph, Node z, Node transform, Node u, Node g, Node gradG, Node logDet, IReadOnlyList<string> sizes)
        {
            Spec = spec; Graph = graph; Z = z; Transform = transform; U = u; G = g; GradG = gradG; LogDet = logDet; Sizes = sizes; Form = FlowForm.RankOne;
        }

        internal LoweredFlow(FlowSpec spec, Graph graph, Node z, Node transform, CouplingParts coupling, Node logDet, Node inverse, IReadOnlyList<string> sizes)
        {
            Spec = spec; Graph = graph; Z = z; Transform = transform; Coupling = coupling; LogDet = logDet; Inverse = inverse; Sizes = sizes; Form = FlowForm.AffineCoupling;
        }

        internal LoweredFlow(FlowSpec spec, Graph graph, Node z, Node transform, LinearParts linear, Node logDet, Node inverse, IReadOnlyList<string> sizes)
        {
            Spec = spec; Graph = graph; Z = z; Transform = transform; Linear = linear; LogDet = logDet; Inverse = inverse; Sizes = sizes; Form = FlowForm.Linear;
        }

        /// <summary>The parsed flow layer.</summary>
        public FlowSpec Spec { get; }
        /// <summary>The graph holding every node.</summary>
        public Graph Graph { get; }
        /// <summary>Which structure was recognised.</summary>
        public FlowForm Form { get; }
        /// <summary>z.</summary>
        public Node Z { get; }
        /// <summary>f(z) as written.</summary>
        public Node Transform { get; }
        /// <summary>u, the direction of the rank-one update (free of z); null for a coupling.</summary>
        public Node? U { get; }
        /// <summary>g(z), the scalar gain of the update; null for a coupling.</summary>
        public Node? G { get; }
        /// <summary>∇g(z) by reverse-mode differentiation; null for a coupling.</summary>
        public Node? GradG { get; }
        /// <summary>The blocks, scale and shift of an affine coupling; null for a rank-one update.</summary>
        public CouplingParts? Coupling { get; }
        /// <summary>The matrix A and shift b of a linear layer f(z) = A z + b; null for the other forms.</summary>
        public LinearParts? Linear { get; }
        /// <summary>
        /// log|det ∂f/∂z|: log|1 + uᵀ∇g(z)| (matrix determinant lemma), Σ log|a(z_A)| (triangular Jacobian) or LogDet(A) (a linear layer: an
        /// unbatched Scalar, the same for every sample).
        /// </summary>
        public Node LogDet { get; }
        /// <summary>
        /// f⁻¹ of the input (read as y) for a coupling or a linear layer (Solve(A, y − b)); null for a rank-one update, which has no closed-form
        /// inverse.
        /// </summary>
        public Node? Inverse { get; }
        /// <summary>Dimension symbols in constructor order (z's first).</summary>
        public IReadOnlyList<string> Sizes { get; }
    }

    /// <summary>
    /// The pieces of an affine coupling y = Concat(…): the identity block z_A, the transformed block z_B (both slices of z), the scale
    /// a(z_A) and the shift b(z_A) (null when there is none) with y_B = z_B ⊙ a(z_A) + b(z_A), and whether z_A comes first.
    /// </summary>
    public sealed class CouplingParts
    {
        internal CouplingParts(Node identity, Node active, Node scale, Node? shift, bool identityFirst, string identityStart, string activeStart)
        {
            Identity = identity; Active = active; Scale = scale; Shift = shift; IdentityFirst = identityFirst; IdentityStart = identityStart; ActiveStart = activeStart;
        }

        /// <summary>z_A, the block copied unchanged.</summary>
        public Node Identity { get; }
        /// <summary>z_B, the block transformed.</summary>
        public Node Active { get; }
        /// <summary>a(z_A), the elementwise scale of z_B.</summary>
        public Node Scale { get; }
        /// <summary>b(z_A), the shift; null when y_B has none.</summary>
        public Node? Shift { get; }
        /// <summary>True when y = Concat(z_A, y_B), false when y = Concat(y_B, z_A).</summary>
        public bool IdentityFirst { get; }
        /// <summary>Where z_A starts in z (a size expression).</summary>
        public string IdentityStart { get; }
        /// <summary>Where z_B starts in z (a size expression).</summary>
        public string ActiveStart { get; }
    }

    /// <summary>The pieces of a linear layer f(z) = A z + b: the square matrix A and the shift b (null when there is none), both free of z.</summary>
    public sealed class LinearParts
    {
        internal LinearParts(Node matrix, Node? shift)
        {
            Matrix = matrix; Shift = shift;
        }

        /// <summary>A, an unbatched square Mat[D,D] (the sum of every matrix that multiplies z, Eye(D) for z itself).</summary>
        public Node Matrix { get; }
        /// <summary>b, an unbatched Vec[D]; null when f has no shift.</summary>
        public Node? Shift { get; }
    }

    /// <summary>
    /// FlowSpec → IR. Recognises f(z) = z + u·g(z) (u free of z, g a scalar) by factoring the residual f(z) − z through
    /// products, quotients and negations, then applies the matrix determinant lemma det(I + u∇gᵀ) = 1 + ∇gᵀu.
    /// </summary>
    public static class FlowLowering
    {
        /// <summary>The diagnostic for a graph that grew too large or whose shapes do not fit, at the transform; null for any other exception.</summary>
        private static DiagnosticInfo? GraphProblem(FlowSpec spec, Exception e) => e switch
        {
            GraphTooLargeException => DiagnosticInfo.Create(DiagnosticDescriptors.TooLarge, spec.Transform.Location, spec.ClassName, e.Message),
            ShapeException => DiagnosticInfo.Create(DiagnosticDescriptors.ShapeMismatch, spec.Transform.Location, spec.ClassName, e.Message),
            _ => null,
        };

        /// <summary>Lowers a flow layer; returns null when an error diagnostic was reported.</summary>
        public static LoweredFlow? Lower(FlowSpec spec, List<DiagnosticInfo> diagnostics)
        {
            var g = new Graph();
            string d = SizeExpr.Canonical(spec.DimSymbol);   // "D", or a size expression such as "2*K" (the parser checked it)
            var z = g.Input(d, spec.InputName);
            var parameters = spec.Params.ToDictionary(p => p.Name, p => g.Param(p.Name, p.Dims.ToArray()));
            // Sizes in constructor order: the names in z's dimension first, then those in the [Param] shapes.
            var sizes = new List<string>();
            foreach (var dim in new[] { d }.Concat(spec.Params.SelectMany(p => p.Dims)))
                foreach (var symbol in SizeExpr.Symbols(SizeExpr.Canonical(dim)))
                    if (!sizes.Contains(symbol)) sizes.Add(symbol);
            var lowerer = new ExprLowerer(g, z, null, parameters, new Dictionary<Node, LocationInfo?>(), spec.ClassName) { SizeNames = new HashSet<string>(sizes) };
            Node f;
            try
            {
                f = lowerer.Lower(spec.Transform);
            }
            catch (LoweringException e)
            {
                diagnostics.Add(e.Diagnostic);
                return null;
            }
            catch (Exception e) when (GraphProblem(spec, e) is DiagnosticInfo problem)
            {
                diagnostics.Add(problem);
                return null;
            }
            if (f.Shape.Rank == 1 && f.Shape.Last != d && NonSquareMap(f) is Node map)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotSquareMatrix, spec.Transform.Result.Location, spec.ClassName,
                    "the linear change of variables A z + b needs a square A, but '" + map + "' is " + map.Shape + " (" + map.Shape.Dims[0] + " rows, " + map.Shape.Dims[1]
                    + " columns), so f maps Vec[" + d + "] to Vec[" + f.Shape.Last + "] and has no inverse",
                    "a matrix with z's dimension on both axes, e.g. [Param(\"" + d + "," + d + "\")] Mat W"));
                return null;
            }
            if (f.Shape.Rank != 1 || f.Shape.Last != d)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.FlowNotRankOne, spec.Transform.Result.Location, spec.ClassName,
                    "returns " + f.Shape + " instead of a Vec of z's dimension " + d));
                return null;
            }
            f = g.Fit(f, z.Shape);
            if (Blocks(f, d) is var blocks && blocks != null)
                return LowerCoupling(spec, g, z, f, blocks.Value, sizes, diagnostics);
            if (LinearTerms(g, f, z) is var linear && linear != null && linear.Value.ReadsMatrix)
                return LowerLinear(spec, g, z, f, linear.Value.Matrix!, linear.Value.Shift, sizes, diagnostics);

            var residual = Residual(g, f, z);
            if (residual == null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.FlowNotRankOne, spec.Transform.Result.Location, spec.ClassName,
                    "is not z plus a term (write it as '" + spec.InputName + " + u * g(" + spec.InputName + ")')"));
                return null;
            }
            string? why = null;
            var factors = Factor(g, residual, ref why);
            if (factors == null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.FlowNotRankOne, spec.Transform.Result.Location, spec.ClassName,
                    "adds '" + residual + "' to z, which " + (why ?? "does not factor as u·g(z)")));
                return null;
            }
            var (u, gain) = factors.Value;
            Node grad, logDet;
            try
            {
                grad = Gradient.Of(g, gain, z);
                // Matrix determinant lemma: det(I + u ∇gᵀ) = 1 + ∇gᵀu.
                logDet = g.Log(g.Unary(Op.Abs, g.Add(g.Const(1), g.SumLast(g.Mul(g.Fit(u, z.Shape), grad)))));
            }
            catch (NonDifferentiableException e)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NonDifferentiable, spec.Transform.Location, e.Operation, spec.ClassName));
                return null;
            }
            catch (Exception e) when (GraphProblem(spec, e) is DiagnosticInfo problem)
            {
                diagnostics.Add(problem);
                return null;
            }
            return new LoweredFlow(spec, g, z, f, u, gain, grad, logDet, sizes);
        }

        // ---------------------------------------------------------------- linear change of variables f(z) = A z + b

        /// <summary>A z-free Mat of the form Mat[E, D] that multiplies z (D ≠ E), which makes f a Vec of another size; null when there is none.</summary>
        private static Node? NonSquareMap(Node f)
        {
            var seen = new HashSet<Node>();
            var stack = new Stack<Node>();
            stack.Push(f);
            while (stack.Count > 0)
            {
                var n = stack.Pop();
                if (!seen.Add(n) || !n.DependsOnInput) continue;
                if (n.Op == Op.MatVec && !n.A.DependsOnInput && n.B.DependsOnInput && n.A.Shape.Rank == 2 && n.A.Shape.Dims[0] != n.A.Shape.Dims[1]
                    && n.A.Op != Op.Selector && !(n.A.Op == Op.Transpose && n.A.A.Op == Op.Selector))
                    return n.A;
                foreach (var a in n.Args) stack.Push(a);
            }
            return null;
        }

        /// <summary>
        /// n = A z + b through sums, differences, negations, products by z-free Scalars and MatVec(M, ·) by z-free square Mats: A (null: zero), b
        /// (null: zero) and whether some term multiplies z by a matrix (z + b alone is a translation, left to the rank-one diagnostics); null when
        /// n is not of that form.
        /// </summary>
        private static (Node? Matrix, Node? Shift, bool ReadsMatrix)? LinearTerms(Graph g, Node n, Node z)
        {
            if (!n.DependsOnInput) return n.Shape.Batched ? null : ((Node?, Node?, bool)?)(null, n, false);
            if (n == z) return (g.Eye(z.Shape.Last), null, false);
            switch (n.Op)
            {
                case Op.Add:
                case Op.Sub:
                    {
                        var a = LinearTerms(g, n.A, z);
                        if (a == null) return null;
                        var b = LinearTerms(g, n.B, z);
                        if (b == null) return null;
                        Node? Combine(Node? x, Node? y) => x == null ? (y == null ? null : n.Op == Op.Add ? y : g.Neg(y)) : y == null ? x : n.Op == Op.Add ? g.Add(x, y) : g.Sub(x, y);
                        return (Combine(a.Value.Matrix, b.Value.Matrix), Combine(a.Value.Shift, b.Value.Shift), a.Value.ReadsMatrix || b.Value.ReadsMatrix);
                    }
                case Op.Neg:
                    {
                        var a = LinearTerms(g, n.A, z);
                        if (a == null) return null;
                        return (a.Value.Matrix == null ? null : g.Neg(a.Value.Matrix), a.Value.Shift == null ? null : g.Neg(a.Value.Shift), a.Value.ReadsMatrix);
                    }
                case Op.Mul:
                case Op.Div:
                    {
                        Node x = n.A, factor = n.B;
                        if (n.Op == Op.Mul && factor.DependsOnInput) { x = n.B; factor = n.A; }
                        if (factor.DependsOnInput || factor.Shape.Batched || factor.Shape.Rank != 0) return null;
                        var a = LinearTerms(g, x, z);
                        if (a == null) return null;
                        Node Scale(Node v) => n.Op == Op.Mul ? g.Mul(v, factor) : g.Div(v, factor);
                        return (a.Value.Matrix == null ? null : Scale(a.Value.Matrix), a.Value.Shift == null ? null : Scale(a.Value.Shift), a.Value.ReadsMatrix);
                    }
                case Op.MatVec:
                    {
                        var m = n.A;
                        if (m.DependsOnInput || m.Shape.Batched || m.Shape.Rank != 2 || m.Shape.Dims[0] != m.Shape.Dims[1] || m.Op == Op.Selector) return null;
                        var a = LinearTerms(g, n.B, z);
                        if (a == null) return null;
                        var inner = a.Value.Matrix;
                        bool identity = inner != null && inner.Op == Op.Selector && inner.Name == "0" && inner.Shape.Dims[0] == inner.Shape.Dims[1];
                        return (inner == null ? null : identity ? m : g.MatMul(m, inner), a.Value.Shift == null ? null : g.MatVec(m, a.Value.Shift), true);
                    }
                default:
                    return null;
            }
        }

        /// <summary>
        /// y = A z + b: ∂y/∂z = A, so log|det ∂y/∂z| = log|det A| (an unbatched Scalar, the same for every sample), and z = A⁻¹(y − b) by a
        /// linear solve, written in the same input variable read as y.
        /// </summary>
        private static LoweredFlow? LowerLinear(FlowSpec spec, Graph g, Node z, Node f, Node matrix, Node? shift, IReadOnlyList<string> sizes, List<DiagnosticInfo> diagnostics)
        {
            Node logDet, inverse;
            try
            {
                logDet = g.LogDet(matrix);
                var centred = shift == null ? z : g.Sub(z, g.Fit(shift, Shape.Of(false, z.Shape.Last)));
                inverse = g.Fit(g.Solve(matrix, centred), z.Shape);
            }
            catch (Exception e) when (GraphProblem(spec, e) is DiagnosticInfo problem)
            {
                diagnostics.Add(problem);
                return null;
            }
            return new LoweredFlow(spec, g, z, f, new LinearParts(matrix, shift == null ? null : g.Fit(shift, Shape.Of(false, z.Shape.Last))), logDet, inverse, sizes);
        }

        // ---------------------------------------------------------------- affine coupling (RealNVP, Dinh et al. 2017)

        /// <summary>
        /// The two blocks of f = Concat(p, q) as the graph builds it, Sᵀ_p p + Sᵀ_q q with the padding selectors (Graph.Concat): each
        /// block with its start in z; null when f is not a concatenation of two Vecs.
        /// </summary>
        private static ((Node Part, string Start) First, (Node Part, string Start) Second)? Blocks(Node f, string d)
        {
            if (f.Op != Op.Add) return null;
            var a = Placed(f.A, d);
            var b = Placed(f.B, d);
            if (a == null || b == null) return null;
            return SizeExpr.Constant(a.Value.Start) == 0 ? (a.Value, b.Value) : (b.Value, a.Value);
        }

        /// <summary>A Vec placed in a zero Vec of length d (Graph.Pad): MatVec(Selector(d, n, −start), v).</summary>
        private static (Node Part, string Start)? Placed(Node n, string d)
        {
            if (n.Op != Op.MatVec || n.A.Op != Op.Selector || n.A.Shape.Dims[0] != d || n.B.Shape.Rank != 1) return null;
            return (n.B, SizeExpr.Scale(n.A.Name!, -1));
        }

        /// <summary>
        /// y = Concat(z_A, z_B ⊙ a(z_A) + b(z_A)) (or the blocks swapped): log|det ∂y/∂z| = Σ log|a(z_A)| (Σ s when a = exp s), the Jacobian
        /// being block triangular with identity and diag(a) on its diagonal; the inverse z_B = (y_B − b(y_A)) / a(y_A) (⊙ exp(−s) when a = exp s),
        /// written in the same input variable, read as y, since a and b read only the block that y copies. DSL0060 otherwise.
        /// </summary>
        private static LoweredFlow? LowerCoupling(FlowSpec spec, Graph g, Node z, Node f, ((Node Part, string Start) First, (Node Part, string Start) Second) blocks,
            IReadOnlyList<string> sizes, List<DiagnosticInfo> diagnostics)
        {
            string d = z.Shape.Last;
            var (first, second) = blocks;
            if (SizeExpr.Constant(first.Start) != 0 || first.Part.Shape.Last != second.Start || SizeExpr.Add(second.Start, second.Part.Shape.Last) != d)
                return CouplingError(spec, diagnostics, "concatenates blocks that do not tile z (starts " + first.Start + " and " + second.Start + ")");
            var firstSlice = g.Slice(z, first.Start, first.Part.Shape.Last);
            var secondSlice = g.Slice(z, second.Start, second.Part.Shape.Last);
            bool identityFirst;
            if (first.Part == firstSlice) identityFirst = true;
            else if (second.Part == secondSlice) identityFirst = false;
            else
                return CouplingError(spec, diagnostics, "copies neither block of z unchanged (one part of the Concat must be the slice " + spec.InputName + "[.." + first.Part.Shape.Last
                    + "] or " + spec.InputName + "[" + second.Start + "..] itself)");
            var identity = identityFirst ? firstSlice : secondSlice;
            var active = identityFirst ? secondSlice : firstSlice;
            var output = identityFirst ? second.Part : first.Part;
            var memo = new Dictionary<Node, bool>();
            bool Free(Node n) => !ReadsOutside(n, identity, z, memo);
            string? why = null;
            var affine = Affine(g, output, active, Free, ref why);
            if (affine == null)
                return CouplingError(spec, diagnostics, "transforms the block " + active + " by '" + output + "', which " + (why ?? "is not z_B ⊙ a(z_A) + b(z_A)"));
            var (scale, shift) = affine.Value;
            if (scale == null)
                return CouplingError(spec, diagnostics, "replaces the block " + active + " by '" + output + "', which does not depend on it, so the layer is not invertible");
            scale = g.Fit(scale, active.Shape);
            Node logDet, inverse;
            try
            {
                // ∂y/∂z is block triangular: I on z_A, diag(a(z_A)) on z_B, so log|det| = Σ log|a(z_A)|; a = exp(s) gives Σ s.
                var logScale = scale.Op == Op.Exp ? g.Fit(scale.A, active.Shape) : g.Log(g.Unary(Op.Abs, scale));
                logDet = g.SumLast(logScale);
                // z_B = (y_B − b(y_A)) / a(y_A): a and b read only the copied block, so they are the same nodes of the input read as y.
                var centred = shift == null ? active : g.Sub(active, g.Fit(shift, active.Shape));
                var inverseBlock = scale.Op == Op.Exp ? g.Mul(centred, g.Exp(g.Neg(scale.A))) : g.Div(centred, scale);
                inverse = g.Concat(identityFirst ? new[] { identity, inverseBlock } : new[] { inverseBlock, identity });
                inverse = g.Fit(inverse, z.Shape);
            }
            catch (Exception e) when (GraphProblem(spec, e) is DiagnosticInfo problem)
            {
                diagnostics.Add(problem);
                return null;
            }
            var parts = new CouplingParts(identity, active, scale, shift, identityFirst, identityFirst ? first.Start : second.Start, identityFirst ? second.Start : first.Start);
            return new LoweredFlow(spec, g, z, f, parts, logDet, inverse, sizes);
        }

        private static LoweredFlow? CouplingError(FlowSpec spec, List<DiagnosticInfo> diagnostics, string reason)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.FlowNotCoupling, spec.Transform.Result.Location, spec.ClassName, reason));
            return null;
        }

        /// <summary>True when <paramref name="n"/> reads z other than through the copied block z_A.</summary>
        private static bool ReadsOutside(Node n, Node identity, Node z, Dictionary<Node, bool> memo)
        {
            if (n == identity || !n.DependsOnInput) return false;
            if (n == z) return true;
            if (memo.TryGetValue(n, out var known)) return known;
            bool reads = false;
            foreach (var a in n.Args)
                if (ReadsOutside(a, identity, z, memo)) { reads = true; break; }
            memo[n] = reads;
            return reads;
        }

        /// <summary>
        /// n = z_B ⊙ scale + shift with scale and shift free of z_B (null: zero), through sums, differences, negations, products and
        /// quotients by z_B-free factors; null (with a reason) when n is not affine in z_B that way.
        /// </summary>
        private static (Node? Scale, Node? Shift)? Affine(Graph g, Node n, Node active, System.Func<Node, bool> free, ref string? why)
        {
            if (n == active) return (g.Const(1), null);
            if (free(n)) return (null, n);
            switch (n.Op)
            {
                case Op.Add:
                case Op.Sub:
                    {
                        var a = Affine(g, n.A, active, free, ref why);
                        if (a == null) return null;
                        var b = Affine(g, n.B, active, free, ref why);
                        if (b == null) return null;
                        Node? Combine(Node? x, Node? y) => x == null ? (y == null ? null : n.Op == Op.Add ? y : g.Neg(y)) : y == null ? x : n.Op == Op.Add ? g.Add(x, y) : g.Sub(x, y);
                        return (Combine(a.Value.Scale, b.Value.Scale), Combine(a.Value.Shift, b.Value.Shift));
                    }
                case Op.Neg:
                    {
                        var a = Affine(g, n.A, active, free, ref why);
                        if (a == null) return null;
                        return (a.Value.Scale == null ? null : g.Neg(a.Value.Scale), a.Value.Shift == null ? null : g.Neg(a.Value.Shift));
                    }
                case Op.Mul:
                    {
                        Node x = n.A, factor = n.B;
                        if (!free(factor)) { x = n.B; factor = n.A; }
                        if (!free(factor)) { why = "multiplies two factors that both read the transformed block"; return null; }
                        var a = Affine(g, x, active, free, ref why);
                        if (a == null) return null;
                        return (a.Value.Scale == null ? null : g.Mul(a.Value.Scale, factor), a.Value.Shift == null ? null : g.Mul(a.Value.Shift, factor));
                    }
                case Op.Div:
                    {
                        if (!free(n.B)) { why = "divides by an expression that reads the transformed block"; return null; }
                        var a = Affine(g, n.A, active, free, ref why);
                        if (a == null) return null;
                        return (a.Value.Scale == null ? null : g.Div(a.Value.Scale, n.B), a.Value.Shift == null ? null : g.Div(a.Value.Shift, n.B));
                    }
                default:
                    why = "reads the transformed block through " + n.Op + " (a coupling scales and shifts it: z_B * Exp(S(z_A)) + T(z_A))";
                    return null;
            }
        }

        /// <summary>r with f = z + r (or z − r' with r = −r'); null when f is not z plus a term.</summary>
        private static Node? Residual(Graph g, Node f, Node z)
        {
            if (f.Op == Op.Add && f.A == z && f.B != z) return f.B;
            if (f.Op == Op.Add && f.B == z && f.A != z) return f.A;
            if (f.Op == Op.Sub && f.A == z) return g.Neg(f.B);
            return null;
        }

        /// <summary>Factors r = u·g(z) with u a z-free Vec and g a Scalar that depends on z; null (with a reason) otherwise.</summary>
        private static (Node U, Node G)? Factor(Graph g, Node r, ref string? why)
        {
            if (!r.DependsOnInput) { why = "does not depend on z (a translation: write it as a bias, not a flow layer)"; return null; }
            switch (r.Op)
            {
                case Op.Neg:
                    {
                        var inner = Factor(g, r.A, ref why);
                        return inner == null ? null : ((Node, Node)?)(g.Neg(inner.Value.U), inner.Value.G);
                    }
                case Op.Mul:
                    {
                        Node a = r.A, b = r.B;
                        if (a.DependsOnInput && !b.DependsOnInput) { var t = a; a = b; b = t; }
                        if (!a.DependsOnInput)
                        {
                            // a free of z: a Vec u times a scalar gain, or a factor of a deeper product.
                            if (a.Shape.Rank == 1 && b.Shape.Rank == 0) return (a, b);
                            if (a.Shape.Rank > 1) { why = "multiplies by the " + a.Shape + " '" + a + "'"; return null; }
                            var inner = Factor(g, b, ref why);
                            return inner == null ? null : ((Node, Node)?)(g.Mul(a, inner.Value.U), inner.Value.G);
                        }
                        // Both depend on z: one must be a scalar gain, the other a rank-one term.
                        if (a.Shape.Rank == 0 && b.Shape.Rank == 1) { var t = a; a = b; b = t; }
                        if (a.Shape.Rank == 1 && b.Shape.Rank == 0)
                        {
                            var inner = Factor(g, a, ref why);
                            return inner == null ? null : ((Node, Node)?)(inner.Value.U, g.Mul(inner.Value.G, b));
                        }
                        why = "is an elementwise product of two Vecs that depend on z, so ∂f/∂z is not I plus a rank-one matrix";
                        return null;
                    }
                case Op.Div:
                    {
                        var inner = Factor(g, r.A, ref why);
                        if (inner == null) return null;
                        if (!r.B.DependsOnInput) return (g.Div(inner.Value.U, r.B), inner.Value.G);
                        if (r.B.Shape.Rank == 0) return (inner.Value.U, g.Div(inner.Value.G, r.B));
                        why = "divides elementwise by a Vec that depends on z";
                        return null;
                    }
                default:
                    why = r.Shape.Rank == 1
                        ? "depends on z elementwise (" + r.Op + "), so ∂f/∂z is not I plus a rank-one matrix"
                        : "is not a Vec";
                    return null;
            }
        }
    }
}
