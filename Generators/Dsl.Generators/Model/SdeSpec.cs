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
        bool DiffusionReadsX = false)
    {
        /// <summary>
        /// True for the SDEs of the first form (no [Param], scalar g(t)): they keep their generated code; the others are
        /// general SDEs (<c>Dsl.Sde.IGeneralSde</c>: [Param] members, per-coordinate or matrix diffusion, g(x, t)).
        /// </summary>
        public bool IsGeneral => Params.Count > 0 || DiffusionRank > 0 || DiffusionReadsX;
    }

    /// <summary>The SDE parser's result.</summary>
    public sealed record SdeParseResult(SdeSpec? Sde, EquatableArray<DiagnosticInfo> Diagnostics);
}
