using System;
using System.Linq;
using Dsl.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// Every model's generated Score and ScoreDivergence against autograd of the user's own equations
    /// (EnergyEager), on random parameters and random inputs drawn by TorchSharp generators from 8 fixed seeds per model and
    /// precision (FixedSeeds.For): float64 relative error ≤ 1e-9, float32 ≤ 1e-4, both code paths.
    /// </summary>
    public class NumericTests
    {
        public static TheoryData<string> Models() => new TheoryData<string>(ModelCatalog.All.Select(e => e.Name));

        private static readonly string[] Positive = { "Sigma", "Alpha", "Lambda" };

        /// <summary>A catalog model with all parameters redrawn from the seed (positive ones kept positive).</summary>
        internal static ParameterModule RandomModel(string name, long seed, ScalarType dtype)
        {
            var model = ModelCatalog.Find(name)!.Create(seed);
            var g = new Generator((ulong)seed + 17);
            foreach (var p in model.ParameterNames)
            {
                var shape = model.named_parameters().First(np => np.name == p).parameter.shape;
                var value = empty(shape, dtype: ScalarType.Float64).normal_(0, 0.7, generator: g);
                if (Positive.Contains(p.Split('.').Last())) value = value.abs().Add(0.5);   // a part's "Prior.Sigma" too
                model.SetParameter(p, value);
            }
            model.to(dtype);
            return model;
        }

        internal static Tensor RandomInput(ParameterModule model, int n, long seed)
        {
            var x = empty(n, model.Dim, dtype: ScalarType.Float64).normal_(0, 1.5, generator: new Generator((ulong)seed + 5));
            x = ModelSupport.MapInto(model, x);
            return x.to(model.DType);
        }

        private static double RelErr(Tensor actual, Tensor expected) =>
            (actual - expected).abs().max().ToDoubleValue() / (1 + expected.abs().max().ToDoubleValue());

        private static void CheckModel(string name, long seed, ScalarType dtype, double tolerance)
        {
            using var scope = NewDisposeScope();
            var model = RandomModel(name, seed, dtype);
            var x = RandomInput(model, 64, seed);
            var eager = (IEquationModel)model;
            var em = (IEnergyScoreModel)model;
            var reference = Autograd.Score(eager.EnergyEager, x);
            var energyRef = eager.EnergyEager(x);

            Assert.True(RelErr(em.Energy(x), energyRef) <= tolerance, $"{name} Energy");
            Assert.True(RelErr(em.EnergyNoGrad(x), energyRef) <= tolerance, $"{name} EnergyNoGrad");
            Assert.True(RelErr(em.Score(x), reference) <= tolerance, $"{name} Score: {RelErr(em.Score(x), reference)}");
            Assert.True(RelErr(em.ScoreNoGrad(x), reference) <= tolerance, $"{name} ScoreNoGrad: {RelErr(em.ScoreNoGrad(x), reference)}");
            var (e1, s1) = em.EnergyAndScore(x);
            var (e2, s2) = em.EnergyAndScoreNoGrad(x);
            Assert.True(RelErr(e1, energyRef) <= tolerance && RelErr(e2, energyRef) <= tolerance, $"{name} EnergyAndScore energy");
            Assert.True(RelErr(s1, reference) <= tolerance && RelErr(s2, reference) <= tolerance, $"{name} EnergyAndScore score");
            Assert.Equal(new long[] { 64, model.Dim }, s2.shape);

            var div = Assert.IsAssignableFrom<IScoreDivergenceModel>(model);
            var divRef = Autograd.Divergence(xx => Autograd.Score(eager.EnergyEager, xx, createGraph: true), x);
            Assert.True(RelErr(div.ScoreDivergence(x), divRef) <= tolerance, $"{name} ScoreDivergence: {RelErr(div.ScoreDivergence(x), divRef)}");
            Assert.True(RelErr(div.ScoreDivergenceNoGrad(x), divRef) <= tolerance, $"{name} ScoreDivergenceNoGrad");
            Assert.Equal(new long[] { 64 }, div.ScoreDivergenceNoGrad(x).shape);
        }

        [Theory]
        [MemberData(nameof(Models))]
        public void Float64_score_and_divergence_match_autograd(string name)
        {
            foreach (var seed in FixedSeeds.For(name + "f64", 8)) CheckModel(name, seed, ScalarType.Float64, 1e-9);
        }

        [Theory]
        [MemberData(nameof(Models))]
        public void Float32_score_and_divergence_match_autograd(string name)
        {
            foreach (var seed in FixedSeeds.For(name + "f32", 8)) CheckModel(name, seed, ScalarType.Float32, 1e-4);
        }

        [Theory]
        [MemberData(nameof(Models))]
        public void Parameters_train_through_the_differentiable_path(string name)
        {
            // ∂/∂θ of a loss built on the generated Score equals ∂/∂θ of the same loss on autograd's score of the eager equations.
            using var scope = NewDisposeScope();
            var model = RandomModel(name, 7, ScalarType.Float64);
            var x = RandomInput(model, 32, 7);
            var em = (IEnergyScoreModel)model;
            var eager = (IEquationModel)model;
            var generatedLoss = em.Score(x).Square().sum().Add(em.Energy(x).sum());
            var referenceLoss = Autograd.Score(eager.EnergyEager, x, createGraph: true).Square().sum().Add(eager.EnergyEager(x).sum());
            var parameters = model.parameters().ToArray();
            var generatedGrads = autograd.grad(new[] { generatedLoss }, parameters, allow_unused: true);
            var referenceGrads = autograd.grad(new[] { referenceLoss }, parameters, allow_unused: true);
            for (int i = 0; i < parameters.Length; i++)
            {
                bool gNone = generatedGrads[i] is null || generatedGrads[i].IsInvalid;
                bool rNone = referenceGrads[i] is null || referenceGrads[i].IsInvalid;
                if (gNone || rNone) { Assert.True(gNone || generatedGrads[i].abs().max().ToDoubleValue() == 0); continue; }
                Assert.True(RelErr(generatedGrads[i], referenceGrads[i]) <= 1e-9, $"{name} ∂loss/∂{model.ParameterNames[i]}");
            }
        }

        [Fact]
        public void The_same_seed_gives_the_same_model()
        {
            var a = ModelCatalog.Find("MlpEnergy")!.Create(3);
            var b = ModelCatalog.Find("MlpEnergy")!.Create(3);
            var c = ModelCatalog.Find("MlpEnergy")!.Create(4);
            var x = RandomInput(a, 8, 1);
            Assert.Equal(0.0, (((IEnergyModel)a).EnergyNoGrad(x) - ((IEnergyModel)b).EnergyNoGrad(x)).abs().max().ToDoubleValue());
            Assert.NotEqual(0.0, (((IEnergyModel)a).EnergyNoGrad(x) - ((IEnergyModel)c).EnergyNoGrad(x)).abs().max().ToDoubleValue());
        }
    }
}
