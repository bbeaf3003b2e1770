using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Sde
{
    /// <summary>
    /// A forward SDE dx = f(x, t) dt + g(t) dw on [0, T] with per-sample times t: [N]. Generated for an [Sde] class.
    /// The solvers of <see cref="SdeSolvers"/> run any score model backwards through it.
    /// </summary>
    public interface ISde
    {
        /// <summary>The class name, used in error messages.</summary>
        string SdeName { get; }

        /// <summary>The end time T.</summary>
        double EndTime { get; }

        /// <summary>f(x, t): [N, D] for x: [N, D], t: [N].</summary>
        Tensor Drift(Tensor x, Tensor t);

        /// <summary>g(t): [N].</summary>
        Tensor Diffusion(Tensor t);

        /// <summary>g(t) for one time, in float64.</summary>
        double DiffusionAt(double t);

        /// <summary>True when the drift is a(t)·x, so the perturbation kernel N(m(t)x₀, v(t)I) and the members below exist.</summary>
        bool HasGaussianKernel { get; }

        /// <summary>m(t) = exp(∫₀ᵗ a): [N].</summary>
        Tensor MeanCoefficient(Tensor t);

        /// <summary>√v(t), the standard deviation of the perturbation kernel: [N].</summary>
        Tensor MarginalStd(Tensor t);

        /// <summary>
        /// a(t) of a drift f = a(t)·x in float64 (when <see cref="HasGaussianKernel"/>). Generated SDEs compute it on the host from
        /// the drift's coefficient; this default evaluates the drift at a 1×1 state of ones (exact: the drift is linear in x).
        /// </summary>
        double DriftCoefficientAt(double t)
        {
            using var scope = NewDisposeScope();
            using var one = ones(1, 1, dtype: ScalarType.Float64);
            using var time = global::Dsl.ScalarOps.Full(new long[] { 1 }, t, dtype: ScalarType.Float64);
            return Drift(one, time).ToDoubleValue();
        }

        /// <summary>m(t) in float64.</summary>
        double MeanCoefficientAt(double t);

        /// <summary>v(t) in float64.</summary>
        double MarginalVarianceAt(double t);

        /// <summary>∇ₓ·f(x, t) = D·a(t): [N] (the drift divergence the likelihood ODE needs).</summary>
        Tensor DriftDivergence(Tensor t, long dim);

        /// <summary>xₜ = m(t)·x₀ + √v(t)·noise: a draw from p₀ₜ(·|x₀) given standard normal noise.</summary>
        Tensor Perturb(Tensor x0, Tensor t, Tensor noise);

        /// <summary>n draws from the prior N(0, v(T)·I) (the kernel at T of a point mass at 0).</summary>
        Tensor SamplePrior(long n, long dim, Generator generator, ScalarType dtype, Device device);

        /// <summary>log N(x; 0, v(T)·I): [N].</summary>
        Tensor PriorLogProb(Tensor x);

        /// <summary>The reverse-time drift f(x, t) − g(t)²·score (Anderson 1982).</summary>
        Tensor ReverseDrift(Tensor x, Tensor t, Tensor score);

        /// <summary>The probability-flow drift f(x, t) − ½g(t)²·score (Song et al. 2021).</summary>
        Tensor ProbabilityFlowDrift(Tensor x, Tensor t, Tensor score);
    }
}
