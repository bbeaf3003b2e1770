using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Dsl.GeneratedCode;
using Dsl.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// The generated TorchScript kernels (KernelPath.TorchScript) on the CPU, where libtorch runs the compiled graph unfused: every
    /// inference method equals the torch-op path of the same model (the same operations: float64 to 1e-12, float32 to 1e-5 relative
    /// to 1 + the largest magnitude) and autograd of the user's equations; the dispatch (which inputs take the script); errors that
    /// name the model and the function; no tensors left behind. Fixed seeds. The CUDA fusion itself needs a GPU (docs/writing-a-model.md).
    /// </summary>
    public class TorchScriptKernelTests
    {
        public static TheoryData<string> Models() => new TheoryData<string>(ModelCatalog.All.Select(e => e.Name));

        private static double RelErr(Tensor actual, Tensor expected) =>
            (actual - expected).abs().max().ToDoubleValue() / (1 + expected.abs().max().ToDoubleValue());

        /// <summary>Runs <paramref name="run"/> and returns how many TorchScript kernels ran meanwhile.</summary>
        private static int ScriptRuns(Action run)
        {
            int before = TorchScriptKernels.Calls;
            run();
            return TorchScriptKernels.Calls - before;
        }

        /// <summary>Every inference method of <paramref name="model"/> (the Langevin update with a = 0.3, b = 0.7), as one list.</summary>
        private static List<Tensor> Inference(ParameterModule model, Tensor x, Tensor z)
        {
            var em = (IEnergyScoreModel)model;
            var (e, s) = em.EnergyAndScoreNoGrad(x);
            var results = new List<Tensor> { em.EnergyNoGrad(x), em.ScoreNoGrad(x), e, s, ((IScoreStepModel)model).ScoreStepNoGrad(x, 0.3, z, 0.7) };
            if (model is IScoreDivergenceModel div) results.Add(div.ScoreDivergenceNoGrad(x));
            return results;
        }

        private static void CompareWithTorchOps(string name, long seed, ScalarType dtype, double tolerance)
        {
            using var scope = NewDisposeScope();
            var model = NumericTests.RandomModel(name, seed, dtype);
            var x = NumericTests.RandomInput(model, 200, seed);
            var z = randn(200, model.Dim, generator: new Generator((ulong)seed + 3)).to(dtype);

            model.Kernels = KernelPath.TorchOps;
            List<Tensor> reference = null!;
            Assert.Equal(0, ScriptRuns(() => reference = Inference(model, x, z)));

            model.Kernels = KernelPath.TorchScript;
            List<Tensor> scripted = null!;
            Assert.Equal(reference.Count - 1, ScriptRuns(() => scripted = Inference(model, x, z)));   // EnergyAndScoreNoGrad: one call, two results
            for (int i = 0; i < reference.Count; i++)
            {
                Assert.Equal(reference[i].shape, scripted[i].shape);
                Assert.Equal(dtype, scripted[i].dtype);
                Assert.False(scripted[i].requires_grad);
                Assert.True(RelErr(scripted[i], reference[i]) <= tolerance, $"{name} seed {seed} {dtype} result {i}: {RelErr(scripted[i], reference[i])}");
            }

            // And against autograd of the user's own equations (the independent truth).
            var eager = (IEquationModel)model;
            var score = Autograd.Score(eager.EnergyEager, x);
            Assert.True(RelErr(scripted[1], score) <= 100 * tolerance, $"{name} seed {seed} scripted score vs autograd: {RelErr(scripted[1], score)}");
            Assert.True(RelErr(scripted[0], eager.EnergyEager(x)) <= 100 * tolerance, $"{name} seed {seed} scripted energy vs autograd");
            var step = x.Add(score.Mul(0.3)).Add(z.Mul(0.7));
            Assert.True(RelErr(scripted[4], step) <= 100 * tolerance, $"{name} seed {seed} scripted Langevin update");
        }

        [Theory]
        [MemberData(nameof(Models))]
        public void Float64_torchscript_kernels_equal_the_torch_op_path_and_autograd(string name)
        {
            foreach (var seed in FixedSeeds.For(name + "script64", 2)) CompareWithTorchOps(name, seed, ScalarType.Float64, 1e-12);
        }

        [Theory]
        [MemberData(nameof(Models))]
        public void Float32_torchscript_kernels_equal_the_torch_op_path_and_autograd(string name)
        {
            foreach (var seed in FixedSeeds.For(name + "script32", 2)) CompareWithTorchOps(name, seed, ScalarType.Float32, 1e-5);
        }

        [Theory]
        [InlineData("PerturbedGaussianMixture", ScalarType.Float64, 1e-12)]
        [InlineData("PerturbedGaussianMixture", ScalarType.Float32, 1e-5)]
        [InlineData("NoiseConditionalMlpEnergy", ScalarType.Float64, 1e-12)]
        [InlineData("NoiseConditionalMlpEnergy", ScalarType.Float32, 1e-5)]
        public void Noise_conditional_torchscript_kernels_equal_the_torch_op_path(string name, ScalarType dtype, double tolerance)
        {
            using var scope = NewDisposeScope();
            foreach (var seed in FixedSeeds.For(name + "scriptnc" + dtype, 2))
            {
                var g = new Generator((ulong)seed);
                ParameterModule model = name == "PerturbedGaussianMixture"
                    ? new PerturbedGaussianMixture(D: 3, K: 4, generator: g)
                    : new NoiseConditionalMlpEnergy(D: 3, H: 8, generator: g);
                model.to(dtype);
                var m = (INoiseConditionalModel)model;
                var x = randn(200, 3, generator: g).to(dtype);
                var sigma = (rand(200, generator: g).Add(0.1)).to(dtype);
                model.Kernels = KernelPath.TorchOps;
                var e0 = m.EnergyNoGrad(x, sigma);
                var s0 = m.ScoreNoGrad(x, sigma);
                model.Kernels = KernelPath.TorchScript;
                Tensor e1 = null!, s1 = null!;
                Assert.Equal(2, ScriptRuns(() => { e1 = m.EnergyNoGrad(x, sigma); s1 = m.ScoreNoGrad(x, sigma); }));
                Assert.True(RelErr(e1, e0) <= tolerance, $"{name} energy {RelErr(e1, e0)}");
                Assert.True(RelErr(s1, s0) <= tolerance, $"{name} score {RelErr(s1, s0)}");
                var autograd = Autograd.Score(xs => m.Energy(xs, sigma), x);
                Assert.True(RelErr(s1, autograd) <= 100 * tolerance, $"{name} score vs autograd {RelErr(s1, autograd)}");
            }
        }

        [Theory]
        [InlineData(ScalarType.Float64, 1e-12)]
        [InlineData(ScalarType.Float32, 1e-5)]
        public void Ising_lattice_kernels_equal_the_torch_op_path(ScalarType dtype, double tolerance)
        {
            using var scope = NewDisposeScope();
            var g = new Generator(7);
            var spins = (randint(0, 2, new long[] { 20, 36 }, generator: g).Mul(2).Sub(1)).to(dtype);
            var models = new ParameterModule[]
            {
                new LatticeIsing(N: 36) { L = 6, J = 0.7, H = -0.2 },                   // the neighbour sum: four rolls of the 6×6 view
                new AnisotropicIsing(N: 36) { L = 6, Jx = 0.9, Jy = -0.4, H = 0.3 },    // Roll with explicit shifts
            };
            foreach (var model in models)
            {
                model.to(dtype);
                var em = (IEnergyScoreModel)model;
                var discrete = (IDiscreteEnergyModel)model;
                model.Kernels = KernelPath.TorchOps;
                var expected = new[] { em.ScoreNoGrad(spins), em.EnergyNoGrad(spins), discrete.FlipEnergyDifferencesNoGrad(spins), discrete.ConditionalProbabilitiesNoGrad(spins) };
                model.Kernels = KernelPath.TorchScript;
                Tensor[] actual = null!;
                Assert.Equal(4, ScriptRuns(() => actual = new[] { em.ScoreNoGrad(spins), em.EnergyNoGrad(spins), discrete.FlipEnergyDifferencesNoGrad(spins), discrete.ConditionalProbabilitiesNoGrad(spins) }));
                for (int i = 0; i < expected.Length; i++)
                    Assert.True(RelErr(actual[i], expected[i]) <= tolerance, $"{model.ModelName} result {i}: {RelErr(actual[i], expected[i])}");
                // The flip energies against brute force: E(x with spin i flipped) − E(x), by the user's equation.
                var flip5 = tensor(Enumerable.Range(0, 36).Select(i => i == 5 ? -1.0 : 1.0).ToArray()).to(dtype);
                var brute = ((IEquationModel)model).EnergyEager(spins * flip5) - ((IEquationModel)model).EnergyEager(spins);
                Assert.True(RelErr(actual[2].select(1, 5), brute) <= 100 * tolerance, model.ModelName + " flip energy vs brute force");
            }
            // The lattice checks run before the script, as managed exceptions.
            var wrong = new LatticeIsing(N: 35) { L = 6, Kernels = KernelPath.TorchScript };
            wrong.to(dtype);
            Assert.Throws<ArgumentException>(() => wrong.ScoreNoGrad(ones(1, 35, dtype: dtype)));
        }

        [Fact]
        public void Dispatch_takes_the_script_when_forced_and_leaves_cpu_auto_as_it_was()
        {
            using var scope = NewDisposeScope();
            var model = (GaussianMixture)ModelCatalog.Find("GaussianMixture")!.Create(3);
            var x = randn(500, 2, generator: new Generator(4));
            model.Kernels = KernelPath.TorchOps;
            var reference = model.ScoreNoGrad(x);

            // Auto on the CPU: the fused kernel, never the script (no fuser for TorchScript on the CPU).
            model.Kernels = KernelPath.Auto;
            int fusedBefore = FusedKernels.Calls;
            Assert.Equal(0, ScriptRuns(() => model.ScoreNoGrad(x).Dispose()));
            Assert.Equal(1, FusedKernels.Calls - fusedBefore);

            // Forced: the script for contiguous and strided inputs alike, never the fused kernel.
            model.Kernels = KernelPath.TorchScript;
            var strided = x.t().contiguous().t();
            Assert.False(strided.is_contiguous());
            Tensor s = null!;
            fusedBefore = FusedKernels.Calls;
            Assert.Equal(2, ScriptRuns(() => { s = model.ScoreNoGrad(x); s = model.ScoreNoGrad(strided); }));
            Assert.Equal(0, FusedKernels.Calls - fusedBefore);
            Assert.True(RelErr(s, reference) <= 1e-6);

            // An input that requires grad: the NoGrad method still returns a plain tensor.
            var xg = x.clone().requires_grad_(true);
            Assert.Equal(1, ScriptRuns(() => s = model.ScoreNoGrad(xg)));
            Assert.False(s.requires_grad);

            // The differentiable methods never take the script: autograd must see their ops.
            Assert.Equal(0, ScriptRuns(() => s = model.Score(xg)));
            Assert.True(s.requires_grad);

            // Bad input is refused by the generated checks before the script runs, by name.
            var bad = Assert.Throws<ArgumentException>(() => model.ScoreNoGrad(zeros(3, 5)));
            Assert.Contains("GaussianMixture", bad.Message);

            // An empty batch: an empty result of the right shape.
            Assert.Equal(1, ScriptRuns(() => s = model.ScoreNoGrad(zeros(0, 2))));
            Assert.Equal(new long[] { 0, 2 }, s.shape);

            Assert.Contains("def score(x: Tensor, p_Mu: Tensor, p_LogW: Tensor, p_Sigma: Tensor) -> Tensor:", GaussianMixture.TorchScriptSource, StringComparison.Ordinal);
        }

        [Fact]
        public void The_unit_compiles_once_checks_its_arguments_and_names_the_model_in_errors()
        {
            using var scope = NewDisposeScope();
            const string source = "def f(x: Tensor, w: Tensor, h: float, k: int) -> Tensor:\n    # y = (x - w)·h, k rows\n    t0 = x - w\n    return t0 * h + k\n";
            var unit = new TorchScriptUnit("Probe", source);
            Assert.False(unit.IsCompiled);
            var x = randn(4, 3, generator: new Generator(1));
            var w = randn(3, generator: new Generator(2));

            // Many threads at once on a fresh unit: one compilation, the same results.
            var results = new Tensor[8];
            Parallel.For(0, results.Length, i => { results[i] = unit.Invoke("f", x, w, 0.5, 2L); });
            Assert.True(unit.IsCompiled);
            foreach (var r in results) Assert.True(RelErr(r, (x - w).Mul(0.5).Add(2)) <= 1e-6);

            var wrongCount = Assert.Throws<ArgumentException>(() => unit.Invoke("f", x, w, 0.5));
            Assert.Contains("Probe", wrongCount.Message);
            Assert.Contains("line 1", wrongCount.Message);
            Assert.Contains("takes 4 arguments", wrongCount.Message);
            var wrongType = Assert.Throws<ArgumentException>(() => unit.Invoke("f", x, w, 2L, 2L));
            Assert.Contains("'h' is a float", wrongType.Message);
            var unknown = Assert.Throws<ArgumentException>(() => unit.Invoke("g", x));
            Assert.Contains("no function 'g'", unknown.Message);
            Assert.Throws<ArgumentException>(() => unit.Invoke2("f", x, w, 0.5, 2L));   // f returns one tensor

            // A failure while running (a shape mismatch) names the model, the function and the TorchScript line.
            var failed = Assert.Throws<InvalidOperationException>(() => unit.Invoke("f", x, randn(5), 0.5, 2L));
            Assert.Contains("Model 'Probe', TorchScript function 'f' failed", failed.Message);
            Assert.Contains("t0 = x - w", failed.Message);
            Assert.DoesNotContain("Exception raised from", failed.Message);

            // A source whose def lines cannot be read is refused before anything native runs.
            var unreadable = Assert.Throws<ArgumentException>(() => new TorchScriptUnit("Probe", "def f(x):\n    return x\n"));
            Assert.Contains("line 1", unreadable.Message);
            Assert.Throws<ArgumentException>(() => new TorchScriptUnit("Probe", "# nothing here\n"));
        }

        [Fact]
        public void TorchScript_kernels_leave_no_tensors_behind()
        {
            var model = (GaussianMixture)ModelCatalog.Find("GaussianMixture")!.Create(1);
            model.Kernels = KernelPath.TorchScript;
            using var x = randn(2000, 2);
            using var z = randn(2000, 2);
            void Run()
            {
                model.ScoreNoGrad(x).Dispose();
                model.EnergyNoGrad(x).Dispose();
                var (e, s) = model.EnergyAndScoreNoGrad(x);
                e.Dispose();
                s.Dispose();
                model.ScoreDivergenceNoGrad(x).Dispose();
                model.ScoreStepNoGrad(x, 0.1, z, 0.2).Dispose();
            }
            Run();
            long before = DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;
            int scripted = ScriptRuns(() => { for (int i = 0; i < 5; i++) Run(); });
            long after = DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;
            Assert.Equal(25, scripted);
            Assert.True(before == after, $"{after - before} tensors left live by the TorchScript kernels");
        }
    }
}
