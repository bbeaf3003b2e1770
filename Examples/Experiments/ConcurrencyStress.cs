using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using Dsl.Diffusion;
using Dsl.Discrete;
using Dsl.Models;
using Dsl.Sampling;
using Dsl.ScoreMatching;
using Dsl.Sde;
using Dsl.Solvers;
using Dsl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Examples.Experiments
{
    /// <summary>What a stress run did: operations per kind, failures per kind with the first message of each.</summary>
    public sealed record StressResult(long Operations, long Failures, double Seconds, IReadOnlyDictionary<string, long> OperationsByKind,
        IReadOnlyDictionary<string, long> FailuresByKind, IReadOnlyDictionary<string, string> FirstFailureByKind, long Collections);

    /// <summary>
    /// Several threads share one energy model, one SDE and one time-score model and cycle through every public sampler,
    /// solver, likelihood, loss, trainer step and generated method, while another thread forces garbage collections
    /// (and waits for finalizers) every few milliseconds: the conditions under which an unheld TorchSharp Scalar is freed
    /// while libtorch reads it. Every operation is checked for finiteness; any exception counts as a failure.
    /// </summary>
    public static class ConcurrencyStress
    {
        private sealed record Operation(string Name, Action<Generator, long> Run);

        /// <summary>Runs until <paramref name="operations"/> are done or <paramref name="maxDuration"/> has passed.</summary>
        public static StressResult Run(int threads, long operations, TimeSpan maxDuration, long seed, IProgress<long>? progress = null, CancellationToken cancellation = default)
        {
            if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "ConcurrencyStress: at least one worker thread.");
            if (operations < 1) throw new ArgumentOutOfRangeException(nameof(operations), operations, "ConcurrencyStress: at least one operation.");
            var mixture = new GaussianMixture(D: 2, K: 2, generator: new Generator((ulong)seed));
            var vp = new VpSde();
            var data = SdeExperiments.MixtureData();
            data.to(ScalarType.Float32);                 // every operation below runs in float32, as the gallery's samplers do
            var timeScore = TimeScores.FromPerturbedData(data, vp);
            var lattice = new LatticeIsing(N: 64) { L = 8, J = 0.5 };
            var rbm = new BinaryRbm(V: 12, H: 6, generator: new Generator((ulong)seed + 1));
            var schedule = DdpmSchedule.FromDiscretisedSde(vp, 50);
            var ops = Operations(mixture, vp, timeScore, data, lattice, rbm, schedule);

            long done = 0, failed = 0, collections = 0;
            var perKind = new ConcurrentDictionary<string, long>();
            var failures = new ConcurrentDictionary<string, long>();
            var firstFailure = new ConcurrentDictionary<string, string>();
            var clock = Stopwatch.StartNew();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            var collector = new Thread(() =>
            {
                while (!stop.IsCancellationRequested)
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    Interlocked.Increment(ref collections);
                    Thread.Sleep(2);
                }
            }) { IsBackground = true, Name = "stress GC" };
            collector.Start();
            var workers = Enumerable.Range(0, threads).Select(w => new Thread(() =>
            {
                using var generator = new Generator((ulong)(seed * 1000 + w));
                while (!stop.IsCancellationRequested)
                {
                    long index = Interlocked.Increment(ref done) - 1;
                    if (index >= operations || clock.Elapsed > maxDuration) { Interlocked.Decrement(ref done); break; }
                    var op = ops[(int)(index % ops.Count)];          // the kinds in turn across all threads, so each runs equally often
                    try
                    {
                        using (NewDisposeScope()) op.Run(generator, seed + index);
                        perKind.AddOrUpdate(op.Name, 1, (_, c) => c + 1);
                    }
                    catch (Exception e)
                    {
                        Interlocked.Increment(ref failed);
                        failures.AddOrUpdate(op.Name, 1, (_, c) => c + 1);
                        firstFailure.TryAdd(op.Name, e.GetType().Name + ": " + e.Message);
                    }
                    if (index % 1000 == 0) progress?.Report(index);
                }
            }) { Name = "stress worker " + w }).ToList();
            workers.ForEach(t => t.Start());
            workers.ForEach(t => t.Join());
            stop.Cancel();
            collector.Join();
            return new StressResult(done, failed, clock.Elapsed.TotalSeconds, perKind.ToDictionary(p => p.Key, p => p.Value),
                failures.ToDictionary(p => p.Key, p => p.Value), firstFailure.ToDictionary(p => p.Key, p => p.Value), collections);
        }

        private static void Finite(Tensor t, string what)
        {
            using var finite = t.isfinite().all();
            if (!finite.item<bool>()) throw new InvalidOperationException(what + " returned a non-finite value");
        }

        private static List<Operation> Operations(GaussianMixture mixture, VpSde vp, ITimeScoreDivergenceModel timeScore, PerturbedGaussianMixture data,
            LatticeIsing lattice, BinaryRbm rbm, DdpmSchedule schedule)
        {
            var even = IsingLattice.Checkerboard(8);
            NoisePrediction epsilon = (x, t) => x.Mul(0.1);          // a fixed linear ε-prediction: the sampler's arithmetic is what is stressed
            Tensor Points(Generator g, long n = 64) => empty(n, 2, dtype: ScalarType.Float32).normal_(0, 2, generator: g);
            var probability = new LikelihoodOptions { Ode = new OdeOptions { Method = OdeMethod.Rk4, Steps = 4 } };
            return new List<Operation>
            {
                new("Score", (g, _) => Finite(mixture.Score(Points(g)), "Score")),
                new("ScoreNoGrad", (g, _) => Finite(mixture.ScoreNoGrad(Points(g)), "ScoreNoGrad")),
                new("ScoreDivergence", (g, _) => Finite(mixture.ScoreDivergence(Points(g)), "ScoreDivergence")),
                new("EnergyAndScore", (g, _) => Finite(mixture.EnergyAndScore(Points(g)).Score, "EnergyAndScore")),
                new("LogProb", (g, _) => Finite(mixture.LogProb(Points(g)), "LogProb")),
                new("ScoreStepNoGrad", (g, _) => { var x = Points(g); Finite(mixture.ScoreStepNoGrad(x, 0.01, randn_like(x), 0.1), "ScoreStepNoGrad"); }),
                new("Samplers.Langevin", (g, s) => Finite(Samplers.Langevin(mixture, Points(g), 0.05, new SamplerOptions { Steps = 5, Seed = s }).Samples, "Langevin")),
                new("Samplers.Mala", (g, s) => Finite(Samplers.Mala(mixture, Points(g), 0.2, new SamplerOptions { Steps = 5, Seed = s }).Samples, "Mala")),
                new("Samplers.MetropolisHastings", (g, s) => Finite(Samplers.MetropolisHastings(mixture, Points(g), 0.5, new SamplerOptions { Steps = 5, Seed = s }).Samples, "MetropolisHastings")),
                new("SdeSolvers.Sample EM", (g, s) => Finite(SdeSolvers.Sample(vp, timeScore, 64, new SdeSamplerOptions { Steps = 5, Seed = s }).Samples, "SdeSolvers.Sample")),
                new("SdeSolvers.Sample PC", (g, s) => Finite(SdeSolvers.Sample(vp, timeScore, 64, new SdeSamplerOptions { Steps = 3, Corrector = Corrector.Langevin, Seed = s }).Samples, "SdeSolvers.Sample PC")),
                new("ProbabilityFlow.Sample", (g, s) => Finite(ProbabilityFlow.Sample(vp, timeScore, 64, new OdeOptions { Method = OdeMethod.Rk4, Steps = 4 }, seed: s).Samples, "ProbabilityFlow.Sample")),
                new("ProbabilityFlow.LogLikelihood exact", (g, _) => Finite(ProbabilityFlow.LogLikelihood(vp, timeScore, Points(g, 32), probability).LogLikelihood, "LogLikelihood")),
                new("ProbabilityFlow.LogLikelihood Hutchinson", (g, s) => Finite(ProbabilityFlow.LogLikelihood(vp, timeScore, Points(g, 32),
                    new LikelihoodOptions { Ode = probability.Ode, Divergence = DivergenceEstimator.HutchinsonGaussian, Seed = s }).LogLikelihood, "LogLikelihood Hutchinson")),
                new("Samplers.AnnealedLangevin", (g, s) => Finite(Samplers.AnnealedLangevin(data, Points(g), new[] { 1.0, 0.3 }, 0.01, 2, new SamplerOptions { Steps = 4, Seed = s }).Samples, "AnnealedLangevin")),
                new("SdeSolvers.EulerMaruyama", (g, _) => Finite(SdeSolvers.EulerMaruyama(vp, Points(g), 0, 1, 5, g), "EulerMaruyama")),
                new("Ising checkerboard sweeps", (g, _) =>
                {
                    var spins = empty(4, 64).bernoulli_(0.5, generator: g).Mul_(2).Sub_(1);
                    SpinSamplers.Sweep(lattice, spins, even, 0.5, SpinUpdate.Metropolis, g);
                    SpinSamplers.Sweep(lattice, spins, even, 0.5, SpinUpdate.HeatBath, g);
                    Finite(lattice.EnergyNoGrad(spins), "Ising energy");
                }),
                new("RBM Gibbs and pseudo-likelihood", (g, _) =>
                {
                    var v = empty(16, 12).bernoulli_(0.5, generator: g);
                    Finite(BoltzmannLearning.Gibbs(rbm, v, 2, g), "Gibbs");
                    Finite(BoltzmannLearning.PseudoLogLikelihood(rbm, v, g), "PseudoLogLikelihood");
                }),
                new("Ddpm.Ancestral and Ddim", (g, s) =>
                {
                    Finite(Ddpm.Ancestral(schedule, epsilon, 32, 2, new DdpmSamplerOptions { Steps = 5, Seed = s }).Samples, "Ancestral");
                    Finite(Ddpm.Ddim(schedule, epsilon, 32, 2, new DdpmSamplerOptions { Steps = 5, Seed = s }).Samples, "Ddim");
                }),
                new("VpSde generated", (g, _) =>
                {
                    var x = Points(g);
                    var t = empty(64).uniform_(0.01, 1, generator: g);
                    Finite(vp.Perturb(x, t, randn_like(x)), "Perturb");
                    Finite(vp.PriorLogProb(x), "PriorLogProb");
                    Finite(vp.ProbabilityFlowDrift(x, t, x), "ProbabilityFlowDrift");
                }),
                new("ScoreMatching losses", (g, _) =>
                {
                    var x = Points(g);
                    Finite(ScoreMatchingLosses.Implicit(mixture, x), "Implicit");
                    Finite(ScoreMatchingLosses.Denoising(mixture, x, 0.1, g), "Denoising");
                    Finite(ScoreMatchingLosses.Sliced(mixture, x, g), "Sliced");
                    Finite(ScoreMatchingLosses.NoiseConditional(data, x, new[] { 1.0, 0.1 }, g), "NoiseConditional");
                }),
                new("Trainer steps", (g, s) =>
                {
                    // Training mutates the parameters, so each call trains a model of its own on a shared data shape.
                    using var model = new GaussianMixture(D: 2, K: 2, generator: new Generator((ulong)s));
                    using var samples = Points(g, 256);
                    var stream = new TensorDataStream(samples, 32, s);
                    var result = Trainer.Train(model, stream, (batch, gen) => ScoreMatchingLosses.Implicit(model, batch), new TrainerOptions { Steps = 3, LearningRate = 1e-2, Seed = s });
                    if (!double.IsFinite(result.FinalLoss)) throw new InvalidOperationException("Trainer returned a non-finite loss");
                }),
            };
        }
    }
}
