using System;
using System.IO;
using System.Linq;
using Dsl.Diffusion;
using Dsl.Networks;
using Dsl.Sde;
using Dsl.Training;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// Conditional generation (issue 7): classifier guidance, classifier-free guidance and inpainting, checked against
    /// exact answers (8 Gaussians labelled by mode, whose diffused score and posterior are closed forms; a correlated
    /// Gaussian, whose conditionals are closed forms), trained models on small budgets, bad input and leaks.
    /// </summary>
    public sealed class GuidanceTests : IDisposable
    {
        private const int Modes = 8;
        private const double ModeStd = 0.1, Radius = 2;
        private readonly ITestOutputHelper output;
        private readonly string folder = Path.Combine(Path.GetTempPath(), "dsl-guidance-" + Guid.NewGuid().ToString("N"));

        public GuidanceTests(ITestOutputHelper output) { this.output = output; Directory.CreateDirectory(folder); }

        public void Dispose() => Directory.Delete(folder, recursive: true);

        private static long Live() => DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;

        private static Tensor Centres(ScalarType dtype) =>
            stack(new[] { Enumerable.Range(0, Modes).Select(k => Radius * System.Math.Cos(k * System.Math.PI / 4)).ToArray(),
                          Enumerable.Range(0, Modes).Select(k => Radius * System.Math.Sin(k * System.Math.PI / 4)).ToArray() }.Select(a => tensor(a, dtype)), 1);

        /// <summary>n points of the 8 Gaussians (radius 2, std 0.1) with their mode labels.</summary>
        private static (Tensor X, Tensor Y) Gaussians8(int n, long seed)
        {
            using var scope = NewDisposeScope();
            var g = new Generator((ulong)seed);
            var y = randint(0, Modes, new long[] { n }, generator: g, dtype: ScalarType.Int64);
            var x = Centres(ScalarType.Float32).index_select(0, y).Add(empty(n, 2).normal_(0, ModeStd, generator: g));
            return (x.MoveToOuterDisposeScope(), y.MoveToOuterDisposeScope());
        }

        /// <summary>
        /// log N(xₜ; m μₖ, (m²s² + σ²)I) up to a constant shared by the modes: the exact log-posterior p(k | xₜ) of the
        /// diffused mixture (equal weights) before normalisation. [N, 8].
        /// </summary>
        private static Tensor ExactLogits(ISde sde, Tensor x, Tensor tau)
        {
            using var scope = NewDisposeScope();
            var m = tau.Eq(0).all().ToBooleanValue() ? ones_like(tau) : sde.MeanCoefficient(tau).to_type(x.dtype);
            var sigma = tau.Eq(0).all().ToBooleanValue() ? zeros_like(tau) : sde.MarginalStd(tau).to_type(x.dtype);
            var variance = (m.Square().Mul(ModeStd).Mul(ModeStd).Add(sigma.Square())).unsqueeze(1);
            var means = m.unsqueeze(1).unsqueeze(2) * Centres(x.dtype).unsqueeze(0);                  // [N, 8, 2]
            return ((x.unsqueeze(1) - means).Square().sum(new long[] { 2 }) / (variance.Mul(-2))).MoveToOuterDisposeScope();
        }

        /// <summary>The exact ε-prediction of the diffused mixture: ε* = σ Σₖ rₖ (x − m μₖ)/(m²s² + σ²).</summary>
        private static NoisePrediction ExactMixtureNoise(ISde sde) => (x, tau) =>
        {
            using var scope = NewDisposeScope();
            var m = sde.MeanCoefficient(tau).to_type(x.dtype);
            var sigma = sde.MarginalStd(tau).to_type(x.dtype);
            var r = ExactLogits(sde, x, tau).softmax(1);                                                   // [N, 8]
            var mean = r.matmul(Centres(x.dtype)) * m.unsqueeze(1);
            return ((x - mean) * (sigma / (m.Square().Mul(ModeStd).Mul(ModeStd).Add(sigma.Square()))).unsqueeze(1)).MoveToOuterDisposeScope();
        };

        /// <summary>The exact noisy classifier p(k | xₜ) of the mixture.</summary>
        private sealed class ExactModeClassifier : INoisyClassifier
        {
            private readonly ISde sde;
            public ExactModeClassifier(ISde sde) { this.sde = sde; }
            public string ModelName => "exact 8-Gaussians posterior";
            public int Dim => 2;
            public int Classes => Modes;
            public Tensor Logits(Tensor x, Tensor time) => ExactLogits(sde, x, time);
        }

        /// <summary>The mode each point is nearest to (the std 0.1 ≪ the 1.5 between centres makes this the true label).</summary>
        private static Tensor NearestMode(Tensor x)
        {
            using var scope = NewDisposeScope();
            return (x.unsqueeze(1) - Centres(x.dtype).unsqueeze(0)).Square().sum(new long[] { 2 }).argmin(1).MoveToOuterDisposeScope();
        }

        private static double Rate(Tensor x, int mode)
        {
            using var scope = NewDisposeScope();
            return NearestMode(x).Eq(mode).to_type(ScalarType.Float64).mean().ToDoubleValue();
        }

        private static DdpmSamplerOptions Ddim(long seed, int steps = 100, double eta = 1) => new() { Steps = steps, Eta = eta, Seed = seed };

        [Fact]
        public void Classifier_guidance_with_the_exact_score_and_posterior_samples_the_requested_mode_and_unguided_samples_all_modes()
        {
            var s = DdpmTests.Linear();
            const int n = 2000, mode = 3;
            using var labels = global::Dsl.ScalarOps.Full(new long[] { n }, mode, ScalarType.Int64);
            var exact = ExactMixtureNoise(s.Sde);
            // γ = 1 with exact ε and p(y | xₜ): ε̂ is exactly −σ∇log pₜ(x | y), so the samples are N(μ₃, 0.1²I).
            // Algorithm 2 on all T steps: a coarse sub-sequence narrows the 0.1-wide modes (DDIM η = 1 on 100 steps gave std 0.079).
            using var guided = Ddpm.Ancestral(s, Guidance.ClassifierGuided(s.Sde, exact, new ExactModeClassifier(s.Sde), labels, 1), n, 2, Ddim(1));
            using var plain = Ddpm.Ancestral(s, exact, n, 2, Ddim(1));
            double rate = Rate(guided.Samples, mode), unguided = Rate(plain.Samples, mode);
            using var mean = guided.Samples.mean(new long[] { 0 }).to_type(ScalarType.Float64);
            using var std = guided.Samples.std(new long[] { 0 }).to_type(ScalarType.Float64);
            double[] mu = { Radius * System.Math.Cos(mode * System.Math.PI / 4), Radius * System.Math.Sin(mode * System.Math.PI / 4) };
            output.WriteLine($"guided rate {rate:F4}, mean ({mean[0].ToDoubleValue():F4}, {mean[1].ToDoubleValue():F4}) vs ({mu[0]:F4}, {mu[1]:F4}), std ({std[0].ToDoubleValue():F4}, {std[1].ToDoubleValue():F4}); unguided rate {unguided:F4} (1/8 = 0.125)");
            Assert.True(rate > 0.99, $"guided rate {rate}");
            double se = ModeStd / System.Math.Sqrt(n);
            for (int j = 0; j < 2; j++)
            {
                Assert.True(System.Math.Abs(mean[j].ToDoubleValue() - mu[j]) < 5 * se + 0.01, $"mean[{j}] {mean[j].ToDoubleValue()} vs {mu[j]}");
                Assert.InRange(std[j].ToDoubleValue(), 0.085, 0.12);
            }
            double rateSe = System.Math.Sqrt(0.125 * 0.875 / n);
            Assert.True(System.Math.Abs(unguided - 0.125) < 4 * rateSe, $"unguided rate {unguided} vs 0.125 ± {rateSe}");
        }

        [Fact]
        public void A_classifier_trained_on_noisy_points_guides_the_exact_unconditional_score_to_the_requested_mode()
        {
            var s = DdpmTests.Linear();
            var (x, y) = Gaussians8(4000, 5);
            var classifier = new TimeClassifier(2, Modes, width: 64, depth: 1, generator: new Generator(11));
            var result = Trainer.Train(classifier, new LabelledTensorDataStream(x, y, 256, 1), (xb, yb, g) => Guidance.ClassifierLoss(s, classifier, xb, yb, g),
                new TrainerOptions { Steps = 300, LearningRate = 3e-3, Seed = 2 });
            double clean = Guidance.Accuracy(classifier, x, y, s.Times[0]);
            const int n = 1000;
            var exact = ExactMixtureNoise(s.Sde);
            var rates = new[] { 0.0, 1.0, 3.0 }.Select(gamma =>
            {
                using var labels = global::Dsl.ScalarOps.Full(new long[] { n }, 6, ScalarType.Int64);
                using var r = Ddpm.Ddim(s, Guidance.ClassifierGuided(s.Sde, exact, classifier, labels, gamma), n, 2, Ddim(3, 50));
                return Rate(r.Samples, 6);
            }).ToArray();
            output.WriteLine($"loss {result.LossHistory[0]:F3} → {result.FinalLoss:F3}; clean accuracy {clean:F3}; rate of mode 6 at γ = 0, 1, 3: {string.Join(", ", rates.Select(r => r.ToString("F3")))}");
            Assert.True(clean > 0.95, $"clean accuracy {clean}");
            Assert.True(rates[0] < 0.125 + 4 * System.Math.Sqrt(0.125 * 0.875 / n), $"γ = 0 rate {rates[0]}");
            Assert.True(rates[1] > 0.7, $"γ = 1 rate {rates[1]} (chance 0.125)");
            Assert.True(rates[2] > 0.9 && rates[2] >= rates[1] - 0.02, $"γ = 3 rate {rates[2]}");
            x.Dispose(); y.Dispose();
        }

        [Fact]
        public void Classifier_free_guidance_of_a_label_dropout_network_concentrates_on_the_requested_mode()
        {
            var s = DdpmTests.Linear();
            var (x, y) = Gaussians8(4000, 7);
            var net = new TimeMlp(2, width: 64, depth: 2, classes: Modes, generator: new Generator(13));
            var result = Trainer.Train(net, new LabelledTensorDataStream(x, y, 256, 3), (xb, yb, g) =>
            {
                using var dropped = Guidance.LabelDropout(yb, Modes, 0.2, g);
                return Ddpm.SimpleLoss(s, net, xb, g, DdpmTarget.Noise, dropped);
            }, new TrainerOptions { Steps = 300, LearningRate = 2e-3, EmaDecay = 0.98, Seed = 4 });
            const int n = 500;
            double Sample(long label, double w)
            {
                using var labels = global::Dsl.ScalarOps.Full(new long[] { n }, label, ScalarType.Int64);
                using var r = Ddpm.Ddim(s, Guidance.ClassifierFree(net, labels, w), n, 2, Ddim(5, 50));
                return Rate(r.Samples, 2);
            }
            double unconditional = Sample(Modes, 0), conditional = Sample(2, 0), guided = Sample(2, 2);
            output.WriteLine($"loss {result.LossHistory[0]:F3} → {result.FinalLoss:F3}; rate of mode 2: null label {unconditional:F3}, w = 0 {conditional:F3}, w = 2 {guided:F3}");
            Assert.True(unconditional < 0.3, $"null-label rate {unconditional} (1/8 expected)");
            Assert.True(conditional > 0.6, $"w = 0 rate {conditional}");
            Assert.True(guided > 0.85 && guided >= conditional - 0.02, $"w = 2 rate {guided}");
            x.Dispose(); y.Dispose();
        }

        /// <summary>N(0, Σ), Σ = 0.1 I + 0.9 11ᵀ in D = 6 (unit variances, correlation 0.9): ε* = σ (m²Σ + σ²I)⁻¹ x.</summary>
        private static (NoisePrediction Noise, Tensor Sigma) CorrelatedGaussian(ISde sde, int d)
        {
            var sigma = eye(d, dtype: ScalarType.Float64).Mul(0.1).Add(global::Dsl.ScalarOps.Full(new long[] { d, d }, 0.9, ScalarType.Float64));
            var (lambda, q) = linalg.eigh(sigma);
            NoisePrediction noise = (x, tau) =>
            {
                using var scope = NewDisposeScope();
                var m = sde.MeanCoefficient(tau).to_type(ScalarType.Float64).unsqueeze(1);
                var s = sde.MarginalStd(tau).to_type(ScalarType.Float64).unsqueeze(1);
                var rotated = x.to_type(ScalarType.Float64).matmul(q);
                return (rotated / ((m.Square() * lambda.unsqueeze(0)).Add(s.Square())) * s).matmul(q.t()).to_type(x.dtype).MoveToOuterDisposeScope();
            };
            return (noise, sigma);
        }

        [Fact]
        public void Inpainting_a_correlated_Gaussian_approaches_the_exact_conditional_and_beats_the_unconditional_baseline()
        {
            var s = DdpmTests.Linear();
            const int d = 6, n = 2000;
            var (noise, sigma) = CorrelatedGaussian(s.Sde, d);
            using var g = new Generator(21);
            using var truth = empty(n, d, dtype: ScalarType.Float64).normal_(0, 1, generator: g).matmul(linalg.cholesky(sigma).t()).to_type(ScalarType.Float32);
            using var mask = tensor(new float[] { 1, 1, 1, 0, 0, 0 });          // first three known
            // Exact: a posterior sample's expected squared error per missing coordinate is 2·tr(Σ_M|K)/|M|.
            var known = tensor(new long[] { 0, 1, 2 });
            var missing = tensor(new long[] { 3, 4, 5 });
            var smm = sigma.index_select(0, missing).index_select(1, missing);
            var smk = sigma.index_select(0, missing).index_select(1, known);
            var skk = sigma.index_select(0, known).index_select(1, known);
            double conditionalVariance = (smm - smk.matmul(linalg.inv(skk)).matmul(smk.t())).trace().ToDoubleValue() / 3;
            double exactMse = 2 * conditionalVariance;
            using var plain = Ddpm.Ddim(s, noise, n, d, Ddim(9));
            double baseline = Inpainting.MaskedMse(plain.Samples, truth, mask);
            using var replaced = Inpainting.Sample(s, noise, truth, mask, new InpaintingOptions { Steps = 100, Seed = 9 });
            using var repaint = Inpainting.Sample(s, noise, truth, mask, new InpaintingOptions { Steps = 100, Resample = 4, Seed = 9 });
            double mse = Inpainting.MaskedMse(replaced.Samples, truth, mask), mseRepaint = Inpainting.MaskedMse(repaint.Samples, truth, mask);
            output.WriteLine($"masked MSE: unconditional {baseline:F4} (2 expected), replacement {mse:F4}, RePaint ×4 {mseRepaint:F4} ({repaint.FunctionEvaluations} NFE), exact posterior sampling {exactMse:F4}");
            Assert.True(replaced.Samples.index_select(1, known).allclose(truth.index_select(1, known)), "the known entries must be returned exactly");
            Assert.Equal(100, replaced.FunctionEvaluations);
            Assert.Equal(99 * 4 + 1, repaint.FunctionEvaluations);
            double se = 2 * 2 / System.Math.Sqrt(n * 3.0);                        // a few standard errors of a mean of squared differences
            Assert.True(System.Math.Abs(baseline - 2) < 2 * se + 0.05, $"baseline {baseline}");
            Assert.True(mse < 0.5 * baseline, $"replacement {mse} vs baseline {baseline}");
            Assert.True(mseRepaint < 1.25 * exactMse + 0.02, $"RePaint {mseRepaint} vs exact {exactMse}");
            Assert.True(mseRepaint <= mse + 0.02, $"RePaint {mseRepaint} vs replacement {mse}");
        }

        [Fact]
        public void Wrappers_refuse_bad_labels_masks_and_scales_with_messages_naming_the_expectation()
        {
            var s = DdpmTests.Linear(100);
            var exact = ExactMixtureNoise(s.Sde);
            var classifier = new ExactModeClassifier(s.Sde);
            using var tooLarge = global::Dsl.ScalarOps.Full(new long[] { 4 }, 8, ScalarType.Int64);
            var e = Assert.Throws<ArgumentException>(() => Guidance.ClassifierGuided(s.Sde, exact, classifier, tooLarge, 1));
            Assert.Contains("0…7", e.Message); Assert.Contains("8…8", e.Message);
            using var floats = zeros(4);
            Assert.Contains("int64", Assert.Throws<ArgumentException>(() => Guidance.ClassifierGuided(s.Sde, exact, classifier, floats, 1)).Message);
            using var four = zeros(new long[] { 4 }, ScalarType.Int64);
            Assert.Contains("≥ 0", Assert.Throws<ArgumentException>(() => Guidance.ClassifierGuided(s.Sde, exact, classifier, four, -1)).Message);
            Assert.Contains("[6]", Assert.Throws<ArgumentException>(() => Ddpm.Ddim(s, Guidance.ClassifierGuided(s.Sde, exact, classifier, four, 1), 6, 2, Ddim(0, 5))).Message);

            var unconditional = new TimeMlp(2, width: 8, depth: 0, generator: new Generator(1));
            Assert.Contains("Classes = 0", Assert.Throws<ArgumentException>(() => Guidance.ClassifierFree(unconditional, four, 1)).Message);
            var conditional = new TimeMlp(2, width: 8, depth: 0, classes: 3, generator: new Generator(1));
            using var eleven = global::Dsl.ScalarOps.Full(new long[] { 4 }, 11, ScalarType.Int64);
            Assert.Contains("0…3 (3 = no label)", Assert.Throws<ArgumentException>(() => Guidance.ClassifierFree(conditional, eleven, 1)).Message);
            using var x = zeros(4, 2);
            using var tau = global::Dsl.ScalarOps.Full(new long[] { 4 }, 0.5f);
            var predict = Assert.Throws<ArgumentException>(() => conditional.Predict(x, tau, eleven));
            Assert.Contains(conditional.ModelName, predict.Message); Assert.Contains("11…11", predict.Message);
            Assert.Contains("[0, 1]", Assert.Throws<ArgumentException>(() => Guidance.LabelDropout(four, 3, 1.5, new Generator(1))).Message);

            using var known = zeros(4, 2);
            using var wrongShape = ones(3);
            var mask = Assert.Throws<ArgumentException>(() => Inpainting.Sample(s, exact, known, wrongShape, new InpaintingOptions()));
            Assert.Contains("[4, 2]", mask.Message); Assert.Contains("[2]", mask.Message); Assert.Contains("got [3]", mask.Message);
            using var notBinary = global::Dsl.ScalarOps.Full(new long[] { 2 }, 0.5f);
            Assert.Contains("only 0 (missing) and 1 (known)", Assert.Throws<ArgumentException>(() => Inpainting.Sample(s, exact, known, notBinary, new InpaintingOptions())).Message);
            using var allKnown = ones(2);
            Assert.Contains("nothing to inpaint", Assert.Throws<ArgumentException>(() => Inpainting.Sample(s, exact, known, allKnown, new InpaintingOptions())).Message);
            using var half = tensor(new float[] { 1, 0 });
            Assert.Contains("Resample", Assert.Throws<ArgumentException>(() => Inpainting.Sample(s, exact, known, half, new InpaintingOptions { Resample = 0 })).Message);

            var net = new TimeClassifier(2, 3, width: 8, depth: 0, generator: new Generator(1));
            using var wide = zeros(4, 3);
            Assert.Contains("[N, 2]", Assert.Throws<ArgumentException>(() => Guidance.ClassifierLoss(s, net, wide, four, new Generator(1))).Message);
        }

        [Fact]
        public void A_NaN_classifier_loss_stops_training_and_keeps_the_last_good_checkpoint()
        {
            var s = DdpmTests.Linear(100);
            var (x, y) = Gaussians8(256, 3);
            var path = Path.Combine(folder, "classifier.ckpt");
            var classifier = new TimeClassifier(2, Modes, width: 16, depth: 1, generator: new Generator(1));
            Trainer.Train(classifier, new LabelledTensorDataStream(x, y, 32, 1), (xb, yb, g) => Guidance.ClassifierLoss(s, classifier, xb, yb, g),
                new TrainerOptions { Steps = 4, LearningRate = 1e-3, CheckpointPath = path, CheckpointEvery = 2 });
            var before = File.ReadAllBytes(path);
            using var poisoned = global::Dsl.ScalarOps.FullLike(x, double.NaN);
            var e = Assert.Throws<TrainingDivergedException>(() => Trainer.Train(classifier, new LabelledTensorDataStream(poisoned, y, 32, 1),
                (xb, yb, g) => Guidance.ClassifierLoss(s, classifier, xb, yb, g), new TrainerOptions { Steps = 8, LearningRate = 1e-3, CheckpointPath = path, CheckpointEvery = 1, Resume = true }));
            Assert.Contains("step 4", e.Message);
            Assert.Equal(before, File.ReadAllBytes(path));
            var other = new TimeClassifier(2, Modes, width: 32, depth: 1, generator: new Generator(1));
            using var optimizer = new AdamOptimizer(other.parameters());
            var mismatch = Assert.Throws<CheckpointException>(() => Checkpoint.Load(path, other, optimizer, null));
            Assert.Contains("width=16", mismatch.Message); Assert.Contains("width=32", mismatch.Message);
            x.Dispose(); y.Dispose();
        }

        [Fact]
        public void Guided_sampling_inpainting_and_labelled_training_leave_no_tensors_behind()
        {
            var s = DdpmTests.Linear(100);
            var exact = ExactMixtureNoise(s.Sde);
            var (x, y) = Gaussians8(64, 1);
            var classifier = new TimeClassifier(2, Modes, width: 16, depth: 1, generator: new Generator(1));
            var net = new TimeMlp(2, width: 16, depth: 1, classes: Modes, generator: new Generator(2));
            using var labels = global::Dsl.ScalarOps.Full(new long[] { 16 }, 1, ScalarType.Int64);
            using var mask = tensor(new float[] { 1, 0 });
            using var first = x.narrow(0, 0, 16);
            using var second = x.narrow(0, 16, 16);
            void Run()
            {
                Trainer.Train(classifier, new LabelledTensorDataStream(x, y, 16, 1), (xb, yb, g) => Guidance.ClassifierLoss(s, classifier, xb, yb, g), new TrainerOptions { Steps = 2, LearningRate = 1e-3 });
                Trainer.Train(net, new LabelledTensorDataStream(x, y, 16, 1), (xb, yb, g) =>
                {
                    using var dropped = Guidance.LabelDropout(yb, Modes, 0.2, g);
                    return Ddpm.SimpleLoss(s, net, xb, g, DdpmTarget.Noise, dropped);
                }, new TrainerOptions { Steps = 2, LearningRate = 1e-3, EmaDecay = 0.9 });
                using (var r = Ddpm.Ddim(s, Guidance.ClassifierGuided(s.Sde, exact, classifier, labels, 2), 16, 2, Ddim(1, 5))) { }
                using (var r = Ddpm.Ancestral(s, Guidance.ClassifierFree(net, labels, 2), 16, 2, Ddim(1))) { }
                using (var r = Inpainting.Sample(s, exact, first, mask, new InpaintingOptions { Steps = 5, Resample = 2 })) { }
                Inpainting.MaskedMse(first, second, mask);
                Guidance.Accuracy(classifier, x, y);
            }
            Run();                                                                  // warm-up: lazily created tensors
            long before = Live();
            Run();
            Assert.Equal(before, Live());
            x.Dispose(); y.Dispose();
        }
    }
}
