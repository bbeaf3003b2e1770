namespace Dsl.Generators.Model
{
    /// <summary>An [Sde] class ready for lowering: its drift f(x, t) and diffusion G(t) or G(x, t) equations, and its [Param] fields.</summary>
    public sealed record SdeSpec(
        string? Namespace,
        EquatableArray<ContainerSpec> Containers,
        string ClassName,
        double EndTime,
        string DimSymbol,
        EquationSpec Drift,
        EquationSpec Diffusion,
        LocationInfo? ClassLocation,
        EquatableArray<ParamSpec> Params = default,
        int DiffusionRank = 0,
        bool DiffusionReadsX = false,
        EquatableArray<PartSpec> Parts = default,
        EquatableArray<string> SizeMembers = default)
    {
        /// <summary>
        /// False for the SDEs of the first form (no [Param], parts or size members, scalar g(t), x of dimension D): they keep their
        /// generated code. True for the general SDEs (<c>Dsl.Sde.IGeneralSde</c>: [Param] members, parts, per-coordinate or matrix
        /// diffusion, g(x, t), a structured state of dimension Dim).
        /// </summary>
        public bool IsGeneral => Params.Count > 0 || DiffusionRank > 0 || DiffusionReadsX || Parts.Count > 0 || SizeMembers.Count > 0 || DimSymbol != "D";
    }

    /// <summary>The SDE parser's result.</summary>
    public sealed record SdeParseResult(SdeSpec? Sde, EquatableArray<DiagnosticInfo> Diagnostics);
}
