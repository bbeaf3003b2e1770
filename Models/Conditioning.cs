using static Dsl.Math;

namespace Dsl.Models
{
    /// <summary>
    /// A time-dependent MLP energy E(x, t) for continuous-time denoising score matching: a Gaussian whose log-precisions and
    /// centre are a tanh MLP of t, plus a tanh MLP of (x, t) jointly,
    /// E(x, t) = ½ Σᵢ exp(aᵢ(t)) (xᵢ − cᵢ(t))² + vᵀ tanh(W x + u t + b), with h(t) = tanh(w t + β), a = P h + p, c = Q h + q.
    /// The generated score s(x, t) = −∇ₓE(x, t) is an ITimeScoreModel: DSM trains it, the reverse SDE samples it.
    /// </summary>
    [EnergyModel]
    public partial class TimeMlpEnergy
    {
        /// <summary>Time-embedding weights w (h(t) = tanh(w t + β)).</summary>
        [Param("H")] public Vec Wt;

        /// <summary>Time-embedding bias β.</summary>
        [Param("H")] public Vec Bt;

        /// <summary>Read-out of the log-precisions a(t) = P h(t) + p.</summary>
        [Param("D,H")] public Mat P;

        /// <summary>Log-precision bias p.</summary>
        [Param("D", Init = 0.0)] public Vec Bp;

        /// <summary>Read-out of the centre c(t) = Q h(t) + q.</summary>
        [Param("D,H")] public Mat Q;

        /// <summary>Centre bias q.</summary>
        [Param("D", Init = 0.0)] public Vec Bq;

        /// <summary>First layer of the joint (x, t) MLP on x.</summary>
        [Param("H,D")] public Mat W;

        /// <summary>First layer of the joint MLP on t.</summary>
        [Param("H")] public Vec U;

        /// <summary>First-layer bias of the joint MLP.</summary>
        [Param("H", Init = 0.0)] public Vec B;

        /// <summary>Read-out of the joint MLP (starts at zero: training begins from the Gaussian part).</summary>
        [Param("H", Init = 0.0)] public Vec V;

        [Energy] Scalar E(Vec x, [Time] Scalar t)
        {
            var h = Tanh(Wt * t + Bt);
            var logPrecision = P * h + Bp;
            var centre = Q * h + Bq;
            return 0.5 * Dot(Exp(logPrecision), Square(x - centre)) + Dot(V, Tanh(W * x + U * t + B));
        }
    }

    /// <summary>
    /// A noisy classifier written as an equation: the negative log-softmax of an MLP head over K classes,
    /// E(x, t | y) = −log p(y | x, t) = LogSumExp(f) − f_y with logits f = W₂ tanh(W₁ x + u t + b₁) + b₂.
    /// Its generated score −∇ₓE is ∇ₓ log p(y | x, t), which Guidance.ClassifierGuided takes directly.
    /// </summary>
    [EnergyModel]
    public partial class EquationClassifier
    {
        /// <summary>First-layer weights W₁.</summary>
        [Param("H,D")] public Mat W1;

        /// <summary>Time input weights u.</summary>
        [Param("H")] public Vec U;

        /// <summary>First-layer bias b₁.</summary>
        [Param("H", Init = 0.0)] public Vec B1;

        /// <summary>Head weights W₂ (one row per class).</summary>
        [Param("K,H")] public Mat W2;

        /// <summary>Head bias b₂.</summary>
        [Param("K", Init = 0.0)] public Vec B2;

        Vec Logits(Vec x, Scalar t) => W2 * Tanh(W1 * x + U * t + B1) + B2;

        [Energy] Scalar E(Vec x, [Time] Scalar t, [Condition] Label y)
        {
            var f = Logits(x, t);
            return LogSumExp(f) - Pick(f, y);
        }
    }

    /// <summary>
    /// A conditional Gaussian energy with an observation y: x | y ~ N(W y + b, s² I),
    /// E(x | y) = ‖x − W y − b‖² / (2s²), log Z = (D/2) log(2π s²). Closed-form score −(x − W y − b)/s².
    /// </summary>
    [EnergyModel]
    public partial class ConditionalGaussian
    {
        /// <summary>The regression matrix W: [D, K].</summary>
        [Param("D,K")] public Mat W;

        /// <summary>The offset b.</summary>
        [Param("D", Init = 0.0)] public Vec B;

        /// <summary>The standard deviation s.</summary>
        [Param(Init = 1.0)] public Scalar S;

        [Energy] Scalar E(Vec x, [Condition] Vec y) => Norm2(x - W * y - B) / (2 * Square(S));

        [LogPartition] Scalar LogZ() => 0.5 * Len(B) * Log(2 * PI * Square(S));
    }

    /// <summary>
    /// A class-conditional Gaussian with a label: x | y ~ N(μ_y, I) with the means as the columns of M,
    /// E(x | y) = ½‖x − M onehot(y)‖². Closed-form score −(x − μ_y); Conditioning.Given fixes y for the Langevin samplers.
    /// </summary>
    [EnergyModel]
    public partial class ClassConditionalGaussian
    {
        /// <summary>The class means μₖ, one per column: [D, K].</summary>
        [Param("D,K")] public Mat M;

        /// <summary>Log prior weights of the classes (their length K is the class count OneHot reads).</summary>
        [Param("K", Init = 0.0)] public Vec LogPrior;

        [Energy] Scalar E(Vec x, [Condition] Label y) => 0.5 * Norm2(x - M * OneHot(y, Len(LogPrior)));
    }
}
