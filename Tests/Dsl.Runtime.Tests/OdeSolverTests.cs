using System;
using System.Threading;
using Dsl.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Tests
{
    /// <summary>The ODE integrators against closed forms (float64).</summary>
    public class OdeSolverTests
    {
        private static double RelErr(Tensor a, Tensor exact) => (a - exact).abs().max().ToDoubleValue() / exact.abs().max().ToDoubleValue();

        private static Tensor[] Decay(double t, Tensor[] y) => new[] { y[0].Mul(-2.0) };

        private static double DecayError(OdeMethod method, int steps, Tensor y0, double tol = 1e-8)
        {
            using var r = OdeSolvers.Solve(Decay, new[] { y0 }, 0, 1,
                new OdeOptions { Method = method, Steps = steps, RelativeTolerance = tol, AbsoluteTolerance = tol });
            Assert.Equal(1.0, r.FinalTime);
            Assert.False(r.Cancelled);
            return RelErr(r.State[0], y0.Mul(System.Math.Exp(-2)));
        }

        [Fact]
        public void Exponential_decay_matches_the_closed_form_for_every_method()
        {
            manual_seed(1);
            var y0 = randn(5, 3, dtype: ScalarType.Float64);
            var copy = y0.clone();
            Assert.True(DecayError(OdeMethod.Rk45, 0, y0) < 1e-6);
            Assert.True(DecayError(OdeMethod.Rk4, 100, y0) < 1e-8);
            // Heun's relative error for z = λh = −0.02 is N·|z|³/6 ≈ 1.4e-4 — a property of the method, so 2e-4 relative (absolute < 1e-4).
            Assert.True(DecayError(OdeMethod.Heun, 100, y0) < 2e-4);
            Assert.True(DecayError(OdeMethod.Euler, 1000, y0) < 1e-2);
            Assert.Equal(0.0, (y0 - copy).abs().max().ToDoubleValue());   // y0 is not modified
        }

        [Theory]
        [InlineData(OdeMethod.Euler, 1.0, 1.0, 0.0, 0.0)]
        [InlineData(OdeMethod.Heun, 1.0, 1.0, 0.5, 0.0)]
        [InlineData(OdeMethod.Rk4, 1.0, 1.0, 0.5, 1.0 / 6)]
        public void Fixed_steps_apply_the_exact_amplification_factor(OdeMethod method, double c0, double c1, double c2, double c3)
        {
            // For y' = λy every explicit RK step multiplies by its stability polynomial R(z), z = λh (RK4 adds z⁴/24).
            var y0 = randn(5, 3, dtype: ScalarType.Float64);
            const int n = 25;
            double z = -2.0 / n;
            double r = c0 + c1 * z + c2 * z * z + c3 * z * z * z + (method == OdeMethod.Rk4 ? z * z * z * z / 24 : 0);
            using var res = OdeSolvers.Solve(Decay, new[] { y0 }, 0, 1, new OdeOptions { Method = method, Steps = n });
            Assert.True(RelErr(res.State[0], y0.Mul(System.Math.Pow(r, n))) < 1e-13);
        }

        [Theory]
        [InlineData(OdeMethod.Euler, 200, 1.8, 2.2)]
        [InlineData(OdeMethod.Heun, 50, 3.5, 4.5)]
        [InlineData(OdeMethod.Rk4, 20, 14, 18)]
        public void Halving_the_step_shows_the_order(OdeMethod method, int steps, double lo, double hi)
        {
            manual_seed(2);
            var y0 = randn(5, 3, dtype: ScalarType.Float64);
            double ratio = DecayError(method, steps, y0) / DecayError(method, 2 * steps, y0);
            Assert.InRange(ratio, lo, hi);
        }

        [Fact]
        public void Harmonic_oscillator_returns_after_one_period_and_counts_evaluations()
        {
            manual_seed(3);
            var q0 = randn(7, dtype: ScalarType.Float64);
            var p0 = randn(7, dtype: ScalarType.Float64);
            int calls = 0;
            using var r = OdeSolvers.Solve((t, y) => { calls++; return new[] { y[1], -y[0] }; }, new[] { q0, p0 }, 0, 2 * System.Math.PI,
                new OdeOptions { RelativeTolerance = 1e-9, AbsoluteTolerance = 1e-9 }, "oscillator");
            Assert.True((r.State[0] - q0).abs().max().ToDoubleValue() < 1e-6);
            Assert.True((r.State[1] - p0).abs().max().ToDoubleValue() < 1e-6);
            Assert.True(r.FunctionEvaluations > 0);
            Assert.Equal(calls, r.FunctionEvaluations);
            Assert.True(r.AcceptedSteps > 0);
        }

        [Fact]
        public void Integrating_forward_then_backward_returns_the_start()
        {
            manual_seed(4);
            var y0 = randn(5, 3, dtype: ScalarType.Float64);
            var tight = new OdeOptions { RelativeTolerance = 1e-11, AbsoluteTolerance = 1e-11 };
            using var forward = OdeSolvers.Solve(Decay, new[] { y0 }, 0, 1, tight);
            using var back = OdeSolvers.Solve(Decay, forward.State, 1, 0, tight);
            Assert.Equal(0.0, back.FinalTime);
            Assert.True((back.State[0] - y0).abs().max().ToDoubleValue() < 1e-7);
        }

        [Fact]
        public void A_stiff_problem_exhausts_the_step_budget()
        {
            var y0 = zeros(4, dtype: ScalarType.Float64);
            var ex = Assert.Throws<OdeStepBudgetException>(() =>
                OdeSolvers.Solve((t, y) => new[] { (y[0].Sub(System.Math.Cos(t))).Mul(-1e5) }, new[] { y0 }, 0, 1, new OdeOptions { MaxSteps = 20 }, "stiff"));
            Assert.Contains("20", ex.Message);
            Assert.Contains("Dormand–Prince RK45", ex.Message);
            Assert.Contains("MaxSteps", ex.Message);
            Assert.Equal(20, ex.MaxSteps);
        }

        [Fact]
        public void Bad_inputs_are_rejected_with_the_parameter_named()
        {
            var y0 = ones(5, 3, dtype: ScalarType.Float64);
            var steps = Assert.ThrowsAny<ArgumentException>(() =>
                OdeSolvers.Solve(Decay, new[] { y0 }, 0, 1, new OdeOptions { Method = OdeMethod.Euler, Steps = 0 }, "test"));
            Assert.Equal("Steps", steps.ParamName);
            Assert.Contains("test", steps.Message);

            var shape = Assert.ThrowsAny<ArgumentException>(() =>
                OdeSolvers.Solve((t, y) => new[] { zeros(5, 2, dtype: ScalarType.Float64) }, new[] { y0 }, 0, 1, new OdeOptions()));
            Assert.Contains("[5, 3]", shape.Message);

            var count = Assert.ThrowsAny<ArgumentException>(() =>
                OdeSolvers.Solve((t, y) => new[] { y[0], y[0] }, new[] { y0 }, 0, 1, new OdeOptions { Method = OdeMethod.Rk4 }));
            Assert.Contains("one per state tensor", count.Message);

            Assert.ThrowsAny<ArgumentException>(() => OdeSolvers.Solve(Decay, Array.Empty<Tensor>(), 0, 1, new OdeOptions()));
            Assert.ThrowsAny<ArgumentException>(() => OdeSolvers.Solve(Decay, new[] { y0 }, 0, double.NaN, new OdeOptions()));
            Assert.ThrowsAny<ArgumentException>(() => OdeSolvers.Solve(Decay, new[] { y0 }, 0, 1, new OdeOptions { RelativeTolerance = 0 }));
            Assert.ThrowsAny<ArgumentException>(() => OdeSolvers.Solve(Decay, new[] { y0 }, 0, 1, new OdeOptions { MaxSteps = 0 }));
        }

        [Fact]
        public void A_state_that_blows_up_is_reported_with_the_time()
        {
            var y0 = ones(3, dtype: ScalarType.Float64);
            var ex = Assert.Throws<ArithmeticException>(() =>
                OdeSolvers.Solve((t, y) => new[] { y[0].Mul((t > 0.5 ? double.NaN : 1.0)) }, new[] { y0 }, 0, 1,
                    new OdeOptions { Method = OdeMethod.Euler, Steps = 10 }, "blowup"));
            Assert.Contains("blowup", ex.Message);
            Assert.Contains("t = 0.7", ex.Message);
        }

        [Theory]
        [InlineData(OdeMethod.Rk45)]
        [InlineData(OdeMethod.Rk4)]
        public void Cancellation_stops_between_steps(OdeMethod method)
        {
            var y0 = ones(5, 3, dtype: ScalarType.Float64);
            using var cts = new CancellationTokenSource();
            int calls = 0;
            using var r = OdeSolvers.Solve((t, y) => { if (++calls == 3) cts.Cancel(); return Decay(t, y); }, new[] { y0 }, 0, 1,
                new OdeOptions { Method = method, Steps = 10, Cancellation = cts.Token });
            Assert.True(r.Cancelled);
            Assert.True(r.FinalTime > 0 && r.FinalTime < 1, "FinalTime = " + r.FinalTime);
            Assert.True(RelErr(r.State[0], y0.Mul(System.Math.Exp(-2 * r.FinalTime))) < 1e-3);
        }

        [Theory]
        [InlineData(OdeMethod.Euler, 1)]
        [InlineData(OdeMethod.Heun, 2)]
        [InlineData(OdeMethod.Rk4, 4)]
        public void Fixed_step_methods_evaluate_a_fixed_number_of_times(OdeMethod method, int perStep)
        {
            var y0 = ones(2, dtype: ScalarType.Float64);
            int calls = 0;
            using var r = OdeSolvers.Solve((t, y) => { calls++; return Decay(t, y); }, new[] { y0 }, 0, 1, new OdeOptions { Method = method, Steps = 37 });
            Assert.Equal(37 * perStep, r.FunctionEvaluations);
            Assert.Equal(calls, r.FunctionEvaluations);
            Assert.Equal(37, r.AcceptedSteps);
        }

        [Fact]
        public void Float32_state_keeps_its_dtype_and_f_may_use_autograd_under_no_grad()
        {
            // dx/dt = −∇(|x|²/2) computed by autograd inside f while the caller runs without grad; dlogp/dt a second tensor.
            var x0 = randn(4, 2, dtype: ScalarType.Float32);
            var l0 = zeros(4, dtype: ScalarType.Float32);
            using var noGrad = no_grad();
            using var r = OdeSolvers.Solve((t, y) =>
            {
                using var grad = enable_grad();
                var x = y[0].detach().requires_grad_(true);
                var e = (x * x).sum().Mul(0.5);
                var g = torch.autograd.grad(new[] { e }, new[] { x })[0];
                return new[] { -g, ones_like(y[1]) };
            }, new[] { x0, l0 }, 0, 1, new OdeOptions());
            Assert.Equal(ScalarType.Float32, r.State[0].dtype);
            Assert.Equal(ScalarType.Float32, r.State[1].dtype);
            Assert.False(r.State[0].requires_grad);
            Assert.True(RelErr(r.State[0], x0.Mul(System.Math.Exp(-1))) < 1e-4);
            Assert.True((r.State[1].Sub(1)).abs().max().ToDoubleValue() < 1e-5);
        }

        [Theory]
        [InlineData(OdeMethod.Rk45)]
        [InlineData(OdeMethod.Rk4)]
        public void No_tensors_leak_per_step(OdeMethod method)
        {
            var y0 = randn(5, 3, dtype: ScalarType.Float64);
            var l0 = zeros(5, dtype: ScalarType.Float64);
            var live = new System.Collections.Generic.List<long>();
            long Live() => DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;
            long before = Live();
            using (var r = OdeSolvers.Solve((t, y) => { live.Add(Live()); return new[] { y[0].Mul(-2.0), y[0].sum(new long[] { 1 }) }; }, new[] { y0, l0 }, 0, 1,
                       new OdeOptions { Method = method, Steps = 200, RelativeTolerance = 1e-10, AbsoluteTolerance = 1e-10 }))
            {
                Assert.True(r.AcceptedSteps > 20);
                Assert.Equal(2, r.State.Length);
            }
            Assert.Equal(before, Live());   // nothing left behind once the result is disposed
            int n = live.Count;
            long early = 0, late = 0;
            for (int i = 0; i < 40; i++) { early = System.Math.Max(early, live[i]); late = System.Math.Max(late, live[n - 1 - i]); }
            Assert.True(late <= early, "live tensors grew from " + early + " to " + late + " over " + n + " evaluations");
        }

        // scipy 1.10.1's solve_ivp(method="RK45") on the same problems (Debian python3-scipy, run by hand:
        //   solve_ivp(lambda t, y: -2*y, (0, 1), [1., 2., 3.], rtol=1e-6, atol=1e-6)                     → nfev 56, 9 accepted steps, y1 = 0.13533543205142815·[1, 2, 3]
        //   solve_ivp(lambda t, y: [y[1], -y[0]], (0, 2π), [1., 0.], rtol=1e-5, atol=1e-5)              → nfev 98, 16 accepted steps, y1 = [0.9999780378941387, -2.0052135971851404e-05]
        //   solve_ivp(lambda t, y: [y[1], (1 - y[0]²) y[1] - y[0]], (0, 5), [2., 0.], rtol=1e-6, atol=1e-8) → nfev 326, 43 accepted steps, y1 = [-0.837076379791747, 1.307089643127049]
        // The same controller (Hairer's initial step, RMS norm of err/(atol + rtol·max(|y0|, |y1|)), safety 0.9, factors 0.2/10,
        // acceptance at norm < 1, FSAL) takes the same steps, so the evaluation counts agree exactly and the states to rounding.
        [Theory]
        [InlineData("decay", 56, 9)]
        [InlineData("oscillator", 98, 16)]
        [InlineData("van der Pol", 326, 43)]
        public void Rk45_takes_scipys_steps(string problem, int scipyNfe, int scipySteps)
        {
            Func<double, Tensor[], Tensor[]> f = problem switch
            {
                "decay" => Decay,
                "oscillator" => (t, y) => new[] { y[1].clone(), y[0].neg() },
                _ => (t, y) => new[] { y[1].clone(), ScalarOps.RSub(1.0, y[0].mul(y[0])).mul(y[1]).sub(y[0]) },
            };
            Tensor[] y0 = problem switch
            {
                "decay" => new[] { tensor(new[] { 1.0, 2.0, 3.0 }) },
                "oscillator" => new[] { tensor(new[] { 1.0 }), tensor(new[] { 0.0 }) },
                _ => new[] { tensor(new[] { 2.0 }), tensor(new[] { 0.0 }) },
            };
            double t1 = problem == "decay" ? 1 : problem == "oscillator" ? 2 * System.Math.PI : 5;
            double rtol = problem == "oscillator" ? 1e-5 : 1e-6, atol = problem == "van der Pol" ? 1e-8 : rtol;
            double[] expected = problem switch
            {
                "decay" => new[] { 0.13533543205142815, 0.2706708641028563, 0.40600629615428413 },
                "oscillator" => new[] { 0.9999780378941387, -2.0052135971851404e-05 },
                _ => new[] { -0.837076379791747, 1.307089643127049 },
            };
            using var r = OdeSolvers.Solve(f, y0, 0, t1, new OdeOptions { RelativeTolerance = rtol, AbsoluteTolerance = atol });
            Assert.Equal(scipyNfe, r.FunctionEvaluations);
            Assert.Equal(scipySteps, r.AcceptedSteps);   // scipy's len(t) − 1; van der Pol also rejects 11 (326 = 2 + 6·54 attempts)
            var final = problem == "decay" ? r.State[0].data<double>().ToArray() : new[] { r.State[0].ToDoubleValue(), r.State[1].ToDoubleValue() };
            for (int i = 0; i < expected.Length; i++)
                Assert.True(System.Math.Abs(final[i] - expected[i]) <= 1e-12 * System.Math.Max(1, System.Math.Abs(expected[i])), problem + "[" + i + "]: " + final[i].ToString("R") + " vs scipy " + expected[i].ToString("R"));
        }

        [Fact]
        public void The_host_and_torch_op_paths_of_rk45_agree()
        {
            // A contiguous float64 CPU state runs the stage sums and the error norm on the host; a non-contiguous state runs them
            // as torch ops. Same problem, same steps, same result to rounding.
            manual_seed(3);
            var y0 = randn(4, 6, dtype: ScalarType.Float64).T;                    // [6, 4], not contiguous
            var rate = rand(4, 6, dtype: ScalarType.Float64).Add(0.5).T;
            Tensor[] F(double t, Tensor[] y) => new[] { y[0].mul(rate).neg().Add(System.Math.Sin(3 * t)) };
            var options = new OdeOptions { RelativeTolerance = 1e-7, AbsoluteTolerance = 1e-9 };
            using var host = OdeSolvers.Solve(F, new[] { y0.contiguous() }, 0, 2, options);
            using var ops = OdeSolvers.Solve(F, new[] { y0 }, 0, 2, options);
            Assert.True(host.State[0].is_contiguous());
            Assert.False(ops.State[0].is_contiguous());   // the torch-op path ran throughout
            Assert.Equal(host.FunctionEvaluations, ops.FunctionEvaluations);
            Assert.Equal(host.RejectedSteps, ops.RejectedSteps);
            Assert.True(host.RejectedSteps + host.AcceptedSteps > 10);
            Assert.True((host.State[0] - ops.State[0]).abs().max().ToDoubleValue() < 1e-12);
        }
    }
}
