using System;
using System.IO;
using System.Linq;
using System.Threading;
using Dsl.Models;
using Dsl.ScoreMatching;
using Dsl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>The training loop: determinism, exact resume, atomic checkpoints, and clear failures.</summary>
    public sealed class TrainingTests : IDisposable
    {
        private readonly string folder = Path.Combine(Path.GetTempPath(), "dsl-training-" + Guid.NewGuid().ToString("N"));

        public TrainingTests() => Directory.CreateDirectory(folder);

        public void Dispose() => Directory.Delete(folder, recursive: true);

        private static GaussianMixture NewModel(int k = 2)
        {
            var m = new GaussianMixture(D: 2, K: k, generator: new Generator(1));
            m.to(ScalarType.Float64);
            return m;
        }

        private static IDataStream Data() =>
            new TensorDataStream(empty(500, 2, dtype: ScalarType.Float64).normal_(0, 1, generator: new Generator(2)).Mul(1.5).Add(1), 64, seed: 3);

        private static TrainingResult Train(GaussianMixture model, int steps, string? checkpoint = null, bool resume = false, double? ema = 0.9,
            CancellationToken cancellation = default, Func<Tensor, Generator, Tensor>? loss = null) =>
            Trainer.Train(model, Data(), loss ?? ((x, g) => ScoreMatchingLosses.Sliced(model, x, g)), new TrainerOptions
            {
                Steps = steps, LearningRate = 0.05, EmaDecay = ema, Seed = 4, CheckpointPath = checkpoint, CheckpointEvery = 5, Resume = resume,
                Cancellation = cancellation,
            });

        private static double[] Parameters(ParameterModule m) =>
            m.named_parameters().SelectMany(p => p.parameter.detach().reshape(-1).data<double>().ToArray()).ToArray();

        [Fact]
        public void Resuming_from_a_checkpoint_reproduces_the_uninterrupted_run_exactly()
        {
            var straight = NewModel();
            var full = Train(straight, 30);

            var path = Path.Combine(folder, "fit.ckpt");
            var first = NewModel();
            Train(first, 15, path);
            Assert.Equal(15, Checkpoint.Peek(path).Step);
            var resumed = NewModel();                                   // a fresh process: new model, new optimiser
            var rest = Train(resumed, 30, path, resume: true);

            Assert.Equal(15, rest.StartStep);
            Assert.Equal(30, rest.Steps);
            Assert.Equal(Parameters(straight), Parameters(resumed));
            Assert.Equal(full.LossHistory, rest.LossHistory);
        }

        [Fact]
        public void The_same_seed_trains_the_same_model()
        {
            var a = NewModel();
            var b = NewModel();
            Train(a, 10);
            Train(b, 10);
            Assert.Equal(Parameters(a), Parameters(b));
        }

        [Fact]
        public void Checkpoints_are_written_atomically_and_leave_no_temporary_files()
        {
            var path = Path.Combine(folder, "sub", "model.ckpt");
            Train(NewModel(), 12, path);
            Assert.True(File.Exists(path));
            Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
            var header = Checkpoint.Peek(path);
            Assert.Equal("GaussianMixture", header.Model);
            Assert.Equal(12, header.Step);
            Assert.Equal(12, header.LossHistory.Count);
            Assert.True(header.HasEma);
        }

        [Fact]
        public void A_truncated_checkpoint_is_a_clear_error_and_is_left_intact()
        {
            var path = Path.Combine(folder, "t.ckpt");
            Train(NewModel(), 5, path);
            var bytes = File.ReadAllBytes(path);
            File.WriteAllBytes(path, bytes.Take(bytes.Length / 2).ToArray());
            var before = File.ReadAllBytes(path);
            var model = NewModel();
            var parameters = Parameters(model);
            var e = Assert.Throws<CheckpointException>(() => Train(model, 10, path, resume: true));
            Assert.Contains("corrupt or truncated", e.Message);
            Assert.Contains(path, e.Message);
            Assert.Equal(before, File.ReadAllBytes(path));
            Assert.Equal(parameters, Parameters(model));
        }

        [Fact]
        public void A_checkpoint_of_another_shape_is_a_clear_error_and_is_left_intact()
        {
            var path = Path.Combine(folder, "m.ckpt");
            Train(NewModel(k: 2), 5, path);
            var before = File.ReadAllBytes(path);
            var e = Assert.Throws<CheckpointException>(() => Train(NewModel(k: 3), 10, path, resume: true));
            Assert.Contains("Mu[2,2]", e.Message);
            Assert.Contains("Mu[3,2]", e.Message);
            Assert.Equal(before, File.ReadAllBytes(path));
        }

        [Fact]
        public void A_file_that_is_not_a_checkpoint_is_rejected()
        {
            var path = Path.Combine(folder, "junk.ckpt");
            File.WriteAllText(path, "definitely not a checkpoint, but long enough to read a header from");
            var e = Assert.Throws<CheckpointException>(() => Train(NewModel(), 10, path, resume: true));
            Assert.Contains("signature", e.Message);
        }

        [Fact]
        public void A_NaN_loss_stops_training_with_the_step_and_keeps_the_last_checkpoint()
        {
            var path = Path.Combine(folder, "nan.ckpt");
            var model = NewModel();
            Train(model, 5, path);
            var before = File.ReadAllBytes(path);
            long calls = 0;
            var e = Assert.Throws<TrainingDivergedException>(() => Train(model, 20, path, resume: true,
                loss: (x, g) => ++calls < 3 ? ScoreMatchingLosses.Sliced(model, x, g) : ScoreMatchingLosses.Sliced(model, x, g).Mul(double.NaN)));
            Assert.Equal(7, e.Step);
            Assert.Contains("GaussianMixture", e.Message);
            Assert.Contains("step 7", e.Message);
            Assert.Equal(before, File.ReadAllBytes(path));
        }

        [Fact]
        public void Cancellation_stops_between_steps_and_checkpoints_the_state_reached()
        {
            var path = Path.Combine(folder, "c.ckpt");
            using var cts = new CancellationTokenSource();
            var model = NewModel();
            int steps = 0;
            var result = Trainer.Train(model, Data(), (x, g) =>
            {
                if (++steps == 7) cts.Cancel();
                return ScoreMatchingLosses.Sliced(model, x, g);
            }, new TrainerOptions { Steps = 100, Seed = 1, CheckpointPath = path, Cancellation = cts.Token });
            Assert.True(result.Cancelled);
            Assert.Equal(7, result.Steps);
            Assert.Equal(7, Checkpoint.Peek(path).Step);
        }

        [Fact]
        public void The_EMA_lags_the_parameters_and_ends_in_the_model()
        {
            var model = NewModel();
            var plain = NewModel();
            Train(model, 20, ema: 0.9);
            Train(plain, 20, ema: null);
            Assert.NotEqual(Parameters(plain), Parameters(model));   // the model now holds the average, not the last iterate
        }

        [Fact]
        public void A_data_stream_of_the_wrong_dimension_is_rejected()
        {
            var model = NewModel();
            var data = new TensorDataStream(zeros(10, 3, dtype: ScalarType.Float64), 4, 0);
            var e = Assert.Throws<ArgumentException>(() => Trainer.Train(model, data, (x, g) => x.sum(), new TrainerOptions()));
            Assert.Contains("dimension 3", e.Message);
            Assert.Contains("D = 2", e.Message);
        }
    }
}
