using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Dsl.Generators.Model;
using Dsl.Symbolic.Ir;
using Dsl.Symbolic.Ops;

namespace Dsl.Generators.Planning
{
    /// <summary>
    /// What each backend can compute, and the reasons a set of roots does not get one, decided once by the planner (the emitters
    /// only read the decisions). The op lists are the backends' coverage; an operation added to the IR is refused here (torch ops)
    /// until its backend spelling exists.
    /// </summary>
    public static class BackendSupport
    {
        /// <summary>The reason every kernel is refused when the model asks for torch ops.</summary>
        public const string TorchOpsRequested = "the model asks for torch ops (Kernels = KernelPath.TorchOps)";

        /// <summary>True when the fused CPU emitter implements <paramref name="op"/>.</summary>
        public static bool Fused(Op op)
        {
            switch (op)
            {
                case Op.Input: case Op.Condition: case Op.Param: case Op.Hyper: case Op.Const: case Op.DimSize:
                case Op.SumLast: case Op.SumRows: case Op.LogSumExp: case Op.MatVec: case Op.MatMul: case Op.Transpose: case Op.Diagonal:
                case Op.Unsqueeze: case Op.Broadcast: case Op.Neighbors: case Op.Roll:
                    return true;
                default:
                    // An elementwise function is fused when the op table spells it for the scalar loop (and its lanes).
                    return OpTable.IsElementwise(op) && OpTable.Get(op).Spelling(SpellingTarget.FusedScalar) != null;
            }
        }

        /// <summary>
        /// True when the TorchScript emitter implements <paramref name="op"/>: the structural operations it writes itself, and every
        /// elementwise function the op table spells for TorchScript (so a new table entry without that spelling is refused: torch ops).
        /// </summary>
        public static bool TorchScript(Op op)
        {
            switch (op)
            {
                case Op.Input: case Op.Condition: case Op.Param: case Op.Hyper: case Op.Const: case Op.DimSize:
                case Op.Add: case Op.Sub: case Op.Mul: case Op.Div: case Op.WhereGt:
                case Op.SumLast: case Op.SumRows: case Op.LogSumExp: case Op.MatVec: case Op.MatMul: case Op.Transpose: case Op.Diagonal:
                case Op.Unsqueeze: case Op.Broadcast: case Op.Neighbors: case Op.Roll:
                    return true;
                default:
                    return OpTable.Get(op).IsElementwiseUnary && OpTable.Get(op).Spelling(SpellingTarget.TorchScript) != null;
            }
        }

        /// <summary>Null when every operation of <paramref name="roots"/> has a fused form; otherwise why not (generated comment, DSL0018).</summary>
        public static string? WhyNotFused(IReadOnlyList<Node> roots)
        {
            foreach (var n in Topology.Order(roots))
            {
                if (!Fused(n.Op)) return "it uses " + n.Op + ", which the fused CPU emitter does not implement";
                if (HasSizeExpression(n)) return "its shape " + n.Shape + " has a size expression, which the fused CPU emitter does not implement";
            }
            return null;
        }

        /// <summary>Null when every operation of <paramref name="roots"/> has a TorchScript form; otherwise why not (generated comment, DSL0019).</summary>
        public static string? WhyNotScripted(IReadOnlyList<Node> roots)
        {
            foreach (var n in Topology.Order(roots))
            {
                if (!TorchScript(n.Op)) return "it uses " + n.Op + ", which the TorchScript emitter does not implement";
                if (HasSizeExpression(n)) return "its shape " + n.Shape + " has a size expression, which the TorchScript emitter does not implement";
            }
            return null;
        }

        /// <summary>True when a dimension of <paramref name="n"/> (or the size it reads) is a size expression or literal such as "2*D" (the kernels take size names).</summary>
        private static bool HasSizeExpression(Node n) =>
            n.Shape.Dims.Any(d => d != Shape.One && !IsName(d)) || (n.Op == Op.DimSize && !IsName(n.Name!));

        private static bool IsName(string d) => d.Length > 0 && (char.IsLetter(d[0]) || d[0] == '_') && d.All(c => char.IsLetterOrDigit(c) || c == '_');

        /// <summary>The fused decision for <paramref name="roots"/> of a model asking for <paramref name="kernels"/>.</summary>
        public static KernelDecision FusedDecision(KernelChoice kernels, IReadOnlyList<Node> roots) =>
            kernels == KernelChoice.TorchOps ? new KernelDecision(Backend.Fused, TorchOpsRequested, true) : new KernelDecision(Backend.Fused, WhyNotFused(roots), false);

        /// <summary>The TorchScript decision for <paramref name="roots"/> of a model asking for <paramref name="kernels"/>.</summary>
        public static KernelDecision ScriptDecision(KernelChoice kernels, IReadOnlyList<Node> roots) =>
            kernels == KernelChoice.TorchOps ? new KernelDecision(Backend.TorchScript, TorchOpsRequested, true) : new KernelDecision(Backend.TorchScript, WhyNotScripted(roots), false);

        /// <summary>
        /// The factors of the largest per-sample parameter contraction of <paramref name="roots"/> (a matrix times a per-sample vector
        /// or matrix; a lattice stencil counts as unbounded), which KernelPath.Auto bounds; empty when there is none.
        /// </summary>
        public static EquatableArray<ContractionTerm> Contraction(IReadOnlyList<Node> roots)
        {
            var terms = new List<ContractionTerm>();
            foreach (var n in Topology.Order(roots))
            {
                if (!n.Shape.Batched) continue;
                // A lattice stencil counts as unbounded: libtorch's vectorised rolls beat the per-site loop (256² Ising sweep, median
                // of 20 interleaved rounds: 2.2 ms with torch-op local fields against 3.6 ms fused flip energies, docs/perf.md W5),
                // so Auto leaves it to torch ops.
                if (n.Op == Op.Neighbors || n.Op == Op.Roll) terms.Add(new ContractionTerm(EquatableArray<string>.Empty, true));
                else if (n.Op == Op.MatVec) terms.Add(Term(n.A.Shape.Dims));
                else if (n.Op == Op.MatMul) terms.Add(Term(n.A.Shape.Dims.Concat(new[] { n.B.Shape.Dims[1] })));
            }
            return terms.Distinct().ToEquatableArray();
        }

        private static ContractionTerm Term(IEnumerable<string> dims) =>
            new ContractionTerm(dims.Where(d => d != Shape.One).ToEquatableArray(), false);

        /// <summary>
        /// Null when <paramref name="flipEnergy"/> (ΔEᵢ of a model over the lattice) admits the generated checkerboard sweep; otherwise why
        /// not. It must read x only at site i itself and at lattice offsets of odd length |Δr| + |Δc| (the other colour), through
        /// elementwise operations, LatticeNeighbours and Roll on one lattice side, per-site parameters and scalars.
        /// </summary>
        public static string? WhyNotSweep(Node flipEnergy)
        {
            var order = Topology.Order(new[] { flipEnergy });
            var input = order.FirstOrDefault(n => n.Op == Op.Input);
            if (input == null) return "ΔEᵢ does not read the units";
            var lattice = order.Where(n => n.Op == Op.Neighbors || n.Op == Op.Roll).ToList();
            if (lattice.Count == 0) return "ΔEᵢ uses no lattice stencil (LatticeNeighbours or Roll)";
            if (lattice.Select(n => n.B).Distinct().Count() > 1) return "its stencils use more than one lattice side";
            foreach (var n in order)
            {
                if (!Fused(n.Op)) return "it uses " + n.Op + ", which the fused CPU emitter does not implement";
                if (!n.Shape.Batched) continue;
                if (n.Shape.Rank > 1 || (n.Shape.Rank == 1 && !n.Shape.SameDims(input.Shape))) return "ΔEᵢ has a per-sample intermediate of shape " + n.Shape + ", not a per-site value";
                if (n.Shape.Rank == 0 && n.DependsOnInput) return "ΔEᵢ depends on a sum over the sites (" + n.Op + "), not on site i's neighbourhood alone";
                bool local = n.Op == Op.Input || n.Op == Op.Broadcast || n.Op == Op.Neighbors || n.Op == Op.Roll || HostValues.IsElementwise(n.Op);
                if (!local) return "ΔEᵢ uses " + n.Op + " per sample, which is not a per-site operation";
                if (n.Op == Op.Roll && (n.Args[2].Op != Op.Const || n.Args[3].Op != Op.Const)) return "a Roll shift is not a literal";
                foreach (var a in n.Args)
                    if (!a.Shape.Batched && a.Shape.Rank > 1) return "ΔEᵢ reads a matrix (" + a.Op + ") per site";
            }
            var reads = new HashSet<(int, int)>();
            var seen = new HashSet<(Node, int, int)>();
            Offsets(flipEnergy, 0, 0, reads, seen);
            foreach (var (dr, dc) in reads)
                if ((dr != 0 || dc != 0) && ((dr + dc) & 1) == 0)
                    return "ΔEᵢ reads the unit at offset (" + dr.ToString(CultureInfo.InvariantCulture) + ", " + dc.ToString(CultureInfo.InvariantCulture) + "), which has site i's checkerboard colour";
            return null;
        }

        /// <summary>The most stencil reads a multi-spin-coded sweep tabulates (the runtime's MultiSpinSweeps.MaxNeighbours).</summary>
        public const int MultiSpinMaxReads = 8;

        /// <summary>
        /// Why a sweep-eligible <paramref name="flipEnergy"/> has no multi-spin-coded sweep, or null: ΔEᵢ must be a function of unit i
        /// and at most <see cref="MultiSpinMaxReads"/> stencil reads alone, with no per-site parameter or per-sample condition, so that
        /// it has one finite table of values for every site and chain.
        /// </summary>
        public static string? WhyNotMultiSpin(Node flipEnergy)
        {
            foreach (var n in Topology.Order(new[] { flipEnergy }))
            {
                if (!n.Shape.Batched && n.Shape.Rank > 0 && n.Op != Op.Const)
                    return "ΔEᵢ reads a per-site value (" + n.Op + (n.Name != null ? " " + n.Name : "") + "), so its values do not fit one table for every site";
                if (n.Op == Op.Condition) return "ΔEᵢ reads the per-sample condition " + n.Name;
            }
            var reads = new HashSet<(int, int)>();
            Offsets(flipEnergy, 0, 0, reads, new HashSet<(Node, int, int)>());
            reads.Remove((0, 0));
            if (reads.Count > MultiSpinMaxReads)
                return "ΔEᵢ reads " + reads.Count.ToString(CultureInfo.InvariantCulture) + " units besides site i (a table holds at most " + MultiSpinMaxReads.ToString(CultureInfo.InvariantCulture) + ")";
            return null;
        }

        /// <summary>The offsets (Δrow, Δcolumn) from site i at which <paramref name="n"/>, read at offset (dr, dc), reads x.</summary>
        private static void Offsets(Node n, int dr, int dc, HashSet<(int, int)> reads, HashSet<(Node, int, int)> seen)
        {
            if (!n.DependsOnInput || !seen.Add((n, dr, dc))) return;
            switch (n.Op)
            {
                case Op.Input: reads.Add((dr, dc)); return;
                case Op.Neighbors:
                    foreach (var (r, c) in new[] { (1, 0), (-1, 0), (0, 1), (0, -1) }) Offsets(n.A, dr + r, dc + c, reads, seen);
                    return;
                case Op.Roll:
                    Offsets(n.A, dr - (int)n.Args[2].Value, dc - (int)n.Args[3].Value, reads, seen);
                    return;
            }
            foreach (var a in n.Args) Offsets(a, dr, dc, reads, seen);
        }

        /// <summary>The lattice side node of the sweep (the L operand every stencil of <paramref name="flipEnergy"/> shares).</summary>
        public static Node SweepSide(Node flipEnergy) =>
            Topology.Order(new[] { flipEnergy }).First(n => n.Op == Op.Neighbors || n.Op == Op.Roll).B;
    }
}
