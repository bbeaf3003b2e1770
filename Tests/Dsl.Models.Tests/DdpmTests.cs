using System;
using System.IO;
using System.Linq;
using Dsl.Diffusion;
using Dsl.Models.Data;
using Dsl.Networks;
using Dsl.Sde;
using Dsl.Solvers;
using Dsl.Training;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>DDPM (issue 7): schedules against closed forms, the bound against an exact NLL, training, samplers, failures.</summary>
    public sealed class DdpmTests : IDisposable
    {
        private readonly ITestOutputHelper output;
        private readonly string folder = Path.Combine(Path.GetTempPath(), "dsl-ddpm-" + Guid.NewGuid().ToString("N"));

        public DdpmTests(ITestOutputHelper output) { this.output = output; Directory.CreateDirectory(folder); }

        public void Dispose() => Directory.Delete(folder, recursive: true);

        internal static DdpmSchedule Linear(int T = 1000) => DdpmSchedule.FromDiscretisedSde(new VpSde { BetaMin = 1e-4 * T, BetaMax = 0.02 * T }, T);

        [Fact]
        public void Linear_schedule_is_Ho_et_al_table_and_its_times_sit_on_the_VP_kernel()
        {
            var s = Linear();
            Assert.Equal(1000, s.Steps);
            double alphaBar = 1;
            for (int t = 1; t <= 1000; t++)
            {
                double beta = 1e-4 + (t - 1) * (0.02 - 1e-4) / 999;
                alphaBar *= 1 - beta;
                if (t is 1 or 2 or 10 or 500 or 999 or 1000)
                {
                    int i = t - 1;
                    double previous = t == 1 ? 1 : alphaBar / (1 - beta);
                    Assert.Equal(beta, s.Betas[i], 1e-15);
                    Assert.Equal(alphaBar, s.AlphaBars[i], 1e-14);
                    Assert.Equal(System.Math.Sqrt(alphaBar), s.SqrtAlphaBars[i], 1e-14);
                    Assert.Equal(System.Math.Sqrt(1 - alphaBar), s.SqrtOneMinusAlphaBars[i], 1e-14);
                    Assert.Equal(beta * System.Math.Sqrt(previous) / (1 - alphaBar), s.PosteriorMeanCoef1[i], 1e-13);
                    Assert.Equal((1 - previous) * System.Math.Sqrt(1 - beta) / (1 - alphaBar), s.PosteriorMeanCoef2[i], 1e-13);
                    Assert.Equal(beta * (1 - previous) / (1 - alphaBar), s.PosteriorVariance[i], 1e-15);
                    if (t > 1) Assert.Equal(System.Math.Log(s.PosteriorVariance[i]), s.PosteriorLogVarianceClipped[i], 1e-12);
                    // τₜ: VpSde's kernel at τₜ is the step's marginal (past T = 1 by extrapolation, to 1e-6 relative).
                    double m2 = System.Math.Pow(s.Sde.MeanCoefficientAt(s.Times[i]), 2);
                    Assert.True(System.Math.Abs(m2 / alphaBar - 1) < (t >= 999 ? 2e-4 : 1e-10), $"t = {t}: m(τ)² = {m2}, ᾱ = {alphaBar}");
                }
            }
            Assert.Equal(0, s.PosteriorVariance[0]);
            Assert.Equal(System.Math.Log(s.PosteriorVariance[1]), s.PosteriorLogVarianceClipped[0]);
            Assert.Equal(4.035e-5, s.AlphaBars[^1], 1e-7);                   // Ho et al.'s ᾱ_T
            Assert.True(s.Times.Zip(s.Times.Skip(1)).All(p => p.First < p.Second));
        }

        [Fact]
        public void Cosine_schedule_is_Nichol_and_Dhariwal_closed_form_and_agrees_with_CosineVpSde()
        {
            var sde = new CosineVpSde();
            var s = DdpmSchedule.Cosine(sde);
            double F(double u) => System.Math.Pow(System.Math.Cos((u + 0.008) / 1.008 * System.Math.PI / 2), 2);
            foreach (int t in new[] { 1, 2, 100, 500, 900, 990 })
            {
                int i = t - 1;
                double a = F(t / 1000.0) / F(0), prev = F((t - 1) / 1000.0) / F(0);
                Assert.Equal(a, s.AlphaBars[i], 1e-12);
                Assert.Equal(1 - a / prev, s.Betas[i], 1e-12);
                Assert.Equal((1 - a / prev) * (1 - prev) / (1 - a), s.PosteriorVariance[i], 1e-12);
                // the tabulated continuous-time kernel of the DSL's CosineVpSde at τ = t/T
                Assert.Equal(a, System.Math.Pow(sde.MeanCoefficientAt(s.Times[i]), 2), 1e-6);
            }
            Assert.Equal(0.999, s.Betas[^1]);                                   // ᾱ(1) = 0: β_T clipped
            Assert.True(s.Betas.All(b => b > 0 && b <= 0.999));
        }

        [Fact]
        public void Parametrisations_and_the_posterior_are_consistent()
        {
            var s = Linear();
            using var scope = NewDisposeScope();
            var g = new Generator(3);
            var x0 = empty(64, 3, dtype: ScalarType.Float64).normal_(0, 1, generator: g);
            var eps = empty(64, 3, dtype: ScalarType.Float64).normal_(0, 1, generator: g);
            var t = randint(1, 1001, new long[] { 64 }, generator: g, dtype: ScalarType.Int64);
            var xt = Ddpm.QSample(s, x0, t, eps);
            Assert.True(Ddpm.DataFromNoise(s, xt, eps, t).allclose(x0, 1e-8, 1e-8));
            Assert.True(Ddpm.NoiseFromData(s, xt, x0, t).allclose(eps, 1e-6, 1e-8));
            var v = Ddpm.VelocityOf(s, x0, eps, t);
            Assert.True(Ddpm.DataFromVelocity(s, xt, v, t).allclose(x0, 1e-10, 1e-10));
            Assert.True(Ddpm.NoiseFromVelocity(s, xt, v, t).allclose(eps, 1e-10, 1e-10));
            // The posterior mean from x̂₀ equals Algorithm 2's (xₜ − βₜ/√(1 − ᾱₜ) ε)/√αₜ.
            var (mean, variance, _) = Ddpm.Posterior(s, x0, xt, t);
            var idx = t.data<long>().ToArray();
            var beta = tensor(idx.Select(k => s.Betas[k - 1]).ToArray(), ScalarType.Float64).unsqueeze(1);
            var sqrt1m = tensor(idx.Select(k => s.SqrtOneMinusAlphaBars[k - 1]).ToArray(), ScalarType.Float64).unsqueeze(1);
            var algorithm2 = (xt - beta / sqrt1m * eps) / (global::Dsl.ScalarOps.RSub(1,beta)).sqrt();
            Assert.True(mean.allclose(algorithm2, 1e-7, 1e-9), "max diff " + (mean - algorithm2).abs().max().ToDoubleValue());
            Assert.Equal(64, variance.shape[0]);
            // The typed continuous-time converters agree with the table at τₜ.
            var tau = s.Gather(s.Times, t, ScalarType.Float64);
            NoisePrediction trueNoise = (x, tt) => eps;
            VPrediction fromTable = (x, tt) => v;
            Assert.True(TimeScores.NoiseFromV(s.Sde, fromTable)(xt, tau).allclose(eps, 1e-6, 1e-6));
            Assert.True(TimeScores.DataFromNoise(s.Sde, trueNoise)(xt, tau).allclose(x0, 1e-4, 1e-4));
            Assert.True(TimeScores.VFromNoise(s.Sde, trueNoise)(xt, tau).allclose(v, 1e-4, 1e-4));
            Assert.Throws<ArgumentException>(() => Ddpm.QSample(s, x0, t.Add(1000), eps));
        }

        /// <summary>The exact ε-predictor of Gaussian data N(μ, s²I): E[ε | xₜ] = σ(x − mμ)/(m²s² + σ²).</summary>
        internal static NoisePrediction GaussianOracle(ISde sde, double[] mu, double std) => (x, tau) =>
        {
            using var scope = NewDisposeScope();
            var m = sde.MeanCoefficient(tau).unsqueeze(1);
            var sigma = sde.MarginalStd(tau).unsqueeze(1);
            var mean = tensor(mu, x.dtype).unsqueeze(0);
            return (sigma * (x - m * mean) / (m.Square().Mul(std).Mul(std).Add(sigma.Square()))).MoveToOuterDisposeScope();
        };

        [Fact]
        public void The_bound_of_a_perfect_noise_predictor_on_Gaussian_data_is_above_and_close_to_the_exact_NLL()
        {
            var s = Linear();
            double[] mu = { 0.3, -0.2 };
            double std = 0.5;
            using var scope = NewDisposeScope();
            var x0 = empty(2000, 2, dtype: ScalarType.Float64).normal_(0, 1, generator: new Generator(5)).Mul(std).Add(tensor(mu, ScalarType.Float64));
            var exact = ((x0 - tensor(mu, ScalarType.Float64)).Square().sum(new long[] { 1 }).Div((2 * std * std)).Add(System.Math.Log(2 * System.Math.PI * std * std))).mean().ToDoubleValue() / 2;
            var oracle = GaussianOracle(s.Sde, mu, std);
            using var vlb = Ddpm.VariationalBound(s, oracle, x0, new VlbOptions { Seed = 1 });
            using var large = Ddpm.VariationalBound(s, oracle, x0, new VlbOptions { Seed = 1, Variance = ReverseVariance.Beta });
            using var ode = Ddpm.LogLikelihood(s, oracle, x0);
            double odeNll = -ode.LogLikelihood.mean().ToDoubleValue() / 2;
            output.WriteLine($"exact NLL {exact:F5} nats/dim; VLB (β̃) {vlb.NatsPerDim:F5} ± {vlb.StandardErrorNatsPerDim:F5} (L_T {vlb.PriorNatsPerDim:E2}, ΣL {vlb.DiffusionNatsPerDim:F5}, L0 {vlb.DecoderNatsPerDim:F5}); VLB (β) {large.NatsPerDim:F5}; ODE {odeNll:F5} ({ode.FunctionEvaluations} NFE)");
            // Both fixed variances give bounds above the NLL; σₜ² = βₜ is the tighter one for continuous data, because at small t
            // the true reverse variance β̃ₜ + coef1ₜ²·Var[x₀ | xₜ] is close to βₜ, and β̃ₜ underestimates it (ΣL_{t−1} ~ Σ βₜ/(1 − ᾱ_{t−1})).
            Assert.True(vlb.NatsPerDim > exact - 3 * vlb.StandardErrorNatsPerDim, "the bound must not fall below the NLL");
            Assert.True(large.NatsPerDim > exact - 3 * large.StandardErrorNatsPerDim, "the bound must not fall below the NLL");
            Assert.True(large.NatsPerDim - exact < 0.12, $"bound {large.NatsPerDim} too loose against {exact}");
            Assert.True(large.NatsPerDim < vlb.NatsPerDim);
            Assert.True(System.Math.Abs(odeNll - exact) < 2e-3, $"ODE NLL {odeNll} vs exact {exact}");
            Assert.True(vlb.PriorNatsPerDim < 1e-4);
        }

        [Fact]
        public void The_discretised_decoder_gives_bits_per_dim_and_refuses_data_outside_minus_one_one()
        {
            var s = Linear(100);
            using var scope = NewDisposeScope();
            var images = Digits.Images(PixelScale.Symmetric).narrow(0, 0, 32);
            var oracle = GaussianOracle(s.Sde, Enumerable.Repeat(0.0, 64).ToArray(), 0.7);
            using var vlb = Ddpm.VariationalBound(s, (x, t) => oracle(x.to_type(ScalarType.Float64), t.to_type(ScalarType.Float64)).to_type(x.dtype), images, new VlbOptions { BinWidth = 2.0 / 16 });
            output.WriteLine($"digits under a Gaussian oracle: {vlb.BitsPerDim:F3} bits/dim");
            Assert.True(vlb.BitsPerDim > 0 && double.IsFinite(vlb.BitsPerDim));   // −log₂ of a probability: positive
            var e = Assert.Throws<ArgumentException>(() => Ddpm.VariationalBound(s, oracle, Digits.Images(PixelScale.UnitInterval).Mul(16), new VlbOptions { BinWidth = 2.0 / 16 }));
            Assert.Contains("[−1, 1]", e.Message);
            Assert.Contains("PixelScale.Symmetric", Assert.Throws<ArgumentException>(() => DigitUNet.RequireSymmetricImages(Digits.Images(PixelScale.UnitInterval))).Message);
            Assert.Contains("8×8", Assert.Throws<ArgumentException>(() => new DigitUNet(8).Predict(zeros(2, 1, 28, 28), zeros(2))).Message);
        }

        internal static (TimeMlp Net, TrainingResult Result) TrainToy(DdpmSchedule s, Toy2DKind kind, int steps, string? checkpoint = null, int seed = 0, string? tag = null)
        {
            var net = new TimeMlp(2, width: 64, depth: 2, tag: tag ?? "schedule=" + s.Name, generator: new Generator((ulong)seed + 11));
            var data = new SampledDataStream((n, g) => Toy2D.Sample(kind, n, g), 2, 256, seed);
            var result = Trainer.Train(net, data, (x, g) => Ddpm.SimpleLoss(s, net, x, g),
                new TrainerOptions { Steps = steps, LearningRate = 5e-3, EmaDecay = 0.99, Seed = seed, CheckpointPath = checkpoint, CheckpointEvery = checkpoint is null ? 0 : 5, Resume = checkpoint is not null });
            return (net, result);
        }

        [Fact]
        public void A_trained_2D_model_fits_eight_Gaussians_better_than_before_and_its_ODE_likelihood_is_near_the_true_one()
        {
            var s = Linear();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var scope = NewDisposeScope();
            var data = Toy2D.Sample(Toy2DKind.Gaussians8, 1000, new Generator(77));
            double trueNll = -Toy2D.Gaussians8LogDensity(data).mean().ToDoubleValue() / 2;
            (double LogDensity, double Mmd) Fit(TimeMlp net)
            {
                using var inner = NewDisposeScope();
                using var r = Ddpm.Ddim(s, Ddpm.AsNoisePrediction(s, net), 1000, 2, new DdpmSamplerOptions { Steps = 25, Seed = 9 });
                return (Toy2D.Gaussians8LogDensity(r.Samples).ClampMin(-50).mean().ToDoubleValue(), SampleStatistics.Mmd2(r.Samples, data));
            }
            var untrained = new TimeMlp(2, width: 64, depth: 2, generator: new Generator(11));
            var before = Fit(untrained);
            output.WriteLine($"fit {clock.Elapsed.TotalSeconds:F1} s");
            var (net, result) = TrainToy(s, Toy2DKind.Gaussians8, 800);
            output.WriteLine($"train {clock.Elapsed.TotalSeconds:F1} s");
            var after = Fit(net);
            output.WriteLine($"fit {clock.Elapsed.TotalSeconds:F1} s");
            var subset = data.narrow(0, 0, 200);
            using var ll = Ddpm.LogLikelihood(s, Ddpm.AsNoisePrediction(s, net), subset, ode: new OdeOptions { RelativeTolerance = 1e-3, AbsoluteTolerance = 1e-3 });
            double odeNll = -ll.LogLikelihood.mean().ToDoubleValue() / 2;
            output.WriteLine($"ode {clock.Elapsed.TotalSeconds:F1} s");
            double trueSubset = -Toy2D.Gaussians8LogDensity(subset).mean().ToDoubleValue() / 2;
            using var vlb = Ddpm.VariationalBound(s, Ddpm.AsNoisePrediction(s, net), subset, new VlbOptions { Stride = 10, Variance = ReverseVariance.Beta });
            output.WriteLine($"loss {result.LossHistory[0]:F3} → {result.FinalLoss:F3}; mean log p(samples) {before.LogDensity:F2} → {after.LogDensity:F2}; MMD² {before.Mmd:F4} → {after.Mmd:F4}; " +
                $"ODE NLL {odeNll:F3} vs true {trueSubset:F3} nats/dim ({ll.FunctionEvaluations} NFE); VLB {vlb.NatsPerDim:F3}; data NLL {trueNll:F3}; {clock.Elapsed.TotalSeconds:F1} s");
            Assert.True(after.LogDensity > before.LogDensity + 5, "samples did not move onto the modes");
            Assert.True(after.Mmd < before.Mmd / 3, $"MMD² {after.Mmd} (before {before.Mmd})");
            Assert.True(odeNll > trueSubset - 0.2 && odeNll < trueSubset + 1.5, $"ODE NLL {odeNll} vs true {trueSubset}");
            Assert.True(vlb.NatsPerDim > odeNll - 0.3, $"VLB {vlb.NatsPerDim} vs ODE {odeNll}");
        }

        [Fact]
        public void DDIM_with_eta_zero_is_deterministic_given_x_T_and_the_same_seed_gives_the_same_samples()
        {
            var s = Linear(100);
            var net = new TimeMlp(2, width: 16, depth: 1, generator: new Generator(1));
            var eps = Ddpm.AsNoisePrediction(s, net);
            using var scope = NewDisposeScope();
            var start = empty(50, 2).normal_(0, 1, generator: new Generator(42));
            using var a = Ddpm.Ddim(s, eps, 50, 2, new DdpmSamplerOptions { Steps = 20, Seed = 1, Start = start });
            using var b = Ddpm.Ddim(s, eps, 50, 2, new DdpmSamplerOptions { Steps = 20, Seed = 2, Start = start });
            Assert.True(a.Samples.sub(b.Samples).abs().max().ToDoubleValue() == 0, "η = 0 must not use the step noise");
            using var c = Ddpm.Ddim(s, eps, 50, 2, new DdpmSamplerOptions { Steps = 20, Seed = 1, Eta = 1, Start = start });
            using var d = Ddpm.Ddim(s, eps, 50, 2, new DdpmSamplerOptions { Steps = 20, Seed = 2, Eta = 1, Start = start });
            Assert.False(c.Samples.sub(d.Samples).abs().max().ToDoubleValue() == 0);
            using var e1 = Ddpm.Ancestral(s, eps, 50, 2, new DdpmSamplerOptions { Seed = 7 });
            using var e2 = Ddpm.Ancestral(s, eps, 50, 2, new DdpmSamplerOptions { Seed = 7 });
            Assert.True(e1.Samples.sub(e2.Samples).abs().max().ToDoubleValue() == 0);
            Assert.Equal(100, e1.FunctionEvaluations);
            Assert.Equal(20, a.FunctionEvaluations);
            Assert.Equal(new[] { 100, 67, 34, 1 }, Ddpm.SubSequence(100, 4));
        }

        /// <summary>Also guards the im2col convolution: libtorch's Conv2d backward gave NaN input gradients here (24 → 8 channels at 8×8).</summary>
        [Fact]
        public void The_digit_UNet_maps_flattened_images_to_finite_predictions_and_trains()
        {
            using var scope = NewDisposeScope();
            var net = new DigitUNet(8, generator: new Generator(1));
            var x = Digits.Images(PixelScale.Symmetric).narrow(0, 0, 16);
            var y = net.Predict(x, global::Dsl.ScalarOps.Full(new long[] { 16 },0.5f));
            Assert.Equal(new long[] { 16, 64 }, y.shape);
            Assert.True(y.isfinite().all().item<bool>(), "UNet output not finite");
            var s = Linear(50);
            var result = Trainer.Train(net, new TensorDataStream(Digits.Images(PixelScale.Symmetric), 16, 0), (b, g) => Ddpm.SimpleLoss(s, net, b, g),
                new TrainerOptions { Steps = 5, LearningRate = 1e-3, EmaDecay = 0.9 });
            Assert.True(double.IsFinite(result.FinalLoss));
        }

        [Fact]
        public void A_checkpoint_of_another_schedule_or_architecture_is_refused_naming_both()
        {
            var path = Path.Combine(folder, "toy.ckpt");
            var linear = Linear();
            TrainToy(linear, Toy2DKind.Moons, 3, path);
            var cosine = DdpmSchedule.Cosine(new CosineVpSde());
            var e = Assert.Throws<CheckpointException>(() => TrainToy(cosine, Toy2DKind.Moons, 6, path));
            Assert.Contains("schedule=linear", e.Message);
            Assert.Contains("schedule=cosine", e.Message);
            var wide = new TimeMlp(2, width: 32, depth: 2, tag: "schedule=linear");
            var f = Assert.Throws<CheckpointException>(() => Trainer.Train(wide, new SampledDataStream((n, g) => Toy2D.Sample(Toy2DKind.Moons, n, g), 2, 8, 0),
                (x, g) => Ddpm.SimpleLoss(linear, wide, x, g), new TrainerOptions { Steps = 6, EmaDecay = 0.99, CheckpointPath = path, Resume = true }));
            Assert.Contains("width=64", f.Message);
            Assert.Contains("width=32", f.Message);
        }

        [Fact]
        public void A_NaN_loss_stops_DDPM_training_at_its_step_and_keeps_the_last_checkpoint()
        {
            var path = Path.Combine(folder, "nan.ckpt");
            var s = Linear();
            var (net, _) = TrainToy(s, Toy2DKind.Moons, 5, path);
            var before = File.ReadAllBytes(path);
            int calls = 0;
            var e = Assert.Throws<TrainingDivergedException>(() => Trainer.Train(net, new SampledDataStream((n, g) => Toy2D.Sample(Toy2DKind.Moons, n, g), 2, 256, 0),
                (x, g) => ++calls < 3 ? Ddpm.SimpleLoss(s, net, x, g) : Ddpm.SimpleLoss(s, net, x, g).Mul(double.NaN),
                new TrainerOptions { Steps = 20, LearningRate = 3e-3, EmaDecay = 0.99, CheckpointPath = path, CheckpointEvery = 5, Resume = true }));
            Assert.Equal(7, e.Step);
            Assert.Contains("TimeMlp", e.Message);
            Assert.Contains("step 7", e.Message);
            Assert.Equal(before, File.ReadAllBytes(path));
        }
    }
}
