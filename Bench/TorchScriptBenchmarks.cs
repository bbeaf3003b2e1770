using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using Dsl.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Bench
{
    /// <summary>
    /// The generated TorchScript kernels against the torch-op path and (on the CPU) the fused C# kernel: the Gaussian-mixture score
    /// and the Langevin update x + a·s(x) + b·z, N = 100 000, D = 2, K = 2. On the CPU libtorch runs the compiled graph unfused, so
    /// TorchScript can at best save the per-op managed overhead; the row that matters is CUDA, where libtorch's fuser merges the
    /// elementwise chains: it appears only where a CUDA device is present (a TorchSharp-cuda build on a GPU machine).
    /// <c>dotnet run --project Bench -c Release -- --filter '*TorchScript*'</c>.
    /// </summary>
    [MemoryDiagnoser(false)]
    public class TorchScriptBenchmarks
    {
        private GaussianMixture model = null!;
        private Tensor x = null!, z = null!;

        [Params(100_000)]
        public int N;

        /// <summary>cpu, and cuda where it is available.</summary>
        [ParamsSource(nameof(Devices))]
        public string Device = "cpu";

        public static IEnumerable<string> Devices()
        {
            yield return "cpu";
            if (cuda.is_available()) yield return "cuda";
        }

        [GlobalSetup]
        public void Setup()
        {
            torch.set_num_threads(System.Environment.ProcessorCount);
            model = (GaussianMixture)ModelCatalog.Find("GaussianMixture")!.Create(0);
            var device = torch.device(Device);
            model.to(device);
            x = empty(N, 2).normal_(0, 1.5, generator: new Generator(1)).to(device);
            z = empty(N, 2).normal_(0, 1, generator: new Generator(2)).to(device);
            model.Kernels = KernelPath.TorchScript;
            for (int i = 0; i < 3; i++) model.ScoreNoGrad(x).Dispose();      // compile and let the profiling executor specialise
        }

        private void Sync()
        {
            if (Device == "cuda") cuda.synchronize();
        }

        [Benchmark(Baseline = true, Description = "ScoreNoGrad, torch ops")]
        public void ScoreTorchOps()
        {
            using var scope = NewDisposeScope();
            model.Kernels = KernelPath.TorchOps;
            model.ScoreNoGrad(x);
            Sync();
        }

        [Benchmark(Description = "ScoreNoGrad, TorchScript")]
        public void ScoreTorchScript()
        {
            using var scope = NewDisposeScope();
            model.Kernels = KernelPath.TorchScript;
            model.ScoreNoGrad(x);
            Sync();
        }

        [Benchmark(Description = "ScoreNoGrad, Auto (fused C# on cpu, TorchScript on cuda)")]
        public void ScoreAuto()
        {
            using var scope = NewDisposeScope();
            model.Kernels = KernelPath.Auto;
            model.ScoreNoGrad(x);
            Sync();
        }

        [Benchmark(Description = "ScoreStepNoGrad, torch ops")]
        public void StepTorchOps()
        {
            using var scope = NewDisposeScope();
            model.Kernels = KernelPath.TorchOps;
            model.ScoreStepNoGrad(x, 0.01, z, 0.1);
            Sync();
        }

        [Benchmark(Description = "ScoreStepNoGrad, TorchScript")]
        public void StepTorchScript()
        {
            using var scope = NewDisposeScope();
            model.Kernels = KernelPath.TorchScript;
            model.ScoreStepNoGrad(x, 0.01, z, 0.1);
            Sync();
        }
    }
}
