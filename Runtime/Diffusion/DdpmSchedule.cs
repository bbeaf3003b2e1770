using System;
using System.Linq;
using Dsl.Sde;
using static TorchSharp.torch;

namespace Dsl.Diffusion
{
    /// <summary>
    /// A DDPM noise schedule on steps t = 1…T in float64, with every table Ho et al. (2020) use. Arrays are indexed by
    /// t − 1 (entry 0 is step t = 1); "previous" means step t − 1, with ᾱ₀ = 1.
    /// <list type="bullet">
    /// <item>βₜ, αₜ = 1 − βₜ, ᾱₜ = Π_{s≤t} αₛ, √ᾱₜ, √(1 − ᾱₜ);</item>
    /// <item>the posterior q(x_{t−1} | xₜ, x₀) = N(coef1ₜ·x₀ + coef2ₜ·xₜ, β̃ₜ I) with coef1ₜ = βₜ√ᾱ_{t−1}/(1 − ᾱₜ),
    /// coef2ₜ = (1 − ᾱ_{t−1})√αₜ/(1 − ᾱₜ), β̃ₜ = βₜ(1 − ᾱ_{t−1})/(1 − ᾱₜ); β̃₁ = 0, so its log is clipped to log β̃₂;</item>
    /// <item>the continuous time τₜ of each step on <see cref="Sde"/>: the time whose perturbation kernel equals the
    /// step's marginal, m(τₜ)² = ᾱₜ. A network conditioned on τ serves the discrete samplers (at τₜ) and the SDE
    /// machinery (probability-flow ODE, likelihood) at any τ, with the same noise level at every grid point.</item>
    /// </list>
    /// </summary>
    public sealed class DdpmSchedule
    {
        private DdpmSchedule(string name, ISde sde, double[] betas, double[] times)
        {
            Name = name; Sde = sde; Betas = betas; Times = times;
            int T = betas.Length;
            Alphas = betas.Select(b => 1 - b).ToArray();
            AlphaBars = new double[T];
            double product = 1;
            for (int i = 0; i < T; i++) { product *= Alphas[i]; AlphaBars[i] = product; }
            AlphaBarsPrevious = Enumerable.Range(0, T).Select(i => i == 0 ? 1.0 : AlphaBars[i - 1]).ToArray();
            SqrtAlphaBars = AlphaBars.Select(System.Math.Sqrt).ToArray();
            SqrtOneMinusAlphaBars = AlphaBars.Select(a => System.Math.Sqrt(1 - a)).ToArray();
            PosteriorMeanCoef1 = new double[T]; PosteriorMeanCoef2 = new double[T]; PosteriorVariance = new double[T];
            for (int i = 0; i < T; i++)
            {
                PosteriorMeanCoef1[i] = betas[i] * System.Math.Sqrt(AlphaBarsPrevious[i]) / (1 - AlphaBars[i]);
                PosteriorMeanCoef2[i] = (1 - AlphaBarsPrevious[i]) * System.Math.Sqrt(Alphas[i]) / (1 - AlphaBars[i]);
                PosteriorVariance[i] = betas[i] * (1 - AlphaBarsPrevious[i]) / (1 - AlphaBars[i]);
            }
            PosteriorLogVarianceClipped = PosteriorVariance.Select((v, i) => System.Math.Log(i == 0 && T > 1 ? PosteriorVariance[1] : v)).ToArray();
            LogBetas = betas.Select(b => System.Math.Log(b)).ToArray();
        }

        /// <summary>"linear" or "cosine" (or the name given), for messages and checkpoints.</summary>
        public string Name { get; }
        /// <summary>The SDE whose kernel the steps sit on (VpSde for linear, CosineVpSde for cosine).</summary>
        public ISde Sde { get; }
        /// <summary>T, the number of steps.</summary>
        public int Steps => Betas.Length;
        /// <summary>βₜ.</summary>
        public double[] Betas { get; }
        /// <summary>αₜ = 1 − βₜ.</summary>
        public double[] Alphas { get; }
        /// <summary>ᾱₜ.</summary>
        public double[] AlphaBars { get; }
        /// <summary>ᾱ_{t−1} (1 for t = 1).</summary>
        public double[] AlphaBarsPrevious { get; }
        /// <summary>√ᾱₜ.</summary>
        public double[] SqrtAlphaBars { get; }
        /// <summary>√(1 − ᾱₜ).</summary>
        public double[] SqrtOneMinusAlphaBars { get; }
        /// <summary>coef1ₜ = βₜ√ᾱ_{t−1}/(1 − ᾱₜ), the weight of x₀ in the posterior mean.</summary>
        public double[] PosteriorMeanCoef1 { get; }
        /// <summary>coef2ₜ = (1 − ᾱ_{t−1})√αₜ/(1 − ᾱₜ), the weight of xₜ in the posterior mean.</summary>
        public double[] PosteriorMeanCoef2 { get; }
        /// <summary>β̃ₜ = βₜ(1 − ᾱ_{t−1})/(1 − ᾱₜ) (0 at t = 1).</summary>
        public double[] PosteriorVariance { get; }
        /// <summary>log β̃ₜ with the t = 1 entry replaced by log β̃₂ (Ho et al.'s posterior_log_variance_clipped).</summary>
        public double[] PosteriorLogVarianceClipped { get; }
        /// <summary>log βₜ (the upper end of Nichol &amp; Dhariwal's learned log-variance interpolation).</summary>
        public double[] LogBetas { get; }
        /// <summary>τₜ: the continuous time of step t on <see cref="Sde"/>.</summary>
        public double[] Times { get; }

        /// <summary>
        /// DDPM's linear schedule as the discretised VP SDE: βₜ = <see cref="DiscreteSchedule"/>.Of(vp, T).Betas, which for
        /// VpSde{BetaMin = 1e-4·T, BetaMax = 0.02·T} is Ho et al.'s linspace(1e-4, 0.02, T) (T = 1000: the defaults 0.1, 20).
        /// τₜ solves m(τ)² = ᾱₜ (<see cref="TimeOfAlphaBar"/>).
        /// </summary>
        public static DdpmSchedule FromDiscretisedSde(ISde vp, int steps, string name = "linear")
        {
            Require(vp, steps, name);
            var betas = DiscreteSchedule.Of(vp, steps).Betas;
            if (betas.Any(b => !(b > 0 && b < 1)))
                throw new ArgumentException("DdpmSchedule '" + name + "': the discretised " + vp.SdeName + " gives βₜ outside (0, 1); use more steps.", nameof(steps));
            var schedule = new DdpmSchedule(name, vp, betas, new double[steps]);
            for (int i = 0; i < steps; i++) schedule.Times[i] = TimeOfAlphaBar(vp, schedule.AlphaBars[i]);
            return schedule;
        }

        /// <summary>
        /// A schedule given by its ᾱ(t/T) in closed form (Nichol &amp; Dhariwal's construction): βₜ = min(1 − ᾱ(t/T)/ᾱ((t−1)/T), <paramref name="maxBeta"/>),
        /// and ᾱₜ recomputed as the product of the clipped αₜ. <paramref name="time"/> maps t/T to the step's time on <paramref name="sde"/>.
        /// </summary>
        public static DdpmSchedule FromAlphaBar(string name, ISde sde, int steps, Func<double, double> alphaBar, Func<double, double> time, double maxBeta = 0.999)
        {
            Require(sde, steps, name);
            var betas = Enumerable.Range(1, steps).Select(t => System.Math.Min(1 - alphaBar((double)t / steps) / alphaBar((double)(t - 1) / steps), maxBeta)).ToArray();
            if (betas.Any(b => !(b > 0 && b < 1)))
                throw new ArgumentException("DdpmSchedule '" + name + "': ᾱ must decrease strictly from 1, giving βₜ in (0, 1).", nameof(alphaBar));
            return new DdpmSchedule(name, sde, betas, Enumerable.Range(1, steps).Select(t => time((double)t / steps)).ToArray());
        }

        /// <summary>
        /// Nichol &amp; Dhariwal's cosine schedule in closed form: ᾱ(u) = f(u)/f(0), f(u) = cos²((u + s)/(1 + s)·π/2), βₜ clipped at 0.999.
        /// Its continuous-time version is CosineVpSde (ᾱ(τ) with τ = t/T), so τₜ = t/T; the SDE ends at 0.995, so the
        /// last 0.5% of steps lie past the SDE's end (the ODE starts from τ = 0.995). The Euler discretisation
        /// <see cref="DiscreteSchedule"/>.Of(cosine, T) (βₜ ≈ β(τ)/T) is not this schedule: β(τ) ∝ tan diverges at the end.
        /// </summary>
        public static DdpmSchedule Cosine(ISde cosineSde, int steps = 1000, double offset = 0.008)
        {
            double F(double u) { double c = System.Math.Cos((u + offset) / (1 + offset) * System.Math.PI / 2); return c * c; }
            return FromAlphaBar("cosine", cosineSde, steps, u => F(u) / F(0), u => u);
        }

        /// <summary>
        /// The time τ with m(τ)² = ᾱ on a VP-type SDE (m decreasing): bisection on [0, T]; past T (ᾱ below m(T)²) the
        /// linear extrapolation τ = T + (log m(T)² − log ᾱ)/g(T)² (for VP, −d log m²/dτ = β(τ) = g(τ)²).
        /// </summary>
        public static double TimeOfAlphaBar(ISde sde, double alphaBar)
        {
            double end = sde.EndTime, target = System.Math.Log(alphaBar);
            double LogM2(double t) => 2 * System.Math.Log(sde.MeanCoefficientAt(t));
            double atEnd = LogM2(end);
            if (target <= atEnd) return end + (atEnd - target) / System.Math.Pow(sde.DiffusionAt(end), 2);
            double lo = 0, hi = end;
            for (int k = 0; k < 100 && hi - lo > 1e-15; k++)
            {
                double mid = 0.5 * (lo + hi);
                if (LogM2(mid) > target) lo = mid; else hi = mid;
            }
            return 0.5 * (lo + hi);
        }

        /// <summary>The step t (1…T) as an index into the tables, checked.</summary>
        public int Index(int t)
        {
            if (t < 1 || t > Steps) throw new ArgumentOutOfRangeException(nameof(t), "DdpmSchedule '" + Name + "': step t = " + t + " outside 1…" + Steps + ".");
            return t - 1;
        }

        /// <summary>Table entries at per-sample steps t: [N] (int64, values 1…T) as a tensor of <paramref name="dtype"/> on t's device.</summary>
        public Tensor Gather(double[] table, Tensor t, ScalarType dtype)
        {
            using var scope = NewDisposeScope();
            var values = tensor(table, ScalarType.Float64, t.device);
            return values.index_select(0, t.Sub(1)).to_type(dtype).MoveToOuterDisposeScope();
        }

        /// <summary>One line: name, T, β₁, β_T, ᾱ_T.</summary>
        public override string ToString() =>
            FormattableString.Invariant($"{Name} schedule, T = {Steps}, β₁ = {Betas[0]:G4}, β_T = {Betas[^1]:G4}, ᾱ_T = {AlphaBars[^1]:G4}");

        private static void Require(ISde sde, int steps, string name)
        {
            if (sde is null) throw new ArgumentNullException(nameof(sde));
            if (steps < 2) throw new ArgumentException("DdpmSchedule '" + name + "': T must be ≥ 2, got " + steps + ".", nameof(steps));
            if (!sde.HasGaussianKernel) throw new ArgumentException("DdpmSchedule '" + name + "': " + sde.SdeName + " has no Gaussian perturbation kernel.", nameof(sde));
        }
    }
}
