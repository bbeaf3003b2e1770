using System;
using System.Diagnostics;
using Dsl.GeneratedCode;
using Dsl.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Sde
{
    /// <summary>A time score that gives s(x, t) and ∇ₓ·s(x, t) together at one time shared by the batch, without a tape.</summary>
    internal interface ISharedTimeDivergenceModel : ITimeScoreModel
    {
        /// <summary>s and ∇·s at <paramref name="time"/> for every row of x ([N, D] and [N]); false when the model has no exact divergence.</summary>
        bool TryScoreAndDivergenceAtNoGrad(Tensor x, double time, out Tensor score, out Tensor divergence);

        /// <summary>
        /// c·x + a·s(x, t) into <paramref name="flow"/> and e + f·∇ₓ·s(x, t) into <paramref name="divergence"/> at one time shared by
        /// the batch, from one read of x (the data model's generated <see cref="INoiseConditionalFlowModel"/> kernel); x may be of any
        /// floating dtype, the outputs are x's. False when the data model has no such method.
        /// </summary>
        bool TryFlowAndDivergenceAtNoGrad(Tensor x, double time, double c, double a, double divergenceShift, double divergenceScale, Tensor flow, Tensor divergence);
    }

    /// <summary>How the likelihood ODE gets ∇ₓ·s(x, t).</summary>
    public enum DivergenceEstimator
    {
        /// <summary>The generated exact divergence when the score model has one, D autograd passes otherwise.</summary>
        Exact,
        /// <summary>Hutchinson's vᵀ(∂s/∂x)v with one Gaussian probe per sample, fixed over the solve (score_sde).</summary>
        HutchinsonGaussian,
        /// <summary>Hutchinson with a Rademacher probe.</summary>
        HutchinsonRademacher,
    }

    /// <summary>The range of discretised data, for bits per dimension.</summary>
    public enum DataRange
    {
        /// <summary>Data in [0, 1] on 256 levels: bits/dim = NLL/(D ln 2) + 8.</summary>
        UnitInterval,
        /// <summary>Data in [−1, 1] on 256 levels: bits/dim = NLL/(D ln 2) + 7 (the density of x ∈ [−1,1] is half that of (x+1)/2 per dimension).</summary>
        Symmetric,
    }

    /// <summary>Settings of the probability-flow likelihood.</summary>
    public sealed class LikelihoodOptions
    {
        /// <summary>The ODE solver (default Dormand–Prince RK45, rtol = atol = 1e-5 as in score_sde).</summary>
        public OdeOptions Ode { get; init; } = new OdeOptions();

        /// <summary>The start time ε: the likelihood is that of p_ε, the data perturbed for time ε.</summary>
        public double Epsilon { get; init; } = 1e-5;

        /// <summary>The divergence of the score.</summary>
        public DivergenceEstimator Divergence { get; init; } = DivergenceEstimator.Exact;

        /// <summary>
        /// A time grid to integrate through instead of the adaptive solve (walked upwards from <see cref="TimeGrid.End"/>, which
        /// replaces <see cref="Epsilon"/>, to <see cref="TimeGrid.Start"/>, which must be T) with the fixed-step
        /// <see cref="OdeOptions.Method"/> of <see cref="Ode"/> (Euler, Heun or Rk4).
        /// </summary>
        public TimeGrid? Grid { get; init; }

        /// <summary>Seed of the Hutchinson probes.</summary>
        public long Seed { get; init; }
    }

    /// <summary>Log-likelihoods of a batch with the pieces they are made of. Owns its tensors.</summary>
    public sealed class LikelihoodResult : IDisposable
    {
        internal LikelihoodResult(Tensor logLikelihood, Tensor priorLogProb, Tensor deltaLogProb, Tensor latent, int evaluations, TimeSpan elapsed)
        {
            LogLikelihood = logLikelihood; PriorLogProb = priorLogProb; DeltaLogProb = deltaLogProb; Latent = latent; FunctionEvaluations = evaluations; Elapsed = elapsed;
        }

        /// <summary>log p_ε(x) in nats: [N], float64 (the precision of the solver's state and accumulator).</summary>
        public Tensor LogLikelihood { get; }
        /// <summary>log π(x_T) under the prior π (log p_T when the prior is exactly p_T): [N], float64.</summary>
        public Tensor PriorLogProb { get; }
        /// <summary>∫_ε^T ∇·f̃ dt: [N], float64.</summary>
        public Tensor DeltaLogProb { get; }
        /// <summary>x_T, the latent the flow maps x to: [N, D], in x's dtype (integrated in float64).</summary>
        public Tensor Latent { get; }
        /// <summary>Evaluations of the augmented ODE's right-hand side.</summary>
        public int FunctionEvaluations { get; }
        /// <summary>Wall time.</summary>
        public TimeSpan Elapsed { get; }

        /// <summary>Disposes the tensors.</summary>
        public void Dispose() { LogLikelihood.Dispose(); PriorLogProb.Dispose(); DeltaLogProb.Dispose(); Latent.Dispose(); }
    }

    /// <summary>
    /// The probability-flow ODE dx/dt = f(x, t) − ½g(t)² s(x, t) (Song et al. 2021): deterministic sampling from the
    /// prior, and exact log-likelihoods by the augmented ODE d/dt [x, log p] = [f̃, −∇·f̃] (likelihood.py of score_sde).
    /// </summary>
    public static class ProbabilityFlow
    {
        /// <summary>Integrates the probability-flow ODE from prior samples at T down to ε.</summary>
        public static SdeSampleResult Sample(ISde sde, ITimeScoreModel score, long n, OdeOptions ode, double epsilon = 1e-3, long seed = 0,
            ScalarType dtype = ScalarType.Float32, Device? device = null)
        {
            const string solver = "Probability-flow ODE";
            SdeSolvers.CheckTimes(sde, solver, epsilon, sde.EndTime, epsilon);
            SdeSolvers.CheckScoreEpsilon(sde, solver, epsilon);
            return Flow(sde, score, n, seed, dtype, device, (f, y0) => OdeSolvers.Solve(f, y0, sde.EndTime, epsilon, ode, solver + " on " + sde.SdeName));
        }

        /// <summary>
        /// Integrates the probability-flow ODE from prior samples at T = grid[0] down to ε = grid[N] through the grid's times
        /// with a fixed-step <paramref name="method"/> (Euler, Heun or Rk4; the same prior draws as the other overload for the same seed).
        /// </summary>
        public static SdeSampleResult Sample(ISde sde, ITimeScoreModel score, long n, TimeGrid grid, OdeMethod method = OdeMethod.Heun, long seed = 0,
            ScalarType dtype = ScalarType.Float32, Device? device = null)
        {
            const string solver = "Probability-flow ODE";
            if (grid is null) throw new ArgumentNullException(nameof(grid), solver + ": grid is null.");
            grid.CheckFor(sde, solver, nameof(grid), startAtT: true);
            if (method == OdeMethod.Rk45) throw new ArgumentException(solver + ": a time grid needs a fixed-step method (Euler, Heun or Rk4), got Rk45.", nameof(method));
            return Flow(sde, score, n, seed, dtype, device, (f, y0) => OdeSolvers.Solve(f, y0, grid.Times, new OdeOptions { Method = method }, solver + " on " + sde.SdeName));
        }

        private static SdeSampleResult Flow(ISde sde, ITimeScoreModel score, long n, long seed, ScalarType dtype, Device? device, Func<OdeFieldInto, Tensor[], OdeResult> solve)
        {
            const string solver = "Probability-flow ODE";
            if (n < 1) throw new ArgumentException(solver + ": the number of samples must be ≥ 1, got " + n + ".", nameof(n));
            device ??= CPU;
            var clock = Stopwatch.StartNew();
            using var generator = new Generator((ulong)seed, device);
            using var prior = sde.SamplePrior(n, score.Dim, generator, dtype, device);
            using var noGrad = no_grad();
            var shared = sde.HasGaussianKernel ? score as ISharedTimeScoreModel : null;
            using var result = solve((time, state, into) =>
            {
                if (shared is not null && state[0].device_type == DeviceType.CPU)
                {
                    // f − ½g²s = a(t)·x − ½g(t)²·s(x, t) with a, g in float64 once per evaluation: the generated fused step kernel
                    // c·x + a·s + b·z with c = a(t), a = −½g², b = 0 (no noise drawn), one pass over x into the solver's stage buffer.
                    double g = sde.DiffusionAt(time);
                    if (shared.TryStepNoGrad(state[0], time, sde.DriftCoefficientAt(time), -0.5 * g * g, 0, default, into[0])) return;
                }
                using var scope = NewDisposeScope();
                var t = global::Dsl.ScalarOps.Full(new long[] { n }, time, dtype, device);
                var s = ScoreOutput.CheckShape("ProbabilityFlow.Sample", score.ModelName, score.Score(state[0], t), state[0]);
                into[0].copy_(sde.ProbabilityFlowDrift(state[0], t, s));
            }, new[] { prior });
            var samples = result.State[0].clone();
            SdeSolvers.CheckFinite(solver, sde, samples, result.FinalTime);
            return new SdeSampleResult(samples, null, result.FunctionEvaluations, result.AcceptedSteps, clock.Elapsed, result.Cancelled);
        }

        /// <summary>log p_ε(x) for a batch x: [N, D] by integrating [x, Δ] from ε to T and adding the prior log-density.</summary>
        public static LikelihoodResult LogLikelihood(ISde sde, ITimeScoreModel score, Tensor x, LikelihoodOptions options)
        {
            const string solver = "Probability-flow likelihood";
            SdeChecks.Batch(sde.SdeName, solver, x);
            if (options.Grid is TimeGrid grid)
            {
                grid.CheckFor(sde, solver, "Grid", startAtT: true);
                if (options.Ode.Method == OdeMethod.Rk45) throw new ArgumentException(solver + ": LikelihoodOptions.Grid needs a fixed-step Ode.Method (Euler, Heun or Rk4), got Rk45.", nameof(options));
            }
            else
            {
                SdeSolvers.CheckTimes(sde, solver, options.Epsilon, sde.EndTime, options.Epsilon);
                SdeSolvers.CheckScoreEpsilon(sde, solver, options.Epsilon);
            }
            if (x.shape[1] != score.Dim)
                throw new ArgumentException(solver + ": x has dimension " + x.shape[1] + " but " + score.ModelName + " has D = " + score.Dim + ".", nameof(x));
            // Non-finite data would make the ODE state NaN at once, and the solver would blame its step size or ε.
            Sampling.ChainLoop.CheckFiniteStart("ProbabilityFlow.LogLikelihood on " + score.ModelName, "the data x", x, nameof(x));
            const string entryPoint = "ProbabilityFlow.LogLikelihood";
            var caller = new AutogradCaller(entryPoint + (options.Divergence == DivergenceEstimator.Exact ? " with the Exact estimator" : " with a Hutchinson estimator"),
                "the score '" + score.ModelName + "'", "x",
                "Its Score(x, t) must keep the autograd graph: a score built on ScoreNoGrad is not differentiable (use Score), nor one that detaches or runs under no_grad.");
            var clock = Stopwatch.StartNew();
            long n = x.shape[0], d = x.shape[1];
            using var generator = new Generator((ulong)options.Seed, x.device);
            using var probe = options.Divergence == DivergenceEstimator.Exact ? null
                : DivergenceEstimators.Probe(x, options.Divergence == DivergenceEstimator.HutchinsonGaussian ? ProbeDistribution.Gaussian : ProbeDistribution.Rademacher, generator);
            // Mixed precision as score_sde's likelihood.py (scipy's solve_ivp on a float64 state, the model in float32): the
            // augmented state [x, Δ], the RK45 stages, the error norm and the accumulator Δ are float64; the score and its
            // divergence are evaluated in x's dtype (x_t is cast to it at each evaluation, and the solver casts f̃ and ∇·f̃ back).
            var modelType = x.dtype;
            using var detached = x.detach();
            using var startX = detached.to_type(ScalarType.Float64);
            using var startDelta = zeros(n, dtype: ScalarType.Float64, device: x.device);
            var start = new[] { startX, startDelta };
            // GGᵀ not a multiple of I: the flow's divergence is taken of the whole field f − ½GGᵀs, and ∇·s is not needed.
            bool wholeField = sde is IGeneralSde general && (general.DiffusionForm != DiffusionForm.Scalar || general.DiffusionDependsOnState);
            // The steady state of a Gaussian-kernel SDE (f = a(t)x, scalar g) with a score that evaluates s and ∇·s at one shared
            // time: the schedule a(t), g(t)² in float64 on the host, f̃ = a x − ½g² s and ∇·f̃ = D a − ½g² ∇·s in the data model's
            // generated one-pass flow when it has one (rhs below), else from one scaled x in a few torch ops (anyModel).
            var sharedTime = probe is null && !wholeField && sde.HasGaussianKernel ? score as ISharedTimeDivergenceModel : null;
            // Every other model and SDE: the right-hand side as fresh tensors (autograd or Hutchinson divergences, general SDEs), copied into the stage buffers.
            Func<double, Tensor[], Tensor[]> anyModel = (time, state) =>
            {
                using var scope = NewDisposeScope();
                if (sharedTime is not null)
                {
                    var xs = state[0].dtype == modelType ? state[0] : state[0].to_type(modelType);
                    if (sharedTime.TryScoreAndDivergenceAtNoGrad(xs, time, out var s0, out var div0))
                    {
                        ScoreOutput.CheckShape(entryPoint, score.ModelName, s0, xs);
                        double a = sde.DriftCoefficientAt(time), g = sde.DiffusionAt(time), halfG2 = 0.5 * g * g;
                        using var noGradShared = no_grad();
                        // In the state's float64: the linear term reads the float64 x, only s and ∇·s went through the model's dtype.
                        var flowDrift = state[0].Mul(a).Add_(s0.to_type(state[0].dtype), -halfG2);           // f̃ = a(t) x − ½g(t)² s
                        var flowDivergence = div0.to_type(state[1].dtype).Mul_(-halfG2).Add_(d * a);          // ∇·f̃ = D a(t) − ½g(t)² ∇·s
                        return new[] { flowDrift.MoveToOuterDisposeScope(), flowDivergence.MoveToOuterDisposeScope() };
                    }
                }
                var t = global::Dsl.ScalarOps.Full(new long[] { n }, time, modelType, x.device);
                var xt = state[0].dtype == modelType ? state[0] : state[0].to_type(modelType);
                if (wholeField)
                {
                    Tensor flowScore;
                    using (no_grad()) flowScore = ScoreOutput.CheckShape(entryPoint, score.ModelName, score.Score(xt, t), xt);
                    // ∇·f̃ for f̃ = f − ½GGᵀs: the divergence of the whole probability-flow field (GGᵀ is not a multiple of I)
                    Tensor flowDivergence;
                    if (probe is null)
                        flowDivergence = DivergenceEstimators.Exact(xx => sde.ProbabilityFlowDrift(xx, t, score.Score(xx, t)), xt, differentiable: false,
                            new AutogradCaller(entryPoint, "the probability-flow drift of '" + sde.SdeName + "'", "x", "The score and the generated drift must be differentiable in x."), constantFieldIsZero: true);
                    else
                    {
                        using var grad = enable_grad();
                        var input = xt.detach().requires_grad_(true);
                        var field = sde.ProbabilityFlowDrift(input, t, score.Score(input, t));
                        var vjp = GuardedAutograd.Grad(caller, (field * probe).sum(), input);
                        flowDivergence = vjp is null ? zeros(n, dtype: x.dtype, device: x.device) : (vjp * probe).sum(1).detach();
                    }
                    Tensor flow;
                    using (no_grad()) flow = sde.ProbabilityFlowDrift(xt, t, flowScore);
                    return new[] { flow.MoveToOuterDisposeScope(), flowDivergence.MoveToOuterDisposeScope() };
                }
                Tensor s, divScore;
                if (probe is null)
                {
                    using (no_grad()) s = ScoreOutput.CheckShape(entryPoint, score.ModelName, score.Score(xt, t), xt);
                    divScore = score is ITimeScoreDivergenceModel exact
                        ? NoGrad(() => exact.ScoreDivergence(xt, t))
                        : DivergenceEstimators.Exact(xx => score.Score(xx, t), xt, differentiable: false, caller, constantFieldIsZero: false);
                }
                else
                {
                    using var grad = enable_grad();
                    var input = xt.detach().requires_grad_(true);
                    var sg = ScoreOutput.CheckShape(entryPoint, score.ModelName, score.Score(input, t), xt);
                    var vjp = GuardedAutograd.Grad(caller, (sg * probe).sum(), input);
                    divScore = vjp is null ? zeros(n, dtype: x.dtype, device: x.device) : (vjp * probe).sum(1).detach();
                    s = sg.detach();
                }
                using var noGrad = no_grad();
                var g2 = sde.Diffusion(t).Square();
                // The SDE's own drift may be identically zero (no graph at all): its divergence is then 0, not a mistake.
                var divDrift = sde.HasGaussianKernel ? sde.DriftDivergence(t, d)
                    : DivergenceEstimators.Exact(xx => sde.Drift(xx, t), xt, differentiable: false,
                        new AutogradCaller(entryPoint, "the drift of '" + sde.SdeName + "'", "x", "The generated drift must be differentiable in x."), constantFieldIsZero: true);
                var drift = sde.ProbabilityFlowDrift(xt, t, s);
                var divFlow = divDrift - (g2 * divScore).Mul(0.5);       // ∇·f̃ = ∇·f − ½g²∇·s
                return new[] { drift.MoveToOuterDisposeScope(), divFlow.MoveToOuterDisposeScope() };
            };
            OdeFieldInto rhs = (time, state, into) =>
            {
                if (sharedTime is not null)
                {
                    double a0 = sde.DriftCoefficientAt(time), g0 = sde.DiffusionAt(time), halfG0 = 0.5 * g0 * g0;
                    // The steady state: f̃ = a(t)x − ½g(t)²s and ∇·f̃ = D·a(t) − ½g(t)²∇·s in one generated pass over the float64 state,
                    // straight into the solver's stage buffers (the data model's score and divergence share their subexpressions
                    // there, computed in double); a(t), g(t) on the host.
                    if (sharedTime.TryFlowAndDivergenceAtNoGrad(state[0], time, a0, -halfG0, d * a0, -halfG0, into[0], into[1])) return;
                }
                using var scope = NewDisposeScope();
                var k = anyModel(time, state);
                using var noGrad = no_grad();
                into[0].copy_(k[0]);
                into[1].copy_(k[1]);
            };
            using var result = options.Grid is TimeGrid g
                ? OdeSolvers.Solve(rhs, start, System.Linq.Enumerable.ToArray(System.Linq.Enumerable.Reverse(g.Times)), options.Ode, solver + " on " + sde.SdeName)
                : OdeSolvers.Solve(rhs, start, options.Epsilon, sde.EndTime, options.Ode, solver + " on " + sde.SdeName);
            var delta = result.State[1].clone();
            SdeSolvers.CheckFinite(solver, sde, result.State[0], result.FinalTime);
            var prior = sde.PriorLogProb(result.State[0]);                // in float64, from the float64 latent
            var logp = prior.Add(delta);                                  // log p_ε(x) = log p_T(x_T) + ∫_ε^T ∇·f̃ dt
            var latent = modelType == ScalarType.Float64 ? result.State[0].clone() : result.State[0].to_type(modelType);
            return new LikelihoodResult(logp, prior, delta, latent, result.FunctionEvaluations, clock.Elapsed);
        }

        /// <summary>Bits per dimension of discretised data from the mean negative log-likelihood per dimension in nats (score_sde's offset: 8 for [0,1], 7 for [−1,1]).</summary>
        public static double BitsPerDimension(double nllNatsPerDim, DataRange range) =>
            nllNatsPerDim / System.Math.Log(2) + (range == DataRange.UnitInterval ? 8 : 7);

        private static Tensor NoGrad(Func<Tensor> f)
        {
            using var noGrad = no_grad();
            return f();
        }
    }
}
