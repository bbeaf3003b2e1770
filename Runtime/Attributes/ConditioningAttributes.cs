using System;

namespace Dsl
{
    /// <summary>
    /// Marks an argument of the energy, <c>Scalar E(Vec x, [Time] Scalar t)</c>, as a per-sample time: the model is a
    /// time-dependent energy E(x, t) whose generated score s(x, t) = −∇ₓE(x, t) is an <see cref="Dsl.Sde.ITimeScoreModel"/>
    /// (continuous-time denoising score matching, the reverse-time SDE and probability-flow samplers take it). The generator
    /// emits <c>Energy(x, t)</c>, <c>Score(x, t)</c>, … with t: [N] or [N, 1], one time per sample, and differentiates in x only
    /// (no derivative in t). At most one [Time] argument, not together with [NoiseLevel] (DSL0045).
    /// </summary>
    [AttributeUsage(AttributeTargets.Parameter, Inherited = false, AllowMultiple = false)]
    public sealed class TimeAttribute : Attribute
    {
    }

    /// <summary>
    /// Marks an argument of the energy as a conditioning input: an observation <c>[Condition] Vec y</c> (per sample [N, K]) or
    /// a class label <c>[Condition] Label y</c> (per sample an int64 [N] in 0…K−1), for conditional energies E(x | y) and
    /// classifiers E(x, y) = −log p(y | x). The generator emits <c>Energy(x, y)</c>, <c>Score(x, y)</c>, … (with a [Time]
    /// argument: <c>Energy(x, t, y)</c>) and differentiates in x only (no derivative in y). A label enters an equation
    /// through <see cref="Math.Pick(Vec, Label)"/> (vᵧ, the log-softmax numerator) or <see cref="Math.OneHot(Label, Scalar)"/>.
    /// At most one [Condition] argument (DSL0046).
    /// </summary>
    [AttributeUsage(AttributeTargets.Parameter, Inherited = false, AllowMultiple = false)]
    public sealed class ConditionAttribute : Attribute
    {
        /// <summary>
        /// The dimension symbol of a <c>Vec</c> observation (default "K"): a [Param] shape that names it (e.g. <c>[Param("D,K")] Mat W</c>
        /// for W·y) shares its size; otherwise it becomes a constructor size of its own. Ignored for a <c>Label</c>, whose class
        /// count is the length of the Vec it picks from.
        /// </summary>
        public string Dim { get; set; } = "K";
    }
}
