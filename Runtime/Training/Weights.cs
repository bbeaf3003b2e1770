using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Dsl
{
    /// <summary>
    /// A weights file that cannot be read, or does not fit the module it is loaded into. The message is one line naming the file
    /// and, where there is one, the key, with the expected and found shape or dtype; the module is left unchanged.
    /// </summary>
    public sealed class WeightsException : IOException
    {
        /// <summary>Creates the exception.</summary>
        public WeightsException(string message, Exception? inner = null) : base(message, inner) { }
    }

    /// <summary>
    /// PyTorch-compatible state dicts for every TorchSharp module (energy models' [Param]s, diffusion networks, U-Nets,
    /// classifiers, VAE, GAN, flows): the keys are the module's <c>state_dict()</c> names, which follow PyTorch's convention
    /// (submodule names joined by dots, e.g. <c>first.0.weight</c>, <c>block1.conv1.bias</c>) and the layouts are PyTorch's
    /// (Linear weight [out, in], convolution weight [out, in, k, k]). Two formats, chosen by the file's extension:
    /// <c>.safetensors</c> (an 8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets}}, then the
    /// raw little-endian bytes) and <c>.pt</c>/<c>.pth</c> (what <c>torch.save(model.state_dict(), path)</c> writes: a zip of a
    /// pickle and the tensor storages). Reading and writing go through TorchSharp.PyBridge; a safetensors file's header is checked
    /// here first (PyBridge's own errors, e.g. an EndOfStreamException for a truncated file, name neither the file nor the key, and it
    /// does not check that each entry's bytes match its dtype and shape), and files are written whole or not at all.
    /// </summary>
    public static class Weights
    {
        /// <summary>The extensions <see cref="Save"/>, <see cref="Read"/> and <see cref="Load"/> accept.</summary>
        public static readonly string[] Extensions = { ".safetensors", ".pt", ".pth" };

        private static readonly Dictionary<string, (ScalarType Type, int Size)> SafetensorsTypes = new()
        {
            ["F64"] = (ScalarType.Float64, 8), ["F32"] = (ScalarType.Float32, 4), ["F16"] = (ScalarType.Float16, 2), ["BF16"] = (ScalarType.BFloat16, 2),
            ["I64"] = (ScalarType.Int64, 8), ["I32"] = (ScalarType.Int32, 4), ["I16"] = (ScalarType.Int16, 2), ["I8"] = (ScalarType.Int8, 1),
            ["U8"] = (ScalarType.Byte, 1), ["BOOL"] = (ScalarType.Bool, 1),
        };

        /// <summary>True when <paramref name="path"/> ends in one of <see cref="Extensions"/>.</summary>
        public static bool IsWeightsFile(string path) => Format(path) != null;

        private static string? Format(string path)
        {
            if (string.IsNullOrEmpty(path)) return null;
            if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)) return "safetensors";
            if (path.EndsWith(".pt", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".pth", StringComparison.OrdinalIgnoreCase)) return "pt";
            return null;
        }

        private static string RequireFormat(string path) =>
            Format(path) ?? throw new WeightsException(path + ": unknown weights format; the file name must end in .safetensors, .pt or .pth.");

        /// <summary>
        /// Writes <paramref name="module"/>'s state dict (parameters and buffers, as float32 or whatever dtype they have, copied to
        /// the CPU) to <paramref name="path"/>, in the format its extension names; the folder is created if needed and the file is
        /// replaced whole (a crash mid-write leaves the old one).
        /// </summary>
        public static void Save(nn.Module module, string path)
        {
            if (module is null) throw new ArgumentNullException(nameof(module));
            if (path is null) throw new ArgumentNullException(nameof(path));
            string format = RequireFormat(path);
            using var scope = NewDisposeScope();
            var state = new Dictionary<string, Tensor>();
            foreach (var (key, value) in module.state_dict())
                state[key] = value.detach().cpu().contiguous();
            try
            {
                Training.AtomicFile.Write(path, stream =>
                {
                    if (format == "safetensors") Safetensors.SaveStateDict(stream, state, leaveOpen: true);
                    else PyTorchPickler.PickleStateDict(stream, new Hashtable(state), leaveOpen: true);
                });
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new WeightsException(path + ": cannot write the weights (" + OneLine(e.Message) + ").", e);
            }
        }

        /// <summary>
        /// Reads every tensor of a weights file (CPU tensors, keyed as in the file; the caller disposes them). A file that is
        /// missing, truncated or not in the format its extension names is a <see cref="WeightsException"/> naming the file.
        /// </summary>
        public static Dictionary<string, Tensor> Read(string path)
        {
            if (path is null) throw new ArgumentNullException(nameof(path));
            string format = RequireFormat(path);
            if (!File.Exists(path)) throw new WeightsException(path + ": no such file.");
            if (format == "safetensors")
            {
                CheckSafetensorsHeader(path);
                try { return Safetensors.LoadStateDict(path); }
                catch (Exception e) when (!(e is WeightsException)) { throw new WeightsException(path + ": not a readable safetensors file (" + OneLine(e.Message) + ").", e); }
            }
            Hashtable table;
            try
            {
                using var stream = File.OpenRead(path);
                table = PyTorchUnpickler.UnpickleStateDict(stream);
            }
            catch (Exception e)
            {
                throw new WeightsException(path + ": not a PyTorch state dict written by torch.save(model.state_dict(), …) (" + OneLine(e.Message) + ").", e);
            }
            var result = new Dictionary<string, Tensor>();
            foreach (DictionaryEntry entry in table)
            {
                if (entry.Key is not string key || entry.Value is not Tensor tensor)
                {
                    foreach (var t in result.Values) t.Dispose();
                    throw new WeightsException(path + ": entry '" + entry.Key + "' is not a tensor keyed by name; save model.state_dict(), not the model or an optimizer.");
                }
                result[key] = tensor;
            }
            return result;
        }

        /// <summary>
        /// Copies the tensors of <paramref name="path"/> into <paramref name="module"/>'s parameters and buffers, in place (the
        /// module's tensors keep their identity, dtype and device, so optimisers and models holding them see the new values).
        /// Every key is checked before anything is copied: a key of the module missing from the file, a key of the file the module
        /// does not have (both only when <paramref name="strict"/>), or a shape or dtype that differs is a one-line
        /// <see cref="WeightsException"/> naming the file, the key and the expected and found shape or dtype.
        /// </summary>
        /// <returns>The keys loaded.</returns>
        public static IReadOnlyList<string> Load(nn.Module module, string path, bool strict = true)
        {
            if (module is null) throw new ArgumentNullException(nameof(module));
            var file = Read(path);
            try
            {
                var target = module.state_dict();
                string Describe(nn.Module m) => m is IModel model ? model.ModelName : m.GetName();
                foreach (var (key, expected) in target)
                {
                    if (!file.TryGetValue(key, out var found))
                    {
                        if (strict) throw new WeightsException(path + ": missing key '" + key + "' (" + expected.dtype + " " + Shape(expected) + " in " + Describe(module) + ")" + Nearest(key, file.Keys) + ".");
                        continue;
                    }
                    if (!found.shape.SequenceEqual(expected.shape))
                        throw new WeightsException(path + ": key '" + key + "' has shape " + Shape(found) + " in the file but " + Describe(module) + " expects " + Shape(expected) + ".");
                    if (found.dtype != expected.dtype)
                        throw new WeightsException(path + ": key '" + key + "' is " + found.dtype + " in the file but " + Describe(module) + " expects " + expected.dtype + " (convert the module with to(ScalarType." + found.dtype + ") or the file).");
                }
                if (strict)
                {
                    var extra = file.Keys.Where(k => !target.ContainsKey(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
                    if (extra.Count > 0)
                        throw new WeightsException(path + ": unexpected key '" + extra[0] + "'" + (extra.Count > 1 ? " (and " + (extra.Count - 1) + " more)" : "") + ": " + Describe(module) + " has no such parameter or buffer" + Nearest(extra[0], target.Keys) + ".");
                }
                var loaded = new List<string>();
                using (no_grad())
                {
                    foreach (var (key, expected) in target)
                    {
                        if (!file.TryGetValue(key, out var found)) continue;
                        expected.copy_(found);
                        loaded.Add(key);
                    }
                }
                return loaded;
            }
            finally
            {
                foreach (var t in file.Values) t.Dispose();
            }
        }

        /// <summary>The header checked before PyBridge reads it, for one-line errors naming the key: sizes, offsets within the file, dtypes, and bytes = elements × element size.</summary>
        private static void CheckSafetensorsHeader(string path)
        {
            long fileLength = new FileInfo(path).Length;
            if (fileLength < 8) throw new WeightsException(path + ": not a safetensors file (" + fileLength + " bytes; the 8-byte header length is missing).");
            byte[] header;
            ulong headerLength;
            using (var stream = File.OpenRead(path))
            {
                var lengthBytes = new byte[8];
                stream.ReadExactly(lengthBytes);
                headerLength = BitConverter.IsLittleEndian ? BitConverter.ToUInt64(lengthBytes) : System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
                if (headerLength == 0 || headerLength > (ulong)(fileLength - 8) || headerLength > 100_000_000)
                    throw new WeightsException(path + ": not a safetensors file (the header claims " + headerLength + " bytes but the file has " + (fileLength - 8) + " after the length).");
                header = new byte[(int)headerLength];
                stream.ReadExactly(header);
            }
            long dataLength = fileLength - 8 - (long)headerLength;
            JsonDocument document;
            try { document = JsonDocument.Parse(header); }
            catch (JsonException e) { throw new WeightsException(path + ": the safetensors header is not JSON (" + OneLine(e.Message) + ").", e); }
            using (document)
            {
                if (document.RootElement.ValueKind != JsonValueKind.Object) throw new WeightsException(path + ": the safetensors header is not a JSON object.");
                foreach (var entry in document.RootElement.EnumerateObject())
                {
                    if (entry.Name == "__metadata__") continue;
                    string where = path + ": key '" + entry.Name + "'";
                    var v = entry.Value;
                    if (v.ValueKind != JsonValueKind.Object || !v.TryGetProperty("dtype", out var dtype) || !v.TryGetProperty("shape", out var shape) || !v.TryGetProperty("data_offsets", out var offsets)
                        || dtype.ValueKind != JsonValueKind.String || shape.ValueKind != JsonValueKind.Array || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
                        throw new WeightsException(where + ": the header entry needs dtype, shape and data_offsets [begin, end].");
                    if (!SafetensorsTypes.TryGetValue(dtype.GetString()!, out var type))
                        throw new WeightsException(where + ": dtype '" + dtype.GetString() + "' is not supported (" + string.Join(", ", SafetensorsTypes.Keys) + ").");
                    long elements = 1;
                    foreach (var d in shape.EnumerateArray())
                    {
                        if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long size) || size < 0) throw new WeightsException(where + ": the shape must be non-negative integers.");
                        elements = checked(elements * size);
                    }
                    if (!offsets[0].TryGetInt64(out long begin) || !offsets[1].TryGetInt64(out long end) || begin < 0 || end < begin)
                        throw new WeightsException(where + ": data_offsets must be two integers 0 ≤ begin ≤ end.");
                    if (end > dataLength)
                        throw new WeightsException(where + ": its bytes end at " + end + " but the file holds " + dataLength + " bytes of data (truncated?).");
                    if (end - begin != elements * type.Size)
                        throw new WeightsException(where + ": " + (end - begin) + " bytes for " + elements + " " + dtype.GetString() + " values (" + elements * type.Size + " expected).");
                }
            }
        }

        private static string Shape(Tensor t) => "[" + string.Join(", ", t.shape) + "]";

        /// <summary>"; near: 'k'" for keys of the other side that differ only by a prefix (e.g. "module.") or by case; else "".</summary>
        private static string Nearest(string key, IEnumerable<string> keys)
        {
            var candidates = keys.Where(k => k.EndsWith("." + key, StringComparison.Ordinal) || key.EndsWith("." + k, StringComparison.Ordinal)
                || string.Equals(k, key, StringComparison.OrdinalIgnoreCase)).Take(3).ToList();
            return candidates.Count == 0 ? "" : "; near: " + string.Join(", ", candidates.Select(k => "'" + k + "'"));
        }

        private static string OneLine(string s) => s.Replace('\r', ' ').Replace('\n', ' ').Trim();
    }
}
