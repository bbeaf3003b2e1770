using Dsl.GeneratedCode;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Sampling
{
    /// <summary>
    /// The one place that decides whether a sampler takes a generated model's speed-only path (the <c>…StepNoGrad</c> and sweep
    /// interfaces): every probe of those interfaces goes through here, so the conditions cannot drift apart. The paths give the
    /// same chains as the general ones up to rounding where their documentation says so; where they draw their noise differently
    /// (counter-based streams) the probe's answer is part of what a seed means, so a rule here must not change without a reason.
    /// </summary>
    internal static class FastPaths
    {
        /// <summary>
        /// Whether the generated fused CPU kernels run for <paramref name="x"/> under <paramref name="kernels"/>: what
        /// <see cref="FusedKernels.Accepts(KernelPath, Tensor)"/> allows, for a contiguous x (the in-place paths read and write x's storage
        /// in order).
        /// </summary>
        public static bool FusedKernelsRun(KernelPath kernels, Tensor x) => FusedKernels.Accepts(kernels, x) && x.is_contiguous();

        /// <summary>
        /// The Langevin update x + a·s(x) + b·z with z drawn inside the model's own step (<see cref="ICounterNoiseStepModel"/>): taken for a
        /// CPU state; a caller that has the step write into a buffer of its own (<paramref name="intoBuffer"/>, a double-buffered chain)
        /// needs x contiguous as well. The model then picks its fused kernel or torch ops by its <see cref="ParameterModule.Kernels"/>;
        /// z is the same numbers either way.
        /// </summary>
        public static bool CounterNoiseStep(IScoreModel model, Tensor x, bool intoBuffer, out ICounterNoiseStepModel step)
        {
            step = null!;
            if (model is not ICounterNoiseStepModel counter || x.device_type != DeviceType.CPU || (intoBuffer && !x.is_contiguous())) return false;
            step = counter;
            return true;
        }

        /// <summary>The Langevin update with a given noise tensor in one pass (<see cref="IScoreStepModel"/>): taken whenever the model has it.</summary>
        public static bool ScoreStep(IScoreModel model, out IScoreStepModel step)
        {
            step = null!;
            if (model is not IScoreStepModel fused) return false;
            step = fused;
            return true;
        }

        /// <summary>
        /// The shared-noise-level step c·x + a·s(u·x, σ) + b·z of a noise-conditional data model (<see cref="INoiseConditionalStepModel"/>,
        /// the reverse-SDE fast path): taken when its fused kernels run for x (<see cref="FusedKernelsRun"/>).
        /// </summary>
        public static bool SharedLevelStep(INoiseConditionalModel model, Tensor x, out INoiseConditionalStepModel step)
        {
            step = null!;
            if (model is not INoiseConditionalStepModel shared || model is not ParameterModule module || !FusedKernelsRun(module.Kernels, x)) return false;
            step = shared;
            return true;
        }

        /// <summary>
        /// The generated one-pass checkerboard sweep (<see cref="ILatticeSweepModel"/>): taken when its fused kernels run for the units
        /// (<see cref="FusedKernelsRun"/>); the caller checks the lattice shape and mask.
        /// </summary>
        public static bool LatticeSweep(IDiscreteEnergyModel model, Tensor units, out ILatticeSweepModel lattice)
        {
            lattice = null!;
            if (model is not ILatticeSweepModel sweep || !FusedKernelsRun(sweep.Kernels, units)) return false;
            lattice = sweep;
            return true;
        }
    }
}
