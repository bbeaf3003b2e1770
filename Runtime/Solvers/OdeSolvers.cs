using System;
using System.Globalization;
using System.Linq;
using System.Threading;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Solvers
{
    /// <summary>Integration scheme used by <see cref="OdeSolvers"/>.Solve.</summary>
    public enum OdeMethod
    {
        /// <summary>Explicit Euler, first order, one derivative evaluation per step.</summary>
        Euler,
        /// <summary>Heun's method (explicit trapezoid), second order, two evaluations per step.</summary>
        Heun,
        /// <summary>Classical fourth-order Runge–Kutta, four evaluations per step.</summary>
        Rk4,
        /// <summary>Adaptive Dormand–Prince 5(4) with first-same-as-last, about six evaluations per accepted step.</summary>
        Rk45,
    }

    /// <summary>Options of <see cref="OdeSolvers"/>.Solve.</summary>
    public sealed class OdeOptions
    {
        /// <summary>Integration scheme; adaptive Dormand–Prince by default.</summary>
        public OdeMethod Method { get; init; } = OdeMethod.Rk45;

        /// <summary>Fixed-step methods: number of equal steps from t0 to t1.</summary>
        public int Steps { get; init; } = 100;

        /// <summary>Rk45 only: relative tolerance of the local error.</summary>
        public double RelativeTolerance { get; init; } = 1e-5;

        /// <summary>Rk45 only: absolute tolerance of the local error.</summary>
        public double AbsoluteTolerance { get; init; } = 1e-5;

        /// <summary>Rk45 only: budget of attempted steps (accepted + rejected); exceeding it throws <see cref="OdeStepBudgetException"/>.</summary>
        public int MaxSteps { get; init; } = 10_000;

        /// <summary>Rk45 only: initial |h|; by default chosen by Hairer's heuristic (as scipy's <c>select_initial_step</c>).</summary>
        public double? FirstStep { get; init; }

        /// <summary>Checked between steps; when cancelled the solver returns the state reached with <see cref="OdeResult.Cancelled"/> set.</summary>
        public CancellationToken Cancellation { get; init; }
    }

    /// <summary>Outcome of <see cref="OdeSolvers"/>.Solve: the final state (owned by the result) and solver statistics.</summary>
    public sealed class OdeResult : IDisposable
    {
        internal OdeResult(Tensor[] state, int functionEvaluations, int acceptedSteps, int rejectedSteps, double finalTime, bool cancelled)
        {
            State = state;
            FunctionEvaluations = functionEvaluations;
            AcceptedSteps = acceptedSteps;
            RejectedSteps = rejectedSteps;
            FinalTime = finalTime;
            Cancelled = cancelled;
        }

        /// <summary>The state at <see cref="FinalTime"/>, one tensor per state tensor of y0 (same shapes, dtypes and devices).</summary>
        public Tensor[] State { get; }

        /// <summary>Number of calls of the derivative function (NFE), including those of the initial-step heuristic.</summary>
        public int FunctionEvaluations { get; }

        /// <summary>Number of accepted steps.</summary>
        public int AcceptedSteps { get; }

        /// <summary>Number of rejected steps (always 0 for fixed-step methods).</summary>
        public int RejectedSteps { get; }

        /// <summary>t1, or the time reached when cancellation stopped the integration.</summary>
        public double FinalTime { get; }

        /// <summary>Whether the integration was stopped by <see cref="OdeOptions.Cancellation"/> before reaching t1.</summary>
        public bool Cancelled { get; }

        /// <summary>Disposes the state tensors.</summary>
        public void Dispose()
        {
            foreach (var t in State) t.Dispose();
        }
    }

    /// <summary>Thrown when the adaptive solver exhausts <see cref="OdeOptions.MaxSteps"/> before reaching t1.</summary>
    public sealed class OdeStepBudgetException : ArithmeticException
    {
        /// <summary>Creates the exception for a solver that stopped at <paramref name="timeReached"/> after <paramref name="maxSteps"/> attempted steps.</summary>
        public OdeStepBudgetException(string caller, string solver, double timeReached, double t1, int maxSteps)
            : base(caller + ": the " + solver + " solver exhausted its budget of " + maxSteps.ToString(CultureInfo.InvariantCulture)
                   + " attempted steps (accepted + rejected) at t = " + OdeSolvers.Fmt(timeReached) + " while integrating toward t1 = " + OdeSolvers.Fmt(t1)
                   + ". The problem may be stiff or the tolerances too tight: raise OdeOptions.MaxSteps or loosen RelativeTolerance/AbsoluteTolerance.")
        {
            TimeReached = timeReached;
            MaxSteps = maxSteps;
        }

        /// <summary>The time the solver had reached when it ran out of steps.</summary>
        public double TimeReached { get; }

        /// <summary>The budget of attempted steps that was exhausted.</summary>
        public int MaxSteps { get; }
    }

    /// <summary>
    /// The derivative of an ODE written in place: dy/dt at (<paramref name="t"/>, <paramref name="y"/>) into
    /// <paramref name="into"/>, one solver-owned tensor per state tensor (y's shapes, dtypes and devices, contiguous). The field
    /// must neither keep nor modify y and into beyond the call, and disposes whatever tensors it creates itself; it is called in
    /// the caller's grad mode.
    /// </summary>
    public delegate void OdeFieldInto(double t, Tensor[] y, Tensor[] into);

    /// <summary>
    /// Batched ODE integrators for a state made of several tensors (e.g. the augmented state [x, logp] of the
    /// probability-flow likelihood). The solver's own arithmetic runs under <c>no_grad</c>; the derivative function is
    /// called in the caller's grad mode so that it may use autograd internally.
    /// </summary>
    /// <remarks>
    /// Every solve allocates its buffers once: the state, the stage state (which is also y_new), and one derivative buffer per
    /// stage (RK45: 7, with first-same-as-last as a swap of two buffers; RK4: 4; Heun: 2; Euler: 1). An accepted step swaps the
    /// state with the stage state. On a contiguous float64 CPU state the stage sums, the error norm and the finiteness check run on
    /// the buffers' memory, so a step allocates neither tensors nor managed memory beyond what the derivative function does
    /// (<see cref="OdeFieldInto"/> fields that write in place allocate nothing); on other states they are in-place torch ops
    /// into the same buffers.
    /// </remarks>
    public static class OdeSolvers
    {
        private const string Rk45Name = "Dormand–Prince RK45";

        // Dormand–Prince 5(4) tableau.
        private static readonly double[] C = { 0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1, 1 };
        private static readonly double[][] A =
        {
            Array.Empty<double>(),
            new[] { 1.0 / 5 },
            new[] { 3.0 / 40, 9.0 / 40 },
            new[] { 44.0 / 45, -56.0 / 15, 32.0 / 9 },
            new[] { 19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729 },
            new[] { 9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656 },
            new[] { 35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84 },
        };
        // b (5th order) − b̂ (embedded 4th order), as in scipy's RK45.E.
        private static readonly double[] E = { -71.0 / 57600, 0, 71.0 / 16695, -71.0 / 1920, 17253.0 / 339200, -22.0 / 525, 1.0 / 40 };

        private const double Safety = 0.9, MinFactor = 0.2, MaxFactor = 10, ErrorExponent = -1.0 / 5;

        /// <summary>
        /// Integrates dy/dt = f(t, y) from <paramref name="t0"/> to <paramref name="t1"/> (t1 may be &lt; t0: integration
        /// backwards in time), for a state y given as tensors; f receives the scalar time and the current state and returns
        /// one derivative tensor per state tensor (same shapes). <paramref name="y0"/> is not modified.
        /// </summary>
        /// <param name="f">Derivative function; it must not dispose or modify the state it receives.</param>
        /// <param name="y0">Initial state (floating-point tensors).</param>
        /// <param name="t0">Initial time.</param>
        /// <param name="t1">Final time.</param>
        /// <param name="options">Method, steps, tolerances, budget and cancellation.</param>
        /// <param name="caller">Name used in error messages.</param>
        /// <returns>The state at t1 (or where cancellation stopped) and statistics; dispose it to free the state.</returns>
        public static OdeResult Solve(Func<double, Tensor[], Tensor[]> f, Tensor[] y0, double t0, double t1, OdeOptions options, string caller = "ODE solver")
        {
            caller ??= "ODE solver";
            if (f is null) throw new ArgumentNullException(nameof(f), caller + ": the derivative function is null.");
            return Solve(Into(f, y0, caller), y0, t0, t1, options, caller);
        }

        /// <summary>
        /// Integrates dy/dt = f(t, y) from <paramref name="t0"/> to <paramref name="t1"/> with a derivative written in place
        /// (<see cref="OdeFieldInto"/>): the same steps and results as the overload whose f returns tensors, without a tensor per
        /// stage. <paramref name="y0"/> is not modified.
        /// </summary>
        /// <param name="f">Writes dy/dt into the solver's stage buffer it is given.</param>
        /// <param name="y0">Initial state (floating-point tensors).</param>
        /// <param name="t0">Initial time.</param>
        /// <param name="t1">Final time.</param>
        /// <param name="options">Method, steps, tolerances, budget and cancellation.</param>
        /// <param name="caller">Name used in error messages.</param>
        /// <returns>The state at t1 (or where cancellation stopped) and statistics; dispose it to free the state.</returns>
        public static OdeResult Solve(OdeFieldInto f, Tensor[] y0, double t0, double t1, OdeOptions options, string caller = "ODE solver")
        {
            caller ??= "ODE solver";
            if (f is null) throw new ArgumentNullException(nameof(f), caller + ": the derivative function is null.");
            if (options is null) throw new ArgumentNullException(nameof(options), caller + ": the ODE options are null.");
            Validate(y0, t0, t1, options, caller);
            using var outer = NewDisposeScope();
            var work = new Workspace(f, y0, options.Method, caller);
            OdeResult result = options.Method == OdeMethod.Rk45
                ? DormandPrince(work, t0, t1, options, caller)
                : FixedStep(work, options.Steps, Uniform(t0, t1, options.Steps), options, caller);
            foreach (var t in result.State) t.MoveToOuterDisposeScope();
            return result;
        }

        /// <summary>
        /// Integrates dy/dt = f(t, y) through the given strictly monotone <paramref name="times"/> (t₀ → t₁ → … → t_N; a
        /// non-uniform grid such as a time grid of the SDE samplers) with the fixed-step method of <paramref name="options"/>
        /// (Euler, Heun or Rk4; <see cref="OdeOptions.Steps"/> is not read). With equally spaced times it takes the same
        /// steps as <see cref="Solve(Func{double, Tensor[], Tensor[]}, Tensor[], double, double, OdeOptions, string)"/>.
        /// </summary>
        public static OdeResult Solve(Func<double, Tensor[], Tensor[]> f, Tensor[] y0, System.Collections.Generic.IReadOnlyList<double> times, OdeOptions options, string caller = "ODE solver")
        {
            caller ??= "ODE solver";
            if (f is null) throw new ArgumentNullException(nameof(f), caller + ": the derivative function is null.");
            return Solve(Into(f, y0, caller), y0, times, options, caller);
        }

        /// <summary>
        /// The time-grid solve of <see cref="Solve(Func{double, Tensor[], Tensor[]}, Tensor[], System.Collections.Generic.IReadOnlyList{double}, OdeOptions, string)"/>
        /// with a derivative written in place (<see cref="OdeFieldInto"/>).
        /// </summary>
        public static OdeResult Solve(OdeFieldInto f, Tensor[] y0, System.Collections.Generic.IReadOnlyList<double> times, OdeOptions options, string caller = "ODE solver")
        {
            caller ??= "ODE solver";
            if (f is null) throw new ArgumentNullException(nameof(f), caller + ": the derivative function is null.");
            if (options is null) throw new ArgumentNullException(nameof(options), caller + ": the ODE options are null.");
            if (times is null || times.Count < 2) throw new ArgumentException(caller + ": times needs at least two points.", nameof(times));
            if (options.Method == OdeMethod.Rk45) throw new ArgumentException(caller + ": a time grid needs a fixed-step method (Euler, Heun or Rk4), not the adaptive Rk45.", nameof(options));
            double dir = System.Math.Sign(times[1] - times[0]);
            for (int i = 0; i < times.Count; i++)
            {
                if (!double.IsFinite(times[i])) throw new ArgumentException(caller + ": times[" + i + "] = " + Fmt(times[i]) + " is not finite.", nameof(times));
                if (i > 0 && !(dir * (times[i] - times[i - 1]) > 0)) throw new ArgumentException(caller + ": times must be strictly monotone, but times[" + (i - 1) + "] = " + Fmt(times[i - 1]) + ", times[" + i + "] = " + Fmt(times[i]) + ".", nameof(times));
            }
            var o = new OdeOptions { Method = options.Method, Steps = times.Count - 1, Cancellation = options.Cancellation };
            Validate(y0, times[0], times[times.Count - 1], o, caller);
            using var outer = NewDisposeScope();
            var work = new Workspace(f, y0, o.Method, caller);
            var result = FixedStep(work, o.Steps, k => times[k], o, caller);
            foreach (var t in result.State) t.MoveToOuterDisposeScope();
            return result;
        }

        private static void Validate(Tensor[] y0, double t0, double t1, OdeOptions o, string caller)
        {
            if (y0 is null || y0.Length == 0) throw new ArgumentException(caller + ": the initial state y0 must hold at least one tensor.", nameof(y0));
            for (int i = 0; i < y0.Length; i++)
            {
                if (y0[i] is null) throw new ArgumentException(caller + ": state tensor " + i + " of y0 is null.", nameof(y0));
                if (!y0[i].is_floating_point())
                    throw new ArgumentException(caller + ": state tensor " + i + " of y0 has dtype " + y0[i].dtype + "; ODE states must be floating point.", nameof(y0));
            }
            if (!double.IsFinite(t0)) throw new ArgumentException(caller + ": t0 must be finite; got " + Fmt(t0) + ".", nameof(t0));
            if (!double.IsFinite(t1)) throw new ArgumentException(caller + ": t1 must be finite; got " + Fmt(t1) + ".", nameof(t1));
            if (!Enum.IsDefined(o.Method)) throw new ArgumentException(caller + ": unknown ODE method " + o.Method + ".", nameof(OdeOptions.Method));
            if (o.Method == OdeMethod.Rk45)
            {
                if (!(o.RelativeTolerance > 0) || !double.IsFinite(o.RelativeTolerance))
                    throw new ArgumentException(caller + ": OdeOptions.RelativeTolerance must be a finite number > 0; got " + Fmt(o.RelativeTolerance) + ".", nameof(OdeOptions.RelativeTolerance));
                if (!(o.AbsoluteTolerance > 0) || !double.IsFinite(o.AbsoluteTolerance))
                    throw new ArgumentException(caller + ": OdeOptions.AbsoluteTolerance must be a finite number > 0; got " + Fmt(o.AbsoluteTolerance) + ".", nameof(OdeOptions.AbsoluteTolerance));
                if (o.MaxSteps < 1)
                    throw new ArgumentException(caller + ": OdeOptions.MaxSteps must be ≥ 1; got " + o.MaxSteps + ".", nameof(OdeOptions.MaxSteps));
                if (o.FirstStep is double h && (!(h > 0) || !double.IsFinite(h)))
                    throw new ArgumentException(caller + ": OdeOptions.FirstStep must be a finite number > 0 when given; got " + Fmt(h) + ".", nameof(OdeOptions.FirstStep));
            }
            else if (o.Steps < 1)
                throw new ArgumentException(caller + ": OdeOptions.Steps must be ≥ 1 for the fixed-step " + o.Method + " method; got " + o.Steps + ".", nameof(OdeOptions.Steps));
        }

        /// <summary>
        /// A derivative function that returns tensors as an in-place one: f is called in a dispose scope of its own, its result is
        /// checked (count and, on the first call, shapes) and copied into the stage buffer (copy_ converts dtype and device and
        /// keeps no autograd graph), and whatever f created is disposed.
        /// </summary>
        private static OdeFieldInto Into(Func<double, Tensor[], Tensor[]> f, Tensor[] y0, string caller)
        {
            var shapes = y0?.Select(t => t?.shape ?? Array.Empty<long>()).ToArray() ?? Array.Empty<long[]>();
            bool isChecked = false;
            return (t, y, into) =>
            {
                using var scope = NewDisposeScope();
                var k = f(t, y);
                if (k is null || k.Length != shapes.Length)
                    throw new ArgumentException(caller + ": the derivative function returned " + (k is null ? "null" : k.Length + " tensor(s)")
                                                + " at t = " + Fmt(t) + "; expected " + shapes.Length + " (one per state tensor).", "f");
                if (!isChecked)
                {
                    for (int i = 0; i < k.Length; i++)
                    {
                        if (k[i] is null)
                            throw new ArgumentException(caller + ": the derivative function returned null for state tensor " + i + ".", "f");
                        if (!k[i].shape.SequenceEqual(shapes[i]))
                            throw new ArgumentException(caller + ": the derivative function returned shape " + Shape(k[i].shape) + " for state tensor " + i
                                                        + "; expected " + Shape(shapes[i]) + " (the shape of that state tensor).", "f");
                    }
                    isChecked = true;
                }
                using var noGrad = no_grad();
                for (int i = 0; i < k.Length; i++) into[i].copy_(k[i]);
            };
        }

        /// <summary>
        /// The buffers of one solve: the state y, the stage state ys (also y_new), the stage derivatives k[s], the stage-sum
        /// coefficients and, on the host path, one scratch array per state tensor for the error estimate; and the field with its
        /// evaluation count.
        /// </summary>
        private sealed class Workspace
        {
            private readonly OdeFieldInto _f;

            public Workspace(OdeFieldInto f, Tensor[] y0, OdeMethod method, string caller)
            {
                _f = f;
                using (no_grad())
                {
                    Y = y0.Select(t => t.clone()).ToArray();
                    Stage = Y.Select(t => empty_like(t)).ToArray();
                    int stages = method switch { OdeMethod.Euler => 1, OdeMethod.Heun => 2, OdeMethod.Rk4 => 4, _ => 7 };
                    K = new Tensor[stages][];
                    for (int s = 0; s < stages; s++) K[s] = Y.Select(t => empty_like(t)).ToArray();
                }
                Host = HostDouble(Y);
                Coefficients = new double[K.Length];
                ErrorScratch = Host && method == OdeMethod.Rk45 ? Y.Select(t => new double[t.numel()]).ToArray() : Array.Empty<double[]>();
                if (!AllFinite(Y))
                    throw new ArgumentException(caller + ": the initial state y0 contains NaN or infinite values.", "y0");
            }

            /// <summary>The state; owned by the result at the end.</summary>
            public Tensor[] Y;
            /// <summary>The stage state, and y_new at the last stage.</summary>
            public Tensor[] Stage;
            /// <summary>The stage derivatives.</summary>
            public readonly Tensor[][] K;
            /// <summary>The coefficients of the current stage sum (index: stage).</summary>
            public readonly double[] Coefficients;
            /// <summary>Whether every state tensor is a contiguous float64 CPU tensor: the arithmetic then runs on their memory.</summary>
            public readonly bool Host;
            /// <summary>The RK45 error estimate per state tensor on the host path.</summary>
            public readonly double[][] ErrorScratch;
            /// <summary>Evaluations of the field.</summary>
            public int Count;

            /// <summary>k[stage] = f(t, y).</summary>
            public void Call(double t, Tensor[] y, int stage)
            {
                _f(t, y, K[stage]);
                Count++;
            }

            /// <summary>Stage ← Y + Σ_{s &lt; count} Coefficients[s]·K[s], skipping zero coefficients.</summary>
            public void CombineIntoStage(int count)
            {
                if (Host)
                {
                    for (int i = 0; i < Y.Length; i++)
                    {
                        var target = Values(Stage[i]);
                        Values(Y[i]).CopyTo(target);
                        for (int s = 0; s < count; s++)
                        {
                            double c = Coefficients[s];
                            if (c == 0) continue;
                            var source = Values(K[s][i]);
                            for (int j = 0; j < target.Length; j++) target[j] += c * source[j];
                        }
                    }
                    return;
                }
                using var noGrad = no_grad();
                for (int i = 0; i < Y.Length; i++)
                {
                    Stage[i].copy_(Y[i]);
                    for (int s = 0; s < count; s++)
                        if (Coefficients[s] != 0) global::Dsl.ScalarOps.Add_(Stage[i], K[s][i], Coefficients[s]);
                }
            }

            /// <summary>Accepts the stage state as the new state: a swap of the two buffers.</summary>
            public void AcceptStage() => (Y, Stage) = (Stage, Y);

            /// <summary>Whether every element of the stage state is finite.</summary>
            public bool StageFinite() => Host ? HostFinite(Stage) : AllFinite(Stage);
        }

        // Whether every tensor is a contiguous float64 CPU tensor: the solver's arithmetic then runs on the host memory in
        // one pass per state tensor (the likelihood's float64 state of [N, D] and [N]: a few thousand values, where a torch op's
        // dispatch costs more than its arithmetic), with the same formulas as the torch-op path.
        private static bool HostDouble(Tensor[] ts)
        {
            foreach (var t in ts)
                if (t.device_type != DeviceType.CPU || t.dtype != ScalarType.Float64 || !t.is_contiguous()) return false;
            return true;
        }

        private static Span<double> Values(Tensor t) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(t.bytes);

        private static bool HostFinite(Tensor[] ts)
        {
            foreach (var t in ts)
                foreach (var v in Values(t))
                    if (!double.IsFinite(v)) return false;
            return true;
        }

        private static bool AllFinite(Tensor[] ts)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            Tensor? ok = null;
            foreach (var t in ts)
            {
                var a = t.isfinite().all();
                ok = ok is null ? a : ok.logical_and(a);
            }
            return ok!.item<bool>();
        }

        // The nodes of n equal steps: t0 + k·h, with the last one exactly t1.
        private static Func<int, double> Uniform(double t0, double t1, int n)
        {
            double h = (t1 - t0) / n;
            return k => k == 0 ? t0 : k == n ? t1 : t0 + k * h;
        }

        private static OdeResult FixedStep(Workspace w, int n, Func<int, double> node, OdeOptions o, string caller)
        {
            double t = node(0), t1 = node(n);
            var c = w.Coefficients;
            for (int i = 0; i < n; i++)
            {
                if (o.Cancellation.IsCancellationRequested)
                    return new OdeResult(w.Y, w.Count, i, 0, t, true);
                double tn = node(i + 1);
                double hi = tn - t;
                switch (o.Method)
                {
                    case OdeMethod.Euler:
                        w.Call(t, w.Y, 0);
                        c[0] = hi;
                        w.CombineIntoStage(1);
                        break;
                    case OdeMethod.Heun:
                        w.Call(t, w.Y, 0);
                        c[0] = hi;
                        w.CombineIntoStage(1);
                        w.Call(tn, w.Stage, 1);
                        c[0] = hi / 2; c[1] = hi / 2;
                        w.CombineIntoStage(2);
                        break;
                    default:
                        w.Call(t, w.Y, 0);
                        c[0] = hi / 2;
                        w.CombineIntoStage(1);
                        w.Call(t + hi / 2, w.Stage, 1);
                        c[0] = 0; c[1] = hi / 2;
                        w.CombineIntoStage(2);
                        w.Call(t + hi / 2, w.Stage, 2);
                        c[0] = 0; c[1] = 0; c[2] = hi;
                        w.CombineIntoStage(3);
                        w.Call(tn, w.Stage, 3);
                        c[0] = hi / 6; c[1] = hi / 3; c[2] = hi / 3; c[3] = hi / 6;
                        w.CombineIntoStage(4);
                        break;
                }
                if (!w.StageFinite())
                    throw new ArithmeticException(caller + ": the ODE state became NaN or infinite at t = " + Fmt(tn) + " (" + o.Method + " step from t = " + Fmt(t)
                                                  + "); the derivative may be unstable or the step too large (Steps = " + n + ").");
                w.AcceptStage();
                t = tn;
            }
            return new OdeResult(w.Y, w.Count, n, 0, t1, false);
        }

        private static OdeResult DormandPrince(Workspace w, double t0, double t1, OdeOptions o, string caller)
        {
            if (t0 == t1 || o.Cancellation.IsCancellationRequested)
                return new OdeResult(w.Y, 0, 0, 0, t0, t0 != t1);

            double rtol = o.RelativeTolerance, atol = o.AbsoluteTolerance;
            double dir = System.Math.Sign(t1 - t0);
            long count = 0;
            foreach (var y in w.Y) count += y.numel();
            w.Call(t0, w.Y, 0);
            double absH = o.FirstStep ?? InitialStep(w, t0, t1, rtol, atol);
            absH = System.Math.Min(absH, System.Math.Abs(t1 - t0));

            double t = t0;
            int accepted = 0, rejected = 0, attempts = 0;
            bool lastNonFinite = false;
            var c = w.Coefficients;
            while (dir * (t1 - t) > 0)
            {
                if (o.Cancellation.IsCancellationRequested)
                    return new OdeResult(w.Y, w.Count, accepted, rejected, t, true);

                double minStep = 10 * System.Math.Abs(System.Math.BitIncrement(System.Math.Abs(t)) - System.Math.Abs(t));
                if (absH < minStep) absH = minStep;   // as scipy's RkStep._step_impl: a step starts at least at min_step
                bool stepRejected = false;
                while (true)   // attempts at one step
                {
                    if (attempts >= o.MaxSteps)
                    {
                        if (lastNonFinite)
                            throw new ArithmeticException(caller + ": the ODE state became NaN or infinite near t = " + Fmt(t) + " and the " + Rk45Name
                                                          + " solver could not recover within its budget of " + o.MaxSteps + " attempted steps.");
                        throw new OdeStepBudgetException(caller, Rk45Name, t, t1, o.MaxSteps);
                    }
                    if (absH < minStep)
                    {
                        if (lastNonFinite)
                            throw new ArithmeticException(caller + ": the ODE state became NaN or infinite at t = " + Fmt(t) + " (" + Rk45Name + "; shrinking the step did not help).");
                        throw new ArithmeticException(caller + ": the " + Rk45Name + " step size underflowed at t = " + Fmt(t) + " (|h| = " + Fmt(absH)
                                                      + "); the problem may be singular there or the tolerances too tight.");
                    }
                    attempts++;
                    double tNew = t + dir * absH;
                    if (dir * (tNew - t1) > 0) tNew = t1;
                    double h = tNew - t;
                    absH = System.Math.Abs(h);

                    for (int s = 1; s < 7; s++)
                    {
                        for (int j = 0; j < s; j++) c[j] = h * A[s][j];
                        w.CombineIntoStage(s);
                        if (s < 6)
                        {
                            w.Call(t + C[s] * h, w.Stage, s);
                            continue;
                        }
                        w.Call(tNew, w.Stage, 6);   // the stage state is y_new (row 7 of the tableau = b)
                        for (int j = 0; j < 7; j++) c[j] = h * E[j];
                        double norm = ErrorNorm(w, rtol, atol, count);
                        if (double.IsFinite(norm) && norm < 1)   // scipy accepts error_norm < 1
                        {
                            double factor = norm == 0 ? MaxFactor : System.Math.Min(MaxFactor, Safety * System.Math.Pow(norm, ErrorExponent));
                            if (stepRejected) factor = System.Math.Min(1, factor);
                            absH *= factor;
                            (w.K[0], w.K[6]) = (w.K[6], w.K[0]);   // first same as last
                            w.AcceptStage();
                            t = tNew;
                            accepted++;
                            lastNonFinite = false;
                            goto nextStep;
                        }
                        lastNonFinite = !double.IsFinite(norm);
                        absH *= lastNonFinite ? MinFactor : System.Math.Max(MinFactor, Safety * System.Math.Pow(norm, ErrorExponent));
                        stepRejected = true;
                        rejected++;
                    }
                }
                nextStep:;
            }
            return new OdeResult(w.Y, w.Count, accepted, rejected, t1, false);
        }

        // RMS over all elements of err / (atol + rtol · max(|y|, |y_new|)), err = Σ Coefficients[s] · k[s] (y_new: the stage state).
        private static double ErrorNorm(Workspace w, double rtol, double atol, long count)
        {
            if (count == 0) return 0;
            if (w.Host) return ErrorNormHost(w, rtol, atol, count);
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            Tensor? acc = null;
            for (int i = 0; i < w.Y.Length; i++)
            {
                Tensor? err = null;
                for (int s = 0; s < 7; s++)
                {
                    double c = w.Coefficients[s];
                    if (c == 0) continue;
                    if (err is null) err = w.K[s][i].Mul(c);
                    else err.Add_(w.K[s][i], alpha: c);
                }
                if (err is null) continue;
                var scale = maximum(w.Y[i].abs(), w.Stage[i].abs()).Mul_(rtol).Add_(atol);
                var r = err.div_(scale);
                var sq = r.mul(r).sum().to_type(ScalarType.Float64);
                acc = acc is null ? sq : acc.Add(sq);
            }
            return acc is null ? 0 : System.Math.Sqrt(acc.ToDoubleValue() / count);
        }

        // The same norm on the host: one pass per term and state tensor into the solve's scratch array, then one over y and y_new.
        private static double ErrorNormHost(Workspace w, double rtol, double atol, long count)
        {
            double sum = 0;
            for (int i = 0; i < w.Y.Length; i++)
            {
                Span<double> a = Values(w.Y[i]), b = Values(w.Stage[i]);
                var err = w.ErrorScratch[i];
                Array.Clear(err, 0, a.Length);
                for (int s = 0; s < 7; s++)
                {
                    double c = w.Coefficients[s];
                    if (c == 0) continue;
                    var source = Values(w.K[s][i]);
                    for (int j = 0; j < a.Length; j++) err[j] += c * source[j];
                }
                for (int j = 0; j < a.Length; j++)
                {
                    double r = err[j] / (atol + rtol * System.Math.Max(System.Math.Abs(a[j]), System.Math.Abs(b[j])));
                    sum += r * r;
                }
            }
            return System.Math.Sqrt(sum / count);
        }

        private static double Rms(Tensor[] v, Tensor[] scale, long count)
        {
            if (count == 0) return 0;
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            Tensor? acc = null;
            for (int i = 0; i < v.Length; i++)
            {
                var r = v[i].div(scale[i]);
                var s = r.mul(r).sum().to_type(ScalarType.Float64);
                acc = acc is null ? s : acc.Add(s);
            }
            return System.Math.Sqrt(acc!.ToDoubleValue() / count);
        }

        // Hairer, Nørsett & Wanner (II.4), as scipy.integrate._ivp.common.select_initial_step, for order 4 error estimates; f0 is
        // k[0], f1 goes into k[1] (overwritten by the first step's stage 2) through the stage state. Once per solve.
        private static double InitialStep(Workspace w, double t0, double t1, double rtol, double atol)
        {
            double interval = System.Math.Abs(t1 - t0);
            long count = w.Y.Sum(t => t.numel());
            if (count == 0) return interval;
            double dir = System.Math.Sign(t1 - t0);
            using var scope = NewDisposeScope();
            Tensor[] scale;
            using (no_grad()) scale = w.Y.Select(t => t.abs().Mul_(rtol).Add_(atol)).ToArray();
            var f0 = w.K[0];
            double d0 = Rms(w.Y, scale, count), d1 = Rms(f0, scale, count);
            double h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : 0.01 * d0 / d1;
            if (!double.IsFinite(h0)) h0 = 1e-6;
            h0 = System.Math.Min(h0, interval);
            w.Coefficients[0] = dir * h0;
            w.CombineIntoStage(1);
            w.Call(t0 + dir * h0, w.Stage, 1);
            Tensor[] df;
            using (no_grad()) df = w.K[1].Select((t, i) => t.sub(f0[i])).ToArray();
            double d2 = Rms(df, scale, count) / h0;
            double h1 = d1 <= 1e-15 && d2 <= 1e-15 ? System.Math.Max(1e-6, h0 * 1e-3) : System.Math.Pow(0.01 / System.Math.Max(d1, d2), 1.0 / 5);
            double h = System.Math.Min(System.Math.Min(100 * h0, h1), interval);
            return double.IsFinite(h) && h > 0 ? h : System.Math.Max(0.01 * interval, double.Epsilon);
        }

        internal static string Fmt(double x) => x.ToString("G6", CultureInfo.InvariantCulture);

        private static string Shape(long[] shape) => "[" + string.Join(", ", shape.Select(s => s.ToString(CultureInfo.InvariantCulture))) + "]";
    }
}
