using System;
using System.Linq;
using Dsl.Discrete;
using Dsl.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// The RBM's derived members against brute-force enumeration of its own energy: the free energy equals
    /// −log Σ_h e^{−E(v,h)}, and the generated conditionals equal ratios of exact probabilities.
    /// </summary>
    public class BipartiteTests
    {
        private const int V = 4, H = 3;

        private static BinaryRbm Rbm(long seed)
        {
            var rbm = new BinaryRbm(V: V, H: H, generator: new Generator((ulong)seed));
            rbm.to(ScalarType.Float64);
            var g = new Generator((ulong)seed + 1);
            rbm.SetParameter("B", empty(V, dtype: ScalarType.Float64).normal_(0, 1, generator: g));
            rbm.SetParameter("C", empty(H, dtype: ScalarType.Float64).normal_(0, 1, generator: g));
            return rbm;
        }

        private static Tensor AllBits(int n) => BoltzmannLearning.AllBitVectors(n);

        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        [InlineData(3)]
        public void Free_energy_equals_minus_log_sum_over_hidden_states_by_enumeration(long seed)
        {
            using var scope = NewDisposeScope();
            var rbm = Rbm(seed);
            var vs = AllBits(V);
            var hs = AllBits(H);
            var free = rbm.FreeEnergy(vs);
            for (int i = 0; i < 1 << V; i++)
            {
                var v = vs[i].unsqueeze(0).expand(1 << H, V);
                var energies = rbm.EnergyEager(v, hs);                          // the user's own equation, every h
                double exact = -(-energies).logsumexp(0).item<double>();
                Assert.Equal(exact, free[i].item<double>(), 10);
            }
        }

        [Fact]
        public void Conditionals_equal_ratios_of_exact_joint_probabilities()
        {
            using var scope = NewDisposeScope();
            var rbm = Rbm(7);
            var vs = AllBits(V);
            var hs = AllBits(H);
            // Joint p(v, h) ∝ e^{−E} over all 2^(V+H) states.
            var logJoint = torch.zeros(1 << V, 1 << H, dtype: ScalarType.Float64);
            for (int i = 0; i < 1 << V; i++) logJoint[i] = -rbm.EnergyEager(vs[i].unsqueeze(0).expand(1 << H, V), hs);
            var joint = (logJoint - logJoint.reshape(-1).logsumexp(0)).exp();
            // p(hⱼ = 1 | v) = Σ_{h: hⱼ=1} p(v,h) / Σ_h p(v,h)
            var pv = joint.sum(new long[] { 1 });
            var pH = rbm.HiddenProbabilities(vs);
            for (int j = 0; j < H; j++)
            {
                var mask = hs.select(1, j);
                var exact = (joint * mask).sum(new long[] { 1 }) / pv;
                Assert.True((exact - pH.select(1, j)).abs().max().item<double>() < 1e-12, "p(h_" + j + " = 1 | v)");
            }
            var ph = joint.sum(new long[] { 0 });
            var pV = rbm.VisibleProbabilities(hs);
            for (int i = 0; i < V; i++)
            {
                var mask = vs.select(1, i).unsqueeze(1);
                var exact = (joint * mask).sum(new long[] { 0 }) / ph;
                Assert.True((exact - pV.select(1, i)).abs().max().item<double>() < 1e-12, "p(v_" + i + " = 1 | h)");
            }
        }

        [Fact]
        public void The_generated_energy_matches_the_equation_and_the_free_energy_trains()
        {
            using var scope = NewDisposeScope();
            var rbm = Rbm(4);
            var v = AllBits(V);
            var h = AllBits(H).repeat(6, 1).narrow(0, 0, 1 << V);
            Assert.True((rbm.Energy(v, h) - rbm.EnergyEager(v, h)).abs().max().item<double>() < 1e-12);
            var loss = rbm.FreeEnergy(v).mean();
            var grads = autograd.grad(new[] { loss }, rbm.parameters().ToArray());
            Assert.All(grads, g => Assert.True(g.abs().sum().item<double>() > 0));
        }

        [Fact]
        public void Units_that_are_not_bits_are_named_with_their_first_index()
        {
            var rbm = Rbm(1);
            var v = zeros(3, V, dtype: ScalarType.Float64);
            v[1, 2] = tensor(0.5);
            var e = Assert.Throws<ArgumentException>(() => rbm.FreeEnergy(v));
            Assert.Contains("BinaryRbm.FreeEnergy", e.Message);
            Assert.Contains("entry [1, 2] is 0.5", e.Message);
            var h = zeros(3, H + 1, dtype: ScalarType.Float64);
            var shape = Assert.Throws<ArgumentException>(() => rbm.VisibleProbabilities(h));
            Assert.Contains("[N, 3]", shape.Message);
        }
    }
}
