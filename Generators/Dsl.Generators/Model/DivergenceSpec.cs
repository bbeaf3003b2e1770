namespace Dsl.Generators.Model
{
    /// <summary>
    /// A [KlDivergence] class ready for lowering: the two log-densities as written, log q(z | a…) and log p(z | b…), over a latent
    /// Vec z; the further Vec arguments (the variational parameters such as μ and log σ², and any of the prior) by name.
    /// </summary>
    public sealed record DivergenceSpec(
        string? Namespace,
        EquatableArray<ContainerSpec> Containers,
        string ClassName,
        string DimSymbol,
        string LatentName,
        string PriorLatentName,
        EquatableArray<string> QArguments,
        EquatableArray<string> PArguments,
        EquationSpec LogQ,
        EquationSpec LogP,
        EquatableArray<ParamSpec> Params,
        LocationInfo? ClassLocation)
    {
        /// <summary>The name the generated reparameterisation gives its noise argument (unless an argument already has it).</summary>
        public const string NoiseName = "epsilon";
    }

    /// <summary>The divergence parser's result.</summary>
    public sealed record DivergenceParseResult(DivergenceSpec? Divergence, EquatableArray<DiagnosticInfo> Diagnostics);
}
