using Microsoft.CodeAnalysis;

namespace Dsl.Generators.Diagnostics
{
    /// <summary>The catalogue of Dsl diagnostics; each id has a page in docs/diagnostics/.</summary>
    public static class DiagnosticDescriptors
    {
        private const string Category = "Dsl";

        /// <summary>
        /// Where the help pages live: every diagnostic's help link is <c>HelpLinkBase + id + ".md"</c>, i.e.
        /// docs/diagnostics/DSLxxxx.md. The default is relative to the repository root (the pages travel with the
        /// source); a hosted copy of the repository changes this one constant to its absolute URL of that folder
        /// (e.g. <c>https://host/owner/Dsl/blob/main/docs/diagnostics/</c>). Tested: every descriptor's link
        /// follows the scheme and names an existing page.
        /// </summary>
        public const string HelpLinkBase = "docs/diagnostics/";

        /// <summary>The help link of a diagnostic id: <see cref="HelpLinkBase"/> + id + ".md".</summary>
        public static string HelpLink(string id) => HelpLinkBase + id + ".md";

        private static DiagnosticDescriptor Make(string id, string title, string message, DiagnosticSeverity severity) =>
            new DiagnosticDescriptor(id, title, message, Category, severity, isEnabledByDefault: true,
                helpLinkUri: HelpLink(id));

        /// <summary>DSL0001: the model class (or a type containing it) is not partial.</summary>
        public static readonly DiagnosticDescriptor NotPartial = Make("DSL0001",
            "Model class must be partial",
            "'{0}' must be declared partial so that Dsl can generate the rest of the model",
            DiagnosticSeverity.Error);

        /// <summary>DSL0002: no [Energy] method, or more than one.</summary>
        public static readonly DiagnosticDescriptor NoEnergy = Make("DSL0002",
            "Model needs exactly one [Energy] method",
            "Energy model '{0}' {1}; declare one method '[Energy] Scalar E(Vec x) => ...'",
            DiagnosticSeverity.Error);

        /// <summary>DSL0003: the [Energy] method has the wrong signature.</summary>
        public static readonly DiagnosticDescriptor EnergySignature = Make("DSL0003",
            "Energy must return Scalar and take one Vec (and optionally a [NoiseLevel] Scalar)",
            "The [Energy] method '{0}' {1}; expected 'Scalar {0}(Vec x)', or 'Scalar {0}(Vec x, [NoiseLevel] Scalar sigma)' (noise-conditional), or 'Scalar {0}(Spins s)' / 'Scalar {0}(Bits b)' (discrete units), or 'Scalar {0}(Bits v, [Hidden] Bits h)' (bipartite; Spins, or a real Vec v, also allowed)",
            DiagnosticSeverity.Error);

        /// <summary>DSL0004: a statement, call or expression that an equation cannot contain.</summary>
        public static readonly DiagnosticDescriptor Unsupported = Make("DSL0004",
            "Unsupported construct in an equation",
            "{0} is not supported in the equation of '{1}': {2}",
            DiagnosticSeverity.Error);

        /// <summary>DSL0005: shapes do not fit.</summary>
        public static readonly DiagnosticDescriptor ShapeMismatch = Make("DSL0005",
            "Shape mismatch",
            "Shape mismatch in '{0}': {1}",
            DiagnosticSeverity.Error);

        /// <summary>DSL0006: a [Param] field whose type or shape Dsl cannot use.</summary>
        public static readonly DiagnosticDescriptor BadParameter = Make("DSL0006",
            "Unsupported parameter",
            "Parameter '{0}' of '{1}': {2}",
            DiagnosticSeverity.Error);

        /// <summary>DSL0007: generic model or model nested in a generic type.</summary>
        public static readonly DiagnosticDescriptor Generic = Make("DSL0007",
            "Generic models are not supported",
            "Energy model '{0}' {1}; models must be non-generic classes in non-generic types",
            DiagnosticSeverity.Error);

        /// <summary>DSL0004's advice for a comparison or conditional expression outside Where's condition: what to write instead.</summary>
        public const string ComparisonAdvice =
            "a choice between values is written Where(u > v, a, b) (also <, >=, <=) with u or v a Scalar or Vec, or Max(a, b) / Min(a, b); a comparison is only Where's condition, and ==, != and ?: are not read";

        /// <summary>DSL0008: a score is needed through a non-differentiable operation.</summary>
        public static readonly DiagnosticDescriptor NonDifferentiable = Make("DSL0008",
            "Non-differentiable operation where a score is needed",
            "'{0}' is not differentiable in x, but the score of '{1}' needs its derivative; use a smooth alternative (e.g. Softplus, Sqrt(Square(u) + eps)), or for Abs, Relu, Max, Min and Where in an energy model over a real Vec x mark the class [Subgradient] to use their subgradient (0 at a kink; at a tie of Max, Min or Where the branch the comparison selects)",
            DiagnosticSeverity.Error);

        /// <summary>DSL0009: the exact score divergence is not generated (info).</summary>
        public static readonly DiagnosticDescriptor DivergenceNotGenerated = Make("DSL0009",
            "Exact score divergence not generated",
            "ScoreDivergence is not generated for '{0}': {1}; use a Hutchinson or autograd estimate instead",
            DiagnosticSeverity.Info);

        /// <summary>DSL0010: a helper method calls itself.</summary>
        public static readonly DiagnosticDescriptor Recursive = Make("DSL0010",
            "Recursive helper",
            "The helper '{0}' is recursive ({1}); equations are inlined and must not recurse",
            DiagnosticSeverity.Error);

        /// <summary>DSL0011: the model's expression is too large to derive.</summary>
        public static readonly DiagnosticDescriptor TooLarge = Make("DSL0011",
            "Equation too large",
            "The equation of '{0}' is too large to derive: {1}",
            DiagnosticSeverity.Error);

        /// <summary>DSL0012: the [LogPartition] method is invalid.</summary>
        public static readonly DiagnosticDescriptor BadLogPartition = Make("DSL0012",
            "Invalid log-partition",
            "The [LogPartition] method '{0}' {1}; expected 'Scalar {0}()' that depends on parameters only",
            DiagnosticSeverity.Error);

        /// <summary>DSL0013: an [Sde] class's [Drift] or [Diffusion] member is missing, repeated or has the wrong signature.</summary>
        public static readonly DiagnosticDescriptor SdeSignature = Make("DSL0013",
            "Invalid SDE member",
            "The SDE '{0}' {1}; expected '[Drift] Vec F(Vec x, Scalar t)' and a diffusion '[Diffusion] Scalar G(Scalar t)' (or Vec or Mat G, optionally G(Vec x, Scalar t))",
            DiagnosticSeverity.Error);

        /// <summary>DSL0014: the drift is not a Vec of x's dimension.</summary>
        public static readonly DiagnosticDescriptor DriftShape = Make("DSL0014",
            "Drift must have x's dimension",
            "The drift of the SDE '{0}' must be a Vec of the dimension of x per sample, but the expression is {1}",
            DiagnosticSeverity.Error);

        /// <summary>DSL0015: the perturbation kernel has no closed form here (info: the fallback used).</summary>
        public static readonly DiagnosticDescriptor MarginalFallback = Make("DSL0015",
            "Perturbation kernel not in closed form",
            "The perturbation kernel of the SDE '{0}' {1}",
            DiagnosticSeverity.Info);

        /// <summary>DSL0040: an SDE without a Gaussian perturbation kernel (a nonlinear drift, or a diffusion that reads x): its kernel members throw.</summary>
        public static readonly DiagnosticDescriptor NoGaussianKernel = Make("DSL0040",
            "SDE without a Gaussian perturbation kernel",
            "The SDE '{0}' has no Gaussian perturbation kernel: {1}",
            DiagnosticSeverity.Warning);

        /// <summary>DSL0016: a [Hidden] energy that is not bipartite and multilinear, so h cannot be summed out.</summary>
        public static readonly DiagnosticDescriptor NotBipartite = Make("DSL0016",
            "Energy is not bipartite in its visible and hidden units",
            "The energy of '{0}' {1}; block Gibbs sampling and the free energy need E(v, h) linear in h for fixed v, and for fixed h linear in discrete v or a separable quadratic (diagonal Hessian) in a real v: no v–v or h–h couplings",
            DiagnosticSeverity.Error);

        /// <summary>DSL0017: an energy over Spins or Bits whose local fields cannot give the single-unit conditionals.</summary>
        public static readonly DiagnosticDescriptor NotPairwise = Make("DSL0017",
            "Energy over discrete units is not pairwise",
            "The energy of '{0}' over its {1} '{2}' {3}; the generated local fields aᵢ = −∂E/∂{2}ᵢ give exact single-unit conditionals and flip energies only for polynomials of degree ≤ 2 in the units (rewrite powers: sᵢ² = 1 for spins, bᵢ² = bᵢ for bits)",
            DiagnosticSeverity.Error);

        /// <summary>DSL0020: a [Flow] class without exactly one well-typed [Transform] method.</summary>
        public static readonly DiagnosticDescriptor FlowSignature = Make("DSL0020",
            "Invalid flow layer",
            "The flow layer '{0}' {1}; declare one method '[Transform] Vec F(Vec z) => z + U * Tanh(Dot(W, z) + B)'",
            DiagnosticSeverity.Error);

        /// <summary>DSL0021: a [Transform] that is not z + u·g(z), so its log-determinant is not derived.</summary>
        public static readonly DiagnosticDescriptor FlowNotRankOne = Make("DSL0021",
            "Flow transform is not a rank-one update of z",
            "The transform of '{0}' {1}; its log|det ∂f/∂z| is derived by the matrix determinant lemma only for f(z) = z + u·g(z) with u a Vec free of z and g(z) a Scalar (the planar flow)",
            DiagnosticSeverity.Error);

        /// <summary>DSL0060: a [Transform] that concatenates two blocks but is not an affine coupling, so no inverse or log-determinant is derived.</summary>
        public static readonly DiagnosticDescriptor FlowNotCoupling = Make("DSL0060",
            "Flow transform is not an affine coupling",
            "The transform of '{0}' {1}; a Concat of two blocks is derived as an affine coupling only for Concat(z[..K], z[K..] * a(z[..K]) + b(z[..K])) or Concat(z[..K] * a(z[K..]) + b(z[K..]), z[K..]) with a and b reading only the copied block (RealNVP: a = Exp(S(z_A)))",
            DiagnosticSeverity.Error);

        /// <summary>DSL0061: LogDet, Inverse or Solve of a matrix that is not square (or not a Mat), or Solve with a right-hand side that is not a Vec of A's size.</summary>
        public static readonly DiagnosticDescriptor NotSquareMatrix = Make("DSL0061",
            "LogDet, Inverse and Solve need a square matrix",
            "In '{0}': {1}; write {2}",
            DiagnosticSeverity.Error);

        /// <summary>DSL0022: a [KlDivergence] whose KL(q‖p) has no closed form by the Gaussian-expectation rule (or whose log-densities are mistyped).</summary>
        public static readonly DiagnosticDescriptor KlNotClosedForm = Make("DSL0022",
            "KL divergence not derivable in closed form",
            "The KL divergence of '{0}' cannot be generated: {1}; KL(q‖p) = E_q[log q − log p] is derived exactly when log q is quadratic in z with a diagonal Hessian (q = N(m, diag v)) and log q − log p is a polynomial of degree ≤ 2 in z",
            DiagnosticSeverity.Error);

        /// <summary>DSL0018: [EnergyModel(Kernels = KernelPath.Fused)] on a model with an inference expression the fused CPU emitter cannot fuse.</summary>
        public static readonly DiagnosticDescriptor FusedUnavailable = Make("DSL0018",
            "Fused kernel required but not available",
            "'{0}' asks for fused kernels (Kernels = KernelPath.Fused) but {1}; use KernelPath.Auto (fuse what can be fused) or KernelPath.TorchOps",
            DiagnosticSeverity.Error);

        /// <summary>DSL0019: [EnergyModel(Kernels = KernelPath.TorchScript)] on a model with an inference expression the TorchScript emitter cannot write.</summary>
        public static readonly DiagnosticDescriptor TorchScriptUnavailable = Make("DSL0019",
            "TorchScript kernel required but not available",
            "'{0}' asks for TorchScript kernels (Kernels = KernelPath.TorchScript) but {1}; use KernelPath.Auto (TorchScript on CUDA where it can be written) or KernelPath.TorchOps",
            DiagnosticSeverity.Error);

        /// <summary>DSL0030: a [Subgradient] model's score goes through a kinked function, differentiated by its subgradient (info, one per place).</summary>
        public static readonly DiagnosticDescriptor SubgradientUsed = Make("DSL0030",
            "Subgradient used",
            "The score of '{0}' differentiates '{1}' by its subgradient {2}, as [Subgradient] allows",
            DiagnosticSeverity.Info);

        /// <summary>DSL0031: √u or u^p (p &lt; 1) of an x-dependent u that can be 0: the derivative is infinite there (warning).</summary>
        public static readonly DiagnosticDescriptor SingularDerivative = Make("DSL0031",
            "Derivative singular where the expression is defined",
            "The score of '{0}' is infinite or NaN where {1} = 0, which its argument can reach: write {2}",
            DiagnosticSeverity.Warning);

        /// <summary>DSL0050: a part whose [EnergyModel] class has no source in this compilation (declared in another assembly).</summary>
        public static readonly DiagnosticDescriptor PartWithoutSource = Make("DSL0050",
            "Part's model has no source in this compilation",
            "The part '{0}' of '{1}' is a '{2}', whose source is not in this compilation, so its energy cannot be inlined; declare the part's model in this project (copy its [EnergyModel] class) or write its energy in '{1}' directly",
            DiagnosticSeverity.Error);

        /// <summary>DSL0051: a part whose energy cannot be inlined (signature, accessibility, nested parts).</summary>
        public static readonly DiagnosticDescriptor PartNotInlinable = Make("DSL0051",
            "Part's energy cannot be inlined",
            "The part '{0}' of '{1}' cannot be used: '{2}' {3}",
            DiagnosticSeverity.Error);

        /// <summary>DSL0052: a member holding a part that is not a readonly field or get-only auto-property, or whose names clash.</summary>
        public static readonly DiagnosticDescriptor PartDeclaration = Make("DSL0052",
            "Invalid part declaration",
            "The part '{0}' of '{1}' cannot be used: {2}",
            DiagnosticSeverity.Error);

        /// <summary>DSL0035: an index, slice bound or Eye size that is not a size expression (a literal, a model size, ^k, sums of them).</summary>
        public static readonly DiagnosticDescriptor NotASize = Make("DSL0035",
            "Index, slice bound or size is not a size",
            "'{0}' in the equation of '{1}' is not a size: {2}",
            DiagnosticSeverity.Error);

        // ---- Conditioning inputs ([Time], [Condition]): DSL0045–DSL0049. ----

        /// <summary>DSL0045: a misused [Time] argument (not Scalar, two of them, together with [NoiseLevel], on x, on discrete units).</summary>
        public static readonly DiagnosticDescriptor BadTimeInput = Make("DSL0045",
            "Invalid [Time] input",
            "The [Energy] method '{0}' {1}; write {2}",
            DiagnosticSeverity.Error);

        /// <summary>DSL0046: a misused [Condition] argument (not Vec or Label, two of them, on x, together with [Hidden] or [NoiseLevel], on discrete units).</summary>
        public static readonly DiagnosticDescriptor BadConditionInput = Make("DSL0046",
            "Invalid [Condition] input",
            "The [Energy] method '{0}' {1}; write {2}",
            DiagnosticSeverity.Error);

        /// <summary>DSL0047: a label used where the generator cannot tell its number of classes (OneHot's K not the length of a Vec, two class counts).</summary>
        public static readonly DiagnosticDescriptor BadLabelUse = Make("DSL0047",
            "Invalid use of a class label",
            "In '{0}', {1}; write {2}",
            DiagnosticSeverity.Error);

        /// <summary>DSL9999: an internal error of the generator (reported instead of crashing the build).</summary>
        public static readonly DiagnosticDescriptor Internal = Make("DSL9999",
            "Internal generator error",
            "Dsl could not generate '{0}': {1}. Please report this with the model's source.",
            DiagnosticSeverity.Error);
    }
}
