using System;
using System.Linq;
using Dsl.GeneratedCode;
using Dsl.Models.Tests.OpConformance;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// The op-conformance test of the select WhereGt(l, r, a, b) = l &gt; r ? a : b, which Max, Min and Where lower to (SelectModels.cs):
    /// on every backend (torch ops with and without the tape, the fused kernels' vector and scalar bodies, TorchScript, host doubles),
    /// against autograd of the eager Dsl.Math functions (torch.where) in float64. Over x: the value, the gradient and the Laplacian on
    /// random points and on ties (x = 0.5, the selected branch is b, as torch.where's backward routes it), with [Subgradient] where the
    /// comparison reads x and without it where it reads a parameter only. Of a parameter and of host doubles: the values, with ±1e20 and
    /// NaN: Max(1, −1e20) is exactly 1, and a NaN in a comparison selects b for &gt; and &lt; and a for &gt;= and &lt;=.
    /// Tolerances as in <see cref="OpConformanceTests"/>: 1e-12 relative, plus 1e-15·(1 + |E|) absolute for derivatives.
    /// </summary>
    public class SelectConformanceTests
    {
        private static GeneratedModule Create(Type type, int dim)
        {
            var model = (GeneratedModule)Activator.CreateInstance(type, dim, null)!;
            model.to(ScalarType.Float64);
            return model;
        }

        private static void AssertClose(Tensor actual, Tensor expected, Func<int, double> absolute, string what)
        {
            var a = actual.to(ScalarType.Float64).contiguous().data<double>().ToArray();
            var e = expected.to(ScalarType.Float64).contiguous().data<double>().ToArray();
            Assert.Equal(e.Length, a.Length);
            for (int i = 0; i < e.Length; i++)
            {
                bool ok = double.IsNaN(e[i]) ? double.IsNaN(a[i]) : double.IsInfinity(e[i]) ? a[i] == e[i]
                    : System.Math.Abs(a[i] - e[i]) <= 1e-12 * System.Math.Abs(e[i]) + absolute(i);
                Assert.True(ok, what + " at element " + i + ": " + a[i].ToString("R") + ", autograd of the eager function " + e[i].ToString("R"));
            }
        }

        private static int Runs(Func<int> counter, Action run)
        {
            int before = counter();
            run();
            return counter() - before;
        }

        private static void OnEveryBackend(GeneratedModule model, Action<string> check)
        {
            model.Kernels = KernelPath.TorchOps;
            Assert.Equal(0, Runs(() => FusedKernels.Calls, () => check("torch ops")));
            model.Kernels = KernelPath.Fused;
            Assert.True(Runs(() => FusedKernels.Calls, () => check("fused")) > 0, model.ModelName + ": the fused kernels did not run");
            model.Kernels = KernelPath.TorchScript;
            Assert.True(Runs(() => TorchScriptKernels.Calls, () => check("TorchScript")) > 0, model.ModelName + ": the TorchScript kernels did not run");
        }

        public static TheoryData<string> OnX() => new TheoryData<string>(nameof(MaxOnX), nameof(MinOnX), nameof(WhereOnX), nameof(WhereOnParamCondition));

        [Theory]
        [MemberData(nameof(OnX))]
        public void Value_gradient_and_laplacian_over_x(string name)
        {
            using var scope = NewDisposeScope();
            var type = typeof(SelectConformanceTests).Assembly.GetType("Dsl.Models.Tests.OpConformance." + name)!;
            var model = Create(type, 3);
            var g = new Generator((ulong)FixedSeeds.For("select" + name, 1).First());
            model.SetParameter("W", empty(3, dtype: ScalarType.Float64).normal_(0, 1, generator: g));
            var random = empty(13, 3, dtype: ScalarType.Float64).normal_(0, 1.5, generator: g);
            // Ties of Max(x, 0.5), Min(x, 0.5) and Where(x <= 0.5, …); 0; the ±0.5 thresholds; a large pair for Max(x, −1e20).
            var edges = new double[] { 0.5, 0.5, 0.5, 0, 0, 0, -0.5, 0.5, 1, 2, -3, 0.25 };
            var rows = name == nameof(MaxOnX) ? edges.Concat(new[] { 1e10, -1e10, 0.5 }).ToArray() : edges;
            var x = cat(new[] { random, tensor(rows, dtype: ScalarType.Float64).reshape(-1, 3) }, 0);   // 17 or 18 rows: the vector body and the scalar tail
            var eager = (IEquationModel)model;
            var energy = eager.EnergyEager(x);
            var score = Autograd.Score(eager.EnergyEager, x);
            var divergence = Autograd.Divergence(xx => Autograd.Score(eager.EnergyEager, xx, createGraph: true), x);
            var e = energy.data<double>().ToArray();
            double Abs(int i) => 1e-15 * (1 + System.Math.Abs(e[i / (int)(score.numel() / e.Length) % e.Length]));
            double AbsRow(int i) => 1e-15 * (1 + System.Math.Abs(e[i]));
            var em = (IEnergyScoreModel)model;
            var div = Assert.IsAssignableFrom<IScoreDivergenceModel>(model);
            OnEveryBackend(model, backend =>
            {
                AssertClose(em.EnergyNoGrad(x), energy, _ => 1e-306, name + " value (" + backend + ")");
                AssertClose(em.ScoreNoGrad(x), score, Abs, name + " gradient (" + backend + ")");
                AssertClose(div.ScoreDivergenceNoGrad(x), divergence, AbsRow, name + " Laplacian (" + backend + ")");
            });
            model.Kernels = KernelPath.TorchOps;
            AssertClose(em.Energy(x), energy, _ => 1e-306, name + " value (torch ops, taped)");
            AssertClose(em.Score(x), score, Abs, name + " gradient (torch ops, taped)");
        }

        private static readonly double[] Edges = { 0.5, 0.25, 0, -0.25, -0.5, 1, -1, 1e20, -1e20, 1e300, -1e300, double.NaN, double.PositiveInfinity, double.NegativeInfinity };

        /// <summary>Max(W, 0.5) + 2 Min(W, −1e20) + 4 Where(W &gt;= 0.25, W, −W) of a parameter: s = −that, on every backend.</summary>
        [Fact]
        public void Values_of_a_parameter_with_ties_large_values_and_nan()
        {
            using var scope = NewDisposeScope();
            var g = new Generator((ulong)FixedSeeds.For("selectparam", 1).First());
            var points = empty(10, dtype: ScalarType.Float64).normal_(0, 1, generator: g).data<double>().ToArray().Concat(Edges).ToArray();
            var model = Create(typeof(SelectOnParam), points.Length);
            model.SetParameter("W", tensor(points, dtype: ScalarType.Float64));
            var x = ones(4, points.Length, dtype: ScalarType.Float64);
            var expected = Autograd.Score(((IEquationModel)model).EnergyEager, x);
            var em = (IEnergyScoreModel)model;
            OnEveryBackend(model, backend => AssertClose(em.ScoreNoGrad(x), expected, _ => 1e-306, "select of a parameter (" + backend + ")"));
            model.Kernels = KernelPath.TorchOps;
            AssertClose(em.Score(x), expected, _ => 1e-306, "select of a parameter (torch ops, taped)");
        }

        /// <summary>Max(|W|·H, 0.5) + 2 Min(|W|·H, −1e20) of a host double, written as C#: s = −that·W, on every backend.</summary>
        [Fact]
        public void Values_on_the_host_with_ties_large_values_and_nan()
        {
            using var scope = NewDisposeScope();
            var model = Create(typeof(SelectOnHost), 1);
            var field = model.GetType().GetField("H")!;
            var x = ones(4, 1, dtype: ScalarType.Float64);
            var em = (IEnergyScoreModel)model;
            foreach (var h in Edges)
            {
                field.SetValue(model, h);
                var expected = Autograd.Score(((IEquationModel)model).EnergyEager, x);
                OnEveryBackend(model, backend => AssertClose(em.ScoreNoGrad(x), expected, _ => 1e-306, "select on the host at " + h.ToString("R") + " (" + backend + ")"));
            }
        }

        /// <summary>The documented semantics of the eager functions, which the generated code matches (the tests above).</summary>
        [Fact]
        public void Eager_semantics_of_ties_large_values_and_nan()
        {
            using var scope = NewDisposeScope();
            Scalar S(double v) => new Scalar(tensor(new[] { v }, dtype: ScalarType.Float64));
            double V(Scalar s) => s.Tensor.data<double>()[0];
            Assert.Equal(1.0, V(Math.Max(S(1), -1e20)));                  // exact, unlike b + Relu(a − b)
            Assert.Equal(-1e20, V(Math.Min(S(1), -1e20)));
            Assert.Equal(1.0, V(Math.Max(S(double.NaN), 1.0)));          // a > b is false for a NaN: b
            Assert.True(double.IsNaN(V(Math.Max(S(1), double.NaN))));
            Assert.Equal(2.0, V(Math.Where(S(double.NaN) > 0.0, 1.0, 2.0)));   // > and <: a NaN takes b
            Assert.Equal(2.0, V(Math.Where(S(double.NaN) < 0.0, 1.0, 2.0)));
            Assert.Equal(1.0, V(Math.Where(S(double.NaN) >= 0.0, 1.0, 2.0)));  // >= and <=: the negations, a NaN takes a
            Assert.Equal(1.0, V(Math.Where(S(double.NaN) <= 0.0, 1.0, 2.0)));
            Assert.Equal(2.0, V(Math.Where(S(0.5) > 0.5, 1.0, 2.0)));          // ties: > false, >= true
            Assert.Equal(1.0, V(Math.Where(S(0.5) >= 0.5, 1.0, 2.0)));
            Assert.Equal(1.0, Math.Max(1.0, -1e20));
            // Mats and Vecs broadcast as the operators do: a per-sample Scalar meets every element.
            var m = new Mat(tensor(new[] { -1.0, 0.25, 0.5, 2.0, -3.0, 0.75 }, dtype: ScalarType.Float64).reshape(1, 2, 3));
            Assert.Equal(new[] { 0.5, 0.5, 0.5, 2.0, 0.5, 0.75 }, Math.Max(m, 0.5).Tensor.data<double>().ToArray());
            Assert.Equal(new[] { -1.0, 0.25, 0.5, 0.5, -3.0, 0.5 }, Math.Min(0.5, m).Tensor.data<double>().ToArray());
            var v = new Vec(tensor(new[] { -1.0, 0.5, 2.0 }, dtype: ScalarType.Float64).reshape(1, 3));
            var c = new Scalar(tensor(new[] { 0.5 }, dtype: ScalarType.Float64));
            Assert.Equal(new[] { 0.5, 0.5, 2.0 }, Math.Max(v, c).Tensor.data<double>().ToArray());
            Assert.Equal(new[] { -1.0, 0.5, 0.5 }, Math.Where(v >= c, c, v).Tensor.data<double>().ToArray());
            // The host fold and the folded constant agree with the eager definitions.
            var graph = new Dsl.Symbolic.Ir.Graph();
            Assert.Equal(1.0, graph.WhereGt(graph.Const(1), graph.Const(-1e20), graph.Const(1), graph.Const(-1e20)).Value);
            Assert.Equal(-1e20, graph.WhereGt(graph.Const(double.NaN), graph.Const(1), graph.Const(1), graph.Const(-1e20)).Value);
        }
    }
}
