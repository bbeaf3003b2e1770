using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using TorchSharp;

namespace Dsl.Bench
{
    /// <summary>
    /// W3 under BenchmarkDotNet: the exact divergence of the MLP energy's score (D = 32, H = 64, batch 1024, float32), the
    /// generated closed form on both paths vs autograd's loop over D and Hutchinson (<see cref="Workloads.Divergence"/>).
    /// </summary>
    [MemoryDiagnoser(false)]
    [BenchmarkCategory("W3")]
    public class DivergenceBenchmarks
    {
        private IReadOnlyList<BenchCase> cases = null!;

        [GlobalSetup]
        public void Setup()
        {
            torch.set_num_threads(System.Environment.ProcessorCount);
            cases = Workloads.Divergence();
        }

        [Benchmark(Baseline = true, Description = "exact divergence, generated (fused kernel)"), BenchmarkCategory("fused")]
        public void Fused() => cases[0].Run();

        [Benchmark(Description = "exact divergence, generated (torch ops)"), BenchmarkCategory("torch-ops")]
        public void TorchOps() => cases[1].Run();

        [Benchmark(Description = "exact divergence, autograd loop over D of the equations"), BenchmarkCategory("eager autograd")]
        public void AutogradLoop() => cases[2].Run();

        [Benchmark(Description = "Hutchinson, 1 probe, generated differentiable score"), BenchmarkCategory("hutchinson")]
        public void Hutchinson() => cases[3].Run();

        [Benchmark(Description = "Hutchinson, 1 probe, autograd score of the equations"), BenchmarkCategory("hutchinson autograd")]
        public void HutchinsonAutograd() => cases[4].Run();
    }

    /// <summary>
    /// W4 under BenchmarkDotNet: 1000 reverse VP Euler–Maruyama steps of N = 100 000 samples through <c>SdeSolvers.Sample</c>
    /// (<see cref="Workloads.ReverseVp"/>); one operation takes seconds, hence few iterations.
    /// </summary>
    [MemoryDiagnoser(false)]
    [WarmupCount(1)]
    [IterationCount(3)]
    [BenchmarkCategory("W4")]
    public class ReverseVpBenchmarks
    {
        /// <summary>Reverse steps per operation.</summary>
        public const int Steps = 1000;

        private IReadOnlyList<BenchCase> cases = null!;

        [GlobalSetup]
        public void Setup()
        {
            torch.set_num_threads(System.Environment.ProcessorCount);
            cases = Workloads.ReverseVp(Steps);
        }

        [Benchmark(Baseline = true, Description = "reverse VP EM, 1000 steps, N = 100 000, generated fused score"), BenchmarkCategory("fused")]
        public void Fused() => cases[0].Run();

        [Benchmark(Description = "reverse VP EM, 1000 steps, N = 100 000, generated score (torch ops)"), BenchmarkCategory("torch-ops")]
        public void TorchOps() => cases[1].Run();

        [Benchmark(Description = "reverse VP EM, 1000 steps, N = 100 000, autograd score"), BenchmarkCategory("eager autograd")]
        public void Autograd() => cases[2].Run();
    }
}
