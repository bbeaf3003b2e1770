using System;
using System.Collections.Generic;
using Dsl.Examples.Experiments;
using Dsl.Sampling;
using Dsl.Sde;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// The runtime's extension points used from outside the assembly, as a user would: a reverse-SDE predictor and an MCMC
    /// transition kernel written here, run by the library's loops; and a model's declared support read by the samplers.
    /// </summary>
    public class ExtensionPointTests
    {
        /// <summary>
        /// score_sde's EulerMaruyamaPredictor written by a user against the public API (the general form, every sample at its
        /// own t): x_mean = x − [f − g²s]Δt, x = x_mean + g√Δt z.
        /// </summary>
        private sealed class UserEulerMaruyama : SdePredictor
        {
            public int Calls;

            public override string Name => "user Euler–Maruyama";

            public override PredictorStep Step(SdeStepContext context, Tensor x, Tensor noise)
            {
                Calls++;
                var s = context.Score(x);
                noise.normal_(0, 1, generator: context.Generator);
                var t = context.TimeTensor;
                var g = context.Sde.Diffusion(t).unsqueeze(1);
                var mean = context.Sde.ReverseDrift(x, t, s).Mul_(-context.Dt).Add_(x);
                noise.mul_(g).Mul_(System.Math.Sqrt(context.Dt)).Add_(mean);
                return new PredictorStep(noise, mean);
            }
        }

        /// <summary>
        /// A predictor written here, composed with the built-in Langevin corrector, gives bit for bit the samples of the built-in
        /// predictor–corrector sampler (Predictor.EulerMaruyama + Corrector.Langevin, whose statistics SdeSamplingTests checks),
        /// with the same NFE: the run loop, not the enum, owns the composition.
        /// </summary>
        [Fact]
        public void A_user_written_predictor_composes_with_the_built_in_corrector_and_reproduces_the_built_in_sampler()
        {
            using var scope = NewDisposeScope();
            var sde = new VpSde();
            var score = TimeScores.FromPerturbedData(SdeExperiments.GaussianData(2), sde);
            var options = new SdeSamplerOptions { Steps = 50, Corrector = Corrector.Langevin, CorrectorSteps = 2, Seed = 4 };
            using var builtIn = SdeSolvers.Sample(sde, score, 500, options, ScalarType.Float64);
            var user = new UserEulerMaruyama();
            using var composed = SdeSolvers.Sample(sde, score, 500, user, new LangevinCorrector(options.Snr), options, ScalarType.Float64);
            Assert.Equal(options.Steps, user.Calls);
            Assert.Equal(builtIn.FunctionEvaluations, composed.FunctionEvaluations);
            Assert.Equal(options.Steps * (1 + options.CorrectorSteps), composed.FunctionEvaluations);
            Assert.True(builtIn.Samples.equal(composed.Samples).all().item<bool>(), "the user's predictor gives the built-in sampler's samples bit for bit");
        }

        /// <summary>The built-in classes through the composing overload give what the enum entry point gives (here the shared-time fast path).</summary>
        [Fact]
        public void The_enum_entry_point_is_the_built_in_classes()
        {
            using var scope = NewDisposeScope();
            var sde = new VeSde();
            var score = TimeScores.FromPerturbedData(SdeExperiments.GaussianData(3), sde);
            var options = new SdeSamplerOptions { Steps = 40, Seed = 2 };
            using var viaEnum = SdeSolvers.Sample(sde, score, 300, options, ScalarType.Float64);
            using var viaClass = SdeSolvers.Sample(sde, score, 300, new EulerMaruyamaPredictor(), null, options, ScalarType.Float64);
            Assert.True(viaEnum.Samples.equal(viaClass.Samples).all().item<bool>());
            var rd = new SdeSamplerOptions { Steps = 40, Seed = 2, Predictor = Predictor.ReverseDiffusion };
            using var rdEnum = SdeSolvers.Sample(sde, score, 300, rd, ScalarType.Float64);
            using var rdClass = SdeSolvers.Sample(sde, score, 300, new ReverseDiffusionPredictor(), null, rd, ScalarType.Float64);
            Assert.True(rdEnum.Samples.equal(rdClass.Samples).all().item<bool>());
        }

        /// <summary>
        /// A random-walk Metropolis kernel written by a user: y = x + h·z, accepted when log u &lt; E(x) − E(y). It owns its state and
        /// energy, returns the acceptance indicators, and draws only from the generator it is given.
        /// </summary>
        private sealed class UserRandomWalk : TransitionKernel
        {
            private readonly IEnergyModel model;
            private Tensor x = null!, e = null!;
            public bool Disposed;

            public UserRandomWalk(IEnergyModel model) { this.model = model; }

            public override Tensor Current => x;

            public override void Start(Tensor start) { x = start; e = model.EnergyNoGrad(x); }

            public override Tensor? Step(long step, double stepSize, Generator generator)
            {
                using var scope = NewDisposeScope();
                var y = empty_like(x).normal_(0, stepSize, generator: generator).Add_(x);
                var ey = model.EnergyNoGrad(y);
                var u = empty(new long[] { x.shape[0] }, x.dtype, x.device).uniform_(0, 1, generator: generator);
                var accept = u.log_() < (e - ey);
                var xNext = where(accept.unsqueeze(1), y, x).MoveToOuterDisposeScope();
                var eNext = where(accept, ey, e).MoveToOuterDisposeScope();
                x.Dispose(); e.Dispose();
                x = xNext; e = eNext;
                return accept.to_type(ScalarType.Float64).MoveToOuterDisposeScope();
            }

            public override void Dispose() { x?.Dispose(); e?.Dispose(); Disposed = true; }
        }

        /// <summary>
        /// The user's kernel through the public chain loop: step-size adaptation from its acceptance, thinned trajectory, progress
        /// reports and disposal; its samples match the correlated Gaussian within 4 ESS-based standard errors (ChainDiagnostics).
        /// </summary>
        [Fact]
        public void A_user_written_transition_kernel_runs_through_the_chain_loop_with_diagnostics_and_progress()
        {
            using var scope = NewDisposeScope();
            var model = SamplerTests.CorrelatedGaussian();
            var x0 = SamplerTests.Start(21);
            var reports = new List<SamplerProgress>();
            var options = new SamplerOptions { BurnIn = 500, Steps = 1500, Thin = 3, Seed = 22, Progress = new Synchronous<SamplerProgress>(reports.Add) };
            ChainLoop.CheckStart("user random walk", model, x0);
            var kernel = new UserRandomWalk(model);
            using var r = ChainLoop.Run("user random walk", model, x0, kernel, 0.3, options, adaptTarget: 0.234);
            Assert.True(kernel.Disposed, "the loop disposes the kernel");
            Assert.Equal("user random walk", r.Sampler);
            Assert.Equal(new long[] { 500, SamplerTests.Start(21).shape[0], 2 }, r.Trajectory!.shape);
            Assert.InRange(r.AcceptanceRate, 0.15, 0.35);                        // adapted towards 0.234 during burn-in
            Assert.NotEmpty(reports);
            Assert.Equal(2000, reports[^1].Step);
            Assert.All(reports, p => Assert.Equal("user random walk", p.Sampler));
            SamplerTests.AssertMoments(r, SamplerTests.GaussianTruth(), "the user's random walk on the correlated Gaussian");
        }

        /// <summary>Reports progress on the calling thread (Progress&lt;T&gt; posts to the thread pool, so a test could miss the last report).</summary>
        private sealed class Synchronous<T> : IProgress<T>
        {
            private readonly Action<T> action;
            public Synchronous(Action<T> action) { this.action = action; }
            public void Report(T value) => action(value);
        }

        /// <summary>
        /// The exponential declares x ≥ 0 ([Support]); Metropolis–Hastings then never leaves it (its energy λᵀx alone would run off to
        /// x → −∞) and samples Exp(λ): mean 1/λ within 4 ESS-based standard errors. A start outside the support is refused.
        /// </summary>
        [Fact]
        public void A_declared_support_keeps_Metropolis_Hastings_inside_it_and_refuses_starts_outside()
        {
            using var scope = NewDisposeScope();
            Assert.Equal(SupportKind.NonNegative, ModelSupport.Of(new Exponential(D: 2)));
            Assert.Equal(SupportKind.RealLine, ModelSupport.Of(SamplerTests.CorrelatedGaussian()));
            var model = new Exponential(D: 2);
            model.to(ScalarType.Float64);
            model.SetParameter("Lambda", tensor(new[] { 1.0, 2.0 }));
            var start = SamplerTests.Start(31);
            var error = Assert.Throws<ArgumentException>(() => Samplers.MetropolisHastings(model, start, 0.5, new SamplerOptions { Steps = 10, Seed = 1 }));
            Assert.Contains("support (x ≥ 0)", error.Message);
            using var r = Samplers.MetropolisHastings(model, ModelSupport.MapInto(model, start), 0.5, new SamplerOptions { BurnIn = 500, Steps = 2000, Thin = 4, Seed = 32 }, adaptStep: true);
            Assert.True(r.Trajectory!.Ge(0).all().item<bool>(), "every recorded state lies in x ≥ 0");
            var summary = ChainDiagnostics.Summarize(r.Trajectory!);
            double[] mean = { 1.0, 0.5 };
            for (int d = 0; d < 2; d++)
                Assert.True(System.Math.Abs(summary.Mean[d] - mean[d]) <= 4 * summary.StandardError[d],
                    $"E[x{d}] = {summary.Mean[d]:F4} vs 1/λ = {mean[d]}, SE {summary.StandardError[d]:E2}");
        }
    }
}
