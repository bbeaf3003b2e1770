using System;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Tests
{
    /// <summary>
    /// The guard in front of autograd: each precondition libtorch would enforce by aborting the process (autograd.grad has no
    /// native catch in TorchSharp 0.107) is an ArgumentException here, and no library code calls autograd around it.
    /// </summary>
    public class GuardedAutogradTests
    {
        private static readonly AutogradCaller Caller = new("GuardTest", "the output", "x", "Fix it.");

        private static Tensor Input() => empty(3, 2, dtype: ScalarType.Float64).normal_(0, 1, generator: new Generator(1)).requires_grad_(true);

        [Fact]
        public void An_output_without_a_graph_is_refused_with_the_callers_words()
        {
            using var x = Input();
            Tensor y;
            using (no_grad()) y = x.exp().sum();
            var e = Assert.Throws<ArgumentException>(() => GuardedAutograd.Grad(Caller, y, x));
            Assert.Equal("GuardTest: the output must be differentiable in x, but it returned a tensor without an autograd graph (requires_grad = false, no grad_fn): "
                + "it was computed under no_grad, detached, by an inference method such as ScoreNoGrad or EnergyNoGrad, or without using x at all. Fix it.", e.Message);
            Assert.Contains("GuardTest", Assert.Throws<ArgumentException>(() => GuardedAutograd.Backward(Caller, y)).Message);
        }

        [Fact]
        public void An_input_that_does_not_require_grad_is_refused()
        {
            using var x = Input();
            using var frozen = ones(3, 2, dtype: ScalarType.Float64);
            using var y = x.exp().sum();
            var e = Assert.Throws<ArgumentException>(() => GuardedAutograd.Grad(Caller, new[] { y }, new[] { x, frozen }));
            Assert.Contains("GuardTest: x (tensor 1 of 2) does not require grad", e.Message);
        }

        [Fact]
        public void A_second_pass_through_a_freed_graph_is_refused_and_a_retained_one_is_allowed()
        {
            using var x = Input();
            using var kept = x.exp().sum();
            Assert.NotNull(GuardedAutograd.Grad(Caller, kept, x, retainGraph: true));
            Assert.NotNull(GuardedAutograd.Grad(Caller, kept, x));
            var e = Assert.Throws<ArgumentException>(() => GuardedAutograd.Grad(Caller, kept, x));
            Assert.Contains("GuardTest: the output was already backpropagated once and its graph freed", e.Message);
            using var loss = x.exp().sum();
            GuardedAutograd.Backward(Caller, loss);
            Assert.Contains("already backpropagated", Assert.Throws<ArgumentException>(() => GuardedAutograd.Backward(Caller, loss)).Message);
        }

        [Fact]
        public void Grad_outputs_must_match_the_outputs_and_a_lone_output_must_be_a_single_number()
        {
            using var x = Input();
            using var field = x.exp();
            using var narrow = ones(3, 1, dtype: ScalarType.Float64);
            Assert.Contains("grad_output 0 has shape [3, 1] but the output returned [3, 2]",
                Assert.Throws<ArgumentException>(() => GuardedAutograd.Grad(Caller, field, x, narrow, retainGraph: true)).Message);
            using var single = ones(3, 2, dtype: ScalarType.Float32);
            Assert.Contains("grad_output 0 is Float32",
                Assert.Throws<ArgumentException>(() => GuardedAutograd.Grad(Caller, field, x, single, retainGraph: true)).Message);
            Assert.Contains("GuardTest: the output must be a single number to be differentiated without a weighting; got [3, 2]",
                Assert.Throws<ArgumentException>(() => GuardedAutograd.Grad(Caller, field, x, retainGraph: true)).Message);
            using var weight = ones(3, 2, dtype: ScalarType.Float64);
            var g = GuardedAutograd.Grad(Caller, field, x, weight, retainGraph: true);
            Assert.True(g!.allclose(field.detach()));                     // ∂(Σ exp x)/∂x = exp x
        }

        [Fact]
        public void An_input_the_outputs_do_not_use_gives_null_instead_of_a_native_abort()
        {
            using var x = Input();
            using var other = Input();
            using var y = x.exp().sum();
            var grads = GuardedAutograd.Grad(Caller, new[] { y }, new[] { x, other });
            Assert.NotNull(grads[0]);
            Assert.Null(grads[1]);
        }

        /// <summary>Fails when library code calls autograd directly again: such a call skips the checks and can abort the process.</summary>
        [Fact]
        public void No_runtime_code_calls_autograd_except_through_the_guard()
        {
            var runtime = Path.Combine(RepoRoot(), "Runtime");
            var direct = new Regex(@"\bautograd\s*\.\s*(grad|backward)\s*\(|\.\s*backward\s*\(");
            var offenders = Directory.GetFiles(runtime, "*.cs", SearchOption.AllDirectories)
                .Where(f => !f.Contains(Path.DirectorySeparatorChar + "obj" + Path.DirectorySeparatorChar) && !f.Contains(Path.DirectorySeparatorChar + "bin" + Path.DirectorySeparatorChar))
                .Where(f => Path.GetFileName(f) != "GuardedAutograd.cs")
                .SelectMany(f => File.ReadLines(f).Select((line, i) => (File: Path.GetRelativePath(runtime, f), Line: i + 1, Text: line.Trim())))
                .Where(l => !l.Text.StartsWith("//", StringComparison.Ordinal) && direct.IsMatch(l.Text))
                .Select(l => l.File + ":" + l.Line + ": " + l.Text)
                .ToList();
            Assert.True(offenders.Count == 0, "call autograd through GuardedAutograd instead:\n" + string.Join("\n", offenders));
        }

        private static string RepoRoot([CallerFilePath] string file = "") => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, "..", ".."));
    }
}
