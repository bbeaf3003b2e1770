using System;
using System.Linq;
using Dsl.Diffusion;
using Dsl.Models.Data;
using Dsl.Networks;
using Dsl.Sampling;
using Dsl.ScoreMatching;
using Dsl.Sde;
using Dsl.Training;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// Neural scores beyond DDPM (issue 7): the NCSN adapter over the annealed Langevin sampler, continuous-time DSM on the
    /// generated VP/VE kernels with λ = σₜ² and g², checked against Gaussian data whose perturbed score is known in closed form,
    /// and small trainings that must beat the untrained network by a margin.
    /// </summary>
    public sealed class NeuralScoreTests
    {
        private readonly ITestOutputHelper output;

        public NeuralScoreTests(ITestOutputHelper output) { this.output = output; }

        private const double Mu0 = 0.7, Mu1 = -0.4, DataStd = 0.5;

        private static Tensor Mean(long n) => tensor(new float[] { (float)Mu0, (float)Mu1 }).unsqueeze(0).expand(n, 2);

        /// <summary>The VP kernel in closed form (β linear 0.1 → 20): m = exp(−¼t²(β_max − β_min) − ½tβ_min), v = 1 − m².</summary>
        private static (double M, double V) VpKernel(double t) { double m = System.Math.Exp(-0.25 * t * t * 19.9 - 0.5 * t * 0.1); return (m, 1 - m * m); }

        /// <summary>The VE kernel in closed form: m = 1, v = σ_min²((σ_max/σ_min)^{2t} − 1).</summary>
        private static (double M, double V) VeKernel(double t, double min, double max) => (1, min * min * (System.Math.Pow(max / min, 2 * t) - 1));

        /// <summary>
        /// A network that knows the answer for data N(μ, s²I): given the adapter's scaled input and time it returns the noise
        /// prediction the exact score implies, so the adapters' conversions (input scaling, σ ↔ τ, 1/σ) are checked end to end.
        /// </summary>
        private sealed class OracleNetwork : IDiffusionNetwork
        {
            private readonly Func<Tensor, Tensor, Tensor> predict;
            public OracleNetwork(Func<Tensor, Tensor, Tensor> predict) { this.predict = predict; }
            public string ModelName => "oracle";
            public int Dim => 2;
            public Tensor Predict(Tensor x, Tensor time, Tensor? condition = null) => predict(x, time);
        }

        /// <summary>An oracle ε-network on a linear SDE: input u = x/√(m² + v), output √v·(x − mμ)/(m²s² + v) = −σₜ∇log pₜ(x).</summary>
        private static OracleNetwork SdeOracle(ISde sde) => new((u, t) =>
        {
            var m = sde.MeanCoefficient(t).unsqueeze(1);
            var v = sde.MarginalStd(t).Square().unsqueeze(1);
            var x = u * (m.Square().Add(v)).sqrt();
            return v.sqrt() * (x - Mean(x.shape[0]) * m) / (m.Square().Mul(DataStd).Mul(DataStd).Add(v));
        });

        /// <summary>An oracle noise-conditional network: σ = σ_min(σ_max/σ_min)^τ, x = u√(1 + σ²), output σ(x − μ)/(s² + σ²).</summary>
        private static OracleNetwork NcsnOracle(double min, double max) => new((u, tau) =>
        {
            var sigma = (tau.Mul(System.Math.Log(max / min))).exp().Mul(min).unsqueeze(1);
            var x = u * (sigma.Square().Add(1)).sqrt();
            return sigma * (x - Mean(x.shape[0])) / (sigma.Square().Add(DataStd * DataStd));
        });

        [Fact]
        public void Noise_network_adapters_give_the_closed_form_score_of_perturbed_Gaussian_data()
        {
            using var scope = NewDisposeScope();
            var g = new Generator(3);
            var x = empty(64, 2).normal_(0, 2, generator: g);
            var vp = new VpSde();
            var ve = new VeSde { SigmaMin = 0.01, SigmaMax = 5 };
            foreach (double time in new[] { 1e-3, 0.1, 0.5, 1.0 })
            {
                var t = global::Dsl.ScalarOps.Full(new long[] { 64 },time,ScalarType.Float32);
                foreach (var (sde, kernel) in new (ISde, (double M, double V))[] { (vp, VpKernel(time)), (ve, VeKernel(time, 0.01, 5)) })
                {
                    var s = ScoreNetworks.FromNoiseNetwork(sde, SdeOracle(sde)).Score(x, t);
                    var truth = (-(x - Mean(64).Mul(kernel.M))).Div((kernel.M * kernel.M * DataStd * DataStd + kernel.V));
                    double error = (s - truth).abs().max().ToDoubleValue() / (truth.abs().max().ToDoubleValue() + 1e-6);
                    Assert.True(error < 1e-4, $"{sde.SdeName} at t = {time}: relative error {error}");
                }
            }
            var ncsn = new NoiseConditionalNetwork(NcsnOracle(0.01, 5), 0.01, 5);
            foreach (double sigma in new[] { 0.01, 0.3, 5.0 })
            {
                var s = ncsn.ScoreNoGrad(x, global::Dsl.ScalarOps.Full(new long[] { 64 },sigma,ScalarType.Float32));
                var truth = (-(x - Mean(64))).Div((DataStd * DataStd + sigma * sigma));
                Assert.True((s - truth).abs().max().ToDoubleValue() < 1e-4 * truth.abs().max().ToDoubleValue(), $"NCSN score at σ = {sigma}");
            }
            // NCSN read as the VE SDE (m = 1): sₜ(x) = s_θ(x, √v(t)).
            var asTime = ncsn.AsTimeScore(ve);
            foreach (double time in new[] { 0.05, 0.5, 1.0 })
            {
                var truth = (-(x - Mean(64))).Div((DataStd * DataStd + VeKernel(time, 0.01, 5).V));
                Assert.True((asTime.Score(x, global::Dsl.ScalarOps.Full(new long[] { 64 },time,ScalarType.Float32)) - truth).abs().max().ToDoubleValue() < 1e-4 * truth.abs().max().ToDoubleValue(), $"VE time score at t = {time}");
            }
        }

        [Fact]
        public void Annealed_Langevin_over_the_NCSN_adapter_ends_at_the_data_convolved_with_the_last_level()
        {
            using var scope = NewDisposeScope();
            var sigmas = NoiseSchedule.Geometric(5, 0.05, 10);
            var model = new NoiseConditionalNetwork(NcsnOracle(0.05, 5), 0.05, 5);
            const int n = 4000;
            var start = empty(n, 2).normal_(0, 5, generator: new Generator(5));
            using var r = Samplers.AnnealedLangevin(model, start, sigmas, 1e-3, 100, new SamplerOptions { Seed = 6 });
            // Target of the last level: N(μ, (s² + σ_L²)I). The unadjusted step adds ≈ α_L/4 = 2.5e-4 to the variance.
            double variance = DataStd * DataStd + 0.05 * 0.05;
            var mean = r.Samples.mean(new long[] { 0 });
            var var = r.Samples.var(new long[] { 0 });
            for (int d = 0; d < 2; d++)
            {
                double mu = d == 0 ? Mu0 : Mu1;
                double m = mean[d].ToDoubleValue(), v = var[d].ToDoubleValue();
                Assert.True(System.Math.Abs(m - mu) < 4 * System.Math.Sqrt(variance / n), $"mean[{d}] {m} vs {mu}");
                Assert.True(System.Math.Abs(v - variance) < 4 * variance * System.Math.Sqrt(2.0 / n) + 2e-3, $"variance[{d}] {v} vs {variance}");
            }
        }

        public static TheoryData<string, TimeWeighting> Kernels => new()
        {
            { "vp", TimeWeighting.Variance }, { "vp", TimeWeighting.Likelihood }, { "ve", TimeWeighting.Variance }, { "ve", TimeWeighting.Likelihood },
        };

        private static ISde Make(string name) => name == "vp" ? new VpSde() : new VeSde { SigmaMin = 0.01, SigmaMax = 5 };

        [Theory]
        [MemberData(nameof(Kernels))]
        public void Loss_of_the_exact_score_is_the_irreducible_part_and_a_wrong_score_pays_exactly_its_squared_error(string name, TimeWeighting weighting)
        {
            // For data N(μ, s²I), per time t: ½λE‖s − ∇log p₀ₜ‖² at the exact score sₜ = −(x − mμ)/(m²s² + v) is the irreducible
            // ½λD(1/v − 1/(m²s² + v)); a score off by a constant c pays ½λ‖c‖² more (the cross term has mean 0 given xₜ).
            using var scope = NewDisposeScope();
            var sde = Make(name);
            var exact = TimeScores.FromScorePrediction(2, (x, t) =>
            {
                var m = sde.MeanCoefficient(t).unsqueeze(1);
                var v = sde.MarginalStd(t).Square().unsqueeze(1);
                return -(x - Mean(x.shape[0]) * m) / (m.Square().Mul(DataStd).Mul(DataStd).Add(v));
            });
            var shift = tensor(new float[] { 0.3f, -0.2f }).unsqueeze(0);
            var wrong = TimeScores.FromScorePrediction(2, (x, t) => exact.Score(x, t).Add(shift));
            const int n = 40_000;
            var g = new Generator(11);
            foreach (double time in new[] { 0.02, 0.2, 0.6, 1.0 })
            {
                var (mt, vt) = name == "vp" ? VpKernel(time) : VeKernel(time, 0.01, 5);
                double lambda = weighting == TimeWeighting.Variance ? vt
                    : name == "vp" ? 0.1 + time * 19.9 : System.Math.Pow(0.01 * System.Math.Pow(500, time), 2) * 2 * System.Math.Log(500);
                var x0 = empty(n, 2).normal_(0, DataStd, generator: g).Add(Mean(n));
                var z = empty(n, 2).normal_(0, 1, generator: g);
                var t = global::Dsl.ScalarOps.Full(new long[] { n },time,ScalarType.Float32);
                var good = ContinuousTimeScoreMatching.PerSample(sde, exact, x0, t, z, weighting).to_type(ScalarType.Float64);
                var bad = ContinuousTimeScoreMatching.PerSample(sde, wrong, x0, t, z, weighting).to_type(ScalarType.Float64);
                double irreducible = 0.5 * lambda * 2 * (1 / vt - 1 / (mt * mt * DataStd * DataStd + vt));
                double mean = good.mean().ToDoubleValue(), se = good.std().ToDoubleValue() / System.Math.Sqrt(n);
                var excess = bad - good;
                double excessMean = excess.mean().ToDoubleValue(), excessSe = excess.std().ToDoubleValue() / System.Math.Sqrt(n);
                double expectedExcess = 0.5 * lambda * (0.3 * 0.3 + 0.2 * 0.2);
                output.WriteLine($"{name} {weighting} t = {time}: loss {mean:G5} ± {se:G2} vs {irreducible:G5}; excess {excessMean:G5} ± {excessSe:G2} vs {expectedExcess:G5}");
                Assert.True(System.Math.Abs(mean - irreducible) < 4 * se + 1e-4 * irreducible, $"{name} {weighting} t = {time}: {mean} ± {se} vs {irreducible}");
                Assert.True(System.Math.Abs(excessMean - expectedExcess) < 4 * excessSe + 1e-4 * expectedExcess, $"{name} {weighting} t = {time}: excess {excessMean} ± {excessSe} vs {expectedExcess}");
            }
            // The t-average with λ = σₜ² against its quadrature (bounded integrand, so the Monte Carlo error is plain).
            if (weighting == TimeWeighting.Variance)
            {
                var x0 = empty(n, 2).normal_(0, DataStd, generator: g).Add(Mean(n));
                var losses = Enumerable.Range(0, 5).Select(_ => ContinuousTimeScoreMatching.Loss(sde, exact, x0, weighting, g, 1e-3).ToDoubleValue()).ToArray();
                double quadrature = 0;
                const int k = 20_000;
                for (int i = 0; i < k; i++)
                {
                    double time = 1e-3 + (i + 0.5) * (1 - 1e-3) / k;
                    var (mt, vt) = name == "vp" ? VpKernel(time) : VeKernel(time, 0.01, 5);
                    quadrature += vt * (1 / vt - 1 / (mt * mt * DataStd * DataStd + vt)) / k;   // ½λD(…) with D = 2
                }
                double average = losses.Average(), spread = System.Math.Sqrt(losses.Select(l => (l - average) * (l - average)).Sum() / 4 / 5);
                output.WriteLine($"{name}: E_t loss {average:G5} ± {spread:G2} vs quadrature {quadrature:G5}");
                Assert.True(System.Math.Abs(average - quadrature) < 4 * spread + 0.01 * quadrature, $"{average} ± {spread} vs {quadrature}");
            }
        }

        private static (double LogDensity, double Mmd) Fit(Tensor samples, Tensor data) =>
            (Toy2D.Gaussians8LogDensity(samples).ClampMin(-50).mean().ToDoubleValue(), SampleStatistics.Mmd2(samples, data));

        /// <summary>Mean and standard error of before − after for paired per-sample losses (same data, levels/times and noise).</summary>
        private static (double Mean, double Se) Improvement(Tensor before, Tensor after)
        {
            using var d = (before - after).to_type(ScalarType.Float64);
            return (d.mean().ToDoubleValue(), d.std().ToDoubleValue() / System.Math.Sqrt(d.shape[0]));
        }

        [Fact]
        public void NCSN_training_on_eight_Gaussians_beats_the_untrained_network()
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var scope = NewDisposeScope();
            var data = Toy2D.Sample(Toy2DKind.Gaussians8, 1000, new Generator(77));
            var sigmas = NoiseSchedule.Geometric(5, 0.02, 8);
            // Held-out multi-scale DSM terms ½‖σ s_θ(x + σz, σ) + z‖² with fixed (x, σ, z): paired before/after.
            var heldOut = Toy2D.Sample(Toy2DKind.Gaussians8, 8192, new Generator(78));
            var hg = new Generator(79);
            var levels = tensor(sigmas).to_type(ScalarType.Float32).index_select(0, randint(0, sigmas.Length, new long[] { 8192 }, generator: hg));
            var noise = empty(8192, 2).normal_(0, 1, generator: hg);
            (Tensor Loss, double LogDensity, double Mmd) Evaluate(TimeMlp net)
            {
                var model = new NoiseConditionalNetwork(net, 0.02, 5);
                Tensor loss;
                using (no_grad()) loss = ((model.Score(heldOut.Add(noise * levels.unsqueeze(1)), levels) * levels.unsqueeze(1)).Add(noise)).Square().sum(1).Mul(0.5);
                using var inner = NewDisposeScope();
                var start = empty(1000, 2).normal_(0, 5, generator: new Generator(5));
                using var r = Samplers.AnnealedLangevin(model, start, sigmas, 5e-5, 40, new SamplerOptions { Seed = 6 });
                var (logDensity, mmd) = Fit(r.Samples, data);
                return (loss, logDensity, mmd);
            }
            var before = Evaluate(new TimeMlp(2, width: 64, depth: 2, generator: new Generator(11)));
            var net = new TimeMlp(2, width: 64, depth: 2, generator: new Generator(11));
            var ncsn = new NoiseConditionalNetwork(net, 0.02, 5);
            var result = Trainer.Train(net, new SampledDataStream((k, g) => Toy2D.Sample(Toy2DKind.Gaussians8, k, g), 2, 256, 0),
                (x, g) => ScoreMatchingLosses.NoiseConditional(ncsn, x, sigmas, g), new TrainerOptions { Steps = 600, LearningRate = 5e-3, EmaDecay = 0.99, Seed = 0 });
            var after = Evaluate(net);
            var (gain, se) = Improvement(before.Loss, after.Loss);
            output.WriteLine($"held-out loss {before.Loss.mean().ToDoubleValue():F4} → {after.Loss.mean().ToDoubleValue():F4} (gain {gain:F4} ± {se:F4}); mean log p(samples) {before.LogDensity:F2} → {after.LogDensity:F2}; " +
                $"MMD² {before.Mmd:F4} → {after.Mmd:F4}; {clock.Elapsed.TotalSeconds:F1} s");
            Assert.True(gain > 6 * se, $"held-out loss gain {gain} ± {se}");
            Assert.True(after.LogDensity > before.LogDensity + 5, $"samples did not move onto the modes: {before.LogDensity} → {after.LogDensity}");
            Assert.True(after.Mmd < before.Mmd / 3, $"MMD² {after.Mmd} (before {before.Mmd})");
        }

        [Theory]
        [InlineData(TimeWeighting.Variance)]
        [InlineData(TimeWeighting.Likelihood)]
        public void Continuous_time_VP_training_lowers_the_held_out_loss_and_improves_samples(TimeWeighting weighting)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var scope = NewDisposeScope();
            var sde = new VpSde();
            var data = Toy2D.Sample(Toy2DKind.Gaussians8, 1000, new Generator(77));
            var heldOut = Toy2D.Sample(Toy2DKind.Gaussians8, 8192, new Generator(78));
            var hg = new Generator(79);
            var times = empty(8192).uniform_(1e-3, 1, generator: hg);
            var noise = empty(8192, 2).normal_(0, 1, generator: hg);
            (Tensor Loss, double LogDensity, double Mmd) Evaluate(TimeMlp net)
            {
                var score = ScoreNetworks.FromNoiseNetwork(sde, net);
                Tensor loss;
                using (no_grad()) loss = ContinuousTimeScoreMatching.PerSample(sde, score, heldOut, times, noise, weighting);   // the same (x₀, t, z) before and after
                using var inner = NewDisposeScope();
                using var r = SdeSolvers.Sample(sde, score, 1000, new SdeSamplerOptions { Steps = 200, Seed = 6, Epsilon = 1e-3 });
                var (logDensity, mmd) = Fit(r.Samples, data);
                return (loss, logDensity, mmd);
            }
            var before = Evaluate(new TimeMlp(2, width: 64, depth: 2, generator: new Generator(11)));
            var net = new TimeMlp(2, width: 64, depth: 2, generator: new Generator(11));
            var trained = ScoreNetworks.FromNoiseNetwork(sde, net);
            var result = Trainer.Train(net, new SampledDataStream((k, g) => Toy2D.Sample(Toy2DKind.Gaussians8, k, g), 2, 256, 0),
                (x, g) => ContinuousTimeScoreMatching.Loss(sde, trained, x, weighting, g), new TrainerOptions { Steps = 600, LearningRate = 5e-3, EmaDecay = 0.99, Seed = 0 });
            var after = Evaluate(net);
            var (gain, se) = Improvement(before.Loss, after.Loss);
            output.WriteLine($"{weighting}: held-out loss {before.Loss.mean().ToDoubleValue():F4} → {after.Loss.mean().ToDoubleValue():F4} (gain {gain:F4} ± {se:F4}); mean log p(samples) {before.LogDensity:F2} → {after.LogDensity:F2}; " +
                $"MMD² {before.Mmd:F4} → {after.Mmd:F4}; train loss {result.LossHistory[0]:F3} → {result.FinalLoss:F3}; {clock.Elapsed.TotalSeconds:F1} s");
            Assert.True(gain > 6 * se, $"held-out loss gain {gain} ± {se}");
            Assert.True(after.LogDensity > before.LogDensity + 5, $"samples did not move onto the modes: {before.LogDensity} → {after.LogDensity}");
            // λ = g² weights t near 0 by ≈ 1/t, so its gradients are noisier and 600 steps fit less (measured 0.351 → 0.136 vs 0.078 with σₜ²).
            Assert.True(after.Mmd < before.Mmd / (weighting == TimeWeighting.Variance ? 3 : 2), $"MMD² {after.Mmd} (before {before.Mmd})");
        }

        [Fact]
        public void Bad_input_gets_messages_naming_the_argument_and_the_expectation()
        {
            using var scope = NewDisposeScope();
            var net = new TimeMlp(2, width: 8, depth: 1, generator: new Generator(1));
            var ncsn = new NoiseConditionalNetwork(net, 0.01, 5);
            var x = zeros(4, 2);
            Assert.Contains("positive", Assert.Throws<ArgumentException>(() => ncsn.Score(x, zeros(4))).Message);
            Assert.Contains("positive", Assert.Throws<ArgumentException>(() => ncsn.Score(x, global::Dsl.ScalarOps.Full(new long[] { 4 },-1f))).Message);
            Assert.Contains("[N, 2]", Assert.Throws<ArgumentException>(() => ncsn.Score(zeros(4, 3), ones(4))).Message);
            Assert.Contains("[N] = [4]", Assert.Throws<ArgumentException>(() => ncsn.Score(x, ones(3))).Message);
            Assert.Contains("σ_max > σ_min > 0", Assert.Throws<ArgumentException>(() => new NoiseConditionalNetwork(net, 5, 0.01)).Message);
            Assert.Contains("σ_max > σ_min > 0", Assert.Throws<ArgumentException>(() => new NoiseConditionalNetwork(net, 0, 1)).Message);
            Assert.Contains("no energy", Assert.Throws<NotSupportedException>(() => ((INoiseConditionalModel)ncsn).Energy(x, ones(4))).Message);
            Assert.Contains("strictly decreasing", Assert.Throws<ArgumentException>(() => Samplers.AnnealedLangevin(ncsn, x, new[] { 0.1, 1.0 }, 1e-3, 2, new SamplerOptions())).Message);

            var sde = new VpSde();
            var score = ScoreNetworks.FromNoiseNetwork(sde, net);
            var g = new Generator(2);
            Assert.Contains("[N, 2]", Assert.Throws<ArgumentException>(() => ContinuousTimeScoreMatching.Loss(sde, score, zeros(4, 3), TimeWeighting.Variance, g)).Message);
            Assert.Contains("(0, T = 1)", Assert.Throws<ArgumentException>(() => ContinuousTimeScoreMatching.Loss(sde, score, x, TimeWeighting.Variance, g, 0)).Message);
            Assert.Contains("(0, T = 1)", Assert.Throws<ArgumentException>(() => ContinuousTimeScoreMatching.Loss(sde, score, x, TimeWeighting.Likelihood, g, 1.5)).Message);
            Assert.Contains("t must be [N] = [4]", Assert.Throws<ArgumentException>(() => ContinuousTimeScoreMatching.PerSample(sde, score, x, ones(3), zeros(4, 2), TimeWeighting.Variance)).Message);
            Assert.Contains("z must have the shape", Assert.Throws<ArgumentException>(() => ContinuousTimeScoreMatching.PerSample(sde, score, x, ones(4), zeros(4, 3), TimeWeighting.Variance)).Message);
        }
    }
}
