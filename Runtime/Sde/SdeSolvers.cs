using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Threading;
using Dsl.GeneratedCode;
using Dsl.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Sde
{
    /// <summary>The predictor of a reverse-time sampler.</summary>
    public enum Predictor
    {
        /// <summary>Reverse Euler–Maruyama: x ← x − [f − g²s]|Δt| + g√|Δt| z.</summary>
        EulerMaruyama,
        /// <summary>Reverse diffusion (Song et al. 2021, Eq. 46) on the kernel's exact one-step discretisation x_{t} = αx_{t−Δt} + √β z.</summary>
        ReverseDiffusion,
        /// <summary>No predictor (corrector-only sampling).</summary>
        None,
    }

    /// <summary>The corrector of a predictor–corrector sampler.</summary>
    public enum Corrector
    {
        /// <summary>No corrector.</summary>
        None,
        /// <summary>Langevin MCMC with the signal-to-noise step rule (Song et al. 2021, Algorithm 4).</summary>
        Langevin,
    }

    /// <summary>The order of predictor and corrector within one time step of a predictor–corrector sampler.</summary>
    public enum PcOrder
    {
        /// <summary>score_sde's code: the corrector at t, then the predictor from t to t − Δt.</summary>
        CorrectorFirst,
        /// <summary>Song et al. (2021) Algorithm 2 as written and the lecture's pseudocode: the predictor from t to t − Δt, then the corrector at t − Δt.</summary>
        PredictorFirst,
    }

    /// <summary>Settings of the reverse-time samplers (score_sde's defaults).</summary>
    public sealed class SdeSamplerOptions
    {
        /// <summary>Time steps N from T down to ε.</summary>
        public int Steps { get; init; } = 1000;

        /// <summary>The truncation ε: the solver stops at t = ε &gt; 0 where the score stays finite.</summary>
        public double Epsilon { get; init; } = 1e-3;

        /// <summary>
        /// A time grid from T down to ε to step on instead of <see cref="Steps"/> equal steps from T to <see cref="Epsilon"/>
        /// (both are then not read): step i goes from grid[i] to grid[i + 1] with Δtᵢ = grid[i] − grid[i + 1]. It must start at T.
        /// </summary>
        public TimeGrid? Grid { get; init; }

        /// <summary>The predictor.</summary>
        public Predictor Predictor { get; init; } = Predictor.EulerMaruyama;

        /// <summary>The corrector.</summary>
        public Corrector Corrector { get; init; } = Corrector.None;

        /// <summary>Corrector steps per time step.</summary>
        public int CorrectorSteps { get; init; } = 1;

        /// <summary>The corrector's signal-to-noise ratio r: step = 2α(r‖z‖/‖s‖)².</summary>
        public double Snr { get; init; } = 0.16;

        /// <summary>
        /// A fixed Langevin corrector step γ &gt; 0 (x ← x + γs + √(2γ) z, the lecture's form) instead of the signal-to-noise rule;
        /// null (the default) uses <see cref="Snr"/>.
        /// </summary>
        public double? CorrectorStepSize { get; init; }

        /// <summary>
        /// Corrector first (score_sde, the default) or predictor first (Song et al. 2021 Algorithm 2, the lecture). With predictor first
        /// the corrector runs at the step's end time t − Δt; with <see cref="Denoise"/> the last step's corrector is skipped, so the
        /// run returns the last predictor step's noise-free mean as in corrector-first order.
        /// </summary>
        public PcOrder Order { get; init; } = PcOrder.CorrectorFirst;

        /// <summary>Return the noise-free mean of the last predictor step (score_sde's noise_removal).</summary>
        public bool Denoise { get; init; } = true;

        /// <summary>Seed of the sampler's generator.</summary>
        public long Seed { get; init; }

        /// <summary>Record every Thin-th state into the trajectory; 0 records none.</summary>
        public int Thin { get; init; }

        /// <summary>Receives progress.</summary>
        public IProgress<SamplerProgress>? Progress { get; init; }

        /// <summary>Stops between steps.</summary>
        public CancellationToken Cancellation { get; init; }
    }

    /// <summary>Samples of a reverse-time run with their diagnostics. Owns its tensors.</summary>
    public sealed class SdeSampleResult : IDisposable
    {
        internal SdeSampleResult(Tensor samples, Tensor? trajectory, int evaluations, int steps, TimeSpan elapsed, bool cancelled)
        {
            Samples = samples; Trajectory = trajectory; FunctionEvaluations = evaluations; Steps = steps; Elapsed = elapsed; Cancelled = cancelled;
        }

        /// <summary>x at t = ε (or the denoised mean): [N, D].</summary>
        public Tensor Samples { get; }
        /// <summary>Recorded states [T', N, D] from t = T downwards, or null.</summary>
        public Tensor? Trajectory { get; }
        /// <summary>Score evaluations (NFE).</summary>
        public int FunctionEvaluations { get; }
        /// <summary>Time steps taken.</summary>
        public int Steps { get; }
        /// <summary>Wall time.</summary>
        public TimeSpan Elapsed { get; }
        /// <summary>Stopped early by the cancellation token.</summary>
        public bool Cancelled { get; }

        /// <summary>Disposes the tensors.</summary>
        public void Dispose() { Samples.Dispose(); Trajectory?.Dispose(); }
    }

    /// <summary>
    /// Forward and reverse-time SDE solvers over the generated <see cref="ISde"/> and any <see cref="ITimeScoreModel"/>
    /// (score_sde's sampling.py, typed): Euler–Maruyama both ways, the reverse-diffusion predictor, the Langevin corrector
    /// with the SNR step rule, predictor–corrector (Algorithm 2), final denoising and truncation t ∈ [ε, T].
    /// </summary>
    public static class SdeSolvers
    {
        /// <summary>Forward Euler–Maruyama from x₀ at t₀ to t₁ in <paramref name="steps"/> steps: x ← x + f Δt + g √Δt z.</summary>
        public static Tensor EulerMaruyama(ISde sde, Tensor x0, double t0, double t1, int steps, Generator generator)
        {
            const string solver = "Euler–Maruyama";
            CheckTimes(sde, solver, t0, t1, 0);
            if (!(t1 > t0)) throw new ArgumentException(solver + " on " + sde.SdeName + ": forward integration needs t1 > t0, got t0 = " + Fmt(t0) + ", t1 = " + Fmt(t1) + ".", nameof(t1));
            if (steps < 1) throw new ArgumentException(solver + ": steps must be ≥ 1, got " + steps + ".", nameof(steps));
            double dt = (t1 - t0) / steps;
            var times = new double[steps];
            var lengths = new double[steps];
            for (int i = 0; i < steps; i++) { times[i] = t0 + i * dt; lengths[i] = dt; }
            return ForwardEulerMaruyama(sde, x0, times, lengths, generator, solver);
        }

        /// <summary>
        /// Forward Euler–Maruyama along a time grid walked upwards, from <see cref="TimeGrid.End"/> to <see cref="TimeGrid.Start"/>:
        /// x ← x + f Δtᵢ + g √Δtᵢ z at each node tᵢ with Δtᵢ the gap to the next larger node.
        /// </summary>
        public static Tensor EulerMaruyama(ISde sde, Tensor x0, TimeGrid grid, Generator generator)
        {
            const string solver = "Euler–Maruyama";
            if (grid is null) throw new ArgumentNullException(nameof(grid), solver + ": grid is null.");
            grid.CheckFor(sde, solver, nameof(grid), startAtT: false);
            int steps = grid.Steps;
            var times = new double[steps];
            var lengths = new double[steps];
            for (int i = 0; i < steps; i++) { times[i] = grid[steps - i]; lengths[i] = grid[steps - i - 1] - grid[steps - i]; }
            return ForwardEulerMaruyama(sde, x0, times, lengths, generator, solver);
        }

        private static Tensor ForwardEulerMaruyama(ISde sde, Tensor x0, double[] times, double[] lengths, Generator generator, string solver)
        {
            SdeChecks.Batch(sde.SdeName, solver, x0);
            ChainLoop.CheckFiniteStart("SdeSolvers.EulerMaruyama on " + sde.SdeName, "the initial state x0", x0, nameof(x0));
            using var noGrad = no_grad();
            int steps = times.Length;
            Tensor x;
            using (var detached = x0.detach()) x = detached.clone();
            // Steady state: the time and noise buffers are reused, the update is written into the noise buffer, which then
            // swaps roles with x (double buffering); only the generated drift and diffusion allocate their results.
            var spare = empty_like(x);
            using var t = empty(new long[] { x.shape[0] }, x.dtype, x.device);
            try
            {
                for (int i = 0; i < steps; i++)
                {
                    using var scope = NewDisposeScope();
                    double dt = lengths[i];
                    t.Fill_(times[i]);
                    var drift = sde.Drift(x, t);
                    // x + f Δt + g √Δt z, in the same floating-point order as (x + f·Δt) + (z·g)·√Δt
                    drift.Mul_(dt).Add_(x);
                    if (sde is IGeneralSde general && (general.DiffusionForm != DiffusionForm.Scalar || general.DiffusionDependsOnState))
                    {
                        // x + f Δt + G(x, t) √Δt z for a per-coordinate, matrix or state-dependent diffusion
                        spare.normal_(0, 1, generator: generator);
                        using var gz = general.DiffusionTimes(x, t, spare);
                        spare.copy_(gz).Mul_(System.Math.Sqrt(dt)).Add_(drift);
                    }
                    else
                    spare.normal_(0, 1, generator: generator).mul_(sde.Diffusion(t).unsqueeze(1)).Mul_(System.Math.Sqrt(dt)).Add_(drift);
                    (x, spare) = (spare, x);
                    CheckFinite(solver, sde, x, times[i] + dt);
                }
            }
            catch
            {
                x.Dispose();
                throw;
            }
            finally
            {
                spare.Dispose();
            }
            return x;
        }

        /// <summary>
        /// Forward Milstein (diagonal noise) from x₀ at t₀ to t₁: xᵢ ← xᵢ + fᵢΔt + gᵢΔWᵢ + ½gᵢ ∂gᵢ/∂xᵢ (ΔWᵢ² − Δt), strong order 1
        /// for a per-coordinate diffusion gᵢ(x, t) whose i-th entry reads only xᵢ (∂gᵢ/∂xᵢ is taken as the i-th entry of
        /// ∇ₓ Σⱼgⱼ by autograd). A diffusion that does not read x reduces it to Euler–Maruyama.
        /// </summary>
        public static Tensor Milstein(IGeneralSde sde, Tensor x0, double t0, double t1, int steps, Generator generator)
        {
            const string solver = "Milstein";
            CheckTimes(sde, solver, t0, t1, 0);
            if (!(t1 > t0)) throw new ArgumentException(solver + " on " + sde.SdeName + ": forward integration needs t1 > t0, got t0 = " + Fmt(t0) + ", t1 = " + Fmt(t1) + ".", nameof(t1));
            if (steps < 1) throw new ArgumentException(solver + ": steps must be ≥ 1, got " + steps + ".", nameof(steps));
            if (sde.DiffusionForm == DiffusionForm.Matrix || (sde.DiffusionForm == DiffusionForm.Scalar && sde.DiffusionDependsOnState))
                throw new ArgumentException(solver + " on " + sde.SdeName + ": the scheme needs diagonal noise (a per-coordinate diffusion, or one that does not read x); a "
                    + (sde.DiffusionForm == DiffusionForm.Matrix ? "matrix" : "scalar state-dependent") + " diffusion has non-commutative noise (use EulerMaruyama).", nameof(sde));
            SdeChecks.Batch(sde.SdeName, solver, x0);
            ChainLoop.CheckFiniteStart("SdeSolvers.Milstein on " + sde.SdeName, "the initial state x0", x0, nameof(x0));
            double dt = (t1 - t0) / steps;
            Tensor x;
            using (var detached = x0.detach()) x = detached.clone();
            using var t = empty(new long[] { x.shape[0] }, x.dtype, x.device);
            try
            {
                for (int i = 0; i < steps; i++)
                {
                    using var scope = NewDisposeScope();
                    t.Fill_(t0 + i * dt);
                    Tensor g, dg;
                    if (sde.DiffusionDependsOnState)
                    {
                        using var grad = enable_grad();
                        var input = x.detach().requires_grad_(true);
                        var gValue = sde.DiffusionValue(input, t);
                        var derivative = GuardedAutograd.Grad(new AutogradCaller("SdeSolvers.Milstein", "the diffusion of '" + sde.SdeName + "'", "x", "The generated diffusion must be differentiable in x."), gValue.sum(), input);
                        g = gValue.detach();
                        dg = derivative is null ? zeros_like(x) : derivative.detach();
                    }
                    else
                    {
                        using var noGradInner = no_grad();
                        g = sde.DiffusionValue(x, t);
                        dg = zeros_like(x);
                    }
                    using var noGrad = no_grad();
                    if (g.dim() == 1) g = g.unsqueeze(1);
                    var dw = empty_like(x).normal_(0, System.Math.Sqrt(dt), generator: generator);
                    var next = sde.Drift(x, t).Mul_(dt).Add_(x).Add_(g * dw);
                    next.Add_((g * dg).Mul_(0.5) * dw.Square().Sub_(dt));
                    x.copy_(next);
                    CheckFinite(solver, sde, x, t0 + (i + 1) * dt);
                }
            }
            catch
            {
                x.Dispose();
                throw;
            }
            return x;
        }

        /// <summary>
        /// Reverse-time sampling from the prior at T down to ε with the built-in predictor and corrector named by
        /// <see cref="SdeSamplerOptions.Predictor"/> and <see cref="SdeSamplerOptions.Corrector"/> (<see cref="EulerMaruyamaPredictor"/>,
        /// <see cref="ReverseDiffusionPredictor"/>, <see cref="LangevinCorrector"/> with <see cref="SdeSamplerOptions.Snr"/>):
        /// predictor–corrector (Song et al. 2021 Algorithm 2), optional final denoising.
        /// </summary>
        public static SdeSampleResult Sample(ISde sde, ITimeScoreModel score, long n, SdeSamplerOptions options, ScalarType dtype = ScalarType.Float32, Device? device = null)
        {
            SdePredictor? predictor = options.Predictor switch
            {
                Predictor.EulerMaruyama => new EulerMaruyamaPredictor(),
                Predictor.ReverseDiffusion => new ReverseDiffusionPredictor(),
                _ => null,
            };
            SdeCorrector? corrector = options.Corrector != Corrector.Langevin ? null
                : options.CorrectorStepSize is double gamma ? LangevinCorrector.FixedStep(gamma, validate: false) : new LangevinCorrector(options.Snr, validate: false);
            return Run(sde, score, n, predictor, corrector, options, dtype, device, checkSnr: true);
        }

        /// <summary>
        /// Reverse-time sampling from the prior at T down to ε with any predictor and corrector (score_sde's <c>get_pc_sampler</c>):
        /// at each of <see cref="SdeSamplerOptions.Steps"/> time steps, <see cref="SdeSamplerOptions.CorrectorSteps"/> corrector
        /// steps, then one predictor step; the state is checked finite after each time step; progress, cancellation, the
        /// trajectory (<see cref="SdeSamplerOptions.Thin"/>) and the final denoising (the last predictor step's mean) are the
        /// run's. <see cref="SdeSamplerOptions.Predictor"/>, <see cref="SdeSamplerOptions.Corrector"/> and
        /// <see cref="SdeSamplerOptions.Snr"/> are not read here (the corrector carries its own signal-to-noise ratio).
        /// </summary>
        /// <param name="sde">The SDE to reverse.</param>
        /// <param name="score">The score s(x, t).</param>
        /// <param name="n">The number of samples.</param>
        /// <param name="predictor">The predictor, or null for corrector-only sampling.</param>
        /// <param name="corrector">The corrector, or null for none.</param>
        /// <param name="options">Steps, ε, corrector steps, denoising, seed, thinning, progress, cancellation.</param>
        /// <param name="dtype">The samples' dtype.</param>
        /// <param name="device">The samples' device (CPU when null).</param>
        public static SdeSampleResult Sample(ISde sde, ITimeScoreModel score, long n, SdePredictor? predictor, SdeCorrector? corrector, SdeSamplerOptions options, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
            Run(sde, score, n, predictor, corrector, options, dtype, device, checkSnr: false);

        private static SdeSampleResult Run(ISde sde, ITimeScoreModel score, long n, SdePredictor? predictor, SdeCorrector? corrector, SdeSamplerOptions options, ScalarType dtype, Device? device, bool checkSnr)
        {
            string solver = Describe(predictor, corrector);
            string entryPoint = "SdeSolvers.Sample (" + solver + ")";
            if (n < 1) throw new ArgumentException(solver + ": the number of samples must be ≥ 1, got " + n + ".", nameof(n));
            var grid = options.Grid;
            if (grid is not null) grid.CheckFor(sde, solver, "Grid", startAtT: true);
            else if (options.Steps < 1) throw new ArgumentException(solver + ": Steps must be ≥ 1, got " + options.Steps + ".", nameof(options));
            if (options.CorrectorSteps < 0 || (checkSnr && !(options.Snr > 0))) throw new ArgumentException(solver + ": CorrectorSteps must be ≥ 0 and Snr > 0.", nameof(options));
            if (options.CorrectorStepSize is double gamma && !(gamma > 0 && !double.IsInfinity(gamma)))
                throw new ArgumentException(solver + ": CorrectorStepSize must be a finite number > 0 (or null for the signal-to-noise rule), got " + gamma.ToString(CultureInfo.InvariantCulture) + ".", nameof(options));
            if (options.Order != PcOrder.CorrectorFirst && options.Order != PcOrder.PredictorFirst)
                throw new ArgumentException(solver + ": Order must be CorrectorFirst or PredictorFirst, got " + options.Order + ".", nameof(options));
            if (predictor is null && corrector is null) throw new ArgumentException(solver + ": choose a predictor, a corrector or both.", nameof(options));
            if (grid is null)
            {
                CheckTimes(sde, solver, options.Epsilon, sde.EndTime, options.Epsilon);
                CheckScoreEpsilon(sde, solver, options.Epsilon);
            }
            if (predictor?.RequiresGaussianKernel == true || corrector?.RequiresGaussianKernel == true) RequireKernel(sde, solver);
            device ??= CPU;
            var clock = Stopwatch.StartNew();
            using var generator = new Generator((ulong)options.Seed, device);
            using var noGrad = no_grad();
            var x = sde.SamplePrior(n, score.Dim, generator, dtype, device);
            // Steady state: one time buffer t and one noise buffer z for the whole run (one RNG call per score evaluation);
            // a step that writes its result into z swaps it with x (double buffering). On the shared-time host path
            // (SharedTimeSteps: a generated noise-conditional data model through TimeScores.FromPerturbedData on the CPU) the
            // steps allocate no tensor storage: the corrector's score goes into one more buffer kept by the context, and only the
            // last predictor step's mean is new. Elsewhere the score, the generated SDE coefficients and the predictor's mean
            // (kept for the final denoising) allocate per step.
            var z = empty_like(x);
            var t = global::Dsl.ScalarOps.Full(new long[] { n }, sde.EndTime, dtype, device);
            Tensor? mean = null;
            var recorded = new List<Tensor>();
            int step = 0;
            bool cancelled = false;
            int steps = grid?.Steps ?? options.Steps;
            double T = sde.EndTime, eps = grid?.End ?? options.Epsilon, dt = (T - eps) / steps;
            var context = new SdeStepContext(sde, score, generator, n, steps, grid is null ? dt : grid[0] - grid[1], options.Denoise, corrector is not null, entryPoint, t);
            void Correct(ref Tensor state, ref Tensor buffer)
            {
                for (int c = 0; c < options.CorrectorSteps; c++)
                {
                    using var inner = NewDisposeScope();
                    Advance(ref state, ref buffer, corrector!.Step(context, state, buffer));
                }
            }
            try
            {
                for (; step < steps; step++)
                {
                    if (options.Cancellation.IsCancellationRequested) { cancelled = true; break; }
                    // score_sde: linspace(T, ε, N), here the step ends at time − dt; on a grid, step i goes from grid[i] to grid[i + 1]
                    double time = grid is null ? T - step * dt : grid[step];
                    double stepDt = grid is null ? dt : grid[step] - grid[step + 1];
                    context.Begin(step, time, stepDt);
                    using var scope = NewDisposeScope();
                    bool predictorFirst = options.Order == PcOrder.PredictorFirst && predictor is not null;
                    if (corrector is not null && !predictorFirst)
                        Correct(ref x, ref z);
                    if (predictor is not null)
                    {
                        var result = predictor.Step(context, x, z);
                        Advance(ref x, ref z, result.Next);
                        if (result.Mean is not null)
                        {
                            mean?.Dispose();
                            mean = result.Mean.MoveToOuterDisposeScope();
                        }
                    }
                    // Algorithm 2 as written: the corrector targets p at the step's end time t − Δt (skipped after the last step when
                    // the run returns the predictor's denoised mean, which would discard it).
                    if (corrector is not null && predictorFirst && !(options.Denoise && step == steps - 1))
                    {
                        context.BeginCorrectionAfterPredictor(time - stepDt);
                        Correct(ref x, ref z);
                    }
                    CheckFinite(solver, sde, x, time - stepDt);
                    if (options.Thin > 0 && (step + 1) % options.Thin == 0) recorded.Add(x.clone().MoveToOuterDisposeScope());
                    options.Progress?.Report(new SamplerProgress(solver, step + 1, steps, double.NaN));
                }
                Tensor samples;
                if (options.Denoise && mean is not null && !cancelled) { samples = mean; x.Dispose(); mean = null; }
                else samples = x;
                var trajectory = recorded.Count > 0 ? stack(recorded.ToArray()) : null;
                return new SdeSampleResult(samples, trajectory, context.Evaluations, step, clock.Elapsed, cancelled);
            }
            catch
            {
                x.Dispose();
                throw;
            }
            finally
            {
                mean?.Dispose();
                z.Dispose();
                t.Dispose();
                context.DisposeBuffers();
                foreach (var r in recorded) r.Dispose();
            }
        }

        /// <summary>Takes a step's result as the new state: the noise buffer swaps with x, x itself stays, a fresh tensor replaces x.</summary>
        private static void Advance(ref Tensor x, ref Tensor z, Tensor next)
        {
            if (ReferenceEquals(next, z)) { (x, z) = (z, x); return; }
            if (ReferenceEquals(next, x)) return;
            if (next is null || next.IsInvalid || !next.shape.AsSpan().SequenceEqual(x.shape))
                throw new InvalidOperationException("SdeSolvers.Sample: a predictor or corrector step returned " + (next is null ? "null" : next.IsInvalid ? "a disposed tensor" : "shape " + Broadcasting.Describe(next)) + " for a state of shape " + Broadcasting.Describe(x) + ".");
            var old = x;
            x = next.DetachFromDisposeScope();
            old.Dispose();
        }

        /// <summary>The forward one-step transition over [t − Δt, t] of a linear SDE: x_t = α x_{t−Δt} + √β z.</summary>
        public static (double Alpha, double Beta) Transition(ISde sde, double t, double dt)
        {
            double mNow = sde.MeanCoefficientAt(t), mBefore = sde.MeanCoefficientAt(t - dt);
            double alpha = mNow / mBefore;
            double beta = System.Math.Max(sde.MarginalVarianceAt(t) - alpha * alpha * sde.MarginalVarianceAt(t - dt), 0);
            return (alpha, beta);
        }

        /// <summary>The corrector's α: 1 − β for a contracting (VP-type) step, 1 otherwise (score_sde's convention).</summary>
        internal static double StepAlpha(ISde sde, double t, double dt)
        {
            var (alpha, beta) = Transition(sde, t, dt);
            return alpha < 1 ? 1 - beta : 1;
        }

        private static void RequireKernel(ISde sde, string solver)
        {
            if (!sde.HasGaussianKernel)
                throw new InvalidOperationException(solver + ": " + sde.SdeName + " has no Gaussian perturbation kernel (drift not a(t)·x); use the Euler–Maruyama predictor without corrector.");
        }

        /// <summary>Throws unless 0 ≤ ε &lt; T and the times lie in [ε, T]; ε = 0 is refused where v(0) = 0 makes the score blow up.</summary>
        internal static void CheckTimes(ISde sde, string solver, double from, double to, double eps)
        {
            double T = sde.EndTime;
            if (double.IsNaN(eps) || eps < 0 || eps >= T)
                throw new ArgumentException(solver + " on " + sde.SdeName + ": the truncation ε = " + Fmt(eps) + " must lie in [0, T = " + Fmt(T) + ").", "Epsilon");
            foreach (var t in new[] { from, to })
                if (double.IsNaN(t) || t < eps - 1e-12 || t > T + 1e-12)
                    throw new ArgumentException(solver + " on " + sde.SdeName + ": the time t = " + Fmt(t) + " lies outside [ε, T] = [" + Fmt(eps) + ", " + Fmt(T) + "].", "t");
        }

        /// <summary>Refuses ε = 0 for score-based solvers when the kernel's standard deviation vanishes at 0.</summary>
        internal static void CheckScoreEpsilon(ISde sde, string solver, double eps)
        {
            if (eps == 0 && sde.HasGaussianKernel && sde.MarginalVarianceAt(0) <= 0)
                throw new ArgumentException(solver + " on " + sde.SdeName + ": ε = 0, but the marginal standard deviation √v(t) vanishes at t = 0, where the score of data is singular; use ε > 0 (score_sde uses 1e-3 for VP, 1e-5 for VE).", "Epsilon");
        }

        internal static void CheckFinite(string solver, ISde sde, Tensor x, double time)
        {
            if (!ChainLoop.AllFinite(x))
                throw new ArithmeticException(solver + " on " + sde.SdeName + ": the state became NaN or Inf at t = " + Fmt(time) + "; use more steps or a larger truncation ε.");
        }

        // The built-ins' names as before the classes: a predictor alone, a corrector alone, or "Predictor–corrector".
        private static string Describe(SdePredictor? predictor, SdeCorrector? corrector) =>
            corrector is null ? (predictor?.Name ?? "Reverse diffusion")
            : predictor is null ? corrector.Name : "Predictor–corrector";

        internal static string Fmt(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
    }
}
