using Dsl.GeneratedCode;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl
{
    /// <summary>A model over x ∈ ℝ^D evaluated on batches x: [N, D].</summary>
    public interface IModel
    {
        /// <summary>The model's class name, used in every error message.</summary>
        string ModelName { get; }

        /// <summary>D, the dimension of x.</summary>
        int Dim { get; }
    }

    /// <summary>An energy E(x) with p(x) ∝ exp(−E(x)).</summary>
    public interface IEnergyModel : IModel
    {
        /// <summary>E(x): [N] from x: [N, D]; differentiable (parameters and x can require grad).</summary>
        Tensor Energy(Tensor x);

        /// <summary>E(x) with no autograd tape: the fast path for samplers.</summary>
        Tensor EnergyNoGrad(Tensor x);
    }

    /// <summary>A score s(x) = ∇ₓ log p(x).</summary>
    public interface IScoreModel : IModel
    {
        /// <summary>s(x): [N, D]; differentiable.</summary>
        Tensor Score(Tensor x);

        /// <summary>s(x) with no autograd tape.</summary>
        Tensor ScoreNoGrad(Tensor x);
    }

    /// <summary>
    /// A score model with a fused update step x + a·s(x) + b·z (a Langevin or Euler–Maruyama step with given noise z): generated
    /// for energy models, one pass over x on the CPU instead of the score's passes plus three for the update.
    /// </summary>
    public interface IScoreStepModel : IScoreModel
    {
        /// <summary>x + a·s(x) + b·z for x, z: [N, D]; no autograd tape; a fresh tensor.</summary>
        Tensor ScoreStepNoGrad(Tensor x, double a, Tensor z, double b);
    }

    /// <summary>
    /// A score-step model whose update draws its own noise: the generated fused kernel fills z block by block inside its loop
    /// from <see cref="CounterNoise"/> (no noise tensor, no pass of its own); other paths get the same z from
    /// <see cref="CounterNoise.Sample"/>. What the Langevin samplers use on the CPU.
    /// </summary>
    public interface ICounterNoiseStepModel : IScoreStepModel
    {
        /// <summary>x + a·s(x) + b·z with z the noise of <paramref name="noise"/>; no autograd tape; written into <paramref name="output"/> when given (not x itself), else a fresh tensor.</summary>
        Tensor ScoreStepNoGrad(Tensor x, double a, double b, CounterNoise noise, Tensor? output = null);
    }

    /// <summary>Energy and score sharing their common subexpressions.</summary>
    public interface IEnergyScoreModel : IEnergyModel, IScoreModel
    {
        /// <summary>(E(x): [N], s(x): [N, D]) computed together; differentiable.</summary>
        (Tensor Energy, Tensor Score) EnergyAndScore(Tensor x);

        /// <summary>(E(x), s(x)) with no autograd tape.</summary>
        (Tensor Energy, Tensor Score) EnergyAndScoreNoGrad(Tensor x);
    }

    /// <summary>A score with its exact divergence ∇ₓ·s(x) = −ΔE(x).</summary>
    public interface IScoreDivergenceModel : IScoreModel
    {
        /// <summary>∇ₓ·s(x): [N]; differentiable.</summary>
        Tensor ScoreDivergence(Tensor x);

        /// <summary>∇ₓ·s(x) with no autograd tape.</summary>
        Tensor ScoreDivergenceNoGrad(Tensor x);
    }

    /// <summary>A normalised density: log p(x) = −E(x) − log Z.</summary>
    public interface ILogProbModel : IModel
    {
        /// <summary>log p(x): [N]; differentiable.</summary>
        Tensor LogProb(Tensor x);
    }

    /// <summary>The user's own equations, run eagerly on tensors: the autograd reference of every generated result.</summary>
    public interface IEquationModel : IModel
    {
        /// <summary>E(x) computed by running the user's [Energy] method on Scalar/Vec/Mat.</summary>
        Tensor EnergyEager(Tensor x);
    }

    /// <summary>
    /// A noise-conditional model (NCSN, Song &amp; Ermon 2019): E(x, σ) and s(x, σ) = −∇ₓE(x, σ) for per-sample
    /// noise levels σ: [N]. Generated for an energy declared <c>Scalar E(Vec x, [NoiseLevel] Scalar sigma)</c>.
    /// </summary>
    public interface INoiseConditionalModel : IModel
    {
        /// <summary>E(x, σ): [N]; differentiable.</summary>
        Tensor Energy(Tensor x, Tensor sigma);

        /// <summary>E(x, σ) with no autograd tape.</summary>
        Tensor EnergyNoGrad(Tensor x, Tensor sigma);

        /// <summary>s(x, σ): [N, D]; differentiable.</summary>
        Tensor Score(Tensor x, Tensor sigma);

        /// <summary>s(x, σ) with no autograd tape.</summary>
        Tensor ScoreNoGrad(Tensor x, Tensor sigma);

        /// <summary>(E(x, σ), s(x, σ)) computed together; differentiable.</summary>
        (Tensor Energy, Tensor Score) EnergyAndScore(Tensor x, Tensor sigma);

        /// <summary>(E(x, σ), s(x, σ)) with no autograd tape.</summary>
        (Tensor Energy, Tensor Score) EnergyAndScoreNoGrad(Tensor x, Tensor sigma);

        /// <summary>E(x, σ) by running the user's [Energy] method eagerly: the autograd reference.</summary>
        Tensor EnergyEager(Tensor x, Tensor sigma);
    }

    /// <summary>
    /// A noise-conditional model with a fused shared-noise-level step c·x + a·s(u·x, σ) + b·z, z from <see cref="CounterNoise"/>:
    /// the reverse Euler–Maruyama step of an SDE whose score is s̃(x/m, σ̃)/m (u = 1/m; <see cref="Dsl.Sde.TimeScores.FromPerturbedData"/>)
    /// in one pass over x with the noise drawn inside the loop.
    /// </summary>
    public interface INoiseConditionalStepModel : INoiseConditionalModel
    {
        /// <summary>
        /// c·x + a·s(u·x, σ) + b·z for x: [N, D] with one noise level σ for every sample and u = <paramref name="inputScale"/>; no
        /// autograd tape; written into <paramref name="output"/> when given (not x itself), else a fresh tensor.
        /// </summary>
        Tensor ScoreStepNoGrad(Tensor x, double sigma, double inputScale, double c, double a, double b, CounterNoise noise, Tensor? output = null);
    }

    /// <summary>A noise-conditional score with its exact divergence ∇ₓ·s(x, σ).</summary>
    public interface INoiseConditionalDivergenceModel : INoiseConditionalModel
    {
        /// <summary>∇ₓ·s(x, σ): [N]; differentiable.</summary>
        Tensor ScoreDivergence(Tensor x, Tensor sigma);

        /// <summary>∇ₓ·s(x, σ) with no autograd tape.</summary>
        Tensor ScoreDivergenceNoGrad(Tensor x, Tensor sigma);
    }

    /// <summary>
    /// A noise-conditional score with its exact divergence and the one-pass shared-level flow: the probability-flow field of an
    /// SDE whose score is s̃(x/m, σ̃)/m, f̃ = a(t)x − ½g(t)²s, and its divergence D·a(t) − ½g(t)²∇·s, from one read of x
    /// (<see cref="Dsl.Sde.ProbabilityFlow.LogLikelihood"/>'s right-hand side).
    /// </summary>
    public interface INoiseConditionalFlowModel : INoiseConditionalDivergenceModel
    {
        /// <summary>
        /// Writes c·x + a·s(u·x, σ) into <paramref name="flow"/> and divergenceShift + divergenceScale·(∇·s)(u·x, σ) into
        /// <paramref name="divergence"/> for x: [N, D] with one noise level σ for every sample and u = <paramref name="inputScale"/>;
        /// no autograd tape. x may have any floating dtype (the fused CPU kernel computes in double; the torch-op path evaluates
        /// the model in its parameters' dtype). The outputs are the caller's: contiguous, of x's dtype and device, [N, D] and [N],
        /// not x's memory.
        /// </summary>
        void FlowAndDivergenceNoGrad(Tensor x, double sigma, double inputScale, double c, double a, double divergenceShift, double divergenceScale, Tensor flow, Tensor divergence);
    }

    /// <summary>A normalised noise-conditional density: log p(x | σ) = −E(x, σ) − log Z.</summary>
    public interface INoiseConditionalLogProbModel : INoiseConditionalModel
    {
        /// <summary>log p(x | σ): [N]; differentiable.</summary>
        Tensor LogProb(Tensor x, Tensor sigma);
    }

    /// <summary>What values a block of units takes.</summary>
    public enum UnitKind
    {
        /// <summary>Real-valued (Vec).</summary>
        Real,
        /// <summary>Spins sᵢ ∈ {−1, +1}.</summary>
        Spins,
        /// <summary>Bits bᵢ ∈ {0, 1}.</summary>
        Bits,
    }

    /// <summary>
    /// A pairwise energy over discrete units (Spins or Bits) with its generated single-unit quantities: the local fields
    /// aᵢ = −∂E/∂xᵢ, the self-couplings dᵢ = ∂²E/∂xᵢ², the exact flip energies ΔEᵢ and the Gibbs conditionals.
    /// </summary>
    public interface IDiscreteEnergyModel : IEnergyScoreModel
    {
        /// <summary>Spins or bits.</summary>
        UnitKind Units { get; }

        /// <summary>The local fields aᵢ = −∂E/∂xᵢ: [N, D]; differentiable.</summary>
        Tensor LocalFields(Tensor x);

        /// <summary>ΔEᵢ = E(x with unit i flipped) − E(x): [N, D]; differentiable.</summary>
        Tensor FlipEnergyDifferences(Tensor x);

        /// <summary>ΔEᵢ with no autograd tape.</summary>
        Tensor FlipEnergyDifferencesNoGrad(Tensor x);

        /// <summary>p(unit i up | the others) (sᵢ = +1 for spins, bᵢ = 1 for bits) at temperature 1: [N, D]; differentiable.</summary>
        Tensor ConditionalProbabilities(Tensor x);

        /// <summary>The conditionals with no autograd tape.</summary>
        Tensor ConditionalProbabilitiesNoGrad(Tensor x);

        /// <summary>The self-couplings dᵢ = ∂²E/∂xᵢ²: [D]. Zero for the classic Ising, Hopfield and Boltzmann machines.</summary>
        Tensor SelfCouplings();
    }

    /// <summary>
    /// A discrete model on the periodic L×L lattice whose flip energy ΔEᵢ reads only site i and sites of the other checkerboard
    /// colour (LatticeNeighbours, Roll by an odd distance, site fields): the generator emits a fused in-place checkerboard sweep that
    /// computes ΔEᵢ and applies the single-site rule in one pass over each colour. <see cref="Discrete.SpinSamplers.Sweep"/> takes it
    /// for contiguous float32/float64 CPU units when <see cref="Kernels"/> allows fused kernels.
    /// </summary>
    public interface ILatticeSweepModel : IDiscreteEnergyModel
    {
        /// <summary>The lattice side L of the model's current hyperparameters (N = L²).</summary>
        long LatticeSide { get; }

        /// <summary>Which generated path the model's methods take.</summary>
        KernelPath Kernels { get; }

        /// <summary>
        /// One sweep in place over units [B, N] (contiguous float32/float64 on the CPU, L even): the even colour ((row + column) even), then
        /// the odd one, each site by <paramref name="rule"/> at inverse temperature <paramref name="beta"/> with the generated ΔEᵢ. Site i of
        /// chain b in colour c reads the uniform <see cref="GeneratedCode.CheckerboardSweeps.Uniform"/>(key, sweep, c, b, N, i), so the result
        /// is a function of (units, β, key, sweep) whatever the threading. Returns the number of units that changed.
        /// </summary>
        long CheckerboardSweep(Tensor units, double beta, Discrete.SpinUpdate rule, ulong key, long sweep = 0);
    }

    /// <summary>
    /// A lattice model whose flip energy ΔEᵢ reads at most <see cref="GeneratedCode.MultiSpinSweeps.MaxNeighbours"/> units of the other
    /// colour and no per-site parameter, so ΔEᵢ takes finitely many values: the generator also emits a multi-spin-coded sweep,
    /// 64 units a machine word, with the same stationary distribution as <see cref="ILatticeSweepModel.CheckerboardSweep"/>.
    /// </summary>
    public interface IMultiSpinSweepModel : ILatticeSweepModel
    {
        /// <summary>
        /// <paramref name="sweeps"/> checkerboard sweeps in place over units [B, N] (contiguous float32/float64 on the CPU, L even), sweep
        /// numbers <paramref name="firstSweep"/>, … under <paramref name="key"/>, with 64 units updated per word operation (see
        /// <see cref="GeneratedCode.MultiSpinSweeps"/>): each flips with probability within 2⁻⁶⁴ of <paramref name="rule"/>'s. Its random
        /// stream differs from <see cref="ILatticeSweepModel.CheckerboardSweep"/>'s; the result is a function of (units, β, key, sweeps)
        /// whatever the threading. Several sweeps per call pack the units into bits once. Returns the number of units that changed.
        /// </summary>
        long MultiSpinSweep(Tensor units, double beta, Discrete.SpinUpdate rule, ulong key, long firstSweep = 0, int sweeps = 1);
    }

    /// <summary>
    /// A bipartite energy E(v, h) (an RBM and its relatives): hidden units are bits or spins and are summed out analytically;
    /// visible units are bits, spins, or real (a separable quadratic block: Gaussian p(v | h)).
    /// <see cref="IModel.Dim"/> is the number of visible units.
    /// </summary>
    public interface IBipartiteModel : IModel
    {
        /// <summary>The number of hidden units.</summary>
        int HiddenDim { get; }

        /// <summary>What the visible units are.</summary>
        UnitKind VisibleUnits { get; }

        /// <summary>What the hidden units are (bits or spins).</summary>
        UnitKind HiddenUnits { get; }

        /// <summary>E(v, h): [N] for v: [N, V], h: [N, H].</summary>
        Tensor Energy(Tensor v, Tensor h);

        /// <summary>The free energy F(v) = −log Σ_h e^{−E(v,h)}: [N].</summary>
        Tensor FreeEnergy(Tensor v);

        /// <summary>The free energy of the hidden units G(h) = −log Σ_v e^{−E(v,h)} (an integral for real v): [N].</summary>
        Tensor HiddenFreeEnergy(Tensor h);

        /// <summary>p(hⱼ up | v) (hⱼ = 1 for bits, +1 for spins): [N, H].</summary>
        Tensor HiddenProbabilities(Tensor v);

        /// <summary>E[h | v]: [N, H] (the probabilities for bits, tanh of the field for spins).</summary>
        Tensor HiddenMeans(Tensor v);

        /// <summary>E[v | h]: [N, V].</summary>
        Tensor VisibleMeans(Tensor h);

        /// <summary>A draw h ~ p(h | v): [N, H].</summary>
        Tensor SampleHidden(Tensor v, Generator generator);

        /// <summary>A draw v ~ p(v | h): [N, V].</summary>
        Tensor SampleVisible(Tensor h, Generator generator);

        /// <summary>E(v, h) by the user's own equation run eagerly.</summary>
        Tensor EnergyEager(Tensor v, Tensor h);
    }
}
