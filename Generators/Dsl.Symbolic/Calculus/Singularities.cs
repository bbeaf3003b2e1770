using System.Collections.Generic;
using Dsl.Symbolic.Ir;

namespace Dsl.Symbolic.Calculus
{
    /// <summary>
    /// Where a derivative is singular at a point the expression can be evaluated: √u and u^p with p &lt; 1 (p ≠ 0) whose operand u
    /// depends on x and is provably ≥ 0 but not provably &gt; 0 (Square, Abs, Relu, Norm2 and sums and products of such), so u = 0
    /// is reached and (√u)′ = 1/(2√u) or p·u^(p−1) is infinite there (the generated score is NaN or ±∞ at, e.g., u = 0 in
    /// √(u²)). The sign analysis is conservative the other way: an operand it cannot classify (a parameter, x itself, a
    /// difference) is not reported, so √(u² + ε), √(eᵘ), √(softplus u) and √(x) of an unknown x give no report.
    /// </summary>
    public static class Singularities
    {
        private enum Sign { Unknown, NonNegative, Positive }

        /// <summary>The √ and power nodes under <paramref name="root"/> whose derivative is singular where their operand is 0.</summary>
        public static List<Node> Of(Node root)
        {
            var result = new List<Node>();
            var memo = new Dictionary<Node, Sign>();
            foreach (var n in Topology.Order(new[] { root }))
            {
                bool power = n.Op == Op.Sqrt || (n.Op == Op.Pow && n.Value < 1 && n.Value != 0);
                if (power && n.A.DependsOnInput && Classify(n.A, memo) == Sign.NonNegative) result.Add(n);
            }
            return result;
        }

        private static Sign Classify(Node n, Dictionary<Node, Sign> memo)
        {
            if (memo.TryGetValue(n, out var known)) return known;
            var s = ClassifyCore(n, memo);
            memo[n] = s;
            return s;
        }

        private static Sign Min(Sign a, Sign b) => a < b ? a : b;

        private static Sign ClassifyCore(Node n, Dictionary<Node, Sign> memo)
        {
            switch (n.Op)
            {
                case Op.Const: return n.Value > 0 ? Sign.Positive : n.Value == 0 ? Sign.NonNegative : Sign.Unknown;
                case Op.DimSize:
                case Op.Exp:
                case Op.Sigmoid:
                case Op.Softplus:
                    return Sign.Positive;
                case Op.Square:
                case Op.Abs:
                case Op.Relu:
                    return Classify(n.A, memo) == Sign.Positive ? Sign.Positive : Sign.NonNegative;
                case Op.Sqrt:
                case Op.Recip:
                case Op.SumLast:
                case Op.SumRows:
                case Op.Broadcast:
                case Op.Unsqueeze:
                    return Classify(n.A, memo);
                case Op.Pow:
                    {
                        var a = Classify(n.A, memo);
                        if (a == Sign.Positive) return Sign.Positive;
                        if (n.Value == System.Math.Floor(n.Value) && n.Value % 2 == 0 && n.Value > 0) return Sign.NonNegative;   // even powers
                        return a == Sign.NonNegative && n.Value > 0 ? Sign.NonNegative : Sign.Unknown;
                    }
                case Op.Add:
                    {
                        var a = Classify(n.A, memo);
                        var b = Classify(n.B, memo);
                        if (a == Sign.Unknown || b == Sign.Unknown) return Sign.Unknown;
                        return a == Sign.Positive || b == Sign.Positive ? Sign.Positive : Sign.NonNegative;
                    }
                case Op.Mul:
                    return Min(Classify(n.A, memo), Classify(n.B, memo));
                case Op.Div:
                    {
                        var b = Classify(n.B, memo);
                        return b == Sign.Positive ? Min(Classify(n.A, memo), Sign.Positive) : Sign.Unknown;
                    }
                default:
                    return Sign.Unknown;
            }
        }
    }
}
