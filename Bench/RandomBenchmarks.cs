using System;
using BenchmarkDotNet.Attributes;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Bench
{
    /// <summary>
    /// The noise a fused kernel draws: 200 000 values (W4's N = 100 000 × D = 2) from <see cref="CounterRandom"/> — a span on the
    /// calling thread, or a tensor filled in parallel chunks — beside TorchSharp's <c>normal_</c>/<c>uniform_</c> with a generator.
    /// </summary>
    [MemoryDiagnoser(false)]
    [MinColumn]
    public class RandomBenchmarks
    {
        private const int Count = 200_000;
        private readonly float[] singles = new float[Count];
        private readonly double[] doubles = new double[Count];
        private Tensor singleTensor = null!;
        private Tensor doubleTensor = null!;
        private Generator generator = null!;
        private long step;

        [GlobalSetup]
        public void Setup()
        {
            torch.set_num_threads(Environment.ProcessorCount);
            singleTensor = empty(Count);
            doubleTensor = empty(new long[] { Count }, dtype: ScalarType.Float64);
            generator = new Generator(1);
        }

        // A new offset each call, as a sampler's steps would use (one sub-key or offset per step).
        [Benchmark(Baseline = true, Description = "CounterRandom.FillNormal float, 200 000, one thread")]
        public void NormalSingles() => CounterRandom.FillNormal(singles, 7, Count * step++);

        [Benchmark(Description = "CounterRandom.FillNormal double, 200 000, one thread")]
        public void NormalDoubles() => CounterRandom.FillNormal(doubles, 7, Count * step++);

        [Benchmark(Description = "CounterRandom.FillUniform float, 200 000, one thread")]
        public void UniformSingles() => CounterRandom.FillUniform(singles, 7, Count * step++);

        [Benchmark(Description = "CounterRandom.FillUniform double, 200 000, one thread")]
        public void UniformDoubles() => CounterRandom.FillUniform(doubles, 7, Count * step++);

        [Benchmark(Description = "CounterRandom.FillNormal float32 tensor, 200 000, parallel chunks")]
        public void NormalSingleTensor() => CounterRandom.FillNormal(singleTensor, 7, Count * step++);

        [Benchmark(Description = "CounterRandom.FillNormal float64 tensor, 200 000, parallel chunks")]
        public void NormalDoubleTensor() => CounterRandom.FillNormal(doubleTensor, 7, Count * step++);

        [Benchmark(Description = "torch normal_ float32, 200 000, generator")]
        public void TorchNormalSingles() => singleTensor.normal_(0, 1, generator: generator);

        [Benchmark(Description = "torch normal_ float64, 200 000, generator")]
        public void TorchNormalDoubles() => doubleTensor.normal_(0, 1, generator: generator);

        [Benchmark(Description = "torch uniform_ float32, 200 000, generator")]
        public void TorchUniformSingles() => singleTensor.uniform_(0, 1, generator: generator);
    }
}
