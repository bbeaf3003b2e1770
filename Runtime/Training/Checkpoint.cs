using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using TorchSharp;
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
    /// Training state on disk: parameters (float64), the EMA shadows, the Adam state, the step and the loss history.
    /// Written to a temporary file and renamed over the old one, so a crash mid-write never leaves a torn checkpoint;
    /// read and validated completely before anything in the model changes.
    /// </summary>
    public static class Checkpoint
    {
        private const string Magic = "DSLCKPT1";
        private const string EndMarker = "END!";

        /// <summary>What a checkpoint holds besides tensors.</summary>
        public sealed record Header(string Model, long Step, IReadOnlyList<double> LossHistory, bool HasEma);

        /// <summary>Writes the training state atomically (temp file + rename).</summary>
        public static void Save(string path, EnergyModule model, optim.Optimizer optimizer, ExponentialMovingAverage? ema, long step, IReadOnlyList<double> lossHistory)
        {
            var full = Path.GetFullPath(path);
            var directory = Path.GetDirectoryName(full);
            if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
            var temp = full + ".tmp-" + Environment.ProcessId;
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            using (var w = new BinaryWriter(stream, Encoding.UTF8))
            {
                w.Write(Encoding.ASCII.GetBytes(Magic));
                w.Write(model.ModelName);
                w.Write(step);
                var parameters = model.named_parameters().ToList();
                w.Write(parameters.Count);
                foreach (var (name, p) in parameters) WriteTensor(w, name, p);
                w.Write(ema != null);
                if (ema != null) foreach (var (name, shadow) in ema.Shadows) WriteTensor(w, name, shadow);
                w.Write(lossHistory.Count);
                foreach (var l in lossHistory) w.Write(l);
                byte[] optimizerState;
                using (var buffer = new MemoryStream())
                {
                    using (var ow = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
                        ((TorchSharp.Modules.OptimizerHelper)optimizer).save_state_dict(ow);
                    optimizerState = buffer.ToArray();
                }
                w.Write(optimizerState.Length);
                w.Write(optimizerState);
                w.Write(Encoding.ASCII.GetBytes(EndMarker));
                w.Flush();
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }

        /// <summary>
        /// Restores the training state saved by <see cref="Save"/> into <paramref name="model"/>, <paramref name="optimizer"/>
        /// and <paramref name="ema"/>. Throws <see cref="CheckpointException"/> (changing nothing) when the file is corrupt,
        /// truncated, or written for another model or parameter shape.
        /// </summary>
        public static Header Load(string path, EnergyModule model, optim.Optimizer optimizer, ExponentialMovingAverage? ema)
        {
            Contents c;
            try
            {
                using var stream = File.OpenRead(path);
                using var r = new BinaryReader(stream, Encoding.UTF8);
                c = Read(r);
                if (stream.Position != stream.Length) throw new CheckpointException("trailing bytes after the end marker");
            }
            catch (Exception e) when (e is EndOfStreamException || e is CheckpointException || e is IOException && !(e is FileNotFoundException) || e is FormatException || e is OverflowException || e is ArgumentException)
            {
                throw new CheckpointException("Checkpoint '" + path + "' is corrupt or truncated (" + e.Message + "); it was left as it is. Delete it or start without resuming.", e);
            }
            string Where() => "Checkpoint '" + path + "' was written for " + c.Model + " but is being loaded into " + model.ModelName;
            if (c.Model != model.ModelName) throw new CheckpointException(Where() + "; it was left as it is.");
            var parameters = model.named_parameters().ToList();
            CheckTensors(path, "parameters", parameters.Select(p => (p.name, p.parameter.shape)).ToList(), c.Parameters);
            if (ema != null && c.Ema == null)
                throw new CheckpointException("Checkpoint '" + path + "' has no EMA of the parameters but this run asks for one; resume without EMA or start afresh.");
            if (ema != null) CheckTensors(path, "EMA shadows", parameters.Select(p => (p.name, p.parameter.shape)).ToList(), c.Ema!);

            using (no_grad())
            {
                for (int i = 0; i < parameters.Count; i++) Copy(parameters[i].parameter, c.Parameters[i]);
                if (ema != null) for (int i = 0; i < ema.Shadows.Count; i++) Copy(ema.Shadows[i].Shadow, c.Ema![i]);
            }
            try
            {
                using var buffer = new MemoryStream(c.OptimizerState);
                using var or = new BinaryReader(buffer, Encoding.UTF8);
                ((TorchSharp.Modules.OptimizerHelper)optimizer).load_state_dict(or);
            }
            catch (Exception e) when (!(e is OutOfMemoryException))
            {
                throw new CheckpointException("Checkpoint '" + path + "': the optimiser state does not match this optimiser (" + e.Message + ").", e);
            }
            return new Header(c.Model, c.Step, c.Losses, c.Ema != null);
        }

        /// <summary>Reads only the header of a checkpoint (model, step, losses), validating the whole file.</summary>
        public static Header Peek(string path)
        {
            try
            {
                using var stream = File.OpenRead(path);
                using var r = new BinaryReader(stream, Encoding.UTF8);
                var c = Read(r);
                return new Header(c.Model, c.Step, c.Losses, c.Ema != null);
            }
            catch (Exception e) when (e is EndOfStreamException || e is CheckpointException || e is FormatException || e is OverflowException || e is ArgumentException)
            {
                throw new CheckpointException("Checkpoint '" + path + "' is corrupt or truncated (" + e.Message + ").", e);
            }
        }

        private sealed record StoredTensor(string Name, long[] Shape, double[] Values);

        private sealed record Contents(string Model, long Step, List<StoredTensor> Parameters, List<StoredTensor>? Ema, List<double> Losses, byte[] OptimizerState);

        private static Contents Read(BinaryReader r)
        {
            var magic = Encoding.ASCII.GetString(r.ReadBytes(Magic.Length));
            if (magic != Magic) throw new CheckpointException("it does not start with the Dsl checkpoint signature");
            string model = r.ReadString();
            long step = r.ReadInt64();
            if (step < 0) throw new CheckpointException("negative step " + step);
            int count = Count(r.ReadInt32(), 100_000, "parameter count");
            var parameters = new List<StoredTensor>();
            for (int i = 0; i < count; i++) parameters.Add(ReadTensor(r));
            List<StoredTensor>? ema = null;
            if (r.ReadBoolean())
            {
                ema = new List<StoredTensor>();
                for (int i = 0; i < count; i++) ema.Add(ReadTensor(r));
            }
            int losses = Count(r.ReadInt32(), 100_000_000, "loss count");
            var history = new List<double>(losses);
            for (int i = 0; i < losses; i++) history.Add(r.ReadDouble());
            int stateLength = Count(r.ReadInt32(), int.MaxValue, "optimiser state length");
            var state = r.ReadBytes(stateLength);
            if (state.Length != stateLength) throw new EndOfStreamException("the optimiser state is cut short");
            if (Encoding.ASCII.GetString(r.ReadBytes(EndMarker.Length)) != EndMarker) throw new CheckpointException("the end marker is missing");
            return new Contents(model, step, parameters, ema, history, state);
        }

        private static int Count(int value, int max, string what)
        {
            if (value < 0 || value > max) throw new CheckpointException("implausible " + what + " " + value);
            return value;
        }

        private static void WriteTensor(BinaryWriter w, string name, Tensor t)
        {
            w.Write(name);
            w.Write((int)t.dim());
            foreach (var s in t.shape) w.Write(s);
            double[] data;
            using (NewDisposeScope()) data = t.detach().to_type(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();
            w.Write(data.Length);
            foreach (var v in data) w.Write(v);
        }

        private static StoredTensor ReadTensor(BinaryReader r)
        {
            string name = r.ReadString();
            int rank = Count(r.ReadInt32(), 8, "tensor rank");
            var shape = new long[rank];
            for (int i = 0; i < rank; i++) shape[i] = r.ReadInt64();
            int length = Count(r.ReadInt32(), 1 << 28, "tensor length");
            if (shape.Aggregate(1L, (a, b) => a * b) != length) throw new CheckpointException("tensor '" + name + "' has " + length + " values for shape [" + string.Join(", ", shape) + "]");
            var values = new double[length];
            for (int i = 0; i < length; i++) values[i] = r.ReadDouble();
            return new StoredTensor(name, shape, values);
        }

        private static void CheckTensors(string path, string what, List<(string Name, long[] Shape)> expected, List<StoredTensor> stored)
        {
            string Describe(IEnumerable<(string Name, long[] Shape)> list) => string.Join(", ", list.Select(p => p.Name + "[" + string.Join(",", p.Shape) + "]"));
            bool same = expected.Count == stored.Count && expected.Zip(stored, (e, s) => e.Name == s.Name && e.Shape.SequenceEqual(s.Shape)).All(b => b);
            if (!same)
                throw new CheckpointException("Checkpoint '" + path + "' holds " + what + " " + Describe(stored.Select(s => (s.Name, s.Shape)))
                    + " but the model has " + Describe(expected) + "; it was left as it is.");
        }

        private static void Copy(Tensor target, StoredTensor source)
        {
            using var values = tensor(source.Values, source.Shape, ScalarType.Float64);
            target.copy_(values);
        }
    }
}
