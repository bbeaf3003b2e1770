using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using Dsl.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Tests
{
    /// <summary>
    /// The solvers' buffers (issue 21): the in-place field form (<see cref="OdeFieldInto"/>) takes the same steps as the form that
    /// returns tensors; a solve allocates its buffers once, so neither the managed bytes nor the tensors it creates grow with the
    /// number of steps; the field always writes into the same few stage buffers, never into the state it reads.
    /// </summary>
    public class OdeSolverAllocationTests
    {
        // A nonlinear two-tensor field: dx/dt = −x³ + sin(t)·x, dℓ/dt = −Σx² (an augmented state like the likelihood's [x, Δ]).
        private static Tensor[] Returning(double t, Tensor[] y)
        {
            var x = y[0];
            return new[] { x.pow(3).neg().add(x.Mul(System.Math.Sin(t))), x.mul(x).sum(new long[] { 1 }).neg() };
        }

        private static void Writing(double t, Tensor[] y, Tensor[] into)
        {
            using var scope = NewDisposeScope();
            var k = Returning(t, y);
            into[0].copy_(k[0]);
            into[1].copy_(k[1]);
        }

        private static Tensor[] Start(ScalarType dtype) =>
            new[] { randn(64, 3, dtype: ScalarType.Float64, generator: new Generator(3)).to_type(dtype), zeros(64, dtype: dtype) };

        public static TheoryData<OdeMethod, bool> Methods() => new()
        {
            { OdeMethod.Euler, false }, { OdeMethod.Heun, false }, { OdeMethod.Rk4, false }, { OdeMethod.Rk45, false },
            { OdeMethod.Heun, true }, { OdeMethod.Rk4, true },
        };

        [Theory]
        [MemberData(nameof(Methods))]
        public void The_in_place_field_takes_the_same_steps_as_the_returning_one(OdeMethod method, bool grid)
        {
            using var scope = NewDisposeScope();
            var y0 = Start(ScalarType.Float64);
            var options = new OdeOptions { Method = method, Steps = 37, RelativeTolerance = 1e-7, AbsoluteTolerance = 1e-7 };
            var times = new[] { 0.0, 0.1, 0.15, 0.4, 0.8, 1.0 };
            using var returning = grid ? OdeSolvers.Solve(Returning, y0, times, options) : OdeSolvers.Solve(Returning, y0, 0, 1, options);
            using var writing = grid ? OdeSolvers.Solve(Writing, y0, times, options) : OdeSolvers.Solve(Writing, y0, 0, 1, options);
            Assert.True(returning.State[0].eq(writing.State[0]).all().item<bool>() && returning.State[1].eq(writing.State[1]).all().item<bool>(), $"{method}: the two forms' final states differ");
            Assert.Equal(returning.FunctionEvaluations, writing.FunctionEvaluations);
            Assert.Equal(returning.AcceptedSteps, writing.AcceptedSteps);
            Assert.Equal(returning.RejectedSteps, writing.RejectedSteps);
            if (method == OdeMethod.Rk45) Assert.True(writing.RejectedSteps + writing.AcceptedSteps > 5);
        }

        // dy/dt = Ω y for a rotation Ω in each row's (y₀, y₁) plane, written on the buffers' memory: a field that allocates nothing.
        private static void Rotation(double t, Tensor[] y, Tensor[] into)
        {
            var source = MemoryMarshal.Cast<byte, double>(y[0].bytes);
            var target = MemoryMarshal.Cast<byte, double>(into[0].bytes);
            for (int j = 0; j < source.Length; j += 2)
            {
                target[j] = -source[j + 1];
                target[j + 1] = source[j];
            }
        }

        private static (long Bytes, long Tensors, OdeResult Result) Measure(OdeOptions options, double t1)
        {
            using var y0 = randn(256, 2, dtype: ScalarType.Float64, generator: new Generator(1));
            var stats = DisposeScopeManager.Statistics.TensorStatistics;
            long tensors = stats.CreatedInScopeCount + stats.CreatedOutsideScopeCount;
            long bytes = GC.GetAllocatedBytesForCurrentThread();
            var result = OdeSolvers.Solve(Rotation, new[] { y0 }, 0, t1, options);
            bytes = GC.GetAllocatedBytesForCurrentThread() - bytes;
            tensors = stats.CreatedInScopeCount + stats.CreatedOutsideScopeCount - tensors;
            return (bytes, tensors, result);
        }

        [Theory]
        [InlineData(OdeMethod.Euler)]
        [InlineData(OdeMethod.Heun)]
        [InlineData(OdeMethod.Rk4)]
        [InlineData(OdeMethod.Rk45)]
        public void A_host_double_solve_allocates_nothing_per_step(OdeMethod method)
        {
            // Fixed steps: 100 against 400 steps over the same interval; Rk45: a loose and a tight tolerance (different step counts).
            var few = method == OdeMethod.Rk45 ? new OdeOptions { Method = method, RelativeTolerance = 1e-4, AbsoluteTolerance = 1e-4 } : new OdeOptions { Method = method, Steps = 100 };
            var many = method == OdeMethod.Rk45 ? new OdeOptions { Method = method, RelativeTolerance = 1e-9, AbsoluteTolerance = 1e-9 } : new OdeOptions { Method = method, Steps = 400 };
            Measure(few, 6.0).Result.Dispose();   // warm-up: JIT, static tables, TorchSharp's first calls
            Measure(many, 6.0).Result.Dispose();
            var (fewBytes, fewTensors, fewResult) = Measure(few, 6.0);
            var (manyBytes, manyTensors, manyResult) = Measure(many, 6.0);
            using (fewResult)
            using (manyResult)
            {
                int fewSteps = fewResult.AcceptedSteps + fewResult.RejectedSteps, manySteps = manyResult.AcceptedSteps + manyResult.RejectedSteps;
                Assert.True(manySteps >= fewSteps + 50, $"{method}: {fewSteps} and {manySteps} steps do not differ enough to measure");
                Assert.Equal(fewTensors, manyTensors);
                // Per step, a single boxed value or closure would be ≥ 24 bytes; 1 KiB over ≥ 50 extra steps is < 21 bytes a step.
                Assert.True(System.Math.Abs(manyBytes - fewBytes) <= 1024,
                    $"{method}: {fewBytes} bytes for {fewSteps} steps, {manyBytes} bytes for {manySteps} steps");
                // And it integrates: a rotation by 6 radians.
                using var y0 = randn(256, 2, dtype: ScalarType.Float64, generator: new Generator(1));
                var expected = stack(new[] { y0[.., 0].Mul(System.Math.Cos(6)).sub(y0[.., 1].Mul(System.Math.Sin(6))), y0[.., 0].Mul(System.Math.Sin(6)).add(y0[.., 1].Mul(System.Math.Cos(6))) }, 1);
                double error = (manyResult.State[0] - expected).abs().max().ToDoubleValue();
                Assert.True(error < (method == OdeMethod.Euler ? 1.0 : 1e-2), $"{method}: error {error}");
            }
        }

        // The address of a CPU tensor's first element (no unsafe code: its byte offset from address zero).
        private static long Address(Tensor t) =>
            (long)System.Runtime.CompilerServices.Unsafe.ByteOffset(ref System.Runtime.CompilerServices.Unsafe.NullRef<byte>(), ref MemoryMarshal.GetReference(t.bytes));

        [Theory]
        [InlineData(OdeMethod.Euler, 1)]
        [InlineData(OdeMethod.Heun, 2)]
        [InlineData(OdeMethod.Rk4, 4)]
        [InlineData(OdeMethod.Rk45, 7)]
        public void The_field_writes_into_a_fixed_set_of_stage_buffers_never_the_state_it_reads(OdeMethod method, int stages)
        {
            using var scope = NewDisposeScope();
            var into = new HashSet<long>();
            var read = new HashSet<long>();
            int calls = 0;
            OdeFieldInto field = (t, y, buffers) =>
            {
                calls++;
                long[] yPointers = y.Select(v => Address(v)).ToArray();
                foreach (var b in buffers)
                {
                    into.Add(Address(b));
                    Assert.DoesNotContain(Address(b), yPointers);
                }
                foreach (var p in yPointers) read.Add(p);
                Writing(t, y, buffers);
            };
            using var r = OdeSolvers.Solve(field, Start(ScalarType.Float64), 0, 1, new OdeOptions { Method = method, Steps = 50, RelativeTolerance = 1e-8, AbsoluteTolerance = 1e-8 });
            Assert.True(calls >= 50, $"{method}: {calls} calls");
            Assert.Equal(2 * stages, into.Count);           // two state tensors, one buffer each per stage
            Assert.True(read.Count <= 4, $"{method}: the field read {read.Count} distinct state buffers (the state and the stage state, two tensors each)");
            Assert.Empty(read.Intersect(into));
        }

        [Theory]
        [InlineData(OdeMethod.Rk4)]
        [InlineData(OdeMethod.Rk45)]
        public void A_float32_state_through_torch_ops_matches_the_float64_host_path(OdeMethod method)
        {
            using var scope = NewDisposeScope();
            var options = new OdeOptions { Method = method, Steps = 40, RelativeTolerance = 1e-5, AbsoluteTolerance = 1e-5 };
            using var single = OdeSolvers.Solve(Writing, Start(ScalarType.Float32), 0, 1, options);
            using var host = OdeSolvers.Solve(Writing, Start(ScalarType.Float64), 0, 1, options);
            Assert.Equal(ScalarType.Float32, single.State[0].dtype);
            for (int i = 0; i < 2; i++)
            {
                double difference = (single.State[i].to_type(ScalarType.Float64) - host.State[i]).abs().max().ToDoubleValue() / (1 + host.State[i].abs().max().ToDoubleValue());
                Assert.True(difference < 1e-5, $"{method}, state tensor {i}: float32 and float64 differ by {difference:E2}");
            }
        }
    }
}
