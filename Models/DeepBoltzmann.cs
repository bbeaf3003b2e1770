using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.Discrete;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models
{
    /// <summary>
    /// A two-layer deep Boltzmann machine (Salakhutdinov &amp; Hinton 2009):
    /// E(v, h₁, h₂) = −vᵀW₁h₁ − h₁ᵀW₂h₂ − bᵀv − c₁ᵀh₁ − c₂ᵀh₂.
    /// <para>
    /// The layers are bipartite between the odd units (v, h₂) and the even units h₁, so the machine is exactly a generated
    /// <see cref="BinaryRbm"/> <see cref="Joint"/> with visible units x = [v, h₂] (V + H₂ of them) and hidden units h₁, whose
    /// couplings are W = [W₁; W₂ᵀ], visible biases [b; c₂] and hidden biases c₁. p(h₁ | v, h₂) and p(v, h₂ | h₁) are that
    /// RBM's generated conditionals, and the alternating Gibbs sweep is its block sweep. Mean-field inference with v clamped,
    /// the exact log Z (by enumerating h₁) and log p(v) (by enumerating h₂) are written here.
    /// </para>
    /// </summary>
    public sealed class DeepBoltzmannMachine : ParameterModule
    {
        /// <summary>Couplings N(0, 0.01²), biases 0, in <paramref name="dtype"/>.</summary>
        public DeepBoltzmannMachine(int V, int H1, int H2, long seed = 0, ScalarType dtype = ScalarType.Float64)
            : base("DeepBoltzmannMachine", CheckSize("DeepBoltzmannMachine", "V", V))
        {
            Hidden1 = CheckSize("DeepBoltzmannMachine", "H1", H1);
            Hidden2 = CheckSize("DeepBoltzmannMachine", "H2", H2);
            using var g = new Generator((ulong)seed);
            Joint = new BinaryRbm(V: V + H2, H: H1, generator: g);
            Joint.to(dtype);
            using (var w = empty(V + H2, H1, dtype: dtype).normal_(0, 0.01, generator: g)) Joint.SetParameter("W", w);
            register_module("joint", Joint);
        }

        /// <summary>The RBM between x = [v, h₂] and h₁ that holds the parameters (state_dict keys joint.W, joint.B, joint.C).</summary>
        public BinaryRbm Joint { get; }

        /// <summary>Units in the first hidden layer.</summary>
        public int Hidden1 { get; }

        /// <summary>Units in the second hidden layer.</summary>
        public int Hidden2 { get; }

        private Tensor JointParam(string name) => Joint.get_parameter(name) ?? throw new InvalidOperationException("DeepBoltzmannMachine: the joint RBM lost its parameter " + name + ".");

        /// <summary>W₁ [V, H₁] (a view of the joint couplings: differentiable).</summary>
        public Tensor W1 => JointParam("W").narrow(0, 0, Dim);

        /// <summary>W₂ [H₁, H₂] (a view).</summary>
        public Tensor W2 => JointParam("W").narrow(0, Dim, Hidden2).t();

        /// <summary>b [V].</summary>
        public Tensor B => JointParam("B").narrow(0, 0, Dim);

        /// <summary>c₁ [H₁].</summary>
        public Tensor C1 => JointParam("C");

        /// <summary>c₂ [H₂].</summary>
        public Tensor C2 => JointParam("B").narrow(0, Dim, Hidden2);

        /// <summary>Sets W₁, W₂, b, c₁, c₂ (any may be null to keep it).</summary>
        public void SetParameters(Tensor? w1 = null, Tensor? w2 = null, Tensor? b = null, Tensor? c1 = null, Tensor? c2 = null)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var w = JointParam("W").detach().clone();
            var bias = JointParam("B").detach().clone();
            if (w1 is not null) w.narrow(0, 0, Dim).copy_(w1);
            if (w2 is not null) w.narrow(0, Dim, Hidden2).copy_(w2.t());
            if (b is not null) bias.narrow(0, 0, Dim).copy_(b);
            if (c2 is not null) bias.narrow(0, Dim, Hidden2).copy_(c2);
            Joint.SetParameter("W", w);
            Joint.SetParameter("B", bias);
            if (c1 is not null) Joint.SetParameter("C", c1);
        }

        /// <summary>The joint state x = [v, h₂]: [N, V + H₂].</summary>
        public Tensor Join(Tensor v, Tensor h2) => cat(new[] { v, h2 }, 1);

        /// <summary>Splits a joint state [N, V + H₂] into (v, h₂) views.</summary>
        public (Tensor V, Tensor H2) Split(Tensor x) => (x.narrow(1, 0, Dim), x.narrow(1, Dim, Hidden2));

        /// <summary>E(v, h₁, h₂) for bits: [N] (the joint RBM's generated energy).</summary>
        public Tensor Energy(Tensor v, Tensor h1, Tensor h2)
        {
            using var scope = NewDisposeScope();
            return Joint.Energy(Join(v, h2), h1).MoveToOuterDisposeScope();
        }

        /// <summary>p(h₁ⱼ = 1 | v, h₂) = σ(c₁ + W₁ᵀv + W₂h₂): [N, H₁].</summary>
        public Tensor Hidden1Probabilities(Tensor v, Tensor h2)
        {
            using var scope = NewDisposeScope();
            return Joint.HiddenProbabilities(Join(v, h2)).MoveToOuterDisposeScope();
        }

        /// <summary>p(vᵢ = 1 | h₁) = σ(b + W₁h₁) and p(h₂ₖ = 1 | h₁) = σ(c₂ + W₂ᵀh₁): ([N, V], [N, H₂]).</summary>
        public (Tensor Visible, Tensor Hidden2) OuterProbabilities(Tensor h1)
        {
            using var scope = NewDisposeScope();
            var p = Joint.VisibleProbabilities(h1);
            return (p.narrow(1, 0, Dim).contiguous().MoveToOuterDisposeScope(), p.narrow(1, Dim, Hidden2).contiguous().MoveToOuterDisposeScope());
        }

        /// <summary>Uniform random joint states [n, V + H₂].</summary>
        public Tensor RandomState(int n, Generator generator) =>
            empty(n, Dim + Hidden2, dtype: Joint.DType, device: Joint.Device).bernoulli_(0.5, generator: generator);

        /// <summary>
        /// <paramref name="sweeps"/> alternating Gibbs sweeps from the joint states x = [v, h₂]: h₁ ~ p(h₁ | v, h₂), then v and
        /// h₂ together ~ p(v, h₂ | h₁) (independent given h₁). Returns the new joint states.
        /// </summary>
        public Tensor Gibbs(Tensor x, int sweeps, Generator generator) => BoltzmannLearning.Gibbs(Joint, x, sweeps, generator);

        /// <summary>
        /// E at real-valued unit means (multilinear, so the mean-field expectation E_q[E] of a factorial q, and the energy
        /// of bits as a special case): −bᵀv − c₁ᵀμ₁ − c₂ᵀμ₂ − vᵀW₁μ₁ − μ₁ᵀW₂μ₂: [N]. Differentiable in the parameters.
        /// </summary>
        public Tensor ExpectedEnergy(Tensor v, Tensor mu1, Tensor mu2)
        {
            using var scope = NewDisposeScope();
            var x = Join(v, mu2);
            var e = -(x.matmul(JointParam("B")).Add(mu1.matmul(JointParam("C"))).Add((x.matmul(JointParam("W")) * mu1).sum(new long[] { 1 })));
            return e.MoveToOuterDisposeScope();
        }

        /// <summary>
        /// Mean-field q(h₁, h₂ | v) = Πⱼ Bern(μ₁ⱼ) Πₖ Bern(μ₂ₖ) by damped block fixed-point iterations
        /// μ₁ ← (1−λ)μ₁ + λσ(c₁ + W₁ᵀv + W₂μ₂), then μ₂ ← (1−λ)μ₂ + λσ(c₂ + W₂ᵀμ₁), started from μ₁ = σ(c₁ + W₁ᵀv),
        /// μ₂ = σ(c₂ + W₂ᵀμ₁). Each block update is a step towards the maximiser of the bound in that block (the bound is
        /// concave in each block), so the bound never decreases; stops when no mean moves more than <paramref name="tolerance"/>.
        /// </summary>
        public MeanFieldPosterior MeanField(Tensor v, int maxIterations = 100, double damping = 1.0, double tolerance = 1e-6)
        {
            if (maxIterations < 0) throw new ArgumentException("DeepBoltzmannMachine.MeanField: maxIterations must be ≥ 0.", nameof(maxIterations));
            if (!(damping > 0 && damping <= 1)) throw new ArgumentException("DeepBoltzmannMachine.MeanField: damping λ must lie in (0, 1], got " + damping + ".", nameof(damping));
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var w2 = W2.detach();
            var c2 = C2.detach();
            var drive = v.matmul(W1.detach()).Add(C1.detach());                 // c₁ + W₁ᵀv, fixed while v is clamped
            var mu1 = drive.sigmoid();
            var mu2 = (mu1.matmul(w2).Add(c2)).sigmoid();
            double residual = double.PositiveInfinity;
            int iterations = 0;
            while (iterations < maxIterations)
            {
                using var step = NewDisposeScope();
                var next1 = (drive.Add(mu2.matmul(w2.t()))).sigmoid().Mul_(damping).Add_(mu1.Mul((1 - damping)));
                var next2 = (next1.matmul(w2).Add(c2)).sigmoid().Mul_(damping).Add_(mu2.Mul((1 - damping)));
                residual = System.Math.Max((next1 - mu1).abs().max().ToDoubleValue(), (next2 - mu2).abs().max().ToDoubleValue());
                mu1 = next1.MoveToOuterDisposeScope();
                mu2 = next2.MoveToOuterDisposeScope();
                iterations++;
                if (residual < tolerance) break;
            }
            return new MeanFieldPosterior(mu1.MoveToOuterDisposeScope(), mu2.MoveToOuterDisposeScope(), iterations, residual, residual < tolerance);
        }

        /// <summary>
        /// The mean-field bound log p(v) ≥ −E_q[E(v, h₁, h₂)] + H(q) − log Z for the factorial q of <paramref name="q"/>:
        /// [N]. Pass <paramref name="logZ"/> = 0 for the unnormalised bound.
        /// </summary>
        public Tensor MeanFieldBound(Tensor v, MeanFieldPosterior q, double logZ)
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            return ((-ExpectedEnergy(v, q.Mu1, q.Mu2)).Add(BernoulliEntropy(q.Mu1)).Add(BernoulliEntropy(q.Mu2)).Sub(logZ)).MoveToOuterDisposeScope();
        }

        private static Tensor BernoulliEntropy(Tensor mu)
        {
            using var scope = NewDisposeScope();
            var p = mu.Clamp(1e-300, 1);
            var q = (global::Dsl.ScalarOps.RSub(1,mu)).Clamp(1e-300, 1);
            return (-((mu * p.log()).Add((global::Dsl.ScalarOps.RSub(1,mu)) * q.log()))).sum(new long[] { 1 }).MoveToOuterDisposeScope();
        }

        /// <summary>log Z by enumerating the 2^H₁ states of h₁ (v and h₂ summed out by the joint RBM's hidden free energy; H₁ ≤ 20).</summary>
        public double LogPartition()
        {
            using var logZ = BoltzmannLearning.LogPartition(Joint, Joint.DType, Joint.Device);
            return logZ.ToDoubleValue();
        }

        /// <summary>The largest second hidden layer whose 2^H₂ states <see cref="ExactLogLikelihood"/> enumerates.</summary>
        public const int MaxEnumeratedHidden2 = 16;

        /// <summary>
        /// log p(v) = log Σ_{h₂} e^{−F([v, h₂])} − log Z exactly, with F the joint RBM's generated free energy (h₁ summed out)
        /// and every h₂ enumerated (H₂ ≤ 16, H₁ ≤ 20 for log Z): [N].
        /// </summary>
        public Tensor ExactLogLikelihood(Tensor v, double? logZ = null)
        {
            if (Hidden2 > MaxEnumeratedHidden2)
                throw new ArgumentException("DeepBoltzmannMachine.ExactLogLikelihood: H2 = " + Hidden2 + "; enumerating h₂ is limited to H2 ≤ " + MaxEnumeratedHidden2 + ".", nameof(v));
            double z = logZ ?? LogPartition();
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var states = BoltzmannLearning.AllBitVectors(Hidden2, v.dtype, v.device);
            long s = states.shape[0];
            long rows = System.Math.Max(1, (1L << 18) / s);
            var pieces = new List<Tensor>();
            for (long start = 0; start < v.shape[0]; start += rows)
            {
                long len = System.Math.Min(rows, v.shape[0] - start);
                var vc = v.narrow(0, start, len).repeat_interleave(s, 0);
                var x = Join(vc, states.repeat(len, 1));
                pieces.Add((-Joint.FreeEnergy(x)).reshape(len, s).logsumexp(1).Sub(z));
            }
            return cat(pieces, 0).MoveToOuterDisposeScope();
        }
    }

    /// <summary>A mean-field posterior q(h₁, h₂ | v): the means, the iterations run, the last largest change of a mean.</summary>
    public sealed class MeanFieldPosterior : IDisposable
    {
        internal MeanFieldPosterior(Tensor mu1, Tensor mu2, int iterations, double residual, bool converged)
        {
            Mu1 = mu1; Mu2 = mu2; Iterations = iterations; Residual = residual; Converged = converged;
        }

        /// <summary>q(h₁ⱼ = 1 | v): [N, H₁].</summary>
        public Tensor Mu1 { get; }

        /// <summary>q(h₂ₖ = 1 | v): [N, H₂].</summary>
        public Tensor Mu2 { get; }

        /// <summary>Block updates run.</summary>
        public int Iterations { get; }

        /// <summary>The largest change of any mean in the last update (∞ when none ran).</summary>
        public double Residual { get; }

        /// <summary>Whether the residual fell below the tolerance.</summary>
        public bool Converged { get; }

        /// <summary>Disposes the means.</summary>
        public void Dispose() { Mu1.Dispose(); Mu2.Dispose(); }
    }

    /// <summary>
    /// DBM learning (Salakhutdinov &amp; Hinton 2009) for the <see cref="Training.Trainer"/>: the surrogate
    /// mean E_q[E(v, h)] over the batch (mean-field q, held fixed) − mean E(x̃, p(h₁|x̃)) over persistent chains x̃ = [ṽ, h̃₂]
    /// advanced k sweeps per step. E is multilinear, so its parameter gradient is the data-dependent (mean-field) statistics
    /// minus the model's (persistent chains, h₁ Rao-Blackwellised): −∇ of the likelihood's stochastic approximation.
    /// </summary>
    public sealed class DbmPersistentLearning : IDisposable
    {
        private readonly DeepBoltzmannMachine dbm;
        private readonly int sweeps, meanFieldIterations;
        private readonly double damping;
        private Tensor chains;

        /// <summary>Persistent chains start at a copy of <paramref name="initialChains"/> [M, V + H₂].</summary>
        public DbmPersistentLearning(DeepBoltzmannMachine dbm, Tensor initialChains, int sweeps = 1, int meanFieldIterations = 30, double damping = 1.0)
        {
            if (sweeps < 1) throw new ArgumentException("DbmPersistentLearning: sweeps must be ≥ 1.", nameof(sweeps));
            this.dbm = dbm; this.sweeps = sweeps; this.meanFieldIterations = meanFieldIterations; this.damping = damping;
            using var detached = initialChains.detach();
            chains = detached.clone().DetachFromDisposeScope();
        }

        /// <summary>The current persistent chains [M, V + H₂] (owned by this object).</summary>
        public Tensor Chains => chains;

        /// <summary>Mean-field iterations the last step needed.</summary>
        public int LastMeanFieldIterations { get; private set; }

        /// <summary>The surrogate loss for one batch of visible bits.</summary>
        public Tensor Loss(Tensor batch, Generator generator)
        {
            using var scope = NewDisposeScope();
            using var q = dbm.MeanField(batch, meanFieldIterations, damping);
            LastMeanFieldIterations = q.Iterations;
            var next = dbm.Gibbs(chains, sweeps, generator);
            chains.Dispose();
            chains = next.DetachFromDisposeScope();
            Tensor p1;
            using (no_grad()) p1 = dbm.Joint.HiddenProbabilities(chains);
            var (v, h2) = dbm.Split(chains);
            var loss = dbm.ExpectedEnergy(batch, q.Mu1, q.Mu2).mean() - dbm.ExpectedEnergy(v, p1, h2).mean();
            return loss.MoveToOuterDisposeScope();
        }

        /// <summary>Disposes the chains.</summary>
        public void Dispose() => chains.Dispose();
    }
}
