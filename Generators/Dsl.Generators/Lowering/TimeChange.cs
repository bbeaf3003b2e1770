using System.Collections.Generic;
using System.Linq;
using Dsl.Symbolic.Calculus;
using Dsl.Symbolic.Ir;

namespace Dsl.Generators.Lowering
{
    /// <summary>
    /// The time change of a linear SDE dx = b(t)·A x dt + G(t) dw with A free of t and G(t)G(t)ᵀ = b(t)·Q, Q free of t:
    /// with u = B(t) = ∫₀ᵗ b, dΦ/du = AΦ and dΣ/du = AΣ + ΣAᵀ + Q, so Φ = exp(B(t)A) and Σ(t) is Van Loan's Σ of the
    /// constant pair (A, Q) at "time" B(t) (negative when b &lt; 0; with Q then negative semi-definite Σ comes out positive).
    /// </summary>
    internal sealed class TimeChange
    {
        private TimeChange(Node time, Node generator, Node noise) { Time = time; Generator = generator; Noise = noise; }

        /// <summary>B(t) = ∫₀ᵗ b: [N].</summary>
        public Node Time { get; }
        /// <summary>A, free of t (a Mat).</summary>
        public Node Generator { get; }
        /// <summary>Q = GGᵀ/b(t), free of t, as the diffusion is written: a Scalar r (Q = rI), a Vec r (Q = diag r) or a Mat (Q itself).</summary>
        public Node Noise { get; }

        /// <summary>The time change of F = M(t) and G, or null with the reason why there is none.</summary>
        public static (TimeChange? Change, string? Why) Of(Graph g, Node matrix, Node diffusion, int diffusionRank, Node t)
        {
            var split = Split(g, matrix, t);
            if (split == null) return (null, "the drift matrix M(t) is not b(t)·A with b a scalar function of t and A free of t");
            var (b, a) = split.Value;
            if (a.Shape.Rank != 2) a = g.Fit(a, matrix.Shape.WithBatched(false));
            Node time;
            try { time = TimeIntegral.Integral(g, b, t); }
            catch (IntegrationUnsupportedException e) { return (null, "the drift matrix is b(t)·A, but B(t) = ∫₀ᵗ b has no closed form (" + e.Message + ")"); }
            catch (GraphTooLargeException e) { return (null, "the drift matrix is b(t)·A, but B(t) = ∫₀ᵗ b has no closed form (" + e.Message + ")"); }
            Node? noise;
            if (diffusionRank <= 1) noise = Ratio(g, diffusion, b, t);
            else
            {
                // G = s(t)·G₀ with G₀ free of t: GGᵀ = s² G₀G₀ᵀ, and s²/b must be free of t.
                var gs = Split(g, diffusion, t);
                noise = null;
                if (gs != null)
                {
                    var r = Ratio(g, gs.Value.Time, b, t);
                    var g0 = gs.Value.Free.Shape.Rank == 2 ? gs.Value.Free : g.Fit(gs.Value.Free, diffusion.Shape.WithBatched(false));
                    if (r != null) noise = g.Mul(r, g.MatMul(g0, g.Transpose(g0)));
                }
            }
            if (noise == null) return (null, "the drift matrix is b(t)·A, but GGᵀ is not a constant multiple of b(t)·Q with Q free of t");
            return (new TimeChange(time, a, noise), null);
        }

        /// <summary>n = c·Πfᵢ^pᵢ split into (c·Π of the factors that read t, all scalars; Π of the rest), or null when a factor that reads t is not a scalar.</summary>
        private static (Node Time, Node Free)? Split(Graph g, Node n, Node t)
        {
            double c = 1;
            var factors = new List<(Node, double)>();
            if (!Flatten(n, 1, ref c, factors)) return null;
            var timed = new List<(Node, double)>();
            var free = new List<(Node, double)>();
            foreach (var (f, p) in Combine(factors))
            {
                if (!Reads(f, t)) free.Add((f, p));
                else if (f.Shape.Rank != 0) return null;
                else timed.Add((f, p));
            }
            return (Build(g, c, timed), Build(g, 1, free));
        }

        /// <summary>
        /// g²/b when it is free of t, else null: g² and b written as c·Πfᵢ^pᵢ ((√u)² = u), equal factors cancel, and what reads t
        /// must then be a constant ratio of polynomials in t (<see cref="TimeIntegral.ConstantRatio"/>).
        /// </summary>
        private static Node? Ratio(Graph g, Node diffusion, Node b, Node t)
        {
            double c = 1;
            var factors = new List<(Node, double)>();
            if (!Flatten(diffusion, 2, ref c, factors) || !Flatten(b, -1, ref c, factors)) return null;
            if (double.IsNaN(c) || double.IsInfinity(c)) return null;
            var rest = Combine(factors);
            var timed = rest.Where(f => Reads(f.Factor, t)).ToList();
            var free = rest.Where(f => !Reads(f.Factor, t)).ToList();
            var result = Build(g, c, free);
            if (timed.Count == 0) return result;
            // Factors that read t and do not cancel as nodes: the polynomial ratio Π f^p (p > 0) / Π f^−p (p < 0) must be a constant.
            var up = Build(g, 1, timed.Where(f => f.Power > 0).ToList());
            var down = Build(g, 1, timed.Where(f => f.Power < 0).Select(f => (f.Factor, -f.Power)).ToList());
            var ratio = TimeIntegral.ConstantRatio(g, up, down, t);
            return ratio == null ? null : g.Mul(ratio, result);
        }

        private static bool Reads(Node n, Node t) => Topology.Order(new[] { n }).Contains(t);

        private static List<(Node Factor, double Power)> Combine(List<(Node, double)> factors)
        {
            var powers = new Dictionary<Node, double>();
            var order = new List<Node>();
            foreach (var (f, p) in factors)
            {
                if (!powers.ContainsKey(f)) { powers[f] = 0; order.Add(f); }
                powers[f] += p;
            }
            return order.Where(f => System.Math.Abs(powers[f]) > 1e-12).Select(f => (f, powers[f])).ToList();
        }

        private static Node Build(Graph g, double c, List<(Node Factor, double Power)> factors)
        {
            Node? result = null;
            foreach (var (f, p) in factors)
            {
                var term = g.Pow(f, p);
                result = result == null ? term : g.Mul(result, term);
            }
            if (result == null) return g.Const(c);
            return c == 1 ? result : g.Mul(g.Const(c), result);
        }

        private static bool Integer(double p) => System.Math.Abs(p - System.Math.Round(p)) < 1e-12;

        // n^power as c·Πfᵢ^pᵢ with integer powers (so every step is an identity) through products, quotients, reciprocals,
        // negations, squares, even powers of square roots, integer powers, broadcasts and constants.
        private static bool Flatten(Node n, double power, ref double c, List<(Node, double)> factors)
        {
            switch (n.Op)
            {
                case Op.Const:
                    if (n.Value == 0 || n.Value < 0 && !Integer(power)) return false;
                    c *= System.Math.Pow(n.Value, power);
                    return true;
                case Op.Neg:
                    if (!Integer(power)) return false;
                    if (((long)System.Math.Round(power)) % 2 != 0) c = -c;
                    return Flatten(n.A, power, ref c, factors);
                case Op.Mul:
                    return Flatten(n.A, power, ref c, factors) && Flatten(n.B, power, ref c, factors);
                case Op.Div:
                    return Flatten(n.A, power, ref c, factors) && Flatten(n.B, -power, ref c, factors);
                case Op.Recip:
                    return Flatten(n.A, -power, ref c, factors);
                case Op.Square:
                    return Flatten(n.A, 2 * power, ref c, factors);
                case Op.Sqrt when Integer(power / 2):
                    return Flatten(n.A, power / 2, ref c, factors);   // (√u)^{2k} = u^k; √u to an odd power stays a factor (√(u²) = |u|)
                case Op.Pow when Integer(n.Value):
                    return Flatten(n.A, power * n.Value, ref c, factors);
                case Op.Broadcast:
                    return Flatten(n.A, power, ref c, factors);
                default:
                    factors.Add((n, power));
                    return true;
            }
        }
    }
}
