namespace Dsl.Generators.Model
{
    /// <summary>A [Flow] class ready for lowering: its [Param]s and the transform x = f(z).</summary>
    public sealed record FlowSpec(
        string? Namespace,
        EquatableArray<ContainerSpec> Containers,
        string ClassName,
        string DimSymbol,
        string InputName,
        EquationSpec Transform,
        EquatableArray<ParamSpec> Params,
        LocationInfo? ClassLocation);

    /// <summary>The flow parser's result.</summary>
    public sealed record FlowParseResult(FlowSpec? Flow, EquatableArray<DiagnosticInfo> Diagnostics);
}
