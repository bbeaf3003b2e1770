using System.Linq;

namespace Dsl.Symbolic.Ir
{
    /// <summary>
    /// Which nodes are host values: numbers the generated code computes once as C# doubles (literals, dimension sizes,
    /// hyperparameters, and elementwise functions of them), not tensors. A property of the IR that lowering (a lattice side
    /// must be one), planning and every backend read.
    /// </summary>
    public static class HostValues
    {
        /// <summary>True for nodes computed as C# doubles: literals, sizes, hyperparameters and elementwise functions of them.</summary>
        public static bool IsHost(Node n)
        {
            switch (n.Op)
            {
                case Op.Const: case Op.DimSize: case Op.Hyper: return true;
                case Op.Input: case Op.Condition: case Op.Param: return false;
            }
            if (n.Shape.Rank != 0 || n.Shape.Batched) return false;
            return IsElementwise(n.Op) && n.Args.All(IsHost);
        }

        /// <summary>True for the elementwise unary and binary operations (the op table's kinds).</summary>
        public static bool IsElementwise(Op op) => Ops.OpTable.IsElementwise(op);
    }
}
