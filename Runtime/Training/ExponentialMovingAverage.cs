using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Training
{
    /// <summary>
    /// An exponential moving average of a model's parameters, θ̄ ← d·θ̄ + (1 − d)·θ after every optimiser step
    /// (the EMA that score_sde and diffusers sample with). Owns its shadow tensors.
    /// </summary>
    public sealed class ExponentialMovingAverage : IDisposable
    {
        private readonly List<(string Name, Tensor Shadow)> shadows;

        /// <summary>Starts the average at the model's current parameters.</summary>
        public ExponentialMovingAverage(nn.Module model, double decay)
        {
            if (!(decay >= 0 && decay < 1)) throw new ArgumentException("ExponentialMovingAverage: decay must lie in [0, 1), got " + decay + ".", nameof(decay));
            Decay = decay;
            using var noGrad = no_grad();
            shadows = model.named_parameters().Select(p =>
            {
                using var detached = p.parameter.detach();   // the detached view's wrapper would otherwise stay live
                return (p.name, detached.clone());
            }).ToList();
        }

        /// <summary>The decay d.</summary>
        public double Decay { get; }

        /// <summary>The shadow parameters in the model's registration order.</summary>
        public IReadOnlyList<(string Name, Tensor Shadow)> Shadows => shadows;

        /// <summary>θ̄ ← d·θ̄ + (1 − d)·θ.</summary>
        public void Update(nn.Module model)
        {
            using var noGrad = no_grad();
            var current = model.named_parameters().ToList();
            for (int i = 0; i < shadows.Count; i++)
                shadows[i].Shadow.Mul_(Decay).Add_(current[i].parameter, alpha: 1 - Decay);
        }

        /// <summary>Copies the averaged parameters into <paramref name="model"/> (for sampling or evaluation).</summary>
        public void CopyTo(nn.Module model)
        {
            using var noGrad = no_grad();
            var current = model.named_parameters().ToList();
            for (int i = 0; i < shadows.Count; i++) current[i].parameter.copy_(shadows[i].Shadow);
        }

        /// <summary>Disposes the shadows.</summary>
        public void Dispose()
        {
            foreach (var s in shadows) s.Shadow.Dispose();
        }
    }
}
