using BenchmarkDotNet.Attributes;
using Dsl.Models;
using Dsl.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Bench
{
    /// <summary>
    /// Issue 4's sampler workloads with the exact Gaussian-mixture score, N = 100 000 chains, D = 2, K = 2, float32:
    /// one Langevin step, and one annealed-Langevin level (T = 10 steps at one σ), each through the generated
    /// inference path and through autograd of the user's eager equations.
    /// </summary>
    [MemoryDiagnoser(false)]
    [BenchmarkCategory("W1")]
    public class LangevinBenchmarks
    {
        private GaussianMixture model = null!;
        private PerturbedGaussianMixture perturbed = null!;
        private IScoreModel eager = null!;
        private Tensor x = null!;
        private Tensor sigma = null!;
        private Generator generator = null!;

        [Params(100_000)]
        public int N;

        [GlobalSetup]
        public void Setup()
        {
            torch.set_num_threads(System.Environment.ProcessorCount);
            model = (GaussianMixture)ModelCatalog.Find("GaussianMixture")!.Create(0);
            perturbed = new PerturbedGaussianMixture(D: 2, K: 2, generator: new Generator(0));
            eager = Autograd.EagerScoreModel(model);
            x = empty(N, 2).normal_(0, 1.5, generator: new Generator(1));
            sigma = full(N, 0.5f);
            generator = new Generator(2);
        }

        [Benchmark(Baseline = true, Description = "Langevin step, generated score (torch ops)")]
        [BenchmarkCategory("torch-ops")]
        public void LangevinGenerated()
        {
            model.Kernels = KernelPath.TorchOps;
            using var next = Samplers.LangevinStep(model, x, 0.01, generator);
        }

        [Benchmark(Description = "Langevin step, generated fused score + update")]
        [BenchmarkCategory("fused")]
        public void LangevinFused()
        {
            model.Kernels = KernelPath.Auto;
            using var next = Samplers.LangevinStep(model, x, 0.01, generator);
        }

        [Benchmark(Description = "Langevin step, noise draw alone (the floor)")]
        [BenchmarkCategory("floor")]
        public void NoiseAlone()
        {
            using var z = empty_like(x).normal_(0, 1, generator: generator);
        }

        [Benchmark(Description = "Langevin step, autograd score of the equations")]
        [BenchmarkCategory("eager autograd")]
        public void LangevinAutograd()
        {
            using var next = Samplers.LangevinStep(eager, x, 0.01, generator);
        }

        [Benchmark(Description = "annealed level (10 steps), generated score")]
        [BenchmarkCategory("annealed level")]
        public void AnnealedLevelGenerated()
        {
            using var scope = NewDisposeScope();
            var current = x;
            for (int t = 0; t < 10; t++)
            {
                // x + (α/2) s(x, σ) + √α z with α = ε σ²/σ_L², here one level so α = ε
                current = empty_like(current).normal_(0, 1, generator: generator).mul_(System.Math.Sqrt(0.01)).add_(perturbed.ScoreNoGrad(current, sigma), alpha: 0.005).add_(current);
            }
        }

        [Benchmark(Description = "annealed level (10 steps), autograd score of the equations")]
        [BenchmarkCategory("annealed level, autograd")]
        public void AnnealedLevelAutograd()
        {
            using var scope = NewDisposeScope();
            var current = x;
            for (int t = 0; t < 10; t++)
            {
                var s = Autograd.Score(xx => perturbed.EnergyEager(xx, sigma), current);
                current = empty_like(current).normal_(0, 1, generator: generator).mul_(System.Math.Sqrt(0.01)).add_(s, alpha: 0.005).add_(current);
            }
        }
    }
}
