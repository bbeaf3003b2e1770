using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl.Training
{
    /// <summary>
    /// Adam (Kingma &amp; Ba 2015) with exactly torch.optim.Adam's update (amsgrad = false, maximize = false):
    /// g ← ∇θ + λθ; m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²; θ ← θ − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε).
    /// <para>
    /// Why not TorchSharp's own <c>optim.Adam</c>: its step passes every constant (β₁, 1 − β₁, the bias-corrected step size…)
    /// through an implicit <c>double → Scalar</c> conversion whose temporary nothing keeps alive during the native call, so a
    /// garbage collection on another thread can finalize it while libtorch reads it ("Unknown scalar type"). Here every
    /// constant is an explicit <see cref="TorchSharp.Scalar"/>: the fixed ones live as long as the optimiser, the per-step ones are
    /// <c>using</c> locals that outlive the calls that read them.
    /// </para>
    /// </summary>
    public sealed class AdamOptimizer : IDisposable
    {
        private readonly Parameter[] parameters;
        private readonly long[] steps;             // per parameter, as torch: a parameter without a gradient does not advance
        private readonly Tensor[] expAvg;          // m, the first-moment estimate
        private readonly Tensor[] expAvgSq;        // v, the second-moment estimate
        // one: TorchSharp's add_(Scalar) passes an implicit 1 as alpha, so ε is added through add_(ε, one) instead.
        private readonly TorchSharp.Scalar beta1, oneMinusBeta1, beta2, oneMinusBeta2, epsilon, weightDecay, one;
        private bool disposed;

        /// <summary>Creates the optimiser over <paramref name="parameters"/> with torch.optim.Adam's defaults.</summary>
        public AdamOptimizer(IEnumerable<Parameter> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0)
        {
            if (parameters is null) throw new ArgumentNullException(nameof(parameters));
            if (!(learningRate >= 0) || double.IsInfinity(learningRate)) throw new ArgumentException("AdamOptimizer: the learning rate must be a finite number ≥ 0, got " + learningRate + ".", nameof(learningRate));
            if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentException("AdamOptimizer: β₁ must lie in [0, 1), got " + beta1 + ".", nameof(beta1));
            if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentException("AdamOptimizer: β₂ must lie in [0, 1), got " + beta2 + ".", nameof(beta2));
            if (!(epsilon >= 0) || double.IsInfinity(epsilon)) throw new ArgumentException("AdamOptimizer: ε must be a finite number ≥ 0, got " + epsilon + ".", nameof(epsilon));
            if (!(weightDecay >= 0) || double.IsInfinity(weightDecay)) throw new ArgumentException("AdamOptimizer: the weight decay must be a finite number ≥ 0, got " + weightDecay + ".", nameof(weightDecay));
            this.parameters = parameters.ToArray();
            LearningRate = learningRate;
            Beta1 = beta1;
            Beta2 = beta2;
            Epsilon = epsilon;
            WeightDecay = weightDecay;
            steps = new long[this.parameters.Length];
            expAvg = new Tensor[this.parameters.Length];
            expAvgSq = new Tensor[this.parameters.Length];
            using (no_grad())
                for (int i = 0; i < this.parameters.Length; i++)
                {
                    // Detached from any dispose scope: the moments live exactly as long as the optimiser.
                    expAvg[i] = zeros_like(this.parameters[i]).DetachFromDisposeScope();
                    expAvgSq[i] = zeros_like(this.parameters[i]).DetachFromDisposeScope();
                }
            this.beta1 = beta1.ToScalar();
            oneMinusBeta1 = (1 - beta1).ToScalar();
            this.beta2 = beta2.ToScalar();
            oneMinusBeta2 = (1 - beta2).ToScalar();
            this.epsilon = epsilon.ToScalar();
            this.weightDecay = weightDecay.ToScalar();
            one = 1.0.ToScalar();
        }

        /// <summary>The learning rate.</summary>
        public double LearningRate { get; }

        /// <summary>β₁, the decay of the first-moment estimate.</summary>
        public double Beta1 { get; }

        /// <summary>β₂, the decay of the second-moment estimate.</summary>
        public double Beta2 { get; }

        /// <summary>ε, added to the bias-corrected √v.</summary>
        public double Epsilon { get; }

        /// <summary>λ, the L2 penalty added to the gradient (torch's weight_decay; not AdamW's decoupled decay).</summary>
        public double WeightDecay { get; }

        /// <summary>The parameters in the order they were given (the order of the saved state).</summary>
        public IReadOnlyList<Parameter> Parameters => parameters;

        /// <summary>
        /// Zeroes every parameter's gradient in place. Each <c>.grad</c> read makes a new managed wrapper of the gradient, and
        /// TorchSharp 0.107's <c>zero_()</c> returns another (it is zeros_out, not <c>this</c>); both are disposed here at once
        /// instead of waiting for a dispose scope or the finalizer (TorchSharp's own zero_grad leaves them behind).
        /// </summary>
        public void ZeroGrad()
        {
            ThrowIfDisposed();
            foreach (var p in parameters)
            {
                using var grad = p.grad;
                using var zeroed = grad?.zero_();
            }
        }

        /// <summary>One Adam update of every parameter that has a gradient (parameters without one are skipped, as in torch).</summary>
        public void Step()
        {
            ThrowIfDisposed();
            using var noGrad = no_grad();
            for (int i = 0; i < parameters.Length; i++)
            {
                var p = parameters[i];
                using var grad = p.grad;
                if (grad is null) continue;
                long t = ++steps[i];
                double biasCorrection1 = 1 - System.Math.Pow(Beta1, t);
                double biasCorrection2 = 1 - System.Math.Pow(Beta2, t);
                using var sqrtBiasCorrection2 = System.Math.Sqrt(biasCorrection2).ToScalar();
                using var negativeStepSize = (-(LearningRate / biasCorrection1)).ToScalar();
                using var decayed = WeightDecay != 0 ? grad.add(p, weightDecay) : null;
                var g = decayed ?? grad;
                expAvg[i].mul_(beta1).add_(g, oneMinusBeta1);
                expAvgSq[i].mul_(beta2).addcmul_(g, g, oneMinusBeta2);
                using var denominator = expAvgSq[i].sqrt();
                denominator.div_(sqrtBiasCorrection2).add_(epsilon, one);
                p.addcdiv_(expAvg[i], denominator, negativeStepSize);
            }
        }

        /// <summary>
        /// Writes the state (per parameter: its step count, m and v as float64 with their shapes) for <see cref="LoadState"/>.
        /// The hyperparameters are not part of it: they belong to whoever constructs the optimiser.
        /// </summary>
        public void SaveState(BinaryWriter writer)
        {
            if (writer is null) throw new ArgumentNullException(nameof(writer));
            ThrowIfDisposed();
            writer.Write(parameters.Length);
            for (int i = 0; i < parameters.Length; i++)
            {
                writer.Write(steps[i]);
                CheckpointTensors.Write(writer, "exp_avg", expAvg[i]);
                CheckpointTensors.Write(writer, "exp_avg_sq", expAvgSq[i]);
            }
        }

        /// <summary>
        /// Restores a state written by <see cref="SaveState"/>; validates all of it (count, shapes, steps) before anything
        /// changes and throws <see cref="InvalidDataException"/> when it does not fit these parameters.
        /// </summary>
        public void LoadState(BinaryReader reader)
        {
            if (reader is null) throw new ArgumentNullException(nameof(reader));
            var state = ReadState(reader);
            var mismatch = Mismatch(state);
            if (mismatch != null) throw new InvalidDataException("AdamOptimizer: " + mismatch + ".");
            Restore(state);
        }

        /// <summary>A state read but not yet applied.</summary>
        internal sealed record State(long[] Steps, CheckpointTensors.Stored[] ExpAvg, CheckpointTensors.Stored[] ExpAvgSq);

        /// <summary>Reads a state written by <see cref="SaveState"/> without applying it (a format error throws <see cref="InvalidDataException"/>).</summary>
        internal static State ReadState(BinaryReader reader)
        {
            int count = CheckpointTensors.Count(reader.ReadInt32(), 100_000, "optimiser parameter count");
            var stepCounts = new long[count];
            var m = new CheckpointTensors.Stored[count];
            var v = new CheckpointTensors.Stored[count];
            for (int i = 0; i < count; i++)
            {
                stepCounts[i] = reader.ReadInt64();
                if (stepCounts[i] < 0) throw new InvalidDataException("negative Adam step count " + stepCounts[i]);
                m[i] = CheckpointTensors.Read(reader);
                v[i] = CheckpointTensors.Read(reader);
            }
            return new State(stepCounts, m, v);
        }

        /// <summary>Why <paramref name="state"/> does not fit these parameters, or null when it does.</summary>
        internal string? Mismatch(State state)
        {
            ThrowIfDisposed();
            if (state.Steps.Length != parameters.Length)
                return "the saved state is for " + state.Steps.Length + " parameters but this optimiser has " + parameters.Length;
            for (int i = 0; i < parameters.Length; i++)
                if (!state.ExpAvg[i].Shape.SequenceEqual(parameters[i].shape) || !state.ExpAvgSq[i].Shape.SequenceEqual(parameters[i].shape))
                    return "the saved moments of parameter " + i + " have shape [" + string.Join(",", state.ExpAvg[i].Shape) + "] but the parameter has ["
                        + string.Join(",", parameters[i].shape) + "]";
            return null;
        }

        /// <summary>Applies a state that <see cref="Mismatch"/> accepted.</summary>
        internal void Restore(State state)
        {
            using var noGrad = no_grad();
            for (int i = 0; i < parameters.Length; i++)
            {
                steps[i] = state.Steps[i];
                CheckpointTensors.CopyInto(expAvg[i], state.ExpAvg[i]);
                CheckpointTensors.CopyInto(expAvgSq[i], state.ExpAvgSq[i]);
            }
        }

        private void ThrowIfDisposed()
        {
            if (disposed) throw new ObjectDisposedException(nameof(AdamOptimizer));
        }

        /// <summary>Disposes the moment estimates and the cached scalars.</summary>
        public void Dispose()
        {
            if (disposed) return;
            disposed = true;
            foreach (var t in expAvg) t.Dispose();
            foreach (var t in expAvgSq) t.Dispose();
            beta1.Dispose();
            oneMinusBeta1.Dispose();
            beta2.Dispose();
            oneMinusBeta2.Dispose();
            epsilon.Dispose();
            weightDecay.Dispose();
            one.Dispose();
        }
    }
}
