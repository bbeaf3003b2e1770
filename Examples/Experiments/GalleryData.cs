using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Dsl.Data;
using Dsl.Models.Data;
using Dsl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Examples.Experiments
{
    /// <summary>How a command draws its data and samples: a scatter for D = 2, the first two coordinates for D &gt; 2, an image grid for square image sets.</summary>
    internal enum DataPlot { Scatter, FirstTwoCoordinates, ImageGrid }

    /// <summary>
    /// Per-column standardisation z = (x − mean) / std, computed from the training rows (population std, ddof = 0) and recorded in a
    /// checkpoint's settings so that a resumed or sampling run maps samples back to data units with x = mean + std·z.
    /// </summary>
    internal sealed record Standardization(double[] Mean, double[] Std)
    {
        /// <summary>Σⱼ log stdⱼ: −log p_x(x) = −log p_z(z) + Σⱼ log stdⱼ (the change of variables x = mean + std·z).</summary>
        public double LogScale => Std.Sum(System.Math.Log);

        public Tensor Apply(Tensor x)
        {
            using var scope = NewDisposeScope();
            var (mean, std) = Vectors(x);
            return x.sub(mean).div(std).MoveToOuterDisposeScope();
        }

        public Tensor Undo(Tensor z)
        {
            using var scope = NewDisposeScope();
            var (mean, std) = Vectors(z);
            return ScalarOps.Add(z.mul(std), mean).MoveToOuterDisposeScope();
        }

        private (Tensor Mean, Tensor Std) Vectors(Tensor like) =>
            (tensor(Mean, dtype: ScalarType.Float64).to(like.dtype).to(like.device), tensor(Std, dtype: ScalarType.Float64).to(like.dtype).to(like.device));

        /// <summary>The mean and std of each column of <paramref name="rows"/>; a constant column is a <see cref="DataFileException"/> naming it.</summary>
        public static Standardization Of(Tensor rows, string source)
        {
            using var scope = NewDisposeScope();
            var x = rows.to_type(ScalarType.Float64);
            var mean = x.mean(new long[] { 0 }).data<double>().ToArray();
            var std = x.std(new long[] { 0 }, unbiased: false).data<double>().ToArray();
            for (int j = 0; j < std.Length; j++)
                if (!(std[j] > 0))
                    throw new DataFileException(source + ": column " + (j + 1) + " is constant (" + mean[j].ToString("R", CultureInfo.InvariantCulture) + "); --standardize needs every column to vary.");
            return new Standardization(mean, std);
        }
    }

    /// <summary>
    /// The data of a gallery command: a named built-in set (the 2-D toys, drawn fresh each step, or the 8×8 digits) or a user's
    /// .csv/.npy/.npz file (<see cref="ArrayFiles.Read"/>) as rows [N, D], optionally standardised. D comes from the data and sets
    /// every network's input size; <see cref="Plot"/> says how the command draws it. One abstraction for every trainer, so a
    /// command does not branch on toys, digits and files itself.
    /// </summary>
    internal sealed class GalleryData : IDisposable
    {
        private GalleryData(string name, string displayName, string slug, int dim, Toy2DKind? toy, bool digits, Tensor? rows, Tensor? test, int? imageSide,
            Standardization? standardization, string? file, IReadOnlyList<long>? fileShape)
        {
            Name = name; DisplayName = displayName; Slug = slug; Dim = dim; Toy = toy; IsDigits = digits; Rows = rows; Test = test; ImageSide = imageSide;
            Standardization = standardization; File = file; FileShape = fileShape;
        }

        /// <summary>What a checkpoint records as the data: the built-in name, or the file's full path (with :member for an .npz member).</summary>
        public string Name { get; }

        /// <summary>The built-in name, or the file's name, for titles.</summary>
        public string DisplayName { get; }

        /// <summary>A file-name-safe name for outputs (the built-in name, or the file's name without its extension).</summary>
        public string Slug { get; }

        /// <summary>Dimension D of a point.</summary>
        public int Dim { get; }

        /// <summary>The toy set, or null.</summary>
        public Toy2DKind? Toy { get; }

        /// <summary>The built-in digits.</summary>
        public bool IsDigits { get; }

        /// <summary>A user's file.</summary>
        public bool IsFile => File != null;

        /// <summary>The file's full path (with :member), or null.</summary>
        public string? File { get; }

        /// <summary>The shape the file stored, or null.</summary>
        public IReadOnlyList<long>? FileShape { get; }

        /// <summary>The training rows [N, D] float32 in model units (standardised when asked); null for a toy, which is drawn fresh.</summary>
        public Tensor? Rows { get; }

        /// <summary>Held-out rows (only when opened with a hold-out), in model units.</summary>
        public Tensor? Test { get; }

        /// <summary>The side of a square image set (8 for the digits; s for a file of shape [N, s, s]), or null.</summary>
        public int? ImageSide { get; }

        /// <summary>The standardisation applied to the file's rows, or null.</summary>
        public Standardization? Standardization { get; }

        /// <summary>Number of training rows (a toy: unlimited, reported as null).</summary>
        public long? Count => Rows is null ? null : Rows.shape[0];

        public DataPlot Plot => ImageSide != null ? DataPlot.ImageGrid : Dim == 2 ? DataPlot.Scatter : DataPlot.FirstTwoCoordinates;

        /// <summary>
        /// Opens <paramref name="value"/>: a name in <paramref name="builtIns"/> ("digits" among them where the command has the digits)
        /// or a path ending in .csv, .npy or .npz. <paramref name="holdOut"/> sets aside max(1, min(500, N/5)) rows (a seeded
        /// permutation) as <see cref="Test"/>, the standardisation then computed from the rest. A problem with the file is a
        /// <see cref="DataFileException"/> naming it (and the row and column where there is one); an unknown name an
        /// <see cref="ArgumentException"/> listing the valid ones.
        /// </summary>
        public static GalleryData Open(string value, IReadOnlyCollection<string> builtIns, bool standardize, long seed = 0, bool holdOut = false,
            PixelScale digitsScale = PixelScale.Symmetric)
        {
            if (ArrayFiles.IsDataFile(value)) return OpenFile(value, standardize, seed, holdOut, null);
            string name = value.ToLowerInvariant();
            // A toy's other spelling (eight-gaussians) counts as the set it names.
            if (Toy2D.Parse(name) is Toy2DKind spelled && builtIns.Contains(Toy2D.Names[(int)spelled])) { }
            else if (!builtIns.Contains(name))
                throw new ArgumentException("unknown --data '" + value + "'; valid: " + string.Join(", ", builtIns) + ", or a .csv, .npy or .npz file.");
            if (standardize) throw new ArgumentException("--standardize is for data files; the built-in sets are used as defined (got --data " + name + ").");
            if (name == "digits")
            {
                var images = Digits.Images(digitsScale);
                return new GalleryData(name, name, name, Digits.Pixels, null, true, images, null, 8, null, null, null);
            }
            var toy = Toy2D.Parse(name) ?? throw new ArgumentException("unknown --data '" + value + "'; valid: " + string.Join(", ", builtIns) + ".");
            return new GalleryData(name, name, name, 2, toy, false, null, null, null, null, null, null);
        }

        /// <summary><see cref="Open"/>, with a problem as the one-line message instead of an exception.</summary>
        public static (GalleryData? Data, string? Error) TryOpen(string value, IReadOnlyCollection<string> builtIns, bool standardize, long seed = 0, bool holdOut = false,
            PixelScale digitsScale = PixelScale.Symmetric)
        {
            try { return (Open(value, builtIns, standardize, seed, holdOut, digitsScale), null); }
            catch (Exception e) when (e is DataFileException || e is ArgumentException) { return (null, e.Message); }
        }

        /// <summary>The --standardize option of the commands that take data files.</summary>
        public static System.CommandLine.Option<bool> StandardizeOption() => new("--standardize")
        {
            Description = "With a data file: standardise each column by the training rows' mean and std (recorded in the checkpoint; samples are reported in data units).",
        };

        /// <summary>
        /// Reopens the data a checkpoint records: a built-in name, or a file standardised with the recorded statistics (not recomputed), so
        /// that samples map back to the units the network was trained on.
        /// </summary>
        /// <remarks>A file whose D is no longer <paramref name="dim"/> (the checkpoint's) is a <see cref="DataFileException"/> naming both.</remarks>
        public static GalleryData Reopen(string name, Standardization? recorded, int dim, long seed = 0, PixelScale digitsScale = PixelScale.Symmetric)
        {
            if (!ArrayFiles.IsDataFile(name)) return Open(name, Toy2D.Names.Append("digits").ToArray(), false, seed, false, digitsScale);
            var data = OpenFile(name, false, seed, false, recorded);
            if (data.Dim == dim) return data;
            data.Dispose();
            throw new DataFileException(name + ": has D = " + data.Dim + " columns but the checkpoint was trained on D = " + dim + ".");
        }

        private static GalleryData OpenFile(string value, bool standardize, long seed, bool holdOut, Standardization? recorded)
        {
            using var array = ArrayFiles.Read(value);
            string path = Path.GetFullPath(SplitMember(value).Path) + (SplitMember(value).Member is string m ? ":" + m : "");
            if (array.Columns < 2)
                throw new DataFileException(array.Source + ": holds " + array.Rows + " points of dimension 1 (shape (" + string.Join(", ", array.Shape) + ")); the gallery's trainers need D ≥ 2 columns.");
            // Split and standardise in float64 (the statistics of the file's values as written), then train in float32.
            var all = array.Values.to_type(ScalarType.Float64);
            Tensor train = all, test = null!;
            bool split = holdOut && array.Rows >= 2;
            if (split)
            {
                long testCount = System.Math.Max(1, System.Math.Min(500, array.Rows / 5));
                using var order = randperm(array.Rows, generator: new Generator((ulong)seed + 1));
                train = all.index_select(0, order.narrow(0, 0, array.Rows - testCount));
                test = all.index_select(0, order.narrow(0, array.Rows - testCount, testCount));
                all.Dispose();
            }
            var standardization = recorded ?? (standardize ? Standardization.Of(train, array.Source) : null);
            if (standardization != null && standardization.Mean.Length != array.Columns)
                throw new DataFileException(array.Source + ": has D = " + array.Columns + " columns but the checkpoint was trained on D = " + standardization.Mean.Length + ".");
            if (standardization != null)
            {
                var z = standardization.Apply(train); train.Dispose(); train = z;
                if (split) { var zt = standardization.Apply(test); test.Dispose(); test = zt; }
            }
            { var single = train.to_type(ScalarType.Float32); train.Dispose(); train = single; }
            if (split) { var single = test.to_type(ScalarType.Float32); test.Dispose(); test = single; }
            int? side = array.Shape.Count == 3 && array.Shape[1] == array.Shape[2] ? (int)array.Shape[1] : null;
            string file = Path.GetFileName(SplitMember(value).Path);
            string display = SplitMember(value).Member is string member ? file + ":" + member : file;
            string slug = new string(Path.GetFileNameWithoutExtension(file).Select(c => char.IsLetterOrDigit(c) || c == '-' || c == '_' ? c : '_').ToArray());
            return new GalleryData(path, display, slug, (int)array.Columns, null, false, train, split ? test : null, side, standardization, path, array.Shape.ToArray());
        }

        private static (string Path, string? Member) SplitMember(string value)
        {
            int npz = value.IndexOf(".npz:", StringComparison.OrdinalIgnoreCase);
            return npz < 0 ? (value, null) : (value.Substring(0, npz + 4), value.Substring(npz + 5));
        }

        /// <summary>Null when a batch of <paramref name="batch"/> rows can be drawn, else the one-line reason (a file with fewer rows than the batch).</summary>
        /// <remarks><paramref name="option"/> names the option that sets the batch, or is null where the command's batch is fixed.</remarks>
        public string? BatchProblem(int batch, string? option = "--batch") => Count is long n && n < batch
            ? option is null ? DisplayName + ": " + n + " rows, fewer than the batch of " + batch + " this command draws; give at least " + batch + " rows."
                : DisplayName + ": " + n + " rows, fewer than " + option + " " + batch + "; give " + option + " ≤ " + n + " or more rows."
            : null;

        /// <summary>
        /// The training minibatches: fresh toy draws, or rows drawn uniformly with replacement (<see cref="TensorDataStream"/>). The stream
        /// references <see cref="Rows"/>.
        /// </summary>
        public IDataStream Stream(int batch, long seed) => Toy is Toy2DKind kind
            ? new SampledDataStream((n, g) => Toy2D.Sample(kind, n, g), 2, batch, seed)
            : new TensorDataStream(Rows!, batch, seed);

        /// <summary><paramref name="n"/> points: fresh toy draws, or rows drawn uniformly with replacement.</summary>
        public Tensor Draw(int n, Generator generator)
        {
            if (Toy is Toy2DKind kind) return Toy2D.Sample(kind, n, generator);
            using var index = randint(0, Rows!.shape[0], new long[] { n }, generator: generator);
            return Rows.index_select(0, index);
        }

        /// <summary>
        /// Evaluation points: <paramref name="n"/> fresh toy draws from seed + 7, or the first min(n, N) rows of a permutation from seed + 7
        /// (for a file these are training rows: the file has no separate evaluation set).
        /// </summary>
        public Tensor Evaluation(int n, long seed)
        {
            if (Toy is Toy2DKind kind) return Toy2D.Sample(kind, n, new Generator((ulong)seed + 7));
            using var order = randperm(Rows!.shape[0], generator: new Generator((ulong)seed + 7));
            return Rows.index_select(0, order.narrow(0, 0, System.Math.Min(n, Rows.shape[0])));
        }

        /// <summary>Rows of <paramref name="x"/> (model units) in data units: standardisation undone.</summary>
        public double[][] ToDataUnits(Tensor x)
        {
            using var scope = NewDisposeScope();
            var d = (Standardization is null ? x.detach() : Standardization.Undo(x.detach())).to_type(ScalarType.Float64).cpu().contiguous();
            var flat = d.data<double>().ToArray();
            int cols = (int)x.shape[1];
            return Enumerable.Range(0, (int)x.shape[0]).Select(r => flat.AsSpan(r * cols, cols).ToArray()).ToArray();
        }

        /// <summary>−log p in data units from −log p in model units, per point: + Σⱼ log stdⱼ (0 without standardisation).</summary>
        public double NllToDataUnits(double nllPerPoint) => nllPerPoint + (Standardization?.LogScale ?? 0);

        /// <summary>
        /// Draws <paramref name="series"/> (rows in data units): a scatter of the two coordinates for D = 2, of the first two for D &gt; 2
        /// (the title says so), or, for an image set, a grid of the last series' images through <paramref name="pixel"/> into [0, 1].
        /// </summary>
        public string PlotRows(string path, string title, IReadOnlyList<(string Label, double[][] Rows)> series, Func<double, double>? pixel = null)
        {
            if (ImageSide is int side)
            {
                var images = series[series.Count - 1].Rows.Select(r => r.Select(v => System.Math.Clamp(pixel is null ? v : pixel(v), 0, 1)).ToArray()).ToList();
                return Plots.ImageGrid(path, title, images, side, side, 8);
            }
            string shown = Dim == 2 ? title : title + " (first two of D = " + Dim + " coordinates)";
            return Plots.Scatter(path, shown, series.Select(s => (s.Label, s.Rows.Select(p => p[0]).ToArray(), s.Rows.Select(p => p[1]).ToArray())).ToList());
        }

        /// <summary>
        /// The rows as binary units for the RBM, DBN and DBM: float64 0/1. A file must hold only 0 and 1, or only −1 and 1 (mapped to 0 and 1);
        /// the first value that breaks this is a <see cref="DataFileException"/> naming the file, row and column (as the readers count them:
        /// a .csv's line and 1-based column, an .npy's 0-based indices). The convention found is in <see cref="BinaryValues"/>.
        /// </summary>
        public Tensor BinaryRows()
        {
            if (Rows is null) throw new InvalidOperationException("GalleryData.BinaryRows: " + DisplayName + " is drawn fresh, not rows.");
            using var scope = NewDisposeScope();
            var x = Rows.to_type(ScalarType.Float64).contiguous();
            var flat = x.data<double>().ToArray();
            long columns = x.shape[1];
            bool minusOne = false, zero = false;
            for (long i = 0; i < flat.Length; i++)
            {
                double v = flat[i];
                bool ok = v == 1 || (v == 0 && !minusOne) || (v == -1 && !zero);
                if (!ok)
                {
                    string why = v == 0 || v == -1 ? "; the data mixes 0 and −1 (binary data is 0/1 or ±1)" : "; binary data must be 0/1 or ±1";
                    throw new DataFileException((File is null ? DisplayName : SplitMember(File).Path) + ": " + Where(i / columns, i % columns) + " is "
                        + v.ToString("R", CultureInfo.InvariantCulture) + why + ".");
                }
                if (v == 0) zero = true;
                if (v == -1) minusOne = true;
            }
            BinaryValues = minusOne ? "±1 (mapped to 0/1)" : "0/1";
            return (minusOne ? x.Add(1.0).Div(2.0) : x.alias()).MoveToOuterDisposeScope();
        }

        /// <summary>After <see cref="BinaryRows"/>: "0/1" or "±1 (mapped to 0/1)".</summary>
        public string? BinaryValues { get; private set; }

        /// <summary>The height and width to draw one point as an image: the square side, or one row of D pixels.</summary>
        public (int Height, int Width) ImageShape => ImageSide is int side ? (side, side) : (1, Dim);

        /// <summary>Where data row <paramref name="row"/>, column <paramref name="column"/> (0-based) is in the file, counted as its reader counts.</summary>
        private string Where(long row, long column)
        {
            if (File is not null && File.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
            {
                // The reader's count: file lines, 1-based, blank lines skipped, a first line with a non-number cell a header.
                long line = 0, data = -1;
                bool first = true;
                foreach (var raw in System.IO.File.ReadLines(File))
                {
                    line++;
                    var text = raw.Trim();
                    if (text.Length == 0) continue;
                    if (first)
                    {
                        first = false;
                        if (text.Split(',').Any(c => !double.TryParse(c.Trim().Trim('"').Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out _))) continue;
                    }
                    if (++data == row) return "row " + line + ", column " + (column + 1);
                }
            }
            if (FileShape is { Count: > 2 } shape)
            {
                var index = new long[shape.Count - 1];
                long c = column;
                for (int k = shape.Count - 1; k >= 1; k--) { index[k - 1] = c % shape[k]; c /= shape[k]; }
                return "row " + row + ", column (" + string.Join(", ", index) + ")";
            }
            return "row " + row + ", column " + column;
        }

        /// <summary>What the plot shows, for the JSON.</summary>
        public string PlotNote => Plot switch
        {
            DataPlot.ImageGrid => "image grid",
            DataPlot.Scatter => "scatter",
            _ => "scatter of the first two of D = " + Dim + " coordinates",
        };

        /// <summary>The data's description for a command's JSON: file, shape, D, rows, the standardisation and the plot (<paramref name="plot"/> where the command draws otherwise).</summary>
        public object Json(string? plot = null) => new
        {
            name = DisplayName, file = File, shape = FileShape, dim = Dim, rows = Count, held_out = Test?.shape[0],
            standardize = Standardization is null ? null : new { mean = Standardization.Mean, std = Standardization.Std }, plot = plot ?? PlotNote,
        };

        public void Dispose()
        {
            Rows?.Dispose();
            Test?.Dispose();
        }
    }
}
