using BenchmarkDotNet.Attributes;
using Dsl.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Bench
{
    /// <summary>
    /// The Gaussian-mixture score, N = 100 000, D = 2, K = 2 (issue 3): the generated inference path, the generated
    /// differentiable path, and autograd of the user's own equations (what a PyTorch user gets without Dsl).
    /// </summary>
    [MemoryDiagnoser(false)]
    public class MixtureScoreBenchmarks
    {
        private GaussianMixture model = null!;
        private Tensor x = null!;

        [Params(100_000)]
        public int N;

        [GlobalSetup]
        public void Setup()
        {
            torch.set_num_threads(System.Environment.ProcessorCount);
            model = (GaussianMixture)ModelCatalog.Find("GaussianMixture")!.Create(0);
            x = empty(N, 2).normal_(0, 1.5, generator: new Generator(1));
        }

        [Benchmark(Baseline = true, Description = "generated ScoreNoGrad (inference path, torch ops)")]
        public void GeneratedInference()
        {
            using var scope = NewDisposeScope();
            model.Kernels = KernelPath.TorchOps;
            model.ScoreNoGrad(x);
        }

        [Benchmark(Description = "generated ScoreNoGrad (fused CPU kernel)")]
        public void GeneratedFused()
        {
            using var scope = NewDisposeScope();
            model.Kernels = KernelPath.Auto;
            model.ScoreNoGrad(x);
        }

        [Benchmark(Description = "generated Score (differentiable path)")]
        public void GeneratedDifferentiable()
        {
            using var scope = NewDisposeScope();
            model.Score(x);
        }

        [Benchmark(Description = "autograd of the eager equations")]
        public void AutogradOfEquations()
        {
            using var scope = NewDisposeScope();
            Autograd.Score(model.EnergyEager, x);
        }
    }
}
