using static Dsl.Math;

// The conformance models of the select WhereGt (Max, Min and Where lower to it): over x with [Subgradient] (the comparison depends
// on x), over x without it (the comparison reads only a parameter: smooth in x), of a parameter and of host doubles. Compiled by the
// real generator; see SelectConformanceTests.
namespace Dsl.Models.Tests.OpConformance
{
    [EnergyModel, Subgradient]
    public partial class MaxOnX
    {
        [Param("D", Init = 1.0)] public Vec W;
        // A tie at x = 0.5, Max(x, −1e20) = x exactly, Scalar-with-Vec broadcasting, curved branches.
        [Energy] Scalar E(Vec x) => Sum(Square(Max(x, 0.5)) + Max(x, -1e20) + Max(Square(x), 3.0 * Sin(x)) + Max(0.3 * Sum(x), Cos(x))) + 0.0 * Dot(W, x);
    }

    [EnergyModel, Subgradient]
    public partial class MinOnX
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Sum(Square(Min(x, 0.5)) + Min(x, 1e20) + Min(Exp(0.5 * x), 2.0 - Square(x)) + Min(Sum(Square(x)), 1.0 + x)) + 0.0 * Dot(W, x);
    }

    [EnergyModel, Subgradient]
    public partial class WhereOnX
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x)
        {
            var s = 0.3 * Sum(x);
            return Sum(Where(x > s, 1.5 * Square(x), Sin(x)) + Where(x <= 0.5, x, Exp(-x)) + Where(x < -0.5, Square(x), 0.25) + Where(s >= x, Cos(x), 2.0 * x))
                + Where(Sum(x) > 0.0, Sum(Square(x)), 0.5 * Sum(x));
        }
    }

    // The comparison reads a parameter only: smooth in x, so no [Subgradient] is needed.
    [EnergyModel]
    public partial class WhereOnParamCondition
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Sum(Where(W > 0.0, Square(x) * W, Log1p(Square(x)))) + Sum(Max(W, 0.5) * Square(x));
    }

    [EnergyModel]
    public partial class SelectOnParam
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Dot(Max(W, 0.5) + 2.0 * Min(W, -1e20) + 4.0 * Where(W >= 0.25, W, -W), x);
    }

    [EnergyModel]
    public partial class SelectOnHost
    {
        [Param("D", Init = 1.0)] public Vec W;
        public double H = 1.0;
        [Energy] Scalar E(Vec x) => (Max(Len(W) * H, 0.5) + 2.0 * Min(Len(W) * H, -1e20)) * Dot(W, x);
    }
}
