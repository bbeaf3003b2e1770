using System;
using Dsl.Sde;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Dsl.Diffusion
{
    /// <summary>
    /// A time-conditioned classifier p(y | xₜ, τ) over flattened data x: [N, D] and continuous times τ: [N] (the schedule's
    /// <see cref="DdpmSchedule.Times"/>; τ = 0 for clean data). Classifier guidance differentiates its log-probability.
    /// </summary>
    public interface INoisyClassifier
    {
        /// <summary>A name for messages and checkpoints.</summary>
        string ModelName { get; }

        /// <summary>D, the flattened data dimension.</summary>
        int Dim { get; }

        /// <summary>K, the number of classes (labels 0…K−1).</summary>
        int Classes { get; }

        /// <summary>Unnormalised log-probabilities (logits) [N, K].</summary>
        Tensor Logits(Tensor x, Tensor time);
    }

    /// <summary>A diffusion network with a label input of K classes and a "no label" token K (classifier-free guidance).</summary>
    public interface IConditionalDiffusionNetwork : IDiffusionNetwork
    {
        /// <summary>K; label K is the null label ∅.</summary>
        int Classes { get; }
    }

    /// <summary>
    /// Conditional generation as wrappers of a <see cref="NoisePrediction"/>, so the ancestral, DDIM and probability-flow
    /// samplers run unchanged: classifier guidance (Dhariwal &amp; Nichol 2021), classifier-free guidance (Ho &amp; Salimans
    /// 2022), and the losses that train what they need.
    /// </summary>
    public static partial class Guidance
    {
        /// <summary>
        /// Classifier guidance. Bayes: ∇ₓ log pₜ(x | y) = ∇ₓ log pₜ(x) + ∇ₓ log pₜ(y | x); with the noise parametrisation
        /// ∇ₓ log pₜ(x) = −ε/σₜ, σₜ = √(1 − ᾱₜ), so the conditional noise is (Dhariwal &amp; Nichol 2021, eq. 14 / Algorithm 2)
        ///   ε̂(xₜ, y) = ε(xₜ) − γ σₜ ∇ₓ log p_φ(y | xₜ),
        /// with the guidance scale γ sharpening the class term (γ = 1: the exact conditional when ε and p_φ are exact;
        /// γ &gt; 1: p(x) p(y | x)^γ). σₜ is the SDE kernel's standard deviation at τ (= √(1 − ᾱₜ) on the schedule's steps).
        /// </summary>
        /// <param name="sde">The schedule's SDE (<see cref="DdpmSchedule.Sde"/>), for σ(τ).</param>
        /// <param name="epsilon">The unconditional noise prediction ε(x, τ).</param>
        /// <param name="classifier">p_φ(y | xₜ, τ), trained on noisy data (<see cref="ClassifierLoss"/>).</param>
        /// <param name="labels">The requested class per sample: int64 [N] in 0…K−1 (N must match the sampler's batch).</param>
        /// <param name="scale">γ ≥ 0 (0: unguided).</param>
        public static NoisePrediction ClassifierGuided(ISde sde, NoisePrediction epsilon, INoisyClassifier classifier, Tensor labels, double scale)
        {
            if (sde is null) throw new ArgumentNullException(nameof(sde));
            if (epsilon is null) throw new ArgumentNullException(nameof(epsilon));
            if (classifier is null) throw new ArgumentNullException(nameof(classifier));
            CheckScale(scale, "Guidance.ClassifierGuided", "γ");
            CheckLabels(labels, -1, classifier.Classes, allowNull: false, "Guidance.ClassifierGuided (" + classifier.ModelName + ")");
            return (x, t) =>
            {
                CheckLabels(labels, x.shape[0], classifier.Classes, allowNull: false, "Guidance.ClassifierGuided (" + classifier.ModelName + ")");
                using var scope = NewDisposeScope();
                var eps = epsilon(x, t);
                if (scale == 0) return eps.MoveToOuterDisposeScope();
                var gradient = LogProbGradient(classifier, x, t, labels, "Guidance.ClassifierGuided");
                var sigma = sde.MarginalStd(t).to_type(x.dtype).unsqueeze(1);
                return (eps - (gradient * sigma).Mul(scale)).MoveToOuterDisposeScope();
            };
        }

        /// <summary>∇ₓ log p_φ(y | x, τ) by autograd: [N, D], detached (works inside the samplers' no-grad regions).</summary>
        public static Tensor LogProbGradient(INoisyClassifier classifier, Tensor x, Tensor time, Tensor labels) =>
            LogProbGradient(classifier, x, time, labels, "Guidance.LogProbGradient");

        /// <summary>∇ₓ log p_φ(y | x, τ) for <paramref name="entryPoint"/>, the public call named in errors.</summary>
        private static Tensor LogProbGradient(INoisyClassifier classifier, Tensor x, Tensor time, Tensor labels, string entryPoint)
        {
            if (classifier is null) throw new ArgumentNullException(nameof(classifier));
            if (x is null || x.dim() != 2 || x.shape[1] != classifier.Dim || !x.is_floating_point())
                throw new ArgumentException(entryPoint + " (" + classifier.ModelName + "): x must be floating point [N, " + classifier.Dim + "]; got " + (x is null ? "null" : x.dtype + " " + Broadcasting.Describe(x)) + ".", nameof(x));
            CheckLabels(labels, x.shape[0], classifier.Classes, allowNull: false, entryPoint + " (" + classifier.ModelName + ")");
            using var scope = NewDisposeScope();
            using var grad = enable_grad();
            var input = x.detach().requires_grad_(true);
            var logits = classifier.Logits(input, time.detach());
            if (logits is null || logits.IsInvalid || logits.dim() != 2 || logits.shape[0] != x.shape[0] || logits.shape[1] != classifier.Classes)
                throw new ArgumentException(entryPoint + ": the classifier '" + classifier.ModelName + "' returned " + (logits is null || logits.IsInvalid ? "no tensor" : Broadcasting.Describe(logits))
                    + " logits; it must return [N, K] = [" + x.shape[0] + ", " + classifier.Classes + "].");
            var logProb = F.log_softmax(logits, 1).gather(1, labels.unsqueeze(1)).sum();
            var caller = new AutogradCaller(entryPoint, "the logits of the classifier '" + classifier.ModelName + "'", "x",
                "INoisyClassifier.Logits must keep its autograd graph in x: nothing detached, no no_grad inside.");
            // A classifier that ignores x (the guard reports the unused input as null) has a zero gradient.
            var g = GuardedAutograd.Grad(caller, logProb, input);
            var result = g is null ? zeros_like(x) : g.detach();
            return result.MoveToOuterDisposeScope();
        }

        /// <summary>
        /// Classifier-free guidance (Ho &amp; Salimans 2022, eq. 6): ε̃(xₜ, y) = (1 + w) ε(xₜ, y) − w ε(xₜ, ∅), one network
        /// trained with labels dropped to the null label ∅ = K (<see cref="LabelDropout"/>). w = 0 is the plain conditional
        /// model; w &gt; 0 trades diversity for fidelity (the implicit classifier p(y | x) ∝ p(x | y)/p(x) raised to 1 + w).
        /// The conditional and unconditional passes run as one batch of 2N.
        /// </summary>
        /// <param name="network">The conditional network (its output is converted by <paramref name="target"/>).</param>
        /// <param name="labels">int64 [N] in 0…K−1 (K itself, the null label, gives the unconditional model).</param>
        /// <param name="guidance">w ≥ 0.</param>
        /// <param name="schedule">Needed only to convert an x₀- or v-network to ε.</param>
        /// <param name="target">What the network predicts.</param>
        public static NoisePrediction ClassifierFree(IConditionalDiffusionNetwork network, Tensor labels, double guidance, DdpmSchedule? schedule = null, DdpmTarget target = DdpmTarget.Noise)
        {
            if (network is null) throw new ArgumentNullException(nameof(network));
            if (network.Classes < 1) throw new ArgumentException("Guidance.ClassifierFree: " + network.ModelName + " has no label input (Classes = 0); train it with classes: K.", nameof(network));
            if (target != DdpmTarget.Noise && schedule is null) throw new ArgumentException("Guidance.ClassifierFree: a " + target + "-prediction network needs the schedule to convert to ε.", nameof(schedule));
            CheckScale(guidance, "Guidance.ClassifierFree", "w");
            CheckLabels(labels, -1, network.Classes, allowNull: true, "Guidance.ClassifierFree (" + network.ModelName + ")");
            return (x, t) =>
            {
                long n = x.shape[0];
                CheckLabels(labels, n, network.Classes, allowNull: true, "Guidance.ClassifierFree (" + network.ModelName + ")");
                using var scope = NewDisposeScope();
                var both = cat(new[] { x, x }, 0);
                var times = cat(new[] { t, t }, 0);
                var nulls = global::Dsl.ScalarOps.Full(new long[] { n }, network.Classes, ScalarType.Int64, labels.device);
                var conditions = cat(new[] { labels, nulls }, 0);
                var eps = schedule is null ? network.Predict(both, times, conditions) : Ddpm.AsNoisePrediction(schedule, network, target, conditions)(both, times);
                var conditional = eps.narrow(0, 0, n);
                var unconditional = eps.narrow(0, n, n);
                return (conditional.Mul((1 + guidance)) - unconditional.Mul(guidance)).MoveToOuterDisposeScope();
            };
        }

        /// <summary>
        /// Labels with each one replaced by the null label K with probability <paramref name="probability"/> (classifier-free
        /// training: one network learns ε(x, y) and ε(x, ∅)). A new int64 tensor [N].
        /// </summary>
        public static Tensor LabelDropout(Tensor labels, int classes, double probability, Generator generator)
        {
            if (!(probability >= 0 && probability <= 1)) throw new ArgumentException("Guidance.LabelDropout: the drop probability must lie in [0, 1], got " + probability + ".", nameof(probability));
            CheckLabels(labels, -1, classes, allowNull: false, "Guidance.LabelDropout");
            using var scope = NewDisposeScope();
            var drop = empty(labels.shape, dtype: ScalarType.Float32, device: labels.device).uniform_(0, 1, generator: generator).Lt(probability);
            return where(drop, global::Dsl.ScalarOps.FullLike(labels, classes), labels).MoveToOuterDisposeScope();
        }

        /// <summary>
        /// The noisy classifier's loss: t ~ U{1…T}, xₜ = √ᾱₜ x₀ + √(1 − ᾱₜ) ε, and the cross-entropy −log p_φ(y | xₜ, τₜ)
        /// averaged over the batch (Dhariwal &amp; Nichol 2021, §4: a classifier of noisy images, so its gradient is meaningful
        /// along the whole reverse path). With <paramref name="schedule"/> null: clean data at τ = 0 (an ordinary classifier,
        /// e.g. an independent judge of generated samples). A 0-dim tensor with the classifier's graph.
        /// </summary>
        public static Tensor ClassifierLoss(DdpmSchedule? schedule, INoisyClassifier classifier, Tensor x0, Tensor labels, Generator generator)
        {
            if (classifier is null) throw new ArgumentNullException(nameof(classifier));
            if (x0 is null || x0.dim() != 2 || x0.shape[1] != classifier.Dim)
                throw new ArgumentException("Guidance.ClassifierLoss: x₀ must be [N, " + classifier.Dim + "] for " + classifier.ModelName + "; got " + (x0 is null ? "null" : Broadcasting.Describe(x0)) + ".", nameof(x0));
            CheckLabels(labels, x0.shape[0], classifier.Classes, allowNull: false, "Guidance.ClassifierLoss (" + classifier.ModelName + ")");
            using var scope = NewDisposeScope();
            long n = x0.shape[0];
            Tensor x, tau;
            if (schedule is null)
            {
                x = x0;
                tau = zeros(new long[] { n }, x0.dtype, x0.device);
            }
            else
            {
                var t = randint(1, schedule.Steps + 1, new long[] { n }, generator: generator, dtype: ScalarType.Int64, device: x0.device);
                var noise = empty_like(x0).normal_(0, 1, generator: generator);
                x = Ddpm.QSample(schedule, x0, t, noise);
                tau = schedule.Gather(schedule.Times, t, x0.dtype);
            }
            return F.cross_entropy(classifier.Logits(x, tau), labels).MoveToOuterDisposeScope();
        }

        /// <summary>The most probable class per sample at time τ (0: clean data): int64 [N]. No graph.</summary>
        public static Tensor Predict(INoisyClassifier classifier, Tensor x, double time = 0)
        {
            if (classifier is null) throw new ArgumentNullException(nameof(classifier));
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var tau = global::Dsl.ScalarOps.Full(new long[] { x.shape[0] }, time, x.dtype, x.device);
            return classifier.Logits(x, tau).argmax(1).MoveToOuterDisposeScope();
        }

        /// <summary>The fraction of rows of x that <paramref name="classifier"/> assigns to their label.</summary>
        public static double Accuracy(INoisyClassifier classifier, Tensor x, Tensor labels, double time = 0)
        {
            CheckLabels(labels, x.shape[0], classifier.Classes, allowNull: false, "Guidance.Accuracy (" + classifier.ModelName + ")");
            using var scope = NewDisposeScope();
            return Predict(classifier, x, time).eq(labels).to_type(ScalarType.Float64).mean().ToDoubleValue();
        }

        /// <summary>
        /// Throws unless labels are int64 [n] (n &lt; 0: any length) with values in 0…K−1 (0…K when the null label is allowed),
        /// naming the caller, the shape and the range found.
        /// </summary>
        public static void CheckLabels(Tensor labels, long n, int classes, bool allowNull, string who)
        {
            string range = allowNull ? "0…" + classes + " (" + classes + " = no label)" : "0…" + (classes - 1);
            if (labels is null) throw new ArgumentNullException(nameof(labels), who + ": labels are null; expected int64 [N] in " + range + ".");
            if (labels.dim() != 1 || labels.dtype != ScalarType.Int64 || (n >= 0 && labels.shape[0] != n))
                throw new ArgumentException(who + ": labels must be int64 [" + (n >= 0 ? n.ToString(System.Globalization.CultureInfo.InvariantCulture) : "N") + "] in " + range + "; got " + labels.dtype + " " + Broadcasting.Describe(labels) + ".", nameof(labels));
            if (labels.shape[0] == 0) return;
            long lo, hi;
            using (var mn = labels.min()) lo = mn.ToInt64Value();
            using (var mx = labels.max()) hi = mx.ToInt64Value();
            long top = allowNull ? classes : classes - 1;
            if (lo < 0 || hi > top)
                throw new ArgumentException(FormattableString.Invariant($"{who}: labels must lie in {range}; got values in {lo}…{hi}."), nameof(labels));
        }

        private static void CheckScale(double scale, string who, string symbol)
        {
            if (!(scale >= 0) || double.IsInfinity(scale))
                throw new ArgumentException(FormattableString.Invariant($"{who}: the guidance scale {symbol} must be a finite number ≥ 0, got {scale}."), nameof(scale));
        }
    }
}
