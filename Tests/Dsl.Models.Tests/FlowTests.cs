using System;
using System.Linq;
using Dsl.Flows;
using Dsl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// The generated planar-flow log-determinants against the brute-force log|det| of the autograd Jacobian of the
    /// user's own transform; the invertibility constraint; a stack of planar layers fitted by reverse KL.
    /// </summary>
    public class FlowTests
    {
        /// <summary>The full Jacobian ∂f/∂z of the eager transform by D backward passes: [N, D, D].</summary>
        private static Tensor AutogradJacobian(IFlowLayer layer, Tensor z)
        {
            using var scope = NewDisposeScope();
            var zz = z.detach().requires_grad_(true);
            var f = layer.TransformEager(zz);
            var rows = Enumerable.Range(0, (int)z.shape[1]).Select(i =>
                autograd.grad(new[] { f[.., i].sum() }, new[] { zz }, retain_graph: true)[0]).ToArray();
            return stack(rows, 1).detach().MoveToOuterDisposeScope();
        }

        private static IFlowLayer Create(string name, int d, Generator g) => name == "PlanarFlow" ? new PlanarFlow(d, g) : new InvertiblePlanarFlow(d, g);

        [Theory]
        [InlineData("PlanarFlow", 1)]
        [InlineData("PlanarFlow", 2)]
        [InlineData("PlanarFlow", 5)]
        [InlineData("InvertiblePlanarFlow", 2)]
        [InlineData("InvertiblePlanarFlow", 3)]
        [InlineData("InvertiblePlanarFlow", 5)]
        public void Generated_log_determinant_matches_the_autograd_Jacobian(string name, int d)
        {
            foreach (var seed in FixedSeeds.For(name + d, 3))
            {
                using var scope = NewDisposeScope();
                var g = new Generator((ulong)seed);
                var layer = Create(name, d, g);
                var module = (ParameterModule)layer;
                module.to(ScalarType.Float64);
                // Larger, varied parameters than the default initialisation, so tanh' is far from 1.
                module.SetParameter("W", randn(new long[] { d }, dtype: ScalarType.Float64, generator: g).Mul(1.5));
                module.SetParameter("U", randn(new long[] { d }, dtype: ScalarType.Float64, generator: g));
                module.SetParameter("B", randn(Array.Empty<long>(), dtype: ScalarType.Float64, generator: g));
                if (layer is PlanarFlow)
                    using (no_grad()) module.SetParameter("U", Planar.ConstrainedU(module.get_parameter("U")!, module.get_parameter("W")!));
                var z = randn(new long[] { 64, d }, dtype: ScalarType.Float64, generator: g).Mul(2);

                var jacobian = AutogradJacobian(layer, z);
                var (_, logAbsDet) = linalg.slogdet(jacobian);
                var generated = layer.LogDetJacobian(z);
                double err = (generated - logAbsDet).abs().max().ToDoubleValue();
                Assert.True(err < 1e-10, name + " D=" + d + " seed " + seed + ": max |log det error| = " + err);

                var (output, logDet) = layer.ForwardAndLogDet(z);
                Assert.True((output - layer.TransformEager(z)).abs().max().ToDoubleValue() < 1e-12);
                Assert.True((logDet - generated).abs().max().ToDoubleValue() < 1e-12);
                var (outputNoGrad, logDetNoGrad) = layer.ForwardAndLogDetNoGrad(z);
                Assert.True((outputNoGrad - output).abs().max().ToDoubleValue() < 1e-12);
                Assert.True((logDetNoGrad - logDet).abs().max().ToDoubleValue() < 1e-12);
            }
        }

        [Fact]
        public void The_constrained_direction_keeps_every_layer_invertible_and_matches_the_runtime()
        {
            using var scope = NewDisposeScope();
            var g = new Generator(7);
            var layer = new InvertiblePlanarFlow(3, g);
            layer.to(ScalarType.Float64);
            var w = tensor(new[] { 0.5, -1.0, 2.0 });
            var u = w.Mul(-10.0);   // wᵀu = −52.5: a folded, non-invertible raw layer
            layer.SetParameter("W", w);
            layer.SetParameter("U", u);
            layer.SetParameter("B", tensor(0.3));
            var uHat = Planar.ConstrainedU(u, w);
            Assert.True((w * uHat).sum().ToDoubleValue() > -1);
            var z = randn(new long[] { 32, 3 }, dtype: ScalarType.Float64, generator: g);
            var expected = z.Add(uHat * (z.matmul(w).Add(0.3)).tanh().unsqueeze(1));
            Assert.True((layer.Forward(z) - expected).abs().max().ToDoubleValue() < 1e-12);
            Assert.True(layer.LogDetJacobian(z).isfinite().all().ToBooleanValue());
        }

        [Fact]
        public void A_non_invertible_planar_layer_is_refused_naming_the_model_and_parameter()
        {
            using var scope = NewDisposeScope();
            var layer = new PlanarFlow(2, new Generator(1));
            layer.SetParameter("W", tensor(new[] { 1.0f, 0.0f }));
            layer.SetParameter("U", tensor(new[] { -3.0f, 0.0f }));
            var e = Assert.Throws<ArgumentException>(() => layer.LogDetJacobian(zeros(4, 2)));
            Assert.Contains("PlanarFlow.LogDetJacobian", e.Message);
            Assert.Contains("'U'", e.Message);
            Assert.Contains("non-invertible", e.Message);
            Assert.Equal("U", e.ParamName);

            layer.SetParameter("U", tensor(new[] { float.NaN, 0.0f }));
            var nan = Assert.Throws<ArgumentException>(() => layer.Forward(zeros(4, 2)));
            Assert.Contains("NaN", nan.Message);
        }

        [Fact]
        public void Layers_of_different_sizes_cannot_be_stacked()
        {
            var e = Assert.Throws<ArgumentException>(() => new FlowStack("Stack", new IFlowLayer[] { new InvertiblePlanarFlow(2), new InvertiblePlanarFlow(3) }));
            Assert.Contains("layer 1 (InvertiblePlanarFlow) has dimension 3 but layer 0 has 2", e.Message);
        }

        [Fact]
        public void A_planar_stack_trained_by_reverse_KL_approaches_the_banana()
        {
            var target = TargetDensities.Banana;
            double logZ = TargetDensities.LogPartition(target);
            var g = new Generator(3);
            var stack = new FlowStack("PlanarStack", Enumerable.Range(0, 8).Select(_ => (IFlowLayer)new InvertiblePlanarFlow(2, g)).ToList());
            double Kl()
            {
                using var scope = NewDisposeScope();
                using var gen = new Generator(99);
                using var noGrad = no_grad();
                var z0 = randn(new long[] { 20_000, 2 }, generator: gen);
                return stack.ReverseKlLoss(z0, target).ToDoubleValue() + logZ;
            }
            double before = Kl();
            var data = new SampledDataStream((n, gen) => randn(new long[] { n, 2 }, generator: gen), 2, 256, seed: 5);
            var result = Trainer.Train(stack, data, (z0, _) => stack.ReverseKlLoss(z0, target), new TrainerOptions { Steps = 400, LearningRate = 0.02, Seed = 1 });
            double after = Kl();
            Assert.True(after >= -0.02, "KL(q‖p) must be ≥ 0 up to Monte-Carlo error; got " + after);
            Assert.True(after < 0.5 * before && after < 0.3, $"reverse KL before {before:F3}, after {after:F3} nats");
            Assert.False(result.Cancelled);
        }
    }
}
