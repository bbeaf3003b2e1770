using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.GeneratedCode;
using Dsl.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// The fused CPU kernels of the inference methods against the torch-op path of the same model (Kernels = TorchOps) and
    /// against autograd of the user's equations, on fixed seeds: float64 to 1e-12, float32 to 1e-5 of the float64 result and 1e-4 of
    /// the float32 torch ops (relative to 1 + the largest magnitude); and the run-time dispatch: which inputs take the fused kernel and which fall back to torch ops.
    /// </summary>
    public class FusedKernelTests
    {
        public static TheoryData<string> Models() => new TheoryData<string>(ModelCatalog.All.Select(e => e.Name));

        private static double RelErr(Tensor actual, Tensor expected) =>
            (actual - expected).abs().max().ToDoubleValue() / (1 + expected.abs().max().ToDoubleValue());

        /// <summary>Runs <paramref name="run"/> and returns how many fused kernels ran meanwhile.</summary>
        private static int FusedRuns(Action run)
        {
            int before = FusedKernels.Calls;
            run();
            return FusedKernels.Calls - before;
        }

        /// <summary>Every inference method of <paramref name="model"/>, as one list of result tensors.</summary>
        private static List<Tensor> Inference(ParameterModule model, Tensor x)
        {
            var em = (IEnergyScoreModel)model;
            var (e, s) = em.EnergyAndScoreNoGrad(x);
            var results = new List<Tensor> { em.EnergyNoGrad(x), em.ScoreNoGrad(x), e, s };
            if (model is IScoreDivergenceModel div) results.Add(div.ScoreDivergenceNoGrad(x));
            return results;
        }

        private static void CompareWithTorchOps(string name, long seed, ScalarType dtype, double tolerance, int batch = 300)
        {
            using var scope = NewDisposeScope();
            var model = NumericTests.RandomModel(name, seed, dtype);
            var x = NumericTests.RandomInput(model, batch, seed);

            model.Kernels = KernelPath.TorchOps;
            List<Tensor> reference = null!;
            Assert.Equal(0, FusedRuns(() => reference = Inference(model, x)));

            model.Kernels = KernelPath.Fused;
            List<Tensor> fused = null!;
            Assert.Equal(reference.Count - 1, FusedRuns(() => fused = Inference(model, x)));   // EnergyAndScoreNoGrad: one kernel, two results
            // The fused kernels compute in double whatever the tensors' dtype: in float32 the reference is the torch-op path in
            // float64 (torch's own float32 rounding is up to ~1e-5 here); the float32 torch-op path must agree to its precision.
            var exact = reference;
            if (dtype == ScalarType.Float32)
            {
                var model64 = NumericTests.RandomModel(name, seed, ScalarType.Float64);
                model64.Kernels = KernelPath.TorchOps;
                exact = Inference(model64, x.to(ScalarType.Float64));
            }
            for (int i = 0; i < reference.Count; i++)
            {
                Assert.Equal(reference[i].shape, fused[i].shape);
                Assert.Equal(dtype, fused[i].dtype);
                Assert.True(RelErr(fused[i].to(ScalarType.Float64), exact[i]) <= tolerance, $"{name} seed {seed} result {i}: {RelErr(fused[i].to(ScalarType.Float64), exact[i])}");
                Assert.True(RelErr(fused[i], reference[i]) <= 10 * tolerance, $"{name} seed {seed} result {i} vs {dtype} torch ops: {RelErr(fused[i], reference[i])}");
            }

            // And against autograd of the user's own equations.
            var eager = (IEquationModel)model;
            var score = Autograd.Score(eager.EnergyEager, x);
            Assert.True(RelErr(fused[1], score) <= 100 * tolerance, $"{name} seed {seed} fused score vs autograd: {RelErr(fused[1], score)}");
            Assert.True(RelErr(fused[0], eager.EnergyEager(x)) <= 100 * tolerance, $"{name} seed {seed} fused energy vs autograd");
        }

        [Theory]
        [MemberData(nameof(Models))]
        public void Float64_fused_kernels_equal_the_torch_op_path(string name)
        {
            foreach (var seed in FixedSeeds.For(name + "fused64", 4)) CompareWithTorchOps(name, seed, ScalarType.Float64, 1e-12);
        }

        [Theory]
        [MemberData(nameof(Models))]
        public void Float32_fused_kernels_equal_the_torch_op_path(string name)
        {
            foreach (var seed in FixedSeeds.For(name + "fused32", 4)) CompareWithTorchOps(name, seed, ScalarType.Float32, 1e-5);
        }

        /// <summary>
        /// The kernels run 4 samples per iteration on vector lanes and the rest one at a time: batches of 1, 3, 5 and 7 samples
        /// take the scalar body alone, both bodies with a scalar tail, and one full vector plus 3 (300 above is all vector).
        /// </summary>
        [Theory]
        [MemberData(nameof(Models))]
        public void The_vector_body_and_the_scalar_tail_agree_with_the_torch_op_path(string name)
        {
            foreach (int batch in new[] { 1, 3, 5, 7 })
                CompareWithTorchOps(name, FixedSeeds.For(name + "tail" + batch, 1).First(), ScalarType.Float64, 1e-12, batch);
        }

        [Fact]
        public void Auto_fuses_a_contiguous_cpu_input_and_falls_back_otherwise()
        {
            using var scope = NewDisposeScope();
            var model = (GaussianMixture)ModelCatalog.Find("GaussianMixture")!.Create(3);
            var x = randn(2, 500, generator: new Generator(4)).t();                 // [500, 2], not contiguous
            Assert.False(x.is_contiguous());
            model.Kernels = KernelPath.TorchOps;
            var reference = model.ScoreNoGrad(x.contiguous());

            model.Kernels = KernelPath.Auto;
            Tensor s = null!;
            Assert.Equal(0, FusedRuns(() => s = model.ScoreNoGrad(x)));             // non-contiguous: torch ops
            Assert.True(RelErr(s, reference) <= 1e-6);
            Assert.Equal(1, FusedRuns(() => s = model.ScoreNoGrad(x.contiguous()))); // contiguous: fused
            Assert.True(RelErr(s, reference) <= 1e-5);

            // An input that requires grad: the NoGrad method still returns a plain tensor (fused: no tape either way).
            var xg = x.contiguous().requires_grad_(true);
            Assert.Equal(1, FusedRuns(() => s = model.ScoreNoGrad(xg)));
            Assert.False(s.requires_grad);
            Assert.True(RelErr(s, reference) <= 1e-5);

            // The differentiable method never takes the fused kernel: autograd must see its ops.
            Assert.Equal(0, FusedRuns(() => s = model.Score(xg)));
            Assert.True(s.requires_grad);

            // Forced: a non-contiguous input is copied and fused.
            model.Kernels = KernelPath.Fused;
            Assert.Equal(1, FusedRuns(() => s = model.ScoreNoGrad(x)));
            Assert.True(RelErr(s, reference) <= 1e-5);

            // An empty batch: an empty result of the right shape.
            model.Kernels = KernelPath.Auto;
            Assert.Equal(1, FusedRuns(() => s = model.ScoreNoGrad(zeros(0, 2))));
            Assert.Equal(new long[] { 0, 2 }, s.shape);
        }

        [Fact]
        public void Auto_leaves_large_matrix_products_to_torch_ops()
        {
            using var scope = NewDisposeScope();
            var big = new MlpEnergy(D: 32, H: 64, generator: new Generator(1));      // a 64×32 product per sample: BLAS wins
            var small = new MlpEnergy(D: 2, H: 8, generator: new Generator(1));
            Assert.Equal(0, FusedRuns(() => big.ScoreNoGrad(randn(10, 32))));
            Assert.Equal(1, FusedRuns(() => small.ScoreNoGrad(randn(10, 2))));
        }

        /// <summary>One of the two generated noise-conditional models (D = 3), initialised from <paramref name="g"/>, in <paramref name="dtype"/>.</summary>
        private static ParameterModule NoiseConditional(string name, Generator g, ScalarType dtype)
        {
            ParameterModule model = name == "PerturbedGaussianMixture"
                ? new PerturbedGaussianMixture(D: 3, K: 4, generator: g)
                : new NoiseConditionalMlpEnergy(D: 3, H: 8, generator: g);
            model.to(dtype);
            return model;
        }

        [Theory]
        [InlineData("PerturbedGaussianMixture", ScalarType.Float64, 1e-12)]
        [InlineData("PerturbedGaussianMixture", ScalarType.Float32, 1e-5)]
        [InlineData("NoiseConditionalMlpEnergy", ScalarType.Float64, 1e-12)]
        [InlineData("NoiseConditionalMlpEnergy", ScalarType.Float32, 1e-5)]
        public void Noise_conditional_kernels_equal_the_torch_op_path(string name, ScalarType dtype, double tolerance)
        {
            using var scope = NewDisposeScope();
            foreach (var seed in FixedSeeds.For(name + "fusednc" + dtype, 3))
            {
                var g = new Generator((ulong)seed);
                var model = NoiseConditional(name, g, dtype);
                var m = (INoiseConditionalModel)model;
                var x = randn(200, 3, generator: g).to(dtype);
                var sigma = (rand(200, generator: g).Add(0.1)).to(dtype);
                model.Kernels = KernelPath.TorchOps;
                var e0 = m.EnergyNoGrad(x, sigma);
                var s0 = m.ScoreNoGrad(x, sigma);
                model.Kernels = KernelPath.Auto;
                Tensor e1 = null!, s1 = null!;
                Assert.Equal(2, FusedRuns(() => { e1 = m.EnergyNoGrad(x, sigma); s1 = m.ScoreNoGrad(x, sigma); }));
                Assert.True(RelErr(e1, e0) <= tolerance, $"{name} energy {RelErr(e1, e0)}");
                Assert.True(RelErr(s1, s0) <= tolerance, $"{name} score {RelErr(s1, s0)}");
                // A non-contiguous σ falls back.
                var sigmaStrided = stack(new[] { sigma, sigma }, 1).select(1, 0);
                Assert.False(sigmaStrided.is_contiguous());
                Assert.Equal(0, FusedRuns(() => s1 = m.ScoreNoGrad(x, sigmaStrided)));
                Assert.True(RelErr(s1, s0) <= tolerance);
            }
        }

        [Theory]
        [InlineData(ScalarType.Float64, 1e-12)]
        [InlineData(ScalarType.Float32, 1e-5)]
        public void Ising_local_fields_and_flip_energies_equal_the_torch_op_path(ScalarType dtype, double tolerance)
        {
            using var scope = NewDisposeScope();
            var g = new Generator(7);
            var spins = (randint(0, 2, new long[] { 20, 36 }, generator: g).Mul(2).Sub(1)).to(dtype);
            var models = new ParameterModule[]
            {
                new LatticeIsing(N: 36) { L = 6, J = 0.7, H = -0.2 },
                new AnisotropicIsing(N: 36) { L = 6, Jx = 0.9, Jy = -0.4, H = 0.3 },
            };
            foreach (var model in models)
            {
                model.to(dtype);
                var em = (IEnergyScoreModel)model;
                var discrete = (IDiscreteEnergyModel)model;
                model.Kernels = KernelPath.TorchOps;
                var fields = em.ScoreNoGrad(spins);
                var energy = em.EnergyNoGrad(spins);
                // Auto leaves lattice stencils to torch ops (faster on the CPU); forced, the fused kernel must agree.
                model.Kernels = KernelPath.Auto;
                Assert.Equal(0, FusedRuns(() => em.ScoreNoGrad(spins).Dispose()));
                model.Kernels = KernelPath.Fused;
                Tensor f = null!, e = null!;
                Assert.Equal(2, FusedRuns(() => { f = em.ScoreNoGrad(spins); e = em.EnergyNoGrad(spins); }));
                Assert.True(RelErr(f, fields) <= tolerance, model.ModelName + " fields");
                Assert.True(RelErr(e, energy) <= tolerance, model.ModelName + " energy");
                Assert.True(RelErr(f, discrete.LocalFields(spins)) <= tolerance, model.ModelName + " vs LocalFields");
            }
            // The lattice checks run in the fused kernel too.
            var wrong = new LatticeIsing(N: 35) { L = 6, Kernels = KernelPath.Fused };
            wrong.to(dtype);
            Assert.Throws<ArgumentException>(() => wrong.ScoreNoGrad(ones(1, 35, dtype: dtype)));
        }

        [Theory]
        [InlineData(ScalarType.Float64, 1e-12)]
        [InlineData(ScalarType.Float32, 1e-5)]
        public void The_fused_Langevin_update_is_x_plus_a_score_plus_b_noise(ScalarType dtype, double tolerance)
        {
            using var scope = NewDisposeScope();
            foreach (var entry in ModelCatalog.All)
            {
                var model = NumericTests.RandomModel(entry.Name, 11, dtype);
                var step = (IScoreStepModel)model;
                var x = NumericTests.RandomInput(model, 300, 11);
                var z = randn(300, model.Dim, generator: new Generator(12)).to(dtype);
                model.Kernels = KernelPath.TorchOps;
                var expected = (x.to(ScalarType.Float64).Add(step.ScoreNoGrad(x).to(ScalarType.Float64).Mul(0.3)).Add(z.to(ScalarType.Float64).Mul(0.7)));
                var torchOps = step.ScoreStepNoGrad(x, 0.3, z, 0.7);
                model.Kernels = KernelPath.Fused;
                Tensor fused = null!;
                Assert.Equal(1, FusedRuns(() => fused = step.ScoreStepNoGrad(x, 0.3, z, 0.7)));
                Assert.Equal(dtype, fused.dtype);
                Assert.True(RelErr(fused.to(ScalarType.Float64), expected) <= 10 * tolerance, $"{entry.Name}: {RelErr(fused.to(ScalarType.Float64), expected)}");
                Assert.True(RelErr(fused, torchOps) <= 10 * tolerance, entry.Name + " vs torch ops");
            }

            // A noise of another batch size is refused by name, on either path.
            var gm = (GaussianMixture)ModelCatalog.Find("GaussianMixture")!.Create(2);
            gm.to(dtype);
            var bad = Assert.Throws<ArgumentException>(() => gm.ScoreStepNoGrad(zeros(10, 2, dtype: dtype), 0.1, zeros(9, 2, dtype: dtype), 0.1));
            Assert.Contains("'z'", bad.Message);

            // LangevinStep takes the fused update with the noise drawn inside it, keyed by one call on the generator:
            // x + (ε/2)s(x) + √ε z with z the counter-based normals of that key.
            var gmm = (GaussianMixture)ModelCatalog.Find("GaussianMixture")!.Create(2);
            gmm.to(dtype);
            var x0 = randn(1000, 2, generator: new Generator(3)).to(dtype);
            Tensor next = null!;
            Assert.Equal(1, FusedRuns(() => next = Dsl.Sampling.Samplers.LangevinStep(gmm, x0, 0.04, new Generator(9))));
            var noise = new CounterNoise(CounterRandom.KeyFrom(new Generator(9)), 0).Sample(x0);
            var reference = x0.Add(gmm.ScoreNoGrad(x0).Mul(0.02)).Add(noise.Mul(0.2));
            Assert.True(RelErr(next, reference) <= 10 * tolerance);
        }

        /// <summary>
        /// The step that draws its own noise: for every catalogue model, the fused kernel (z drawn block by block inside its loop,
        /// 2500 samples = 3 blocks of 1024 with a partial one) equals x + a·s(x) + b·z with z = noise.Sample(x), and so does the
        /// torch-op path; a given output buffer receives the result; x itself as the output is refused by name.
        /// </summary>
        [Theory]
        [InlineData(ScalarType.Float64, 1e-12)]
        [InlineData(ScalarType.Float32, 1e-5)]
        public void The_counter_noise_step_draws_the_same_z_on_every_path(ScalarType dtype, double tolerance)
        {
            using var scope = NewDisposeScope();
            var noise = new CounterNoise(0x0123456789ABCDEFUL, 77);
            foreach (var entry in ModelCatalog.All)
            {
                var model = NumericTests.RandomModel(entry.Name, 21, dtype);
                var step = (ICounterNoiseStepModel)model;
                var x = NumericTests.RandomInput(model, 2500, 21);
                var z = noise.Sample(x);
                Assert.Equal(dtype, z.dtype);
                model.Kernels = KernelPath.TorchOps;
                var expected = x.to(ScalarType.Float64).Add(step.ScoreNoGrad(x).to(ScalarType.Float64).Mul(0.3)).Add(z.to(ScalarType.Float64).Mul(0.7));
                Tensor torchOps = null!;
                Assert.Equal(0, FusedRuns(() => torchOps = step.ScoreStepNoGrad(x, 0.3, 0.7, noise)));
                model.Kernels = KernelPath.Fused;
                Tensor fused = null!;
                Assert.Equal(1, FusedRuns(() => fused = step.ScoreStepNoGrad(x, 0.3, 0.7, noise)));
                Assert.True(RelErr(fused.to(ScalarType.Float64), expected) <= 10 * tolerance, $"{entry.Name}: {RelErr(fused.to(ScalarType.Float64), expected)}");
                Assert.True(RelErr(torchOps.to(ScalarType.Float64), expected) <= 10 * tolerance, entry.Name + " torch ops");

                var output = empty_like(x);
                var written = step.ScoreStepNoGrad(x, 0.3, 0.7, noise, output);
                Assert.Same(output, written);
                Assert.True(RelErr(output, fused) == 0, entry.Name + ": the output buffer holds the same values");
                var aliased = Assert.Throws<ArgumentException>(() => step.ScoreStepNoGrad(x, 0.3, 0.7, noise, x));
                Assert.Contains(entry.Name, aliased.Message);
                Assert.Contains("output", aliased.Message);
            }
        }

        /// <summary>
        /// The noise-conditional shared-level step c·x + a·s(u·x, σ) + b·z (the fused reverse-SDE step) against its definition with
        /// the generated torch-op score at the per-sample levels full(σ), on both paths; σ ≤ 0 and non-finite factors are refused by name.
        /// </summary>
        [Theory]
        [InlineData("PerturbedGaussianMixture", ScalarType.Float64, 1e-12)]
        [InlineData("PerturbedGaussianMixture", ScalarType.Float32, 1e-5)]
        [InlineData("NoiseConditionalMlpEnergy", ScalarType.Float64, 1e-12)]
        [InlineData("NoiseConditionalMlpEnergy", ScalarType.Float32, 1e-5)]
        public void The_shared_level_step_is_c_x_plus_a_score_at_u_x_plus_b_noise(string name, ScalarType dtype, double tolerance)
        {
            using var scope = NewDisposeScope();
            var g = new Generator(8);
            var module = NoiseConditional(name, g, dtype);
            var model = (INoiseConditionalModel)module;
            var step = (INoiseConditionalStepModel)module;
            var x = randn(2050, model.Dim, generator: new Generator(5)).to(dtype);
            var noise = new CounterNoise(42, 0);
            var z = noise.Sample(x);
            double sigma = 0.7, u = 1.3, c = 0.98, a = 0.05, b = 0.2;
            module.Kernels = KernelPath.TorchOps;
            var s = model.ScoreNoGrad(x.Mul(u), global::Dsl.ScalarOps.Full(new long[] { 2050 }, sigma, dtype: dtype)).to(ScalarType.Float64);
            var expected = x.to(ScalarType.Float64).Mul(c).Add(s.Mul(a)).Add(z.to(ScalarType.Float64).Mul(b));
            Tensor torchOps = null!;
            Assert.Equal(0, FusedRuns(() => torchOps = step.ScoreStepNoGrad(x, sigma, u, c, a, b, noise)));
            module.Kernels = KernelPath.Fused;
            Tensor fused = null!;
            Assert.Equal(1, FusedRuns(() => fused = step.ScoreStepNoGrad(x, sigma, u, c, a, b, noise)));
            Assert.True(RelErr(fused.to(ScalarType.Float64), expected) <= 10 * tolerance, $"{name} fused: {RelErr(fused.to(ScalarType.Float64), expected)}");
            Assert.True(RelErr(torchOps.to(ScalarType.Float64), expected) <= 10 * tolerance, $"{name} torch ops: {RelErr(torchOps.to(ScalarType.Float64), expected)}");

            var bad = Assert.Throws<ArgumentOutOfRangeException>(() => step.ScoreStepNoGrad(x, 0, u, c, a, b, noise));
            Assert.Contains(name, bad.Message);
            Assert.Contains("σ", bad.Message);
            Assert.Throws<ArgumentOutOfRangeException>(() => step.ScoreStepNoGrad(x, sigma, double.NaN, c, a, b, noise));
        }

        /// <summary>
        /// The shared-level flow (the probability-flow likelihood's one-pass right-hand side): c·x + a·s(u·x, σ) into flow and
        /// e + f·∇·s(u·x, σ) into divergence, against the float64 torch-op score and divergence of the same parameters (which
        /// NumericTests check against autograd), on both paths, for x in the parameters' dtype and for a float64 x with float32
        /// parameters (the likelihood's float64 state; the fused kernel reads it as is, the torch ops convert it). Outputs of the wrong
        /// shape, dtype or memory, σ ≤ 0 and non-finite factors are refused by name.
        /// </summary>
        [Theory]
        [InlineData("PerturbedGaussianMixture", ScalarType.Float64, ScalarType.Float64, 1e-12)]
        [InlineData("PerturbedGaussianMixture", ScalarType.Float32, ScalarType.Float64, 1e-5)]
        [InlineData("PerturbedGaussianMixture", ScalarType.Float32, ScalarType.Float32, 1e-5)]
        [InlineData("NoiseConditionalMlpEnergy", ScalarType.Float64, ScalarType.Float64, 1e-12)]
        [InlineData("NoiseConditionalMlpEnergy", ScalarType.Float32, ScalarType.Float64, 1e-5)]
        [InlineData("NoiseConditionalMlpEnergy", ScalarType.Float32, ScalarType.Float32, 1e-5)]
        public void The_shared_level_flow_is_c_x_plus_a_score_and_e_plus_f_divergence_at_u_x(string name, ScalarType parameters, ScalarType input, double tolerance)
        {
            using var scope = NewDisposeScope();
            var module = NoiseConditional(name, new Generator(8), parameters);
            var flowModel = (INoiseConditionalFlowModel)module;
            var reference = NoiseConditional(name, new Generator(8), ScalarType.Float64);
            reference.Kernels = KernelPath.TorchOps;
            const int n = 2050;
            var x = randn(n, flowModel.Dim, generator: new Generator(5)).to(input);
            double sigma = 0.7, u = 1.3, c = 0.98, a = -0.45, e = 2.5, f = -0.3;
            var scaled = x.to(ScalarType.Float64).Mul(u);
            var levels = global::Dsl.ScalarOps.Full(new long[] { n }, sigma, dtype: ScalarType.Float64);
            var expectedFlow = x.to(ScalarType.Float64).Mul(c).Add(((INoiseConditionalModel)reference).ScoreNoGrad(scaled, levels).Mul(a));
            var expectedDivergence = ((INoiseConditionalDivergenceModel)reference).ScoreDivergenceNoGrad(scaled, levels).Mul(f).Add(e);
            foreach (var path in new[] { KernelPath.TorchOps, KernelPath.Fused })
            {
                module.Kernels = path;
                var flow = empty_like(x);
                var divergence = empty(n, dtype: input);
                Assert.Equal(path == KernelPath.Fused ? 1 : 0, FusedRuns(() => flowModel.FlowAndDivergenceNoGrad(x, sigma, u, c, a, e, f, flow, divergence)));
                Assert.Equal(input, flow.dtype);
                double flowError = RelErr(flow.to(ScalarType.Float64), expectedFlow), divergenceError = RelErr(divergence.to(ScalarType.Float64), expectedDivergence);
                Assert.True(flowError <= 10 * tolerance, $"{name} {path} flow: {flowError}");
                Assert.True(divergenceError <= 10 * tolerance, $"{name} {path} divergence: {divergenceError}");
            }

            var wrongShape = Assert.Throws<ArgumentException>(() => flowModel.FlowAndDivergenceNoGrad(x, sigma, u, c, a, e, f, empty(n, flowModel.Dim + 1, dtype: input), empty(n, dtype: input)));
            Assert.Contains(name, wrongShape.Message);
            Assert.Equal("flow", wrongShape.ParamName);
            var wrongType = Assert.Throws<ArgumentException>(() => flowModel.FlowAndDivergenceNoGrad(x, sigma, u, c, a, e, f, empty_like(x), empty(n, dtype: ScalarType.Int64)));
            Assert.Equal("divergence", wrongType.ParamName);
            var aliased = Assert.Throws<ArgumentException>(() => flowModel.FlowAndDivergenceNoGrad(x, sigma, u, c, a, e, f, x, empty(n, dtype: input)));
            Assert.Contains("share memory with x", aliased.Message);
            var badLevel = Assert.Throws<ArgumentOutOfRangeException>(() => flowModel.FlowAndDivergenceNoGrad(x, 0, u, c, a, e, f, empty_like(x), empty(n, dtype: input)));
            Assert.Contains("σ", badLevel.Message);
            var badFactor = Assert.Throws<ArgumentOutOfRangeException>(() => flowModel.FlowAndDivergenceNoGrad(x, sigma, u, c, a, e, double.NaN, empty_like(x), empty(n, dtype: input)));
            Assert.Equal("divergenceScale", badFactor.ParamName);
        }

        [Fact]
        public void Fused_kernels_leave_no_tensors_behind()
        {
            var model = (GaussianMixture)ModelCatalog.Find("GaussianMixture")!.Create(1);
            using var x = randn(5000, 2);
            void Run()
            {
                model.ScoreNoGrad(x).Dispose();
                model.EnergyNoGrad(x).Dispose();
                var (e, s) = model.EnergyAndScoreNoGrad(x);
                e.Dispose();
                s.Dispose();
                model.ScoreDivergenceNoGrad(x).Dispose();
                using var z = randn(5000, 2);
                model.ScoreStepNoGrad(x, 0.1, z, 0.2).Dispose();
            }
            Run();
            long before = DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;
            int fused = FusedRuns(() => { for (int i = 0; i < 5; i++) Run(); });
            long after = DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;
            Assert.Equal(25, fused);
            Assert.True(before == after, $"{after - before} tensors left live by the fused kernels");
        }
    }
}
