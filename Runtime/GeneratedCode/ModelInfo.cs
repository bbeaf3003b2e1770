using System.Collections.Generic;

namespace Dsl.GeneratedCode
{
    /// <summary>What the generator made of one model: emitted as <c>Model.Info</c> so tools can list it.</summary>
    /// <param name="Name">The model's class name.</param>
    /// <param name="Equation">The energy equation as the user wrote it (the method body's source text).</param>
    /// <param name="Sizes">The dimension symbols the constructor takes, in order (x's dimension included).</param>
    /// <param name="Parameters">Each parameter as "Name: Kind[shape]".</param>
    /// <param name="Generated">The members the generator emitted (e.g. "Score", "ScoreDivergence").</param>
    /// <param name="Notes">Why something was not generated, or which fallback was used; empty when none.</param>
    public sealed record ModelInfo(
        string Name,
        string Equation,
        IReadOnlyList<string> Sizes,
        IReadOnlyList<string> Parameters,
        IReadOnlyList<string> Generated,
        IReadOnlyList<string> Notes);
}
