using System.Collections.Generic;

namespace Dsl.Symbolic.Ir
{
    /// <summary>Deterministic orderings of a DAG.</summary>
    public static class Topology
    {
        /// <summary>
        /// Every node reachable from <paramref name="roots"/>, operands before users, in the order of an
        /// operand-first depth-first walk from the roots in turn. Depends only on the graph's structure, so
        /// generated temporaries are numbered the same on every run. Iterative: deep chains do not overflow.
        /// </summary>
        public static List<Node> Order(IEnumerable<Node> roots)
        {
            var order = new List<Node>();
            var done = new HashSet<Node>();
            var stack = new Stack<(Node node, int next)>();
            foreach (var root in roots)
            {
                if (done.Contains(root)) continue;
                stack.Push((root, 0));
                while (stack.Count > 0)
                {
                    var (node, next) = stack.Pop();
                    if (next < node.Args.Count)
                    {
                        stack.Push((node, next + 1));
                        var child = node.Args[next];
                        if (!done.Contains(child)) stack.Push((child, 0));
                        continue;
                    }
                    if (done.Add(node)) order.Add(node);
                }
            }
            return order;
        }

        /// <summary>How many users each node has among the nodes reachable from <paramref name="roots"/> (roots count one extra).</summary>
        public static Dictionary<Node, int> UseCounts(IReadOnlyList<Node> order, IEnumerable<Node> roots)
        {
            var uses = new Dictionary<Node, int>();
            foreach (var n in order) uses[n] = 0;
            foreach (var n in order)
                foreach (var a in n.Args) uses[a]++;
            foreach (var r in roots) uses[r]++;
            return uses;
        }
    }
}
