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
    /// Batched ODE integrators for a state made of several tensors (e.g. the augmented state [x, logp] of the
    /// probability-flow likelihood). The solver's own arithmetic runs under <c>no_grad</c>; the derivative function is
    /// called in the caller's grad mode so that it may use autograd internally.
    /// </summary>
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
            if (options is null) throw new ArgumentNullException(nameof(options), caller + ": the ODE options are null.");
            Validate(y0, t0, t1, options, caller);

            using var outer = NewDisposeScope();
            Tensor[] y;
            using (no_grad()) y = y0.Select(t => t.clone()).ToArray();
            if (!AllFinite(y))
                throw new ArgumentException(caller + ": the initial state y0 contains NaN or infinite values.", nameof(y0));

            var eval = new Evaluator(f, y, caller);
            OdeResult result = options.Method == OdeMethod.Rk45
                ? DormandPrince(eval, y, t0, t1, options, caller)
                : FixedStep(eval, y, options.Steps, Uniform(t0, t1, options.Steps), options, caller);
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
            Tensor[] y;
            using (no_grad()) y = y0.Select(t => t.clone()).ToArray();
            if (!AllFinite(y))
                throw new ArgumentException(caller + ": the initial state y0 contains NaN or infinite values.", nameof(y0));
            var eval = new Evaluator(f, y, caller);
            var result = FixedStep(eval, y, o.Steps, k => times[k], o, caller);
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

        /// <summary>Calls f, counts evaluations, checks the result on the first call and gives back solver-owned handles.</summary>
        private sealed class Evaluator
        {
            private readonly Func<double, Tensor[], Tensor[]> _f;
            private readonly long[][] _shapes;
            private readonly ScalarType[] _dtypes;
            private readonly Device[] _devices;
            private readonly string _caller;
            private bool _checked;

            public Evaluator(Func<double, Tensor[], Tensor[]> f, Tensor[] y, string caller)
            {
                _f = f;
                _caller = caller;
                _shapes = y.Select(t => t.shape).ToArray();
                _dtypes = y.Select(t => t.dtype).ToArray();
                _devices = y.Select(t => t.device).ToArray();
            }

            public int Count { get; private set; }

            public Tensor[] Call(double t, Tensor[] y)
            {
                var k = _f(t, y);
                Count++;
                if (k is null || k.Length != _shapes.Length)
                    throw new ArgumentException(_caller + ": the derivative function returned " + (k is null ? "null" : k.Length + " tensor(s)")
                                                + " at t = " + Fmt(t) + "; expected " + _shapes.Length + " (one per state tensor).", "f");
                if (!_checked)
                {
                    for (int i = 0; i < k.Length; i++)
                    {
                        if (k[i] is null)
                            throw new ArgumentException(_caller + ": the derivative function returned null for state tensor " + i + ".", "f");
                        if (!k[i].shape.SequenceEqual(_shapes[i]))
                            throw new ArgumentException(_caller + ": the derivative function returned shape " + Shape(k[i].shape) + " for state tensor " + i
                                                        + "; expected " + Shape(_shapes[i]) + " (the shape of that state tensor).", "f");
                    }
                    _checked = true;
                }
                // Solver-owned handles: detached (the solver never differentiates through its own steps, and keeping a
                // derivative for FSAL must not keep f's autograd graph alive), converted to the state's dtype/device when needed.
                var own = new Tensor[k.Length];
                using (no_grad())
                {
                    for (int i = 0; i < k.Length; i++)
                    {
                        var d = k[i].detach();
                        if (d.dtype != _dtypes[i] || d.device_type != _devices[i].type || d.device_index != _devices[i].index)
                            d = d.to(_dtypes[i], _devices[i]);
                        own[i] = d;
                    }
                }
                return own;
            }
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

        private static bool HostDouble(Tensor[] y, (double c, Tensor[] k)[] terms)
        {
            if (!HostDouble(y)) return false;
            foreach (var (c, k) in terms)
                if (c != 0 && !HostDouble(k)) return false;
            return true;
        }

        // y + Σ coefficient · k, skipping zero coefficients; no graph.
        private static Tensor[] Combine(Tensor[] y, params (double c, Tensor[] k)[] terms)
        {
            if (HostDouble(y, terms)) return CombineHost(y, terms);
            var r = new Tensor[y.Length];
            using (no_grad())
            {
                for (int i = 0; i < y.Length; i++)
                {
                    Tensor? acc = null;
                    foreach (var (c, k) in terms)
                    {
                        if (c == 0) continue;
                        if (acc is null) acc = y[i].Add(k[i], alpha: c);
                        else acc.Add_(k[i], alpha: c);
                    }
                    r[i] = acc ?? y[i].clone();
                }
            }
            return r;
        }

        private static Tensor[] CombineHost(Tensor[] y, (double c, Tensor[] k)[] terms)
        {
            var r = new Tensor[y.Length];
            for (int i = 0; i < y.Length; i++)
            {
                r[i] = empty_like(y[i]);
                var target = Values(r[i]);
                Values(y[i]).CopyTo(target);
                foreach (var (c, k) in terms)
                {
                    if (c == 0) continue;
                    var source = Values(k[i]);
                    for (int j = 0; j < target.Length; j++) target[j] += c * source[j];
                }
            }
            return r;
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

        private static void Replace(Tensor[] state, Tensor[] next)
        {
            for (int i = 0; i < state.Length; i++)
            {
                next[i].MoveToOuterDisposeScope();
                if (!ReferenceEquals(state[i], next[i])) state[i].Dispose();
                state[i] = next[i];
            }
        }

        // The nodes of n equal steps: t0 + k·h, with the last one exactly t1.
        private static Func<int, double> Uniform(double t0, double t1, int n)
        {
            double h = (t1 - t0) / n;
            return k => k == 0 ? t0 : k == n ? t1 : t0 + k * h;
        }

        private static OdeResult FixedStep(Evaluator eval, Tensor[] y, int n, Func<int, double> node, OdeOptions o, string caller)
        {
            double t = node(0), t1 = node(n);
            for (int i = 0; i < n; i++)
            {
                if (o.Cancellation.IsCancellationRequested)
                    return new OdeResult(y, eval.Count, i, 0, t, true);
                double tn = node(i + 1);
                double hi = tn - t;
                using (var step = NewDisposeScope())
                {
                    Tensor[] next;
                    switch (o.Method)
                    {
                        case OdeMethod.Euler:
                            next = Combine(y, (hi, eval.Call(t, y)));
                            break;
                        case OdeMethod.Heun:
                        {
                            var k1 = eval.Call(t, y);
                            var k2 = eval.Call(tn, Combine(y, (hi, k1)));
                            next = Combine(y, (hi / 2, k1), (hi / 2, k2));
                            break;
                        }
                        default:
                        {
                            var k1 = eval.Call(t, y);
                            var k2 = eval.Call(t + hi / 2, Combine(y, (hi / 2, k1)));
                            var k3 = eval.Call(t + hi / 2, Combine(y, (hi / 2, k2)));
                            var k4 = eval.Call(tn, Combine(y, (hi, k3)));
                            next = Combine(y, (hi / 6, k1), (hi / 3, k2), (hi / 3, k3), (hi / 6, k4));
                            break;
                        }
                    }
                    if (!AllFinite(next))
                        throw new ArithmeticException(caller + ": the ODE state became NaN or infinite at t = " + Fmt(tn) + " (" + o.Method + " step from t = " + Fmt(t)
                                                      + "); the derivative may be unstable or the step too large (Steps = " + n + ").");
                    Replace(y, next);
                }
                t = tn;
            }
            return new OdeResult(y, eval.Count, n, 0, t1, false);
        }

        private static OdeResult DormandPrince(Evaluator eval, Tensor[] y, double t0, double t1, OdeOptions o, string caller)
        {
            if (t0 == t1 || o.Cancellation.IsCancellationRequested)
                return new OdeResult(y, 0, 0, 0, t0, t0 != t1);

            double rtol = o.RelativeTolerance, atol = o.AbsoluteTolerance;
            double dir = System.Math.Sign(t1 - t0);
            long count = y.Sum(t => t.numel());
            var k1 = eval.Call(t0, y);
            double absH = o.FirstStep ?? InitialStep(eval, y, k1, t0, t1, rtol, atol);
            absH = System.Math.Min(absH, System.Math.Abs(t1 - t0));

            double t = t0;
            int accepted = 0, rejected = 0, attempts = 0;
            bool lastNonFinite = false;
            var k = new Tensor[7][];
            while (dir * (t1 - t) > 0)
            {
                if (o.Cancellation.IsCancellationRequested)
                    return new OdeResult(y, eval.Count, accepted, rejected, t, true);

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

                    using var step = NewDisposeScope();
                    k[0] = k1;
                    for (int s = 1; s < 7; s++)
                    {
                        var terms = new (double, Tensor[])[s];
                        for (int j = 0; j < s; j++) terms[j] = (h * A[s][j], k[j]);
                        var ys = Combine(y, terms);
                        if (s == 6)
                        {
                            k[6] = eval.Call(tNew, ys);   // ys is y_new (row 7 of the tableau = b)
                            var errTerms = new (double, Tensor[])[7];
                            for (int j = 0; j < 7; j++) errTerms[j] = (h * E[j], k[j]);
                            double norm = ErrorNorm(errTerms, y, ys, rtol, atol, count);
                            if (double.IsFinite(norm) && norm < 1)   // scipy accepts error_norm < 1
                            {
                                double factor = norm == 0 ? MaxFactor : System.Math.Min(MaxFactor, Safety * System.Math.Pow(norm, ErrorExponent));
                                if (stepRejected) factor = System.Math.Min(1, factor);
                                absH *= factor;
                                foreach (var d in k1) d.Dispose();
                                k1 = k[6];
                                foreach (var d in k1) d.MoveToOuterDisposeScope();
                                Replace(y, ys);
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
                        else k[s] = eval.Call(t + C[s] * h, ys);
                    }
                }
                nextStep:;
            }
            return new OdeResult(y, eval.Count, accepted, rejected, t1, false);
        }

        // RMS over all elements of err / (atol + rtol · max(|y|, |y_new|)), err = Σ coefficient · k.
        private static double ErrorNorm((double c, Tensor[] k)[] errTerms, Tensor[] y, Tensor[] yNew, double rtol, double atol, long count)
        {
            if (count == 0) return 0;
            if (HostDouble(y) && HostDouble(yNew) && HostDouble(y, errTerms)) return ErrorNormHost(errTerms, y, yNew, rtol, atol, count);
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            Tensor? acc = null;
            for (int i = 0; i < y.Length; i++)
            {
                Tensor? err = null;
                foreach (var (c, k) in errTerms)
                {
                    if (c == 0) continue;
                    if (err is null) err = k[i].Mul(c);
                    else err.Add_(k[i], alpha: c);
                }
                if (err is null) continue;
                var scale = maximum(y[i].abs(), yNew[i].abs()).Mul_(rtol).Add_(atol);
                var r = err.div_(scale);
                var s = r.mul(r).sum().to_type(ScalarType.Float64);
                acc = acc is null ? s : acc.Add(s);
            }
            return acc is null ? 0 : System.Math.Sqrt(acc.ToDoubleValue() / count);
        }

        // The same norm on the host: one pass per term and state tensor into a scratch buffer, then one over y and y_new.
        private static double ErrorNormHost((double c, Tensor[] k)[] errTerms, Tensor[] y, Tensor[] yNew, double rtol, double atol, long count)
        {
            double sum = 0;
            for (int i = 0; i < y.Length; i++)
            {
                Span<double> a = Values(y[i]), b = Values(yNew[i]);
                var err = System.Buffers.ArrayPool<double>.Shared.Rent(a.Length);
                try
                {
                    Array.Clear(err, 0, a.Length);
                    foreach (var (c, k) in errTerms)
                    {
                        if (c == 0) continue;
                        var source = Values(k[i]);
                        for (int j = 0; j < a.Length; j++) err[j] += c * source[j];
                    }
                    for (int j = 0; j < a.Length; j++)
                    {
                        double r = err[j] / (atol + rtol * System.Math.Max(System.Math.Abs(a[j]), System.Math.Abs(b[j])));
                        sum += r * r;
                    }
                }
                finally { System.Buffers.ArrayPool<double>.Shared.Return(err); }
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

        // Hairer, Nørsett & Wanner (II.4), as scipy.integrate._ivp.common.select_initial_step, for order 4 error estimates.
        private static double InitialStep(Evaluator eval, Tensor[] y, Tensor[] f0, double t0, double t1, double rtol, double atol)
        {
            double interval = System.Math.Abs(t1 - t0);
            long count = y.Sum(t => t.numel());
            if (count == 0) return interval;
            double dir = System.Math.Sign(t1 - t0);
            using var scope = NewDisposeScope();
            Tensor[] scale;
            using (no_grad()) scale = y.Select(t => t.abs().Mul_(rtol).Add_(atol)).ToArray();
            double d0 = Rms(y, scale, count), d1 = Rms(f0, scale, count);
            double h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : 0.01 * d0 / d1;
            if (!double.IsFinite(h0)) h0 = 1e-6;
            h0 = System.Math.Min(h0, interval);
            var f1 = eval.Call(t0 + dir * h0, Combine(y, (dir * h0, f0)));
            Tensor[] df;
            using (no_grad()) df = f1.Select((t, i) => t.sub(f0[i])).ToArray();
            double d2 = Rms(df, scale, count) / h0;
            double h1 = d1 <= 1e-15 && d2 <= 1e-15 ? System.Math.Max(1e-6, h0 * 1e-3) : System.Math.Pow(0.01 / System.Math.Max(d1, d2), 1.0 / 5);
            double h = System.Math.Min(System.Math.Min(100 * h0, h1), interval);
            return double.IsFinite(h) && h > 0 ? h : System.Math.Max(0.01 * interval, double.Epsilon);
        }

        internal static string Fmt(double x) => x.ToString("G6", CultureInfo.InvariantCulture);

        private static string Shape(long[] shape) => "[" + string.Join(", ", shape.Select(s => s.ToString(CultureInfo.InvariantCulture))) + "]";
    }
}
