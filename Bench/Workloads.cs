using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.Discrete;
using Dsl.Models;
using Dsl.Sampling;
using Dsl.Sde;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Bench
{
    /// <summary>One timed .NET path of a workload: what it is (fused / torch-ops / eager autograd / hand-written TorchSharp), and one call.</summary>
    public sealed record BenchCase(string Workload, string Path, string Name, Action Run, int StepsPerCall = 1);

    /// <summary>
    /// Issue 8's workloads W1–W5 as plain actions, shared by the quick interleaved timer (<see cref="QuickTiming"/>); the
    /// BenchmarkDotNet classes time the same calls. Every generated model runs on both generated paths (the fused C# kernel,
    /// <see cref="KernelPath.Fused"/>, and torch ops, <see cref="KernelPath.TorchOps"/>) and beside autograd of the user's
    /// own equations; the hand-written PyTorch peers (Bench/peers) are the other side of each comparison.
    /// </summary>
    public static class Workloads
    {
        /// <summary>The peer script of each workload group.</summary>
        public static readonly IReadOnlyDictionary<string, string> PeerScripts = new Dictionary<string, string>
        {
            ["W1"] = "w1_langevin.py", ["W3"] = "w3_divergence.py", ["W4"] = "w4_reverse_vp.py", ["W5"] = "w5_ising.py", ["W6"] = "w6_likelihood.py", ["W7"] = "w7_pc.py",
        };

        /// <summary>W1 and W2: one Langevin step with the exact Gaussian-mixture score, N = 100 000, D = 2, K = 2, float32.</summary>
        public static IReadOnlyList<BenchCase> Langevin(int n = 100_000)
        {
            var model = (GaussianMixture)ModelCatalog.Find("GaussianMixture")!.Create(0);
            var eager = Autograd.EagerScoreModel(model);
            var x = empty(n, 2).normal_(0, 1.5, generator: new Generator(1));
            var counterBuffer = empty_like(x);
            var g = new Generator(2);
            return new[]
            {
                new BenchCase("W1", "fused", "Langevin step, generated fused score + update + counter-based noise, one pass", () => { model.Kernels = KernelPath.Fused; using var s = Samplers.LangevinStep(model, x, 0.01, g); }),
                new BenchCase("W1", "torch-ops", "Langevin step, generated score (torch ops)", () => { model.Kernels = KernelPath.TorchOps; using var s = Samplers.LangevinStep(model, x, 0.01, g); }),
                new BenchCase("W2", "eager autograd", "Langevin step, autograd score of the equations", () => { using var s = Samplers.LangevinStep(eager, x, 0.01, g); }),
                new BenchCase("W1", "floor", "noise draw alone (torch normal_)", () => { using var z = empty_like(x).normal_(0, 1, generator: g); }),
                new BenchCase("W1", "floor", "counter-based noise alone (CounterRandom.FillNormal, parallel)", () => CounterRandom.FillNormal(counterBuffer, 7, 0)),
            };
        }

        /// <summary>W3: the divergence of the score of the MLP energy w₂·tanh(W₁x + b₁), D = 32, H = 64, batch 1024, float32.</summary>
        public static IReadOnlyList<BenchCase> Divergence(int batch = 1024)
        {
            var model = new MlpEnergy(D: 32, H: 64, generator: new Generator(0));
            var x = empty(batch, 32).normal_(0, 1, generator: new Generator(1));
            var g = new Generator(2);
            Tensor AutogradScore(Tensor xx) => Autograd.Score(model.EnergyEager, xx, createGraph: true);
            return new[]
            {
                new BenchCase("W3", "fused", "exact divergence, generated (fused kernel)", () => { model.Kernels = KernelPath.Fused; using var d = model.ScoreDivergenceNoGrad(x); }),
                new BenchCase("W3", "torch-ops", "exact divergence, generated (torch ops)", () => { model.Kernels = KernelPath.TorchOps; using var d = model.ScoreDivergenceNoGrad(x); }),
                new BenchCase("W3", "eager autograd", "exact divergence, autograd loop over D of the equations", () => { using var d = Autograd.Divergence(AutogradScore, x); }),
                new BenchCase("W3", "hutchinson", "Hutchinson, 1 probe, generated differentiable score", () => { using var e = DivergenceEstimators.Hutchinson(model.Score, x, 1, ProbeDistribution.Rademacher, g); }),
                new BenchCase("W3", "hutchinson autograd", "Hutchinson, 1 probe, autograd score of the equations", () => { using var e = DivergenceEstimators.Hutchinson(AutogradScore, x, 1, ProbeDistribution.Rademacher, g); }),
            };
        }

        /// <summary>W4: reverse VP Euler–Maruyama, <paramref name="steps"/> steps per call, N = 100 000, D = 2, Gaussian data, float32.</summary>
        public static IReadOnlyList<BenchCase> ReverseVp(int steps, int n = 100_000)
        {
            var sde = new VpSde();
            var data = new PerturbedGaussianMixture(D: 2, K: 1);
            data.SetParameter("Mu", tensor(new[] { 0.5f, -0.75f }).reshape(1, 2));
            data.SetParameter("Sigma", tensor(0.5f));
            var generated = TimeScores.FromPerturbedData(data, sde);
            var eager = TimeScores.FromPerturbedDataByAutograd(data, sde);
            var options = new SdeSamplerOptions { Steps = steps, Seed = 1 };
            var x = empty(n, 2).normal_(0, 1, generator: new Generator(1));
            var z = empty_like(x);
            var g = new Generator(2);
            return new[]
            {
                new BenchCase("W4", "fused", "reverse VP EM, generated fused step (score, update, counter-based noise: one pass)", () => { data.Kernels = KernelPath.Fused; SdeSolvers.Sample(sde, generated, n, options).Dispose(); }, steps),
                new BenchCase("W4", "torch-ops", "reverse VP EM, generated score (torch ops)", () => { data.Kernels = KernelPath.TorchOps; SdeSolvers.Sample(sde, generated, n, options).Dispose(); }, steps),
                new BenchCase("W4", "eager autograd", "reverse VP EM, autograd score of the equations", () => SdeSolvers.Sample(sde, eager, n, options).Dispose(), steps),
                new BenchCase("W4", "floor", "noise draw + the two update passes alone (no score)", () =>
                {
                    for (int i = 0; i < steps; i++) z.normal_(0, 0.1, generator: g).add_(x, alpha: 0.01).add_(x, alpha: 0.99);
                }, steps),
                new BenchCase("W4", "floor counter", "counter-based noise draw alone (CounterRandom.FillNormal, parallel chunks)", () =>
                {
                    for (int i = 0; i < steps; i++) CounterRandom.FillNormal(z, CounterRandom.SubKey(7, i), 0);
                }, steps),
            };
        }

        /// <summary>The SDEs of W6, in the order of its rows.</summary>
        public static readonly string[] LikelihoodSdes = { "vp", "ve", "subvp" };

        /// <summary>
        /// W6: the probability-flow log-likelihood (RK45, rtol = atol = 1e-5, exact score and divergence, the score evaluated in
        /// float32 as score_sde does, the ODE state in float64) of Gaussian data, D = 4, N = 1000: one
        /// <see cref="ProbabilityFlow.LogLikelihood"/> call per row on the data of <c>dsl likelihood --dim 4 --n 1000
        /// --model-dtype float32</c> (<see cref="Dsl.Examples.Experiments.SdeExperiments.GaussianSample"/>, the peer's bits).
        /// </summary>
        public static IReadOnlyList<BenchCase> Likelihood(int n = 1000, int dim = 4) =>
            LikelihoodSdes.Select(name =>
            {
                var sde = Dsl.Examples.Experiments.SdeExperiments.Sde(name);
                var data = Dsl.Examples.Experiments.SdeExperiments.GaussianData(dim);
                data.to(ScalarType.Float32);
                var score = TimeScores.FromPerturbedData(data, sde);
                var x = Dsl.Examples.Experiments.SdeExperiments.GaussianSample(n, dim, 0).to_type(ScalarType.Float32);
                var options = new LikelihoodOptions { Epsilon = 1e-5, Seed = 1 };
                return new BenchCase("W6", name, "probability-flow likelihood, " + name + ", RK45 1e-5, exact score and divergence",
                    () => ProbabilityFlow.LogLikelihood(sde, score, x, options).Dispose());
            }).ToList();

        /// <summary>W6's accuracy (errors, NFE) for each SDE: the gallery's run on the same data and settings as the timed call.</summary>
        public static Dsl.Examples.Experiments.LikelihoodRun LikelihoodAccuracy(string sde, int n = 1000, int dim = 4) =>
            Dsl.Examples.Experiments.SdeExperiments.Likelihood(sde, dim, DivergenceEstimator.Exact, n, 0, dtype: ScalarType.Float32);

        /// <summary>W7's sampler settings: reverse diffusion + Langevin corrector (snr 0.16, one step, corrector first), ε = 1e-3, denoised.</summary>
        public static SdeSamplerOptions PcOptions(int steps, long seed) => new()
        {
            Steps = steps, Epsilon = 1e-3, Predictor = Predictor.ReverseDiffusion, Corrector = Corrector.Langevin, Snr = 0.16, CorrectorSteps = 1, Seed = seed,
        };

        /// <summary>W7's data: N(μ, 0.5²I) with μ = (0.5, −0.75) (<see cref="Dsl.Examples.Experiments.SdeExperiments.GaussianData"/>(2)) in float32.</summary>
        private static PerturbedGaussianMixture PcData()
        {
            var data = Dsl.Examples.Experiments.SdeExperiments.GaussianData(2);
            data.to(ScalarType.Float32);
            return data;
        }

        /// <summary>
        /// W7: the predictor–corrector sampler of issue 21's table (reverse diffusion + Langevin, snr 0.16, corrector first), VP,
        /// <paramref name="steps"/> steps, N = 20 000, D = 2, float32, the exact score of Gaussian data; one whole sampling run a call.
        /// Rows: the shared-time host path with the generated fused kernels, the same path with the score by torch ops, and the
        /// generic torch-ops path (the score behind a plain <see cref="ITimeScoreModel"/>, as before issue 21).
        /// </summary>
        public static IReadOnlyList<BenchCase> PredictorCorrector(int steps = 1000, int n = 20_000)
        {
            var sde = new VpSde();
            var data = PcData();
            var score = TimeScores.FromPerturbedData(data, sde);
            var plain = TimeScores.FromScorePrediction(2, (x, t) => score.Score(x, t), "Gaussian data under VP (plain ITimeScoreModel)");
            var options = PcOptions(steps, 1);
            return new[]
            {
                new BenchCase("W7", "fused", "PC sampler, generated fused kernels (predictor: one pass; corrector: score pass + z/norm + update passes)", () => { data.Kernels = KernelPath.Fused; SdeSolvers.Sample(sde, score, n, options).Dispose(); }),
                new BenchCase("W7", "torch-ops", "PC sampler, the same host passes with the generated score by torch ops", () => { data.Kernels = KernelPath.TorchOps; SdeSolvers.Sample(sde, score, n, options).Dispose(); }),
                new BenchCase("W7", "generic", "PC sampler, generic torch-ops path (score behind a plain ITimeScoreModel, generator noise)", () => { data.Kernels = KernelPath.Fused; SdeSolvers.Sample(sde, plain, n, options).Dispose(); }),
            };
        }

        /// <summary>W7's accuracy: the fused run's sample mean and std per coordinate against p_ε's (m(ε)μ, √(m²s² + v(ε))).</summary>
        public static (double[] Mean, double[] Std, double[] TrueMean, double TrueStd) PredictorCorrectorAccuracy(int steps = 1000, int n = 20_000, long seed = 1)
        {
            var sde = new VpSde();
            var data = PcData();
            using var result = SdeSolvers.Sample(sde, TimeScores.FromPerturbedData(data, sde), n, PcOptions(steps, seed));
            using var x = result.Samples.to_type(ScalarType.Float64);
            using var mean = x.mean(new long[] { 0 });
            using var std = x.std(0L);
            double eps = 1e-3, m = sde.MeanCoefficientAt(eps);
            var mu = Dsl.Examples.Experiments.SdeExperiments.DataMean(2);
            return (mean.data<double>().ToArray(), std.data<double>().ToArray(), mu.Select(v => m * v).ToArray(),
                System.Math.Sqrt(m * m * Dsl.Examples.Experiments.SdeExperiments.DataStd * Dsl.Examples.Experiments.SdeExperiments.DataStd + sde.MarginalVarianceAt(eps)));
        }

        /// <summary>Sweeps per call of W5's multi-spin-coded case.</summary>
        private const int MultiSpinBatch = 20;

        /// <summary>W5: one checkerboard Metropolis sweep of the periodic L×L Ising lattice at T = 2.269, one chain, float32.</summary>
        public static IReadOnlyList<BenchCase> Ising(int l = 256)
        {
            const double beta = 1 / 2.269;
            var model = new LatticeIsing(N: l * l) { L = l };
            var spins = empty(1, l * l).bernoulli_(0.5, generator: new Generator(1)).mul_(2).sub_(1);
            var even = IsingLattice.Checkerboard(l).to_type(ScalarType.Bool);
            var odd = even.logical_not();
            var g = new Generator(2);
            var u = empty_like(spins);
            ulong key = CounterRandom.KeyFrom(new Generator(3));
            long multiSpinSweep = 0;
            return new[]
            {
                new BenchCase("W5", "fused sweep", "Ising sweep, generated one-pass checkerboard sweep", () => { model.Kernels = KernelPath.Auto; SpinSamplers.Sweep(model, spins, even, beta, SpinUpdate.Metropolis, g); }),
                // The multi-spin-coded sweep as a long run calls it: 20 sweeps a call (units packed into bits once), timed per sweep.
                new BenchCase("W5", "multi-spin coded", "Ising sweeps, generated multi-spin-coded sweep (64 spins a word, 20 sweeps a call)", () =>
                {
                    model.Kernels = KernelPath.Auto;
                    model.MultiSpinSweep(spins, beta, SpinUpdate.Metropolis, key, multiSpinSweep, MultiSpinBatch);
                    multiSpinSweep += MultiSpinBatch;
                }, StepsPerCall: MultiSpinBatch),
                new BenchCase("W5", "fused", "Ising sweep, generated fused flip energies + generic rule", () =>
                {
                    model.Kernels = KernelPath.Fused;   // UpdateColour per colour: Sweep itself would take the one-pass sweep under Fused
                    SpinSamplers.UpdateColour(model, spins, even, beta, SpinUpdate.Metropolis, g);
                    SpinSamplers.UpdateColour(model, spins, odd, beta, SpinUpdate.Metropolis, g);
                }),
                new BenchCase("W5", "torch-ops", "Ising sweep, generated local fields (torch ops)", () => { model.Kernels = KernelPath.TorchOps; SpinSamplers.Sweep(model, spins, even, beta, SpinUpdate.Metropolis, g); }),
                new BenchCase("W5", "hand-written TorchSharp", "Ising sweep, hand-written TorchSharp (rolls)", () => HandWrittenDiscrete.IsingSweep(spins, l, even, odd, 1.0, 0.0, beta, g)),
                new BenchCase("W5", "floor", "the sweep's two uniform draws alone", () => { u.uniform_(0, 1, generator: g); u.uniform_(0, 1, generator: g); }),
                new BenchCase("W5", "floor counter", "two counter-based uniform draws alone (CounterRandom.FillUniform)", () => { CounterRandom.FillUniform(u, 7, 0); CounterRandom.FillUniform(u, 7, u.numel()); }),
            };
        }
    }
}
