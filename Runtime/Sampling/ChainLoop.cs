using System;
using System.Collections.Generic;
using System.Diagnostics;
using Dsl.GeneratedCode;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Sampling
{
    /// <summary>
    /// One Markov transition of a batch of N chains: the extension point of the MCMC samplers. Subclass it and pass it to
    /// <see cref="ChainLoop.Run"/>, which serves it as it serves the built-in Metropolis, Langevin, MALA and annealed Langevin
    /// kernels: burn-in with optional step-size adaptation from the acceptance it reports, thinned recording into a trajectory
    /// [T, N, D] (for <see cref="ChainDiagnostics"/>), NaN/Inf detection, progress, cancellation and disposal.
    /// <para>
    /// The contract: <see cref="Start"/> is called once with a fresh [N, D] state the kernel then owns; <see cref="Step"/> is called
    /// once per step under no_grad and must leave <see cref="Current"/> a valid [N, D] tensor of the start's dtype and device (it may
    /// update it in place or replace it, disposing the old one); the loop clones <see cref="Current"/> to keep it and never disposes it;
    /// <see cref="IDisposable.Dispose"/> is called once at the end (also when <see cref="Start"/> throws) and disposes what the kernel owns.
    /// Draw every random number from the generator <see cref="Step"/> is given: it is seeded from <see cref="SamplerOptions.Seed"/>.
    /// </para>
    /// </summary>
    public abstract class TransitionKernel : IDisposable
    {
        /// <summary>The current state [N, D] (owned by the kernel; clone it to keep it).</summary>
        public abstract Tensor Current { get; }

        /// <summary>Takes ownership of the starting state.</summary>
        public abstract void Start(Tensor x);

        /// <summary>
        /// Advances every chain by one step of size <paramref name="stepSize"/> at step index <paramref name="step"/>;
        /// returns the per-chain acceptance indicator [N] (float64) for Metropolis-adjusted kernels, or null.
        /// </summary>
        public abstract Tensor? Step(long step, double stepSize, Generator generator);

        /// <summary>Disposes the current state and every tensor the kernel holds.</summary>
        public abstract void Dispose();

        private bool scoreShapeChecked;

        /// <summary>
        /// Returns <paramref name="score"/> after checking, on the first call only, that it has x's shape [N, D]: a hand-written
        /// score of the wrong shape would broadcast or fail inside libtorch, and its shape cannot change from step to step.
        /// </summary>
        protected Tensor ScoreCheckedOnce(string sampler, string modelName, Tensor score, Tensor x)
        {
            if (scoreShapeChecked) return score;
            ScoreOutput.CheckShape(sampler, modelName, score, x);
            scoreShapeChecked = true;
            return score;
        }
    }

    /// <summary>
    /// The loop every sampler shares: burn-in with optional step-size adaptation, thinned recording,
    /// NaN/Inf detection, progress, cancellation and per-step disposal (no tensor outlives its step).
    /// </summary>
    public static class ChainLoop
    {
        /// <summary>
        /// Runs <paramref name="kernel"/> from <paramref name="x0"/> for <see cref="SamplerOptions.BurnIn"/> + <see cref="SamplerOptions.Steps"/>
        /// steps and returns the final state, the trajectory of every <see cref="SamplerOptions.Thin"/>-th state after burn-in, the acceptance
        /// rate (the mean of the indicators the kernel returns after burn-in; NaN when it returns none) and the final step size. The loop owns
        /// the kernel: it disposes it when it returns or throws. x0 is copied, not consumed. Every
        /// <see cref="SamplerOptions.CheckFiniteEvery"/> steps and at the end the state must be finite, else a
        /// <see cref="SamplerDivergedException"/> names the step. Check x0 first with <see cref="CheckStart"/> and the step size with
        /// <see cref="CheckStepSize"/>, as the built-in samplers do.
        /// </summary>
        /// <param name="sampler">The name in progress reports, messages and the result.</param>
        /// <param name="model">The model (its name goes into messages).</param>
        /// <param name="x0">The starting state [N, D].</param>
        /// <param name="kernel">The transition kernel.</param>
        /// <param name="stepSize">The initial step size h &gt; 0 passed to every step.</param>
        /// <param name="options">Steps, burn-in, thinning, seed, progress, cancellation.</param>
        /// <param name="adaptTarget">When set, the burn-in adapts log h by Robbins–Monro towards this acceptance rate (the kernel must return indicators).</param>
        /// <param name="stepSizeAt">When set, the step size of step t (a schedule); it overrides <paramref name="stepSize"/> and adaptation.</param>
        public static SamplerResult Run(string sampler, IModel model, Tensor x0, TransitionKernel kernel, double stepSize,
            SamplerOptions options, double? adaptTarget, Func<long, double>? stepSizeAt = null)
        {
            options.Validate(sampler);
            var clock = Stopwatch.StartNew();
            using var generator = new Generator((ulong)options.Seed, x0.device);
            try
            {
                using var detached = x0.detach();
                kernel.Start(detached.clone());
            }
            catch
            {
                kernel.Dispose();                                  // a start refused by the kernel's checks must not leak its tensors
                throw;
            }
            var recorded = new List<Tensor>();
            long total = (long)options.BurnIn + options.Steps;
            long reportEvery = System.Math.Max(1, total / 100);
            double logStep = System.Math.Log(stepSize);
            double acceptedBurnIn = 0, acceptedAfter = 0;
            long adjustedBurnIn = 0, adjustedAfter = 0;
            bool cancelled = false;
            using var noGrad = no_grad();
            long t = 0;
            try
            {
                for (; t < total; t++)
                {
                    if (options.Cancellation.IsCancellationRequested) { cancelled = true; break; }
                    bool burning = t < options.BurnIn;
                    double h = stepSizeAt?.Invoke(t) ?? System.Math.Exp(logStep);
                    using (var accepted = kernel.Step(t, h, generator))
                    {
                        if (accepted is not null)
                        {
                            double rate;
                            using (var mean = accepted.mean()) rate = mean.item<double>();
                            if (burning) { acceptedBurnIn += rate; adjustedBurnIn++; }
                            else { acceptedAfter += rate; adjustedAfter++; }
                            // Robbins–Monro on log h towards the target acceptance, during burn-in only.
                            if (burning && adaptTarget.HasValue)
                                logStep += (rate - adaptTarget.Value) / System.Math.Pow(t + 1, 0.6);
                        }
                    }
                    if ((t + 1) % options.CheckFiniteEvery == 0 || t + 1 == total)
                    {
                        if (!AllFinite(kernel.Current)) throw new SamplerDivergedException(sampler, model.ModelName, t + 1, h);
                    }
                    if (!burning && options.Thin > 0 && (t + 1 - options.BurnIn) % options.Thin == 0)
                        recorded.Add(kernel.Current.clone());
                    if (options.Progress != null && ((t + 1) % reportEvery == 0 || t + 1 == total))
                        options.Progress.Report(new SamplerProgress(sampler, t + 1, total, Rate(acceptedBurnIn + acceptedAfter, adjustedBurnIn + adjustedAfter)));
                }
                var samples = kernel.Current.clone();
                Tensor? trajectory = null;
                if (options.Thin > 0)
                    trajectory = recorded.Count > 0 ? stack(recorded.ToArray()) : empty(new long[] { 0, x0.shape[0], x0.shape[1] }, x0.dtype, x0.device);
                double acceptance = adjustedAfter > 0 ? acceptedAfter / adjustedAfter : Rate(acceptedBurnIn, adjustedBurnIn);
                double finalStep = stepSizeAt?.Invoke(System.Math.Max(0, t - 1)) ?? System.Math.Exp(logStep);
                return new SamplerResult(sampler, samples, trajectory, t, acceptance, finalStep, clock.Elapsed, cancelled);
            }
            finally
            {
                foreach (var r in recorded) r.Dispose();
                kernel.Dispose();
            }
        }

        /// <summary>
        /// True when every entry is finite (the intermediate mask is disposed too). A contiguous float CPU tensor is scanned in
        /// place, 4–8 lanes at a time (v − v is 0 exactly when v is finite): the per-step check of a fused sampler then costs a
        /// read of x instead of libtorch's isfinite mask and its reduction (a fifth of a fused reverse-SDE step, docs/perf.md).
        /// </summary>
        internal static bool AllFinite(Tensor x)
        {
            if (x.device_type == DeviceType.CPU && x.is_contiguous() && x.numel() * x.ElementSize <= int.MaxValue)
            {
                if (x.dtype == ScalarType.Float32) return AllFinite(FusedKernels.Span<float>(x));
                if (x.dtype == ScalarType.Float64) return AllFinite(FusedKernels.Span<double>(x));
            }
            using var scope = NewDisposeScope();
            return x.isfinite().all().item<bool>();
        }

        private static bool AllFinite<T>(ReadOnlySpan<T> values) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        {
            int i = 0;
            if (System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated && System.Runtime.Intrinsics.Vector256<T>.IsSupported)
            {
                int lanes = System.Runtime.Intrinsics.Vector256<T>.Count;
                var acc = System.Runtime.Intrinsics.Vector256<T>.Zero;
                ref T first = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(values);
                for (; i + lanes <= values.Length; i += lanes)
                {
                    var v = System.Runtime.Intrinsics.Vector256.LoadUnsafe(ref first, (nuint)i);
                    acc += v - v;                                          // NaN from the first ±∞ or NaN on, 0 otherwise
                }
                if (!System.Runtime.Intrinsics.Vector256.EqualsAll(acc, System.Runtime.Intrinsics.Vector256<T>.Zero)) return false;
            }
            for (; i < values.Length; i++)
                if (!T.IsFinite(values[i])) return false;
            return true;
        }

        private static double Rate(double sum, long count) => count > 0 ? sum / count : double.NaN;

        /// <summary>Throws an ArgumentException unless x0 is a finite floating-point [N, D] batch for <paramref name="model"/> inside its declared support (<see cref="ModelSupport"/>).</summary>
        public static void CheckStart(string sampler, IModel model, Tensor x0)
        {
            if (x0 is null) throw new ArgumentNullException(nameof(x0), sampler + ": the starting state x0 is null.");
            if (x0.dim() != 2 || x0.shape[1] != model.Dim || !x0.is_floating_point())
                throw new ArgumentException(sampler + " on " + model.ModelName + ": x0 must be a floating-point [N, " + model.Dim + "] tensor (N chains of dimension D = " + model.Dim + "); got " + x0.dtype + " " + Broadcasting.Describe(x0) + ".", nameof(x0));
            CheckFiniteStart(sampler + " on " + model.ModelName, "the initial state x0", x0, nameof(x0));
            var support = ModelSupport.Of(model);
            if (support == SupportKind.RealLine) return;
            long outside, first;
            using (var scope = NewDisposeScope())
            {
                var rows = ModelSupport.Contains(support, x0).logical_not();
                outside = rows.sum().ToInt64Value();
                if (outside == 0) return;
                first = rows.nonzero()[0, 0].ToInt64Value();
            }
            throw new ArgumentException(sampler + " on " + model.ModelName + ": x0 must lie in the model's support (" + ModelSupport.Describe(support) + "); row " + first
                + (outside > 1 ? " and " + (outside - 1) + " other" + (outside > 2 ? "s" : "") : "") + " of " + x0.shape[0] + " lie outside. Map the start into it with ModelSupport.MapInto.", nameof(x0));
        }

        /// <summary>
        /// Throws an ArgumentException when <paramref name="x"/> [N, D] already holds NaN or ±∞ before the first step: a sampler
        /// would otherwise report it later as a divergence and blame its step size. Names the first bad row (chain).
        /// </summary>
        internal static void CheckFiniteStart(string entryPoint, string what, Tensor x, string parameter)
        {
            if (AllFinite(x)) return;
            long bad, first;
            using (var scope = NewDisposeScope())
            {
                var rows = x.isfinite().all(1).logical_not();
                bad = rows.sum().ToInt64Value();
                first = rows.nonzero()[0, 0].ToInt64Value();
            }
            throw new ArgumentException(entryPoint + ": " + what + " has NaN or ±∞ entries before the first step, in row " + first
                + (bad > 1 ? " and " + (bad - 1) + " other" + (bad > 2 ? "s" : "") : "") + " of " + x.shape[0]
                + " (chain " + first + "). This is the initial state, not a divergence of the sampler: fix how " + parameter + " is made.", parameter);
        }

        /// <summary>Throws an ArgumentException unless the step size <paramref name="value"/> (named <paramref name="name"/>) is finite and positive.</summary>
        public static void CheckStepSize(string sampler, string name, double value)
        {
            if (!(value > 0) || double.IsInfinity(value))
                throw new ArgumentException(sampler + ": " + name + " must be a finite positive number, got " + value.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".", name);
        }
    }
}
