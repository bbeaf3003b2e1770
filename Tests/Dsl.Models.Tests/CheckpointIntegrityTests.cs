using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using Dsl.Examples.Experiments;
using Dsl.Families;
using Dsl.Models.Data;
using Dsl.ScoreMatching;
using Dsl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// Checkpoints detect damage before anything is parsed (a single changed byte anywhere, a truncation), refuse older formats,
    /// garbage settings and other settings with one clear <see cref="CheckpointException"/>, and never change the file.
    /// </summary>
    public sealed class CheckpointIntegrityTests : IDisposable
    {
        private const string Settings = "{\"loss\":\"ssm\",\"batch\":64}";
        private readonly string folder = Path.Combine(Path.GetTempPath(), "dsl-integrity-" + Guid.NewGuid().ToString("N"));

        public CheckpointIntegrityTests() => Directory.CreateDirectory(folder);

        public void Dispose() => Directory.Delete(folder, recursive: true);

        private static GaussianMixture NewModel()
        {
            var m = new GaussianMixture(D: 2, K: 2, generator: new Generator(1));
            m.to(ScalarType.Float64);
            return m;
        }

        private static TrainingResult Train(GaussianMixture model, int steps, string checkpoint, bool resume = false, string? settings = Settings) =>
            Trainer.Train(model, new TensorDataStream(empty(300, 2, dtype: ScalarType.Float64).normal_(0, 1, generator: new Generator(2)), 64, seed: 3),
                (x, g) => ScoreMatchingLosses.Sliced(model, x, g), new TrainerOptions
                {
                    Steps = steps, LearningRate = 0.05, EmaDecay = 0.9, Seed = 4, CheckpointPath = checkpoint, CheckpointEvery = 5, Resume = resume, Settings = settings,
                });

        private static double[] Parameters(ParameterModule m) =>
            m.named_parameters().SelectMany(p => p.parameter.detach().reshape(-1).data<double>().ToArray()).ToArray();

        private string TrainedCheckpoint(string name, int steps = 10)
        {
            var path = Path.Combine(folder, name);
            Train(NewModel(), steps, path);
            return path;
        }

        /// <summary>Every byte of <paramref name="original"/> in turn inverted: each copy must be refused by <paramref name="read"/>, as corrupt, and stay as written.</summary>
        private void EveryFlippedByteIsDetected(byte[] original, Action<string> read)
        {
            var path = Path.Combine(folder, "flipped.ckpt");
            for (int at = 0; at < original.Length; at++)
            {
                var damaged = (byte[])original.Clone();
                damaged[at] ^= 0xFF;
                File.WriteAllBytes(path, damaged);
                var e = Assert.Throws<CheckpointException>(() => read(path));
                Assert.True(e.Message.Contains("corrupt") && e.Message.Contains(path), "byte " + at + " of " + original.Length + ": " + e.Message);
                Assert.Equal(damaged, File.ReadAllBytes(path));
            }
        }

        [Fact]
        public void A_single_changed_byte_anywhere_in_a_Trainer_checkpoint_is_detected_before_anything_is_read()
        {
            var original = File.ReadAllBytes(TrainedCheckpoint("trainer.ckpt"));
            Assert.True(original.Length > 500);
            // Every position: the signature (header), the model name and settings, tensors and losses (middle), the Adam state, the end
            // marker, and the 32 checksum bytes themselves (tail).
            EveryFlippedByteIsDetected(original, path => Checkpoint.Peek(path));
        }

        [Theory]
        [InlineData("signature")]
        [InlineData("model name")]
        [InlineData("middle")]
        [InlineData("end marker")]
        [InlineData("first checksum byte")]
        [InlineData("last checksum byte")]
        public void Resuming_from_a_damaged_checkpoint_changes_neither_the_file_nor_the_model(string where)
        {
            var path = TrainedCheckpoint("resume.ckpt");
            var bytes = File.ReadAllBytes(path);
            int at = where switch
            {
                "signature" => 0, "model name" => 9, "middle" => bytes.Length / 2, "end marker" => bytes.Length - 32 - 2,
                "first checksum byte" => bytes.Length - 32, _ => bytes.Length - 1,
            };
            bytes[at] ^= 0x5A;
            File.WriteAllBytes(path, bytes);
            var model = NewModel();
            var before = Parameters(model);
            var e = Assert.Throws<CheckpointException>(() => Train(model, 20, path, resume: true));
            Assert.Contains("corrupt", e.Message);
            Assert.Contains(path, e.Message);
            Assert.Equal(bytes, File.ReadAllBytes(path));
            Assert.Equal(before, Parameters(model));
        }

        [Fact]
        public void Sixteen_overwritten_bytes_in_the_middle_are_refused_and_not_written_back()
        {
            // The case measured on main before the checksum: the resume accepted it (rc 0) and saved the damage again.
            var path = TrainedCheckpoint("sixteen.ckpt");
            var bytes = File.ReadAllBytes(path);
            for (int i = 0; i < 16; i++) bytes[bytes.Length / 2 + i] = 0x41;
            File.WriteAllBytes(path, bytes);
            var e = Assert.Throws<CheckpointException>(() => Train(NewModel(), 20, path, resume: true));
            Assert.Contains("checksum", e.Message);
            Assert.Equal(bytes, File.ReadAllBytes(path));
        }

        [Fact]
        public void Truncated_checkpoints_are_refused_at_every_length_class()
        {
            var original = File.ReadAllBytes(TrainedCheckpoint("truncated.ckpt"));
            var path = Path.Combine(folder, "cut.ckpt");
            foreach (int length in new[] { 0, 3, 8, 20, original.Length / 2, original.Length - 33, original.Length - 32, original.Length - 1 })
            {
                var cut = original.Take(length).ToArray();
                File.WriteAllBytes(path, cut);
                var e = Assert.Throws<CheckpointException>(() => Checkpoint.Peek(path));
                Assert.True(e.Message.Contains("corrupt or truncated") && e.Message.Contains(path), length + " bytes: " + e.Message);
                Assert.Equal(cut, File.ReadAllBytes(path));
            }
            File.WriteAllBytes(path, original.Concat(new byte[] { 0 }).ToArray());   // one byte appended: the checksum no longer ends the file
            Assert.Contains("corrupt", Assert.Throws<CheckpointException>(() => Checkpoint.Peek(path)).Message);
        }

        [Fact]
        public void A_checkpoint_of_the_older_format_is_refused_as_such()
        {
            var path = Path.Combine(folder, "old.ckpt");
            File.WriteAllBytes(path, Encoding.ASCII.GetBytes("DSLCKPT1").Concat(new byte[200]).ToArray());
            var e = Assert.Throws<CheckpointException>(() => Train(NewModel(), 20, path, resume: true));
            Assert.Contains("older version", e.Message);
            Assert.Contains("start afresh", e.Message);
        }

        [Fact]
        public void Garbage_settings_under_a_valid_checksum_are_a_CheckpointException_not_a_JsonException()
        {
            // A writer other than Save (Save refuses settings that are not a JSON object): same bytes, '{' made '[', checksum recomputed.
            var path = TrainedCheckpoint("garbage.ckpt");
            var bytes = File.ReadAllBytes(path);
            int at = IndexOf(bytes, Encoding.UTF8.GetBytes(Settings));
            Assert.True(at > 0);
            bytes[at] = (byte)'[';
            SHA256.HashData(bytes.AsSpan(0, bytes.Length - 32)).CopyTo(bytes, bytes.Length - 32);
            File.WriteAllBytes(path, bytes);
            var e = Assert.Throws<CheckpointException>(() => Checkpoint.Peek(path));
            Assert.Contains("settings are not a JSON object", e.Message);
            Assert.Throws<CheckpointException>(() => Train(NewModel(), 20, path, resume: true));
            Assert.Equal(bytes, File.ReadAllBytes(path));
            Assert.Throws<ArgumentException>(() => Train(NewModel(), 5, Path.Combine(folder, "x.ckpt"), settings: "{not json"));
        }

        private static int IndexOf(byte[] haystack, byte[] needle)
        {
            for (int i = 0; i + needle.Length <= haystack.Length; i++)
                if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle)) return i;
            return -1;
        }

        [Fact]
        public void Resuming_under_other_settings_is_refused_naming_only_what_differs()
        {
            var path = TrainedCheckpoint("settings.ckpt");
            var before = File.ReadAllBytes(path);
            var model = NewModel();
            var parameters = Parameters(model);
            var e = Assert.Throws<CheckpointException>(() => Train(model, 20, path, resume: true, settings: "{\"loss\":\"dsm\",\"batch\":64}"));
            Assert.Contains("loss=ssm", e.Message);
            Assert.Contains("loss=dsm", e.Message);
            Assert.DoesNotContain("batch", e.Message);
            Assert.DoesNotContain("\n", e.Message);
            Assert.Equal(before, File.ReadAllBytes(path));
            Assert.Equal(parameters, Parameters(model));
            Assert.Contains("records no settings", Assert.Throws<CheckpointException>(() => Train(NewModel(), 20, TrainedCheckpointWithout(), resume: true)).Message);
        }

        private string TrainedCheckpointWithout()
        {
            var path = Path.Combine(folder, "plain.ckpt");
            Train(NewModel(), 5, path, settings: null);
            return path;
        }

        [Fact]
        public void An_ism_score_matching_checkpoint_does_not_resume_under_dsm()
        {
            // Same model (GaussianMixture), same shapes: before the settings were stored, this loaded silently.
            var path = Path.Combine(folder, "score-matching.ckpt");
            MixtureFit.Run(ScoreMatchingLoss.Ism, seed: 1, steps: 4, batchSize: 64, checkpoint: path);
            var before = File.ReadAllBytes(path);
            var e = Assert.Throws<CheckpointException>(() => MixtureFit.Run(ScoreMatchingLoss.Dsm, seed: 1, steps: 8, batchSize: 64, checkpoint: path, resume: true));
            Assert.Contains("loss=ism", e.Message);
            Assert.Contains("loss=dsm", e.Message);
            Assert.Equal(before, File.ReadAllBytes(path));
            var resumed = MixtureFit.Run(ScoreMatchingLoss.Ism, seed: 1, steps: 8, batchSize: 64, checkpoint: path, resume: true);
            Assert.Equal(8, resumed.Steps);
        }

        [Fact]
        public void A_valid_checkpoint_with_settings_resumes_to_the_uninterrupted_run()
        {
            var straight = NewModel();
            var full = Train(straight, 20, Path.Combine(folder, "straight.ckpt"));
            var path = TrainedCheckpoint("half.ckpt");
            Assert.Equal(Settings, Checkpoint.Peek(path).Settings);
            var resumed = NewModel();
            var rest = Train(resumed, 20, path, resume: true);
            Assert.Equal(10, rest.StartStep);
            Assert.Equal(Parameters(straight), Parameters(resumed));
            Assert.Equal(full.LossHistory, rest.LossHistory);
        }

        [Fact]
        public void Both_GAN_checkpoints_detect_a_changed_byte_at_every_position()
        {
            var path = Path.Combine(folder, "gan.ckpt");
            var g = new Generator(3);
            var generator = new Mlp("Generator", 2, new[] { 4 }, 2, leakyRelu: true, generator: g);
            var discriminator = new Mlp("Discriminator", 2, new[] { 4 }, 1, leakyRelu: true, generator: g);
            GanTraining.Train(generator, discriminator, (n, gen) => Toy2D.Sample("ring", n, gen), new GanOptions { Steps = 3, BatchSize = 16, CheckpointPath = path });
            Assert.Equal(3, Checkpoint.Peek(path).Step);
            Assert.Equal("Discriminator", Checkpoint.Peek(GanTraining.DiscriminatorCheckpoint(path)).Model);
            EveryFlippedByteIsDetected(File.ReadAllBytes(path), p => Checkpoint.Peek(p));
            EveryFlippedByteIsDetected(File.ReadAllBytes(GanTraining.DiscriminatorCheckpoint(path)), p => Checkpoint.Peek(p));
        }
    }

    /// <summary>A damaged or mismatched checkpoint ends a `dsl` command as one line on stderr with exit code 2, and the file stays as it was.</summary>
    [Collection("Console")]
    public sealed class CheckpointCliTests : IDisposable
    {
        private readonly string folder = Path.Combine(Path.GetTempPath(), "dsl-integrity-cli-" + Guid.NewGuid().ToString("N"));

        public void Dispose()
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }

        private (int Code, string Out, string Err) Run(params string[] args) => Gallery.Run(args.Concat(new[] { "--out", folder }).ToArray());

        private static byte[] Damage(string path)
        {
            var bytes = File.ReadAllBytes(path);
            for (int i = 0; i < 16; i++) bytes[bytes.Length / 2 + i] ^= 0x33;
            File.WriteAllBytes(path, bytes);
            return bytes;
        }

        private static void OneLine(string err, string path)
        {
            var lines = err.TrimEnd().Split('\n');
            Assert.True(lines.Length == 1, "expected one line on stderr, got:\n" + err);
            Assert.Contains("corrupt", lines[0]);
            Assert.Contains(path, lines[0]);
        }

        [Fact]
        public void A_damaged_score_matching_checkpoint_is_one_line_and_exit_2_on_resume()
        {
            Assert.Equal(0, Run("score-matching", "--loss", "ism", "--steps", "4").Code);
            var path = Path.Combine(folder, "score-matching-ism.ckpt");
            var damaged = Damage(path);
            var (code, _, err) = Run("score-matching", "--loss", "ism", "--steps", "8", "--resume");
            Assert.Equal(2, code);
            OneLine(err, path);
            Assert.Equal(damaged, File.ReadAllBytes(path));
        }

        [Fact]
        public void A_damaged_DDPM_checkpoint_is_one_line_and_exit_2_when_sampling_and_resuming()
        {
            var path = Path.Combine(folder, "tiny-ddpm.ckpt");
            string[] tiny = { "--data", "moons", "--T", "10", "--width", "8", "--depth", "1", "--checkpoint", path };
            Assert.Equal(0, Run(new[] { "ddpm", "train", "--steps", "2" }.Concat(tiny).ToArray()).Code);
            var damaged = Damage(path);
            var (code, _, err) = Run("ddpm", "sample", "--checkpoint", path, "--steps", "2", "--n", "4");
            Assert.Equal(2, code);
            OneLine(err, path);
            (code, _, err) = Run(new[] { "ddpm", "train", "--steps", "4", "--resume" }.Concat(tiny).ToArray());
            Assert.Equal(2, code);
            OneLine(err, path);
            Assert.Equal(damaged, File.ReadAllBytes(path));
        }
    }
}
