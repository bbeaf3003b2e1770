using System;
using System.Linq;
using Dsl.Families;
using Dsl.Flows;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>The flow layers, VAE bounds, GAN losses and CNF solves leave no tensors live after their results are disposed.</summary>
    [Collection("Sequential")]
    public class FamilyLeakTests
    {
        private static long Live() => DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;

        private static void AssertNoLeak(Action run, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(run))] string what = "")
        {
            run();
            long before = Live();
            run();
            run();
            long after = Live();
            Assert.True(before == after, $"{after - before} tensors left live by two runs of {what}");
        }

        private static void Dispose((Tensor A, Tensor B) t) { t.A.Dispose(); t.B.Dispose(); }

        [Fact]
        public void Families_leave_no_tensors_behind()
        {
            var planar = new PlanarFlow(2, new Generator(1));
            var stack = new FlowStack("Stack", new IFlowLayer[] { new InvertiblePlanarFlow(2, new Generator(2)), new InvertiblePlanarFlow(2, new Generator(3)) });
            var vae = new Vae(64, 4, 16, VaeLikelihood.Bernoulli, new Generator(4));
            var flow = new ContinuousFlow(2, 8, new Generator(5));
            var disc = new Mlp("D", 2, new[] { 8 }, 1, generator: new Generator(6));
            using var z = randn(16, 2);
            using var x = rand(16, 64).round();
            var g = new Generator(7);
            AssertNoLeak(() => { planar.LogDetJacobian(z).Dispose(); Dispose(planar.ForwardAndLogDetNoGrad(z)); planar.Forward(z).Dispose(); });
            AssertNoLeak(() => { Dispose(stack.Sample(32, g)); stack.ReverseKlLoss(z, TargetDensities.Banana).Dispose(); });
            AssertNoLeak(() => { var (a, b, c) = vae.Elbo(x, g, 2); a.Dispose(); b.Dispose(); c.Dispose(); vae.Iwae(x, 5, g).Dispose(); vae.Loss(x, g).Dispose(); });
            AssertNoLeak(() => { flow.LogLikelihood(z, divergence: CnfDivergence.Hutchinson).Dispose(); flow.NegativeLogLikelihoodLoss(z, 2).Dispose(); flow.Sample(8, g).Samples.Dispose(); });
            AssertNoLeak(() => { using var f = disc.Forward(z); using var l = f.squeeze(1); GanLosses.Discriminator(l, l).Dispose(); GanLosses.GeneratorNonSaturating(l).Dispose(); });
        }
    }
}
