using System;
using System.Collections.Concurrent;
using System.Reflection;
using static TorchSharp.torch;

namespace Dsl
{
    /// <summary>Where a model's density lives, coordinate by coordinate.</summary>
    public enum SupportKind
    {
        /// <summary>Every x ∈ ℝ^D (the default for a model without <see cref="SupportAttribute"/>).</summary>
        RealLine,
        /// <summary>x ∈ [0, ∞)^D: every coordinate non-negative (e.g. a product of exponentials).</summary>
        NonNegative,
    }

    /// <summary>
    /// Declares the support of a model class: its density is zero outside it (the energy written for it may be finite there,
    /// as λᵀx is for x &lt; 0). Samplers and tools read it with <see cref="ModelSupport"/> instead of knowing the model:
    /// the Metropolis–Hastings and MALA samplers reject proposals outside it, every MCMC sampler refuses a start outside it,
    /// and the gallery maps its standard-normal starting points into it. A model without the attribute lives on ℝ^D.
    /// </summary>
    [AttributeUsage(AttributeTargets.Class, Inherited = true, AllowMultiple = false)]
    public sealed class SupportAttribute : Attribute
    {
        /// <summary>Declares the support <paramref name="kind"/>.</summary>
        public SupportAttribute(SupportKind kind) { Kind = kind; }

        /// <summary>The support.</summary>
        public SupportKind Kind { get; }
    }

    /// <summary>Reads a model's declared <see cref="SupportAttribute"/> and applies it to batches x: [N, D].</summary>
    public static class ModelSupport
    {
        private static readonly ConcurrentDictionary<Type, SupportKind> Cache = new ConcurrentDictionary<Type, SupportKind>();

        /// <summary>The support declared on <paramref name="model"/>'s class (or a base class), <see cref="SupportKind.RealLine"/> when none.</summary>
        public static SupportKind Of(IModel model) =>
            Cache.GetOrAdd(model.GetType(), type => type.GetCustomAttribute<SupportAttribute>(inherit: true)?.Kind ?? SupportKind.RealLine);

        /// <summary>
        /// Maps points of ℝ^D into the support (a new tensor for a constrained support, x itself for ℝ^D): |x| for
        /// <see cref="SupportKind.NonNegative"/>. Used to turn standard-normal starting points or test inputs into valid ones.
        /// </summary>
        public static Tensor MapInto(IModel model, Tensor x) => Of(model) switch
        {
            SupportKind.NonNegative => x.abs(),
            _ => x,
        };

        /// <summary>Per row of x: [N, D], whether it lies in <paramref name="kind"/>: a Bool [N] (a fresh tensor).</summary>
        public static Tensor Contains(SupportKind kind, Tensor x) => kind switch
        {
            SupportKind.NonNegative => x.Ge(0).all(1),
            _ => ones(new long[] { x.shape[0] }, ScalarType.Bool, x.device),
        };

        /// <summary>The support in words, for messages: "ℝ^D" or "x ≥ 0".</summary>
        public static string Describe(SupportKind kind) => kind == SupportKind.NonNegative ? "x ≥ 0" : "ℝ^D";
    }
}
