using BenchmarkDotNet.Attributes;
using Dsl.Models;
using Dsl.Sde;
using Dsl.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Bench
{
    /// <summary>
    /// Issue 5's workloads on Gaussian data N(μ, 0.25 I), D = 2, float32, with the exact VP score of every pₜ:
    /// 1000 reverse Euler–Maruyama steps (N = 10 000), and the probability-flow RK45 likelihood (N = 1000,
    /// rtol = atol = 1e-5), each with the generated score (and generated exact divergence) and with autograd of the
    /// user's eager equations. Few iterations: one operation takes seconds.
    /// </summary>
    [MemoryDiagnoser(false)]
    [WarmupCount(1)]
    [IterationCount(5)]
    public class SdeBenchmarks
    {
        private VpSde sde = null!;
        private ITimeScoreDivergenceModel generated = null!;
        private ITimeScoreModel eager = null!;
        private Tensor data = null!;

        [GlobalSetup]
        public void Setup()
        {
            torch.set_num_threads(System.Environment.ProcessorCount);
            sde = new VpSde();
            var model = new PerturbedGaussianMixture(D: 2, K: 1);
            model.SetParameter("Mu", tensor(new[] { 0.5f, -0.75f }).reshape(1, 2));
            model.SetParameter("Sigma", tensor(0.5f));
            generated = TimeScores.FromPerturbedData(model, sde);
            eager = TimeScores.FromPerturbedDataByAutograd(model, sde);
            data = empty(1000, 2).normal_(0, 0.5f, generator: new Generator(1)) + tensor(new[] { 0.5f, -0.75f });
        }

        [Benchmark(Baseline = true, Description = "reverse VP EM, 1000 steps, N = 10 000, generated score")]
        public void ReverseGenerated() => SdeSolvers.Sample(sde, generated, 10_000, new SdeSamplerOptions { Steps = 1000, Seed = 1 }).Dispose();

        [Benchmark(Description = "reverse VP EM, 1000 steps, N = 10 000, autograd score")]
        public void ReverseAutograd() => SdeSolvers.Sample(sde, eager, 10_000, new SdeSamplerOptions { Steps = 1000, Seed = 1 }).Dispose();

        [Benchmark(Description = "PF-ODE RK45 likelihood, N = 1000, generated score + exact divergence")]
        public void LikelihoodGenerated() => ProbabilityFlow.LogLikelihood(sde, generated, data, new LikelihoodOptions()).Dispose();

        [Benchmark(Description = "PF-ODE RK45 likelihood, N = 1000, autograd score + D-pass autograd divergence")]
        public void LikelihoodAutograd() => ProbabilityFlow.LogLikelihood(sde, eager, data, new LikelihoodOptions()).Dispose();
    }
}
