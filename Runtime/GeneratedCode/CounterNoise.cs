using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.GeneratedCode
{
    /// <summary>
    /// The Gaussian noise z of one sampler step, drawn where it is used: element i of z (row-major over x's [N, D]) is
    /// <see cref="CounterRandom.Normal"/>(<see cref="Key"/>, <see cref="Offset"/> + i) — <see cref="CounterRandom.NormalSingle"/>
    /// for float32 tensors. A fused step kernel fills it block by block inside its own loop (no noise tensor, no separate pass),
    /// and every other path gets the same numbers from <see cref="Sample"/>: the value of z does not depend on the kernel path,
    /// the thread count or the chunking.
    /// </summary>
    /// <param name="Key">The stream (for a run: <see cref="CounterRandom.KeyFrom"/> once, then <see cref="ForStep"/> per step).</param>
    /// <param name="Offset">The number of z's first element in the stream.</param>
    public readonly record struct CounterNoise(ulong Key, long Offset)
    {
        /// <summary>The noise of step <paramref name="step"/> of the run whose key is <paramref name="runKey"/>: its own sub-stream.</summary>
        public static CounterNoise ForStep(ulong runKey, long step) => new CounterNoise(CounterRandom.SubKey(runKey, step), 0);

        /// <summary>
        /// z as a fresh tensor with <paramref name="like"/>'s shape, dtype and device (float32 or float64): filled on the CPU, then
        /// copied to the device, so a GPU run draws the same numbers as a CPU run.
        /// </summary>
        public Tensor Sample(Tensor like)
        {
            if (like.dtype != ScalarType.Float32 && like.dtype != ScalarType.Float64)
                throw new ArgumentException("CounterNoise.Sample: the noise is float32 or float64; x is " + like.dtype + ".", nameof(like));
            var z = empty(like.shape, like.dtype);
            CounterRandom.FillNormal(z, Key, Offset);
            if (like.device_type == DeviceType.CPU) return z;
            using (z) return z.to(like.device);
        }
    }
}
