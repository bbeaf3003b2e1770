using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Flows
{
    /// <summary>
    /// A normalising flow x = f_K ∘ … ∘ f_1(z₀) with base N(0, I): log q(x) = log N(z₀; 0, I) − Σₖ log|det ∂fₖ/∂zₖ₋₁|
    /// (Rezende &amp; Mohamed 2015, Eq. 7). An <see cref="ParameterModule"/> whose parameters are its layers', so the
    /// <see cref="Training.Trainer"/> trains it (checkpoints, EMA, divergence guard) on a stream of base draws z₀.
    /// </summary>
    public sealed class FlowStack : ParameterModule
    {
        private readonly List<IFlowLayer> layers;

        /// <summary>Stacks <paramref name="layers"/> (applied first to last); all must share the dimension.</summary>
        public FlowStack(string name, IReadOnlyList<IFlowLayer> layers) : base(name, Dimension(name, layers))
        {
            this.layers = layers.ToList();
            for (int i = 0; i < this.layers.Count; i++)
            {
                if (!(this.layers[i] is ParameterModule module))
                    throw new ArgumentException(name + ": layer " + i + " (" + this.layers[i].ModelName + ") is not a TorchSharp module.", nameof(layers));
                register_module("layer" + i, module);
            }
        }

        private static int Dimension(string name, IReadOnlyList<IFlowLayer> layers)
        {
            if (layers is null || layers.Count == 0) throw new ArgumentException(name + ": a flow needs at least one layer.", nameof(layers));
            int d = layers[0].Dim;
            for (int i = 1; i < layers.Count; i++)
                if (layers[i].Dim != d)
                    throw new ArgumentException(name + ": layer " + i + " (" + layers[i].ModelName + ") has dimension " + layers[i].Dim + " but layer 0 has " + d + ".", nameof(layers));
            return d;
        }

        /// <summary>The layers, first applied first.</summary>
        public IReadOnlyList<IFlowLayer> Layers => layers;

        /// <summary>log N(z; 0, I): [N].</summary>
        public static Tensor BaseLogProb(Tensor z)
        {
            using var scope = NewDisposeScope();
            return (z.Square().sum(new long[] { 1 }).Mul(-0.5).Sub(0.5 * z.shape[1] * System.Math.Log(2 * System.Math.PI))).MoveToOuterDisposeScope();
        }

        /// <summary>Pushes base draws z₀: [N, D] through the layers: x and log q(x), both [N]-batched and differentiable.</summary>
        public (Tensor X, Tensor LogQ) Push(Tensor z0)
        {
            CheckInput(z0, "Push", "z0");
            using var scope = NewDisposeScope();
            var logq = BaseLogProb(z0);
            var z = z0;
            foreach (var layer in layers)
            {
                var (next, logDet) = layer.ForwardAndLogDet(z);
                logq = logq - logDet;
                z = next;
            }
            return (z.MoveToOuterDisposeScope(), logq.MoveToOuterDisposeScope());
        }

        /// <summary>n draws x ~ q with their log q(x), without a tape.</summary>
        public (Tensor X, Tensor LogQ) Sample(long n, Generator generator)
        {
            using var noGrad = no_grad();
            var first = (ParameterModule)layers[0];
            using var z0 = empty(new long[] { n, Dim }, dtype: first.DType, device: first.Device).normal_(0, 1, generator: generator);
            return Push(z0);
        }

        /// <summary>
        /// log q(x): [N] by the change of variables, log q(x) = log N(z₀; 0, I) − Σₖ log|det ∂fₖ/∂zₖ₋₁| with z₀ = f₁⁻¹ ∘ … ∘ f_K⁻¹(x)
        /// (Dinh et al. 2017, Eq. 3), differentiable in the parameters. Every layer must be an <see cref="IInvertibleFlowLayer"/>.
        /// </summary>
        public Tensor LogProb(Tensor x)
        {
            CheckInput(x, "LogProb", "x");
            using var scope = NewDisposeScope();
            var z = x;
            Tensor? logDets = null;
            for (int i = layers.Count - 1; i >= 0; i--)
            {
                if (!(layers[i] is IInvertibleFlowLayer invertible))
                    throw new InvalidOperationException(ModelName + ".LogProb: layer " + i + " (" + layers[i].ModelName + ") has no closed-form inverse; only invertible layers (affine couplings, linear layers A z + b) give log q(x) of data.");
                var (previous, logDet) = invertible.InverseAndLogDet(z);
                logDets = logDets is null ? logDet : logDets.Add(logDet);
                z = previous;
            }
            var logq = BaseLogProb(z);
            return (logDets is null ? logq : logq - logDets).MoveToOuterDisposeScope();
        }

        /// <summary>The maximum-likelihood loss −(1/N) Σ log q(xₙ): a 0-dim tensor, differentiable in the parameters.</summary>
        public Tensor NegativeLogLikelihoodLoss(Tensor x)
        {
            using var scope = NewDisposeScope();
            return LogProb(x).mean().neg().MoveToOuterDisposeScope();
        }

        /// <summary>
        /// The reverse-KL loss E_q[log q(x) + E(x)] = KL(q ‖ p) − log Z for p ∝ exp(−E), estimated on base draws z₀: a
        /// 0-dim tensor, differentiable in the flow's parameters (the reparameterised path x = f(z₀)).
        /// </summary>
        public Tensor ReverseKlLoss(Tensor z0, Func<Tensor, Tensor> energy)
        {
            using var scope = NewDisposeScope();
            var (x, logq) = Push(z0);
            var e = energy(x);
            if (e.dim() != 1 || e.shape[0] != x.shape[0])
                throw new ArgumentException(ModelName + ".ReverseKlLoss: the energy must return [N] for x: [N, " + Dim + "]; got " + Broadcasting.Describe(e) + ".", nameof(energy));
            return (logq.Add(e)).mean().MoveToOuterDisposeScope();
        }
    }

    /// <summary>Two-dimensional unnormalised target densities p ∝ exp(−E) of the normalising-flow lectures.</summary>
    public static class TargetDensities
    {
        /// <summary>The names accepted by <see cref="Get"/>.</summary>
        public static readonly string[] Names = { "banana", "ring" };

        /// <summary>The energy E(x): [N] for x: [N, 2]; throws naming the valid names otherwise.</summary>
        public static Func<Tensor, Tensor> Get(string name) => name switch
        {
            "banana" => Banana,
            "ring" => Ring,
            _ => throw new ArgumentException("Unknown target '" + name + "'; valid: " + string.Join(", ", Names) + ".", nameof(name)),
        };

        /// <summary>Banana: E(x) = x₁²/(2·1.5²) + (x₂ − 0.5x₁² + 1)²/(2·0.5²).</summary>
        public static Tensor Banana(Tensor x)
        {
            using var scope = NewDisposeScope();
            var x1 = x[.., 0];
            var x2 = x[.., 1];
            var bend = (x2 - x1.Square().Mul(0.5)).Add(1);
            return (x1.Square().Div((2 * 1.5 * 1.5)).Add(bend.Square().Div((2 * 0.5 * 0.5)))).MoveToOuterDisposeScope();
        }

        /// <summary>
        /// Rezende &amp; Mohamed's U₁ (Table 1): E(x) = ½((‖x‖ − 2)/0.4)² − log(e^{−½((x₁−2)/0.6)²} + e^{−½((x₁+2)/0.6)²}), a ring with two modes.
        /// </summary>
        public static Tensor Ring(Tensor x)
        {
            using var scope = NewDisposeScope();
            var x1 = x[.., 0];
            var radius = x.Square().sum(new long[] { 1 }).sqrt();
            var a = ((x1.Sub(2)).Div(0.6)).Square().Mul(-0.5);
            var b = ((x1.Add(2)).Div(0.6)).Square().Mul(-0.5);
            return (((radius.Sub(2)).Div(0.4)).Square().Mul(0.5) - stack(new[] { a, b }, 1).logsumexp(1)).MoveToOuterDisposeScope();
        }

        /// <summary>
        /// log Z = log ∫ exp(−E) over [−L, L]² by the midpoint rule on an n×n grid in float64 (the targets are negligible
        /// outside L = 6): the constant that turns the reverse-KL loss into KL(q ‖ p).
        /// </summary>
        public static double LogPartition(Func<Tensor, Tensor> energy, double half = 6, int n = 600)
        {
            using var scope = NewDisposeScope();
            double h = 2 * half / n;
            var axis = linspace(-half + h / 2, half - h / 2, n, dtype: ScalarType.Float64);
            var grid = meshgrid(new[] { axis, axis }, indexing: "ij");
            var points = stack(new[] { grid[0].reshape(-1), grid[1].reshape(-1) }, 1);
            var e = energy(points);
            return (-e).logsumexp(0).ToDoubleValue() + 2 * System.Math.Log(h);
        }
    }
}
