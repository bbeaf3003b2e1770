using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.Symbolic.Ir;
using Dsl.Symbolic.Ops;

namespace Dsl.Generators.Emit
{
    /// <summary>
    /// IR → one TorchScript function (the GPU path of an inference method): the same torch operations as the torch-op path, written
    /// as TorchScript source that the runtime compiles once per model type with <c>torch.jit.compile</c>. On CUDA, libtorch's fuser
    /// merges the elementwise chains of the compiled graph into single kernels; on the CPU (no LLVM in the CPU libtorch) the graph
    /// runs unfused, op by op, and must agree with the torch-op path. Values that do not depend on tensors (literals, sizes,
    /// hyperparameters and functions of them) are computed in C# as doubles and passed as <c>float</c> arguments; lattice sides and
    /// dimension sizes as <c>int</c>; parameters as tensors named <c>p_Name</c>.
    /// </summary>
    public sealed class TorchScriptEmitter
    {
        /// <summary>One argument of the emitted function: its TorchScript name and type, and the C# expression the caller passes.</summary>
        public sealed class Argument
        {
            /// <summary>Creates an argument.</summary>
            public Argument(string name, string type, string value)
            {
                Name = name;
                Type = type;
                Value = value;
            }

            /// <summary>The TorchScript parameter name.</summary>
            public string Name { get; }

            /// <summary>The TorchScript type: Tensor, float or int.</summary>
            public string Type { get; }

            /// <summary>The C# expression of the value passed for it.</summary>
            public string Value { get; }
        }

        /// <summary>An emitted function: its name, source lines (no trailing newline), arguments, and C# checks the caller runs first.</summary>
        public sealed class Function
        {
            internal Function(string name, IReadOnlyList<string> lines, IReadOnlyList<Argument> arguments, IReadOnlyList<string> checks, int results)
            {
                Name = name;
                Lines = lines;
                Arguments = arguments;
                Checks = checks;
                Results = results;
            }

            /// <summary>The TorchScript function name.</summary>
            public string Name { get; }

            /// <summary>The source, one line each, starting with its def.</summary>
            public IReadOnlyList<string> Lines { get; }

            /// <summary>Arguments in order.</summary>
            public IReadOnlyList<Argument> Arguments { get; }

            /// <summary>C# statements the caller runs before invoking (the lattice checks of the torch-op path).</summary>
            public IReadOnlyList<string> Checks { get; }

            /// <summary>How many tensors it returns (1, or a tuple of 2).</summary>
            public int Results { get; }
        }

        private readonly List<Argument> arguments = new List<Argument>();
        private readonly List<string> checks = new List<string>();
        private readonly List<string> body = new List<string>();
        private readonly Dictionary<Node, string> names = new Dictionary<Node, string>();
        private readonly Dictionary<string, string> hostArgs = new Dictionary<string, string>(StringComparer.Ordinal);
        private readonly HashSet<string> declared = new HashSet<string>(StringComparer.Ordinal);
        private int temps;
        private int floats;
        private int sides;

        /// <summary>
        /// Emits the TorchScript function <paramref name="name"/> computing <paramref name="roots"/> from x (and σ when
        /// <paramref name="conditional"/>), returning a tensor or a tuple of two; <paramref name="comment"/> lines (the equation it
        /// implements) open its body. With <paramref name="step"/> it takes (x, a, z, b) and returns s·a + z·b + x for its single root s:
        /// the Langevin / Euler–Maruyama update, in the torch-op path's order of operations.
        /// </summary>
        public static Function Emit(string name, IEnumerable<string> comment, IReadOnlyList<Node> roots, IReadOnlyList<string> parameters, bool conditional, bool step = false)
        {
            var e = new TorchScriptEmitter();
            return e.Build(name, comment, roots, parameters, conditional, step);
        }

        private Function Build(string name, IEnumerable<string> comment, IReadOnlyList<Node> roots, IReadOnlyList<string> parameters, bool conditional, bool step)
        {
            arguments.Add(new Argument("x", "Tensor", "x"));
            if (conditional) arguments.Add(new Argument("sigma", "Tensor", "sigma"));
            if (step)
            {
                arguments.Add(new Argument("a", "float", "a"));
                arguments.Add(new Argument("z", "Tensor", "z"));
                arguments.Add(new Argument("b", "float", "b"));
            }
            var order = Topology.Order(roots);
            var used = new HashSet<string>(order.Where(n => n.Op == Op.Param).Select(n => n.Name!), StringComparer.Ordinal);
            foreach (var p in parameters)
                if (used.Contains(p)) arguments.Add(new Argument(CSharpText.ParamLocal(p), "Tensor", RuntimeNames.BaseMembers.Param + "(" + CSharpText.Str(p) + ")"));

            foreach (var n in order)
            {
                if (HostValues.IsHost(n)) continue;
                switch (n.Op)
                {
                    case Op.Input: names[n] = "x"; continue;
                    case Op.Condition: names[n] = "sigma"; continue;
                    case Op.Param: names[n] = CSharpText.ParamLocal(n.Name!); continue;
                }
                string t = "t" + temps++;
                body.Add(t + " = " + Code(n));
                names[n] = t;
            }
            var results = roots.Select(Finish).ToList();
            if (step)
            {
                body.Add("return " + results[0] + " * a + z * b + x");
            }
            else body.Add("return " + string.Join(", ", results));

            string returns = roots.Count == 1 || step ? "Tensor" : "Tuple[" + string.Join(", ", roots.Select(_ => "Tensor")) + "]";
            var lines = new List<string> { "def " + name + "(" + string.Join(", ", arguments.Select(a => a.Name + ": " + a.Type)) + ") -> " + returns + ":" };
            foreach (var c in comment) lines.Add("    # " + OneLine(c));
            lines.AddRange(body.Select(l => "    " + l));
            return new Function(name, lines, arguments, checks, step ? 1 : roots.Count);
        }

        /// <summary>A comment's text on one line (TorchScript comments end at the line's end).</summary>
        private static string OneLine(string text) => string.Join(" ", text.Split(new[] { '\r', '\n', '\t' }, StringSplitOptions.RemoveEmptyEntries).Select(s => s.Trim()));

        private string Code(Node n)
        {
            string A() => names[n.A];
            switch (n.Op)
            {
                case Op.Add: return Binary(n, "+");
                case Op.Sub: return Binary(n, "-");
                case Op.Mul: return Binary(n, "*");
                case Op.Div: return Binary(n, "/");
                case Op.MatVec: return MatVec(n);
                case Op.WhereGt:
                    {
                        // l > r ? a : b: torch.where takes tensors, so a host operand is a 0-dim tensor of x's dtype and device, filled
                        // from the double (torch.tensor of a float goes through float32: −1e20 would come back as −1.00000002e20).
                        string Arg(Node a) => HostValues.IsHost(a) ? "x.new_full([1], " + Host(a) + ").squeeze(0)" : Operand(a, n.Shape);
                        // The comparison takes a float on one side: the tensor first (l > h, or r < h for a host l).
                        Node l = n.Args[0], r = n.Args[1];
                        bool hostL = HostValues.IsHost(l), hostR = HostValues.IsHost(r);
                        string mask = hostR && !hostL ? Operand(l, n.Shape) + " > " + Host(r)
                            : hostL && !hostR ? Operand(r, n.Shape) + " < " + Host(l)
                            : Arg(l) + " > " + Arg(r);
                        return "torch.where(" + mask + ", " + Arg(n.Args[2]) + ", " + Arg(n.Args[3]) + ")";
                    }
                case Op.Broadcast: return Broadcast(n.A, n.Shape);
                case Op.Roll:
                    {
                        string side = Side(n.B);
                        long dr = (long)n.Args[2].Value, dc = (long)n.Args[3].Value;
                        checks.Add(RuntimeNames.GeneratedCode.Lattice.CheckRoll + "(" + SideValue(n.B) + ", size_" + n.Shape.Last + ", " + Int(dr) + ", " + Int(dc) + ");");
                        return A() + ".reshape([-1, " + side + ", " + side + "]).roll([" + Int(dr) + ", " + Int(dc) + "], [1, 2]).reshape(" + A() + ".size())";
                    }
                case Op.Neighbors:
                    {
                        // Σ over the four periodic neighbours of the L×L view: Lattice.NeighbourSum's four rolls.
                        string side = Side(n.B);
                        checks.Add(RuntimeNames.GeneratedCode.Lattice.CheckNeighbourSum + "(" + SideValue(n.B) + ", size_" + n.Shape.Last + ");");
                        string grid = "g" + temps;
                        body.Add(grid + " = " + A() + ".reshape([-1, " + side + ", " + side + "])");
                        return "(" + grid + ".roll(1, 1) + " + grid + ".roll(-1, 1) + " + grid + ".roll(1, 2) + " + grid + ".roll(-1, 2)).reshape(" + A() + ".size())";
                    }
                default:
                    {
                        // Elementwise functions, reductions, views and MatMul: the op table's TorchScript spelling.
                        var info = OpTable.Get(n.Op);
                        if (info.Spelling(SpellingTarget.TorchScript) == null) throw new InvalidOperationException("no TorchScript form for " + n.Op);
                        return info.Spell(SpellingTarget.TorchScript, TensorCodeEmitter.RuntimePrefix, A(), info.Arity == 2 ? names[n.B] : null, info.HasParameter ? Literal(n.Value) : null);
                    }
            }
        }

        private static string Int(long v) => v.ToString(System.Globalization.CultureInfo.InvariantCulture);   // never the culture's minus sign

        /// <summary>The int argument holding a lattice side L (a host expression).</summary>
        private string Side(Node host)
        {
            string value = SideValue(host);
            if (hostArgs.TryGetValue("int:" + value, out var name)) return name;
            name = "side" + sides++;
            hostArgs["int:" + value] = name;
            arguments.Add(new Argument(name, "int", value));
            return name;
        }

        private static string SideValue(Node host) => "(long)" + Paren(TensorCodeEmitter.Host(host));

        private static string Paren(string e) => e.StartsWith("(", StringComparison.Ordinal) && e.EndsWith(")", StringComparison.Ordinal) ? e : "(" + e + ")";

        /// <summary>The float argument holding a host value (literals are written in place).</summary>
        private string Host(Node n)
        {
            if (n.Op == Op.Const) return Literal(n.Value);
            string value = TensorCodeEmitter.Host(n);
            if (hostArgs.TryGetValue(value, out var name)) return name;
            name = "h" + floats++;
            hostArgs[value] = name;
            arguments.Add(new Argument(name, "float", value));
            return name;
        }

        /// <summary>An int argument holding the size of a dimension symbol.</summary>
        private string Size(string symbol)
        {
            if (symbol == Shape.One) return "1";
            string name = "size_" + symbol;
            if (declared.Add(name)) arguments.Add(new Argument(name, "int", name));
            return name;
        }

        /// <summary>A TorchScript float literal, invariant culture, round-trippable.</summary>
        public static string Literal(double v)
        {
            if (double.IsNaN(v)) return "float('nan')";
            if (double.IsPositiveInfinity(v)) return "float('inf')";
            if (double.IsNegativeInfinity(v)) return "(-float('inf'))";
            var s = Node.FormatNumber(v);
            return v < 0 ? "(" + s + ")" : s;
        }

        /// <summary>W v with the torch-op path's batched forms (the same text in TorchScript).</summary>
        private string MatVec(Node n) => TensorCodeEmitter.MatVecText(n, names);

        private string Binary(Node n, string op)
        {
            string a = Operand(n.A, n.Shape), b = Operand(n.B, n.Shape);
            return a + " " + op + " " + b;                                                              // TorchScript takes a float on either side
        }

        /// <summary>An operand as the result's shape needs it: host values as floats, batched lower-rank tensors get axes after the batch axis.</summary>
        private string Operand(Node a, Shape result)
        {
            if (HostValues.IsHost(a)) return Host(a);
            var s = names[a];
            if (a.Shape.Batched)
                for (int i = a.Shape.Rank; i < result.Rank; i++) s += ".unsqueeze(1)";
            return s;
        }

        private string Broadcast(Node a, Shape shape)
        {
            var sizes = new List<string>();
            if (shape.Batched) sizes.Add("x.size(0)");
            sizes.AddRange(shape.Dims.Select(Size));
            // An empty list literal would be List[Tensor] to TorchScript (and torch.jit.annotate is not resolved here): a 0-dim
            // result is the host value as a tensor, or the 0-dim operand itself.
            if (sizes.Count == 0)
                return HostValues.IsHost(a) ? "torch.tensor(" + Host(a) + ", dtype=x.dtype, device=x.device)" : Operand(a, shape);
            string list = "[" + string.Join(", ", sizes) + "]";
            if (HostValues.IsHost(a))
                return "torch.full(" + list + ", " + Host(a) + ", dtype=x.dtype, device=x.device)";
            return Operand(a, shape) + ".expand(" + list + ")";
        }

        /// <summary>A root as a fresh tensor of its full batched shape.</summary>
        private string Finish(Node root)
        {
            var full = root.Shape.WithBatched(true);
            if (HostValues.IsHost(root) || !root.Shape.Batched)
            {
                string t = "t" + temps++;
                body.Add(t + " = " + Broadcast(root, full) + (HostValues.IsHost(root) ? "" : ".contiguous()"));
                return t;
            }
            var name = names[root];
            if (root.Op == Op.Input || root.Op == Op.Condition || root.Op == Op.Param || IsView(root))
            {
                string t = "t" + temps++;
                body.Add(t + " = " + name + ".clone()");
                return t;
            }
            return name;
        }

        private static bool IsView(Node n) =>
            n.Op == Op.Transpose || n.Op == Op.Unsqueeze || n.Op == Op.Broadcast || n.Op == Op.Diagonal;
    }
}
