using System;
using Dsl.Symbolic.Ir;

namespace Dsl.Symbolic.Calculus
{
    /// <summary>First and second derivatives of the elementwise functions, written as expressions that reuse the node itself.</summary>
    public static class Derivatives
    {
        /// <summary>True for functions whose derivative is undefined or zero almost everywhere (no score through them).</summary>
        public static bool IsNonDifferentiable(Op op) => op == Op.Abs || op == Op.Sign || op == Op.Floor || op == Op.Round;

        /// <summary>φ'(u) for n = φ(u).</summary>
        public static Node First(Graph g, Node n)
        {
            var u = n.A;
            switch (n.Op)
            {
                case Op.Neg: return g.Const(-1);
                case Op.Exp: return n;                                              // (eᵘ)' = eᵘ
                case Op.Log: return g.Recip(u);                                     // 1/u
                case Op.Sqrt: return g.Div(g.Const(0.5), n);                        // 1/(2√u)
                case Op.Square: return g.Mul(g.Const(2), u);                        // 2u
                case Op.Pow: return g.Mul(g.Const(n.Value), g.Pow(u, n.Value - 1)); // p u^(p−1)
                case Op.Recip: return g.Neg(g.Square(n));                           // −1/u²
                case Op.Tanh: return g.Sub(g.Const(1), g.Square(n));                // 1 − tanh²
                case Op.Sigmoid: return g.Mul(n, g.Sub(g.Const(1), n));             // σ(1 − σ)
                case Op.Softplus: return g.Unary(Op.Sigmoid, u);                    // σ(u)
                case Op.Sin: return g.Unary(Op.Cos, u);                             // cos u
                case Op.Cos: return g.Neg(g.Unary(Op.Sin, u));                      // −sin u
                default: throw new NotSupportedException("no derivative rule for " + n.Op);
            }
        }

        /// <summary>φ''(u) for n = φ(u), given φ'(u) as <paramref name="first"/>.</summary>
        public static Node Second(Graph g, Node n, Node first)
        {
            var u = n.A;
            switch (n.Op)
            {
                case Op.Neg: return g.Const(0);
                case Op.Exp: return n;                                                             // eᵘ
                case Op.Log: return g.Neg(g.Square(first));                                        // −1/u²
                case Op.Sqrt: return g.Div(g.Const(-0.25), g.Mul(n, u));                           // −1/(4 u^{3/2})
                case Op.Square: return g.Const(2);
                case Op.Pow: return g.Mul(g.Const(n.Value * (n.Value - 1)), g.Pow(u, n.Value - 2)); // p(p−1) u^(p−2)
                case Op.Recip: return g.Mul(g.Const(2), g.Pow(n, 3));                              // 2/u³
                case Op.Tanh: return g.Mul(g.Const(-2), g.Mul(n, first));                          // −2 tanh (1 − tanh²)
                case Op.Sigmoid: return g.Mul(first, g.Sub(g.Const(1), g.Mul(g.Const(2), n)));     // σ(1−σ)(1−2σ)
                case Op.Softplus:                                                                  // σ(u)(1 − σ(u))
                    return g.Mul(first, g.Sub(g.Const(1), first));
                case Op.Sin:
                case Op.Cos: return g.Neg(n);                                                      // sin'' = −sin, cos'' = −cos
                default: throw new NotSupportedException("no second-derivative rule for " + n.Op);
            }
        }
    }
}
