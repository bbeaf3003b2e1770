using System.Collections.Generic;
using System.Linq;
using System.Text;
using Dsl.Symbolic.Ir;

namespace Dsl.Generators.Planning
{
    /// <summary>
    /// The simplified IR a plan's roots name, printed one node a line (SSA style) in operand-first order: <c>%3 = Mul(%1, %2) : Vec[D]*</c>,
    /// where * marks a batched (per-sample) value and %n numbers the nodes in that order, so the text depends only on the roots'
    /// structure (not on how many nodes lowering created on the way). Then each root by name. The Snapshots/*.ir golden.
    /// </summary>
    public static class IrPrinter
    {
        /// <summary>The printout of <paramref name="roots"/>.</summary>
        public static string Print(PlannedRoots roots)
        {
            var order = Topology.Order(roots.All.Select(r => r.Value));
            var ids = new Dictionary<Node, int>();
            var sb = new StringBuilder();
            foreach (var n in order)
            {
                ids[n] = ids.Count;
                sb.Append('%').Append(ids[n]).Append(" = ").Append(Describe(n, ids)).Append(" : ").Append(n.Shape).Append(n.Shape.Batched ? "*" : "").Append('\n');
            }
            foreach (var r in roots.All) sb.Append(r.Key).Append(" = %").Append(ids[r.Value]).Append('\n');
            return sb.ToString();
        }

        private static string Describe(Node n, Dictionary<Node, int> ids)
        {
            string Args() => string.Join(", ", n.Args.Select(a => "%" + ids[a]));
            switch (n.Op)
            {
                case Op.Const: return "Const " + Node.FormatNumber(n.Value);
                case Op.Input: case Op.Condition: case Op.Param: case Op.Hyper: case Op.DimSize: return n.Op + " " + (n.Name ?? "x");
                case Op.Pow: return "Pow(" + Args() + "; " + Node.FormatNumber(n.Value) + ")";
                case Op.Polygamma: return "Polygamma(" + Args() + "; " + Node.FormatNumber(n.Value) + ")";
                default: return n.Op + "(" + Args() + ")";
            }
        }
    }
}
