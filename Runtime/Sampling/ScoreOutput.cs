using System;
using static TorchSharp.torch;

namespace Dsl
{
    /// <summary>
    /// Checks what a user's score returned before the library computes with it: a wrong shape would otherwise surface as a
    /// raw libtorch size error deep inside a solver, or worse broadcast silently ([N, 1] or [1, D] against [N, D]).
    /// </summary>
    internal static class ScoreOutput
    {
        /// <summary>Throws unless <paramref name="score"/> is a tensor of x's shape [N, D].</summary>
        public static Tensor CheckShape(string entryPoint, string modelName, Tensor score, Tensor x)
        {
            if (score is null || score.IsInvalid)
                throw new ArgumentException(entryPoint + ": the score '" + modelName + "' returned " + (score is null ? "null" : "a disposed tensor")
                    + " instead of a [N, D] = " + Broadcasting.Describe(x) + " tensor.");
            if (!score.shape.AsSpan().SequenceEqual(x.shape))
                throw new ArgumentException(entryPoint + ": the score '" + modelName + "' returned " + Broadcasting.Describe(score) + " for x of shape "
                    + Broadcasting.Describe(x) + "; it must return [N, D] = " + Broadcasting.Describe(x) + ", one score row per row of x.");
            return score;
        }
    }
}
