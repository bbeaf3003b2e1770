namespace Dsl.Generators.Model
{
    /// <summary>
    /// A [Flow] class ready for lowering: its [Param]s, the transform x = f(z), z's dimension (a name such as "D" or a size
    /// expression such as "2*K") and the int members named like a size that the equations read (slices z[..K]).
    /// </summary>
    public sealed record FlowSpec(
        string? Namespace,
        EquatableArray<ContainerSpec> Containers,
        string ClassName,
        string DimSymbol,
        string InputName,
        EquationSpec Transform,
        EquatableArray<ParamSpec> Params,
        LocationInfo? ClassLocation,
        EquatableArray<string> SizeMembers = default);

    /// <summary>The flow parser's result.</summary>
    public sealed record FlowParseResult(FlowSpec? Flow, EquatableArray<DiagnosticInfo> Diagnostics);
}
