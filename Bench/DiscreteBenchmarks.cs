using BenchmarkDotNet.Attributes;
using Dsl.Discrete;
using Dsl.Models;
using Dsl.Models.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Bench
{
    /// <summary>
    /// Issue 6's discrete workloads, generated path vs a plain hand-written TorchSharp loop (<see cref="HandWrittenDiscrete"/>)
    /// with the same random-number usage: one checkerboard Metropolis sweep of the 256×256 periodic Ising lattice at
    /// T = 2.269 (≈ T_c) through the generated <see cref="LatticeIsing"/> local fields and <see cref="SpinSamplers.Sweep"/>, float32: the
    /// generic torch-op path (flip energies, then the rule) and the generated one-pass checkerboard sweep (<see cref="LatticeIsing.CheckerboardSweep"/>,
    /// which Sweep takes under <see cref="KernelPath.Auto"/>; counter-based uniforms, so its chains differ from the other two).
    /// </summary>
    [MemoryDiagnoser(false)]
    [WarmupCount(3)]
    [IterationCount(15)]
    [BenchmarkCategory("W5")]
    public class IsingSweepBenchmarks
    {
        private const int L = 256;
        private const double Beta = 1 / 2.269;
        private LatticeIsing model = null!, sweepModel = null!;
        private Tensor spins = null!, even = null!, evenBool = null!, oddBool = null!;
        private Generator generator = null!;

        [Params(1, 8)]
        public int Chains;

        [GlobalSetup]
        public void Setup()
        {
            torch.set_num_threads(System.Environment.ProcessorCount);
            model = new LatticeIsing(N: L * L) { L = L, Kernels = KernelPath.TorchOps };
            sweepModel = new LatticeIsing(N: L * L) { L = L };
            spins = empty(Chains, L * L).bernoulli_(0.5, generator: new Generator(1)).mul_(2).sub_(1);
            even = IsingLattice.Checkerboard(L);
            evenBool = even.to_type(ScalarType.Bool);
            oddBool = evenBool.logical_not();
            generator = new Generator(2);
        }

        [Benchmark(Baseline = true, Description = "Ising sweep, generated LatticeIsing score + SpinSamplers.Sweep")]
        [BenchmarkCategory("torch-ops")]
        public long Generated() => SpinSamplers.Sweep(model, spins, even, Beta, SpinUpdate.Metropolis, generator);

        [Benchmark(Description = "Ising sweep, generated one-pass checkerboard sweep (SpinSamplers.Sweep, Auto)")]
        [BenchmarkCategory("fused sweep")]
        public long GeneratedSweep() => SpinSamplers.Sweep(sweepModel, spins, even, Beta, SpinUpdate.Metropolis, generator);

        [Benchmark(Description = "Ising sweep, hand-written TorchSharp (rolls)")]
        [BenchmarkCategory("hand-written TorchSharp")]
        public long HandWritten() => HandWrittenDiscrete.IsingSweep(spins, L, evenBool, oddBool, 1.0, 0.0, Beta, generator);
    }

    /// <summary>
    /// One CD-1 step of a binary RBM (V = 64, H = 64) on the whole binarised digits batch (1797 × 64), float64 as `dsl rbm`:
    /// the generated path (Gibbs on the generated conditionals, autograd of the generated free energy, SGD) vs the
    /// hand-written explicit gradient ⟨vhᵀ⟩_data − ⟨vhᵀ⟩_model with the same sampling and update.
    /// </summary>
    [MemoryDiagnoser(false)]
    [WarmupCount(3)]
    [IterationCount(15)]
    public class RbmCd1Benchmarks
    {
        private BinaryRbm rbm = null!;
        private ContrastiveDivergence objective = null!;
        private Tensor data = null!, w = null!, b = null!, c = null!;
        private Generator generator = null!;

        [GlobalSetup]
        public void Setup()
        {
            torch.set_num_threads(System.Environment.ProcessorCount);
            data = Digits.Images(PixelScale.Binary).to_type(ScalarType.Float64);
            rbm = new BinaryRbm(V: Digits.Pixels, H: 64, generator: new Generator(0));
            rbm.to(ScalarType.Float64);
            rbm.SetParameter("W", empty(Digits.Pixels, 64, dtype: ScalarType.Float64).normal_(0, 0.01, generator: new Generator(1)));
            objective = new ContrastiveDivergence(rbm, 1);
            using (no_grad())
            {
                w = GeneratedDiscrete.Parameter(rbm, "W").detach().clone();
                b = GeneratedDiscrete.Parameter(rbm, "B").detach().clone();
                c = GeneratedDiscrete.Parameter(rbm, "C").detach().clone();
            }
            generator = new Generator(2);
        }

        [Benchmark(Baseline = true, Description = "CD-1 step, generated free energy + autograd")]
        public void Generated() => GeneratedDiscrete.Cd1Step(rbm, objective, data, 0.01, generator);

        [Benchmark(Description = "CD-1 step, hand-written explicit gradient")]
        public void HandWritten() => HandWrittenDiscrete.Cd1Step(w, b, c, data, 0.01, generator);
    }
}
