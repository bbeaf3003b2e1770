using System;
using System.Linq;
using System.Threading;
using Dsl.Models;
using Dsl.Sde;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Examples.Experiments
{
    /// <summary>
    /// Underdamped (kinetic) Langevin dynamics over a Gaussian-mixture part, simulated by the library's Euler–Maruyama on the
    /// generated <see cref="KineticLangevin"/> SDE, for `dsl kinetic-langevin` and its tests: the x-marginal at the end time
    /// against the mixture's mean, covariance and weights, each with its standard error from the number of chains.
    /// </summary>
    internal static class KineticLangevinExperiment
    {
        /// <summary>The target: two components in ℝ² at (∓1.5, 0) with σ = 0.8 and weights 0.3 and 0.7.</summary>
        public static readonly double[,] Means = { { -1.5, 0.0 }, { 1.5, 0.0 } };
        /// <summary>The shared standard deviation σ of the components.</summary>
        public const double Sigma = 0.8;
        /// <summary>The mixture weights.</summary>
        public static readonly double[] Weights = { 0.3, 0.7 };

        /// <summary>One estimate against its exact value: z = (estimate − exact) / standard error.</summary>
        public sealed record Check(string Name, double Estimate, double Exact, double StandardError)
        {
            /// <summary>The deviation in standard errors.</summary>
            public double Z => (Estimate - Exact) / StandardError;
        }

        /// <summary>The run's settings and its checks (x-mean, x-covariance and the mixture weights).</summary>
        public sealed record Result(int Chains, int Steps, double EndTime, double StepSize, double Friction, Check[] Checks, bool Cancelled, double Seconds)
        {
            /// <summary>The largest |z| over the checks.</summary>
            public double MaxAbsZ => Checks.Max(c => System.Math.Abs(c.Z));
        }

        /// <summary>The KineticLangevin SDE over the target mixture (float64), with friction γ.</summary>
        public static KineticLangevin Create(double friction)
        {
            var sde = new KineticLangevin(D: 2, Target_K: 2) { Friction = friction };
            sde.to(ScalarType.Float64);
            sde.SetParameter("Target.Mu", tensor(Means.Cast<double>().ToArray(), ScalarType.Float64).reshape(2, 2));
            sde.SetParameter("Target.LogW", tensor(Weights.Select(w => System.Math.Log(w)).ToArray(), ScalarType.Float64));
            sde.SetParameter("Target.Sigma", tensor(Sigma, ScalarType.Float64));
            return sde;
        }

        /// <summary>
        /// Starts every chain at the lighter component's mean with zero velocity (so that wrong mixing shows in the weights), runs
        /// Euler–Maruyama over [0, <paramref name="time"/>] in 20 chunks (progress and cancellation between chunks), and compares the final positions
        /// with the mixture. Weights are estimated by the mean responsibility r_k(x) = w_k N_k(x) / p(x), whose expectation under
        /// p is w_k exactly.
        /// </summary>
        public static Result Run(int chains, int steps, double time, double friction, long seed, IProgress<(int Done, int Total)>? progress = null, CancellationToken cancel = default)
        {
            if (chains < 2) throw new ArgumentOutOfRangeException(nameof(chains), "kinetic-langevin: --chains must be ≥ 2, got " + chains + ".");
            if (steps < 20) throw new ArgumentOutOfRangeException(nameof(steps), "kinetic-langevin: --steps must be ≥ 20, got " + steps + ".");
            if (!(time > 0) || time > 100.0) throw new ArgumentOutOfRangeException(nameof(time), "kinetic-langevin: --time must be in (0, 100] (the SDE's end time), got " + time + ".");
            if (!(friction > 0) || double.IsInfinity(friction)) throw new ArgumentOutOfRangeException(nameof(friction), "kinetic-langevin: --friction must be a positive finite γ, got " + friction + ".");
            var watch = System.Diagnostics.Stopwatch.StartNew();
            using var sde = Create(friction);
            var generator = new Generator((ulong)seed);
            var u = zeros(new long[] { chains, 4 }, ScalarType.Float64);
            u[.., 0].Fill_(Means[0, 0]);
            u[.., 1].Fill_(Means[0, 1]);
            const int chunks = 20;
            int perChunk = (steps + chunks - 1) / chunks;
            double end = time;
            bool cancelled = false;
            int done = 0;
            for (int c = 0; c < chunks && done < steps; c++)
            {
                if (cancel.IsCancellationRequested) { cancelled = true; break; }
                int n = System.Math.Min(perChunk, steps - done);
                double t0 = end * done / steps, t1 = end * (done + n) / steps;
                var next = SdeSolvers.EulerMaruyama(sde, u, t0, t1, n, generator);
                u.Dispose();
                u = next;
                done += n;
                progress?.Report((done, steps));
            }
            using var x = u[.., 0..2].clone();
            u.Dispose();
            var checks = Checks(x);
            return new Result(chains, done, end * done / steps, end / steps, friction, checks, cancelled, watch.Elapsed.TotalSeconds);
        }

        /// <summary>Sample mean, covariance and mean responsibilities of positions <paramref name="x"/> against the mixture's.</summary>
        public static Check[] Checks(Tensor x)
        {
            using var scope = NewDisposeScope();
            long n = x.shape[0];
            double sqrtN = System.Math.Sqrt(n);
            var checks = new System.Collections.Generic.List<Check>();
            // Exact moments: m = Σ w μ, C = σ²I + Σ w μμᵀ − mmᵀ.
            var exactMean = new double[2];
            for (int k = 0; k < 2; k++) for (int i = 0; i < 2; i++) exactMean[i] += Weights[k] * Means[k, i];
            var exactCov = new double[2, 2];
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 2; j++)
                {
                    double c = (i == j ? Sigma * Sigma : 0) - exactMean[i] * exactMean[j];
                    for (int k = 0; k < 2; k++) c += Weights[k] * Means[k, i] * Means[k, j];
                    exactCov[i, j] = c;
                }
            var mean = x.mean(new long[] { 0 });
            for (int i = 0; i < 2; i++)
                checks.Add(new Check("mean[" + i + "]", mean[i].ToDoubleValue(), exactMean[i], x[.., i].std().ToDoubleValue() / sqrtN));
            var centred = x - mean;
            foreach (var (i, j) in new[] { (0, 0), (1, 1), (0, 1) })
            {
                var product = centred[.., i] * centred[.., j];
                checks.Add(new Check("cov[" + i + "," + j + "]", product.sum().ToDoubleValue() / (n - 1), exactCov[i, j], product.std().ToDoubleValue() / sqrtN));
            }
            // Responsibilities r_k(x) = softmax_k(log w_k − ‖x − μ_k‖²/(2σ²)): E_p[r_k] = w_k.
            var mu = tensor(Means.Cast<double>().ToArray(), ScalarType.Float64).reshape(2, 2);
            var logits = tensor(Weights.Select(w => System.Math.Log(w)).ToArray(), ScalarType.Float64) - ScalarOps.Square(x.unsqueeze(1) - mu).sum(-1).Div(2 * Sigma * Sigma);
            var r = logits.softmax(-1);
            for (int k = 0; k < 2; k++)
                checks.Add(new Check("weight[" + k + "]", r[.., k].mean().ToDoubleValue(), Weights[k], r[.., k].std().ToDoubleValue() / sqrtN));
            return checks.ToArray();
        }
    }
}
