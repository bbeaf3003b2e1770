using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using Dsl.Symbolic.Calculus;
using Dsl.Symbolic.Ir;
using Xunit.Abstractions;

namespace Dsl.Symbolic.Tests.Properties
{
    /// <summary>
    /// Property tests over random expression DAGs (<see cref="Generators"/>), each a fixed sequence of cases from a fixed seed
    /// (<see cref="PropertyRunner"/>), shrunk by CsCheck on failure:
    /// simplification preserves value, the symbolic gradient matches central differences, the exact Laplacian matches
    /// central differences of the gradient. Tolerances come from the finite-difference step and the running error bounds of
    /// <see cref="Reference"/>, never from a fixed constant (see <see cref="FiniteDifferences"/>).
    /// </summary>
    public class CalculusProperties
    {
        public const int ValueCases = 2000, GradientCases = 1500, LaplacianCases = 1000;
        public const ulong ValueSeed = 0x5eed_0001, GradientSeed = 0x5eed_0002, LaplacianSeed = 0x5eed_0003;

        private readonly ITestOutputHelper output;
        public CalculusProperties(ITestOutputHelper output) { this.output = output; }

        private static Node Build(Case c, out Graph g, out Node x)
        {
            g = new Graph();
            x = g.Input("D");
            return c.Expr.ToGraph(g, x);
        }

        private void Report(string name, int count, Tally tally, List<Case> seen, Stopwatch sw, string extra = "")
        {
            output.WriteLine($"{name}: {count} cases ({tally.Discarded} non-finite draws discarded, {tally.ConstantInX} constant in x redrawn), "
                + $"{seen.Count(c => c.Expr.DependsOnX)} depend on x, mean {seen.Average(c => c.Expr.Size):0.0} distinct nodes, "
                + $"max {seen.Max(c => c.Expr.Size)}, max height {seen.Max(c => Generators.Height(c.Expr))}; {sw.Elapsed.TotalSeconds:0.00} s{extra}");
        }

        [Fact]
        public void Simplification_preserves_value()
        {
            var sw = Stopwatch.StartNew();
            var tally = new Tally();
            var seen = new List<Case>();
            var gen = new Generators(Profile.Value).Cases(tally, p => new[] { p.X });
            PropertyRunner.Run(nameof(Simplification_preserves_value), gen, c =>
            {
                lock (seen) seen.Add(c);
                var n = Build(c, out _, out _);
                var p = c.Point;
                double simplified = p.Evaluator().Evaluate(n, p.X, p.Conditions).Scalar;
                var written = Reference.Evaluate(c.Expr, p, p.X);
                var rewritten = Reference.Evaluate(Expr.FromNode(n), p, p.X);
                // Both forms compute the same real number; each differs from it by at most its running error bound (first
                // order), so they differ from each other by at most the sum. Factor 2: the bounds are first-order and take the
                // libm functions at their documented ulps.
                double tol = 2 * (written.Error[0] + rewritten.Error[0]);
                Assert.True(Math.Abs(simplified - written.Value[0]) <= tol,
                    $"simplified IR {n} = {simplified:R}, the expression as written = {written.Value[0]:R}, tolerance {tol:R}");
            }, ValueSeed, ValueCases, c => c.ToString());
            Report(nameof(Simplification_preserves_value), ValueCases, tally, seen, sw);
        }

        [Fact]
        public void Gradient_matches_central_differences()
        {
            var sw = Stopwatch.StartNew();
            var tally = new Tally();
            var seen = new List<Case>();
            int weak = 0;
            var gen = new Generators(Profile.Gradient).Cases(tally, FiniteDifferences.Stencil, requireX: true);
            PropertyRunner.Run(nameof(Gradient_matches_central_differences), gen, c =>
            {
                lock (seen) seen.Add(c);
                var f = Build(c, out var g, out var x);
                var grad = Gradient.Of(g, f, x);
                Assert.Equal(x.Shape, grad.Shape);
                var p = c.Point;
                var analytic = p.Evaluator().Evaluate(grad, p.X, p.Conditions).Data;
                var analyticError = Reference.Evaluate(Expr.FromNode(grad), p, p.X).Error;
                bool informative = true;
                for (int i = 0; i < p.X.Length; i++)
                {
                    var (fd, tol) = FiniteDifferences.Partial(y => Reference.Evaluate(c.Expr, p, y), p.X, i);
                    tol += 2 * analyticError[i];
                    informative &= tol <= 1e-6 * Math.Max(1, Math.Abs(fd));
                    Assert.True(Math.Abs(analytic[i] - fd) <= tol,
                        $"∂E/∂x{i}: symbolic {analytic[i]:R}, central difference {fd:R}, tolerance {tol:R}\n  ∇E = {grad}");
                }
                if (!informative) System.Threading.Interlocked.Increment(ref weak);
            }, GradientSeed, GradientCases, c => c.ToString());
            Report(nameof(Gradient_matches_central_differences), GradientCases, tally, seen, sw,
                $"; {weak} cases with a tolerance above 1e-6 relative (steep third derivatives)");
        }

        [Fact]
        public void Laplacian_matches_central_differences_of_the_gradient()
        {
            var sw = Stopwatch.StartNew();
            var tally = new Tally();
            var seen = new List<Case>();
            int weak = 0;
            var gen = new Generators(Profile.Laplacian).Cases(tally, FiniteDifferences.Stencil, requireX: true);
            PropertyRunner.Run(nameof(Laplacian_matches_central_differences_of_the_gradient), gen, c =>
            {
                lock (seen) seen.Add(c);
                var f = Build(c, out var g, out var x);
                var grad = Gradient.Of(g, f, x);
                var lap = Laplacian.Of(g, f, x);
                var p = c.Point;
                double analytic = p.Evaluator().Evaluate(lap, p.X, p.Conditions).Scalar;
                double tol = 2 * Reference.Evaluate(Expr.FromNode(lap), p, p.X).Error[0];
                // tr ∇²E = Σᵢ ∂gᵢ/∂xᵢ by central differences of the symbolic gradient (itself checked by the gradient property),
                // evaluated by the reference evaluator with its error bounds.
                var gradExpr = Expr.FromNode(grad);
                double trace = 0;
                for (int i = 0; i < p.X.Length; i++)
                {
                    int k = i;
                    var (d, t) = FiniteDifferences.Partial(y => Component(Reference.Evaluate(gradExpr, p, y), k), p.X, i);
                    trace += d;
                    tol += t;
                }
                if (tol > 1e-6 * Math.Max(1, Math.Abs(trace))) System.Threading.Interlocked.Increment(ref weak);
                Assert.True(Math.Abs(analytic - trace) <= tol,
                    $"ΔE: symbolic {analytic:R}, central-difference trace {trace:R}, tolerance {tol:R}\n  ΔE = {lap}");
            }, LaplacianSeed, LaplacianCases, c => c.ToString());
            Report(nameof(Laplacian_matches_central_differences_of_the_gradient), LaplacianCases, tally, seen, sw,
                $"; {weak} cases with a tolerance above 1e-6 relative");
        }

        private static Bounded Component(Bounded v, int i) =>
            new Bounded(Array.Empty<int>(), new[] { v.Value[i] }, new[] { v.Error[i] });
    }

    /// <summary>
    /// Central differences with a tolerance derived from the step and the values, not tuned. With D(h) = (f(x+heᵢ) − f(x−heᵢ))/2h,
    /// D(h) = ∂ᵢf + h²f'''/6 + O(h⁴), so the truncation error of D(h/2) is |D(h) − D(h/2)|/3 to leading order (Richardson); its
    /// rounding error is at most (e₊ + e₋)/h with e± the running error bounds of f at x ± (h/2)eᵢ. The tolerance is twice the
    /// sum (a margin for the O(h⁴) term and for the estimate's own rounding). h = 10⁻⁴ against |x| ≤ 1.5 balances the two.
    /// </summary>
    public static class FiniteDifferences
    {
        public const double Step = 1e-4;

        /// <summary>The points a case is evaluated at: x and x ± h eᵢ, x ± (h/2) eᵢ (all must be finite for the case to be drawn).</summary>
        public static IEnumerable<double[]> Stencil(Point p)
        {
            yield return p.X;
            for (int i = 0; i < p.X.Length; i++)
                foreach (var s in new[] { Step, -Step, Step / 2, -Step / 2 })
                {
                    var y = (double[])p.X.Clone();
                    y[i] += s;
                    yield return y;
                }
        }

        /// <summary>∂f/∂xᵢ by D(h/2), and its tolerance.</summary>
        public static (double Value, double Tolerance) Partial(Func<double[], Bounded> f, double[] x, int i)
        {
            // The step actually taken: x ± s is rounded, so divide by the difference of the two points as represented
            // (exact by Sterbenz's lemma), not by 2s; otherwise the quotient carries a relative error of u·|x|/s.
            double At(double s, out double err, out double at)
            {
                var y = (double[])x.Clone();
                y[i] += s;
                at = y[i];
                var v = f(y);
                if (v.Value.Length != 1) throw new ArgumentException("not a scalar");
                err = v.Error[0];
                return v.Value[0];
            }
            double d1 = (At(Step, out _, out var p1) - At(-Step, out _, out var m1)) / (p1 - m1);
            double d2 = (At(Step / 2, out var ep, out var p2) - At(-Step / 2, out var em, out var m2)) / (p2 - m2);
            return (d2, 2 * (Math.Abs(d1 - d2) / 3 + (ep + em) / (p2 - m2)));
        }
    }
}
