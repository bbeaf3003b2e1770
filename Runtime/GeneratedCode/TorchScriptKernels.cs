using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Globalization;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.GeneratedCode
{
    /// <summary>
    /// The run-time side of the TorchScript kernels that Dsl generates: which inputs take them, and a count of the calls (tests
    /// read it to see which path ran). Generated code calls these; a person rarely needs to.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Advanced)]
    public static class TorchScriptKernels
    {
        [ThreadStatic] private static int calls;

        /// <summary>How many times a generated TorchScript kernel has been invoked on this thread.</summary>
        public static int Calls => calls;

        /// <summary>Counts one invocation (on the calling thread).</summary>
        public static void Count() => calls++;

        /// <summary>
        /// True when an inference method should run its TorchScript function for input <paramref name="x"/>: always under
        /// <see cref="KernelPath.TorchScript"/>; under <see cref="KernelPath.Auto"/> when x is on a CUDA device, where libtorch's fuser
        /// merges the elementwise chains of the compiled graph (on the CPU, Auto keeps the fused C# loop or the torch ops, since the
        /// CPU libtorch has no fuser for TorchScript and the script would only add interpreter overhead).
        /// </summary>
        public static bool Accepts(KernelPath path, Tensor x) =>
            path == KernelPath.TorchScript || (path == KernelPath.Auto && x.device_type == DeviceType.CUDA);
    }

    /// <summary>
    /// The TorchScript source of one model type, compiled once on first use with <c>torch.jit.compile</c> (thread-safe) and invoked
    /// by the generated <c>…NoGradScript</c> methods with the model's parameters. Arguments are checked against each function's
    /// <c>def</c> line before any native call, so a mismatch is an <see cref="ArgumentException"/> naming the model, the function and
    /// the line, never a native failure.
    /// </summary>
    /// <remarks>
    /// TorchSharp 0.107 does not turn a TorchScript <em>compilation</em> error into an exception: libtorch's error report (naming the
    /// line and marking the token) is printed and the process ends. The generator writes only the operations it has tested (every
    /// model's source is compiled and checked against the torch-op path by the tests), and <see cref="TorchScriptUnit"/> refuses
    /// before compiling a source whose functions it cannot read; errors while <em>running</em> a function (a shape mismatch) are
    /// exceptions, and are re-thrown naming the model and the function with libtorch's TorchScript traceback.
    /// </remarks>
    [EditorBrowsable(EditorBrowsableState.Advanced)]
    public sealed class TorchScriptUnit
    {
        private readonly Lazy<jit.CompilationUnit> unit;
        private readonly Dictionary<string, Signature> functions = new Dictionary<string, Signature>(StringComparer.Ordinal);

        private sealed class Signature
        {
            public Signature(int line, string text, string[] names, string[] types)
            {
                Line = line;
                Text = text;
                Names = names;
                Types = types;
            }

            public int Line { get; }
            public string Text { get; }
            public string[] Names { get; }
            public string[] Types { get; }
        }

        /// <summary>Reads the functions of <paramref name="source"/> (compiled later, on the first invocation).</summary>
        /// <exception cref="ArgumentException">The source defines no function, or a def line that is not <c>def name(arg: Type, …) -> Type:</c>.</exception>
        public TorchScriptUnit(string modelName, string source)
        {
            ModelName = modelName ?? throw new ArgumentNullException(nameof(modelName));
            Source = source ?? throw new ArgumentNullException(nameof(source));
            var lines = source.Split('\n');
            for (int i = 0; i < lines.Length; i++)
            {
                var line = lines[i];
                if (!line.StartsWith("def ", StringComparison.Ordinal)) continue;
                int open = line.IndexOf('('), close = line.LastIndexOf(") -> ", StringComparison.Ordinal);
                if (open < 0 || close < open || !line.EndsWith(":", StringComparison.Ordinal))
                    throw new ArgumentException(Where(i + 1, line) + " is not a TorchScript def line 'def name(arg: Type, …) -> Type:'.", nameof(source));
                var name = line.Substring(4, open - 4).Trim();
                var args = line.Substring(open + 1, close - open - 1).Split(new[] { ", " }, StringSplitOptions.RemoveEmptyEntries)
                    .Select(a => a.Split(new[] { ": " }, StringSplitOptions.None)).ToArray();
                if (args.Any(a => a.Length != 2))
                    throw new ArgumentException(Where(i + 1, line) + ": every argument needs a type annotation 'name: Type'.", nameof(source));
                functions[name] = new Signature(i + 1, line, args.Select(a => a[0]).ToArray(), args.Select(a => a[1]).ToArray());
            }
            if (functions.Count == 0) throw new ArgumentException("The TorchScript source of model '" + modelName + "' defines no function.", nameof(source));
            unit = new Lazy<jit.CompilationUnit>(() => jit.compile(Source), LazyThreadSafetyMode.ExecutionAndPublication);
        }

        /// <summary>The model whose source this is (for messages).</summary>
        public string ModelName { get; }

        /// <summary>The TorchScript source.</summary>
        public string Source { get; }

        /// <summary>The functions the source defines, in no particular order.</summary>
        public IEnumerable<string> Functions => functions.Keys;

        /// <summary>True once the source has been compiled (on the first invocation).</summary>
        public bool IsCompiled => unit.IsValueCreated;

        private string Where(int line, string text) =>
            "Model '" + ModelName + "', TorchScript line " + line.ToString(CultureInfo.InvariantCulture) + " '" + text + "'";

        /// <summary>Runs <paramref name="function"/> under no_grad and returns its tensor, owned by the caller's dispose scope.</summary>
        public Tensor Invoke(string function, params object[] args)
        {
            using var scope = NewDisposeScope();
            var result = Run(function, args, 1);
            if (result is Tensor t) return t.MoveToOuterDisposeScope();
            throw new InvalidOperationException(Where(functions[function].Line, functions[function].Text) + " returned " + Describe(result) + ", not a Tensor.");
        }

        /// <summary>Runs <paramref name="function"/>, which returns a pair of tensors, under no_grad.</summary>
        public (Tensor, Tensor) Invoke2(string function, params object[] args)
        {
            using var scope = NewDisposeScope();
            var result = Run(function, args, 2);
            if (result is ValueTuple<Tensor, Tensor> pair) return (pair.Item1.MoveToOuterDisposeScope(), pair.Item2.MoveToOuterDisposeScope());
            throw new InvalidOperationException(Where(functions[function].Line, functions[function].Text) + " returned " + Describe(result) + ", not a pair of tensors.");
        }

        private static string Describe(object? value) => value == null ? "nothing" : value.GetType().Name;

        private object? Run(string function, object[] args, int results)
        {
            if (!functions.TryGetValue(function, out var signature))
                throw new ArgumentException("Model '" + ModelName + "': its TorchScript source has no function '" + function + "' (it has " + string.Join(", ", functions.Keys.OrderBy(k => k, StringComparer.Ordinal)) + ").", nameof(function));
            if (args.Length != signature.Names.Length)
                throw new ArgumentException(Where(signature.Line, signature.Text) + " takes " + signature.Names.Length + " arguments; got " + args.Length + ".", nameof(args));
            for (int i = 0; i < args.Length; i++)
            {
                var type = signature.Types[i];
                bool ok = type == "Tensor" ? args[i] is Tensor : type == "float" ? args[i] is double : type == "int" ? args[i] is long || args[i] is int : false;
                if (!ok)
                    throw new ArgumentException(Where(signature.Line, signature.Text) + ": argument '" + signature.Names[i] + "' is a " + type + "; got " + Describe(args[i]) + ".", nameof(args));
            }
            bool returnsPair = signature.Text.Contains("-> Tuple[Tensor, Tensor]:");
            if (returnsPair != (results == 2))
                throw new ArgumentException(Where(signature.Line, signature.Text) + " returns " + (returnsPair ? "a pair of tensors" : "one tensor") + ".", nameof(function));

            TorchScriptKernels.Count();
            using var noGrad = no_grad();
            // TorchSharp's invoke casts a double or long argument to a Scalar that nothing keeps alive while the script runs
            // (a collection on another thread can free it mid-call: see Dsl.ScalarOps); pass Scalars held until the call returns.
            var held = new TorchSharp.Scalar?[args.Length];
            var passed = new object[args.Length];
            for (int i = 0; i < args.Length; i++)
                passed[i] = args[i] switch
                {
                    double d => held[i] = d.ToScalar(),
                    long l => held[i] = l.ToScalar(),
                    _ => args[i],
                };
            try
            {
                // Scalars held: every double and long argument is a Scalar in `held` (invoke's own casts are for doubles and longs).
                return unit.Value.invoke(function, passed);
            }
            catch (ExternalException e)
            {
                // libtorch's message carries the TorchScript traceback (the line and the failing operation); its C++ frames follow.
                var message = e.Message;
                int frames = message.IndexOf("\nException raised from", StringComparison.Ordinal);
                if (frames >= 0) message = message.Substring(0, frames);
                throw new InvalidOperationException("Model '" + ModelName + "', TorchScript function '" + function + "' failed: " + message.Trim(), e);
            }
            finally
            {
                foreach (var scalar in held) scalar?.Dispose();
            }
        }
    }
}
