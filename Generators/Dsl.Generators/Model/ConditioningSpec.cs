namespace Dsl.Generators.Model
{
    /// <summary>What an energy's [Condition] argument is.</summary>
    public enum ConditionInputKind
    {
        /// <summary>No [Condition] argument.</summary>
        None,
        /// <summary>An observation <c>[Condition] Vec y</c>: per sample [N, K].</summary>
        Vector,
        /// <summary>A class label <c>[Condition] Label y</c>: per sample an int64 in 0…K−1.</summary>
        Label,
    }

    /// <summary>
    /// The conditioning inputs of an energy E(x, t | y): the [Time] argument's name (null when none) and the [Condition]
    /// argument's name, kind and (for a Vec) dimension symbol, and whether the [Condition] argument comes before the [Time]
    /// one in the user's signature (the eager reference calls the method in that order). Derivatives stay in x.
    /// </summary>
    public sealed record ConditioningSpec(string? TimeName, string? ConditionName, ConditionInputKind ConditionKind, string ConditionDim, bool ConditionFirst = false);
}
