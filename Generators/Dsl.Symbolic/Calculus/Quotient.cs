using System.Collections.Generic;
using System.Linq;
using Dsl.Symbolic.Ir;

namespace Dsl.Symbolic.Calculus
{
    /// <summary>
    /// a/b with common factors cancelled: both sides are flattened into c·Π fᵢ^±1 through products, quotients, reciprocals,
    /// negations and constants, equal factors (the same hash-consed node) on both sides cancel, and the rest is rebuilt. So a
    /// Gaussian's mean −b/a = −(−2μ·(−½/e^λ))/(2·(−½/e^λ)) comes out as μ, and its variance −1/a as e^λ, as the slide writes them.
    /// </summary>
    public static class Quotient
    {
        /// <summary>numerator / denominator with common factors cancelled, fitted to the shape of the plain quotient.</summary>
        public static Node Of(Graph g, Node numerator, Node denominator)
        {
            var plain = g.Div(numerator, denominator);
            double c = 1;
            var factors = new List<(Node Factor, int Power)>();
            if (!Flatten(numerator, 1, ref c, factors) || !Flatten(denominator, -1, ref c, factors) || double.IsNaN(c) || double.IsInfinity(c) || c == 0)
                return plain;
            var powers = new Dictionary<Node, int>();
            var order = new List<Node>();
            foreach (var (f, p) in factors)
            {
                if (!powers.ContainsKey(f)) { powers[f] = 0; order.Add(f); }
                powers[f] += p;
            }
            Node? up = null, down = null;
            foreach (var f in order)
            {
                int p = powers[f];
                for (int i = 0; i < System.Math.Abs(p); i++)
                {
                    if (p > 0) up = up == null ? f : g.Mul(up, f);
                    else down = down == null ? f : g.Mul(down, f);
                }
            }
            Node result = up ?? g.Const(1);
            if (c == -1) result = g.Neg(result);
            else if (c != 1) result = g.Mul(g.Const(c), result);
            if (down != null) result = g.Div(result, down);
            return g.Fit(result, plain.Shape);
        }

        private static bool Flatten(Node n, int sign, ref double c, List<(Node, int)> factors)
        {
            switch (n.Op)
            {
                case Op.Const:
                    if (n.Value == 0) return false;
                    c *= sign > 0 ? n.Value : 1 / n.Value;
                    return true;
                case Op.Neg:
                    c = -c;
                    return Flatten(n.A, sign, ref c, factors);
                case Op.Mul:
                    return Flatten(n.A, sign, ref c, factors) && Flatten(n.B, sign, ref c, factors);
                case Op.Div:
                    return Flatten(n.A, sign, ref c, factors) && Flatten(n.B, -sign, ref c, factors);
                case Op.Recip:
                    return Flatten(n.A, -sign, ref c, factors);
                default:
                    factors.Add((n, sign));
                    return true;
            }
        }
    }
}
