using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace Dsl.Training
{
    /// <summary>Thrown when a checkpoint cannot be read or does not belong to the model being trained; the file is left untouched.</summary>
    public sealed class CheckpointException : IOException
    {
        /// <summary>Creates the exception.</summary>
        public CheckpointException(string message, Exception? inner = null) : base(message, inner) { }
    }

    /// <summary>
    /// Training state on disk: the run's settings, parameters (float64), the EMA shadows, the Adam state, the step and the
    /// loss history, followed by a SHA-256 checksum of everything before it. Written to a temporary file and renamed over the
    /// old one, so a crash mid-write never leaves a torn checkpoint; the checksum is verified, and the whole file parsed and
    /// checked against the model, the optimiser and the settings, before anything in the model changes. A checkpoint is
    /// only ever read, never repaired or rewritten, so a damaged one stays byte-identical for inspection.
    /// </summary>
    /// <remarks>
    /// Layout (format 2; little-endian, strings as .NET BinaryWriter writes them: 7-bit-encoded length, then UTF-8):
    /// "DSLCKPT2"; model name; has-settings flag and the settings JSON object; step (int64); parameter count (int32) and each
    /// parameter (name, rank, shape as int64s, value count, float64 values); has-EMA flag and the EMA shadows in the same form;
    /// loss count and float64 losses; the Adam state (parameter count, then per parameter its step count, m and v as tensors);
    /// "END!"; then 32 bytes of SHA-256 over all preceding bytes, magic included.
    /// </remarks>
    public static class Checkpoint
    {
        private const string Magic = "DSLCKPT2";
        private const string FormatOneMagic = "DSLCKPT1";   // before the checksum and the settings: refused, never guessed at
        private const string EndMarker = "END!";
        private const int ChecksumLength = 32;               // SHA-256

        /// <summary>What a checkpoint holds besides tensors; <paramref name="Settings"/> is the JSON object the run was trained with, or null.</summary>
        public sealed record Header(string Model, long Step, IReadOnlyList<double> LossHistory, bool HasEma, string? Settings);

        /// <summary>
        /// Writes the training state atomically (temp file + rename). <paramref name="settings"/>, when given, must be a JSON
        /// object describing how the run was configured; it is stored under the same checksum and compared on resume.
        /// </summary>
        public static void Save(string path, ParameterModule model, AdamOptimizer optimizer, ExponentialMovingAverage? ema, long step, IReadOnlyList<double> lossHistory,
            string? settings = null)
        {
            if (model is null) throw new ArgumentNullException(nameof(model));
            if (optimizer is null) throw new ArgumentNullException(nameof(optimizer));
            if (lossHistory is null) throw new ArgumentNullException(nameof(lossHistory));
            if (settings != null && !IsJsonObject(settings))
                throw new ArgumentException("Checkpoint.Save: the settings must be a JSON object, got '" + Shorten(settings) + "'.", nameof(settings));
            byte[] payload;
            using (var buffer = new MemoryStream())
            {
                using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
                {
                    w.Write(Encoding.ASCII.GetBytes(Magic));
                    w.Write(model.ModelName);
                    w.Write(settings != null);
                    if (settings != null) w.Write(settings);
                    w.Write(step);
                    var parameters = model.named_parameters().ToList();
                    w.Write(parameters.Count);
                    foreach (var (name, p) in parameters) CheckpointTensors.Write(w, name, p);
                    w.Write(ema != null);
                    if (ema != null) foreach (var (name, shadow) in ema.Shadows) CheckpointTensors.Write(w, name, shadow);
                    w.Write(lossHistory.Count);
                    foreach (var l in lossHistory) w.Write(l);
                    optimizer.SaveState(w);
                    w.Write(Encoding.ASCII.GetBytes(EndMarker));
                }
                payload = buffer.ToArray();
            }
            var checksum = SHA256.HashData(payload);

            AtomicFile.Write(path, stream =>
            {
                stream.Write(payload);
                stream.Write(checksum);
            });
        }

        /// <summary>
        /// Restores the training state saved by <see cref="Save"/> into <paramref name="model"/>, <paramref name="optimizer"/>
        /// and <paramref name="ema"/>. Throws <see cref="CheckpointException"/> (changing nothing, in memory or on disk) when the
        /// file is missing, corrupt (checksum), truncated, of an older format, written for another model or parameter shape, or
        /// trained with other <paramref name="settings"/> (the message names the settings that differ).
        /// </summary>
        public static Header Load(string path, ParameterModule model, AdamOptimizer optimizer, ExponentialMovingAverage? ema, string? settings = null)
        {
            if (model is null) throw new ArgumentNullException(nameof(model));
            if (optimizer is null) throw new ArgumentNullException(nameof(optimizer));
            var c = ReadVerified(path);
            var difference = SettingsDifference(c.Settings, settings);
            if (difference != null)
                throw new CheckpointException("Checkpoint '" + path + "' " + difference + "; it was left as it is. Use another checkpoint or the same settings.");
            if (c.Model != model.ModelName)
                throw new CheckpointException("Checkpoint '" + path + "' was written for " + c.Model + " but is being loaded into " + model.ModelName + "; it was left as it is.");
            var parameters = model.named_parameters().ToList();
            CheckTensors(path, "parameters", parameters.Select(p => (p.name, p.parameter.shape)).ToList(), c.Parameters);
            if (ema != null && c.Ema == null)
                throw new CheckpointException("Checkpoint '" + path + "' has no EMA of the parameters but this run asks for one; resume without EMA or start afresh.");
            if (ema != null) CheckTensors(path, "EMA shadows", parameters.Select(p => (p.name, p.parameter.shape)).ToList(), c.Ema!);
            var mismatch = optimizer.Mismatch(c.Optimizer);
            if (mismatch != null) throw new CheckpointException("Checkpoint '" + path + "': " + mismatch + "; it was left as it is.");

            using (no_grad())
            {
                for (int i = 0; i < parameters.Count; i++) CheckpointTensors.CopyInto(parameters[i].parameter, c.Parameters[i]);
                if (ema != null) for (int i = 0; i < ema.Shadows.Count; i++) CheckpointTensors.CopyInto(ema.Shadows[i].Shadow, c.Ema![i]);
            }
            optimizer.Restore(c.Optimizer);
            return new Header(c.Model, c.Step, c.Losses, c.Ema != null, c.Settings);
        }

        /// <summary>Reads only the header of a checkpoint (model, step, losses, settings), verifying the checksum and parsing the whole file.</summary>
        public static Header Peek(string path)
        {
            var c = ReadVerified(path);
            return new Header(c.Model, c.Step, c.Losses, c.Ema != null, c.Settings);
        }

        /// <summary>
        /// Null when a checkpoint trained with <paramref name="stored"/> settings may be resumed under <paramref name="current"/>
        /// ones (both absent, or JSON objects with the same properties and values); otherwise the clause that names what differs,
        /// e.g. <c>was trained with loss=ism but this run has loss=dsm</c>.
        /// </summary>
        internal static string? SettingsDifference(string? stored, string? current)
        {
            if (stored == null && current == null) return null;
            if (stored == null) return "records no settings but this run has " + Shorten(current!);
            if (current == null) return "was trained with settings " + Shorten(stored) + " but this run gives none";
            using var currentDocument = ParseObject(current) ?? throw new ArgumentException("Checkpoint.Load: the settings must be a JSON object, got '" + Shorten(current) + "'.", nameof(current));
            using var storedDocument = ParseObject(stored);
            if (storedDocument == null) return "has settings that are not a JSON object ('" + Shorten(stored) + "')";
            var before = new List<string>();
            var after = new List<string>();
            var storedProperties = storedDocument.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value);
            var currentProperties = currentDocument.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value);
            foreach (var name in storedProperties.Keys.Concat(currentProperties.Keys.Where(k => !storedProperties.ContainsKey(k))))
            {
                bool inStored = storedProperties.TryGetValue(name, out var s);
                bool inCurrent = currentProperties.TryGetValue(name, out var c);
                if (inStored && inCurrent && JsonElement.DeepEquals(s, c)) continue;
                before.Add(name + "=" + (inStored ? Value(s) : "(absent)"));
                after.Add(name + "=" + (inCurrent ? Value(c) : "(absent)"));
            }
            return before.Count == 0 ? null : "was trained with " + string.Join(", ", before) + " but this run has " + string.Join(", ", after);

            static string Value(JsonElement e) => e.ValueKind == JsonValueKind.String ? e.GetString()! : Shorten(e.GetRawText());
        }

        private static JsonDocument? ParseObject(string json)
        {
            try
            {
                var document = JsonDocument.Parse(json);
                if (document.RootElement.ValueKind == JsonValueKind.Object) return document;
                document.Dispose();
                return null;
            }
            catch (JsonException) { return null; }
        }

        private static bool IsJsonObject(string json)
        {
            using var document = ParseObject(json);
            return document != null;
        }

        /// <summary>One line, at most 120 characters: settings and values go into one-line messages.</summary>
        private static string Shorten(string text)
        {
            var line = text.Replace('\r', ' ').Replace('\n', ' ');
            return line.Length <= 120 ? line : line.Substring(0, 117) + "...";
        }

        private sealed record Contents(string Model, string? Settings, long Step, List<CheckpointTensors.Stored> Parameters, List<CheckpointTensors.Stored>? Ema,
            List<double> Losses, AdamOptimizer.State Optimizer);

        /// <summary>Reads the file, verifies its signature and checksum before parsing anything, then parses all of it.</summary>
        private static Contents ReadVerified(string path)
        {
            byte[] bytes;
            try { bytes = File.ReadAllBytes(path); }
            catch (Exception e) when (e is FileNotFoundException || e is DirectoryNotFoundException)
            {
                throw new CheckpointException("Checkpoint '" + path + "' does not exist.", e);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new CheckpointException("Checkpoint '" + path + "' cannot be read (" + e.Message + ").", e);
            }
            string Corrupt(string why) => "Checkpoint '" + path + "' is corrupt or truncated (" + why + "); it was left as it is. Delete it or start without resuming.";
            if (bytes.Length >= FormatOneMagic.Length && Encoding.ASCII.GetString(bytes, 0, FormatOneMagic.Length) == FormatOneMagic)
                throw new CheckpointException("Checkpoint '" + path + "' was written by an older version of Dsl (format 1, without a checksum); it cannot be verified. "
                    + "Delete it and start afresh.");
            if (bytes.Length < Magic.Length || Encoding.ASCII.GetString(bytes, 0, Magic.Length) != Magic)
                throw new CheckpointException(Corrupt("it does not start with the Dsl checkpoint signature " + Magic));
            int payloadLength = bytes.Length - ChecksumLength;
            if (payloadLength < Magic.Length + EndMarker.Length)
                throw new CheckpointException(Corrupt("only " + bytes.Length + " bytes"));
            var expected = SHA256.HashData(bytes.AsSpan(0, payloadLength));
            if (!expected.AsSpan().SequenceEqual(bytes.AsSpan(payloadLength)))
                throw new CheckpointException(Corrupt("its SHA-256 checksum does not match its contents"));
            try
            {
                using var stream = new MemoryStream(bytes, Magic.Length, payloadLength - Magic.Length, writable: false);
                using var r = new BinaryReader(stream, new UTF8Encoding(false, throwOnInvalidBytes: true));
                var c = Read(r);
                if (stream.Position != stream.Length) throw new InvalidDataException("bytes after the end marker");
                return c;
            }
            catch (Exception e) when (e is EndOfStreamException || e is InvalidDataException || e is FormatException || e is OverflowException
                || e is ArgumentException || e is DecoderFallbackException)
            {
                // The checksum matched, so these are the bytes a writer wrote: another layout or a faulty writer, not damage on disk.
                throw new CheckpointException("Checkpoint '" + path + "' has a valid checksum but cannot be read (" + e.Message
                    + "); it was left as it is. Delete it and start afresh.", e);
            }
        }

        private static Contents Read(BinaryReader r)
        {
            string model = r.ReadString();
            string? settings = r.ReadBoolean() ? r.ReadString() : null;
            if (settings != null && !IsJsonObject(settings)) throw new InvalidDataException("its settings are not a JSON object");
            long step = r.ReadInt64();
            if (step < 0) throw new InvalidDataException("negative step " + step);
            int count = CheckpointTensors.Count(r.ReadInt32(), 100_000, "parameter count");
            var parameters = new List<CheckpointTensors.Stored>();
            for (int i = 0; i < count; i++) parameters.Add(CheckpointTensors.Read(r));
            List<CheckpointTensors.Stored>? ema = null;
            if (r.ReadBoolean())
            {
                ema = new List<CheckpointTensors.Stored>();
                for (int i = 0; i < count; i++) ema.Add(CheckpointTensors.Read(r));
            }
            int losses = CheckpointTensors.Count(r.ReadInt32(), 100_000_000, "loss count");
            var history = new List<double>(losses);
            for (int i = 0; i < losses; i++) history.Add(r.ReadDouble());
            var optimizer = AdamOptimizer.ReadState(r);
            if (Encoding.ASCII.GetString(r.ReadBytes(EndMarker.Length)) != EndMarker) throw new InvalidDataException("the end marker is missing");
            return new Contents(model, settings, step, parameters, ema, history, optimizer);
        }

        private static void CheckTensors(string path, string what, List<(string Name, long[] Shape)> expected, List<CheckpointTensors.Stored> stored)
        {
            string Describe(IEnumerable<(string Name, long[] Shape)> list) => string.Join(", ", list.Select(p => p.Name + "[" + string.Join(",", p.Shape) + "]"));
            bool same = expected.Count == stored.Count && expected.Zip(stored, (e, s) => e.Name == s.Name && e.Shape.SequenceEqual(s.Shape)).All(b => b);
            if (!same)
                throw new CheckpointException("Checkpoint '" + path + "' holds " + what + " " + Describe(stored.Select(s => (s.Name, s.Shape)))
                    + " but the model has " + Describe(expected) + "; it was left as it is.");
        }
    }

    /// <summary>How checkpoints store a tensor: name, rank, shape (int64s), value count, float64 values.</summary>
    internal static class CheckpointTensors
    {
        /// <summary>A tensor read from a checkpoint, not yet copied anywhere.</summary>
        internal sealed record Stored(string Name, long[] Shape, double[] Values);

        internal static void Write(BinaryWriter w, string name, Tensor t)
        {
            w.Write(name);
            w.Write((int)t.dim());
            foreach (var s in t.shape) w.Write(s);
            double[] data;
            using (NewDisposeScope()) data = t.detach().to_type(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();
            w.Write(data.Length);
            foreach (var v in data) w.Write(v);
        }

        internal static Stored Read(BinaryReader r)
        {
            string name = r.ReadString();
            int rank = Count(r.ReadInt32(), 8, "tensor rank");
            var shape = new long[rank];
            for (int i = 0; i < rank; i++) shape[i] = r.ReadInt64();
            int length = Count(r.ReadInt32(), 1 << 28, "tensor length");
            if (shape.Any(s => s < 0) || shape.Aggregate(1L, (a, b) => a * b) != length)
                throw new InvalidDataException("tensor '" + name + "' has " + length + " values for shape [" + string.Join(", ", shape) + "]");
            var values = new double[length];
            for (int i = 0; i < length; i++) values[i] = r.ReadDouble();
            return new Stored(name, shape, values);
        }

        internal static int Count(int value, int max, string what)
        {
            if (value < 0 || value > max) throw new InvalidDataException("implausible " + what + " " + value);
            return value;
        }

        /// <summary>Copies stored values into <paramref name="target"/> (converting to its dtype and device); the caller holds no_grad.</summary>
        internal static void CopyInto(Tensor target, Stored source)
        {
            using var values = tensor(source.Values, source.Shape, ScalarType.Float64);
            target.copy_(values);
        }
    }
}
