using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.GeneratedCode;
using Dsl.Models.Tests.OpConformance;
using Dsl.Symbolic.Ops;
using TorchSharp;
using static TorchSharp.torch;
using IrOp = Dsl.Symbolic.Ir.Op;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// The op-conformance test: every elementwise operation of the op table (<see cref="OpTable"/>), on every backend that spells it
    /// (torch ops with and without the tape, the fused CPU kernels' vector body and scalar body, TorchScript, the host-double
    /// expression and the table's constant folding), against autograd of the eager <c>Dsl.Math</c> function in float64: the value,
    /// and for differentiable functions the first derivative (the score) and the second (the score divergence), on random inputs
    /// inside the function's domain and on edge values (±large, 0, tiny, the old softplus cut-overs 20 and 30 and their
    /// neighbourhoods, half-integers for the rounding functions). The models are the small [EnergyModel] classes of OpModels.cs, compiled by
    /// the real generator. Values must agree to 1e-12 relative (inf and NaN exactly); derivatives to 1e-12 relative plus 1e-15·(1 + |E|)
    /// absolute, the rounding of formulas such as 1 − tanh² that autograd evaluates the same way from its own tanh.
    /// The kinked functions with a subgradient (Abs, Relu) have a model over x marked [Subgradient], checked against autograd, whose
    /// backward uses the same subgradient (0 at the kink). The other non-differentiable functions (Sign, Floor, Round) have no model
    /// over x (their score would need f', DSL0008), so they are checked on values only and their fused vector spelling is not run. The elementwise arithmetic operators and the
    /// reductions are structural table entries, covered by the model-level tests rather than here.
    /// An operation added to the table without a <see cref="Case"/> here fails <see cref="Every_table_operation_has_a_conformance_case"/>.
    /// </summary>
    public class OpConformanceTests
    {
        /// <summary>One operation's conformance case: the eager function, its domain's random draw and edge values, and its models.</summary>
        public sealed class Case
        {
            public Case(IrOp op, Func<Scalar, Scalar> eager, Func<Generator, int, double[]> draw, double[] edges, double parameter = 0,
                Func<Scalar, Scalar>? derivative = null)
            {
                Op = op; Eager = eager; Draw = draw; Edges = edges; Parameter = parameter; Derivative = derivative;
            }

            /// <summary>
            /// The eager f', for the points where libtorch's double backward of the eager f is NaN though f is finite and smooth there
            /// (logaddexp(x, 0) below x ≈ −710: its backward's 1/(1 + e^−x) differentiates to −inf/inf): the reference f'' there is
            /// autograd of this f'. The test fails if such a point appears for an operation without one.
            /// </summary>
            public Func<Scalar, Scalar>? Derivative { get; }

            public IrOp Op { get; }
            public Func<Scalar, Scalar> Eager { get; }
            public Func<Generator, int, double[]> Draw { get; }
            public double[] Edges { get; }
            public double Parameter { get; }

            /// <summary>Random draws and the edge values.</summary>
            public double[] Points(long seed) => Draw(new Generator((ulong)seed), 24).Concat(Edges).ToArray();
        }

        private static double[] Normal(Generator g, int n, double scale) =>
            empty(n, dtype: ScalarType.Float64).normal_(0, scale, generator: g).data<double>().ToArray();

        private static double[] Positive(Generator g, int n) => Normal(g, n, 4).Select(System.Math.Exp).ToArray();

        private static double[] Symmetric(params double[] v) => v.Concat(v.Select(e => -e)).Distinct().ToArray();

        // Edge values: zero, tiny, around the cut-overs 20 and 30 (the thresholds softplus used to have), large and huge.
        private static readonly double[] Real = Symmetric(0, 1e-300, 1e-20, 1e-8, 0.5, 1, 2, 19.9, 20, 20.1, 29.9, 30, 30.1, 36, 37, 40, 100, 700, 1e10, 1e300);
        private static readonly double[] Moderate = Real.Where(v => System.Math.Abs(v) <= 700).ToArray();
        private static readonly double[] Periodic = Real.Where(v => System.Math.Abs(v) <= 1e4).Concat(new[] { System.Math.PI, -System.Math.PI / 2, 1e4 }).ToArray();
        private static readonly double[] PositiveEdges = { 1e-150, 1e-20, 1e-8, 0.5, 1, 2, 20, 30, 1e8, 1e100 };
        private static readonly double[] NonZero = Symmetric(1e-100, 1e-8, 0.5, 1, 2, 1e8, 1e100);
        private static readonly double[] GammaEdges = { 1e-150, 1e-20, 1e-8, 0.1, 0.49, 0.5, 0.51, 1 - 1e-8, 1, 1 + 1e-8, 1.5, 2 - 1e-8, 2, 2 + 1e-8,
            2.49, 2.5, 2.51, 3, 9.99, 10, 10.01, 20, 1e3, 1e8, 1e100 };
        private static readonly double[] Steps = Real.Concat(Symmetric(0.5, 1.5, 2.5, 0.49999999999999994, 1e15 + 0.5)).Distinct().ToArray();

        /// <summary>Every elementwise operation of the table and its conformance case.</summary>
        public static IReadOnlyDictionary<IrOp, Case> Cases { get; } = new[]
        {
            new Case(IrOp.Neg, a => -a, (g, n) => Normal(g, n, 3), Real),
            new Case(IrOp.Exp, Math.Exp, (g, n) => Normal(g, n, 3), Moderate),
            new Case(IrOp.Log, Math.Log, Positive, PositiveEdges),
            new Case(IrOp.Sqrt, Math.Sqrt, Positive, PositiveEdges),
            new Case(IrOp.Square, Math.Square, (g, n) => Normal(g, n, 3), Real.Where(v => System.Math.Abs(v) <= 1e100).ToArray()),
            new Case(IrOp.Pow, a => Math.Pow(a, 2.5), Positive, PositiveEdges, 2.5),
            new Case(IrOp.Tanh, Math.Tanh, (g, n) => Normal(g, n, 3), Real),
            new Case(IrOp.Sigmoid, Math.Sigmoid, (g, n) => Normal(g, n, 10), Real),
            new Case(IrOp.Softplus, Math.Softplus, (g, n) => Normal(g, n, 10), Real, derivative: Math.Sigmoid),
            new Case(IrOp.Recip, a => 1.0 / a, (g, n) => Positive(g, n).Select((v, i) => i % 2 == 0 ? v : -v).ToArray(), NonZero),
            new Case(IrOp.Abs, Math.Abs, (g, n) => Normal(g, n, 3), Real),
            new Case(IrOp.Sign, Math.Sign, (g, n) => Normal(g, n, 3), Real),
            new Case(IrOp.Floor, Math.Floor, (g, n) => Normal(g, n, 3), Steps),
            new Case(IrOp.Round, Math.Round, (g, n) => Normal(g, n, 3), Steps),
            new Case(IrOp.Sin, Math.Sin, (g, n) => Normal(g, n, 10), Periodic),
            new Case(IrOp.Cos, Math.Cos, (g, n) => Normal(g, n, 10), Periodic),
            new Case(IrOp.Log1p, Math.Log1p, (g, n) => Positive(g, n).Select(v => v - 1).ToArray(),
                new[] { -1 + 1e-15, -0.5, -1e-8, -1e-300, 0, 1e-300, 1e-20, 1e-8, 0.5, 1, 1e8, 1e300 }),
            new Case(IrOp.Expm1, Math.Expm1, (g, n) => Normal(g, n, 3), Moderate.Concat(new[] { 709.0, -745.0, 1e-300, 1e-16 }).ToArray()),
            new Case(IrOp.LogSigmoid, Math.LogSigmoid, (g, n) => Normal(g, n, 10), Real, derivative: a => Math.Sigmoid(-a)),
            new Case(IrOp.Erf, Math.Erf, (g, n) => Normal(g, n, 2), Symmetric(0, 1e-300, 1e-20, 1e-8, 0.1, 0.5, 1, 2, 2.5, 3, 4.9, 5, 5.1, 6, 10, 27, 1e10, 1e300)),
            // Gamma's domain: the positive reals; its zeros 1 and 2 and their neighbourhoods (relative accuracy there), 0+, large.
            new Case(IrOp.Lgamma, Math.Lgamma, Positive, GammaEdges),
            new Case(IrOp.Relu, Math.Relu, (g, n) => Normal(g, n, 3), Real),
            new Case(IrOp.Polygamma, Math.Digamma, Positive, GammaEdges.Concat(new[] { 1.4616321449683622, 1.46 }).ToArray()),
        }.ToDictionary(c => c.Op);

        /// <summary>The models of an operation (OpModels.cs), by the naming convention {Op}OnX / {Op}OnParam / {Op}OnHost.</summary>
        private static GeneratedModule? Create(IrOp op, string form, int dim)
        {
            var type = typeof(OpConformanceTests).Assembly.GetType("Dsl.Models.Tests.OpConformance." + op + form);
            if (type == null) return null;
            var model = (GeneratedModule)Activator.CreateInstance(type, dim, null)!;
            model.to(ScalarType.Float64);
            return model;
        }

        public static TheoryData<string> Ops() => new TheoryData<string>(Cases.Keys.Select(o => o.ToString()));

        [Fact]
        public void Every_table_operation_has_a_conformance_case()
        {
            // Elementwise functions: a case here and the models of OpModels.cs. The structural operations (leaves, arithmetic,
            // reductions, products, views, lattices) have bespoke emitter code and are checked by every catalog model in
            // NumericTests, FusedKernelTests and TorchScriptKernelTests; they are listed so that a new kind of entry is noticed.
            var structural = new HashSet<IrOp>
            {
                IrOp.Input, IrOp.Condition, IrOp.Param, IrOp.Hyper, IrOp.Const, IrOp.DimSize, IrOp.Add, IrOp.Sub, IrOp.Mul, IrOp.Div,
                IrOp.SumLast, IrOp.SumRows, IrOp.LogSumExp, IrOp.MatVec, IrOp.MatMul, IrOp.Transpose, IrOp.Diagonal,
                IrOp.Unsqueeze, IrOp.Broadcast, IrOp.Neighbors, IrOp.Roll,
                IrOp.Selector,   // slices, Concat, Eye, Block: checked against autograd and closed forms in Structured/StructuredStateTests
                IrOp.WhereGt,    // the select behind Max, Min and Where: SelectConformanceTests, on every backend
                // Dense linear algebra (torch ops only: the planner refuses the fused and TorchScript backends with the reason): value,
                // score, divergence and parameter gradients against autograd and closed forms in LinearAlgebra/LinearAlgebraTests, and in the
                // random-DAG properties of Dsl.Symbolic.Tests (Catalog: well-conditioned I + Q ⊙ tanh(v)).
                IrOp.LogDet, IrOp.Inverse, IrOp.Solve,
            };
            foreach (var info in OpTable.All)
            {
                if (!info.IsElementwiseUnary) { Assert.True(structural.Contains(info.Op), info.Op + " is in the op table but neither elementwise nor a known structural operation"); continue; }
                Assert.True(Cases.ContainsKey(info.Op), info.Op + " is in the op table without a conformance case");
                Assert.NotNull(Create(info.Op, "OnParam", 1));
                Assert.NotNull(Create(info.Op, "OnHost", 1));
                // A model over x for the differentiable functions and for the kinked ones with a subgradient (marked [Subgradient]).
                Assert.Equal(!info.NonDifferentiable || info.Subgradient != null, Create(info.Op, "OnX", 1) != null);
                foreach (SpellingTarget backend in Enum.GetValues(typeof(SpellingTarget)))
                    if (backend != SpellingTarget.TorchOpsInPlace) Assert.True(info.Spelling(backend) != null, info.Op + " has no " + backend + " spelling");
            }
            Assert.Equal(Cases.Keys.OrderBy(o => o), OpTable.All.Where(i => i.IsElementwiseUnary).Select(i => i.Op).OrderBy(o => o));
        }

        /// <summary>
        /// Every runtime or BCL member an op-table spelling names (<see cref="OpTable.RuntimeReferences"/>) exists as a public static
        /// member of the type its placeholder stands for, so a spelling cannot name a helper the runtime lacks.
        /// </summary>
        [Fact]
        public void Every_name_a_spelling_emits_resolves_in_the_runtime()
        {
            var types = new Dictionary<string, Type[]>
            {
                ["Ops"] = new[] { typeof(ScalarOps) },
                ["Kernels"] = new[] { typeof(FusedKernels) },
                ["Math"] = new[] { typeof(System.Math) },
                ["Vector256"] = new[] { typeof(System.Runtime.Intrinsics.Vector256), typeof(System.Runtime.Intrinsics.Vector256<double>) },
            };
            Assert.Equal(types.Keys.OrderBy(k => k), OpTable.Placeholders.Keys.OrderBy(k => k));
            foreach (var (placeholder, text) in OpTable.Placeholders)
                Assert.Contains(types[placeholder], t => ("global::" + t.FullName!.Split('`')[0] + (text.EndsWith(".") ? "." : "")) == text);
            var references = OpTable.RuntimeReferences().ToList();
            Assert.NotEmpty(references);
            foreach (var (op, backend, placeholder, member) in references)
                Assert.True(types[placeholder].Any(t => t.GetMember(member, System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static).Length > 0),
                    op.Op + " (" + backend + ") names " + placeholder + "." + member + ", which the runtime does not have");
        }

        private static bool Close(double actual, double expected, double tolerance, double absolute)
        {
            if (double.IsNaN(expected)) return double.IsNaN(actual);
            if (double.IsInfinity(expected)) return actual == expected;
            return System.Math.Abs(actual - expected) <= tolerance * System.Math.Abs(expected) + absolute;
        }

        private static void AssertClose(Tensor actual, Tensor expected, Func<int, double> absolute, string what, double[] points)
        {
            var a = actual.to(ScalarType.Float64).contiguous().data<double>().ToArray();
            var e = expected.to(ScalarType.Float64).contiguous().data<double>().ToArray();
            Assert.Equal(e.Length, a.Length);
            for (int i = 0; i < e.Length; i++)
                Assert.True(Close(a[i], e[i], 1e-12, absolute(i)),
                    what + " at " + points[i % points.Length].ToString("R") + ": " + a[i].ToString("R") + ", autograd of the eager function " + e[i].ToString("R"));
        }

        private static int Runs(Func<int> counter, Action run)
        {
            int before = counter();
            run();
            return counter() - before;
        }

        /// <summary>Runs <paramref name="check"/> on each backend of a model: torch ops, fused, TorchScript (each must actually run).</summary>
        private static void OnEveryBackend(GeneratedModule model, Action<string> check)
        {
            model.Kernels = KernelPath.TorchOps;
            Assert.Equal(0, Runs(() => FusedKernels.Calls, () => check("torch ops")));
            model.Kernels = KernelPath.Fused;
            Assert.True(Runs(() => FusedKernels.Calls, () => check("fused")) > 0, model.ModelName + ": the fused kernels did not run");
            model.Kernels = KernelPath.TorchScript;
            Assert.True(Runs(() => TorchScriptKernels.Calls, () => check("TorchScript")) > 0, model.ModelName + ": the TorchScript kernels did not run");
        }

        /// <summary>
        /// f, f' and f'' on a batched input: E = Σ f(x) with D = 1, so every sample is one point. The whole batch (padded to a
        /// multiple of 4) takes the fused vector body; each point alone takes the scalar body.
        /// </summary>
        [Theory]
        [MemberData(nameof(Ops))]
        public void Value_gradient_and_laplacian_on_a_batched_input(string name)
        {
            var c = Cases[Enum.Parse<IrOp>(name)];
            using var scope = NewDisposeScope();
            var model = Create(c.Op, "OnX", 1);
            if (model == null) { Assert.True(OpTable.Get(c.Op).NonDifferentiable && OpTable.Get(c.Op).Subgradient == null); return; }
            var points = c.Points(FixedSeeds.For("opconf" + name, 1).First());
            var padded = points.Concat(Enumerable.Repeat(1.0, (4 - points.Length % 4) % 4)).ToArray();
            var eager = (IEquationModel)model;
            var div = Assert.IsAssignableFrom<IScoreDivergenceModel>(model);
            var em = (IEnergyScoreModel)model;

            foreach (var batch in new[] { padded }.Concat(points.Select(p => new[] { p })))
            {
                var x = tensor(batch, dtype: ScalarType.Float64).reshape(batch.Length, 1);
                var energy = eager.EnergyEager(x);
                var score = Autograd.Score(eager.EnergyEager, x);
                var divergence = Autograd.Divergence(xx => Autograd.Score(eager.EnergyEager, xx, createGraph: true), x);
                var nan = divergence.isnan().logical_and(energy.isfinite());
                if (nan.any().item<bool>())
                {
                    Assert.True(c.Derivative != null, name + ": autograd's second derivative is NaN where the function is finite, and the case gives no eager f'");
                    var viaDerivative = Autograd.Score(xx => c.Derivative!(new Scalar(xx.squeeze(-1))).Tensor, x).squeeze(-1);   // −d/dx f'(x)
                    divergence = where(nan, viaDerivative, divergence);
                }
                var e = energy.data<double>().ToArray();
                double Abs(int i) => 1e-15 * (1 + (double.IsFinite(e[i]) ? System.Math.Abs(e[i]) : 0));
                OnEveryBackend(model, backend =>
                {
                    AssertClose(em.EnergyNoGrad(x), energy, _ => 1e-306, name + " value (" + backend + ")", batch);
                    AssertClose(em.ScoreNoGrad(x), score, Abs, name + " gradient (" + backend + ")", batch);
                    AssertClose(div.ScoreDivergenceNoGrad(x), divergence, Abs, name + " Laplacian (" + backend + ")", batch);
                });
                model.Kernels = KernelPath.TorchOps;
                AssertClose(em.Energy(x), energy, _ => 1e-306, name + " value (torch ops, taped)", batch);
                AssertClose(em.Score(x), score, Abs, name + " gradient (torch ops, taped)", batch);
            }
        }

        /// <summary>f of a parameter (E = f(W)·x, so s = −f(W)): computed once per call, in the fused kernels' prologue.</summary>
        [Theory]
        [MemberData(nameof(Ops))]
        public void Value_on_a_parameter(string name)
        {
            var c = Cases[Enum.Parse<IrOp>(name)];
            using var scope = NewDisposeScope();
            var points = c.Points(FixedSeeds.For("opconfparam" + name, 1).First());
            var model = Create(c.Op, "OnParam", points.Length)!;
            model.SetParameter("W", tensor(points, dtype: ScalarType.Float64));
            var x = ones(4, points.Length, dtype: ScalarType.Float64);
            var expected = Autograd.Score(((IEquationModel)model).EnergyEager, x);
            var em = (IEnergyScoreModel)model;
            OnEveryBackend(model, backend => AssertClose(em.ScoreNoGrad(x), expected, _ => 1e-306, name + " value of a parameter (" + backend + ")", points));
            model.Kernels = KernelPath.TorchOps;
            AssertClose(em.Score(x), expected, _ => 1e-306, name + " value of a parameter (torch ops, taped)", points);
        }

        /// <summary>f of a host double (a function of a hyperparameter, written as C#): E = f(H)·(W·x) with W = 1, so s = −f(H).</summary>
        [Theory]
        [MemberData(nameof(Ops))]
        public void Value_on_the_host(string name)
        {
            var c = Cases[Enum.Parse<IrOp>(name)];
            using var scope = NewDisposeScope();
            var model = Create(c.Op, "OnHost", 1)!;
            var field = model.GetType().GetField("H")!;
            var x = ones(4, 1, dtype: ScalarType.Float64);
            var em = (IEnergyScoreModel)model;
            foreach (var h in c.Points(FixedSeeds.For("opconfhost" + name, 1).First()))
            {
                field.SetValue(model, h);
                var expected = Autograd.Score(((IEquationModel)model).EnergyEager, x);
                var point = new[] { h };
                OnEveryBackend(model, backend => AssertClose(em.ScoreNoGrad(x), expected, _ => 1e-306, name + " value on the host (" + backend + ")", point));
                model.Kernels = KernelPath.TorchOps;
                AssertClose(em.Score(x), expected, _ => 1e-306, name + " value on the host (torch ops, taped)", point);
            }
        }

        /// <summary>The table's constant folding (Graph.Fold, what the generator writes for a literal) against the eager function.</summary>
        [Theory]
        [MemberData(nameof(Ops))]
        public void Constant_folding(string name)
        {
            var c = Cases[Enum.Parse<IrOp>(name)];
            using var scope = NewDisposeScope();
            var points = c.Points(FixedSeeds.For("opconffold" + name, 1).First());
            var expected = c.Eager(new Scalar(tensor(points, dtype: ScalarType.Float64))).Tensor;
            var folded = tensor(points.Select(v => Dsl.Symbolic.Ir.Graph.Fold(c.Op, v, c.Parameter)).ToArray(), dtype: ScalarType.Float64);
            AssertClose(folded, expected, _ => 1e-306, name + " folded", points);
        }
    }
}
