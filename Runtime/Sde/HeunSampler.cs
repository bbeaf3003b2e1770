using System;
using System.Diagnostics;
using Dsl.GeneratedCode;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Sde
{
    /// <summary>
    /// Settings of <see cref="HeunSampler"/>: the stochastic churn of Karras et al. 2022 (EDM, Algorithm 2). With the default
    /// <see cref="Churn"/> = 0 the sampler is deterministic (EDM Algorithm 1).
    /// </summary>
    public sealed class HeunOptions
    {
        /// <summary>S_churn ≥ 0: γᵢ = min(S_churn/N, √2 − 1) for noise levels σᵢ in [<see cref="ChurnMinNoise"/>, <see cref="ChurnMaxNoise"/>], 0 elsewhere.</summary>
        public double Churn { get; init; }

        /// <summary>S_tmin: the smallest noise level σ(t) = √v/m that gets churn.</summary>
        public double ChurnMinNoise { get; init; }

        /// <summary>S_tmax: the largest noise level σ(t) = √v/m that gets churn.</summary>
        public double ChurnMaxNoise { get; init; } = double.PositiveInfinity;

        /// <summary>S_noise: the added noise's standard deviation factor (EDM uses 1.003 on images; 1 keeps the marginals exact).</summary>
        public double NoiseInflation { get; init; } = 1;

        /// <summary>Take the last step (onto t = ε) by Euler, as EDM takes its step onto σ = 0; false makes it a Heun step too.</summary>
        public bool EulerLastStep { get; init; } = true;

        /// <summary>Seed of the prior draw and the churn noise.</summary>
        public long Seed { get; init; }
    }

    /// <summary>
    /// Heun's second-order sampler for the probability-flow ODE dx/dt = F(x, t) = f(x, t) − ½g(t)²s(x, t) on a
    /// <see cref="TimeGrid"/> (Karras et al. 2022, EDM Algorithms 1 and 2). When the SDE has a Gaussian kernel the steps are
    /// taken as EDM takes them, in the noise level σ(t) = √v/m on the scaled state y = x/m(t), with slope
    /// dy/dσ = −σ·m(t)·s(m(t)y, t) (the same trajectories, nearly straight; the grid's times map to σ nodes); otherwise in t
    /// with slope F. Below, "x" is y and "t" is σ on the first route. Step i from tᵢ to tᵢ₊₁, h = tᵢ₊₁ − tᵢ &lt; 0:
    /// <list type="number">
    /// <item>churn (when γᵢ &gt; 0): σ̂ = σ(tᵢ)(1 + γᵢ) (capped at σ(T)), t̂ = σ⁻¹(σ̂), and
    /// ŷ = y + √(σ̂² − σᵢ²)·S_noise·z on the scaled state y = x/m(t) = x₀ + σ(t)n;</item>
    /// <item>Euler: d = F(x̂, t̂), x′ = x̂ + (tᵢ₊₁ − t̂)·d;</item>
    /// <item>Heun correction except on the last step (<see cref="HeunOptions.EulerLastStep"/>): x = x̂ + (tᵢ₊₁ − t̂)(d + F(x′, tᵢ₊₁))/2.</item>
    /// </list>
    /// NFE = 2N − 1 with the Euler last step. σ(t) = √v(t)/m(t) needs the SDE's Gaussian kernel when churn is on.
    /// </summary>
    public static class HeunSampler
    {
        /// <summary>Samples n points from the prior at T = grid[0] down to ε = grid[N].</summary>
        public static SdeSampleResult Sample(ISde sde, ITimeScoreModel score, long n, TimeGrid grid, HeunOptions? options = null,
            ScalarType dtype = ScalarType.Float32, Device? device = null)
        {
            const string solver = "Heun sampler";
            options ??= new HeunOptions();
            if (sde is null) throw new ArgumentNullException(nameof(sde), solver + ": sde is null.");
            if (score is null) throw new ArgumentNullException(nameof(score), solver + ": score is null.");
            if (grid is null) throw new ArgumentNullException(nameof(grid), solver + ": grid is null.");
            if (n < 1) throw new ArgumentException(solver + ": the number of samples must be ≥ 1, got " + n + ".", nameof(n));
            grid.CheckFor(sde, solver, nameof(grid), startAtT: true);
            if (!(options.Churn >= 0) || !double.IsFinite(options.Churn)) throw new ArgumentException(solver + ": Churn (S_churn) must be finite and ≥ 0, got " + options.Churn + ".", nameof(options));
            if (!(options.NoiseInflation > 0) || !double.IsFinite(options.NoiseInflation)) throw new ArgumentException(solver + ": NoiseInflation (S_noise) must be finite and > 0, got " + options.NoiseInflation + ".", nameof(options));
            if (double.IsNaN(options.ChurnMinNoise) || double.IsNaN(options.ChurnMaxNoise) || options.ChurnMinNoise > options.ChurnMaxNoise)
                throw new ArgumentException(solver + ": needs ChurnMinNoise ≤ ChurnMaxNoise (S_tmin ≤ S_tmax).", nameof(options));
            bool churn = options.Churn > 0;
            if (churn && !sde.HasGaussianKernel)
                throw new ArgumentException(solver + ": churn needs σ(t) = √v/m, but " + sde.SdeName + " has no Gaussian kernel (drift not a(t)·x); set Churn = 0.", nameof(options));
            device ??= CPU;
            var clock = Stopwatch.StartNew();
            using var generator = new Generator((ulong)options.Seed, device);
            using var noGrad = no_grad();
            var x = sde.SamplePrior(n, score.Dim, generator, dtype, device);
            int N = grid.Steps, evaluations = 0;
            double T = sde.EndTime, gammaMax = System.Math.Min(options.Churn / N, System.Math.Sqrt(2) - 1);
            double sigmaT = churn ? TimeGrid.NoiseLevel(sde, T) : double.NaN;
            using var t = global::Dsl.ScalarOps.Full(new long[] { n }, T, dtype, device);
            Tensor Score(Tensor state, double time)
            {
                t.Fill_(time);
                evaluations++;
                return ScoreOutput.CheckShape("HeunSampler.Sample", score.ModelName, score.Score(state, t), state);
            }
            // With a Gaussian kernel the steps are taken in σ on the scaled state y = x/m(t) (EDM's choice σ(t) = t, s(t) = 1,
            // eq. 4): dy/dσ = −σ∇_y log q_σ(y) = −σ·m(t)·s(m(t)·y, t), whose trajectories are those of the probability-flow ODE
            // but nearly straight, so Heun's error is far smaller than in the SDE's own time (on VE, dx/dt grows like e^{t log(σmax/σmin)}).
            bool inNoiseLevel = sde.HasGaussianKernel;
            Tensor Slope(Tensor state, double time, double level)
            {
                if (!inNoiseLevel) return sde.ProbabilityFlowDrift(state, t, Score(state, time));
                double m = sde.MeanCoefficientAt(time);
                using var xs = state.Mul(m);
                return Score(xs, time).Mul_(-level * m);   // dy/dσ = −σ·m·s(m·y, t)
            }
            double Position(double time) => inNoiseLevel ? TimeGrid.NoiseLevel(sde, time) : time;
            if (inNoiseLevel) { var scaled = x.Div(sde.MeanCoefficientAt(T)); x.Dispose(); x = scaled; }
            try
            {
                for (int i = 0; i < N; i++)
                {
                    using var scope = NewDisposeScope();
                    double ti = grid[i], next = grid[i + 1], tHat = ti;
                    Tensor xHat = x;
                    if (churn)
                    {
                        double sigma = TimeGrid.NoiseLevel(sde, ti);
                        double gamma = sigma >= options.ChurnMinNoise && sigma <= options.ChurnMaxNoise ? gammaMax : 0;
                        double sigmaHat = System.Math.Min(sigma * (1 + gamma), sigmaT);
                        if (sigmaHat > sigma)
                        {
                            tHat = TimeGrid.TimeOfNoiseLevel(sde, sigmaHat, ti, T);
                            double noiseStd = System.Math.Sqrt(sigmaHat * sigmaHat - sigma * sigma) * options.NoiseInflation;
                            xHat = empty_like(x).normal_(0, 1, generator: generator).Mul_(noiseStd).Add_(x);   // ŷ = y + √(σ̂² − σ²)·S_noise·z
                        }
                    }
                    double from = Position(tHat), to = Position(next), h = to - from;
                    var d = Slope(xHat, tHat, from);
                    var xNext = d.Mul(h).Add_(xHat);                                    // Euler: x̂ + h·d
                    if (!(options.EulerLastStep && i == N - 1))
                    {
                        var d2 = Slope(xNext, next, to);
                        xNext = d.Add_(d2).Mul_(0.5 * h).Add_(xHat);                   // Heun: x̂ + h(d + d′)/2
                    }
                    if (!Sampling.ChainLoop.AllFinite(xNext))
                        throw new ArithmeticException(solver + " on " + sde.SdeName + ": the state became NaN or Inf at t = " + next.ToString("G6", System.Globalization.CultureInfo.InvariantCulture) + "; use more steps or a larger ε.");
                    var old = x;
                    x = xNext.MoveToOuterDisposeScope();
                    old.Dispose();
                }
                if (inNoiseLevel) { var unscaled = x.Mul(sde.MeanCoefficientAt(grid.End)); x.Dispose(); x = unscaled; }
            }
            catch
            {
                x.Dispose();
                throw;
            }
            return new SdeSampleResult(x, null, evaluations, N, clock.Elapsed, false);
        }
    }
}
