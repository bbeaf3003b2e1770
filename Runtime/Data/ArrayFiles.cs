using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Data
{
    /// <summary>A data file that cannot be read as an array: the message names the file and, where it applies, the row and column.</summary>
    public sealed class DataFileException : Exception
    {
        /// <summary>Creates the exception.</summary>
        public DataFileException(string message) : base(message) { }
    }

    /// <summary>
    /// An array read from a user's file: its values in the file's precision (float32 stays float32; float64, and integers
    /// beyond float32's exact range, are float64; other integers and booleans become float32) and the shape the file gave.
    /// <see cref="Rows"/> × <see cref="Columns"/> is that shape with every axis after the first flattened, which is how
    /// a trainer sees N points of dimension D (an [N, 8, 8] image stack has D = 64).
    /// </summary>
    public sealed class ArrayData : IDisposable
    {
        internal ArrayData(Tensor values, long[] shape, string source)
        {
            Values = values; Shape = shape; Source = source;
        }

        /// <summary>The values, [Rows, Columns].</summary>
        public Tensor Values { get; }

        /// <summary>The shape as the file stored it (a 1-D array of N values is N points of dimension 1).</summary>
        public IReadOnlyList<long> Shape { get; }

        /// <summary>The file (and, for .npz, the member) it came from, as messages name it.</summary>
        public string Source { get; }

        /// <summary>Number of points N.</summary>
        public long Rows => Values.shape[0];

        /// <summary>Dimension D of each point.</summary>
        public long Columns => Values.shape[1];

        /// <inheritdoc/>
        public void Dispose() => Values.Dispose();
    }

    /// <summary>
    /// Reads the array formats researchers already have — CSV (header optional, numeric columns), NumPy .npy (format 1.0–3.0,
    /// little- or big-endian float16/32/64, signed and unsigned integers, bool; C or Fortran order) and .npz (a zip of .npy
    /// members, compressed or stored) — and writes .npy. Every problem is one line naming the file, and the row and column
    /// where there is one. Values must be finite.
    /// </summary>
    public static class ArrayFiles
    {
        /// <summary>The file extensions <see cref="Read"/> accepts.</summary>
        public static readonly string[] Extensions = { ".csv", ".npy", ".npz" };

        /// <summary>
        /// True when <paramref name="value"/> names a data file rather than a built-in data set: it ends in one of
        /// <see cref="Extensions"/> (for .npz optionally followed by <c>:member</c>).
        /// </summary>
        public static bool IsDataFile(string value)
        {
            if (string.IsNullOrEmpty(value)) return false;
            var (path, _) = SplitMember(value);
            return Extensions.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase));
        }

        /// <summary>
        /// Reads <paramref name="path"/> by its extension. For an .npz, <c>file.npz:name</c> picks the member <c>name</c>;
        /// without it the file must hold one array, or one named x, data or arr_0 (in that order of preference).
        /// </summary>
        public static ArrayData Read(string path)
        {
            if (path is null) throw new ArgumentNullException(nameof(path));
            var (file, member) = SplitMember(path);
            if (!File.Exists(file)) throw new DataFileException(file + ": no such file.");
            if (file.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)) return ReadCsv(file);
            if (file.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
            {
                using var stream = File.OpenRead(file);
                return ReadNpy(stream, file);
            }
            if (file.EndsWith(".npz", StringComparison.OrdinalIgnoreCase)) return ReadNpz(file, member);
            throw new DataFileException(file + ": unknown data file type; expected " + string.Join(", ", Extensions) + ".");
        }

        private static (string Path, string? Member) SplitMember(string value)
        {
            int npz = value.IndexOf(".npz:", StringComparison.OrdinalIgnoreCase);
            return npz < 0 ? (value, null) : (value.Substring(0, npz + 4), value.Substring(npz + 5));
        }

        // ----- CSV -----

        /// <summary>
        /// Reads a CSV of numbers: comma-separated, one point per row, the first row a header when any of its cells is not a
        /// number, blank lines skipped, quotes around a cell allowed. Every row must have the header's (or the first row's)
        /// column count. Values are read as float64 in the invariant culture and stored as float32 when every one is exactly
        /// a float32, else as float64.
        /// </summary>
        public static ArrayData ReadCsv(string path)
        {
            var rows = new List<double[]>();
            int columns = -1;
            bool headerChecked = false;
            int lineNumber = 0;
            foreach (var raw in File.ReadLines(path))
            {
                lineNumber++;
                var line = raw.Trim();
                if (line.Length == 0) continue;
                var cells = line.Split(',').Select(c => c.Trim().Trim('"').Trim()).ToArray();
                if (!headerChecked)
                {
                    headerChecked = true;
                    if (cells.Any(c => !TryNumber(c, out _)))
                    {
                        columns = cells.Length;
                        continue;                                                   // a header row: its width sets the columns
                    }
                }
                if (columns < 0) columns = cells.Length;
                if (cells.Length != columns)
                    throw new DataFileException(path + ": row " + lineNumber + " has " + cells.Length + " columns; expected " + columns + " (as in the " + (rows.Count == 0 ? "header" : "first row") + ").");
                var values = new double[columns];
                for (int c = 0; c < columns; c++)
                {
                    if (!TryNumber(cells[c], out values[c]))
                        throw new DataFileException(path + ": row " + lineNumber + ", column " + (c + 1) + ": '" + Shorten(cells[c]) + "' is not a number.");
                    if (double.IsNaN(values[c]) || double.IsInfinity(values[c]))
                        throw new DataFileException(path + ": row " + lineNumber + ", column " + (c + 1) + ": " + cells[c] + "; the data must be finite.");
                }
                rows.Add(values);
            }
            if (rows.Count == 0) throw new DataFileException(path + ": no data rows" + (columns > 0 ? " after the header" : "") + ".");
            var flat = new double[rows.Count * columns];
            for (int r = 0; r < rows.Count; r++) Array.Copy(rows[r], 0, flat, r * columns, columns);
            return Build(flat, new long[] { rows.Count, columns }, path);
        }

        private static bool TryNumber(string cell, out double value) =>
            double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out value);

        private static string Shorten(string s) => s.Length <= 40 ? s : s.Substring(0, 37) + "...";

        // ----- NPY -----

        private static readonly byte[] Magic = { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y' };

        /// <summary>Reads one .npy array from <paramref name="stream"/>; <paramref name="name"/> is what messages call it.</summary>
        public static ArrayData ReadNpy(Stream stream, string name)
        {
            if (stream is null) throw new ArgumentNullException(nameof(stream));
            var prefix = ReadExactly(stream, 8, name, "the .npy magic");
            if (!prefix.Take(6).SequenceEqual(Magic)) throw new DataFileException(name + ": not a NumPy .npy array (the file does not start with \\x93NUMPY).");
            int major = prefix[6];
            int headerLength = major switch
            {
                1 => BinaryPrimitives.ReadUInt16LittleEndian(ReadExactly(stream, 2, name, "the header length")),
                2 or 3 => checked((int)BinaryPrimitives.ReadUInt32LittleEndian(ReadExactly(stream, 4, name, "the header length"))),
                _ => throw new DataFileException(name + ": .npy format version " + major + "." + prefix[7] + " is not supported (1.0, 2.0 and 3.0 are)."),
            };
            var header = (major == 3 ? Encoding.UTF8 : Encoding.ASCII).GetString(ReadExactly(stream, headerLength, name, "the header"));
            var descr = HeaderValue(header, "descr", name);
            var fortran = HeaderValue(header, "fortran_order", name);
            var shapeText = HeaderValue(header, "shape", name);
            var descrMatch = Regex.Match(descr, "^'([<>|=])([a-zA-Z])(\\d+)'$");
            if (!descrMatch.Success) throw new DataFileException(name + ": dtype " + descr + " is not a plain numeric type (float, int, uint or bool).");
            char order = descrMatch.Groups[1].Value[0], kind = descrMatch.Groups[2].Value[0];
            int size = int.Parse(descrMatch.Groups[3].Value, CultureInfo.InvariantCulture);
            var shape = Regex.Matches(shapeText, "\\d+").Select(m => long.Parse(m.Value, CultureInfo.InvariantCulture)).ToArray();
            if (!shapeText.StartsWith("(", StringComparison.Ordinal)) throw new DataFileException(name + ": the header's shape " + shapeText + " is not a tuple.");
            if (shape.Length == 0) throw new DataFileException(name + ": holds a single number (shape ()); expected an array of N points, shape (N,) or (N, D, …).");
            long count = shape.Aggregate(1L, (a, b) => checked(a * b));
            bool bigEndian = order == '>' || (order == '=' && !BitConverter.IsLittleEndian);
            var decoder = Decoder(kind, size, bigEndian, name, descr);
            var data = ReadExactly(stream, checked((int)(count * size)), name, "the data (" + count + " values of " + descr + ")");
            var values = new double[count];
            for (long i = 0; i < count; i++)
            {
                values[i] = decoder(data.AsSpan(checked((int)(i * size)), size));
                if (double.IsNaN(values[i]) || double.IsInfinity(values[i]))
                    throw new DataFileException(name + ": " + Position(i, shape, fortran == "True") + " is " + values[i].ToString(CultureInfo.InvariantCulture) + "; the data must be finite.");
            }
            if (fortran == "True") values = FortranToC(values, shape);
            bool keepsFloat32 = kind == 'f' && size <= 4 || kind != 'f' && values.All(v => System.Math.Abs(v) <= 16777216);
            return Build(values, shape, name, keepsFloat32 ? (bool?)true : false);
        }

        private static byte[] ReadExactly(Stream stream, int count, string name, string what)
        {
            var buffer = new byte[count];
            int read = 0;
            while (read < count)
            {
                int n = stream.Read(buffer, read, count - read);
                if (n == 0) throw new DataFileException(name + ": truncated while reading " + what + " (" + read + " of " + count + " bytes).");
                read += n;
            }
            return buffer;
        }

        private static string HeaderValue(string header, string key, string name)
        {
            var m = Regex.Match(header, "'" + key + "'\\s*:\\s*('[^']*'|True|False|\\([^)]*\\))");
            if (!m.Success) throw new DataFileException(name + ": the .npy header has no '" + key + "' entry: " + header.Trim());
            return m.Groups[1].Value;
        }

        private delegate double ElementDecoder(ReadOnlySpan<byte> bytes);

        private static ElementDecoder Decoder(char kind, int size, bool bigEndian, string name, string descr)
        {
            switch (kind, size)
            {
                case ('f', 2): return b => (double)(bigEndian ? BinaryPrimitives.ReadHalfBigEndian(b) : BinaryPrimitives.ReadHalfLittleEndian(b));
                case ('f', 4): return b => bigEndian ? BinaryPrimitives.ReadSingleBigEndian(b) : BinaryPrimitives.ReadSingleLittleEndian(b);
                case ('f', 8): return b => bigEndian ? BinaryPrimitives.ReadDoubleBigEndian(b) : BinaryPrimitives.ReadDoubleLittleEndian(b);
                case ('i', 1): return b => (sbyte)b[0];
                case ('u', 1): return b => b[0];
                case ('b', 1): return b => b[0] != 0 ? 1 : 0;
                case ('i', 2): return b => bigEndian ? BinaryPrimitives.ReadInt16BigEndian(b) : BinaryPrimitives.ReadInt16LittleEndian(b);
                case ('u', 2): return b => bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b);
                case ('i', 4): return b => bigEndian ? BinaryPrimitives.ReadInt32BigEndian(b) : BinaryPrimitives.ReadInt32LittleEndian(b);
                case ('u', 4): return b => bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b);
                case ('i', 8): return b => bigEndian ? BinaryPrimitives.ReadInt64BigEndian(b) : BinaryPrimitives.ReadInt64LittleEndian(b);
                case ('u', 8): return b => bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(b) : BinaryPrimitives.ReadUInt64LittleEndian(b);
                default: throw new DataFileException(name + ": dtype " + descr + " is not supported (float16/32/64, int8–64, uint8–64 and bool are).");
            }
        }

        /// <summary>The file position of flat element <paramref name="i"/>, as an index tuple (row first), for messages.</summary>
        private static string Position(long i, long[] shape, bool fortran)
        {
            var index = new long[shape.Length];
            if (fortran) for (int k = 0; k < shape.Length; k++) { index[k] = i % shape[k]; i /= shape[k]; }
            else for (int k = shape.Length - 1; k >= 0; k--) { index[k] = i % shape[k]; i /= shape[k]; }
            return index.Length == 1 ? "row " + index[0]
                : "row " + index[0] + ", column " + (index.Length == 2 ? index[1].ToString(CultureInfo.InvariantCulture) : "(" + string.Join(", ", index.Skip(1)) + ")");
        }

        private static double[] FortranToC(double[] values, long[] shape)
        {
            var result = new double[values.Length];
            var index = new long[shape.Length];
            for (long f = 0; f < values.Length; f++)
            {
                long rest = f;
                for (int k = 0; k < shape.Length; k++) { index[k] = rest % shape[k]; rest /= shape[k]; }
                long c = 0;
                for (int k = 0; k < shape.Length; k++) c = c * shape[k] + index[k];
                result[c] = values[f];
            }
            return result;
        }

        // ----- NPZ -----

        /// <summary>The member names preferred, in order, when an .npz holds several arrays and none is named.</summary>
        public static readonly string[] PreferredMembers = { "x", "data", "arr_0" };

        /// <summary>Reads member <paramref name="member"/> (or the one array, or the preferred one) of an .npz file.</summary>
        public static ArrayData ReadNpz(string path, string? member = null)
        {
            ZipArchive archive;
            try { archive = ZipFile.OpenRead(path); }
            catch (InvalidDataException e) { throw new DataFileException(path + ": not a NumPy .npz archive (" + e.Message + ")"); }
            using (archive)
            {
                var members = archive.Entries.Where(e => e.FullName.EndsWith(".npy", StringComparison.Ordinal)).ToList();
                var names = members.Select(e => e.FullName.Substring(0, e.FullName.Length - 4)).ToList();
                if (members.Count == 0) throw new DataFileException(path + ": the archive holds no .npy arrays.");
                int chosen;
                if (member != null)
                {
                    chosen = names.IndexOf(member);
                    if (chosen < 0) throw new DataFileException(path + ": no array named '" + member + "'; it holds " + string.Join(", ", names) + ".");
                }
                else if (members.Count == 1) chosen = 0;
                else
                {
                    var preferred = PreferredMembers.FirstOrDefault(names.Contains);
                    if (preferred == null)
                        throw new DataFileException(path + ": holds " + members.Count + " arrays (" + string.Join(", ", names) + "); name one as " + path + ":<name>.");
                    chosen = names.IndexOf(preferred);
                }
                using var stream = members[chosen].Open();
                return ReadNpy(stream, path + ":" + names[chosen]);
            }
        }

        // ----- building and writing -----

        private static ArrayData Build(double[] values, long[] shape, string source, bool? float32 = null)
        {
            bool single = float32 ?? values.All(v => (double)(float)v == v);
            long rows = shape[0];
            long columns = shape.Length == 1 ? 1 : shape.Skip(1).Aggregate(1L, (a, b) => a * b);
            if (rows == 0) throw new DataFileException(source + ": holds no points (shape (" + string.Join(", ", shape) + ")).");
            var dims = new[] { rows, columns };
            var tensor = single ? torch.tensor(values.Select(v => (float)v).ToArray(), dims) : torch.tensor(values, dims);
            return new ArrayData(tensor, shape, source);
        }

        /// <summary>
        /// Writes <paramref name="values"/> (float32 or float64, any shape, on any device) as a little-endian, C-order .npy
        /// (format 1.0) that numpy.load reads; the file appears whole or not at all (written beside it, then moved).
        /// </summary>
        public static void WriteNpy(string path, Tensor values)
        {
            if (path is null) throw new ArgumentNullException(nameof(path));
            if (values is null) throw new ArgumentNullException(nameof(values));
            if (values.dtype != ScalarType.Float32 && values.dtype != ScalarType.Float64)
                throw new ArgumentException("ArrayFiles.WriteNpy: values must be float32 or float64; got " + values.dtype + ".", nameof(values));
            using var scope = torch.NewDisposeScope();                              // detach, cpu and contiguous may each make a tensor
            var cpu = values.detach().cpu().contiguous();
            bool single = cpu.dtype == ScalarType.Float32;
            var shape = cpu.shape;
            var tuple = shape.Length == 1 ? "(" + shape[0] + ",)" : "(" + string.Join(", ", shape) + ")";
            var header = "{'descr': '<" + (single ? "f4" : "f8") + "', 'fortran_order': False, 'shape': " + tuple + ", }";
            int total = 10 + header.Length + 1;
            header = header.PadRight(header.Length + (64 - total % 64) % 64) + "\n";  // numpy aligns the data to 64 bytes
            Dsl.Training.AtomicFile.Write(path, stream =>
            {
                stream.Write(Magic);
                stream.WriteByte(1);
                stream.WriteByte(0);
                Span<byte> length = stackalloc byte[2];
                BinaryPrimitives.WriteUInt16LittleEndian(length, checked((ushort)header.Length));
                stream.Write(length);
                stream.Write(Encoding.ASCII.GetBytes(header));
                var bytes = single ? MemoryBytes(cpu.data<float>().ToArray()) : MemoryBytes(cpu.data<double>().ToArray());
                stream.Write(bytes);
            });
        }

        private static byte[] MemoryBytes<T>(T[] values) where T : struct
        {
            var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
            if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ArrayFiles.WriteNpy writes little-endian .npy on little-endian machines only.");
            return bytes;
        }
    }
}
