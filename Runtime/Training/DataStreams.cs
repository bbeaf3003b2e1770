using System;
using static TorchSharp.torch;

namespace Dsl.Training
{
    /// <summary>
    /// A seeded, step-addressed source of minibatches: batch k depends only on (seed, k), so a run resumed from a
    /// checkpoint at step k sees exactly the batches an uninterrupted run would have seen.
    /// </summary>
    public interface IDataStream
    {
        /// <summary>Rows per batch.</summary>
        int BatchSize { get; }

        /// <summary>Dimension of each row.</summary>
        int Dim { get; }

        /// <summary>The minibatch of step <paramref name="step"/>: [BatchSize, Dim] (the caller disposes it).</summary>
        Tensor Batch(long step);
    }

    /// <summary>Minibatches drawn uniformly with replacement from a fixed data tensor [M, D].</summary>
    public sealed class TensorDataStream : IDataStream
    {
        private readonly Tensor data;
        private readonly long seed;

        /// <summary>Creates the stream; <paramref name="data"/> is referenced, not copied.</summary>
        public TensorDataStream(Tensor data, int batchSize, long seed)
        {
            if (data is null) throw new ArgumentNullException(nameof(data));
            if (data.dim() != 2 || data.shape[0] < 1 || !data.is_floating_point())
                throw new ArgumentException("TensorDataStream: data must be a non-empty floating-point [M, D] tensor; got " + data.dtype + " " + Broadcasting.Describe(data) + ".", nameof(data));
            if (batchSize < 1) throw new ArgumentException("TensorDataStream: batchSize must be ≥ 1, got " + batchSize + ".", nameof(batchSize));
            this.data = data; BatchSize = batchSize; this.seed = seed;
        }

        /// <inheritdoc/>
        public int BatchSize { get; }

        /// <inheritdoc/>
        public int Dim => (int)data.shape[1];

        /// <inheritdoc/>
        public Tensor Batch(long step)
        {
            using var g = new Generator(Seeds.ForStep(seed, step, 0x_da7a), data.device);
            using var index = randint(0, data.shape[0], new long[] { BatchSize }, generator: g, device: data.device);
            return data.index_select(0, index);
        }
    }

    /// <summary>A step-addressed source of labelled minibatches (classifiers, class-conditional networks).</summary>
    public interface ILabelledDataStream : IDataStream
    {
        /// <summary>The minibatch of step <paramref name="step"/>: rows [BatchSize, Dim] and int64 labels [BatchSize] (the caller disposes both).</summary>
        (Tensor X, Tensor Labels) LabelledBatch(long step);
    }

    /// <summary>Labelled minibatches drawn uniformly with replacement from data [M, D] and int64 labels [M].</summary>
    public sealed class LabelledTensorDataStream : ILabelledDataStream
    {
        private readonly Tensor data, labels;
        private readonly long seed;

        /// <summary>Creates the stream; the tensors are referenced, not copied.</summary>
        public LabelledTensorDataStream(Tensor data, Tensor labels, int batchSize, long seed)
        {
            if (data is null) throw new ArgumentNullException(nameof(data));
            if (labels is null) throw new ArgumentNullException(nameof(labels));
            if (data.dim() != 2 || data.shape[0] < 1 || !data.is_floating_point())
                throw new ArgumentException("LabelledTensorDataStream: data must be a non-empty floating-point [M, D] tensor; got " + data.dtype + " " + Broadcasting.Describe(data) + ".", nameof(data));
            if (labels.dim() != 1 || labels.shape[0] != data.shape[0] || labels.dtype != ScalarType.Int64)
                throw new ArgumentException("LabelledTensorDataStream: labels must be int64 [M] = [" + data.shape[0] + "]; got " + labels.dtype + " " + Broadcasting.Describe(labels) + ".", nameof(labels));
            if (batchSize < 1) throw new ArgumentException("LabelledTensorDataStream: batchSize must be ≥ 1, got " + batchSize + ".", nameof(batchSize));
            this.data = data; this.labels = labels; BatchSize = batchSize; this.seed = seed;
        }

        /// <inheritdoc/>
        public int BatchSize { get; }

        /// <inheritdoc/>
        public int Dim => (int)data.shape[1];

        /// <inheritdoc/>
        public Tensor Batch(long step)
        {
            var (x, y) = LabelledBatch(step);
            y.Dispose();
            return x;
        }

        /// <inheritdoc/>
        public (Tensor X, Tensor Labels) LabelledBatch(long step)
        {
            using var g = new Generator(Seeds.ForStep(seed, step, 0x_1abe1), data.device);
            using var index = randint(0, data.shape[0], new long[] { BatchSize }, generator: g, device: data.device);
            return (data.index_select(0, index), labels.index_select(0, index));
        }
    }

    /// <summary>Minibatches drawn fresh from a sampler (a known distribution), seeded per step.</summary>
    public sealed class SampledDataStream : IDataStream
    {
        private readonly Func<int, Generator, Tensor> sampler;
        private readonly long seed;

        /// <summary>Creates the stream; <paramref name="sampler"/> returns n rows drawn with the given generator.</summary>
        public SampledDataStream(Func<int, Generator, Tensor> sampler, int dim, int batchSize, long seed)
        {
            this.sampler = sampler ?? throw new ArgumentNullException(nameof(sampler));
            if (batchSize < 1) throw new ArgumentException("SampledDataStream: batchSize must be ≥ 1, got " + batchSize + ".", nameof(batchSize));
            Dim = dim; BatchSize = batchSize; this.seed = seed;
        }

        /// <inheritdoc/>
        public int BatchSize { get; }

        /// <inheritdoc/>
        public int Dim { get; }

        /// <inheritdoc/>
        public Tensor Batch(long step)
        {
            using var g = new Generator(Seeds.ForStep(seed, step, 0x_5a3b));
            return sampler(BatchSize, g);
        }
    }

    /// <summary>Derives independent per-step seeds from one run seed (SplitMix64 finaliser).</summary>
    public static class Seeds
    {
        /// <summary>A 64-bit seed for step <paramref name="step"/> of stream <paramref name="salt"/> of the run seeded <paramref name="seed"/>.</summary>
        public static ulong ForStep(long seed, long step, ulong salt)
        {
            ulong z = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)step * 0xBF58476D1CE4E5B9UL + salt);
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
