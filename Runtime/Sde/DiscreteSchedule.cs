using System;
using System.Linq;

namespace Dsl.Sde
{
    /// <summary>
    /// An SDE discretised on N steps the way SMLD and DDPM do it, in float64 (score_sde's VPSDE/VESDE.discretize):
    /// tᵢ = T·i/(N − 1), βᵢ = g(tᵢ)²·T/N (for VP with linear β exactly DDPM's linspace(β_min/N, β_max/N, N)),
    /// αᵢ = 1 − βᵢ, ᾱᵢ = Πⱼ≤ᵢ αⱼ, and the generated kernel at tᵢ.
    /// </summary>
    public sealed record DiscreteSchedule(double[] Times, double[] Betas, double[] Alphas, double[] AlphaBars, double[] MeanCoefficients, double[] MarginalStds)
    {
        /// <summary>The table of <paramref name="sde"/> on <paramref name="steps"/> steps.</summary>
        public static DiscreteSchedule Of(ISde sde, int steps)
        {
            if (steps < 2) throw new ArgumentException("DiscreteSchedule.Of(" + sde.SdeName + "): steps must be ≥ 2, got " + steps + ".", nameof(steps));
            var times = Enumerable.Range(0, steps).Select(i => sde.EndTime * i / (steps - 1)).ToArray();
            var betas = times.Select(t => System.Math.Pow(sde.DiffusionAt(t), 2) * sde.EndTime / steps).ToArray();
            var alphas = betas.Select(b => 1 - b).ToArray();
            var alphaBars = new double[steps];
            double product = 1;
            for (int i = 0; i < steps; i++) { product *= alphas[i]; alphaBars[i] = product; }
            var means = sde.HasGaussianKernel ? times.Select(sde.MeanCoefficientAt).ToArray() : new double[0];
            var stds = sde.HasGaussianKernel ? times.Select(t => System.Math.Sqrt(sde.MarginalVarianceAt(t))).ToArray() : new double[0];
            return new DiscreteSchedule(times, betas, alphas, alphaBars, means, stds);
        }
    }
}
