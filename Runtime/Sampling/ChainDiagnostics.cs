using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Sampling
{
    /// <summary>Per-coordinate summary of recorded chains: mean, effective sample size and the Monte-Carlo standard error of the mean.</summary>
    public sealed record ChainSummary(double[] Mean, double[] Variance, double[] EffectiveSampleSize, double[] StandardError);

    /// <summary>
    /// Autocorrelation-based diagnostics of MCMC output. The effective sample size follows Stan's multi-chain
    /// estimator (Vehtari et al. 2021 without rank normalisation): the autocorrelation ρₜ = 1 − (W − mean acovₜ)/var⁺
    /// pooled over chains, truncated by Geyer's initial positive and monotone sequence, ESS = M·T/τ with τ = −1 + 2 Σ Pₖ.
    /// </summary>
    public static class ChainDiagnostics
    {
        /// <summary>ESS per coordinate for a trajectory [T, M, D] (T recorded states of M chains).</summary>
        public static double[] EffectiveSampleSize(Tensor trajectory) => Summarize(trajectory).EffectiveSampleSize;

        /// <summary>Mean, variance, ESS and the standard error √(var/ESS) per coordinate for a trajectory [T, M, D].</summary>
        public static ChainSummary Summarize(Tensor trajectory)
        {
            if (trajectory is null) throw new ArgumentNullException(nameof(trajectory));
            if (trajectory.dim() != 3 || trajectory.shape[0] < 4)
                throw new ArgumentException("ChainDiagnostics: the trajectory must be [T, M, D] with T ≥ 4 recorded steps; got " + Broadcasting.Describe(trajectory) + ".", nameof(trajectory));
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var x = trajectory.to_type(ScalarType.Float64);
            long n = x.shape[0], m = x.shape[1], d = x.shape[2];
            var chainMean = x.mean(new long[] { 0 });                                     // [M, D]
            var centred = x - chainMean;                                                   // per-chain centring
            var acov0 = centred.Square().sum(new long[] { 0 }).Div_(n);                                   // [M, D], biased acov at lag 0
            var w = (acov0.Mul(((double)n / (n - 1)))).mean(new long[] { 0 });              // W: mean within-chain variance [D]
            var varPlus = w.Mul(((n - 1.0) / n));
            if (m > 1) varPlus = varPlus.Add(chainMean.var(0L));                               // + B/n (between-chain variance of the means)
            var wArr = ToArray(w);
            var vArr = ToArray(varPlus);
            var grand = ToArray(x.mean(new long[] { 0, 1 }));
            var totalVar = ToArray(x.reshape(-1, d).var(0L));

            // All autocovariances at once by FFT (Wiener–Khinchin): zero-pad to 2T so the circular correlation is linear.
            var perChain = centred.permute(1, 2, 0);                                       // [M, D, T]
            var spectrum = fft.rfft(perChain, 2 * n, -1);
            var power = spectrum.abs().Square();
            var acovAll = fft.irfft(power, 2 * n, -1).narrow(-1, 0, n).Div_(n).mean(new long[] { 0 });   // [D, T], chain-averaged
            var acov = acovAll.contiguous().cpu().data<double>().ToArray();

            var tau = new double[d];
            var sum = new double[d];
            for (int j = 0; j < d; j++)
            {
                if (!(vArr[j] > 0)) { sum[j] = 0.5; continue; }
                double Rho(long lag) => 1 - (wArr[j] - acov[j * n + lag]) / vArr[j];
                double previous = double.PositiveInfinity;
                for (long k = 0; 2 * k + 1 < n; k++)
                {
                    double pair = Rho(2 * k) + Rho(2 * k + 1);
                    if (pair < 0) break;                                                  // initial positive sequence
                    pair = System.Math.Min(pair, previous);                                // initial monotone sequence
                    previous = pair;
                    sum[j] += pair;
                }
            }
            var ess = new double[d];
            var se = new double[d];
            for (int j = 0; j < d; j++)
            {
                tau[j] = System.Math.Max(-1 + 2 * sum[j], 1.0 / System.Math.Log10(System.Math.Max(10, n * m)));
                ess[j] = n * m / tau[j];
                se[j] = System.Math.Sqrt(totalVar[j] / ess[j]);
            }
            return new ChainSummary(grand, totalVar, ess, se);
        }

        private static double[] ToArray(Tensor t) => t.contiguous().cpu().data<double>().ToArray();
    }
}
