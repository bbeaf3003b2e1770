using static Dsl.Math;

namespace Dsl.Models.Tests.Structured
{
    /// <summary>
    /// Every structured-state construct in one energy over u: Vec[S]: slices with sizes and ^k, an index, Concat of Vecs and a
    /// Scalar, Vec.Of and Mat.Of literals with a hyperparameter, Eye, Block, and a [Param] of symbolic size "2*D".
    /// </summary>
    [EnergyModel(Dim = "S")]
    public partial class StructuredOpsModel
    {
        public int S { get; init; }
        public int D { get; init; }
        public double Beta { get; init; } = 0.7;
        [Param("2*D")] public Vec W;
        [Param("D,D")] public Mat A;
        [Param("D,2")] public Mat B;

        [Energy]
        Scalar E(Vec u)
        {
            var y = u[..(D + 2)];
            var m = Block(A, B, Transpose(B), Mat.Of(Vec.Of(1.0, 0.5), Vec.Of(0.5, 2.0)));
            var z = Concat(u[1..(D + 1)], Tanh(u[0]), u[^2..]);
            var w = Concat(W[..D], Vec.Of(1.0, Beta, -0.5));
            return 0.5 * Dot(y, m * y) + 0.1 * Dot(w, Square(z)) + Beta * Sum(Sin(W[D..]) * u[..D]) + Dot(Eye(D) * u[^D..], u[..D]);
        }
    }
}
