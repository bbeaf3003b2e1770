using Dsl.Bench;
using Dsl.Discrete;
using Dsl.Models.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// The hand-written TorchSharp baselines of Bench/DiscreteBenchmarks.cs compute what the generated path computes: from
    /// the same seed, the same Ising sweep (spins and flip count) and the same CD-1 parameter update. (This project compiles
    /// Bench/HandWrittenDiscrete.cs and Bench/GeneratedDiscrete.cs, the code that is timed.)
    /// </summary>
    public class HandWrittenBaselineTests
    {
        [Theory]
        [InlineData(1)]
        [InlineData(3)]
        public void The_hand_written_checkerboard_sweep_is_the_generated_one(int chains)
        {
            using var scope = NewDisposeScope();
            const int l = 16;
            // The hand-written sweep draws torch uniforms as the generic torch-op path does (the generated one-pass sweep draws counter-based ones).
            var model = new LatticeIsing(N: l * l) { L = l, J = 0.8, H = 0.1, Kernels = KernelPath.TorchOps };
            var even = IsingLattice.Checkerboard(l);
            var generated = empty(chains, l * l).bernoulli_(0.5, generator: new Generator(1)).Mul_(2).Sub_(1);
            var handWritten = generated.clone();
            var (g1, g2) = (new Generator(9), new Generator(9));
            for (int sweep = 0; sweep < 5; sweep++)
            {
                long a = SpinSamplers.Sweep(model, generated, even, 1 / 2.5, SpinUpdate.Metropolis, g1);
                long b = HandWrittenDiscrete.IsingSweep(handWritten, l, even.to_type(ScalarType.Bool), even.to_type(ScalarType.Bool).logical_not(), 0.8, 0.1, 1 / 2.5, g2);
                Assert.Equal(a, b);
                Assert.True(a > 0);
            }
            Assert.True(generated.eq(handWritten).all().item<bool>());
        }

        [Fact]
        public void The_hand_written_CD1_step_is_the_generated_one()
        {
            using var scope = NewDisposeScope();
            var data = Digits.Images(PixelScale.Binary).to_type(ScalarType.Float64).narrow(0, 0, 300);
            var rbm = new BinaryRbm(V: Digits.Pixels, H: 16, generator: new Generator(0));
            rbm.to(ScalarType.Float64);
            rbm.SetParameter("W", empty(Digits.Pixels, 16, dtype: ScalarType.Float64).normal_(0, 0.1, generator: new Generator(1)));
            rbm.SetParameter("B", empty(Digits.Pixels, dtype: ScalarType.Float64).normal_(0, 0.1, generator: new Generator(2)));
            rbm.SetParameter("C", empty(16, dtype: ScalarType.Float64).normal_(0, 0.1, generator: new Generator(3)));
            var (w, b, c) = (GeneratedDiscrete.Parameter(rbm, "W").detach().clone(), GeneratedDiscrete.Parameter(rbm, "B").detach().clone(), GeneratedDiscrete.Parameter(rbm, "C").detach().clone());
            var w0 = w.clone();
            using var objective = new ContrastiveDivergence(rbm, 1);
            var (g1, g2) = (new Generator(4), new Generator(4));
            for (int step = 0; step < 3; step++)
            {
                GeneratedDiscrete.Cd1Step(rbm, objective, data, 0.5, g1);
                HandWrittenDiscrete.Cd1Step(w, b, c, data, 0.5, g2);
            }
            Assert.True((GeneratedDiscrete.Parameter(rbm, "W") - w).abs().max().ToDouble() < 1e-12);
            Assert.True((GeneratedDiscrete.Parameter(rbm, "B") - b).abs().max().ToDouble() < 1e-12);
            Assert.True((GeneratedDiscrete.Parameter(rbm, "C") - c).abs().max().ToDouble() < 1e-12);
            Assert.True((w - w0).abs().max().ToDouble() > 1e-3, "the steps did not move W");   // a real update, not two no-ops agreeing
        }
    }
}
