namespace Dsl.Generators.Model
{
    /// <summary>An [Sde] class ready for lowering: its drift f(x, t) and diffusion g(t) equations.</summary>
    public sealed record SdeSpec(
        string? Namespace,
        EquatableArray<ContainerSpec> Containers,
        string ClassName,
        double EndTime,
        string DimSymbol,
        EquationSpec Drift,
        EquationSpec Diffusion,
        LocationInfo? ClassLocation);

    /// <summary>The SDE parser's result.</summary>
    public sealed record SdeParseResult(SdeSpec? Sde, EquatableArray<DiagnosticInfo> Diagnostics);
}
