using System;
using System.IO;
using System.Linq;
using Dsl.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Runtime.Tests
{
    /// <summary>
    /// The library's own Adam: the same iterates as TorchSharp's optim.Adam (torch's update) in float64, a saved state that
    /// continues bit for bit, a refused state of other shapes, and no tensor wrappers left behind by ZeroGrad and Step.
    /// </summary>
    public class AdamOptimizerTests
    {
        private const int Steps = 40;

        /// <summary>A small float64 MLP, its parameters drawn from a seeded generator (so two calls build the same network).</summary>
        private static nn.Module<Tensor, Tensor> Network()
        {
            var net = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1));
            net.to(ScalarType.Float64);
            using var noGrad = no_grad();
            var g = new Generator(11);
            foreach (var p in net.parameters()) p.copy_(empty_like(p).normal_(0, 0.5, generator: g));
            return net;
        }

        private static (Tensor X, Tensor Y) Data()
        {
            var g = new Generator(5);
            var x = empty(new long[] { 64, 3 }, dtype: ScalarType.Float64).normal_(0, 1, generator: g);
            using var coefficients = tensor(new double[] { 1.0, -2.0, 0.5 }, new long[] { 3, 1 }, ScalarType.Float64);
            using var linear = x.matmul(coefficients);
            return (x, linear.sin());
        }

        private static void Backward(nn.Module<Tensor, Tensor> net, Tensor x, Tensor y)
        {
            using var scope = NewDisposeScope();
            nn.functional.mse_loss(net.call(x), y).backward();
        }

        private static double[][] Values(nn.Module<Tensor, Tensor> net) =>
            net.parameters().Select(p => p.detach().reshape(-1).data<double>().ToArray()).ToArray();

        private static double MaxRelativeDifference(double[][] a, double[][] b) =>
            a.Zip(b, (u, v) => u.Zip(v, (s, t) => System.Math.Abs(s - t) / System.Math.Max(System.Math.Abs(t), 1e-12)).Max()).Max();

        [Theory]
        [InlineData(0.0, 0.9, 0.999)]
        [InlineData(0.1, 0.5, 0.99)]
        public void Steps_match_TorchSharps_Adam_in_float64(double weightDecay, double beta1, double beta2)
        {
            var (x, y) = Data();
            using var ours = Network();
            using var theirs = Network();
            var start = Values(ours);
            using var adam = new AdamOptimizer(ours.parameters(), 0.02, beta1, beta2, 1e-8, weightDecay);
            using var reference = optim.Adam(theirs.parameters(), 0.02, beta1, beta2, 1e-8, weightDecay);
            for (int i = 0; i < Steps; i++)
            {
                adam.ZeroGrad();
                Backward(ours, x, y);
                adam.Step();
                reference.zero_grad();
                Backward(theirs, x, y);
                using (NewDisposeScope()) reference.step();
            }
            Assert.True(MaxRelativeDifference(start, Values(ours)) > 1e-2, "the parameters should have moved");
            double difference = MaxRelativeDifference(Values(ours), Values(theirs));
            Assert.True(difference <= 1e-6, "largest relative difference to TorchSharp's Adam: " + difference);
            x.Dispose(); y.Dispose();
        }

        [Fact]
        public void A_saved_state_continues_exactly_like_the_uninterrupted_run()
        {
            var (x, y) = Data();
            using var straight = Network();
            using var straightAdam = new AdamOptimizer(straight.parameters(), 0.02, weightDecay: 0.01);
            byte[] state;
            double[][] halfway;
            using (var first = Network())
            using (var firstAdam = new AdamOptimizer(first.parameters(), 0.02, weightDecay: 0.01))
            {
                for (int i = 0; i < Steps / 2; i++) { firstAdam.ZeroGrad(); Backward(first, x, y); firstAdam.Step(); }
                using var buffer = new MemoryStream();
                using (var w = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true)) firstAdam.SaveState(w);
                state = buffer.ToArray();
                halfway = Values(first);
            }
            using var resumed = Network();
            using (no_grad())
                foreach (var (p, values) in resumed.parameters().Zip(halfway))
                {
                    using var saved = tensor(values, p.shape, ScalarType.Float64);
                    p.copy_(saved);
                }
            using var resumedAdam = new AdamOptimizer(resumed.parameters(), 0.02, weightDecay: 0.01);
            using (var r = new BinaryReader(new MemoryStream(state))) resumedAdam.LoadState(r);

            for (int i = 0; i < Steps; i++) { straightAdam.ZeroGrad(); Backward(straight, x, y); straightAdam.Step(); }
            for (int i = Steps / 2; i < Steps; i++) { resumedAdam.ZeroGrad(); Backward(resumed, x, y); resumedAdam.Step(); }
            Assert.Equal(Values(straight), Values(resumed));   // bit for bit: the moments and step counts came back exactly
            x.Dispose(); y.Dispose();
        }

        [Fact]
        public void A_state_of_other_shapes_is_refused_and_changes_nothing()
        {
            using var small = nn.Linear(3, 2);
            using var smallAdam = new AdamOptimizer(small.parameters());
            using var buffer = new MemoryStream();
            using (var w = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true)) smallAdam.SaveState(w);

            var (x, y) = Data();
            using var net = Network();
            using var adam = new AdamOptimizer(net.parameters(), 0.02);
            adam.ZeroGrad(); Backward(net, x, y); adam.Step();
            using var before = new MemoryStream();
            using (var w = new BinaryWriter(before, System.Text.Encoding.UTF8, leaveOpen: true)) adam.SaveState(w);
            buffer.Position = 0;
            var e = Assert.Throws<InvalidDataException>(() => adam.LoadState(new BinaryReader(buffer)));
            Assert.Contains("2 parameters", e.Message);
            using var after = new MemoryStream();
            using (var w = new BinaryWriter(after, System.Text.Encoding.UTF8, leaveOpen: true)) adam.SaveState(w);
            Assert.Equal(before.ToArray(), after.ToArray());
            x.Dispose(); y.Dispose();
        }

        [Fact]
        public void ZeroGrad_and_Step_leave_no_tensors_behind_and_zero_the_gradients()
        {
            var (x, y) = Data();
            using var net = Network();
            using var adam = new AdamOptimizer(net.parameters(), 0.02);
            Backward(net, x, y);
            adam.Step();
            long live = DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;
            for (int i = 0; i < 5; i++) { adam.ZeroGrad(); adam.Step(); }
            Assert.Equal(live, DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount);
            adam.ZeroGrad();
            foreach (var p in net.parameters())
            {
                using var grad = p.grad!;
                using var magnitude = grad.abs().max();
                Assert.Equal(0.0, magnitude.ToDoubleValue());
            }
            x.Dispose(); y.Dispose();
        }

        [Fact]
        public void Invalid_hyperparameters_are_refused()
        {
            using var net = nn.Linear(2, 1);
            Assert.Throws<ArgumentException>(() => new AdamOptimizer(net.parameters(), learningRate: double.NaN));
            Assert.Throws<ArgumentException>(() => new AdamOptimizer(net.parameters(), beta1: 1.0));
            Assert.Throws<ArgumentException>(() => new AdamOptimizer(net.parameters(), beta2: -0.1));
            Assert.Throws<ArgumentException>(() => new AdamOptimizer(net.parameters(), weightDecay: -1));
        }
    }
}
