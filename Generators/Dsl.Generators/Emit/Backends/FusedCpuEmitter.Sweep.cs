using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Dsl.Symbolic.Ir;
using Dsl.Symbolic.Ops;

namespace Dsl.Generators.Emit
{
    /// <summary>
    /// The one-pass checkerboard sweep of a discrete lattice model: ΔEᵢ (the same IR node as FlipEnergyDifferences) as one scalar
    /// expression per site, read at lattice offsets (Δrow, Δcolumn) from the site being updated, fused with the single-site rule.
    /// A node used more than once at the site itself is kept in a site local; a stencil (LatticeNeighbours, Roll) is an offset on its
    /// operand, so the spins it reads are read in place, one site at a time, with no per-lattice buffer.
    /// </summary>
    public sealed partial class FusedCpuEmitter
    {
        private readonly Dictionary<Node, string> siteLocals = new Dictionary<Node, string>();
        private readonly List<string> siteLines = new List<string>();
        private readonly SortedSet<int> rowShifts = new SortedSet<int>();
        private readonly SortedSet<int> columnShifts = new SortedSet<int>();
        private string side = "";
        /// <summary>For the multi-spin-coded sweep: the slot of each stencil read in the flip-energy function's neighbour span.</summary>
        private Dictionary<(int Dr, int Dc), int>? neighbourSlots;

        /// <summary>
        /// Emits the public method <c>long CheckerboardSweep(units, beta, rule, key, sweep = 0)</c> of <see cref="Planning.BackendSupport.WhyNotSweep"/>-eligible
        /// <paramref name="flipEnergy"/>: per colour, per (chain, block of rows) in parallel, ΔEᵢ and the single-site rule in one pass.
        /// </summary>
        public static void EmitSweep(SourceWriter w, string modelName, Node flipEnergy, bool spins, string equation, IReadOnlyList<(string Name, int Rank)> parameters)
        {
            var locals = new Dictionary<string, string>();
            foreach (var p in parameters) locals[p.Name] = CSharpText.ParamLocal(p.Name);
            new FusedCpuEmitter(new[] { flipEnergy }, locals, "", sharedLevel: false).EmitSweepMethod(w, modelName, flipEnergy, spins, equation, parameters);
        }

        private void EmitSweepMethod(SourceWriter w, string modelName, Node flipEnergy, bool spins, string equation, IReadOnlyList<(string Name, int Rank)> parameters)
        {
            const string Torch = RuntimeNames.Torch.Name;
            var (prologue, perChain) = SweepPrologue(parameters);
            string sites = Size(flipEnergy.Shape.Last);
            string deltaE = SiteElem(flipEnergy, 0, 0);

            w.Line("/// <summary>");
            w.Line("/// One checkerboard sweep of units [B, N] in place: the even colour ((row + column) even), then the odd one; at each site the generated");
            w.Line("/// flip energy ΔEᵢ = E(x with unit i flipped) − E(x) of E(x) = " + CSharpText.Xml(equation) + " and the single-site rule in one pass (Metropolis: flip when");
            w.Line("/// uᵢ &lt; e^{−βΔEᵢ}; heat bath: up when uᵢ &lt; σ(−β·ΔE(down → up))). Sites of one colour read only the other colour, so each colour runs in");
            w.Line("/// parallel over (chain, block of rows). uᵢ = CheckerboardSweeps.Uniform(key, sweep, colour, chain, N, i). Returns the units changed.");
            w.Line("/// </summary>");
            SweepParameterDocs(w, spins);
            w.Line("/// <param name=\"sweep\">The sweep's number under <paramref name=\"key\"/>: successive sweeps with one key draw independent uniforms.</param>");
            w.Open("public long CheckerboardSweep(" + Torch + ".Tensor units, double beta, " + RuntimeNames.Api.SpinUpdate + " rule, ulong key, long sweep = 0)");
            foreach (var line in header) w.Line(line);
            w.Line(RuntimeNames.GeneratedCode.CheckerboardSweeps.Check + "(" + CSharpText.Str(modelName) + ", units, size_" + flipEnergy.Shape.Last + ", " + side + ", beta, spins: " + (spins ? "true" : "false") + ");");
            w.Line(RuntimeNames.GeneratedCode.FusedKernels.Count + "();");
            w.Line("using var noGrad = " + Torch + ".no_grad();");
            Append(w, prologue);
            w.Line("int chains = (int)units.shape[0];");
            w.Line("if (units.dtype == " + Torch + ".ScalarType.Float32) return " + RuntimeNames.GeneratedCode.CheckerboardSweeps.Run + "(chains, " + side + ", Colour<float>);");
            w.Line("return " + RuntimeNames.GeneratedCode.CheckerboardSweeps.Run + "(chains, " + side + ", Colour<double>);");
            w.Line();
            w.Open("long Colour<T>(int colour, int chain, int firstRow, int endRow) where T : unmanaged, " + RuntimeNames.Bcl.IFloatingPointIeee754 + "<T>");
            w.Line("var xs = " + RuntimeNames.GeneratedCode.FusedKernels.Span + "<T>(units);");
            w.Line("var site = new " + RuntimeNames.GeneratedCode.SiteRule.Name + "(beta, rule, spins: " + (spins ? "true" : "false") + ");");
            w.Line("ulong colourKey = " + RuntimeNames.Api.CounterRandom.SubKey + "(key, 2 * sweep + colour);");
            w.Line("var uniforms = " + RuntimeNames.GeneratedCode.FusedKernels.Scratch + "(0, " + side + " / 2);");
            w.Line("int xo = chain * " + sites + ";");
            Append(w, perChain);
            w.Line("long changed = 0;");
            w.Open("for (int r = firstRow; r < endRow; r++)");
            w.Line("int row = r * " + side + ";");
            w.Line(RuntimeNames.GeneratedCode.CheckerboardSweeps.FillRow + "(uniforms, " + side + ", colourKey, xo, row);");
            foreach (var dr in rowShifts)
                w.Line("int row" + Shift(dr) + " = " + RuntimeNames.GeneratedCode.CheckerboardSweeps.Wrap + "(r " + Signed(dr) + ", " + side + ") * " + side + ";");
            w.Open("for (int c = (r + colour) & 1; c < " + side + "; c += 2)");
            w.Line("int i = row + c;");
            foreach (var dc in columnShifts)
                w.Line("int col" + Shift(dc) + " = " + RuntimeNames.GeneratedCode.CheckerboardSweeps.Wrap + "(c " + Signed(dc) + ", " + side + ");");
            w.Line("double unit = double.CreateTruncating(xs[xo + i]);");
            foreach (var line in siteLines) w.Line(line);
            w.Line("double next = site.Next(unit, " + deltaE + ", uniforms[c >> 1]);");
            w.Line("xs[xo + i] = T.CreateTruncating(next);");
            w.Line("changed += " + RuntimeNames.GeneratedCode.SiteRule.Changed + "(next, unit);");
            w.Close();
            w.Close();
            w.Line("return changed;");
            w.Close();
            w.Close();
            w.Line();
        }

        /// <summary>
        /// Emits <c>long MultiSpinSweep(units, beta, rule, key, firstSweep = 0, sweeps = 1)</c> for a model the planner found eligible
        /// (<c>BackendSupport.WhyNotMultiSpin</c>): ΔEᵢ as a local function of the unit and its stencil reads, which
        /// <c>MultiSpinSweeps.Run</c> tabulates over every configuration and applies 64 units a word.
        /// </summary>
        public static void EmitMultiSpinSweep(SourceWriter w, string modelName, Node flipEnergy, bool spins, string equation, IReadOnlyList<(string Name, int Rank)> parameters)
        {
            var locals = new Dictionary<string, string>();
            foreach (var p in parameters) locals[p.Name] = CSharpText.ParamLocal(p.Name);
            var emitter = new FusedCpuEmitter(new[] { flipEnergy }, locals, "", sharedLevel: false) { neighbourSlots = new Dictionary<(int, int), int>() };
            emitter.EmitMultiSpinMethod(w, modelName, flipEnergy, spins, equation, parameters);
        }

        private void EmitMultiSpinMethod(SourceWriter w, string modelName, Node flipEnergy, bool spins, string equation, IReadOnlyList<(string Name, int Rank)> parameters)
        {
            const string Torch = RuntimeNames.Torch.Name;
            // Per-chain locals are the same for every chain here: the planner refuses per-sample conditions (WhyNotMultiSpin).
            var (prologue, perChain) = SweepPrologue(parameters);
            string deltaE = SiteElem(flipEnergy, 0, 0);
            var offsets = neighbourSlots!.OrderBy(e => e.Value).SelectMany(e => new[] { e.Key.Dr, e.Key.Dc }).Select(v => v.ToString(CultureInfo.InvariantCulture));

            w.Line("/// <summary>");
            w.Line("/// <paramref name=\"sweeps\"/> multi-spin-coded checkerboard sweeps of units [B, N] in place, 64 units of one colour a machine word: ΔEᵢ of");
            w.Line("/// E(x) = " + CSharpText.Xml(equation) + " depends only on unit i and its stencil reads at (Δrow, Δcolumn) = " + CSharpText.Xml(string.Join(" ", offsets.Select((v, i) => i % 2 == 0 ? "(" + v + "," : v + ")"))) + ",");
            w.Line("/// so MultiSpinSweeps tabulates it over every configuration and flips each unit with its rule's probability (Metropolis min(1, e^{−βΔEᵢ}),");
            w.Line("/// heat bath σ(−βΔEᵢ)), compared bit-sliced with counter-based random words. Returns the units changed.");
            w.Line("/// </summary>");
            SweepParameterDocs(w, spins);
            w.Line("/// <param name=\"firstSweep\">The first sweep's number under <paramref name=\"key\"/>.</param>");
            w.Line("/// <param name=\"sweeps\">How many sweeps (the units are packed into bits once for all of them).</param>");
            w.Open("public long MultiSpinSweep(" + Torch + ".Tensor units, double beta, " + RuntimeNames.Api.SpinUpdate + " rule, ulong key, long firstSweep = 0, int sweeps = 1)");
            foreach (var line in header) w.Line(line);
            w.Line(RuntimeNames.GeneratedCode.FusedKernels.Count + "();");
            Append(w, prologue);
            w.Line("return " + RuntimeNames.GeneratedCode.MultiSpinSweeps.Run + "(" + CSharpText.Str(modelName) + ", units, size_" + flipEnergy.Shape.Last + ", " + side
                + ", new int[] { " + string.Join(", ", offsets) + " }, FlipEnergyOf, beta, rule, spins: " + (spins ? "true" : "false") + ", key, firstSweep, sweeps);");
            w.Line();
            w.Open("double FlipEnergyOf(double unit, " + RuntimeNames.Bcl.ReadOnlySpan + "<double> nb)");
            Append(w, perChain);
            foreach (var line in siteLines) w.Line(line);
            w.Line("return " + deltaE + ";");
            w.Close();
            w.Close();
            w.Line();
        }

        /// <summary>
        /// What both sweeps compute before their loops: the parameters and unbatched values (the prologue), the batched scalars that do
        /// not read x (per chain: a constant broadcast over the batch and functions of it), and the lattice side of every stencil with its
        /// size check (the first becomes <see cref="side"/>).
        /// </summary>
        private (SourceWriter Prologue, SourceWriter PerChain) SweepPrologue(IReadOnlyList<(string Name, int Rank)> parameters)
        {
            var prologue = new SourceWriter();
            var perChain = new SourceWriter();
            var unusedArrays = new SourceWriter();
            ReadParameters(prologue, parameters);
            foreach (var n in order)
                if (!n.Shape.Batched && !IsVirtual(n)) Materialise(prologue, n, "u", prologue);
            foreach (var n in order)
                if (n.Shape.Batched && n.Shape.Rank == 0 && !n.DependsOnInput && !IsVirtual(n)) Materialise(perChain, n, "b", unusedArrays);
            foreach (var n in order.Where(n => n.Op == Op.Neighbors || n.Op == Op.Roll))
            {
                string check = n.Op == Op.Neighbors
                    ? RuntimeNames.GeneratedCode.Lattice.CheckNeighbourSum + "((long)" + Paren(Elem(n.B, Array.Empty<string>())) + ", " + Sites(n) + ");"
                    : RuntimeNames.GeneratedCode.Lattice.CheckRoll + "((long)" + Paren(Elem(n.B, Array.Empty<string>())) + ", " + Sites(n) + ", " + ((int)n.Args[2].Value).ToString(CultureInfo.InvariantCulture) + ", " + ((int)n.Args[3].Value).ToString(CultureInfo.InvariantCulture) + ");";
                string name = Side(n, check);
                if (side.Length == 0) side = name;
            }
            return (prologue, perChain);
        }

        /// <summary>The parameter docs both sweeps share: units, β, the rule and the counter key.</summary>
        private static void SweepParameterDocs(SourceWriter w, bool spins)
        {
            w.Line("/// <param name=\"units\">Chains [B, N]: " + (spins ? "spins ±1" : "bits 0/1") + ", contiguous float32/float64 on the CPU; updated in place.</param>");
            w.Line("/// <param name=\"beta\">The inverse temperature β = 1/T &gt; 0.</param>");
            w.Line("/// <param name=\"rule\">Metropolis or heat bath.</param>");
            w.Line("/// <param name=\"key\">The counter-based generator's key (<see cref=\"" + RuntimeNames.Api.CounterRandom.KeyFrom + "\"/>).</param>");
        }

        private static string Shift(int d) => d > 0 ? "P" + d.ToString(CultureInfo.InvariantCulture) : "M" + (-d).ToString(CultureInfo.InvariantCulture);

        private static string Signed(int d) => d > 0 ? "+ " + d.ToString(CultureInfo.InvariantCulture) : "- " + (-d).ToString(CultureInfo.InvariantCulture);

        /// <summary>The flat index of the site at (Δrow, Δcolumn) from site i, through the row and column locals of the sweep loop.</summary>
        private string SiteIndex(int dr, int dc)
        {
            if (dr == 0 && dc == 0) return "i";
            if (dr != 0) rowShifts.Add(dr);
            if (dc != 0) columnShifts.Add(dc);
            return (dr == 0 ? "row" : "row" + Shift(dr)) + " + " + (dc == 0 ? "c" : "col" + Shift(dc));
        }

        /// <summary>The double expression of <paramref name="n"/> at the site (Δrow, Δcolumn) from site i.</summary>
        private string SiteElem(Node n, int dr, int dc)
        {
            if (n.Shape.Rank == 0) return Elem(n, Array.Empty<string>());          // scalars: hosts, parameters, per-call and per-chain locals
            if (!n.Shape.Batched) return Elem(n, new[] { SiteIndex(dr, dc) });      // per-site parameters and functions of them
            switch (n.Op)
            {
                case Op.Input:
                    if (dr == 0 && dc == 0) return "unit";
                    if (neighbourSlots == null) return "double.CreateTruncating(xs[xo + " + SiteIndex(dr, dc) + "])";
                    if (!neighbourSlots.TryGetValue((dr, dc), out int slot)) neighbourSlots[(dr, dc)] = slot = neighbourSlots.Count;
                    return "nb[" + slot.ToString(CultureInfo.InvariantCulture) + "]";
                case Op.Broadcast: return SiteElem(n.A, dr, dc);
                case Op.Neighbors:
                    // LatticeNeighbours: the sites above and below (row ± 1) and right and left (column ± 1), the order of the stored kernel.
                    return "(" + SiteElem(n.A, dr + 1, dc) + " + " + SiteElem(n.A, dr - 1, dc) + " + " + SiteElem(n.A, dr, dc + 1) + " + " + SiteElem(n.A, dr, dc - 1) + ")";
                case Op.Roll:
                    // Roll(s, L, a, b)ᵣ,꜀ = s₍ᵣ₋ₐ₎,₍꜀₋b₎.
                    return SiteElem(n.A, dr - (int)n.Args[2].Value, dc - (int)n.Args[3].Value);
            }
            bool here = dr == 0 && dc == 0;
            if (here && siteLocals.TryGetValue(n, out var local)) return local;
            string expr = n.Op == Op.WhereGt
                ? OpTable.Get(n.Op).Spell(SpellingTarget.FusedScalar, TensorCodeEmitter.RuntimePrefix, n.Args.Select(a => (string?)SiteElem(a, dr, dc)).ToArray())   // l > r ? a : b
                : Apply(n, () => SiteElem(n.A, dr, dc), () => SiteElem(n.B, dr, dc));
            if (!here || uses[n] < 2) return expr;
            string name = "v" + n.Id.ToString(CultureInfo.InvariantCulture);
            siteLines.Add("double " + name + " = " + expr + ";");
            siteLocals[n] = name;
            return name;
        }
    }
}
