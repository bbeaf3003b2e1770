using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.Diffusion;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Dsl.Networks
{
    /// <summary>The sinusoidal time embedding of Vaswani et al. / Ho et al.: [sin(s·τ·fₖ), cos(s·τ·fₖ)], fₖ = 10000^(−k/(E/2)).</summary>
    public static class TimeEmbedding
    {
        /// <summary>[N, <paramref name="dim"/>] for τ: [N]; <paramref name="scale"/> maps τ ∈ [0, 1] to DDPM's step range.</summary>
        public static Tensor Sinusoidal(Tensor time, int dim, double scale = 1000)
        {
            if (dim < 2 || dim % 2 != 0) throw new ArgumentException("TimeEmbedding.Sinusoidal: the embedding size must be even and ≥ 2, got " + dim + ".", nameof(dim));
            if (time.dim() != 1) throw new ArgumentException("TimeEmbedding.Sinusoidal: τ must be [N]; got " + NetworkShapes.Describe(time) + ".", nameof(time));
            using var scope = NewDisposeScope();
            int half = dim / 2;
            var frequencies = exp(ScalarOps.Arange(half, ScalarType.Float64, time.device).Mul((-System.Math.Log(10000) / half))).to_type(time.dtype);
            var angles = (time.Mul(scale)).unsqueeze(1) * frequencies.unsqueeze(0);
            return cat(new[] { angles.sin(), angles.cos() }, 1).MoveToOuterDisposeScope();
        }
    }

    /// <summary>
    /// The base of the diffusion networks: an <see cref="ParameterModule"/> (so the Trainer, its EMA and checkpoints work),
    /// seeded initialisation, the shared input checks, and optional class conditioning: with Classes = K &gt; 0 a label
    /// embedding of K + 1 rows is added to the time embedding, row K being the "no label" token that classifier-free
    /// guidance drops labels to (condition = null means every sample unlabelled). With a learned variance the read-out has
    /// 2D outputs: ε̂ and Nichol &amp; Dhariwal's interpolation v (<see cref="Ddpm.LearnedLogVariance(DdpmSchedule, Tensor, Tensor)"/>).
    /// </summary>
    public abstract class DiffusionNetwork : ParameterModule, IConditionalDiffusionNetwork, ILearnedVarianceNetwork
    {
        private protected DiffusionNetwork(string name, int dim, int classes, bool learnedVariance = false) : base(name, dim) { Classes = classes; LearnsVariance = learnedVariance; }

        /// <summary>The number of classes for conditioning (0: unconditional).</summary>
        public int Classes { get; }

        /// <summary>True when the read-out also gives the variance interpolation v (raw output [N, 2D]).</summary>
        public bool LearnsVariance { get; }

        /// <summary>ε̂: [N, D] (the first half of the output when the network learns its variance).</summary>
        public Tensor Predict(Tensor x, Tensor time, Tensor? condition = null)
        {
            Check(x, time, condition);
            if (!LearnsVariance) return Forward(x, time, condition);
            using var scope = NewDisposeScope();
            return Forward(x, time, condition).narrow(1, 0, Dim).MoveToOuterDisposeScope();
        }

        /// <summary>ε̂ and v, both [N, D], from one forward pass; refused unless <see cref="LearnsVariance"/>.</summary>
        public (Tensor Noise, Tensor Interpolation) PredictWithVariance(Tensor x, Tensor time, Tensor? condition = null)
        {
            if (!LearnsVariance) throw new InvalidOperationException(ModelName + ".PredictWithVariance: this network does not learn its variance (create it with learnedVariance: true).");
            Check(x, time, condition);
            using var scope = NewDisposeScope();
            var output = Forward(x, time, condition);
            return (output.narrow(1, 0, Dim).MoveToOuterDisposeScope(), output.narrow(1, Dim, Dim).MoveToOuterDisposeScope());
        }

        private void Check(Tensor x, Tensor time, Tensor? condition)
        {
            CheckData(x);
            if (time is null || time.dim() != 1 || time.shape[0] != x.shape[0] || time.dtype != x.dtype)
                throw new ArgumentException(ModelName + ".Predict: the time τ must be [N] = [" + x.shape[0] + "] of " + x.dtype + "; got " + (time is null ? "null" : time.dtype + " " + NetworkShapes.Describe(time)) + ".", nameof(time));
            if (condition is not null)
            {
                if (Classes == 0) throw new ArgumentException(ModelName + ".Predict: this network is unconditional (Classes = 0) but a condition was given.", nameof(condition));
                if (condition.dim() != 1 || condition.shape[0] != x.shape[0] || condition.is_floating_point())
                    throw new ArgumentException(ModelName + ".Predict: the condition must be integer labels [N] = [" + x.shape[0] + "] in 0…" + Classes + " (" + Classes + " = no label); got " + condition.dtype + " " + NetworkShapes.Describe(condition) + ".", nameof(condition));
                // Out-of-range rows of the label embedding abort natively: check the values here.
                if (condition.dtype == ScalarType.Int64) Guidance.CheckLabels(condition, x.shape[0], Classes, allowNull: true, ModelName + ".Predict");
                else using (var labels = condition.to_type(ScalarType.Int64)) Guidance.CheckLabels(labels, x.shape[0], Classes, allowNull: true, ModelName + ".Predict");
            }
        }

        /// <summary>Checks x before anything runs (shape [N, D], dtype and device of the parameters).</summary>
        private protected virtual void CheckData(Tensor x) => CheckInput(x, "Predict");

        /// <summary>The prediction for checked inputs: [N, D], or [N, 2D] (ε̂ then v) when the network learns its variance.</summary>
        protected abstract Tensor Forward(Tensor x, Tensor time, Tensor? condition);

        /// <summary>The label embedding added to the time embedding (null when unconditional).</summary>
        private protected Tensor? LabelEmbedding(Embedding? labels, Tensor x, Tensor? condition)
        {
            if (labels is null) return null;
            using var scope = NewDisposeScope();
            var index = condition ?? global::Dsl.ScalarOps.Full(new long[] { x.shape[0] }, Classes, ScalarType.Int64, x.device);
            return labels.forward(index).MoveToOuterDisposeScope();
        }

        /// <summary>PyTorch's default U(±1/√fan_in) for every Linear and Conv2d, drawn from <paramref name="generator"/> (deterministic per seed).</summary>
        private protected void Initialise(Generator? generator)
        {
            using var noGrad = no_grad();
            foreach (var (_, module) in named_modules())
            {
                Tensor? weight = null, bias = null;
                if (module is Linear linear) { weight = linear.weight; bias = linear.bias; }
                else if (module is Conv2d conv) { weight = conv.weight; bias = conv.bias; }
                else if (module.GetType().Name == "Conv") { weight = module.get_parameter("weight"); bias = module.get_parameter("bias"); }
                else if (module is Embedding embedding) { embedding.weight!.normal_(0, 1, generator: generator); continue; }
                if (weight is null) continue;
                double bound = 1 / System.Math.Sqrt(weight.numel() / weight.shape[0]);
                weight.uniform_(-bound, bound, generator: generator);
                bias?.uniform_(-bound, bound, generator: generator);
            }
        }

        private protected static string Tagged(string name, string? tag) => string.IsNullOrEmpty(tag) ? name : name + "[" + tag + "]";

        private protected static string Variance(bool learned) => learned ? ",variance=learned" : "";
    }

    /// <summary>
    /// An MLP noise network for low-dimensional data: e = SiLU(W_e·emb(τ)), h₀ = W_in x + e, then <c>depth</c> residual
    /// blocks hₖ₊₁ = hₖ + W₂ SiLU(W₁ SiLU(hₖ) + Uₖ e), and the read-out W_out SiLU(h) (2D outputs, ε̂ and v, with a learned variance).
    /// </summary>
    public sealed class TimeMlp : DiffusionNetwork
    {
        private readonly int embeddingSize;
        private readonly Linear input, timeProjection, output;
        private readonly ModuleList<Linear> first, second, timeIn;
        private readonly Embedding? labels;

        /// <summary>Creates the network; <paramref name="tag"/> is appended to the model name (schedule, data) so checkpoints name it.</summary>
        public TimeMlp(int dim, int width = 128, int depth = 3, int embedding = 32, int classes = 0, string? tag = null, Generator? generator = null, bool learnedVariance = false)
            : base(Tagged(FormattableString.Invariant($"TimeMlp(D={dim},width={width},depth={depth},embedding={embedding},classes={classes}{Variance(learnedVariance)})"), tag), CheckSize("TimeMlp", "D", dim), classes, learnedVariance)
        {
            if (width < 1 || depth < 0 || embedding < 2 || embedding % 2 != 0 || classes < 0)
                throw new ArgumentException("TimeMlp: width ≥ 1, depth ≥ 0, an even embedding ≥ 2 and classes ≥ 0 are required.");
            embeddingSize = embedding;
            input = nn.Linear(dim, width);
            timeProjection = nn.Linear(embedding, width);
            output = nn.Linear(width, learnedVariance ? 2 * dim : dim);
            first = new ModuleList<Linear>(Enumerable.Range(0, depth).Select(_ => nn.Linear(width, width)).ToArray());
            second = new ModuleList<Linear>(Enumerable.Range(0, depth).Select(_ => nn.Linear(width, width)).ToArray());
            timeIn = new ModuleList<Linear>(Enumerable.Range(0, depth).Select(_ => nn.Linear(width, width)).ToArray());
            register_module("input", input);
            register_module("time", timeProjection);
            register_module("first", first);
            register_module("second", second);
            register_module("time_in", timeIn);
            register_module("output", output);
            if (classes > 0) { labels = nn.Embedding(classes + 1, width); register_module("labels", labels); }
            Initialise(generator);
        }

        /// <inheritdoc/>
        protected override Tensor Forward(Tensor x, Tensor time, Tensor? condition)
        {
            using var scope = NewDisposeScope();
            var e = F.silu(timeProjection.forward(TimeEmbedding.Sinusoidal(time, embeddingSize)));
            var label = LabelEmbedding(labels, x, condition);
            if (label is not null) e = e.Add(label);
            var h = input.forward(x).Add(e);
            for (int k = 0; k < first.Count; k++)
                h = h.Add(second[k].forward(F.silu(first[k].forward(F.silu(h)).Add(timeIn[k].forward(e)))));
            return output.forward(F.silu(h)).MoveToOuterDisposeScope();
        }
    }

    /// <summary>
    /// A small U-Net noise network for 8×8 single-channel images, flattened to D = 64 (row-major): a 3×3 stem, residual
    /// blocks (GroupNorm, SiLU, 3×3 conv, plus a projection of the time embedding) at 8×8 (C channels), 4×4 (2C) and 2×2
    /// (2C), strided-conv down-sampling, nearest up-sampling with skip concatenation, and a 3×3 read-out.
    /// Takes x: [N, 64] (or [N, 1, 8, 8], [N, 8, 8]) and returns [N, 64]; with a learned variance the read-out has two channels,
    /// ε̂ and v, flattened to [N, 128].
    /// </summary>
    public sealed class DigitUNet : DiffusionNetwork
    {
        /// <summary>Image side.</summary>
        public const int Side = 8;

        private readonly int channels;
        private readonly Linear time1, time2;
        private readonly Conv stem, down1, down2, head, reduce;
        private readonly GroupNorm headNorm;
        private readonly ResBlock block1, block2, mid, up2, up1;
        private readonly Embedding? labels;

        /// <summary>Creates the network with <paramref name="channels"/> channels at full resolution (a multiple of 8).</summary>
        public DigitUNet(int channels = 32, int classes = 0, string? tag = null, Generator? generator = null, bool learnedVariance = false)
            : base(Tagged(FormattableString.Invariant($"DigitUNet(8x8,channels={channels},classes={classes}{Variance(learnedVariance)})"), tag), Side * Side, classes, learnedVariance)
        {
            if (channels < 8 || channels % 8 != 0) throw new ArgumentException("DigitUNet: channels must be a positive multiple of 8, got " + channels + ".", nameof(channels));
            if (classes < 0) throw new ArgumentException("DigitUNet: classes must be ≥ 0.", nameof(classes));
            this.channels = channels;
            int C = channels, E = 2 * C;
            time1 = nn.Linear(C, E); time2 = nn.Linear(E, E);
            stem = new Conv(1, C, 3, padding: 1);
            block1 = new ResBlock("block1", C, C, E);
            down1 = new Conv(C, C, 3, stride: 2, padding: 1);
            block2 = new ResBlock("block2", C, 2 * C, E);
            down2 = new Conv(2 * C, 2 * C, 3, stride: 2, padding: 1);
            mid = new ResBlock("mid", 2 * C, 2 * C, E);
            up2 = new ResBlock("up2", 4 * C, 2 * C, E);
            reduce = new Conv(2 * C, C, 1);
            up1 = new ResBlock("up1", 2 * C, C, E);
            headNorm = new GroupNorm(8, C);
            head = new Conv(C, learnedVariance ? 2 : 1, 3, padding: 1);
            foreach (var (name, module) in new (string, nn.Module)[] { ("time1", time1), ("time2", time2), ("stem", stem), ("block1", block1), ("down1", down1), ("block2", block2),
                ("down2", down2), ("mid", mid), ("up2", up2), ("reduce", reduce), ("up1", up1), ("head_norm", headNorm), ("head", head) })
                register_module(name, module);
            if (classes > 0) { labels = nn.Embedding(classes + 1, E); register_module("labels", labels); }
            Initialise(generator);
        }

        private protected override void CheckData(Tensor x)
        {
            if (x is not null && (x.dim() != 2 || x.shape[1] != Side * Side))
                throw new ArgumentException(ModelName + ".Predict: images must be 8×8 single-channel, flattened to [N, 64] (DigitUNet.Flatten reshapes [N, 1, 8, 8]); got " + NetworkShapes.Describe(x) + ".", "x");
            base.CheckData(x!);
        }

        /// <summary>
        /// Refuses training data that is not 8×8 images in [−1, 1]: values outside the range, or a batch with no negative
        /// pixel at all (digits scaled to [0, 1] or [0, 16] instead of PixelScale.Symmetric).
        /// </summary>
        public static void RequireSymmetricImages(Tensor images, string who = "DigitUNet")
        {
            using var flat = Flatten(images);
            double lo, hi;
            using (var mn = flat.min()) lo = mn.ToDoubleValue();
            using (var mx = flat.max()) hi = mx.ToDoubleValue();
            if (lo < -1 - 1e-6 || hi > 1 + 1e-6)
                throw new ArgumentException(FormattableString.Invariant($"{who}: pixels must lie in [−1, 1] (Digits.Images(PixelScale.Symmetric)); got values in [{lo:G4}, {hi:G4}]."), nameof(images));
            if (flat.shape[0] >= 16 && lo >= 0)
                throw new ArgumentException(FormattableString.Invariant($"{who}: no pixel is negative (values in [{lo:G4}, {hi:G4}]): the images look scaled to [0, 1]; DDPM expects [−1, 1] (PixelScale.Symmetric)."), nameof(images));
        }

        /// <summary>Flattens [N, 1, 8, 8] or [N, 8, 8] images to [N, 64]; refuses any other size with a message naming it.</summary>
        public static Tensor Flatten(Tensor images)
        {
            bool ok = images.dim() switch
            {
                2 => images.shape[1] == Side * Side,
                3 => images.shape[1] == Side && images.shape[2] == Side,
                4 => images.shape[1] == 1 && images.shape[2] == Side && images.shape[3] == Side,
                _ => false,
            };
            if (!ok) throw new ArgumentException("DigitUNet: images must be 8×8 single-channel ([N, 64], [N, 8, 8] or [N, 1, 8, 8]); got " + NetworkShapes.Describe(images) + ".", nameof(images));
            return images.reshape(images.shape[0], Side * Side);
        }

        /// <inheritdoc/>
        protected override Tensor Forward(Tensor x, Tensor time, Tensor? condition)
        {
            using var scope = NewDisposeScope();
            long n = x.shape[0];
            var e = time2.forward(F.silu(time1.forward(TimeEmbedding.Sinusoidal(time, channels))));
            var label = LabelEmbedding(labels, x, condition);
            if (label is not null) e = e.Add(label);
            var h0 = stem.forward(x.reshape(n, 1, Side, Side));
            var s1 = block1.forward(h0, e);                                   // C × 8 × 8
            var s2 = block2.forward(down1.forward(s1), e);                    // 2C × 4 × 4
            var m = mid.forward(down2.forward(s2), e);                        // 2C × 2 × 2
            var u2 = up2.forward(cat(new[] { Upsample(m), s2 }, 1), e);       // 2C × 4 × 4
            var u1 = up1.forward(cat(new[] { reduce.forward(Upsample(u2)), s1 }, 1), e);   // C × 8 × 8
            var output = head.forward(F.silu(headNorm.forward(u1)));
            return output.reshape(n, (LearnsVariance ? 2 : 1) * Side * Side).MoveToOuterDisposeScope();
        }

        /// <summary>Nearest-neighbour ×2 by broadcasting (plain view/expand ops, simple gradients).</summary>
        private static Tensor Upsample(Tensor x)
        {
            long n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
            return x.reshape(n, c, h, 1, w, 1).expand(n, c, h, 2, w, 2).reshape(n, c, 2 * h, 2 * w);
        }

        /// <summary>
        /// A 2D convolution written as unfold + matmul (im2col). On this machine's libtorch CPU build, Conv2d's backward
        /// returned NaN input gradients for some shapes (24 → 8 channels at 8×8, and intermittently others); the
        /// im2col form uses other kernels and, for 8×8 images, costs about the same.
        /// </summary>
        private sealed class Conv : nn.Module<Tensor, Tensor>
        {
            private readonly long kernel, stride, padding, outputs;
            private readonly Parameter weight, bias;

            public Conv(long inputs, long outputs, long kernel, long stride = 1, long padding = 0) : base("Conv")
            {
                this.kernel = kernel; this.stride = stride; this.padding = padding; this.outputs = outputs;
                weight = new Parameter(zeros(outputs, inputs, kernel, kernel));
                bias = new Parameter(zeros(outputs));
                register_parameter("weight", weight);
                register_parameter("bias", bias);
            }

            public Tensor Weight => weight;
            public Tensor Bias => bias;

            public override Tensor forward(Tensor x)
            {
                using var scope = NewDisposeScope();
                long n = x.shape[0], h = (x.shape[2] + 2 * padding - kernel) / stride + 1, w = (x.shape[3] + 2 * padding - kernel) / stride + 1;
                var columns = F.unfold(x, kernel, padding: padding, stride: stride);                 // [N, C·k·k, L]
                var y = weight.reshape(outputs, -1).matmul(columns).Add(bias.reshape(1, outputs, 1));  // [N, O, L]
                return y.reshape(n, outputs, h, w).MoveToOuterDisposeScope();
            }
        }

        /// <summary>Group normalisation written out (mean and variance per group of channels, then a per-channel affine map).</summary>
        private sealed class GroupNorm : nn.Module<Tensor, Tensor>
        {
            private readonly long groups;
            private readonly Parameter weight, bias;

            public GroupNorm(long groups, long channels) : base("GroupNorm")
            {
                this.groups = groups;
                weight = new Parameter(ones(channels));
                bias = new Parameter(zeros(channels));
                register_parameter("weight", weight);
                register_parameter("bias", bias);
            }

            public override Tensor forward(Tensor x)
            {
                using var scope = NewDisposeScope();
                long n = x.shape[0], c = x.shape[1];
                var g = x.reshape(n, groups, -1);
                var mean = g.mean(new long[] { 2 }, keepdim: true);
                var centred = g - mean;
                var variance = centred.Square().mean(new long[] { 2 }, keepdim: true);
                var normalised = (centred / (variance.Add(1e-5)).sqrt()).reshape(x.shape);
                return ((normalised * weight.reshape(1, c, 1, 1)).Add(bias.reshape(1, c, 1, 1))).MoveToOuterDisposeScope();
            }
        }

        private sealed class ResBlock : nn.Module<Tensor, Tensor, Tensor>
        {
            private readonly GroupNorm norm1, norm2;
            private readonly Conv conv1, conv2;
            private readonly Linear time;
            private readonly Conv? skip;

            public ResBlock(string name, int input, int output, int embedding) : base(name)
            {
                norm1 = new GroupNorm(8, input);
                conv1 = new Conv(input, output, 3, padding: 1);
                time = nn.Linear(embedding, output);
                norm2 = new GroupNorm(8, output);
                conv2 = new Conv(output, output, 3, padding: 1);
                skip = input == output ? null : new Conv(input, output, 1);
                RegisterComponents();
            }

            public override Tensor forward(Tensor x, Tensor e)
            {
                using var scope = NewDisposeScope();
                var h = conv1.forward(F.silu(norm1.forward(x)));
                h = h.Add(time.forward(F.silu(e)).unsqueeze(2).unsqueeze(3));
                h = conv2.forward(F.silu(norm2.forward(h)));
                return (h.Add((skip is null ? x : skip.forward(x)))).MoveToOuterDisposeScope();
            }
        }
    }
}

namespace Dsl.Networks
{
    internal static class NetworkShapes
    {
        public static string Describe(TorchSharp.torch.Tensor t) => "shape [" + string.Join(", ", t.shape) + "]";
    }
}
