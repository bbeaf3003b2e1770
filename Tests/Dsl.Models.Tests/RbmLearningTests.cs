using System;
using System.Linq;
using Dsl.Discrete;
using Dsl.Models.Data;
using Dsl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>Block Gibbs sampling against the exact RBM distribution, and CD-1 / PCD learning on the binarised digits.</summary>
    public class RbmLearningTests
    {
        private static BinaryRbm Tiny(long seed)
        {
            var rbm = new BinaryRbm(V: 3, H: 2, generator: new Generator((ulong)seed));
            rbm.to(ScalarType.Float64);
            var g = new Generator((ulong)seed + 1);
            rbm.SetParameter("W", empty(3, 2, dtype: ScalarType.Float64).normal_(0, 1.5, generator: g));
            rbm.SetParameter("B", empty(3, dtype: ScalarType.Float64).normal_(0, 1, generator: g));
            rbm.SetParameter("C", empty(2, dtype: ScalarType.Float64).normal_(0, 1, generator: g));
            return rbm;
        }

        private static Tensor AllBits(int n) => BoltzmannLearning.AllBitVectors(n);

        [Fact]
        public void Exact_likelihood_is_normalised()
        {
            var rbm = Tiny(3);
            Assert.Equal(0.0, BoltzmannLearning.ExactLogLikelihood(rbm, AllBits(3)).logsumexp(0).item<double>(), 12);
        }

        [Fact]
        public void Block_Gibbs_samples_the_exact_visible_marginal()
        {
            using var scope = NewDisposeScope();
            var rbm = Tiny(5);
            const int chains = 8000;
            var g = new Generator(9);
            var start = empty(chains, 3, dtype: ScalarType.Float64).bernoulli_(0.5, generator: g);
            var samples = BoltzmannLearning.Gibbs(rbm, start, 60, g);
            var exact = BoltzmannLearning.ExactLogLikelihood(rbm, AllBits(3)).exp().data<double>().ToArray();
            var codes = (samples.select(1, 0).Add(samples.select(1, 1).Mul(2)).Add(samples.select(1, 2).Mul(4))).to_type(ScalarType.Int64).data<long>().ToArray();
            for (int state = 0; state < 8; state++)
            {
                double frequency = codes.Count(c => c == state) / (double)chains;
                double se = System.Math.Sqrt(exact[state] * (1 - exact[state]) / chains);
                Assert.True(System.Math.Abs(frequency - exact[state]) <= 4 * se + 1e-9, $"state {state}: {frequency:F4} vs exact {exact[state]:F4} (SE {se:F4})");
            }
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void CD1_and_PCD_on_the_digits_raise_the_exact_log_likelihood_and_the_pseudo_likelihood(bool persistent)
        {
            using var scope = NewDisposeScope();
            var data = Digits.Images(PixelScale.Binary).to_type(ScalarType.Float64);
            var rbm = new BinaryRbm(V: 64, H: 12, generator: new Generator(1));
            rbm.to(ScalarType.Float64);
            rbm.SetParameter("W", empty(64, 12, dtype: ScalarType.Float64).normal_(0, 0.01, generator: new Generator(2)));
            var evaluation = data.narrow(0, 0, 500);
            double before = BoltzmannLearning.ExactLogLikelihood(rbm, evaluation).mean().item<double>();
            double plBefore = BoltzmannLearning.PseudoLogLikelihood(rbm, evaluation, new Generator(3)).mean().item<double>();
            using var objective = new ContrastiveDivergence(rbm, 1, persistent ? data.narrow(0, 0, 100) : null);
            var result = Trainer.Train(rbm, new TensorDataStream(data, 100, seed: 4), objective.Loss, new TrainerOptions { Steps = 300, LearningRate = 0.02, Seed = 5 });
            double after = BoltzmannLearning.ExactLogLikelihood(rbm, evaluation).mean().item<double>();
            double plAfter = BoltzmannLearning.PseudoLogLikelihood(rbm, evaluation, new Generator(3)).mean().item<double>();
            Assert.Equal(300, result.Steps);
            Assert.True(after > before + 5, $"{(persistent ? "PCD" : "CD-1")}: exact log-likelihood {before:F2} → {after:F2} nats");
            Assert.True(plAfter > plBefore + 5, $"pseudo-log-likelihood {plBefore:F2} → {plAfter:F2}");
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void AIS_log_partition_agrees_with_enumeration_within_its_standard_error(bool float32)
        {
            using var scope = NewDisposeScope();
            var data = Digits.Images(PixelScale.Binary).to_type(ScalarType.Float64);
            var rbm = new BinaryRbm(V: 64, H: 10, generator: new Generator(11));
            rbm.to(ScalarType.Float64);
            rbm.SetParameter("W", empty(64, 10, dtype: ScalarType.Float64).normal_(0, 0.3, generator: new Generator(12)));
            rbm.SetParameter("B", empty(64, dtype: ScalarType.Float64).normal_(-1, 0.5, generator: new Generator(13)));
            var mean = data.mean(new long[] { 0 }).Clamp(0.02, 0.98);
            var baseBias = (mean / (global::Dsl.ScalarOps.RSub(1,mean))).log();                                 // the data's marginal logits (Salakhutdinov & Murray)
            var exact = BoltzmannLearning.LogPartition(rbm, ScalarType.Float64, CPU).item<double>();
            if (float32) { rbm.to(ScalarType.Float32); baseBias = baseBias.to_type(ScalarType.Float32); }   // AIS on a float32 model once threw reading log Z_A
            var ais = BinaryRbmAis.LogPartition(rbm, baseBias, steps: 1000, runs: 200, new Generator(14));
            Assert.True(System.Math.Abs(ais.LogZ - exact) <= 4 * ais.StandardError + 0.05, $"AIS log Z {ais.LogZ:F3} ± {ais.StandardError:F3} vs exact {exact:F3} (float32: {float32})");
        }

        [Fact]
        public void Enumeration_is_refused_beyond_twenty_hidden_units()
        {
            var rbm = new BinaryRbm(V: 4, H: 21);
            var e = Assert.Throws<ArgumentException>(() => BoltzmannLearning.ExactLogLikelihood(rbm, zeros(1, 4)));
            Assert.Contains("H ≤ 20", e.Message);
        }
    }
}
