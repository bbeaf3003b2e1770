using System;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Families
{
    /// <summary>A fully connected network x ↦ Wₖ φ(… φ(W₁x + b₁) …) + bₖ with φ = tanh or leaky ReLU; seeded weights.</summary>
    public sealed class Mlp : NetworkModule
    {
        private readonly int layers;
        private readonly bool leaky;
        private readonly bool sigmoidOutput;

        /// <summary>
        /// Creates the network <paramref name="inputs"/> → <paramref name="hidden"/>… → <paramref name="outputs"/>; with
        /// <paramref name="sigmoidOutput"/> the outputs pass through σ (e.g. a generator of pixels in [0, 1]).
        /// </summary>
        public Mlp(string name, int inputs, int[] hidden, int outputs, bool leakyRelu = false, Generator? generator = null, bool sigmoidOutput = false)
            : base(name, CheckSize(name, "in", inputs))
        {
            if (hidden is null) throw new ArgumentNullException(nameof(hidden));
            var sizes = new[] { inputs }.Concat(hidden).Concat(new[] { CheckSize(name, "out", outputs) }).ToArray();
            layers = sizes.Length - 1;
            for (int i = 0; i < layers; i++) Dense("l" + i, sizes[i], sizes[i + 1], generator);
            leaky = leakyRelu;
            this.sigmoidOutput = sigmoidOutput;
            Outputs = outputs;
        }

        /// <summary>The output width.</summary>
        public int Outputs { get; }

        /// <summary>The network's output: [N, out] for x: [N, in]; differentiable.</summary>
        public Tensor Forward(Tensor x)
        {
            CheckInput(x, "Forward");
            using var scope = NewDisposeScope();
            var h = x;
            for (int i = 0; i < layers; i++)
            {
                h = Apply("l" + i, h);
                if (i < layers - 1) h = leaky ? global::Dsl.ScalarOps.LeakyRelu(h, 0.2) : h.tanh();
            }
            if (sigmoidOutput) h = h.sigmoid();
            return h.MoveToOuterDisposeScope();
        }
    }
}
