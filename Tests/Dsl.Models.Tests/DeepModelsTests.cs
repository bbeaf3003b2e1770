using System;
using System.Linq;
using Dsl.Discrete;
using Dsl.Models.Data;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// Deep belief nets and the two-layer deep Boltzmann machine against exact enumeration on tiny models, and learning on
    /// the binarised digits measured by exact log-likelihoods (small middle layers are enumerated).
    /// </summary>
    public class DeepModelsTests
    {
        private readonly ITestOutputHelper output;

        public DeepModelsTests(ITestOutputHelper output) => this.output = output;

        private static Tensor Bits(int n) => BoltzmannLearning.AllBitVectors(n);

        private static void Randomise(BinaryRbm rbm, long seed, double scale)
        {
            var g = new Generator((ulong)seed);
            rbm.SetParameter("W", empty(rbm.Dim, rbm.HiddenDim, dtype: ScalarType.Float64).normal_(0, scale, generator: g));
            rbm.SetParameter("B", empty(rbm.Dim, dtype: ScalarType.Float64).normal_(0, 1, generator: g));
            rbm.SetParameter("C", empty(rbm.HiddenDim, dtype: ScalarType.Float64).normal_(0, 1, generator: g));
        }

        private static long[] Codes(Tensor bits)
        {
            using var scope = NewDisposeScope();
            var weights = pow(2.0, arange(bits.shape[1], dtype: ScalarType.Float64));
            return bits.matmul(weights).to_type(ScalarType.Int64).data<long>().ToArray();
        }

        private static void AssertFrequencies(long[] codes, double[] exact, double sigmas, string what)
        {
            for (int state = 0; state < exact.Length; state++)
            {
                double frequency = codes.Count(c => c == state) / (double)codes.Length;
                double se = System.Math.Sqrt(exact[state] * (1 - exact[state]) / codes.Length);
                Assert.True(System.Math.Abs(frequency - exact[state]) <= sigmas * se + 1e-9, $"{what}: state {state}: {frequency:F4} vs exact {exact[state]:F4} (SE {se:F4})");
            }
        }

        // ───────────── Deep belief nets ─────────────

        [Fact]
        public void A_second_layer_tied_to_the_first_transposed_keeps_the_RBMs_likelihood_and_its_bound_is_tight()
        {
            using var scope = NewDisposeScope();
            using var dbn = new DeepBeliefNet(5, new[] { 3, 5 }, seed: 1);
            Randomise(dbn.Layers[0], 2, 1.5);
            DeepBeliefLearning.TieTransposed(dbn.Layers[0], dbn.Layers[1]);
            var v = Bits(5);
            var rbm = BoltzmannLearning.ExactLogLikelihood(dbn.Layers[0], v);
            var exact = dbn.ExactLogLikelihood(v);
            var bound = dbn.VariationalBound(v);
            Assert.True((exact - rbm).abs().max().ToDoubleValue() < 1e-10, "p_DBN(v) = p_RBM(v) when the top is the bottom transposed");
            Assert.True((bound - rbm).abs().max().ToDoubleValue() < 1e-10, "q(h|v) is the exact posterior, so the bound is tight");
            // Untied, the bound stays below log p(v), strictly somewhere, and p(v) stays normalised.
            Randomise(dbn.Layers[1], 3, 1.5);
            exact = dbn.ExactLogLikelihood(v);
            bound = dbn.VariationalBound(v);
            Assert.Equal(0.0, exact.logsumexp(0).ToDoubleValue(), 10);
            Assert.True((bound - exact).max().ToDoubleValue() <= 1e-12, "bound ≤ log p(v)");
            Assert.True((exact - bound).max().ToDoubleValue() > 1e-3, "the factorial q of the bottom layer is not the posterior of the untied net");
        }

        [Fact]
        public void Ancestral_samples_follow_the_exact_DBN_marginal()
        {
            using var scope = NewDisposeScope();
            using var dbn = new DeepBeliefNet(3, new[] { 2, 3 }, seed: 4);
            Randomise(dbn.Layers[0], 5, 2.0);
            Randomise(dbn.Layers[1], 6, 2.0);
            var exact = dbn.ExactLogLikelihood(Bits(3)).exp().data<double>().ToArray();
            var (samples, means) = dbn.Sample(8000, 60, new Generator(7));
            Assert.Equal(new long[] { 8000, 3 }, samples.shape);
            Assert.True(means.min().ToDoubleValue() >= 0 && means.max().ToDoubleValue() <= 1);
            AssertFrequencies(Codes(samples), exact, 4, "DBN ancestral sample");
        }

        [Fact]
        public void Greedy_stacking_on_the_digits_raises_the_bound_above_the_first_RBMs_exact_log_likelihood()
        {
            using var scope = NewDisposeScope();
            var data = Digits.Images(PixelScale.Binary).to_type(ScalarType.Float64);
            var evaluation = data.narrow(0, 0, 500);
            using var dbn = new DeepBeliefNet(64, new[] { 12, 64 }, seed: 1);
            var first = dbn.TrainGreedy(data, new GreedyLayerOptions { StepsPerLayer = 300, LearningRate = 0.02, Seed = 2, Layers = new[] { 0 } });
            double rbm = BoltzmannLearning.ExactLogLikelihood(dbn.Layers[0], evaluation).mean().ToDoubleValue();
            var w1 = dbn.Layers[0].get_parameter("W")!.detach().clone();
            // Tied to layer 1 transposed (zero steps), the net is the RBM and the bound equals its log-likelihood.
            dbn.TrainGreedy(data, new GreedyLayerOptions { StepsPerLayer = 0, Layers = new[] { 1 }, TieToLayerBelow = true });
            double boundTied = dbn.VariationalBound(evaluation).mean().ToDoubleValue();
            var second = dbn.TrainGreedy(data, new GreedyLayerOptions { StepsPerLayer = 300, LearningRate = 0.005, Seed = 2, Layers = new[] { 1 }, TieToLayerBelow = true });
            double bound = dbn.VariationalBound(evaluation).mean().ToDoubleValue();
            double exact = dbn.ExactLogLikelihood(evaluation).mean().ToDoubleValue();
            output.WriteLine($"RBM exact {rbm:F3}; DBN bound tied {boundTied:F3}; DBN bound trained {bound:F3}; DBN exact {exact:F3}");
            Assert.Single(first);
            Assert.Equal(1, second.Single().Layer);
            Assert.Equal(300, second.Single().Result.Steps);
            Assert.True((dbn.Layers[0].get_parameter("W")!.detach() - w1).abs().max().ToDoubleValue() == 0, "training layer 2 leaves layer 1 frozen");
            Assert.True(rbm > -30, $"layer 1 learned: exact log-likelihood {rbm:F2}");
            Assert.Equal(rbm, boundTied, 9);
            Assert.True(bound > rbm + 0.05, $"DBN bound {bound:F3} vs the RBM's exact log-likelihood {rbm:F3}");
            Assert.True(exact >= bound - 1e-9, $"exact {exact:F3} ≥ bound {bound:F3}");
        }

        // ───────────── Deep Boltzmann machine ─────────────

        private const int V = 4, H1 = 3, H2 = 2;

        private static DeepBoltzmannMachine TinyDbm(long seed, double scale = 1.0)
        {
            var dbm = new DeepBoltzmannMachine(V, H1, H2, seed);
            var g = new Generator((ulong)seed + 100);
            dbm.SetParameters(
                w1: empty(V, H1, dtype: ScalarType.Float64).normal_(0, scale, generator: g),
                w2: empty(H1, H2, dtype: ScalarType.Float64).normal_(0, scale, generator: g),
                b: empty(V, dtype: ScalarType.Float64).normal_(0, 1, generator: g),
                c1: empty(H1, dtype: ScalarType.Float64).normal_(0, 1, generator: g),
                c2: empty(H2, dtype: ScalarType.Float64).normal_(0, 1, generator: g));
            return dbm;
        }

        /// <summary>The DBM energy written out, from the parameter views: [N].</summary>
        private static Tensor HandEnergy(DeepBoltzmannMachine m, Tensor v, Tensor h1, Tensor h2) =>
            -((v.matmul(m.W1) * h1).sum(new long[] { 1 }).Add((h1.matmul(m.W2) * h2).sum(new long[] { 1 })).Add(v.matmul(m.B)).Add(h1.matmul(m.C1)).Add(h2.matmul(m.C2)));

        /// <summary>All 2^(V+H1+H2) states (v, h1, h2) and their exact log-probabilities.</summary>
        private static (Tensor V, Tensor H1, Tensor H2, Tensor LogP) Enumerate(DeepBoltzmannMachine m)
        {
            var all = Bits(V + H1 + H2);
            var v = all.narrow(1, 0, V); var h1 = all.narrow(1, V, H1); var h2 = all.narrow(1, V + H1, H2);
            var logits = -HandEnergy(m, v, h1, h2);
            return (v, h1, h2, (logits - logits.logsumexp(0)).detach());
        }

        [Fact]
        public void DBM_energy_and_conditionals_equal_ratios_of_exact_probabilities()
        {
            using var scope = NewDisposeScope();
            using var m = TinyDbm(1, 1.5);
            var (v, h1, h2, logP) = Enumerate(m);
            Assert.True((m.Energy(v, h1, h2) - HandEnergy(m, v, h1, h2)).abs().max().ToDoubleValue() < 1e-12, "generated joint energy = hand-written DBM energy");
            Assert.True((m.ExpectedEnergy(v, h1, h2) - HandEnergy(m, v, h1, h2)).abs().max().ToDoubleValue() < 1e-12, "expected energy at bits");
            var p = logP.exp();
            long n = p.shape[0];
            // p(h1_j = 1 | v, h2): group states by (v, h2); p(v_i = 1 | h1), p(h2_k = 1 | h1): group by h1.
            var vh2Code = tensor(Codes(cat(new[] { v, h2 }, 1)));
            var h1Code = tensor(Codes(h1));
            var pVh2 = zeros(1 << (V + H2), dtype: ScalarType.Float64).index_add(0, vh2Code, p, 1.0);
            var pH1 = zeros(1 << H1, dtype: ScalarType.Float64).index_add(0, h1Code, p, 1.0);
            var model1 = m.Hidden1Probabilities(v, h2);
            var (modelV, modelH2) = m.OuterProbabilities(h1);
            for (int j = 0; j < H1; j++)
            {
                var exact = zeros(1 << (V + H2), dtype: ScalarType.Float64).index_add(0, vh2Code, p * h1.select(1, j), 1.0) / pVh2;
                Assert.True((exact.index_select(0, vh2Code) - model1.select(1, j)).abs().max().ToDoubleValue() < 1e-12, "p(h1_" + j + " = 1 | v, h2)");
            }
            for (int i = 0; i < V; i++)
            {
                var exact = zeros(1 << H1, dtype: ScalarType.Float64).index_add(0, h1Code, p * v.select(1, i), 1.0) / pH1;
                Assert.True((exact.index_select(0, h1Code) - modelV.select(1, i)).abs().max().ToDoubleValue() < 1e-12, "p(v_" + i + " = 1 | h1)");
            }
            for (int k = 0; k < H2; k++)
            {
                var exact = zeros(1 << H1, dtype: ScalarType.Float64).index_add(0, h1Code, p * h2.select(1, k), 1.0) / pH1;
                Assert.True((exact.index_select(0, h1Code) - modelH2.select(1, k)).abs().max().ToDoubleValue() < 1e-12, "p(h2_" + k + " = 1 | h1)");
            }
        }

        [Fact]
        public void DBM_log_partition_and_log_likelihood_equal_enumeration_of_every_state()
        {
            using var scope = NewDisposeScope();
            using var m = TinyDbm(2, 1.5);
            var all = Bits(V + H1 + H2);
            var logits = -HandEnergy(m, all.narrow(1, 0, V), all.narrow(1, V, H1), all.narrow(1, V + H1, H2)).detach();
            Assert.Equal(logits.logsumexp(0).ToDoubleValue(), m.LogPartition(), 10);
            var vs = Bits(V);
            var exact = zeros(1 << V, dtype: ScalarType.Float64);
            var codes = tensor(Codes(all.narrow(1, 0, V)));
            var byV = global::Dsl.ScalarOps.Full(new long[] { 1 << V },double.NegativeInfinity,dtype: ScalarType.Float64);
            for (int s = 0; s < 1 << V; s++) byV[s] = logits.index(codes == s).logsumexp(0) - logits.logsumexp(0);
            Assert.True((m.ExactLogLikelihood(vs) - byV).abs().max().ToDoubleValue() < 1e-10);
        }

        [Fact]
        public void DBM_alternating_Gibbs_samples_the_exact_joint_of_v_and_h2()
        {
            using var scope = NewDisposeScope();
            using var m = TinyDbm(3, 1.2);
            var (v, _, h2, logP) = Enumerate(m);
            var code = tensor(Codes(cat(new[] { v, h2 }, 1)));
            var exact = zeros(1 << (V + H2), dtype: ScalarType.Float64).index_add(0, code, logP.exp(), 1.0).data<double>().ToArray();
            var g = new Generator(5);
            var x = m.Gibbs(m.RandomState(12000, g), 40, g);
            AssertFrequencies(Codes(x), exact, 4.5, "DBM Gibbs (v, h2)");
        }

        [Theory]
        [InlineData(1.0)]
        [InlineData(0.5)]
        public void Mean_field_converges_to_its_fixed_point_and_its_bound_rises_monotonically_below_log_p(double damping)
        {
            using var scope = NewDisposeScope();
            using var m = TinyDbm(4, 2.0);
            var vs = Bits(V);
            using var q = m.MeanField(vs, maxIterations: 500, damping: damping, tolerance: 1e-12);
            output.WriteLine($"λ = {damping}: {q.Iterations} iterations, residual {q.Residual:E2}");
            Assert.True(q.Converged, $"residual {q.Residual} after {q.Iterations} iterations");
            // The fixed-point equations hold.
            var mu1 = (vs.matmul(m.W1).Add(q.Mu2.matmul(m.W2.t())).Add(m.C1)).sigmoid();
            var mu2 = (q.Mu1.matmul(m.W2).Add(m.C2)).sigmoid();
            Assert.True((mu1 - q.Mu1).abs().max().ToDoubleValue() < 1e-10, "μ1 = σ(c1 + W1ᵀv + W2μ2)");
            Assert.True((mu2 - q.Mu2).abs().max().ToDoubleValue() < 1e-10, "μ2 = σ(c2 + W2ᵀμ1)");
            // The bound never decreases over iterations and stays below the exact log p(v).
            double logZ = m.LogPartition();
            var exact = m.ExactLogLikelihood(vs, logZ);
            Tensor? previous = null;
            for (int k = 0; k <= 30; k++)
            {
                using var qk = m.MeanField(vs, maxIterations: k, damping: damping, tolerance: 0);
                var bound = m.MeanFieldBound(vs, qk, logZ);
                Assert.True((bound - exact).max().ToDoubleValue() <= 1e-12, $"bound ≤ log p(v) at iteration {k}");
                if (previous is not null) Assert.True((previous - bound).max().ToDoubleValue() <= 1e-12, $"the bound decreased at iteration {k}");
                previous = bound;
            }
            // And the converged bound is finite and not trivially loose.
            Assert.True((exact - m.MeanFieldBound(vs, q, logZ)).max().ToDoubleValue() < 2.0);
        }

        [Fact]
        public void DBM_learning_on_the_digits_raises_the_exact_log_likelihood_and_the_mean_field_bound()
        {
            using var scope = NewDisposeScope();
            var data = Digits.Images(PixelScale.Binary).to_type(ScalarType.Float64);
            var evaluation = data.narrow(0, 0, 500);
            using var dbm = new DeepBoltzmannMachine(64, 12, 6, seed: 1);
            (double Exact, double Bound) Measure()
            {
                double logZ = dbm.LogPartition();
                using var q = dbm.MeanField(evaluation);
                return (dbm.ExactLogLikelihood(evaluation, logZ).mean().ToDoubleValue(), dbm.MeanFieldBound(evaluation, q, logZ).mean().ToDoubleValue());
            }
            var before = Measure();
            using var learning = new DbmPersistentLearning(dbm, dbm.RandomState(100, new Generator(2)));
            var result = Dsl.Training.Trainer.Train(dbm, new Dsl.Training.TensorDataStream(data, 100, seed: 3), learning.Loss,
                new Dsl.Training.TrainerOptions { Steps = 300, LearningRate = 0.01, Seed = 4 });
            var after = Measure();
            output.WriteLine($"exact {before.Exact:F3} → {after.Exact:F3}; mean-field bound {before.Bound:F3} → {after.Bound:F3}; last mean-field iterations {learning.LastMeanFieldIterations}");
            Assert.Equal(300, result.Steps);
            Assert.True(after.Exact > before.Exact + 10, $"exact log-likelihood {before.Exact:F2} → {after.Exact:F2}");
            Assert.True(after.Bound > before.Bound + 10, $"mean-field bound {before.Bound:F2} → {after.Bound:F2}");
            Assert.True(after.Bound <= after.Exact + 1e-9, "bound ≤ exact");
        }
    }

    /// <summary>The deep models' training and sampling leave no tensors behind (alone, like <see cref="LeakTests"/>).</summary>
    [Collection("Sequential")]
    public class DeepModelsLeakTests
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

        [Fact]
        public void DBN_and_DBM_training_inference_and_sampling_leave_no_tensors_behind()
        {
            using var data = Digits.Images(PixelScale.Binary).to_type(ScalarType.Float64).narrow(0, 0, 200);
            using var dbn = new DeepBeliefNet(64, new[] { 6, 8 }, seed: 1);
            using var dbm = new DeepBoltzmannMachine(64, 6, 4, seed: 1);
            using var v = data.narrow(0, 0, 20);
            AssertNoLeak(() => dbn.TrainGreedy(data, new GreedyLayerOptions { StepsPerLayer = 5, Persistent = true }));
            AssertNoLeak(() => { var (s, m) = dbn.Sample(8, 3, new Generator(1)); s.Dispose(); m.Dispose(); });
            AssertNoLeak(() => { dbn.VariationalBound(v).Dispose(); dbn.ExactLogLikelihood(v).Dispose(); });
            AssertNoLeak(() =>
            {
                using var chains = dbm.RandomState(10, new Generator(2));
                using var learning = new DbmPersistentLearning(dbm, chains);
                Dsl.Training.Trainer.Train(dbm, new Dsl.Training.TensorDataStream(data, 20, 3), learning.Loss, new Dsl.Training.TrainerOptions { Steps = 5, LearningRate = 0.001 });
            });
            AssertNoLeak(() =>
            {
                using var q = dbm.MeanField(v);
                dbm.MeanFieldBound(v, q, dbm.LogPartition()).Dispose();
                dbm.ExactLogLikelihood(v).Dispose();
                using var x = dbm.RandomState(4, new Generator(3));
                dbm.Gibbs(x, 3, new Generator(4)).Dispose();
            });
        }
    }
}
