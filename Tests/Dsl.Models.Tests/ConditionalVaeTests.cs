using System;
using System.IO;
using System.Linq;
using Dsl.Examples.Experiments;
using Dsl.Models.Data;
using Dsl.Training;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// The conditional VAE (<see cref="Vae"/> with classes K = 10): its ELBO's terms against computations made here (the closed-form
    /// and Monte-Carlo KL, the Bernoulli and Gaussian reconstruction from the decoder's output), the label's effect, its errors, and
    /// a short training run whose samples of each requested digit the clean judge of `dsl guided` recognises far above chance and
    /// far above the unconditional VAE's samples' agreement with random requested labels.
    /// </summary>
    public class ConditionalVaeTests
    {
        private readonly ITestOutputHelper output;

        public ConditionalVaeTests(ITestOutputHelper output) => this.output = output;

        private static Vae Float64Model(VaeLikelihood likelihood, ulong seed)
        {
            var vae = new Vae(64, 4, 16, likelihood, new Generator(seed), classes: 10);
            vae.to(ScalarType.Float64);
            return vae;
        }

        private static Tensor Labels(params long[] y) => tensor(y);

        private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && (a - b).abs().max().ToDoubleValue() == 0;

        [Theory]
        [InlineData(VaeLikelihood.Bernoulli)]
        [InlineData(VaeLikelihood.Gaussian)]
        public void The_ELBO_is_the_hand_computed_reconstruction_minus_the_closed_form_KL(VaeLikelihood likelihood)
        {
            using var scope = NewDisposeScope();
            var vae = Float64Model(likelihood, 7);
            var data = new Generator(3);
            var u = empty(new long[] { 6, 64 }, dtype: ScalarType.Float64).uniform_(0, 1, generator: data);
            var x = likelihood == VaeLikelihood.Bernoulli ? u.Gt(0.5).to_type(ScalarType.Float64) : u;
            var y = Labels(0, 3, 9, 3, 5, 1);
            const int samples = 5;
            var (elbo, reconstruction, kl) = vae.Elbo(x, new Generator(11), samples, y);

            // KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σ (σ² + μ² − 1 − log σ²), from the encoder's own output.
            var (mu, logVar) = vae.Encode(x, y);
            var klHand = ScalarOps.Add(logVar.exp(), ScalarOps.Square(mu)).Sub(1).sub(logVar).sum(new long[] { 1 }).Mul(0.5);
            Assert.True((kl - klHand).abs().max().ToDoubleValue() < 1e-12, "KL vs ½Σ(σ² + μ² − 1 − log σ²)");

            // The reconstruction term: the same S draws ε (the ELBO's first use of its generator), z = μ + σε, the decoder's output at
            // (z, y), and log p(x|z, y) written out per pixel.
            var eps = empty(new long[] { samples, 6, 4 }, dtype: ScalarType.Float64).normal_(0, 1, generator: new Generator(11));
            double worst = 0;
            var logLik = zeros(new long[] { 6 }, dtype: ScalarType.Float64);
            for (int s = 0; s < samples; s++)
            {
                var z = ScalarOps.Add(mu, logVar.Mul(0.5).exp() * eps[s]);
                var output = vae.Decode(z, y);
                Tensor perPixel;
                if (likelihood == VaeLikelihood.Bernoulli)
                {
                    var p = output.sigmoid();
                    perPixel = ScalarOps.Add(x * p.log(), x.Mul(-1).Add(1) * p.Mul(-1).Add(1).log());   // x log p + (1 − x) log(1 − p)
                }
                else
                {
                    double logStd = vae.named_parameters().Single(q => q.Item1.EndsWith("dec_logstd", StringComparison.Ordinal)).Item2.ToDoubleValue();
                    perPixel = ScalarOps.Square((x - output).Div(System.Math.Exp(logStd))).Mul(-0.5).Sub(logStd + 0.5 * System.Math.Log(2 * System.Math.PI));
                }
                var row = perPixel.sum(new long[] { 1 });
                logLik = ScalarOps.Add(logLik, row.Div(samples));
                worst = System.Math.Max(worst, (vae.LogLikelihood(x, z, y) - row).abs().max().ToDoubleValue());
            }
            Assert.True(worst < 1e-9, "LogLikelihood vs the hand formula: " + worst);
            Assert.True((reconstruction - logLik).abs().max().ToDoubleValue() < 1e-9, "reconstruction vs the hand-computed mean of log p(x|z, y)");
            Assert.True((elbo - (reconstruction - kl)).abs().max().ToDoubleValue() < 1e-12);
        }

        [Fact]
        public void The_KL_term_matches_a_Monte_Carlo_estimate_of_E_q_log_q_minus_log_p_within_4_standard_errors()
        {
            using var scope = NewDisposeScope();
            var vae = Float64Model(VaeLikelihood.Bernoulli, 8);
            var x = empty(new long[] { 4, 64 }, dtype: ScalarType.Float64).uniform_(0, 1, generator: new Generator(4)).Gt(0.5).to_type(ScalarType.Float64);
            var y = Labels(2, 7, 7, 0);
            var (_, _, kl) = vae.Elbo(x, new Generator(1), 1, y);
            var (mu, logVar) = vae.Encode(x, y);
            const int draws = 40_000;
            var eps = empty(new long[] { draws, 4, 4 }, dtype: ScalarType.Float64).normal_(0, 1, generator: new Generator(99));
            var z = ScalarOps.Add(mu, logVar.Mul(0.5).exp() * eps);                                // [draws, 4, L]
            // log q(z|x, y) − log p(z) = Σ [−½ ε² − ½ log σ² + ½ z²] (the 2π terms cancel).
            var f = ScalarOps.Add(ScalarOps.Square(eps).Mul(-0.5) - logVar.Mul(0.5), ScalarOps.Square(z).Mul(0.5)).sum(new long[] { 2 });   // [draws, 4]
            var mean = f.mean(new long[] { 0 });
            var se = f.std(new long[] { 0 }).Div(System.Math.Sqrt(draws));
            var zScore = ((mean - kl).abs() / se).max().ToDoubleValue();
            Assert.True(zScore < 4, $"KL vs Monte Carlo: {zScore:F2} standard errors (KL {kl[0].ToDoubleValue():F4}, MC {mean[0].ToDoubleValue():F4})");
            Assert.True(se.max().ToDoubleValue() < 0.05 * kl.min().ToDoubleValue(), "the Monte-Carlo check is sharp: SE under 5 % of the KL");
        }

        [Fact]
        public void The_label_conditions_both_the_encoder_and_the_decoder()
        {
            using var scope = NewDisposeScope();
            var vae = Float64Model(VaeLikelihood.Bernoulli, 9);
            var z = empty(new long[] { 5, 4 }, dtype: ScalarType.Float64).normal_(0, 1, generator: new Generator(2));
            var x = empty(new long[] { 5, 64 }, dtype: ScalarType.Float64).uniform_(0, 1, generator: new Generator(5));
            var threes = Labels(3, 3, 3, 3, 3);
            var eights = Labels(8, 8, 8, 8, 8);
            Assert.True((vae.Decode(z, threes) - vae.Decode(z, eights)).abs().max().ToDoubleValue() > 0.1, "the decoder's output moves with y at fixed z");
            Assert.True((vae.Encode(x, threes).Mu - vae.Encode(x, eights).Mu).abs().max().ToDoubleValue() > 0.1, "the encoder's mean moves with y at fixed x");
            Assert.True(Same(vae.Decode(z, threes), vae.Decode(z, threes)), "the same (z, y) decodes the same");
        }

        [Fact]
        public void Bad_labels_and_misuse_name_the_model_the_argument_and_the_expected_range()
        {
            using var scope = NewDisposeScope();
            var vae = new Vae(64, 4, 16, VaeLikelihood.Bernoulli, new Generator(1), classes: 10);
            var x = zeros(3, 64);
            var g = new Generator(1);
            var e = Assert.Throws<ArgumentException>(() => vae.Elbo(x, g, 1, Labels(0, 10, 2)));
            Assert.Contains("Vae.Elbo (argument 'labels'): labels must lie in 0…9; got values in 0…10", e.Message);
            e = Assert.Throws<ArgumentException>(() => vae.Loss(x, g, Labels(0, 1)));
            Assert.Contains("Vae.Elbo (argument 'labels'): labels must be int64 [3] in 0…9", e.Message);
            e = Assert.Throws<ArgumentException>(() => vae.Decode(zeros(3, 4), tensor(new float[] { 0, 1, 2 })));
            Assert.Contains("Vae.Decode (argument 'labels'): labels must be int64 [3] in 0…9; got Float32", e.Message);
            var missing = Assert.Throws<ArgumentNullException>(() => vae.Encode(x));
            Assert.Contains("Vae.Encode: argument 'labels' is null; this conditional VAE needs labels y as int64 [N = 3] in 0…9", missing.Message);
            Assert.Contains("Vae.SampleMeans: this VAE is conditional on 10 classes", Assert.Throws<InvalidOperationException>(() => vae.SampleMeans(4, g)).Message);
            e = Assert.Throws<ArgumentException>(() => vae.SampleMeans(Labels(-1), g));
            Assert.Contains("Vae.SampleMeans (argument 'labels'): labels must lie in 0…9; got values in -1…-1", e.Message);
            e = Assert.Throws<ArgumentException>(() => vae.Encode(zeros(3, 65), Labels(0, 1, 2)));
            Assert.Contains("Vae.Encode", e.Message);

            var plain = new Vae(64, 4, 16, VaeLikelihood.Bernoulli, new Generator(1));
            e = Assert.Throws<ArgumentException>(() => plain.Elbo(x, g, 1, Labels(0, 1, 2)));
            Assert.Contains("Vae.Elbo: argument 'labels' must be null: this VAE is unconditional (classes = 0)", e.Message);
            Assert.Contains("unconditional", Assert.Throws<InvalidOperationException>(() => plain.SampleMeans(Labels(1), g)).Message);
            e = Assert.Throws<ArgumentException>(() => new Vae(64, 4, 16, classes: 1));
            Assert.Contains("Vae: classes K must be 0 (unconditional) or ≥ 2", e.Message);
        }

        /// <summary>A conditional VAE (L = 8, H = 64) trained on the first 1500 digits and their labels, as `dsl vae --conditional` trains it.</summary>
        private static Vae TrainConditional(int steps, long seed)
        {
            var images = Digits.Images(PixelScale.Binary).narrow(0, 0, 1500);
            var labels = Digits.Labels().narrow(0, 0, 1500);
            var vae = new Vae(64, 8, 64, VaeLikelihood.Bernoulli, new Generator((ulong)seed), classes: 10);
            Trainer.Train(vae, new LabelledTensorDataStream(images, labels, 128, seed), (x, y, g) => vae.Loss(x, g, y),
                new TrainerOptions { Steps = steps, LearningRate = 3e-3, Seed = seed });
            return vae;
        }

        [Fact]
        public void Samples_of_a_requested_digit_are_judged_that_digit_far_above_chance_and_above_the_unconditional_VAE()
        {
            string judgePath = Path.Combine(Path.GetTempPath(), "dsl-cvae-judge-" + Guid.NewGuid().ToString("N") + ".ckpt");
            try
            {
                var (judge, judgeTest, trained, _) = FamilyRuns.CleanDigitJudge(200, 0, judgePath, null, default);
                Assert.True(trained);
                Assert.True(judgeTest > 0.85, "the clean judge recognises held-out digits: " + judgeTest);
                var cvae = TrainConditional(400, 1);
                using var scope = NewDisposeScope();
                const int perDigit = 30, n = 10 * perDigit;
                var requested = arange(10, dtype: ScalarType.Int64).repeat_interleave(perDigit);
                var samples = cvae.SampleMeans(requested, new Generator(11));
                var hits = FamilyRuns.JudgeDigits(judge, samples).eq(requested).to_type(ScalarType.Float64);
                double accuracy = hits.mean().ToDoubleValue();
                double se = System.Math.Sqrt(accuracy * (1 - accuracy) / n), seChance = System.Math.Sqrt(0.1 * 0.9 / n);
                Assert.True(accuracy - 0.1 > 4 * System.Math.Max(se, seChance), $"accuracy {accuracy:F3} ± {se:F3} vs chance 0.1 (± {seChance:F3})");
                var byDigit = hits.reshape(10, perDigit).mean(new long[] { 1 });
                double floor = 0.1 + 4 * System.Math.Sqrt(0.1 * 0.9 / perDigit);
                for (int d = 0; d < 10; d++)
                    Assert.True(byDigit[d].ToDoubleValue() > floor, $"digit {d}: {byDigit[d].ToDoubleValue():F3} of {perDigit} judged as requested (chance + 4 SE = {floor:F3})");

                // The unconditional VAE's samples, each paired with a random requested label: agreement is chance, 0.1.
                var vae = FamiliesTests.TrainDigitsVae(400, 1);
                var random = randint(0, 10, new long[] { n }, generator: new Generator(12));
                double agreement = FamilyRuns.JudgeDigits(judge, vae.SampleMeans(n, new Generator(11))).eq(random).to_type(ScalarType.Float64).mean().ToDoubleValue();
                Assert.True(System.Math.Abs(agreement - 0.1) < 4 * seChance, $"unconditional samples agree with random labels at chance: {agreement:F3}");
                double paired = System.Math.Sqrt(se * se + agreement * (1 - agreement) / n);
                output.WriteLine($"judge test accuracy {judgeTest:F3}; conditional accuracy {accuracy:F3} ± {se:F3} (per digit {string.Join(", ", Enumerable.Range(0, 10).Select(d => byDigit[d].ToDoubleValue().ToString("F2")))}); unconditional with random labels {agreement:F3}");
                Assert.True(accuracy - agreement > 4 * paired, $"conditional {accuracy:F3} vs unconditional-with-random-labels {agreement:F3} (SE {paired:F3})");

                // Fixed seed, same samples; another seed, other samples.
                Assert.True(Same(samples, cvae.SampleMeans(requested, new Generator(11))));
                Assert.False(Same(samples, cvae.SampleMeans(requested, new Generator(12))));
            }
            finally
            {
                if (File.Exists(judgePath)) File.Delete(judgePath);
            }
        }

        [Fact]
        public void The_same_seed_trains_the_same_conditional_VAE()
        {
            using var scope = NewDisposeScope();
            var a = TrainConditional(20, 5);
            var b = TrainConditional(20, 5);
            var c = TrainConditional(20, 6);
            var y = Labels(4, 4, 9);
            Assert.True(Same(a.SampleMeans(y, new Generator(3)), b.SampleMeans(y, new Generator(3))));
            Assert.False(Same(a.SampleMeans(y, new Generator(3)), c.SampleMeans(y, new Generator(3))));
        }
    }
}
