using System;
using System.Collections.Generic;
using System.Globalization;

namespace Dsl.Sampling
{
    /// <summary>Noise-level schedules for annealed Langevin dynamics and the NCSN objective.</summary>
    public static class NoiseSchedule
    {
        /// <summary>
        /// L levels σ₁ &gt; … &gt; σ_L with a constant ratio: σᵢ = σ₁ (σ_L/σ₁)^((i−1)/(L−1)) (Song &amp; Ermon 2019).
        /// </summary>
        public static double[] Geometric(double sigmaMax, double sigmaMin, int levels)
        {
            if (!(sigmaMin > 0) || double.IsInfinity(sigmaMax) || !(sigmaMax > sigmaMin))
                throw new ArgumentException("NoiseSchedule.Geometric: needs σ_max > σ_min > 0, got σ_max = " + sigmaMax.ToString(CultureInfo.InvariantCulture) + ", σ_min = " + sigmaMin.ToString(CultureInfo.InvariantCulture) + ".", nameof(sigmaMax));
            if (levels < 2) throw new ArgumentException("NoiseSchedule.Geometric: needs at least 2 levels, got " + levels + ".", nameof(levels));
            var sigmas = new double[levels];
            for (int i = 0; i < levels; i++)
                sigmas[i] = sigmaMax * System.Math.Pow(sigmaMin / sigmaMax, i / (double)(levels - 1));
            sigmas[levels - 1] = sigmaMin;
            return sigmas;
        }

        /// <summary>Throws unless <paramref name="sigmas"/> is non-empty, finite, positive and strictly decreasing.</summary>
        public static void CheckDecreasing(string owner, IReadOnlyList<double> sigmas, string parameter)
        {
            if (sigmas is null || sigmas.Count == 0) throw new ArgumentException(owner + ": " + parameter + " must hold at least one noise level.", parameter);
            for (int i = 0; i < sigmas.Count; i++)
            {
                if (!(sigmas[i] > 0) || double.IsInfinity(sigmas[i]))
                    throw new ArgumentException(owner + ": " + parameter + "[" + i + "] = " + sigmas[i].ToString(CultureInfo.InvariantCulture) + " is not a finite positive noise level.", parameter);
                if (i > 0 && !(sigmas[i] < sigmas[i - 1]))
                    throw new ArgumentException(owner + ": " + parameter + " must be strictly decreasing (σ₁ > … > σ_L), but " + parameter + "[" + (i - 1) + "] = " + sigmas[i - 1].ToString(CultureInfo.InvariantCulture) + " ≤ " + parameter + "[" + i + "] = " + sigmas[i].ToString(CultureInfo.InvariantCulture) + ".", parameter);
            }
        }
    }
}
