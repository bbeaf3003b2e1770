using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Dsl.Generators.Model
{
    // Value-equatable records: everything the parser extracts from Roslyn, and nothing Roslyn-owned
    // (no ISymbol, SyntaxNode, SyntaxTree or Compilation), so the incremental pipeline can cache on them.

    /// <summary>A source location that can be compared and turned back into a <see cref="Location"/>.</summary>
    public sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
    {
        /// <summary>Captures a syntax location.</summary>
        public static LocationInfo? From(Location? location) =>
            location == null || location.SourceTree == null ? null
            : new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);

        /// <summary>The Roslyn location (outside any syntax tree: no '#pragma' applies to it).</summary>
        public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);

        /// <summary>The location in <paramref name="compilation"/>'s syntax tree of this file (so that '#pragma warning' applies), else <see cref="ToLocation()"/>.</summary>
        public Location ToLocation(Compilation compilation)
        {
            foreach (var tree in compilation.SyntaxTrees)
                if (tree.FilePath == FilePath && Span.End <= tree.Length) return Location.Create(tree, Span);
            return ToLocation();
        }
    }

    /// <summary>A diagnostic waiting to be reported.</summary>
    public sealed record DiagnosticInfo(DiagnosticDescriptor Descriptor, LocationInfo? Location, EquatableArray<string> Arguments)
    {
        /// <summary>Creates a diagnostic record.</summary>
        public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo? location, params string[] args) =>
            new DiagnosticInfo(descriptor, location, args.ToEquatableArray());

        /// <summary>The Roslyn diagnostic.</summary>
        public Diagnostic ToDiagnostic() => Diagnostic.Create(Descriptor, Location?.ToLocation(), Arguments.Cast<object>().ToArray());

        /// <summary>The Roslyn diagnostic at its place in <paramref name="compilation"/>'s syntax trees.</summary>
        public Diagnostic ToDiagnostic(Compilation compilation) => Diagnostic.Create(Descriptor, Location?.ToLocation(compilation), Arguments.Cast<object>().ToArray());
    }

    /// <summary>What an equation node is.</summary>
    public enum ExprKind
    {
        /// <summary>The energy's argument x.</summary>
        Input,
        /// <summary>A [Param] field (Text = name).</summary>
        Param,
        /// <summary>A numeric field or property read at run time (Text = C# access expression).</summary>
        Hyper,
        /// <summary>A literal or constant (Value).</summary>
        Const,
        /// <summary>A local or an inlined helper argument (Value = index into the equation's locals).</summary>
        Local,
        /// <summary>A call to a Dsl.Math (or System.Math) function (Text = name).</summary>
        Call,
        /// <summary>+ − × ÷ (Text = operator).</summary>
        Binary,
        /// <summary>Unary minus.</summary>
        Negate,
        /// <summary>A comparison u &gt; v, u &lt; v, u &gt;= v or u &lt;= v (Text = operator): only Where's condition.</summary>
        Compare,
        /// <summary>The energy's [NoiseLevel] argument σ, or a [Time] or [Condition] argument (Text = its name).</summary>
        Condition,
        /// <summary>The [Hidden] units h of a bipartite energy E(v, h) (Text = its name).</summary>
        Hidden,
        /// <summary>
        /// The variable a Grad differentiates in (Text = a name unique in the equation): Grad(f, a) is Call "Grad" with the
        /// arguments (Bound q, f's body in q, a).
        /// </summary>
        Bound,
    }

    /// <summary>What values an energy argument's units take: real (Vec), spins ±1 (Spins) or bits 0/1 (Bits).</summary>
    public enum UnitKind
    {
        /// <summary>Real-valued (Vec).</summary>
        Real,
        /// <summary>sᵢ ∈ {−1, +1} (Spins).</summary>
        Spins,
        /// <summary>bᵢ ∈ {0, 1} (Bits).</summary>
        Bits,
    }

    /// <summary>The kernel choice of [EnergyModel(Kernels = …)], mirroring Dsl.KernelPath (same values).</summary>
    public enum KernelChoice
    {
        /// <summary>Fuse what can be fused; torch ops otherwise.</summary>
        Auto = 0,
        /// <summary>Torch ops only.</summary>
        TorchOps = 1,
        /// <summary>Fused required (DSL0018 where an inference expression cannot be fused).</summary>
        Fused = 2,
        /// <summary>TorchScript required on every device (DSL0019 where an inference expression has no TorchScript form).</summary>
        TorchScript = 3,
    }

    /// <summary>One node of a parsed equation.</summary>
    public sealed record ExprSpec(ExprKind Kind, string Text, double Value, EquatableArray<ExprSpec> Args, LocationInfo? Location);

    /// <summary>An equation: its locals (in order) and its result.</summary>
    public sealed record EquationSpec(string MethodName, string SourceText, EquatableArray<ExprSpec> Locals, ExprSpec Result, LocationInfo? Location);

    /// <summary>
    /// A [Param] field. A part's parameter (see <see cref="PartSpec"/>) has <paramref name="Part"/> set to the part's member name and
    /// <paramref name="Name"/> "Part.Name": the part registers it, the model reads it through the part.
    /// </summary>
    public sealed record ParamSpec(string Name, int Rank, EquatableArray<string> Dims, double Init, LocationInfo? Location, string? Part = null);

    /// <summary>
    /// A part: a readonly field or get-only property of the model whose type is another [EnergyModel] class; its energy is
    /// inlined where the model's equation calls it. The constructor creates it with <paramref name="SizeArguments"/> (the
    /// model's size symbols, in the part constructor's order) and registers it as a submodule named <paramref name="Member"/>. <paramref name="EnergySource"/> is the part's energy
    /// as written ("E(x) = …"), cited in the generated file.
    /// </summary>
    public sealed record PartSpec(string Member, string TypeFullName, EquatableArray<string> SizeArguments, string EnergySource, LocationInfo? Location);

    /// <summary>A type containing the model (for nested models).</summary>
    public sealed record ContainerSpec(string Keyword, string Name);

    /// <summary>An [EnergyModel] class ready for lowering.</summary>
    public sealed record ModelSpec(
        string? Namespace,
        EquatableArray<ContainerSpec> Containers,
        string ClassName,
        string FullName,
        string DimSymbol,
        string InputName,
        string? NoiseLevelName,
        string? HiddenName,
        string HiddenDimSymbol,
        UnitKind InputUnits,
        UnitKind HiddenUnits,
        EquationSpec Energy,
        EquationSpec? LogPartition,
        EquatableArray<ParamSpec> Params,
        LocationInfo? ClassLocation,
        KernelChoice Kernels = KernelChoice.Auto,
        bool Subgradients = false,
        EquatableArray<PartSpec> Parts = default,
        EquatableArray<string> SizeMembers = default,
        ConditioningSpec? Conditioning = null);

    /// <summary>The parser's result: a model (when it could be read) and diagnostics.</summary>
    public sealed record ParseResult(ModelSpec? Model, EquatableArray<DiagnosticInfo> Diagnostics);

    /// <summary>
    /// The lower → plan → emit result: one generated file (or none) and diagnostics, with the stage printouts of the run that wrote it
    /// (<paramref name="Plan"/>: the plan; <paramref name="Ir"/>: the simplified IR of the plan's roots), which the stage goldens check.
    /// </summary>
    public sealed record GeneratedModel(string? HintName, string? Source, EquatableArray<DiagnosticInfo> Diagnostics, string? Plan = null, string? Ir = null);
}
