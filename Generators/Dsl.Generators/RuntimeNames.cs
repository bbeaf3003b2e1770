using System;
using System.Collections.Generic;

namespace Dsl.Generators
{
    /// <summary>
    /// The generator–runtime contract by name (after System.Text.Json's KnownTypeSymbols): every runtime, TorchSharp and BCL type
    /// or member the emitters and the planner write into generated C#, fully qualified with <c>global::</c>. Emitters spell these
    /// names only through this class; Tests/Dsl.Generators.Tests/RuntimeNamesTests.cs resolves every constant here by reflection
    /// against the Runtime assembly (Dsl.Runtime), TorchSharp and the BCL, and fails if an emitter source outside this file
    /// contains a <c>global::Dsl.</c>, <c>global::TorchSharp.</c> or <c>global::System.</c> literal.
    /// </summary>
    /// <remarks>
    /// A type whose members the emitters spell is a nested class: <c>Name</c> is the type, <c>Prefix</c> (where emitters append a
    /// member name themselves) is <c>Name + "."</c>, and every other constant is <c>Name + "." + member</c>. A type spelled only as
    /// itself is a constant. Generic types are named without their type arguments (<c>Span</c> is written <c>Span&lt;T&gt;</c>).
    /// </remarks>
    public static class RuntimeNames
    {
        // ---- TorchSharp: the tensor library every generated method computes with. ----

        /// <summary>TorchSharp's <c>torch</c> and the types generated signatures use.</summary>
        public static class Torch
        {
            /// <summary>The static class <c>torch</c> (factories such as <c>empty</c>, <c>ScalarType</c>, <c>no_grad</c>).</summary>
            public const string Name = "global::TorchSharp.torch";
            /// <summary>Every batched argument and result.</summary>
            public const string Tensor = Name + ".Tensor";
            /// <summary>The random generator of the bipartite samplers.</summary>
            public const string Generator = Name + ".Generator";
        }

        // ---- BCL: host arithmetic, spans and SIMD in the fused CPU kernels. ----

        /// <summary>Base-class-library types generated code names.</summary>
        public static class Bcl
        {
            /// <summary><c>System.Math</c>: host-side double arithmetic (fused scalar bodies, SDE closed forms, TorchScript size checks).</summary>
            public static class Math
            {
                /// <summary>The type.</summary>
                public const string Name = "global::System.Math";
                /// <summary>The op table's <c>{Math}</c> placeholder and the fused emitter's member prefix.</summary>
                public const string Prefix = Name + ".";
                /// <summary>Max.</summary>
                public const string Max = Name + ".Max";
                /// <summary>Min.</summary>
                public const string Min = Name + ".Min";
                /// <summary>Exp.</summary>
                public const string Exp = Name + ".Exp";
                /// <summary>Log.</summary>
                public const string Log = Name + ".Log";
                /// <summary>Sqrt.</summary>
                public const string Sqrt = Name + ".Sqrt";
                /// <summary>Pow.</summary>
                public const string Pow = Name + ".Pow";
                /// <summary>π.</summary>
                public const string PI = Name + ".PI";
            }

            /// <summary><c>Vector256</c> (and <c>Vector256&lt;double&gt;</c>): the fused emitter's four-lane bodies; the op table's <c>{Vector256}</c> placeholder.</summary>
            public const string Vector256 = "global::System.Runtime.Intrinsics.Vector256";
            /// <summary><c>Span&lt;T&gt;</c>: the fused kernels' views of tensor storage.</summary>
            public const string Span = "global::System.Span";
            /// <summary>The stencil reads of a multi-spin-coded sweep's flip-energy function.</summary>
            public const string ReadOnlySpan = "global::System.ReadOnlySpan";
            /// <summary>The constraint of the fused kernels' float/double generic bodies.</summary>
            public const string IFloatingPointIeee754 = "global::System.Numerics.IFloatingPointIeee754";
            /// <summary>Thrown by SDE members that a drift form does not support.</summary>
            public const string NotSupportedException = "global::System.NotSupportedException";
        }

        // ---- Dsl (Runtime/Interfaces, Runtime/Attributes, Runtime/Equations, ...): the user-facing surface generated classes implement. ----

        /// <summary>User-facing types in the runtime's <c>Dsl</c> namespaces.</summary>
        public static class Api
        {
            /// <summary>The symbolic scalar wrapper the energy methods take and return (also the rank-0 parameter kind).</summary>
            public const string Scalar = "global::Dsl.Scalar";
            /// <summary>The rank-1 wrapper (real inputs and rank-1 parameters).</summary>
            public const string Vec = "global::Dsl.Vec";
            /// <summary>The rank-2 parameter wrapper.</summary>
            public const string Mat = "global::Dsl.Mat";
            /// <summary>The ±1 unit wrapper of discrete models.</summary>
            public const string Spins = "global::Dsl.Spins";
            /// <summary>The 0/1 unit wrapper of discrete models.</summary>
            public const string Bits = "global::Dsl.Bits";
            /// <summary>The namespace prefix the emitters put before a wrapper's short name (<c>Scalar</c>, <c>Vec</c>, <c>Mat</c>, <c>Spins</c>, <c>Bits</c>).</summary>
            public const string Prefix = "global::Dsl.";

            /// <summary>The kind of a discrete model's units (<c>Units</c>, <c>VisibleUnits</c>, <c>HiddenUnits</c>).</summary>
            public static class UnitKind
            {
                /// <summary>The enum.</summary>
                public const string Name = "global::Dsl.UnitKind";
                /// <summary>Emitters append the member named like the generator's <c>Model.UnitKind</c> value.</summary>
                public const string Prefix = Name + ".";
                /// <summary>±1 units.</summary>
                public const string Spins = Name + ".Spins";
                /// <summary>0/1 units.</summary>
                public const string Bits = Name + ".Bits";
            }

            /// <summary>The backend a model's <c>[EnergyModel(Kernels = ...)]</c> forces.</summary>
            public static class KernelPath
            {
                /// <summary>The enum.</summary>
                public const string Name = "global::Dsl.KernelPath";
                /// <summary>The TorchScript kernels.</summary>
                public const string TorchScript = Name + ".TorchScript";
                /// <summary>The fused CPU kernels.</summary>
                public const string Fused = Name + ".Fused";
            }

            /// <summary>The race-free Scalar forms of tensor arithmetic (Runtime/Native/ScalarOps.cs); the op table's <c>{Ops}</c> placeholder.</summary>
            public static class ScalarOps
            {
                /// <summary>The type.</summary>
                public const string Name = "global::Dsl.ScalarOps";
                /// <summary>The prefix emitters append member names to.</summary>
                public const string Prefix = Name + ".";
            }

            /// <summary>The counter-based generator the checkerboard sweep draws from.</summary>
            public static class CounterRandom
            {
                /// <summary>The type.</summary>
                public const string Name = "global::Dsl.CounterRandom";
                /// <summary>A key from a seed (named in the sweep's documentation comment).</summary>
                public const string KeyFrom = Name + ".KeyFrom";
                /// <summary>A per-colour subkey.</summary>
                public const string SubKey = Name + ".SubKey";
            }

            /// <summary>The site update rule (Gibbs / Metropolis) of the checkerboard sweep.</summary>
            public const string SpinUpdate = "global::Dsl.Discrete.SpinUpdate";
        }

        // ---- Interfaces the planner lists for a generated class (Runtime/Interfaces, Runtime/Sde, Runtime/Flows). ----

        /// <summary>The interfaces a plan's <c>Interfaces</c> name.</summary>
        public static class Interfaces
        {
            /// <summary>Energy and score of an [EnergyModel].</summary>
            public const string IEnergyScoreModel = "global::Dsl.IEnergyScoreModel";
            /// <summary>The model's equations.</summary>
            public const string IEquationModel = "global::Dsl.IEquationModel";
            /// <summary>The fused Langevin step with counter noise.</summary>
            public const string ICounterNoiseStepModel = "global::Dsl.ICounterNoiseStepModel";
            /// <summary>A noise-conditional (σ-input) model.</summary>
            public const string INoiseConditionalModel = "global::Dsl.INoiseConditionalModel";
            /// <summary>The noise-conditional fused step.</summary>
            public const string INoiseConditionalStepModel = "global::Dsl.INoiseConditionalStepModel";
            /// <summary>The noise-conditional score divergence.</summary>
            public const string INoiseConditionalDivergenceModel = "global::Dsl.INoiseConditionalDivergenceModel";
            /// <summary>A noise-conditional model with the one-pass shared-level flow and divergence.</summary>
            public const string INoiseConditionalFlowModel = "global::Dsl.INoiseConditionalFlowModel";
            /// <summary>The score divergence.</summary>
            public const string IScoreDivergenceModel = "global::Dsl.IScoreDivergenceModel";
            /// <summary>The noise-conditional log density.</summary>
            public const string INoiseConditionalLogProbModel = "global::Dsl.INoiseConditionalLogProbModel";
            /// <summary>The log density (energy plus log-partition).</summary>
            public const string ILogProbModel = "global::Dsl.ILogProbModel";
            /// <summary>A lattice model with the generated checkerboard sweep.</summary>
            public const string ILatticeSweepModel = "global::Dsl.ILatticeSweepModel";
            /// <summary>A lattice model with a multi-spin-coded sweep.</summary>
            public const string IMultiSpinSweepModel = "global::Dsl.IMultiSpinSweepModel";
            /// <summary>A discrete-unit energy model.</summary>
            public const string IDiscreteEnergyModel = "global::Dsl.IDiscreteEnergyModel";
            /// <summary>A visible/hidden (RBM-like) model.</summary>
            public const string IBipartiteModel = "global::Dsl.IBipartiteModel";
            /// <summary>A generated SDE.</summary>
            public const string ISde = "global::Dsl.Sde.ISde";
            /// <summary>A generated general SDE ([Param] members, per-coordinate or matrix diffusion, linear drift F(t)x).</summary>
            public const string IGeneralSde = "global::Dsl.Sde.IGeneralSde";
            /// <summary>A generated flow layer.</summary>
            public const string IFlowLayer = "global::Dsl.Flows.IFlowLayer";
            /// <summary>A generated flow layer with a closed-form inverse (an affine coupling).</summary>
            public const string IInvertibleFlowLayer = "global::Dsl.Flows.IInvertibleFlowLayer";
        }

        /// <summary>
        /// Energies with [Time] and [Condition] inputs E(x, t | y): their interfaces (Runtime/Interfaces/ConditioningInterfaces.cs),
        /// the argument checks their methods call (Runtime/GeneratedCode/ConditioningChecks.cs) and the Label wrapper.
        /// </summary>
        public static class Conditioning
        {
            /// <summary>E(x, t) and s(x, t) = −∇ₓE(x, t) (also an ITimeScoreModel).</summary>
            public const string ITimeEnergyModel = "global::Dsl.ITimeEnergyModel";
            /// <summary>The exact divergence ∇ₓ·s(x, t) of a time-dependent energy.</summary>
            public const string ITimeScoreDivergenceModel = "global::Dsl.Sde.ITimeScoreDivergenceModel";
            /// <summary>E(x | y) and s(x | y).</summary>
            public const string IConditionalEnergyModel = "global::Dsl.IConditionalEnergyModel";
            /// <summary>E(x, t | y) and s(x, t | y).</summary>
            public const string ITimeConditionalEnergyModel = "global::Dsl.ITimeConditionalEnergyModel";
            /// <summary>What a condition is (ConditionKind property).</summary>
            public const string ConditionKind = "global::Dsl.ConditionKind";
            /// <summary>The observation kind.</summary>
            public const string ConditionKindVector = "global::Dsl.ConditionKind.Vector";
            /// <summary>The label kind.</summary>
            public const string ConditionKindLabel = "global::Dsl.ConditionKind.Label";
            /// <summary>The label wrapper the eager equations take.</summary>
            public const string Label = "global::Dsl.Label";
            /// <summary>Checks a time argument and returns it as [N].</summary>
            public const string CheckTime = "global::Dsl.GeneratedCode.ConditioningChecks.Time";
            /// <summary>Checks an observation argument [N, K].</summary>
            public const string CheckObservation = "global::Dsl.GeneratedCode.ConditioningChecks.Observation";
            /// <summary>Checks labels and returns their one-hot [N, K].</summary>
            public const string OneHot = "global::Dsl.GeneratedCode.ConditioningChecks.OneHot";
        }

        // ---- Dsl.GeneratedCode (Runtime/GeneratedCode): support only generated code calls. ----

        /// <summary>The generated-code contract folder and namespace.</summary>
        public static class GeneratedCode
        {
            /// <summary>The base class of every generated model (parameters by name, <c>Kernels</c>).</summary>
            public const string GeneratedModule = "global::Dsl.GeneratedCode.GeneratedModule";
            /// <summary>The static description (<c>Info</c>) of a generated model.</summary>
            public const string ModelInfo = "global::Dsl.GeneratedCode.ModelInfo";
            /// <summary>The counter-based noise the fused steps draw.</summary>
            public const string CounterNoise = "global::Dsl.GeneratedCode.CounterNoise";
            /// <summary>A compiled TorchScript unit of a model's kernels.</summary>
            public const string TorchScriptUnit = "global::Dsl.GeneratedCode.TorchScriptUnit";

            /// <summary>The tabulated Gaussian marginal of an SDE whose coefficients have no closed form.</summary>
            public static class MarginalTable
            {
                /// <summary>The type.</summary>
                public const string Name = "global::Dsl.GeneratedCode.MarginalTable";
                /// <summary>Tabulates the drift and diffusion coefficients.</summary>
                public const string Build = Name + ".Build";
            }

            /// <summary>The Gaussian kernel N(Φx₀, Σ) of a general linear SDE and its diffusion algebra.</summary>
            public static class LinearSdeKernel
            {
                /// <summary>The type.</summary>
                public const string Name = "global::Dsl.GeneratedCode.LinearSdeKernel";
                /// <summary>F = aI + diag(d) + M.</summary>
                public const string DriftMatrix = Name + ".DriftMatrix";
                /// <summary>G as a matrix.</summary>
                public const string DiffusionMatrix = Name + ".DiffusionMatrix";
                /// <summary>G·v.</summary>
                public const string Times = Name + ".Times";
                /// <summary>GGᵀ·v.</summary>
                public const string CovarianceTimes = Name + ".CovarianceTimes";
                /// <summary>GGᵀ.</summary>
                public const string Covariance = Name + ".Covariance";
                /// <summary>Φ and Σ by Van Loan's block exponential.</summary>
                public const string VanLoan = Name + ".VanLoan";
                /// <summary>Φ and Σ by float64 RK4.</summary>
                public const string Tabulate = Name + ".Tabulate";
                /// <summary>M·x batched.</summary>
                public const string Apply = Name + ".Apply";
                /// <summary>Φx₀ + L·noise.</summary>
                public const string Perturb = Name + ".Perturb";
                /// <summary>−Σ⁻¹(x − Φx₀).</summary>
                public const string Score = Name + ".Score";
                /// <summary>log N(x; 0, Σ).</summary>
                public const string GaussianLogProb = Name + ".GaussianLogProb";
                /// <summary>Draws from N(0, Σ).</summary>
                public const string SampleGaussian = Name + ".SampleGaussian";
                /// <summary>tr F.</summary>
                public const string Trace = Name + ".Trace";
                /// <summary>diag(v).</summary>
                public const string Diagonal = Name + ".Diagonal";
                /// <summary>A member at one float64 time.</summary>
                public const string At = Name + ".At";
                /// <summary>A [1] time tensor.</summary>
                public const string Time = Name + ".Time";
                /// <summary>Runs a tensor expression in its own dispose scope.</summary>
                public const string Scoped = Name + ".Scoped";
            }

            /// <summary>The diffusion forms of a general SDE (Dsl.Sde.DiffusionForm).</summary>
            public static class DiffusionForm
            {
                /// <summary>The enum.</summary>
                public const string Name = "global::Dsl.Sde.DiffusionForm";
                /// <summary>Scalar g.</summary>
                public const string Scalar = Name + ".Scalar";
                /// <summary>Per-coordinate g.</summary>
                public const string Diagonal = Name + ".Diagonal";
                /// <summary>Matrix G.</summary>
                public const string Matrix = Name + ".Matrix";
            }

            /// <summary>The kernel forms of a general SDE (Dsl.Sde.GaussianKernelForm).</summary>
            public static class GaussianKernelForm
            {
                /// <summary>The enum.</summary>
                public const string Name = "global::Dsl.Sde.GaussianKernelForm";
                /// <summary>None.</summary>
                public const string None = Name + ".None";
                /// <summary>Closed form per coordinate.</summary>
                public const string ClosedForm = Name + ".ClosedForm";
                /// <summary>Van Loan.</summary>
                public const string MatrixExponential = Name + ".MatrixExponential";
                /// <summary>RK4 in float64.</summary>
                public const string Tabulated = Name + ".Tabulated";
                /// <summary>Van Loan at the integrated coefficient B(t).</summary>
                public const string TimeChangedMatrixExponential = Name + ".TimeChangedMatrixExponential";
            }

            /// <summary>When the TorchScript kernels run.</summary>
            public static class TorchScriptKernels
            {
                /// <summary>The type.</summary>
                public const string Name = "global::Dsl.GeneratedCode.TorchScriptKernels";
                /// <summary>True when the kernels accept the inputs.</summary>
                public const string Accepts = Name + ".Accepts";
            }

            /// <summary>Argument checks of generated SDE members.</summary>
            public static class SdeChecks
            {
                /// <summary>The type.</summary>
                public const string Name = "global::Dsl.GeneratedCode.SdeChecks";
                /// <summary>A time argument in range.</summary>
                public const string Time = Name + ".Time";
                /// <summary>A state and its time.</summary>
                public const string State = Name + ".State";
                /// <summary>Two tensors of one shape.</summary>
                public const string SameShape = Name + ".SameShape";
                /// <summary>A batch of states.</summary>
                public const string Batch = Name + ".Batch";
            }

            /// <summary>The constant selector matrices of slices, Concat, Eye and Block.</summary>
            public static class Structured
            {
                /// <summary>The type.</summary>
                public const string Name = "global::Dsl.GeneratedCode.Structured";
                /// <summary>The 0/1 selector S[r, j] = [j = r + offset].</summary>
                public const string Selector = Name + ".Selector";
                /// <summary>S v along the last axis without the matrix (a narrow and a zero pad).</summary>
                public const string SelectorTimes = Name + ".SelectorTimes";
            }

            /// <summary>Lattice (torus) shifts and neighbour sums, and their size checks.</summary>
            public static class Lattice
            {
                /// <summary>The type.</summary>
                public const string Name = "global::Dsl.GeneratedCode.Lattice";
                /// <summary>A torus shift.</summary>
                public const string Roll = Name + ".Roll";
                /// <summary>The four-neighbour sum.</summary>
                public const string NeighbourSum = Name + ".NeighbourSum";
                /// <summary>The size check of a shift.</summary>
                public const string CheckRoll = Name + ".CheckRoll";
                /// <summary>The size check of a neighbour sum.</summary>
                public const string CheckNeighbourSum = Name + ".CheckNeighbourSum";
            }

            /// <summary>The driver of the generated checkerboard sweep.</summary>
            public static class CheckerboardSweeps
            {
                /// <summary>The type.</summary>
                public const string Name = "global::Dsl.GeneratedCode.CheckerboardSweeps";
                /// <summary>Argument checks.</summary>
                public const string Check = Name + ".Check";
                /// <summary>Runs the colour passes.</summary>
                public const string Run = Name + ".Run";
                /// <summary>Fills one row of uniforms.</summary>
                public const string FillRow = Name + ".FillRow";
                /// <summary>Periodic index wrap.</summary>
                public const string Wrap = Name + ".Wrap";
            }

            /// <summary>The driver of the generated multi-spin-coded sweep.</summary>
            public static class MultiSpinSweeps
            {
                /// <summary>The type.</summary>
                public const string Name = "global::Dsl.GeneratedCode.MultiSpinSweeps";
                /// <summary>Packs, sweeps and unpacks.</summary>
                public const string Run = Name + ".Run";
            }

            /// <summary>The flip energy of one configuration of a unit and its stencil reads.</summary>
            public const string ConfigurationFlipEnergy = "global::Dsl.GeneratedCode.ConfigurationFlipEnergy";

            /// <summary>One site update of the checkerboard sweep.</summary>
            public static class SiteRule
            {
                /// <summary>The type.</summary>
                public const string Name = "global::Dsl.GeneratedCode.SiteRule";
                /// <summary>1 when a unit changed.</summary>
                public const string Changed = Name + ".Changed";
            }

            /// <summary>Helpers of the fused CPU kernels; the op table's <c>{Kernels}</c> placeholder.</summary>
            public static class FusedKernels
            {
                /// <summary>The type.</summary>
                public const string Name = "global::Dsl.GeneratedCode.FusedKernels";
                /// <summary>The prefix emitters append member names to.</summary>
                public const string Prefix = Name + ".";
                /// <summary>True when the fused kernels accept the inputs.</summary>
                public const string Accepts = Name + ".Accepts";
                /// <summary>True when a contraction is small enough to fuse.</summary>
                public const string Small = Name + ".Small";
                /// <summary>Counts fused calls (tests).</summary>
                public const string Count = Name + ".Count";
                /// <summary>A tensor's storage as a span.</summary>
                public const string Span = Name + ".Span";
                /// <summary>The parallel loop over samples.</summary>
                public const string For = Name + ".For";
                /// <summary>Strided read.</summary>
                public const string Gather = Name + ".Gather";
                /// <summary>Strided write.</summary>
                public const string Scatter = Name + ".Scatter";
                /// <summary>Per-thread scratch.</summary>
                public const string Scratch = Name + ".Scratch";
                /// <summary>Per-thread vector scratch.</summary>
                public const string VectorScratch = Name + ".VectorScratch";
                /// <summary>The samples per block of drawn noise.</summary>
                public const string NoiseBlock = Name + ".NoiseBlock";
                /// <summary>A block of normal draws from counter noise.</summary>
                public const string Normals = Name + ".Normals";
                /// <summary>A block of zeros in place of normal draws (a step with b = 0).</summary>
                public const string Zeros = Name + ".Zeros";
                /// <summary>The output tensor of a fused step.</summary>
                public const string StepOutput = Name + ".StepOutput";
                /// <summary>A tensor itself when contiguous, else a contiguous copy.</summary>
                public const string Contiguous = Name + ".Contiguous";
                /// <summary>A parameter's values.</summary>
                public const string Read = Name + ".Read";
                /// <summary>A scalar parameter's value.</summary>
                public const string ReadScalar = Name + ".ReadScalar";
                /// <summary>max + log(sum) per lane.</summary>
                public const string LogSumExpFinish = Name + ".LogSumExpFinish";
            }
        }

        // ---- The op table's spelling placeholders (Dsl.Symbolic's OpTable.Placeholders keeps the same texts; a test checks they agree). ----

        /// <summary>The text every op-table spelling placeholder stands for in generated code.</summary>
        public static IReadOnlyDictionary<string, string> SpellingPrefixes { get; } = new Dictionary<string, string>
        {
            ["Ops"] = Api.ScalarOps.Prefix,
            ["Kernels"] = GeneratedCode.FusedKernels.Prefix,
            ["Math"] = Bcl.Math.Prefix,
            ["Vector256"] = Bcl.Vector256,
        };

        /// <summary>The text of spelling placeholder <paramref name="placeholder"/>.</summary>
        public static string SpellingPrefix(string placeholder) =>
            SpellingPrefixes.TryGetValue(placeholder, out var text) ? text : throw new ArgumentException("unknown spelling placeholder {" + placeholder + "}");

        // ---- Members generated classes call unqualified: on their base class, or on a generated field. ----

        /// <summary>
        /// Members a generated class calls on its base <see cref="GeneratedCode.GeneratedModule"/> (and its base ParameterModule),
        /// written unqualified; <c>On</c> names the type RuntimeNamesTests resolves them on (protected members count).
        /// </summary>
        public static class BaseMembers
        {
            /// <summary>The type the members are looked up on.</summary>
            public const string On = GeneratedCode.GeneratedModule;
            /// <summary>Checks a batched argument's rank, size, dtype and device (one line naming model, method and argument).</summary>
            public const string CheckInput = "CheckInput";
            /// <summary>Checks a dimension size passed to the constructor.</summary>
            public const string CheckSize = "CheckSize";
            /// <summary>Registers a [Param] with TorchSharp and initialises it.</summary>
            public const string RegisterParam = "RegisterParam";
            /// <summary>The current tensor of a parameter by name.</summary>
            public const string Param = "Param";
            /// <summary>The run-time kernel path (KernelPath) the fused and TorchScript fast paths read.</summary>
            public const string Kernels = "Kernels";
            /// <summary>The model's name, for messages.</summary>
            public const string ModelName = "ModelName";
            /// <summary>Checks that two arguments have the same batch size.</summary>
            public const string CheckSameBatch = "CheckSameBatch";
            /// <summary>Checks σ against x (one per sample, positive, finite).</summary>
            public const string CheckNoiseLevel = "CheckNoiseLevel";
            /// <summary>Checks the scalar factors of a fused step.</summary>
            public const string CheckStepFactors = "CheckStepFactors";
            /// <summary>Checks the noise level, the factors and the two outputs of the shared-level flow.</summary>
            public const string CheckFlowArguments = "CheckFlowArguments";
            /// <summary>x converted to the parameters' dtype.</summary>
            public const string InParameterType = "InParameterType";
            /// <summary>Checks visible and hidden units of a bipartite model together.</summary>
            public const string CheckHidden = "CheckHidden";
            /// <summary>Checks hidden units alone.</summary>
            public const string CheckHiddenOnly = "CheckHiddenOnly";
            /// <summary>Checks 0/1 units.</summary>
            public const string CheckBits = "CheckBits";
            /// <summary>Checks ±1 units.</summary>
            public const string CheckSpins = "CheckSpins";
            /// <summary>Checks a Gaussian visible precision is positive.</summary>
            public const string CheckPrecision = "CheckPrecision";
            /// <summary>Registers another generated model as a part (a submodule whose parameters are read as "Part.Name").</summary>
            public const string RegisterPart = "RegisterPart";
            /// <summary>The parameters' dtype.</summary>
            public const string DType = "DType";
            /// <summary>The parameters' device.</summary>
            public const string Device = "Device";
        }

        /// <summary>Members of the generated <c>torchScript</c> field (a <see cref="GeneratedCode.TorchScriptUnit"/>) that generated methods call.</summary>
        public static class TorchScriptUnitMembers
        {
            /// <summary>The type the members are looked up on.</summary>
            public const string On = GeneratedCode.TorchScriptUnit;
            /// <summary>Runs a compiled function returning one tensor.</summary>
            public const string Invoke = "Invoke";
            /// <summary>Runs a compiled function returning two tensors.</summary>
            public const string Invoke2 = "Invoke2";
        }
    }
}
