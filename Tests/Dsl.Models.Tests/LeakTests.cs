using System;
using Dsl.Examples.Experiments;
using Dsl.Models;
using Dsl.Networks;
using Dsl.Sampling;
using Dsl.ScoreMatching;
using Dsl.Sde;
using Dsl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// Long runs must not leak tensors: after a run (and disposing its result) the thread's live-tensor count is what it
    /// was before, whatever the number of steps (TorchSharp's own accounting of undisposed native tensors).
    /// </summary>
    [Collection("Sequential")]   // alone, after the parallel collections: no other test's tensors in the count
    public class LeakTests
    {
        private static long Live() => DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;

        private static void AssertNoLeak(Action run, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(run))] string what = "")
        {
            run();                                   // warm-up: lazily created caches are not leaks
            long before = Live();
            run();
            run();
            long after = Live();
            Assert.True(before == after, $"{after - before} tensors left live by two runs of {what}");
        }

        [Fact]
        public void Samplers_leave_no_tensors_behind()
        {
            var model = new GaussianMixture(D: 2, K: 2, generator: new Generator(1));
            var perturbed = new PerturbedGaussianMixture(D: 2, K: 2, generator: new Generator(1));
            using var x0 = zeros(64, 2);
            var options = new SamplerOptions { BurnIn = 20, Steps = 200, Thin = 10, Seed = 1 };
            AssertNoLeak(() => Samplers.MetropolisHastings(model, x0, 0.5, options, adaptStep: true).Dispose());
            AssertNoLeak(() => Samplers.Langevin(model, x0, 0.05, options).Dispose());
            AssertNoLeak(() => Samplers.Mala(model, x0, 0.05, options, adaptStep: true).Dispose());
            AssertNoLeak(() => Samplers.AnnealedLangevin(perturbed, x0, NoiseSchedule.Geometric(2, 0.5, 4), 0.05, 20, options).Dispose());
        }

        [Fact]
        public void SDE_solvers_and_the_likelihood_leave_no_tensors_behind()
        {
            var sde = new VpSde();
            var score = TimeScores.FromPerturbedData(SdeExperiments.GaussianData(2), sde);
            using var x = zeros(32, 2, dtype: ScalarType.Float64);
            AssertNoLeak(() => SdeSolvers.Sample(sde, score, 32, new SdeSamplerOptions { Steps = 100, Predictor = Predictor.ReverseDiffusion, Corrector = Corrector.Langevin, Thin = 10 }, ScalarType.Float64).Dispose());
            AssertNoLeak(() => SdeSolvers.EulerMaruyama(sde, x, 0, 0.5, 100, new Generator(1)).Dispose());
            AssertNoLeak(() => ProbabilityFlow.LogLikelihood(sde, score, x, new LikelihoodOptions { Divergence = DivergenceEstimator.HutchinsonGaussian }).Dispose());
            // The exact divergence through the shared-time right-hand side, with a float32 score (the float64 state's casts).
            var data32 = SdeExperiments.GaussianData(2);
            data32.to(ScalarType.Float32);
            var score32 = TimeScores.FromPerturbedData(data32, sde);
            using var x32 = zeros(32, 2, dtype: ScalarType.Float32);
            AssertNoLeak(() => ProbabilityFlow.LogLikelihood(sde, score32, x32, new LikelihoodOptions()).Dispose());
            AssertNoLeak(() => ProbabilityFlow.Sample(sde, score, 32, new Dsl.Solvers.OdeOptions(), dtype: ScalarType.Float64).Dispose());
            var t = global::Dsl.ScalarOps.Full(new long[] { 32 },0.4,dtype: ScalarType.Float64);
            AssertNoLeak(() => { sde.PriorLogProb(x).Dispose(); sde.Perturb(x, t, x).Dispose(); sde.ReverseDrift(x, t, x).Dispose(); sde.ProbabilityFlowDrift(x, t, x).Dispose(); });
        }

        [Fact]
        public void Hopfield_learning_and_continuous_dynamics_leave_no_tensors_behind()
        {
            var net = new HopfieldNetwork(N: 16);
            using var xi = empty(4, 16).bernoulli_(0.5, generator: new Generator(1)).Mul_(2).Sub_(1);
            AssertNoLeak(() => Dsl.Discrete.HopfieldLearning.Gradient(net, xi, new Dsl.Discrete.HopfieldGradientOptions { Steps = 5 }));
            var continuous = new ContinuousHopfieldNetwork(N: 16);
            using var w = Dsl.Discrete.HopfieldDynamics.HebbianWeights(xi);
            continuous.SetParameter("W", w);
            using var v0 = global::Dsl.ScalarOps.Full(new long[] { 3, 16 },0.3f);
            AssertNoLeak(() => Dsl.Discrete.HopfieldDynamics.Continuous(continuous, v0, 1.0, 0.5, 20, trace: true).States.Dispose());
        }

        [Fact]
        public void The_likelihood_bound_continuous_AIS_MacKay_learning_the_ISM_SSM_losses_and_coupling_flows_leave_no_tensors_behind()
        {
            var sde = new VpSde();
            var score = TimeScores.FromPerturbedData(SdeExperiments.GaussianData(2), sde);
            using var x = empty(64, 2, dtype: ScalarType.Float64).normal_(0, 1, generator: new Generator(1));
            AssertNoLeak(() => Dsl.Sde.LikelihoodBound.Estimate(sde, score, x, new Dsl.Sde.LikelihoodBoundOptions { Draws = 2, Seed = 1 }).Dispose());
            AssertNoLeak(() => ContinuousTimeScoreMatching.ImplicitLoss(sde, score, x, TimeWeighting.Variance, new Generator(2)).Dispose());
            AssertNoLeak(() => ContinuousTimeScoreMatching.SlicedLoss(sde, score, x, TimeWeighting.Variance, new Generator(3), projections: 2).Dispose());
            var mixture = new GaussianMixture(D: 2, K: 2, generator: new Generator(4));
            AssertNoLeak(() => ContinuousAis.LogPartition(mixture, new ContinuousAisOptions { Chains = 32, Temperatures = 10, Seed = 5 }));
            var net = new HopfieldNetwork(N: 16);
            using var xi = empty(4, 16).bernoulli_(0.5, generator: new Generator(6)).Mul_(2).Sub_(1);
            AssertNoLeak(() => Dsl.Discrete.HopfieldLearning.MacKay(net, xi, new Dsl.Discrete.HopfieldMacKayOptions { Iterations = 5 }));
            var stack = new Dsl.Flows.FlowStack("Stack", new Dsl.Flows.IFlowLayer[] { new AffineCoupling(1, 8, new Generator(7)), new AffineCouplingSwapped(1, 8, new Generator(8)) });
            using var points = empty(32, 2).normal_(0, 1, generator: new Generator(9));
            AssertNoLeak(() => { using var noGrad = no_grad(); stack.LogProb(points).Dispose(); });
        }

        [Fact]
        public void The_multi_spin_coded_sweep_leaves_no_tensors_behind()
        {
            var model = new LatticeIsing(N: 64) { L = 8 };
            using var units = empty(2, 64).bernoulli_(0.5, generator: new Generator(1)).Mul_(2).Sub_(1);
            AssertNoLeak(() => model.MultiSpinSweep(units, 0.4, Dsl.Discrete.SpinUpdate.HeatBath, 3, 0, 2));
        }

        [Fact]
        public void Data_files_leave_no_tensors_behind_but_the_array_they_return()
        {
            var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "dsl-leak-" + System.Guid.NewGuid().ToString("N") + ".npy");
            try
            {
                using var x = empty(5, 3, dtype: ScalarType.Float64).normal_(0, 1, generator: new Generator(1));
                using var view = x.T;
                AssertNoLeak(() => Dsl.Data.ArrayFiles.WriteNpy(path, view));                // a non-contiguous view: detach + contiguous copies
                AssertNoLeak(() => Dsl.Data.ArrayFiles.Read(path).Dispose());
            }
            finally { System.IO.File.Delete(path); }
        }

        [Fact]
        public void DDPM_sampling_the_bound_and_training_leave_no_tensors_behind()
        {
            var schedule = Dsl.Diffusion.DdpmSchedule.FromDiscretisedSde(new VpSde { BetaMin = 1e-4 * 50, BetaMax = 0.02 * 50 }, 50);
            var net = new TimeMlp(2, width: 16, depth: 1, generator: new Generator(1));
            var eps = Dsl.Diffusion.Ddpm.AsNoisePrediction(schedule, net);
            using var x = ones(16, 2);
            using var half = x.Mul(0.5);
            AssertNoLeak(() => Dsl.Diffusion.Ddpm.Ancestral(schedule, eps, 16, 2, new Dsl.Diffusion.DdpmSamplerOptions { Seed = 1 }).Dispose());
            AssertNoLeak(() => Dsl.Diffusion.Ddpm.Ddim(schedule, eps, 16, 2, new Dsl.Diffusion.DdpmSamplerOptions { Steps = 10, Eta = 0.5 }).Dispose());
            AssertNoLeak(() => Dsl.Diffusion.Ddpm.ProbabilityFlowSample(schedule, eps, 16, 2, new Dsl.Solvers.OdeOptions { Method = Dsl.Solvers.OdeMethod.Rk4, Steps = 5 }).Dispose());
            AssertNoLeak(() => Dsl.Diffusion.Ddpm.VariationalBound(schedule, eps, half, new Dsl.Diffusion.VlbOptions { BinWidth = 0.25 }).Dispose());
            AssertNoLeak(() => Dsl.Diffusion.Ddpm.LogLikelihood(schedule, eps, x, ode: new Dsl.Solvers.OdeOptions { Method = Dsl.Solvers.OdeMethod.Rk4, Steps = 5 }).Dispose());
            var data = new SampledDataStream((n, g) => Dsl.Models.Data.Toy2D.Sample(Dsl.Models.Data.Toy2DKind.Moons, n, g), 2, 32, 0);
            AssertNoLeak(() => Trainer.Train(net, data, (b, g) => Dsl.Diffusion.Ddpm.SimpleLoss(schedule, net, b, g), new TrainerOptions { Steps = 10, EmaDecay = 0.9 }));
            // Improved DDPM: the learned variance in the sampler and the bound, the hybrid loss, the bound with the generated KL.
            var learnedNet = new TimeMlp(2, width: 16, depth: 1, generator: new Generator(2), learnedVariance: true);
            var both = Dsl.Diffusion.Ddpm.AsNoiseAndVariancePrediction(learnedNet);
            var learned = Dsl.Diffusion.ReverseVariance.Learned;
            AssertNoLeak(() => Dsl.Diffusion.Ddpm.Ancestral(schedule, both, 16, 2, new Dsl.Diffusion.DdpmSamplerOptions { Seed = 1, Variance = learned }).Dispose());
            AssertNoLeak(() => Dsl.Diffusion.Ddpm.VariationalBound(schedule, both, half, new Dsl.Diffusion.VlbOptions { Variance = learned, BinWidth = 0.25 }).Dispose());
            var pair = new GaussianPairKl(2);
            AssertNoLeak(() => Dsl.Diffusion.Ddpm.VariationalBound(schedule, eps, half, new Dsl.Diffusion.VlbOptions { Kl = pair.Kl }).Dispose());
            var hybrid = new Dsl.Diffusion.DdpmLossOptions { Kind = Dsl.Diffusion.DdpmLoss.Hybrid, Variance = learned };
            AssertNoLeak(() => Trainer.Train(learnedNet, data, (b, g) => Dsl.Diffusion.Ddpm.Loss(schedule, learnedNet, b, g, hybrid), new TrainerOptions { Steps = 10, EmaDecay = 0.9 }));
        }

        [Fact]
        public void Training_leaves_no_tensors_behind()
        {
            var model = new GaussianMixture(D: 2, K: 2, generator: new Generator(1));
            var data = new SampledDataStream((n, g) => empty(n, 2).normal_(0, 1, generator: g), 2, 32, 0);
            AssertNoLeak(() => Trainer.Train(model, data, (x, g) => ScoreMatchingLosses.Sliced(model, x, g), new TrainerOptions { Steps = 30, EmaDecay = 0.9 }));
        }
    }

    /// <summary>Tests that must not run beside others (they read process-wide counters).</summary>
    [CollectionDefinition("Sequential", DisableParallelization = true)]
    public sealed class SequentialCollection
    {
    }
}
