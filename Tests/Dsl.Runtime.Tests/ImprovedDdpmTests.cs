using System;
using System.Linq;
using Dsl.Diffusion;
using Dsl.Sde;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Tests
{
    /// <summary>
    /// Improved DDPM (Nichol &amp; Dhariwal 2021) against independent computations: the learned-variance interpolation's
    /// endpoints, Ho et al.'s eq. 12 weights by hand, every term of the bound in closed form for a predictor whose x̂₀ is a
    /// constant (so the bound is deterministic), and the hybrid loss's stop-gradient on the mean through GuardedAutograd.
    /// </summary>
    public class ImprovedDdpmTests
    {
        /// <summary>
        /// Ho et al.'s linear schedule built from its ᾱ (the product of the hand-written βₜ) through DdpmSchedule.FromAlphaBar;
        /// the SDE (the Models assembly's VpSde is out of reach here) only names the steps' times, which these tests do not use.
        /// </summary>
        private static DdpmSchedule Linear(int T)
        {
            var (_, alphaBar, _) = ByHand(T);
            return DdpmSchedule.FromAlphaBar("linear", new TimesOnly(), T, u => { int k = (int)System.Math.Round(u * T); return k == 0 ? 1 : alphaBar[k - 1]; }, u => u);
        }

        /// <summary>An ISde with a Gaussian kernel and nothing else: the schedule asks only for its name, end and kernel flag.</summary>
        private sealed class TimesOnly : ISde
        {
            public string SdeName => "times only";
            public double EndTime => 1;
            public bool HasGaussianKernel => true;
            public Tensor Drift(Tensor x, Tensor t) => throw new NotSupportedException();
            public Tensor Diffusion(Tensor t) => throw new NotSupportedException();
            public double DiffusionAt(double t) => throw new NotSupportedException();
            public Tensor MeanCoefficient(Tensor t) => throw new NotSupportedException();
            public Tensor MarginalStd(Tensor t) => throw new NotSupportedException();
            public double MeanCoefficientAt(double t) => throw new NotSupportedException();
            public double MarginalVarianceAt(double t) => throw new NotSupportedException();
            public Tensor DriftDivergence(Tensor t, long dim) => throw new NotSupportedException();
            public Tensor Perturb(Tensor x0, Tensor t, Tensor noise) => throw new NotSupportedException();
            public Tensor SamplePrior(long n, long dim, Generator generator, ScalarType dtype, Device device) => throw new NotSupportedException();
            public Tensor PriorLogProb(Tensor x) => throw new NotSupportedException();
            public Tensor ReverseDrift(Tensor x, Tensor t, Tensor score) => throw new NotSupportedException();
            public Tensor ProbabilityFlowDrift(Tensor x, Tensor t, Tensor score) => throw new NotSupportedException();
        }

        /// <summary>Ho et al.'s linear βₜ = linspace(1e-4, 0.02, T) written out, with ᾱ and β̃ from their definitions.</summary>
        private static (double[] Beta, double[] AlphaBar, double[] PosteriorVariance) ByHand(int T)
        {
            var beta = Enumerable.Range(0, T).Select(i => (1e-4 + i * (0.02 - 1e-4) / (T - 1))).ToArray();
            var alphaBar = new double[T];
            double product = 1;
            for (int i = 0; i < T; i++) { product *= 1 - beta[i]; alphaBar[i] = product; }
            var post = Enumerable.Range(0, T).Select(i => beta[i] * (1 - (i == 0 ? 1 : alphaBar[i - 1])) / (1 - alphaBar[i])).ToArray();
            return (beta, alphaBar, post);
        }

        [Fact]
        public void The_learned_log_variance_interpolates_log_beta_and_log_posterior_variance_with_the_stated_endpoints()
        {
            var s = Linear(20);
            var (beta, _, post) = ByHand(20);
            using var scope = NewDisposeScope();
            var t = tensor(new long[] { 1, 2, 7, 20 });
            foreach (var (v, expected) in new (double, Func<int, double>)[]
            {
                (1.0, i => System.Math.Log(beta[i])),                                         // v = 1: βₜ
                (0.0, i => System.Math.Log(post[i == 0 ? 1 : i])),                            // v = 0: β̃ₜ (t = 1: β̃₂, clipped)
                (0.5, i => 0.5 * (System.Math.Log(beta[i]) + System.Math.Log(post[i == 0 ? 1 : i]))),   // the geometric mean
            })
            {
                var interpolation = ScalarOps.Full(new long[] { 4, 3 }, v, ScalarType.Float64);
                var batched = Ddpm.LearnedLogVariance(s, interpolation, t);
                for (int row = 0; row < 4; row++)
                {
                    int i = (int)t[row].ToInt64Value() - 1;
                    for (int d = 0; d < 3; d++) Assert.Equal(expected(i), batched[row, d].ToDoubleValue(), 1e-10);
                    using var one = Ddpm.LearnedLogVariance(s, interpolation.narrow(0, row, 1), i);
                    Assert.Equal(expected(i), one[0, 0].ToDoubleValue(), 1e-10);
                }
            }
            Assert.Equal(System.Math.Log(beta[6]), Ddpm.FixedLogVariance(s, ReverseVariance.Beta, 6), 1e-10);
            Assert.Equal(System.Math.Log(post[6]), Ddpm.FixedLogVariance(s, ReverseVariance.Posterior, 6), 1e-10);
            Assert.Equal(System.Math.Log(post[1]), Ddpm.FixedLogVariance(s, ReverseVariance.Beta, 0), 1e-10);   // the decoder's σ₁² = β̃₂
        }

        [Fact]
        public void Eq12_weights_equal_a_hand_computation_and_are_the_KL_terms_up_to_their_constant()
        {
            const int T = 10, D = 3;
            var s = Linear(T);
            var (beta, alphaBar, post) = ByHand(T);
            foreach (var variance in new[] { ReverseVariance.Posterior, ReverseVariance.Beta })
            {
                var w = Ddpm.NoiseLossWeights(s, variance);
                for (int i = 0; i < T; i++)
                {
                    double sigma2 = variance == ReverseVariance.Beta && i > 0 ? beta[i] : post[i == 0 ? 1 : i];
                    double expected = beta[i] * beta[i] / (2 * sigma2 * (1 - beta[i]) * (1 - alphaBar[i]));   // βₜ²/(2σₜ²αₜ(1 − ᾱₜ))
                    Assert.Equal(expected, w[i], expected * 1e-10);
                }
                // L_{t−1} = w‖ε − ε̂‖² + ½D(log σ²/β̃ + β̃/σ² − 1) for t ≥ 2; at t = 1 the decoder −log N(x₀; μθ, σ₁²) = w‖ε − ε̂‖² + ½D log 2πσ₁².
                using var scope = NewDisposeScope();
                var g = new Generator(3);
                var x0 = randn(new long[] { 40, D }, dtype: ScalarType.Float64, generator: g);
                var steps = randint(1, T + 1, new long[] { 40 }, generator: g, dtype: ScalarType.Int64);
                var noise = randn(new long[] { 40, D }, dtype: ScalarType.Float64, generator: g);
                var guess = randn(new long[] { 40, D }, dtype: ScalarType.Float64, generator: g);
                var xt = Ddpm.QSample(s, x0, steps, noise);
                var logVar = tensor(steps.data<long>().ToArray().Select(k => Ddpm.FixedLogVariance(s, variance, (int)k - 1)).ToArray(), ScalarType.Float64).unsqueeze(1).expand(40, D);
                var terms = Ddpm.BoundTerm(s, x0, xt, steps, guess, logVar);
                for (int row = 0; row < 40; row++)
                {
                    int i = (int)steps[row].ToInt64Value() - 1;
                    double sigma2 = System.Math.Exp(Ddpm.FixedLogVariance(s, variance, i)), mse = (noise[row] - guess[row]).Square().sum().ToDoubleValue();
                    double constant = i == 0 ? 0.5 * D * System.Math.Log(2 * System.Math.PI * sigma2) : 0.5 * D * (System.Math.Log(sigma2 / post[i]) + post[i] / sigma2 - 1);
                    Assert.Equal(w[i] * mse + constant, terms[row].ToDoubleValue(), 1e-8 * (1 + System.Math.Abs(w[i] * mse)));
                }
            }
        }

        /// <summary>
        /// A predictor that believes the data is the point c: ε̂ = (xₜ − √ᾱₜ c)/√(1 − ᾱₜ), so x̂₀ = c and μ̃ − μθ = coef1ₜ(x₀ − c)
        /// whatever xₜ is drawn: every term of the bound is a number computed here by hand.
        /// </summary>
        [Theory]
        [InlineData(ReverseVariance.Posterior)]
        [InlineData(ReverseVariance.Beta)]
        [InlineData(ReverseVariance.Learned)]
        public void The_bound_of_a_point_mass_predictor_equals_its_closed_form_term_by_term(ReverseVariance variance)
        {
            const int T = 12, D = 2;
            const double v = 0.3;
            var s = Linear(T);
            var (beta, alphaBar, post) = ByHand(T);
            using var scope = NewDisposeScope();
            var c = tensor(new[] { 0.4, -0.7 }, ScalarType.Float64);
            var x0 = randn(new long[] { 5, D }, dtype: ScalarType.Float64, generator: new Generator(8)).Mul(0.5);
            var tauToIndex = s.Times.Select((tau, i) => (tau, i)).ToDictionary(p => p.tau, p => p.i);
            (Tensor, Tensor) Model(Tensor x, Tensor tau)
            {
                int i = tauToIndex[tau[0].ToDoubleValue()];
                var eps = (x - c.unsqueeze(0).Mul(System.Math.Sqrt(alphaBar[i]))).Div(System.Math.Sqrt(1 - alphaBar[i]));
                return (eps, ScalarOps.FullLike(x, v));
            }
            double LogSigma2(int i)
            {
                double lower = System.Math.Log(post[i == 0 ? 1 : i]);
                return variance switch
                {
                    ReverseVariance.Posterior => lower,
                    ReverseVariance.Beta => i == 0 ? lower : System.Math.Log(beta[i]),
                    _ => v * System.Math.Log(beta[i]) + (1 - v) * lower,
                };
            }
            using var bound = variance == ReverseVariance.Learned
                ? Ddpm.VariationalBound(s, Model, x0, new VlbOptions { Variance = variance, Seed = 4 })
                : Ddpm.VariationalBound(s, (x, tau) => Model(x, tau).Item1, x0, new VlbOptions { Variance = variance, Seed = 4 });
            for (int row = 0; row < 5; row++)
            {
                double gap = (x0[row] - c).Square().sum().ToDoubleValue(), norm = x0[row].Square().sum().ToDoubleValue();
                double prior = 0.5 * (alphaBar[T - 1] * norm + D * (1 - alphaBar[T - 1]) - D - D * System.Math.Log(1 - alphaBar[T - 1]));
                double diffusion = 0;
                for (int i = 1; i < T; i++)
                {
                    double coef1 = beta[i] * System.Math.Sqrt(alphaBar[i - 1]) / (1 - alphaBar[i]), sigma2 = System.Math.Exp(LogSigma2(i));
                    // KL(N(μ̃, β̃) ‖ N(μθ, σ²)) per dimension summed: ½[log σ²/β̃ + β̃/σ² − 1] D + ½ coef1²‖x₀ − c‖²/σ²
                    diffusion += 0.5 * (D * (System.Math.Log(sigma2 / post[i]) + post[i] / sigma2 - 1) + coef1 * coef1 * gap / sigma2);
                }
                double s1 = System.Math.Exp(LogSigma2(0));
                double decoder = gap / (2 * s1) + 0.5 * D * System.Math.Log(2 * System.Math.PI * s1);    // μθ(x₁, 1) = c: coef1₁ = 1, coef2₁ = 0
                Assert.Equal(prior, bound.Prior[row].ToDoubleValue(), 1e-9);
                Assert.Equal(diffusion, bound.Diffusion[row].ToDoubleValue(), 1e-8 * (1 + diffusion));
                Assert.Equal(decoder, bound.Decoder[row].ToDoubleValue(), 1e-8 * (1 + System.Math.Abs(decoder)));
            }
        }

        /// <summary>A stand-in network whose outputs are leaves, so autograd reads the loss's gradient in ε̂ and in v directly.</summary>
        private sealed class Leaves : ILearnedVarianceNetwork
        {
            public Leaves(Tensor noise, Tensor interpolation) { Noise = noise; Interpolation = interpolation; }
            public Tensor Noise { get; }
            public Tensor Interpolation { get; }
            public string ModelName => "leaves";
            public int Dim => (int)Noise.shape[1];
            public bool LearnsVariance => true;
            public Tensor Predict(Tensor x, Tensor time, Tensor? condition = null) => Noise;
            public (Tensor Noise, Tensor Interpolation) PredictWithVariance(Tensor x, Tensor time, Tensor? condition = null) => (Noise, Interpolation);
        }

        [Fact]
        public void The_hybrid_loss_stops_the_gradient_of_L_vlb_into_the_mean_but_trains_v()
        {
            const int T = 50, N = 64, D = 2;
            var s = Linear(T);
            using var scope = NewDisposeScope();
            var x0 = randn(new long[] { N, D }, dtype: ScalarType.Float64, generator: new Generator(1));
            var caller = new AutogradCaller("ImprovedDdpmTests", "the DDPM loss", "ε̂ and v", "none");
            Tensor?[] Gradient(DdpmLoss kind, ulong seed)
            {
                var eps = randn(new long[] { N, D }, dtype: ScalarType.Float64, generator: new Generator(2)).requires_grad_(true);
                var v = ScalarOps.Full(new long[] { N, D }, 0.4, ScalarType.Float64).requires_grad_(true);
                var net = new Leaves(eps, v);
                var loss = kind == DdpmLoss.Simple
                    ? Ddpm.SimpleLoss(s, net, x0, new Generator(seed))
                    : Ddpm.Loss(s, net, x0, new Generator(seed), new DdpmLossOptions { Kind = kind, Variance = ReverseVariance.Learned });
                return GuardedAutograd.Grad(caller, new[] { loss }, new[] { eps, v });
            }
            var simple = Gradient(DdpmLoss.Simple, 7);
            var hybrid = Gradient(DdpmLoss.Hybrid, 7);
            var vlb = Gradient(DdpmLoss.Vlb, 7);
            Assert.Null(simple[1]);                                                        // L_simple does not see v
            // Same draws (same seed): the hybrid loss's gradient in ε̂ is L_simple's exactly — none flows through L_vlb.
            Assert.True((hybrid[0]! - simple[0]!).abs().max().ToDoubleValue() < 1e-15, "gradient of L_vlb leaked into the mean");
            Assert.True(hybrid[1]!.abs().max().ToDoubleValue() > 1e-8, "L_vlb must train v");
            // Without the stop-gradient (L_vlb alone) the mean does get L_vlb's gradient, and v gets λ⁻¹ times the hybrid's.
            Assert.True((vlb[0]! - simple[0]!).abs().max().ToDoubleValue() > 1e-6);
            Assert.True((vlb[1]!.Mul(0.001) - hybrid[1]!).abs().max().ToDoubleValue() < 1e-12);
        }

        [Fact]
        public void A_learned_variance_with_L_simple_or_on_a_fixed_variance_network_is_refused()
        {
            var s = Linear(10);
            using var scope = NewDisposeScope();
            var net = new Leaves(zeros(4, 2, dtype: ScalarType.Float64), zeros(4, 2, dtype: ScalarType.Float64));
            var x0 = zeros(4, 2, dtype: ScalarType.Float64);
            Assert.Contains("Hybrid", Assert.Throws<ArgumentException>(() => Ddpm.Loss(s, net, x0, new Generator(1), new DdpmLossOptions { Kind = DdpmLoss.Simple, Variance = ReverseVariance.Learned })).Message);
            Assert.Contains("ReverseVariance.Learned", Assert.Throws<ArgumentException>(() => Ddpm.Loss(s, net, x0, new Generator(1), new DdpmLossOptions { Kind = DdpmLoss.Hybrid })).Message);
            Assert.Contains("NoiseAndVariancePrediction", Assert.Throws<ArgumentException>(() =>
                Ddpm.VariationalBound(s, (x, t) => x, x0, new VlbOptions { Variance = ReverseVariance.Learned })).Message);
            Assert.Contains("NoiseAndVariancePrediction", Assert.Throws<ArgumentException>(() =>
                Ddpm.Ancestral(s, (x, t) => x, 4, 2, new DdpmSamplerOptions { Variance = ReverseVariance.Learned })).Message);
        }
    }
}
