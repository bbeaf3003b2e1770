using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.Symbolic.Calculus;
using Dsl.Symbolic.Ir;

namespace Dsl.Symbolic.Tests
{
    /// <summary>Symbolic gradients and Laplacians against central finite differences of the float64 evaluator.</summary>
    public class CalculusTests
    {
        public static IEnumerable<object[]> Cases() => Energies.All().Select(c => new object[] { c.Name });

        static (EnergyCase c, Graph g, Node x, Node e, Evaluator ev) Setup(string name, int seed)
        {
            var c = Energies.All().Single(e => e.Name == name);
            var g = new Graph();
            var x = g.Input("D");
            var e = c.Build(g, x);
            var ev = new Evaluator(c.Parameters(new Random(seed)), new Dictionary<string, double>(), c.Sizes);
            return (c, g, x, e, ev);
        }

        static double[] RandomPoint(Random r, int d) => Enumerable.Range(0, d).Select(_ => 2 * r.NextDouble() - 1).ToArray();

        [Theory]
        [MemberData(nameof(Cases))]
        public void Gradient_matches_central_differences(string name)
        {
            for (int seed = 0; seed < 5; seed++)
            {
                var (c, g, x, e, ev) = Setup(name, seed);
                var grad = Gradient.Of(g, e, x);
                Assert.Equal(x.Shape, grad.Shape);
                var point = RandomPoint(new Random(100 + seed), c.Sizes["D"]);
                var analytic = ev.Evaluate(grad, point).Data;
                for (int i = 0; i < point.Length; i++)
                {
                    double fd = FiniteDifference.Partial(p => ev.Evaluate(e, p).Scalar, point, i);
                    Assert.True(Math.Abs(fd - analytic[i]) <= 1e-6 * (1 + Math.Abs(fd)), $"{name} seed {seed} ∂/∂x{i}: analytic {analytic[i]} vs finite difference {fd}");
                }
            }
        }

        [Theory]
        [MemberData(nameof(Cases))]
        public void Laplacian_matches_finite_difference_trace_of_the_hessian(string name)
        {
            for (int seed = 0; seed < 5; seed++)
            {
                var (c, g, x, e, ev) = Setup(name, seed);
                var grad = Gradient.Of(g, e, x);
                var lap = Laplacian.Of(g, e, x);
                var point = RandomPoint(new Random(200 + seed), c.Sizes["D"]);
                double analytic = ev.Evaluate(lap, point).Scalar;
                // tr ∇²E by central differences of the analytic gradient (itself verified above).
                double trace = FiniteDifference.Trace(p => ev.Evaluate(grad, p).Data, point);
                Assert.True(Math.Abs(trace - analytic) <= 1e-6 * (1 + Math.Abs(trace)), $"{name} seed {seed}: Laplacian {analytic} vs finite-difference trace {trace}");
            }
        }
    }

    /// <summary>Central finite differences, the independent truth of the calculus tests.</summary>
    internal static class FiniteDifference
    {
        public const double Step = 1e-5;

        /// <summary>∂f/∂xᵢ at <paramref name="point"/>.</summary>
        public static double Partial(Func<double[], double> f, double[] point, int i)
        {
            var plus = (double[])point.Clone(); plus[i] += Step;
            var minus = (double[])point.Clone(); minus[i] -= Step;
            return (f(plus) - f(minus)) / (2 * Step);
        }

        /// <summary>Σᵢ ∂gᵢ/∂xᵢ of a vector field g (the trace of its Jacobian).</summary>
        public static double Trace(Func<double[], double[]> g, double[] point) =>
            Enumerable.Range(0, point.Length).Sum(i => Partial(p => g(p)[i], point, i));
    }
}
