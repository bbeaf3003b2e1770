using System;
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
            var acov0 = centred.square().sum(0).div_(n);                                   // [M, D], biased acov at lag 0
            var w = (acov0 * ((double)n / (n - 1))).mean(new long[] { 0 });              // W: mean within-chain variance [D]
            var varPlus = w * ((n - 1.0) / n);
            if (m > 1) varPlus = varPlus + chainMean.var(0);                               // + B/n (between-chain variance of the means)
            var wArr = ToArray(w);
            var vArr = ToArray(varPlus);
            var grand = ToArray(x.mean(new long[] { 0, 1 }));
            var totalVar = ToArray(x.reshape(-1, d).var(0));

            var tau = new double[d];
            var done = new bool[d];
            var prevPair = new double[d];
            var sum = new double[d];
            for (int j = 0; j < d; j++) prevPair[j] = double.PositiveInfinity;
            double[]? rhoEven = null;
            for (long lag = 0; lag < n - 1; lag++)
            {
                var acov = lag == 0 ? acov0 : (centred.narrow(0, lag, n - lag) * centred.narrow(0, 0, n - lag)).sum(0).div_(n);
                var rho = ToArray(acov.mean(new long[] { 0 }));
                for (int j = 0; j < d; j++) rho[j] = vArr[j] > 0 ? 1 - (wArr[j] - rho[j]) / vArr[j] : 0;
                if (lag % 2 == 0) { rhoEven = rho; continue; }
                bool all = true;
                for (int j = 0; j < d; j++)
                {
                    if (done[j]) continue;
                    double pair = rhoEven![j] + rho[j];
                    if (pair < 0) { done[j] = true; continue; }                           // initial positive sequence
                    pair = System.Math.Min(pair, prevPair[j]);                            // initial monotone sequence
                    prevPair[j] = pair;
                    sum[j] += pair;
                    all = false;
                }
                if (all) break;
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
