using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl
{
    /// <summary>
    /// Who asks autograd for a derivative, in the words of the public entry point the user called: it only phrases the
    /// error when a precondition fails, so the message names the user's call and its fix rather than libtorch's internals.
    /// </summary>
    /// <param name="EntryPoint">The public call, e.g. "ProbabilityFlow.LogLikelihood with a Hutchinson estimator".</param>
    /// <param name="Function">What produced the differentiated output, e.g. "the score 'GaussianMixture'".</param>
    /// <param name="Variable">What it is differentiated in, e.g. "x" or "the parameters of 'Rbm'".</param>
    /// <param name="Remedy">The fix, phrased for the user, e.g. "use Score, not ScoreNoGrad".</param>
    internal sealed record AutogradCaller(string EntryPoint, string Function, string Variable, string Remedy);

    /// <summary>
    /// The library's only door into autograd. TorchSharp 0.107's <c>autograd.grad</c> does not catch libtorch's
    /// <c>c10::Error</c> (THSAutograd_grad has no CATCH), so any native autograd error there — an output without a graph, an
    /// input that does not require grad, an unused input without allow_unused, a mismatched grad_output, a graph already
    /// freed — reaches <c>std::terminate</c> and aborts the process (SIGABRT, exit 134), which no managed code can catch.
    /// Every precondition libtorch would check is therefore checked here first, in managed code, and a failure is an
    /// <see cref="ArgumentException"/> naming the caller's entry point and fix. <c>Tensor.backward</c> does catch natively,
    /// but its messages speak libtorch; it goes through the same checks and its residual native errors are translated.
    /// </summary>
    internal static class GuardedAutograd
    {
        /// <summary>
        /// Outputs already differentiated without retain_graph: libtorch freed their saved tensors, and a second pass through
        /// the same output object would abort. Weak keys: the table never keeps a tensor alive.
        /// </summary>
        private static readonly ConditionalWeakTable<Tensor, object> Freed = new();

        private static readonly object Marker = new();

        /// <summary>
        /// ∂(Σ gradOutputsᵢ·outputsᵢ)/∂inputsⱼ for each input; null where the outputs do not depend on an input (allow_unused
        /// is always passed, so an unused input is never a native error: the caller decides whether that means zero or a
        /// mistake). Without <paramref name="gradOutputs"/> every output must hold a single number.
        /// </summary>
        public static Tensor?[] Grad(AutogradCaller caller, IList<Tensor> outputs, IList<Tensor> inputs, IList<Tensor>? gradOutputs = null,
            bool retainGraph = false, bool createGraph = false)
        {
            CheckOutputs(caller, outputs, gradOutputs);
            CheckInputs(caller, inputs);
            CheckNotFreed(caller, outputs);
            // retain_graph defaults to create_graph in libtorch; passing it explicitly keeps the two decisions apart.
            var grads = autograd.grad(outputs, inputs, gradOutputs, retain_graph: retainGraph || createGraph, create_graph: createGraph, allow_unused: true);
            if (!(retainGraph || createGraph)) MarkFreed(outputs);
            var result = new Tensor?[grads.Count];
            for (int i = 0; i < result.Length; i++) result[i] = grads[i] is null || grads[i].IsInvalid ? null : grads[i];
            return result;
        }

        /// <summary>∂output/∂input for one output and one input (see the list overload); null when output does not depend on input.</summary>
        public static Tensor? Grad(AutogradCaller caller, Tensor output, Tensor input, Tensor? gradOutput = null, bool retainGraph = false, bool createGraph = false) =>
            Grad(caller, new[] { output }, new[] { input }, gradOutput is null ? null : new[] { gradOutput }, retainGraph, createGraph)[0];

        /// <summary>
        /// loss.backward(): accumulates ∂loss/∂leaf into every leaf's .grad. The loss must be one floating-point number that
        /// requires grad and has not been backpropagated already; a graph freed by an earlier pass that only libtorch can see
        /// (a tensor the loss reuses from a previous step) becomes an ArgumentException too.
        /// </summary>
        public static void Backward(AutogradCaller caller, Tensor loss)
        {
            CheckOutputs(caller, new[] { loss }, null);
            CheckNotFreed(caller, new[] { loss });
            try
            {
                loss.backward();
            }
            catch (ExternalException e) when (e.Message.Contains("backward through the graph a second time", StringComparison.Ordinal))
            {
                throw new ArgumentException(caller.EntryPoint + ": " + caller.Function + " reuses part of an autograd graph that an earlier backward pass "
                    + "already freed (typically a tensor computed from the parameters once, outside the loss, and reused in every step). "
                    + "Compute every tensor that depends on " + caller.Variable + " anew inside each evaluation. " + caller.Remedy, e);
            }
            MarkFreed(new[] { loss });
        }

        private static void CheckOutputs(AutogradCaller caller, IList<Tensor> outputs, IList<Tensor>? gradOutputs)
        {
            if (outputs is null || outputs.Count == 0) throw new ArgumentException(caller.EntryPoint + ": nothing to differentiate (no outputs).");
            if (gradOutputs is not null && gradOutputs.Count != outputs.Count)
                throw new ArgumentException(caller.EntryPoint + ": " + gradOutputs.Count + " grad_outputs for " + outputs.Count + " outputs.");
            for (int i = 0; i < outputs.Count; i++)
            {
                var output = outputs[i];
                if (output is null || output.IsInvalid)
                    throw new ArgumentException(caller.EntryPoint + ": " + caller.Function + " returned " + (output is null ? "null" : "a disposed tensor") + " instead of a tensor.");
                if (!output.is_floating_point())
                    throw new ArgumentException(caller.EntryPoint + ": " + caller.Function + " must return floating-point values to be differentiated; got " + output.dtype + ".");
                // requires_grad is true exactly when the tensor has a grad_fn or is a leaf that requires grad: the condition
                // libtorch's run_backward enforces ("element i of tensors does not require grad and does not have a grad_fn").
                if (!output.requires_grad)
                    throw new ArgumentException(caller.EntryPoint + ": " + caller.Function + " must be differentiable in " + caller.Variable
                        + ", but it returned a tensor without an autograd graph (requires_grad = false, no grad_fn): it was computed under no_grad, "
                        + "detached, by an inference method such as ScoreNoGrad or EnergyNoGrad, or without using " + caller.Variable + " at all. " + caller.Remedy);
                if (gradOutputs is null)
                {
                    if (output.numel() != 1)
                        throw new ArgumentException(caller.EntryPoint + ": " + caller.Function + " must be a single number to be differentiated without a weighting; got "
                            + Broadcasting.Describe(output) + ".");
                    continue;
                }
                var weight = gradOutputs[i];
                if (weight is null || weight.IsInvalid)
                    throw new ArgumentException(caller.EntryPoint + ": grad_output " + i + " is " + (weight is null ? "null" : "disposed") + ".");
                if (!weight.shape.AsSpan().SequenceEqual(output.shape))
                    throw new ArgumentException(caller.EntryPoint + ": grad_output " + i + " has shape " + Broadcasting.Describe(weight) + " but "
                        + caller.Function + " returned " + Broadcasting.Describe(output) + "; they must be equal.");
                if (weight.dtype != output.dtype || weight.device_type != output.device_type || weight.device_index != output.device_index)
                    throw new ArgumentException(caller.EntryPoint + ": grad_output " + i + " is " + weight.dtype + " on " + weight.device + " but "
                        + caller.Function + " returned " + output.dtype + " on " + output.device + "; they must match.");
            }
        }

        private static void CheckInputs(AutogradCaller caller, IList<Tensor> inputs)
        {
            if (inputs is null || inputs.Count == 0) throw new ArgumentException(caller.EntryPoint + ": nothing to differentiate in (no inputs).");
            for (int j = 0; j < inputs.Count; j++)
            {
                var input = inputs[j];
                if (input is null || input.IsInvalid)
                    throw new ArgumentException(caller.EntryPoint + ": " + caller.Variable + " is " + (input is null ? "null" : "a disposed tensor") + ".");
                // libtorch: "One of the differentiated Tensors does not require grad" (an abort through autograd.grad).
                if (!input.requires_grad)
                    throw new ArgumentException(caller.EntryPoint + ": " + caller.Variable + (inputs.Count > 1 ? " (tensor " + j + " of " + inputs.Count + ")" : "")
                        + " does not require grad (a frozen parameter, or a tensor made under no_grad), so nothing can be differentiated in it. " + caller.Remedy);
            }
        }

        private static void CheckNotFreed(AutogradCaller caller, IList<Tensor> outputs)
        {
            foreach (var output in outputs)
                if (Freed.TryGetValue(output, out _))
                    throw new ArgumentException(caller.EntryPoint + ": " + caller.Function + " was already backpropagated once and its graph freed; "
                        + "evaluate it again (or keep the graph with retain_graph) before differentiating it a second time.");
        }

        private static void MarkFreed(IList<Tensor> outputs)
        {
            foreach (var output in outputs) Freed.AddOrUpdate(output, Marker);
        }
    }
}
