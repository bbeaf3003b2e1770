using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using Dsl.Symbolic.Ir;
using Dsl.Symbolic.Ops;

namespace Dsl.Generators.Emit
{
    /// <summary>
    /// IR → one C# loop over the samples (the fused CPU kernel of an inference method). Everything that does not depend on the
    /// batch (parameters and functions of them, hyperparameters, sizes) is computed once per call as doubles; per sample, every
    /// operation runs on doubles in small per-chunk scratch arrays: an elementwise operation with a single user that reads each
    /// of its elements once (an elementwise operation of the same shape, or a sum) is inlined into that user's expression, the
    /// views (broadcast, unsqueeze, transpose, diagonal) are index arithmetic, everything else (reductions, products, lattice
    /// sums, values used twice) is stored once, in per-thread scratch arrays reused across calls. x is read and the outputs written through spans over the tensors' memory;
    /// chunks of samples run in parallel. One generic body serves float32 and float64 (T), computing in double.
    /// </summary>
    public sealed partial class FusedCpuEmitter
    {
        private readonly IReadOnlyList<Node> roots;
        private readonly List<Node> order;
        private readonly Dictionary<Node, int> uses;
        private readonly Dictionary<Node, List<Node>> users = new Dictionary<Node, List<Node>>();
        private readonly HashSet<Node> inline = new HashSet<Node>();
        private readonly Dictionary<Node, string> stored = new Dictionary<Node, string>();
        private readonly Dictionary<string, string> paramLocals;
        private readonly List<string> header = new List<string>();
        private readonly HashSet<string> declared = new HashSet<string>();
        private readonly Dictionary<Node, string> hosts = new Dictionary<Node, string>();
        private readonly string conditionName;
        private int temps;
        private int slots;
        private readonly Dictionary<Node, (string Exps, string Max, string Sum)> softmax = new Dictionary<Node, (string Exps, string Max, string Sum)>();   // Sum: the reciprocal 1/Σ eₖ
        private readonly List<string> reciprocals = new List<string>();
        private readonly Dictionary<Node, string> reciprocalNames = new Dictionary<Node, string>();

        /// <summary>
        /// True while the vector body is written: every per-sample value is then a <see cref="Lanes"/>-wide vector holding that value
        /// for <see cref="Lanes"/> consecutive samples (one sample per lane), so the same expression tree runs on 4 samples at once.
        /// </summary>
        private bool lanes;
        private int vectorSlots;

        /// <summary>
        /// A shared-level kernel of a noise-conditional model: σ is one double for every sample and x is read as u·x (the
        /// step c·x + a·s + b·z, or the flow c·x + a·s with its divergence when <see cref="flow"/>).
        /// </summary>
        private readonly bool sharedLevel;

        /// <summary>
        /// The shared-level flow kernel: roots (s, ∇·s) are written as c·x + a·s into the flow output and e + f·∇·s into the
        /// divergence output (e, f are the kernel's divergenceShift and divergenceScale).
        /// </summary>
        private readonly bool flow;

        /// <summary>Samples per iteration of the vector body: the lanes of a 256-bit vector of doubles.</summary>
        public const int Lanes = 4;
        private const string V = RuntimeNames.Bcl.Vector256;
        private const string VD = V + "<double>";

        private FusedCpuEmitter(IReadOnlyList<Node> roots, Dictionary<string, string> paramLocals, string conditionName, bool sharedLevel, bool flow = false)
        {
            this.sharedLevel = sharedLevel;
            this.flow = flow;
            this.roots = roots;
            this.paramLocals = paramLocals;
            this.conditionName = conditionName;
            order = Topology.Order(roots);
            uses = Topology.UseCounts(order, roots);
            foreach (var n in order) users[n] = new List<Node>();
            foreach (var n in order)
                foreach (var a in n.Args)
                    if (!users[a].Contains(n)) users[a].Add(n);
            var rootSet = new HashSet<Node>(roots);
            foreach (var n in order)
            {
                if (!n.Shape.Batched || n.Shape.Rank == 0 || !IsElementwise(n.Op)) continue;
                int rootUses = roots.Count(r => r == n);
                if (rootUses == 1 && users[n].Count == 0) { inline.Add(n); continue; }      // written straight to its output
                if (rootSet.Contains(n) || uses[n] != 1 || users[n].Count != 1) continue;
                var user = users[n][0];
                bool readsOnce = (IsElementwise(user.Op) && user.Shape.SameDims(n.Shape)) || user.Op == Op.SumLast || user.Op == Op.SumRows;
                if (readsOnce) inline.Add(n);
            }
        }

        /// <summary>
        /// Emits the private fused kernel <paramref name="kernelName"/>(x[, sigma]) computing <paramref name="roots"/>; it returns
        /// <paramref name="returnType"/> (one tensor, or a tuple of them) with the same shapes and dtype as the torch-op path.
        /// </summary>
        /// <remarks>
        /// With <paramref name="step"/> the kernel writes x + a·root + b·z instead of the root (the single root must have x's shape):
        /// the update of a Langevin or Euler–Maruyama step fused with the score. It takes (x, a, z, b, noise, output): z is a tensor,
        /// or null to draw z inside the loop from the <c>CounterNoise</c> noise, a block of samples at a time; output, when not
        /// null, receives the result. A conditional step takes (x, σ, c, u, a, z, b, noise, output) with one double σ for every
        /// sample and writes c·x + a·s(u·x, σ) + b·z.
        /// </remarks>
        public static void Emit(SourceWriter w, string kernelName, string methodName, IReadOnlyList<Node> roots, string returnType, IReadOnlyList<(string Name, int Rank)> parameters, bool conditional, bool step = false)
        {
            var locals = new Dictionary<string, string>();
            foreach (var p in parameters) locals[p.Name] = CSharpText.ParamLocal(p.Name);
            new FusedCpuEmitter(roots, locals, conditional ? "sigma" : "", conditional && step).EmitKernel(w, kernelName, methodName, returnType, parameters, conditional, step);
        }

        /// <summary>
        /// Emits the private fused kernel <paramref name="kernelName"/>(x, σ, c, u, a, divergenceShift, divergenceScale, flow,
        /// divergence) of a noise-conditional model with one σ for every sample: from <paramref name="score"/> s and
        /// <paramref name="divergence"/> ∇·s evaluated at u·x in one pass over the samples (sharing their subexpressions), it writes
        /// c·x + a·s into flow ([N, D]) and divergenceShift + divergenceScale·∇·s into divergence ([N]), both of x's dtype.
        /// </summary>
        public static void EmitSharedLevelFlow(SourceWriter w, string kernelName, string methodName, Node score, Node divergence, IReadOnlyList<(string Name, int Rank)> parameters)
        {
            var locals = new Dictionary<string, string>();
            foreach (var p in parameters) locals[p.Name] = CSharpText.ParamLocal(p.Name);
            new FusedCpuEmitter(new[] { score, divergence }, locals, "sigma", sharedLevel: true, flow: true)
                .EmitKernel(w, kernelName, methodName, "void", parameters, conditional: true, step: false);
        }

        private void EmitKernel(SourceWriter w, string kernelName, string methodName, string returnType, IReadOnlyList<(string Name, int Rank)> parameters, bool conditional, bool step)
        {
            const string Torch = RuntimeNames.Torch.Name;
            var prologue = new SourceWriter();
            var buffers = new SourceWriter();
            var loop = new SourceWriter();

            ReadParameters(prologue, parameters);

            // Loop invariants: every unbatched operation (and with one σ for every sample, every scalar function of σ), once per call.
            if (sharedLevel && order.Any(n => n.Op == Op.Condition)) prologue.Line("double c_" + conditionName + " = sigma;");
            foreach (var n in order)
                if (Invariant(n) && !IsVirtual(n)) Materialise(prologue, n, "u", prologue);

            // Per sample: the scalar body (one sample per iteration), then the same operations on vectors of Lanes samples.
            bool readsX = step || flow || order.Any(n => n.Op == Op.Input);
            string xStride = Size(step || flow ? roots[0].Shape.Last : readsX ? order.First(n => n.Op == Op.Input).Shape.Last : Shape.One);
            PerSample(loop, buffers, readsX, xStride, conditional, step);
            var vectorLoop = new SourceWriter();
            var vectorBuffers = new SourceWriter();
            lanes = true;
            PerSample(vectorLoop, vectorBuffers, readsX, xStride, conditional, step);
            lanes = false;
            var outputs = Enumerable.Range(0, roots.Count).Select(r => "y" + r).ToList();

            string args = flow
                ? Torch + ".Tensor x, double sigma, double c, double u, double a, double divergenceShift, double divergenceScale, " + Torch + ".Tensor flow, " + Torch + ".Tensor divergence"
                : Torch + ".Tensor x" + (conditional && !step ? ", " + Torch + ".Tensor sigma" : "")
                  + (step ? (conditional ? ", double sigma, double c, double u" : "") + ", double a, " + Torch + ".Tensor? z, double b, " + RuntimeNames.GeneratedCode.CounterNoise + " noise, " + Torch + ".Tensor? output" : "");
            const string Numeric = "where T : unmanaged, " + RuntimeNames.Bcl.IFloatingPointIeee754 + "<T>";
            w.Line("/// <summary>The fused CPU kernel of " + methodName + ": one pass over the samples (see the comment in " + methodName + ")"
                + (step ? "; z is drawn inside the loop from noise when it is null" : "") + ".</summary>");
            w.Open("private " + returnType + " " + kernelName + "(" + args + ")");
            w.Line(RuntimeNames.GeneratedCode.FusedKernels.Count + "();");
            w.Line("using var noGrad = " + Torch + ".no_grad();");
            w.Line("using var scope = " + Torch + ".NewDisposeScope();");
            // A contiguous input is read as it is (no alias handle per call: the solvers' steady state creates no tensor).
            w.Line("var xc = " + RuntimeNames.GeneratedCode.FusedKernels.Contiguous + "(x);");
            if (conditional && !step && !flow) w.Line("var sc = " + RuntimeNames.GeneratedCode.FusedKernels.Contiguous + "(sigma);");
            if (step) w.Line("var zc = z is null ? null : " + RuntimeNames.GeneratedCode.FusedKernels.Contiguous + "(z);");
            w.Line("int n = (int)xc.shape[0];");
            foreach (var line in header) w.Line(line);
            Append(w, prologue);
            foreach (var line in reciprocals) w.Line(line);
            for (int r = 0; r < roots.Count; r++)
            {
                if (flow)
                {
                    w.Line("var y" + r + " = " + (r == 0 ? "flow" : "divergence") + ";   // checked by " + methodName);
                    continue;
                }
                if (step)
                {
                    w.Line("var y" + r + " = " + RuntimeNames.GeneratedCode.FusedKernels.StepOutput + "(output, xc, " + RuntimeNames.BaseMembers.ModelName + ", " + CSharpText.Str(methodName) + ");");
                    continue;
                }
                var dims = new List<string> { "xc.shape[0]" };
                dims.AddRange(roots[r].Shape.Dims.Select(d => d == Shape.One ? "1L" : "size_" + d));
                w.Line("var y" + r + " = " + Torch + ".empty(new long[] { " + string.Join(", ", dims) + " }, dtype: xc.dtype);");
            }
            string work = Work();
            if (step)
            {
                foreach (var t in new[] { "float", "double" })
                    w.Line((t == "float" ? "if (xc.dtype == " + Torch + ".ScalarType.Float32) " : "else ") + RuntimeNames.GeneratedCode.FusedKernels.For + "(n, " + work + ", zc is null ? DrawingNoise<" + t + "> : (first, last) => Run<" + t
                        + ">(first, last, " + RuntimeNames.GeneratedCode.FusedKernels.Span + "<" + t + ">(xc), " + RuntimeNames.GeneratedCode.FusedKernels.Span + "<" + t + ">(y0), " + RuntimeNames.GeneratedCode.FusedKernels.Span + "<" + t + ">(zc), 0));");
                w.Line("return output ?? y0.MoveToOuterDisposeScope();       // a given output stays in its owner's dispose scope");
                w.Line();
                w.Line("// z for samples [block, block + NoiseBlock) is drawn into a per-thread buffer just before the block's loop reads it; b = 0 (a noise-free");
                w.Line("// step: a score or a mean into a buffer) reads a block of zeros instead and draws nothing.");
                w.Open("void DrawingNoise<T>(int start, int end) " + Numeric);
                w.Line("var xs = " + RuntimeNames.GeneratedCode.FusedKernels.Span + "<T>(xc);");
                w.Line("var os0 = " + RuntimeNames.GeneratedCode.FusedKernels.Span + "<T>(y0);");
                w.Open("for (int block = start; block < end; block += " + RuntimeNames.GeneratedCode.FusedKernels.NoiseBlock + ")");
                w.Line("int blockEnd = " + RuntimeNames.Bcl.Math.Min + "(end, block + " + RuntimeNames.GeneratedCode.FusedKernels.NoiseBlock + ");");
                w.Line("Run<T>(block, blockEnd, xs, os0, b == 0 ? " + RuntimeNames.GeneratedCode.FusedKernels.Zeros + "<T>((blockEnd - block) * " + xStride + ") : " + RuntimeNames.GeneratedCode.FusedKernels.Normals + "<T>(noise, (long)block * " + xStride + ", (blockEnd - block) * " + xStride + "), block * " + xStride + ");");
                w.Close();
                w.Close();
                w.Line();
                w.Open("void Run<T>(int start, int end, " + RuntimeNames.Bcl.Span + "<T> xs, " + RuntimeNames.Bcl.Span + "<T> os0, " + RuntimeNames.Bcl.Span + "<T> zs, int zo) " + Numeric);
            }
            else
            {
                w.Line("if (xc.dtype == " + Torch + ".ScalarType.Float32) " + RuntimeNames.GeneratedCode.FusedKernels.For + "(n, " + work + ", Run<float>);");
                w.Line("else " + RuntimeNames.GeneratedCode.FusedKernels.For + "(n, " + work + ", Run<double>);");
                if (flow) w.Line("return;       // the outputs are the caller's");
                else if (outputs.Count == 1) w.Line("return " + outputs[0] + ".MoveToOuterDisposeScope();");
                else w.Line("return (" + string.Join(", ", outputs.Select(o => o + ".MoveToOuterDisposeScope()")) + ");");
                w.Line();
                w.Open("void Run<T>(int start, int end) " + Numeric);
            }
            if (readsX && !step) w.Line("var xs = " + RuntimeNames.GeneratedCode.FusedKernels.Span + "<T>(xc);");
            if (conditional && !step && !flow && order.Any(n => n.Op == Op.Condition)) w.Line("var ss = " + RuntimeNames.GeneratedCode.FusedKernels.Span + "<T>(sc);");
            if (!step) for (int r = 0; r < roots.Count; r++) w.Line("var os" + r + " = " + RuntimeNames.GeneratedCode.FusedKernels.Span + "<T>(y" + r + ");");
            var parts = new[] { vectorBuffers.ToString(), vectorLoop.ToString(), buffers.ToString(), loop.ToString() };
            var captured = CapturedNames(prologue.ToString(), step).Where(name => parts.Any(t => Regex.IsMatch(t, @"\b" + name + @"\b"))).ToList();
            if (captured.Count > 0)
            {
                // The per-call values as locals of this function: read through the closure, the JIT reloads them from the heap in
                // every iteration (a quarter of a small kernel's time, docs/perf.md).
                w.Line(string.Join(" ", captured.Select(name => "var l_" + name + " = " + name + ";")));
                for (int k = 0; k < parts.Length; k++)
                    foreach (var name in captured) parts[k] = Regex.Replace(parts[k], @"\b" + name + @"\b", "l_" + name);
            }
            w.Line("int s = start;");
            w.Line("// " + Lanes + " samples per iteration, one per lane of a 256-bit vector, where the hardware has them; the remaining samples one at a time.");
            w.Open("if (" + V + ".IsHardwareAccelerated)");
            AppendText(w, parts[0]);
            w.Open("for (; s + " + Lanes + " <= end; s += " + Lanes + ")");
            AppendText(w, parts[1]);
            w.Close();
            w.Close();
            AppendText(w, parts[2]);
            w.Open("for (; s < end; s++)");
            AppendText(w, parts[3]);
            w.Close();
            w.Close();
            w.Close();
            w.Line();
        }

        /// <summary>
        /// The body of the loop over the samples: every batched operation, then the outputs. In <see cref="lanes"/> mode each value
        /// is a vector over the samples s … s + Lanes − 1, read and written with the stride of one sample.
        /// </summary>
        private void PerSample(SourceWriter loop, SourceWriter buffers, bool readsX, string xStride, bool conditional, bool step)
        {
            if (readsX) loop.Line("int xo = s * " + xStride + ";");
            if (conditional && !sharedLevel && order.Any(n => n.Op == Op.Condition))
                loop.Line(lanes
                    ? "var c_" + conditionName + " = " + RuntimeNames.GeneratedCode.FusedKernels.Gather + "(ss, s, 1);"
                    : "double c_" + conditionName + " = double.CreateTruncating(ss[s]);");
            foreach (var n in order)
                if (!Invariant(n) && !IsVirtual(n)) Materialise(loop, n, "b", buffers);
            for (int r = 0; r < roots.Count; r++)
            {
                var root = roots[r];
                string os = "os" + r;
                string elements = Elements(root.Shape);
                string offset = root.Shape.Rank == 0 ? "s" : "s * " + elements;
                string c = sharedLevel ? "c * " : "";
                if (flow && root.Shape.Rank == 0)
                    loop.Line(lanes
                        ? RuntimeNames.GeneratedCode.FusedKernels.Scatter + "(" + os + ", s, 1, " + V + ".Create(divergenceShift) + divergenceScale * " + Elem(root, Array.Empty<string>()) + ");"
                        : os + "[s] = T.CreateTruncating(divergenceShift + divergenceScale * " + Elem(root, Array.Empty<string>()) + ");");
                else if (flow && lanes)
                    Loops(loop, root.Shape, idx => loop.Line(RuntimeNames.GeneratedCode.FusedKernels.Scatter + "(" + os + ", xo + " + idx[0] + ", " + xStride + ", c * " + RuntimeNames.GeneratedCode.FusedKernels.Gather + "(xs, xo + " + idx[0] + ", " + xStride + ") + a * "
                        + Elem(root, idx) + ");"));
                else if (flow)
                    Loops(loop, root.Shape, idx => loop.Line(os + "[xo + " + idx[0] + "] = T.CreateTruncating(c * double.CreateTruncating(xs[xo + " + idx[0] + "]) + a * " + Elem(root, idx) + ");"));
                else if (step && lanes)
                    Loops(loop, root.Shape, idx => loop.Line(RuntimeNames.GeneratedCode.FusedKernels.Scatter + "(" + os + ", xo + " + idx[0] + ", " + xStride + ", " + c + RuntimeNames.GeneratedCode.FusedKernels.Gather + "(xs, xo + " + idx[0] + ", " + xStride + ") + a * "
                        + Elem(root, idx) + " + b * " + RuntimeNames.GeneratedCode.FusedKernels.Gather + "(zs, xo - zo + " + idx[0] + ", " + xStride + "));"));
                else if (step)
                    Loops(loop, root.Shape, idx => loop.Line(os + "[xo + " + idx[0] + "] = T.CreateTruncating(" + c + "double.CreateTruncating(xs[xo + " + idx[0] + "]) + a * "
                        + Elem(root, idx) + " + b * double.CreateTruncating(zs[xo - zo + " + idx[0] + "]));"));
                else if (lanes)
                    Loops(loop, root.Shape, idx =>
                        loop.Line(RuntimeNames.GeneratedCode.FusedKernels.Scatter + "(" + os + ", " + (root.Shape.Rank == 0 ? "s" : offset + " + " + Flat(root.Shape, idx)) + ", " + elements + ", " + Elem(root, idx) + ");"));
                else
                    Loops(loop, root.Shape, idx =>
                        loop.Line(os + "[" + (root.Shape.Rank == 0 ? "s" : offset + " + " + Flat(root.Shape, idx)) + "] = T.CreateTruncating(" + Elem(root, idx) + ");"));
            }
        }

        /// <summary>
        /// The names the loop's function reads from the enclosing kernel: the header's sizes and host values, the prologue's
        /// top-level locals (parameters, invariants), the hoisted reciprocals and a step's factors.
        /// </summary>
        private IEnumerable<string> CapturedNames(string prologueText, bool step)
        {
            var lines = header.Concat(prologueText.Split('\n').Where(l => l.Length > 0 && l[0] != ' ')).Concat(reciprocals);
            foreach (var line in lines)
            {
                var m = Regex.Match(line, @"^(?:int|double|var) (\w+) = ");
                if (m.Success) yield return m.Groups[1].Value;
            }
            if (step)
            {
                yield return "a";
                yield return "b";
                if (sharedLevel) { yield return "c"; yield return "u"; }
            }
            if (flow)
                foreach (var factor in new[] { "a", "c", "u", "divergenceShift", "divergenceScale" }) yield return factor;
        }

        /// <summary>The prologue lines reading each parameter the kernel uses, once per call: a double for a scalar, a row-major double[] otherwise.</summary>
        private void ReadParameters(SourceWriter prologue, IReadOnlyList<(string Name, int Rank)> parameters)
        {
            var used = new HashSet<string>(order.Where(n => n.Op == Op.Param).Select(n => n.Name!));
            foreach (var p in parameters)
            {
                if (!used.Contains(p.Name)) continue;
                prologue.Line(p.Rank == 0
                    ? "double " + CSharpText.ParamLocal(p.Name) + " = " + RuntimeNames.GeneratedCode.FusedKernels.ReadScalar + "(" + RuntimeNames.BaseMembers.Param + "(" + CSharpText.Str(p.Name) + "));"
                    : "var " + CSharpText.ParamLocal(p.Name) + " = " + RuntimeNames.GeneratedCode.FusedKernels.Read + "(" + RuntimeNames.BaseMembers.Param + "(" + CSharpText.Str(p.Name) + "));");
            }
        }

        private static void Append(SourceWriter w, SourceWriter part) => AppendText(w, part.ToString());

        private static void AppendText(SourceWriter w, string text)
        {
            if (text.Length == 0) return;
            foreach (var line in text.TrimEnd('\n').Split('\n'))
            {
                // Re-indent relative to w: part was written from indentation zero.
                int spaces = line.Length - line.TrimStart(' ').Length;
                w.Line(spaces == line.Length ? "" : new string(' ', spaces) + line.TrimStart(' '));
            }
        }

        /// <summary>A rough count of operations per sample (the parallel loop's chunking uses it).</summary>
        private string Work()
        {
            var terms = new List<string>();
            foreach (var n in order)
            {
                if (!n.Shape.Batched || IsVirtual(n) || n.Op == Op.Input || n.Op == Op.Condition) continue;
                var dims = n.Shape.Dims.ToList();
                if (n.Op == Op.SumLast || n.Op == Op.LogSumExp) dims.Add(n.A.Shape.Last);
                if (n.Op == Op.SumRows) dims.Add(n.A.Shape.Dims[0]);
                if (n.Op == Op.MatVec || n.Op == Op.MatMul) dims.Add(n.A.Shape.Last);
                terms.Add(LongProduct(dims));
            }
            foreach (var r in roots) terms.Add(LongProduct(r.Shape.Dims));
            var grouped = terms.GroupBy(t => t).Select(g => g.Count() == 1 ? g.Key : g.Count() + "L * " + g.Key);
            return "(" + string.Join(" + ", grouped) + ")";
        }

        private string LongProduct(IEnumerable<string> dims)
        {
            var sizes = dims.Where(d => d != Shape.One).Select(Size).ToList();
            return sizes.Count == 0 ? "1L" : "(long)" + string.Join(" * ", sizes);
        }

        // ------------------------------------------------------------------ storage and element access

        /// <summary>Nodes that are never stored: views (index arithmetic), inlined elementwise operations, leaves read in place.</summary>
        private bool IsVirtual(Node n)
        {
            if (HostValues.IsHost(n)) return true;
            switch (n.Op)
            {
                case Op.Input: case Op.Condition: case Op.Param: case Op.Transpose: case Op.Unsqueeze: case Op.Broadcast: case Op.Diagonal:
                    return true;
            }
            return inline.Contains(n);
        }

        /// <summary>The expression of element <paramref name="idx"/> (one index expression per axis) of <paramref name="n"/>'s per-sample value.</summary>
        private string Elem(Node n, IReadOnlyList<string> idx)
        {
            if (lanes && (Invariant(n) || n.Op == Op.Const || HostValues.IsHost(n)))
            {
                // The same value in every lane: the scalar expression, broadcast.
                lanes = false;
                string scalar = Elem(n, idx);
                lanes = true;
                return V + ".Create(" + scalar + ")";
            }
            if (n.Op == Op.Const) return TensorCodeEmitter.Literal(n.Value);
            if (HostValues.IsHost(n)) return HostLocal(n);
            switch (n.Op)
            {
                case Op.Input:
                    {
                        string read = lanes
                            ? RuntimeNames.GeneratedCode.FusedKernels.Gather + "(xs, xo + " + idx[0] + ", " + Size(n.Shape.Last) + ")"
                            : "double.CreateTruncating(xs[xo + " + idx[0] + "])";
                        return sharedLevel ? "(u * " + read + ")" : read;      // the score is read at u·x
                    }
                case Op.Condition: return "c_" + conditionName;
                case Op.Param: return n.Shape.Rank == 0 ? paramLocals[n.Name!] : paramLocals[n.Name!] + "[" + Flat(n.Shape, idx) + "]";
                case Op.Broadcast: return Elem(n.A, Map(idx, n.Shape, n.A.Shape));
                case Op.Unsqueeze: return Elem(n.A, idx.Take(idx.Count - 1).ToList());
                case Op.Transpose: return Elem(n.A, new[] { idx[1], idx[0] });
                case Op.Diagonal: return Elem(n.A, new[] { idx[0], idx[0] });
            }
            if (inline.Contains(n)) return Compute(n, idx);
            var name = stored[n];
            return n.Shape.Rank == 0 ? name : name + "[" + Flat(n.Shape, idx) + "]";
        }

        private string HostLocal(Node n)
        {
            if (!hosts.TryGetValue(n, out var name))
            {
                name = "h" + hosts.Count;
                hosts[n] = name;
                header.Add("double " + name + " = " + TensorCodeEmitter.Host(n) + ";");
            }
            return name;
        }

        private string Size(string dim)
        {
            if (dim == Shape.One) return "1";
            string name = "d_" + dim;
            if (declared.Add(name)) header.Add("int " + name + " = (int)size_" + dim + ";");
            return name;
        }

        private string Elements(Shape s) => s.Rank == 0 ? "1" : string.Join(" * ", s.Dims.Select(Size));

        private string Flat(Shape s, IReadOnlyList<string> idx)
        {
            if (s.Rank == 0) return "0";
            if (s.Rank == 1) return idx[0];
            if (s.Dims[1] == Shape.One) return idx[0];
            if (s.Dims[0] == Shape.One) return idx[1];
            return Paren(idx[0]) + " * " + Size(s.Dims[1]) + " + " + idx[1];
        }

        private static string Paren(string e) => e.All(c => char.IsLetterOrDigit(c) || c == '_') ? e : "(" + e + ")";

        /// <summary>The operand's indices for element <paramref name="idx"/> of a result: trailing-aligned, singleton axes read index 0.</summary>
        private static IReadOnlyList<string> Map(IReadOnlyList<string> idx, Shape result, Shape operand)
        {
            var mapped = new string[operand.Rank];
            int offset = result.Rank - operand.Rank;
            for (int k = 0; k < operand.Rank; k++)
                mapped[k] = operand.Dims[k] == Shape.One ? "0" : idx[k + offset];
            return mapped;
        }

        /// <summary>Loops over the non-singleton axes of <paramref name="shape"/>, calling <paramref name="body"/> with the index expressions.</summary>
        private void Loops(SourceWriter w, Shape shape, Action<IReadOnlyList<string>> body)
        {
            var idx = new string[shape.Rank];
            int opened = 0;
            for (int k = 0; k < shape.Rank; k++)
            {
                if (shape.Dims[k] == Shape.One) { idx[k] = "0"; continue; }
                idx[k] = k == 0 ? "i" : "j";
                w.Open("for (int " + idx[k] + " = 0; " + idx[k] + " < " + Size(shape.Dims[k]) + "; " + idx[k] + "++)");
                opened++;
            }
            body(idx);
            for (int k = 0; k < opened; k++) w.Close();
        }

        /// <summary>Stores <paramref name="n"/>: a double local (rank 0) or an array (prefix u: once per call; b: allocated per chunk, filled per sample).</summary>
        private void Materialise(SourceWriter w, Node n, string prefix, SourceWriter arrays)
        {
            string name = (lanes ? "v" : prefix) + temps++;
            if (n.Shape.Rank == 0)
            {
                stored[n] = name;
                if (IsElementwise(n.Op))
                {
                    w.Line((lanes ? "var " : "double ") + name + " = " + Compute(n, Array.Empty<string>()) + ";");
                    return;
                }
                if (n.Op == Op.LogSumExp && n.Shape.Batched && n.A.Shape.Rank == 1 && stored.ContainsKey(n.A))
                {
                    // Keeps eₖ = exp(vₖ − max) and Σ eₖ: a softmax exp(vₖ − lse) of the same v later reads eₖ / Σ instead of K more exps.
                    // The softmax reads eₖ · (1/Σ); when the softmax is the only reader of the log-sum-exp itself (a score, not an
                    // energy), the log is taken only in the rare lanes whose max is infinite, inside the softmax's fallback.
                    string v = stored[n.A], len = Size(n.A.Shape.Last), e = "e" + name, m = "m" + name, z = "z" + name, rz = "r" + name;
                    bool lazy = OnlySoftmaxReads(n);
                    arrays.Line("var " + e + " = " + ScratchCall(len) + ";");
                    string value = lanes ? RuntimeNames.GeneratedCode.FusedKernels.LogSumExpFinish + "(" + m + ", " + z + ")"
                        : "(double.IsInfinity(" + m + ") ? " + m + " : " + m + " + " + RuntimeNames.Bcl.Math.Log + "(" + z + "))";
                    if (lanes)
                    {
                        w.Line("var " + m + " = " + V + ".Create(double.NegativeInfinity);");
                        w.Line("for (int k = 0; k < " + len + "; k++) " + m + " = " + V + ".Max(" + m + ", " + v + "[k]);");
                        w.Line("var " + z + " = " + VD + ".Zero;");
                        w.Line("for (int k = 0; k < " + len + "; k++) " + z + " += " + e + "[k] = " + V + ".Exp(" + v + "[k] - " + m + ");");
                        if (HasSoftmaxReader(n)) w.Line("var " + rz + " = " + VD + ".One / " + z + ";");
                        if (!lazy) w.Line("var " + name + " = " + value + ";");
                    }
                    else
                    {
                        w.Line("double " + m + " = double.NegativeInfinity;");
                        w.Line("for (int k = 0; k < " + len + "; k++) " + m + " = " + RuntimeNames.Bcl.Math.Max + "(" + m + ", " + v + "[k]);");
                        w.Line("double " + z + " = 0;");
                        w.Line("for (int k = 0; k < " + len + "; k++) " + z + " += " + e + "[k] = " + RuntimeNames.Bcl.Math.Exp + "(" + v + "[k] - " + m + ");");
                        if (HasSoftmaxReader(n)) w.Line("double " + rz + " = 1.0 / " + z + ";");
                        if (!lazy) w.Line("double " + name + " = " + value + ";");
                    }
                    if (lazy) stored[n] = value;
                    softmax[n] = (e, m, rz);
                    return;
                }
                w.Line((lanes ? VD + " " : "double ") + name + ";");
                w.Open();
                Reduce(w, n, Array.Empty<string>(), name);
                w.Close();
                return;
            }
            arrays.Line(n.Shape.Batched
                ? "var " + name + " = " + ScratchCall(Elements(n.Shape)) + ";"
                : "var " + name + " = new double[" + Elements(n.Shape) + "];");
            stored[n] = name;
            bool loops = n.Shape.Dims.Any(d => d != Shape.One);
            Loops(w, n.Shape, idx =>
            {
                string target = name + "[" + Flat(n.Shape, idx) + "]";
                if (IsElementwise(n.Op)) { w.Line(target + " = " + Compute(n, idx) + ";"); return; }
                if (!loops) w.Open();                       // a block of its own for the reduction's locals
                Reduce(w, n, idx, target);
                if (!loops) w.Close();
            });
        }

        /// <summary>
        /// True when <paramref name="n"/> has one value for the whole call: it is unbatched, or — in the shared-level step, where σ
        /// is one double — a scalar function of σ and unbatched values, computed once in the prologue instead of per sample.
        /// </summary>
        private bool Invariant(Node n)
        {
            if (!n.Shape.Batched) return true;
            if (!sharedLevel || n.Shape.Rank != 0) return false;
            if (n.Op == Op.Condition || n.Op == Op.Const) return true;
            return (IsElementwise(n.Op) || n.Op == Op.Broadcast) && n.Args.All(Invariant);
        }

        /// <summary>The readers of <paramref name="n"/>, looking through broadcasts.</summary>
        private IEnumerable<Node> Readers(Node n)
        {
            foreach (var u in users[n])
            {
                if (u.Op == Op.Broadcast) { foreach (var r in Readers(u)) yield return r; }
                else yield return u;
            }
        }

        /// <summary>exp(v − lse(v)), the softmax form that reads the cached exps of a per-sample log-sum-exp (see <see cref="Compute"/>).</summary>
        private static bool IsSoftmax(Node exp, Node lse) =>
            exp.Op == Op.Exp && exp.A.Op == Op.Sub && exp.Shape.Rank == 1 && exp.Shape.SameDims(exp.A.A.Shape) && exp.A.A == lse.A && Unbroadcast(exp.A.B) == lse;

        private static Node Unbroadcast(Node n)
        {
            while (n.Op == Op.Broadcast) n = n.A;
            return n;
        }

        private bool HasSoftmaxReader(Node lse) => Readers(lse).Any(r => r.Op == Op.Sub && users[r].Any(e => IsSoftmax(e, lse)));

        /// <summary>True when every reader of the log-sum-exp is v − lse inlined into softmax exps only (so its value is needed only in their rare fallback).</summary>
        private bool OnlySoftmaxReads(Node lse) =>
            !roots.Contains(lse) && Readers(lse).All(r => r.Op == Op.Sub && inline.Contains(r) && users[r].Count > 0 && users[r].All(e => IsSoftmax(e, lse)));

        /// <summary>
        /// The name of a once-per-call local holding 1/<paramref name="divisor"/> for a per-sample division by a value that does not
        /// depend on the sample: a multiply per sample instead of a division (they agree to an ulp).
        /// </summary>
        private string Reciprocal(Node divisor)
        {
            if (!reciprocalNames.TryGetValue(divisor, out var name))
            {
                bool was = lanes;
                lanes = false;
                string value = Elem(divisor, Array.Empty<string>());
                lanes = was;
                name = "r" + reciprocalNames.Count;
                reciprocalNames[divisor] = name;
                reciprocals.Add("double " + name + " = 1.0 / " + value + ";");
            }
            return lanes ? V + ".Create(" + name + ")" : name;
        }

        /// <summary>A per-thread scratch array of <paramref name="length"/> per-sample values (doubles, or vectors of Lanes doubles in the vector body).</summary>
        private string ScratchCall(string length) => lanes
            ? RuntimeNames.GeneratedCode.FusedKernels.VectorScratch + "(" + vectorSlots++ + ", " + length + ")"
            : RuntimeNames.GeneratedCode.FusedKernels.Scratch + "(" + slots++ + ", " + length + ")";

        /// <summary>Statements assigning element <paramref name="idx"/> of a non-elementwise node to <paramref name="target"/>.</summary>
        private void Reduce(SourceWriter w, Node n, IReadOnlyList<string> idx, string target)
        {
            var with = new Func<string, IReadOnlyList<string>>(k => idx.Concat(new[] { k }).ToList());
            switch (n.Op)
            {
                case Op.SumLast:
                    Sum(w, n.A.Shape.Last, k => Elem(n.A, with(k)), target);
                    return;
                case Op.SumRows:
                    Sum(w, n.A.Shape.Dims[0], k => Elem(n.A, new[] { k, idx[0] }), target);
                    return;
                case Op.MatVec:
                    Sum(w, n.A.Shape.Last, k => Elem(n.A, with(k)) + " * " + Elem(n.B, new[] { k }), target);
                    return;
                case Op.MatMul:
                    Sum(w, n.A.Shape.Last, k => Elem(n.A, new[] { idx[0], k }) + " * " + Elem(n.B, new[] { k, idx[1] }), target);
                    return;
                case Op.LogSumExp:
                    {
                        string len = Size(n.A.Shape.Last);
                        if (lanes)
                        {
                            w.Line("var max = " + V + ".Create(double.NegativeInfinity);");
                            w.Line("for (int k = 0; k < " + len + "; k++) max = " + V + ".Max(max, " + Elem(n.A, with("k")) + ");");
                            w.Line("var acc = " + VD + ".Zero;");
                            w.Line("for (int k = 0; k < " + len + "; k++) acc += " + V + ".Exp(" + Elem(n.A, with("k")) + " - max);");
                            w.Line(target + " = " + RuntimeNames.GeneratedCode.FusedKernels.LogSumExpFinish + "(max, acc);");
                            return;
                        }
                        w.Line("double max = double.NegativeInfinity;");
                        w.Line("for (int k = 0; k < " + len + "; k++) max = " + RuntimeNames.Bcl.Math.Max + "(max, " + Elem(n.A, with("k")) + ");");
                        w.Line("double acc = 0;");
                        w.Line("for (int k = 0; k < " + len + "; k++) acc += " + RuntimeNames.Bcl.Math.Exp + "(" + Elem(n.A, with("k")) + " - max);");
                        w.Line(target + " = double.IsInfinity(max) ? max : max + " + RuntimeNames.Bcl.Math.Log + "(acc);");
                        return;
                    }
                case Op.Neighbors:
                    {
                        string L = Side(n, RuntimeNames.GeneratedCode.Lattice.CheckNeighbourSum + "(" + "(long)" + Paren(Elem(n.B, Array.Empty<string>())) + ", " + Sites(n) + ");");
                        string i = idx[0];
                        string r = "(" + i + " / " + L + ")", c = "(" + i + " % " + L + ")";
                        string up = "((" + r + " + 1) % " + L + ") * " + L + " + " + c, down = "((" + r + " + " + L + " - 1) % " + L + ") * " + L + " + " + c;
                        string right = r + " * " + L + " + (" + c + " + 1) % " + L, left = r + " * " + L + " + (" + c + " + " + L + " - 1) % " + L;
                        w.Line(target + " = " + Elem(n.A, new[] { up }) + " + " + Elem(n.A, new[] { down }) + " + " + Elem(n.A, new[] { right }) + " + " + Elem(n.A, new[] { left }) + ";");
                        return;
                    }
                case Op.Roll:
                    {
                        int dr = (int)n.Args[2].Value, dc = (int)n.Args[3].Value;
                        string L = Side(n, RuntimeNames.GeneratedCode.Lattice.CheckRoll + "(" + "(long)" + Paren(Elem(n.B, Array.Empty<string>())) + ", " + Sites(n) + ", " + dr.ToString(System.Globalization.CultureInfo.InvariantCulture) + ", " + dc.ToString(System.Globalization.CultureInfo.InvariantCulture) + ");");   // never the culture's minus sign
                        string i = idx[0];
                        string Shift(string e, int by) => by == 0 ? e : by > 0 ? "((" + e + " - " + by + ") % " + L + " + " + L + ") % " + L : "(" + e + " + " + (-by) + ") % " + L;
                        string row = "(" + Shift(i + " / " + L, dr) + ")", col = "(" + Shift(i + " % " + L, dc) + ")";
                        w.Line(target + " = " + Elem(n.A, new[] { row + " * " + L + " + " + col }) + ";");
                        return;
                    }
                default:
                    throw new InvalidOperationException("no fused form for " + n.Op);
            }
        }

        /// <summary>An int local in the kernel's header holding the lattice side of a Neighbors or Roll node, after the runtime's checks.</summary>
        private string Side(Node n, string check)
        {
            string name = "L" + n.Id;
            if (declared.Add(name))
            {
                header.Add(check);
                header.Add("int " + name + " = (int)" + Paren(Elem(n.B, Array.Empty<string>())) + ";");
            }
            return name;
        }

        private string Sites(Node n) => "size_" + n.Shape.Last;

        private void Sum(SourceWriter w, string dim, Func<string, string> term, string target)
        {
            if (dim == Shape.One)
            {
                w.Line(target + " = " + term("0") + ";");
                return;
            }
            w.Line(lanes ? "var acc = " + VD + ".Zero;" : "double acc = 0;");
            w.Line("for (int k = 0; k < " + Size(dim) + "; k++) acc += " + term("k") + ";");
            w.Line(target + " = acc;");
        }

        /// <summary>The double expression of element <paramref name="idx"/> of an elementwise node.</summary>
        private string Compute(Node n, IReadOnlyList<string> idx)
        {
            string A() => Elem(n.A, Map(idx, n.Shape, n.A.Shape));
            string B() => Elem(n.B, Map(idx, n.Shape, n.B.Shape));
            const string M = RuntimeNames.Bcl.Math.Prefix;
            const string K = RuntimeNames.GeneratedCode.FusedKernels.Prefix;
            if (n.Op == Op.Div)
            {
                // A per-sample value over a per-call constant: a multiply by the hoisted reciprocal.
                var divisor = Unbroadcast(n.B);
                if (!Invariant(n) && Invariant(divisor) && divisor.Shape.Rank == 0 && divisor.Op != Op.Const) return "(" + A() + " * " + Reciprocal(divisor) + ")";
            }
            if (n.Op == Op.Exp && n.A.Op == Op.Sub && n.Shape.Rank == 1 && n.Shape.SameDims(n.A.A.Shape))
            {
                var lse = n.A.B;
                while (lse.Op == Op.Broadcast) lse = lse.A;
                if (lse.Op == Op.LogSumExp && lse.A == n.A.A && softmax.TryGetValue(lse, out var kept))
                {
                    string ratio = kept.Exps + "[" + idx[0] + "] * " + kept.Sum;
                    // A lane whose max is infinite recomputes exp(v − lse) (rare: it costs the exp only then).
                    return lanes
                        ? "(" + K + "AnyInfinite(" + kept.Max + ") ? " + V + ".ConditionalSelect(" + K + "IsInfinite(" + kept.Max + "), " + V + ".Exp(" + A() + "), " + ratio + ") : " + ratio + ")"
                        : "(double.IsInfinity(" + kept.Max + ") ? " + M + "Exp(" + A() + ") : " + ratio + ")";
                }
            }
            if (lanes && OpTable.Get(n.Op).IsElementwiseUnary)
                return TensorCodeEmitter.Spell(OpTable.Get(n.Op), SpellingTarget.FusedVector, A(), n);   // Vector256 functions or FusedKernels overloads
            if (n.Op == Op.WhereGt)
            {
                // l > r ? a : b: a C# conditional per element, Vector256.ConditionalSelect(GreaterThan(l, r), a, b) per lane.
                var operands = n.Args.Select(a => (string?)Elem(a, Map(idx, n.Shape, a.Shape))).ToArray();
                return OpTable.Get(n.Op).Spell(lanes ? SpellingTarget.FusedVector : SpellingTarget.FusedScalar, TensorCodeEmitter.RuntimePrefix, operands);
            }
            return Apply(n, A, B);
        }

        /// <summary>The double expression of an elementwise node given its operands' expressions (read lazily: unary operations have no B): the op table's fused spelling.</summary>
        private static string Apply(Node n, Func<string> A, Func<string> B)
        {
            var info = OpTable.Get(n.Op);
            if (!info.IsElementwise) throw new InvalidOperationException("not elementwise: " + n.Op);
            return info.Spell(SpellingTarget.FusedScalar, TensorCodeEmitter.RuntimePrefix, A(), info.Arity == 2 ? B() : null,
                info.HasParameter ? TensorCodeEmitter.Literal(n.Value) : null);
        }

        private static bool IsElementwise(Op op) => OpTable.IsElementwise(op);
    }
}
