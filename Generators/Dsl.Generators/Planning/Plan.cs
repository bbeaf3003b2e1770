using System.Collections.Generic;
using System.Linq;
using System.Text;
using Dsl.Generators.Model;
using Dsl.Symbolic.Ir;

namespace Dsl.Generators.Planning
{
    /// <summary>A code path a generated method can run on.</summary>
    public enum Backend
    {
        /// <summary>TorchSharp tensor operations (every method has this path; the fallback of the others).</summary>
        TorchOps,
        /// <summary>A generated C# loop over the samples (FusedKernels), float32/float64 on the CPU.</summary>
        Fused,
        /// <summary>A generated TorchScript function, compiled once per model type.</summary>
        TorchScript,
        /// <summary>The generated one-pass checkerboard sweep of a lattice model.</summary>
        LatticeSweep,
        /// <summary>The generated multi-spin-coded checkerboard sweep (64 units a word) of a lattice model with a finite ΔE table.</summary>
        MultiSpin,
    }

    /// <summary>
    /// The planner's verdict on one backend for one method: planned (<see cref="WhyNot"/> null) or not, and why not.
    /// <see cref="ByRequest"/>: the reason is the model's own choice (Kernels = KernelPath.TorchOps), not a limitation.
    /// </summary>
    public sealed record KernelDecision(Backend Backend, string? WhyNot, bool ByRequest)
    {
        /// <summary>True when the method gets this backend.</summary>
        public bool Planned => WhyNot == null;

        /// <summary>One line of the plan printout.</summary>
        public override string ToString() =>
            Name(Backend) + ": " + (Planned ? "yes" : ByRequest ? "no, by request: " + WhyNot : "no: " + WhyNot);

        internal static string Name(Backend b) => b switch
        {
            Backend.Fused => "fused",
            Backend.TorchScript => "torchscript",
            Backend.LatticeSweep => "lattice sweep",
            Backend.MultiSpin => "multi-spin coded",
            _ => "torch ops",
        };
    }

    /// <summary>
    /// One factor of KernelPath.Auto's bound on a fused kernel: the per-sample size of a parameter contraction (the product of
    /// <see cref="Dims"/>, singleton axes left out; empty = 1), or an unbounded lattice stencil.
    /// </summary>
    public sealed record ContractionTerm(EquatableArray<string> Dims, bool Unbounded)
    {
        /// <inheritdoc/>
        public override string ToString() => Unbounded ? "∞ (lattice stencil)" : Dims.Count == 0 ? "1" : string.Join("·", Dims);
    }

    /// <summary>How a generated method is computed on the differentiable (autograd) or inference (no tape) path.</summary>
    public enum CodePathKind
    {
        /// <summary>Autograd records it.</summary>
        Differentiable,
        /// <summary>No autograd tape; in place where a temporary dies.</summary>
        Inference,
        /// <summary>A C# double function of host values (hyperparameters, time), no tensors.</summary>
        Host,
    }

    /// <summary>
    /// One generated method: its name, path, the IR roots it returns (by name, see <see cref="PlannedRoots"/>), and the planner's
    /// decision on each backend it considered; a method always has its torch-op path, the fallback of the others.
    /// </summary>
    public sealed record MethodPlan(string Name, CodePathKind Path, EquatableArray<string> Roots, EquatableArray<KernelDecision> Kernels,
        EquatableArray<ContractionTerm> AutoBound)
    {
        /// <summary>The decision on <paramref name="backend"/>, or null when the planner did not consider it for this method.</summary>
        public KernelDecision? Kernel(Backend backend) => Kernels.FirstOrDefault(k => k.Backend == backend);

        /// <summary>True when <paramref name="backend"/> was considered and planned.</summary>
        public bool Uses(Backend backend) => Kernel(backend)?.Planned == true;

        /// <summary>The printout lines of this method.</summary>
        public IEnumerable<string> Lines()
        {
            yield return Name + " [" + string.Join(", ", Roots) + "] " + (Path == CodePathKind.Differentiable ? "differentiable" : Path == CodePathKind.Inference ? "inference" : "host double");
            if (Path == CodePathKind.Host) yield break;
            foreach (var k in Kernels)
                yield return "    " + k + (k.Backend == Backend.Fused && k.Planned && AutoBound.Count > 0
                    ? " (KernelPath.Auto bound: max(" + string.Join(", ", AutoBound) + "))" : "");
            var sweep = Kernel(Backend.LatticeSweep) ?? Kernel(Backend.MultiSpin);
            if (sweep != null)
            {
                // The sweep is a C# loop with no torch-op form: refused, the method is not generated at all.
                yield return "    " + (sweep.Planned ? "torch ops: none (the sweep is the method)" : "not generated");
                yield break;
            }
            var chosen = Kernels.Where(k => k.Planned).Select(k => KernelDecision.Name(k.Backend)).ToList();
            yield return "    torch ops: " + (chosen.Count == 0 ? "the only path" : "fallback of " + string.Join(", ", chosen));
        }
    }

    /// <summary>A root the planner derives from lowered ones (e.g. log p = −(E + log Z)), with its formula over their names.</summary>
    public sealed record DerivedRoot(string Name, string Formula)
    {
        /// <inheritdoc/>
        public override string ToString() => Name + " = " + Formula;
    }

    /// <summary>
    /// The IR roots a plan names, by name: the lowered roots and those the planner derived. Not value-equatable (it holds IR
    /// nodes); it lives only inside one lower → plan → emit run, next to the value-equatable plan.
    /// </summary>
    public sealed class PlannedRoots
    {
        private readonly List<KeyValuePair<string, Node>> roots = new List<KeyValuePair<string, Node>>();

        /// <summary>Adds a named root (names are unique; the order is the printout's).</summary>
        public void Add(string name, Node node)
        {
            if (roots.Any(r => r.Key == name)) throw new System.InvalidOperationException("root " + name + " named twice");
            roots.Add(new KeyValuePair<string, Node>(name, node));
        }

        /// <summary>The node of the root <paramref name="name"/>.</summary>
        public Node this[string name] => roots.First(r => r.Key == name).Value;

        /// <summary>The nodes of the roots <paramref name="names"/>, in order.</summary>
        public IReadOnlyList<Node> Of(IEnumerable<string> names) => names.Select(n => this[n]).ToList();

        /// <summary>Every named root, in the order added.</summary>
        public IReadOnlyList<KeyValuePair<string, Node>> All => roots;
    }

    /// <summary>A value-equatable plan with its IR roots by name: what an emitter writes from.</summary>
    public sealed class Planned<TPlan, TLowered>
    {
        internal Planned(TPlan plan, TLowered lowered, PlannedRoots roots) { Plan = plan; Lowered = lowered; Roots = roots; }

        /// <summary>The value-equatable plan.</summary>
        public TPlan Plan { get; }
        /// <summary>The lowered model.</summary>
        public TLowered Lowered { get; }
        /// <summary>The plan's roots by name.</summary>
        public PlannedRoots Roots { get; }

        /// <summary>The root nodes of <paramref name="method"/>.</summary>
        public IReadOnlyList<Node> RootsOf(MethodPlan method) => Roots.Of(method.Roots);
    }

    /// <summary>Shared pieces of the plan printouts.</summary>
    internal static class PlanText
    {
        public static void Section(StringBuilder sb, string title, IEnumerable<string> lines)
        {
            var list = lines.ToList();
            sb.Append(title).Append(':');
            if (list.Count == 0) { sb.Append(" none\n"); return; }
            sb.Append('\n');
            foreach (var line in list) sb.Append("  ").Append(line).Append('\n');
        }

        public static IEnumerable<string> Methods(IEnumerable<MethodPlan> methods) => methods.SelectMany(m => m.Lines());

        /// <summary>A method on the torch-op path only (the planner considered no other backend for it).</summary>
        public static MethodPlan TorchOnly(string name, CodePathKind path, params string[] roots) =>
            new MethodPlan(name, path, roots.ToEquatableArray(), EquatableArray<KernelDecision>.Empty, EquatableArray<ContractionTerm>.Empty);

        /// <summary>Adds each non-null root to <paramref name="roots"/> under its name.</summary>
        public static PlannedRoots Roots(params (string Name, Node? Node)[] named)
        {
            var roots = new PlannedRoots();
            foreach (var (name, node) in named)
                if (node != null) roots.Add(name, node);
            return roots;
        }
    }
}
