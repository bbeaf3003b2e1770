using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.Symbolic.Ir;
using Dsl.Symbolic.Ops;

namespace Dsl.Symbolic.Tests.Properties
{
    /// <summary>
    /// The op table's shape rules (<see cref="ShapeRule"/>) are a declaration; <see cref="Graph"/>'s constructors compute the shapes.
    /// This property checks they agree: on every node of random expression DAGs (the value profile's generator, its own fixed seed),
    /// the node's shape is what its table entry's rule gives from its operands' shapes.
    /// </summary>
    public class ShapeRuleProperties
    {
        public const int Cases = 1000;
        public const ulong Seed = 0x5eed_0005;

        /// <summary>The shape <paramref name="n"/>'s rule gives, or null for a rule that reads the node itself (leaves, Broadcast).</summary>
        private static (bool Batched, string[] Dims)? Expected(Node n)
        {
            var a = n.Args.Count > 0 ? n.A.Shape : null;
            var b = n.Args.Count > 1 ? n.B.Shape : null;
            bool batched = n.Args.Any(x => x.Shape.Batched);
            switch (OpTable.Get(n.Op).Shape)
            {
                case ShapeRule.Leaf:
                case ShapeRule.Explicit: return null;
                case ShapeRule.SameAsOperand: return (a!.Batched, a.Dims.ToArray());
                case ShapeRule.Broadcast:
                    // numpy broadcasting of every operand (two, or WhereGt's four)
                    Shape? both = a!;
                    foreach (var o in n.Args.Skip(1)) both = both == null ? null : Shape.TryBroadcast(both, o.Shape);
                    return both == null ? ((bool, string[])?)(batched, new[] { "<no broadcast>" }) : (both.Batched, both.Dims.ToArray());
                case ShapeRule.DropLast: return (a!.Batched, a.Dims.Take(a.Rank - 1).ToArray());
                case ShapeRule.DropRows: return (a!.Batched, new[] { a.Dims[1] });
                case ShapeRule.MatVec: return (batched, new[] { a!.Dims[0] });
                case ShapeRule.MatMul: return (batched, new[] { a!.Dims[0], b!.Dims[1] });
                case ShapeRule.Transpose: return (a!.Batched, new[] { a.Dims[1], a.Dims[0] });
                case ShapeRule.Diagonal: return (a!.Batched, new[] { a.Dims[0] });
                case ShapeRule.Determinant: return (a!.Batched, Array.Empty<string>());
                case ShapeRule.AppendOne: return (a!.Batched, a.Dims.Concat(new[] { Shape.One }).ToArray());
                default: throw new ArgumentOutOfRangeException(nameof(n), OpTable.Get(n.Op).Shape, "a shape rule this test does not know");
            }
        }

        [Fact]
        public void Every_node_has_the_shape_its_table_rule_gives()
        {
            var checkedRules = new HashSet<ShapeRule>();
            var gen = new Generators(Profile.Value).Cases(new Tally(), p => new[] { p.X });
            PropertyRunner.Run(nameof(Every_node_has_the_shape_its_table_rule_gives), gen, c =>
            {
                var g = new Graph();
                var root = c.Expr.ToGraph(g, g.Input("D"));
                foreach (var n in Topology.Order(new[] { root }))
                {
                    var expected = Expected(n);
                    if (expected == null) continue;
                    lock (checkedRules) checkedRules.Add(OpTable.Get(n.Op).Shape);
                    Assert.True(n.Shape.Batched == expected.Value.Batched && n.Shape.Dims.SequenceEqual(expected.Value.Dims),
                        $"{n.Op} ({OpTable.Get(n.Op).Shape}) of {string.Join(", ", n.Args.Select(x => x.Shape))} has shape {n.Shape}, "
                        + $"the rule gives {(expected.Value.Batched ? "batched " : "")}[{string.Join(",", expected.Value.Dims)}]");
                }
            }, Seed, Cases, c => c.ToString());
            // Every rule that reads its operands was exercised (the generator draws every op: CatalogTests.Every_op_is_drawn).
            var rules = OpTable.All.Select(i => i.Shape).Where(r => r != ShapeRule.Leaf && r != ShapeRule.Explicit).Distinct();
            Assert.Empty(rules.Except(checkedRules));
        }
    }
}
