using System;
using System.Diagnostics;
using Dsl.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Families
{
    /// <summary>How a continuous flow computes the divergence ∇·f in the log-density ODE.</summary>
    public enum CnfDivergence
    {
        /// <summary>Exact: one autograd pass per dimension.</summary>
        Exact,
        /// <summary>Hutchinson's estimate vᵀ(∂f/∂z)v with one Rademacher probe v held fixed over each solve (FFJORD).</summary>
        Hutchinson,
    }

    /// <summary>The log-likelihood of data under a continuous flow, with the solver's cost.</summary>
    public sealed class CnfLikelihood : IDisposable
    {
        internal CnfLikelihood(Tensor logLikelihood, Tensor latent, Tensor deltaLogProb, int nfe)
        {
            LogLikelihood = logLikelihood; Latent = latent; DeltaLogProb = deltaLogProb; FunctionEvaluations = nfe;
        }

        /// <summary>log p(x): [N].</summary>
        public Tensor LogLikelihood { get; }
        /// <summary>z(T), the data mapped to the base distribution: [N, D].</summary>
        public Tensor Latent { get; }
        /// <summary>∫₀ᵀ ∇·f(z(t), t) dt: [N].</summary>
        public Tensor DeltaLogProb { get; }
        /// <summary>Evaluations of the augmented vector field (NFE).</summary>
        public int FunctionEvaluations { get; }

        /// <inheritdoc/>
        public void Dispose() { LogLikelihood.Dispose(); Latent.Dispose(); DeltaLogProb.Dispose(); }
    }

    /// <summary>
    /// A continuous normalising flow (Chen et al. 2018; Grathwohl et al. 2019): dz/dt = f(z, t) carries data x = z(0) to
    /// z(T) with base N(0, I), and the instantaneous change of variables d log p(z(t))/dt = −∇·f(z(t), t) gives
    /// log p(x) = log N(z(T); 0, I) + ∫₀ᵀ ∇·f(z(t), t) dt, computed on the augmented state [z, Δ] — the same augmented ODE
    /// as the probability-flow likelihood. f is a tanh network of [z, t] (or a given field); evaluation uses the adaptive
    /// <see cref="OdeSolvers"/> (NFE reported) and <see cref="DivergenceEstimators"/>; training backpropagates through a
    /// fixed-step RK4 discretisation (discretise-then-optimise).
    /// </summary>
    public sealed class ContinuousFlow : NetworkModule
    {
        private readonly Func<Tensor, double, Tensor>? field;

        /// <summary>A flow whose field is a tanh network [z, t] → <paramref name="hidden"/> → <paramref name="hidden"/> → D.</summary>
        public ContinuousFlow(int dim, int hidden, Generator? generator = null, double endTime = 1.0) : base("ContinuousFlow", CheckSize("ContinuousFlow", "D", dim))
        {
            EndTime = CheckTime(endTime);
            Dense("f0", dim + 1, CheckSize("ContinuousFlow", "H", hidden), generator);
            Dense("f1", hidden, hidden, generator);
            Dense("f2", hidden, dim, generator);
        }

        /// <summary>A flow along a given field f(z, t): [N, D] (no trainable parameters of its own), e.g. a linear field for checks.</summary>
        public ContinuousFlow(string name, int dim, Func<Tensor, double, Tensor> field, double endTime = 1.0) : base(name, CheckSize(name, "D", dim))
        {
            this.field = field ?? throw new ArgumentNullException(nameof(field));
            EndTime = CheckTime(endTime);
        }

        private static double CheckTime(double t) =>
            t > 0 && double.IsFinite(t) ? t : throw new ArgumentException("ContinuousFlow: the end time must be positive and finite; got " + t + ".");

        /// <summary>T, the time at which z reaches the base distribution.</summary>
        public double EndTime { get; }

        /// <summary>f(z, t): [N, D]; differentiable in z and the parameters.</summary>
        public Tensor Field(Tensor z, double t)
        {
            if (field != null) return field(z, t);
            using var scope = NewDisposeScope();
            var input = cat(new[] { z, global::Dsl.ScalarOps.Full(new long[] { z.shape[0], 1 }, t, dtype: z.dtype, device: z.device) }, 1);
            var h = Apply("f1", Apply("f0", input).tanh()).tanh();
            return Apply("f2", h).MoveToOuterDisposeScope();
        }

        /// <summary>log N(z; 0, I): [N].</summary>
        public static Tensor BaseLogProb(Tensor z)
        {
            using var scope = NewDisposeScope();
            return (z.Square().sum(new long[] { 1 }).Mul(-0.5).Sub(0.5 * z.shape[1] * System.Math.Log(2 * System.Math.PI))).MoveToOuterDisposeScope();
        }

        /// <summary>
        /// log p(x) by solving the augmented ODE d[z, Δ]/dt = [f(z, t), ∇·f(z, t)] from 0 to T with <paramref name="ode"/> (adaptive
        /// RK45 by default), without a tape: log p(x) = log N(z(T)) + Δ(T).
        /// </summary>
        public CnfLikelihood LogLikelihood(Tensor x, OdeOptions? ode = null, CnfDivergence divergence = CnfDivergence.Exact, long seed = 0)
        {
            CheckInput(x, "LogLikelihood");
            long n = x.shape[0];
            using var generator = new Generator((ulong)seed, x.device);
            using var probe = divergence == CnfDivergence.Exact ? null : DivergenceEstimators.Probe(x, ProbeDistribution.Rademacher, generator);
            using var startZ = x.detach();
            using var startDelta = zeros(n, dtype: x.dtype, device: x.device);
            using var result = OdeSolvers.Solve((t, state) =>
            {
                using var scope = NewDisposeScope();
                Tensor f, div;
                using (enable_grad())
                {
                    var z = state[0].detach().requires_grad_(true);
                    f = CheckField(Field(z, t), z, "LogLikelihood");
                    var caller = FieldCaller("LogLikelihood" + (probe is null ? " with the exact divergence" : " with a Hutchinson divergence"));
                    div = zeros(n, dtype: x.dtype, device: x.device);
                    if (probe is null)
                    {
                        for (long i = 0; i < x.shape[1]; i++)
                        {
                            // retain_graph: the D passes share one graph; a field that ignores z (null) adds nothing.
                            var gi = GuardedAutograd.Grad(caller, f.select(1, i).sum(), z, retainGraph: true);
                            if (gi is not null) div = div.Add(gi.select(1, i));
                        }
                    }
                    else
                    {
                        var vjp = GuardedAutograd.Grad(caller, (f * probe).sum(), z);
                        if (vjp is not null) div = (vjp * probe).sum(1);
                    }
                }
                return new[] { f.detach().MoveToOuterDisposeScope(), div.detach().MoveToOuterDisposeScope() };
            }, new[] { startZ, startDelta }, 0, EndTime, ode ?? new OdeOptions { Method = OdeMethod.Rk45, RelativeTolerance = 1e-5, AbsoluteTolerance = 1e-5 }, ModelName + ".LogLikelihood");
            var latent = result.State[0].clone();
            var delta = result.State[1].clone();
            Tensor logp;
            using (var scope = NewDisposeScope()) logp = (BaseLogProb(latent).Add(delta)).MoveToOuterDisposeScope();
            return new CnfLikelihood(logp, latent, delta, result.FunctionEvaluations);
        }

        /// <summary>
        /// The training loss −(1/N) Σ log p(xᵢ), with the augmented ODE discretised by <paramref name="steps"/> RK4 steps and the
        /// exact divergence kept on the tape (create_graph), so the parameters train through the solve: 0-dim.
        /// </summary>
        public Tensor NegativeLogLikelihoodLoss(Tensor x, int steps = 8)
        {
            CheckInput(x, "NegativeLogLikelihoodLoss");
            if (steps < 1) throw new ArgumentException(ModelName + ".NegativeLogLikelihoodLoss: steps must be ≥ 1, got " + steps + ".", nameof(steps));
            using var scope = NewDisposeScope();
            using var grad = enable_grad();
            var (z, delta) = IntegrateDifferentiable(x, steps);
            return (-(BaseLogProb(z).Add(delta)).mean()).MoveToOuterDisposeScope();
        }

        /// <summary>[f, ∇·f] at (z, t) with the divergence differentiable (exact: D passes with create_graph).</summary>
        private (Tensor F, Tensor Div) Augmented(Tensor z, double t)
        {
            var f = CheckField(Field(z, t), z, "NegativeLogLikelihoodLoss");
            var caller = FieldCaller("NegativeLogLikelihoodLoss");
            var div = zeros(z.shape[0], dtype: z.dtype, device: z.device);
            for (long i = 0; i < z.shape[1]; i++)
            {
                // retain_graph: the D passes share one graph; create_graph: the loss trains through the divergence.
                var gi = GuardedAutograd.Grad(caller, f.select(1, i).sum(), z, retainGraph: true, createGraph: true);
                if (gi is not null) div = div.Add(gi.select(1, i));
            }
            return (f, div);
        }

        /// <summary>f must be [N, D] like z: a wrong shape would otherwise fail inside libtorch or broadcast into the divergence.</summary>
        private Tensor CheckField(Tensor f, Tensor z, string method)
        {
            if (f is null || f.IsInvalid || !f.shape.AsSpan().SequenceEqual(z.shape))
                throw new ArgumentException(ModelName + "." + method + ": the field f(z, t) returned " + (f is null || f.IsInvalid ? "no tensor" : Broadcasting.Describe(f))
                    + "; it must return [N, D] = " + Broadcasting.Describe(z) + ".");
            return f;
        }

        private AutogradCaller FieldCaller(string method) => new(ModelName + "." + method, "the field f(z, t) of '" + ModelName + "'", "z",
            "The field must keep its autograd graph in z (nothing detached, no no_grad inside, no NoGrad method).");

        /// <summary>z(T) and ∫∇·f by classical RK4 with every operation on the tape.</summary>
        private (Tensor Z, Tensor Delta) IntegrateDifferentiable(Tensor x, int steps)
        {
            var z = x.detach().requires_grad_(true);
            var delta = zeros(x.shape[0], dtype: x.dtype, device: x.device);
            double h = EndTime / steps;
            for (int i = 0; i < steps; i++)
            {
                double t = i * h;
                var (k1, d1) = Augmented(z, t);
                var (k2, d2) = Augmented(z.Add(k1.Mul((h / 2))), t + h / 2);
                var (k3, d3) = Augmented(z.Add(k2.Mul((h / 2))), t + h / 2);
                var (k4, d4) = Augmented(z.Add(k3.Mul(h)), t + h);
                z = z.Add((k1.Add(k2.Mul(2)).Add(k3.Mul(2)).Add(k4)).Mul((h / 6)));
                delta = delta.Add((d1.Add(d2.Mul(2)).Add(d3.Mul(2)).Add(d4)).Mul((h / 6)));
            }
            return (z, delta);
        }

        /// <summary>n samples: z(T) ~ N(0, I) carried back to t = 0 along −f with <paramref name="ode"/>; returns the samples and the NFE.</summary>
        public (Tensor Samples, int FunctionEvaluations) Sample(long n, Generator generator, OdeOptions? ode = null)
        {
            using var noGrad = no_grad();
            using var start = empty(new long[] { n, Dim }, dtype: DType, device: Device).normal_(0, 1, generator: generator);
            using var result = OdeSolvers.Solve((t, state) => new[] { Field(state[0], t) }, new[] { start }, EndTime, 0,
                ode ?? new OdeOptions { Method = OdeMethod.Rk45, RelativeTolerance = 1e-5, AbsoluteTolerance = 1e-5 }, ModelName + ".Sample");
            return (result.State[0].clone(), result.FunctionEvaluations);
        }
    }
}
