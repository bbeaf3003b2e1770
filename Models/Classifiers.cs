using System;
using System.Linq;
using Dsl.Diffusion;
using Dsl.Networks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Dsl.Models
{
    /// <summary>
    /// A time-conditioned classifier p_φ(y | xₜ, τ) for classifier guidance: e = SiLU(W_e·emb(τ)) (the sinusoidal embedding
    /// of the noise networks), h₀ = W_in x + e, <c>depth</c> residual blocks hₖ₊₁ = hₖ + W₂ SiLU(W₁ SiLU(hₖ) + Uₖ e), and the
    /// logits W_out SiLU(h): [N, K]. Trained on qSample-noised data at random steps (<see cref="Guidance.ClassifierLoss"/>), or
    /// on clean data at τ = 0 as an ordinary classifier (the independent judge of generated samples).
    /// </summary>
    public sealed class TimeClassifier : ParameterModule, INoisyClassifier
    {
        private readonly int embeddingSize;
        private readonly Linear input, timeProjection, output;
        private readonly ModuleList<Linear> first, second, timeIn;

        /// <summary>Creates the classifier of D-dimensional data into <paramref name="classes"/> classes; <paramref name="tag"/> joins the model name.</summary>
        public TimeClassifier(int dim, int classes, int width = 128, int depth = 2, int embedding = 32, string? tag = null, Generator? generator = null)
            : base(Name(dim, classes, width, depth, embedding, tag), dim)
        {
            if (dim < 1) throw new ArgumentException("TimeClassifier: D must be ≥ 1, got " + dim + ".", nameof(dim));
            if (classes < 2) throw new ArgumentException("TimeClassifier: at least 2 classes are needed, got " + classes + ".", nameof(classes));
            if (width < 1 || depth < 0 || embedding < 2 || embedding % 2 != 0)
                throw new ArgumentException("TimeClassifier: width ≥ 1, depth ≥ 0 and an even embedding ≥ 2 are required.");
            Classes = classes;
            embeddingSize = embedding;
            input = nn.Linear(dim, width);
            timeProjection = nn.Linear(embedding, width);
            output = nn.Linear(width, classes);
            first = new ModuleList<Linear>(Enumerable.Range(0, depth).Select(_ => nn.Linear(width, width)).ToArray());
            second = new ModuleList<Linear>(Enumerable.Range(0, depth).Select(_ => nn.Linear(width, width)).ToArray());
            timeIn = new ModuleList<Linear>(Enumerable.Range(0, depth).Select(_ => nn.Linear(width, width)).ToArray());
            register_module("input", input);
            register_module("time", timeProjection);
            register_module("first", first);
            register_module("second", second);
            register_module("time_in", timeIn);
            register_module("output", output);
            Initialise(generator);
        }

        /// <inheritdoc/>
        public int Classes { get; }

        /// <inheritdoc/>
        public Tensor Logits(Tensor x, Tensor time)
        {
            CheckInput(x, "Logits");
            if (time is null || time.dim() != 1 || time.shape[0] != x.shape[0] || time.dtype != x.dtype)
                throw new ArgumentException(ModelName + ".Logits: the time τ must be [N] = [" + x.shape[0] + "] of " + x.dtype + " (0 for clean data); got " + (time is null ? "null" : time.dtype + " " + "shape [" + string.Join(", ", time.shape) + "]") + ".", nameof(time));
            using var scope = NewDisposeScope();
            var e = F.silu(timeProjection.forward(TimeEmbedding.Sinusoidal(time, embeddingSize)));
            var h = input.forward(x).Add(e);
            for (int k = 0; k < first.Count; k++)
                h = h.Add(second[k].forward(F.silu(first[k].forward(F.silu(h)).Add(timeIn[k].forward(e)))));
            return output.forward(F.silu(h)).MoveToOuterDisposeScope();
        }

        private static string Name(int dim, int classes, int width, int depth, int embedding, string? tag)
        {
            var name = FormattableString.Invariant($"TimeClassifier(D={dim},classes={classes},width={width},depth={depth},embedding={embedding})");
            return string.IsNullOrEmpty(tag) ? name : name + "[" + tag + "]";
        }

        /// <summary>PyTorch's default U(±1/√fan_in) for every Linear, drawn from <paramref name="generator"/> (deterministic per seed).</summary>
        private void Initialise(Generator? generator)
        {
            using var noGrad = no_grad();
            foreach (var (_, module) in named_modules())
            {
                if (module is not Linear linear) continue;
                double bound = 1 / System.Math.Sqrt(linear.weight!.shape[1]);
                linear.weight.uniform_(-bound, bound, generator: generator);
                linear.bias?.uniform_(-bound, bound, generator: generator);
            }
        }
    }
}
