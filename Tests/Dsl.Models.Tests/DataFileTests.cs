using System;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Text.Json;
using Dsl.Data;
using Dsl.Training;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// `--data &lt;file&gt;` on the gallery's trainers (issue 22, item 2): every format trains and sets D from the file, malformed files
    /// exit 2 with one line naming the file, row and column, the Boltzmann machines take 0/1 or ±1 data and refuse anything else,
    /// and --standardize is recorded in the checkpoint and undone on sampling. The files are written here from seeded draws.
    /// </summary>
    [Collection("Console")]
    public class DataFileTests : IDisposable
    {
        private readonly string dir = Path.Combine(Path.GetTempPath(), "dsl-data-" + Guid.NewGuid().ToString("N"));

        public DataFileTests() => Directory.CreateDirectory(dir);

        public void Dispose() { try { Directory.Delete(dir, true); } catch (IOException) { } }

        private string PathOf(string name) => Path.Combine(dir, name);

        /// <summary>n rows of D columns, column j ~ N(j, 1) from a seeded System.Random (Box–Muller).</summary>
        private static double[,] Gaussian(int n, int d, int seed, double[]? mean = null, double[]? std = null)
        {
            var random = new Random(seed);
            var x = new double[n, d];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < d; j++)
                {
                    double u = 1 - random.NextDouble(), v = random.NextDouble();
                    double z = Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v);
                    x[i, j] = (mean?[j] ?? j) + (std?[j] ?? 1) * z;
                }
            return x;
        }

        private string Csv(string name, double[,] x, bool header)
        {
            var text = new StringBuilder();
            if (header) text.AppendLine(string.Join(",", Enumerable.Range(0, x.GetLength(1)).Select(j => "x" + j)));
            for (int i = 0; i < x.GetLength(0); i++)
                text.AppendLine(string.Join(",", Enumerable.Range(0, x.GetLength(1)).Select(j => x[i, j].ToString("R", CultureInfo.InvariantCulture))));
            File.WriteAllText(PathOf(name), text.ToString());
            return PathOf(name);
        }

        private string Npy(string name, double[,] x, ScalarType type)
        {
            using var t = tensor(x.Cast<double>().ToArray(), new long[] { x.GetLength(0), x.GetLength(1) }, dtype: ScalarType.Float64).to_type(type);
            ArrayFiles.WriteNpy(PathOf(name), t);
            return PathOf(name);
        }

        /// <summary>A .npy of int64 (or any little-endian descr) written byte by byte, as numpy.save writes it.</summary>
        private string RawNpy(string name, string descr, long[] shape, byte[] data)
        {
            var tuple = shape.Length == 1 ? "(" + shape[0] + ",)" : "(" + string.Join(", ", shape) + ")";
            var header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + tuple + ", }";
            header = header.PadRight(header.Length + (64 - (10 + header.Length + 1) % 64) % 64) + "\n";
            using var stream = File.Create(PathOf(name));
            stream.Write(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 });
            stream.Write(BitConverter.GetBytes((ushort)header.Length));
            stream.Write(Encoding.ASCII.GetBytes(header));
            stream.Write(data);
            return PathOf(name);
        }

        private string IntNpy(string name, long[,] x) =>
            RawNpy(name, "<i8", new long[] { x.GetLength(0), x.GetLength(1) }, x.Cast<long>().SelectMany(BitConverter.GetBytes).ToArray());

        private string Npz(string name, string npyInside)
        {
            using (var zip = ZipFile.Open(PathOf(name), ZipArchiveMode.Create)) zip.CreateEntryFromFile(npyInside, "x.npy");
            return PathOf(name);
        }

        private static int Rows(JsonElement json) => json.GetProperty("data_set").GetProperty("rows").GetInt32() + json.GetProperty("data_set").GetProperty("held_out").GetInt32();

        [Theory]
        [InlineData("csv-header")]
        [InlineData("csv")]
        [InlineData("npy-float32")]
        [InlineData("npy-float64")]
        [InlineData("npy-int")]
        [InlineData("npz")]
        public void Each_format_trains_and_its_columns_set_D(string format)
        {
            const int n = 60;
            int d = format.StartsWith("csv", StringComparison.Ordinal) ? 3 : 4;   // D = 3 and 4: neither is the toys' 2
            var x = Gaussian(n, d, seed: 11);
            string file = format switch
            {
                "csv-header" => Csv("h.csv", x, header: true),
                "csv" => Csv("plain.csv", x, header: false),
                "npy-float32" => Npy("f4.npy", x, ScalarType.Float32),
                "npy-float64" => Npy("f8.npy", x, ScalarType.Float64),
                "npy-int" => IntNpy("i8.npy", new long[n, d].Let(a => { for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) a[i, j] = (long)Math.Round(3 * x[i, j]); })),
                _ => Npz("x.npz", Npy("inside.npy", x, ScalarType.Float64)),
            };
            // D = 3 trains the CNF (any D, with a plot); D = 4 the cheaper RealNVP flow (couplings of K = D/2).
            var json = d == 3 ? Gallery.RunJson("cnf", "--data", file, "--steps", "2", "--out", dir)
                : Gallery.RunJson("flow", "--data", file, "--steps", "3", "--depth", "2", "--hidden", "4", "--cnf-steps", "0", "--out", dir);
            Assert.Equal(d, json.GetProperty("dim").GetInt32());
            Assert.Equal(n, Rows(json));
            Assert.Equal(12, json.GetProperty("data_set").GetProperty("held_out").GetInt32());   // max(1, min(500, N/5))
            Assert.Equal(Path.GetFileName(file), json.GetProperty("data").GetString());
            Assert.True(double.IsFinite(json.GetProperty("test_nll").GetDouble()), "test NLL");
            Assert.Contains("first two of D = " + d, json.GetProperty("data_set").GetProperty("plot").GetString());
            if (d == 3) Assert.True(File.Exists(json.GetProperty("scatter_png").GetString()), "the first-two-coordinates scatter is drawn for D ≠ 2");
        }

        /// <summary>The score-based and adversarial trainers take D = 3 from a file too: score-sde (TimeMlp), the GAN and the NCSN-trained MLP energy.</summary>
        [Fact]
        public void The_VAE_trains_on_a_data_file_and_bounds_its_log_likelihood_in_data_units()
        {
            // N(μ, diag σ²) with σ = (2, 0.5, 1): the true mean log-likelihood is −Σⱼ ½log(2πe σⱼ²) = −4.257 nats, a ceiling every bound
            // must respect (within its standard error); standardisation is undone, so the bound is in the file's units.
            double[] mean = { 10, -3, 0 }, std = { 2, 0.5, 1 };
            var csv = Csv("vae.csv", Gaussian(600, 3, 11, mean, std), header: true);
            double truth = -std.Sum(s => 0.5 * System.Math.Log(2 * System.Math.PI * System.Math.E * s * s));
            var json = Gallery.RunJson("vae", "--data", csv, "--likelihood", "gaussian", "--standardize", "--steps", "300", "--latent", "2", "--hidden", "32",
                "--save-samples", "--out", PathOf("vae"));
            Assert.Equal(3, json.GetProperty("dim").GetInt32());
            Assert.Equal(600, Rows(json));
            var iwae = json.GetProperty("test_iwae").EnumerateArray().Last();
            double bound = iwae.GetProperty("bound").GetDouble(), se = iwae.GetProperty("standard_error").GetDouble();
            Assert.True(bound < truth + 4 * se, $"IWAE-100 {bound} ± {se} above the true mean log-likelihood {truth}");
            // A model that learned the scales: within a nat of the truth (the untrained model's IWAE-100 here is about 4 nats below it).
            Assert.True(bound > truth - 1, $"IWAE-100 {bound} far below the true mean log-likelihood {truth}");
            using var samples = ArrayFiles.Read(json.GetProperty("samples_npy").GetString()!);
            Assert.Equal(3, samples.Columns);
            var means = samples.Values.mean(new long[] { 0 }).data<double>().ToArray();
            for (int j = 0; j < 3; j++) Assert.True(Math.Abs(means[j] - mean[j]) < 0.5 * std[j], $"column {j}: decoder means average {means[j]}, data mean {mean[j]}");
            var (code, _, err) = Gallery.Run("vae", "--data", csv, "--steps", "1", "--out", PathOf("vae"));
            Assert.Equal(2, code);
            Assert.Contains("--likelihood gaussian", err);
            // The checkpoint records the standardisation: resuming it without --standardize (other units) is refused, naming it.
            var (resumed, _, resumeErr) = Gallery.Run("vae", "--data", csv, "--likelihood", "gaussian", "--steps", "301", "--latent", "2", "--hidden", "32", "--resume", "--out", PathOf("vae"));
            Assert.Equal(2, resumed);
            Assert.Contains("standardize", resumeErr);
        }

        [Fact]
        public void Score_sde_gan_and_the_score_matched_energy_train_on_a_three_column_file()
        {
            var file = Csv("g3.csv", Gaussian(300, 3, seed: 7), header: true);
            var sde = Gallery.RunJson("score-sde", "--data", file, "--steps", "5", "--batch", "32", "--width", "16", "--depth", "1", "--n", "20", "--sample-steps", "10", "--out", dir);
            Assert.Equal(3, sde.GetProperty("dim").GetInt32());
            Assert.True(double.IsFinite(sde.GetProperty("ode_nll_nats_per_dim").GetDouble()) && double.IsFinite(sde.GetProperty("mmd2").GetDouble()), "score-sde figures");
            Assert.True(File.Exists(sde.GetProperty("png").GetString()));
            var gan = Gallery.RunJson("gan", "--data", file, "--standardize", "--steps", "5", "--out", dir);
            Assert.Equal(3, gan.GetProperty("dim").GetInt32());
            Assert.Equal("standardised", gan.GetProperty("mmd2_units").GetString());
            var energy = Gallery.RunJson("score-matching", "--loss", "ncsn", "--model", "ring", "--data", file, "--steps", "5", "--out", dir);
            Assert.Equal(3, energy.GetProperty("dim").GetInt32());
            Assert.True(double.IsFinite(energy.GetProperty("mmd2").GetDouble()), "MMD²");
            var (code, _, err) = Gallery.Run("score-matching", "--model", "gmm", "--data", file, "--out", dir, "--json");
            Assert.Equal(2, code);
            Assert.Contains("--data and --standardize are for --model ring", err);
        }

        /// <summary>A checkpoint of a built-in set writes the settings it wrote before data files (no DataDim, no Standardize), so old checkpoints resume.</summary>
        [Fact]
        public void Built_in_sets_keep_their_checkpoint_settings()
        {
            var ckpt = PathOf("moons.ckpt");
            Gallery.RunJson("ddpm", "train", "--data", "moons", "--steps", "1", "--T", "10", "--width", "8", "--depth", "1", "--checkpoint", ckpt, "--out", dir);
            using var settings = JsonDocument.Parse(Checkpoint.Peek(ckpt).Settings!);
            var names = settings.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
            Assert.Equal(new[] { "Data", "Schedule", "T", "Width", "Depth", "Channels", "Variance", "Loss", "IsDigits", "LearnsVariance", "ReverseVariance", "LossKind", "Dim", "Tag" }.OrderBy(n => n),
                names.OrderBy(n => n));
            Assert.Equal("moons", settings.RootElement.GetProperty("Data").GetString());
        }

        [Fact]
        public void Malformed_files_exit_2_with_one_line_naming_the_file_row_and_column()
        {
            void Refused(string file, params string[] expected)
            {
                var (code, _, err) = Gallery.Run("score-sde", "--data", file, "--steps", "1", "--out", dir, "--json");
                Assert.Equal(2, code);
                Assert.Single(err.Trim().Split('\n'));
                Assert.Contains(Path.GetFileName(file.Split(".npz:")[0]), err);
                foreach (var e in expected) Assert.Contains(e, err);
            }
            File.WriteAllText(PathOf("ragged.csv"), "a,b,c\n1,2,3\n4,5\n");
            Refused(PathOf("ragged.csv"), "row 3", "has 2 columns; expected 3");
            File.WriteAllText(PathOf("text.csv"), "1,2,3\n4,five,6\n");
            Refused(PathOf("text.csv"), "row 2, column 2", "'five' is not a number");
            File.WriteAllText(PathOf("empty.csv"), "a,b\n");
            Refused(PathOf("empty.csv"), "no data rows after the header");
            File.WriteAllText(PathOf("blank.csv"), "");
            Refused(PathOf("blank.csv"), "no data rows");
            Refused(RawNpy("complex.npy", "<c8", new long[] { 2, 2 }, new byte[32]), "dtype");
            Refused(Npy("oned.npy", new double[,] { { 1 }, { 2 }, { 3 } }, ScalarType.Float32), "dimension 1", "D ≥ 2");
            Refused(RawNpy("flat.npy", "<f8", new long[] { 3 }, new double[] { 1, 2, 3 }.SelectMany(BitConverter.GetBytes).ToArray()), "shape (3)", "D ≥ 2");
            Refused(RawNpy("nan.npy", "<f8", new long[] { 2, 2 }, new[] { 1, 2, double.NaN, 4 }.SelectMany(BitConverter.GetBytes).ToArray()), "row 1, column 0", "finite");
            Refused(PathOf("missing.csv"), "no such file");
            // Model-specific checks: fewer rows than the batch; D odd for RealNVP's halves; --standardize on a constant column.
            var small = Csv("small.csv", Gaussian(40, 2, seed: 1), header: false);
            Refused(small, "40 rows, fewer than --batch 256");
            var (code, _, err) = Gallery.Run("flow", "--data", Csv("odd.csv", Gaussian(40, 3, seed: 1), header: false), "--steps", "1", "--out", dir, "--json");
            Assert.Equal(2, code);
            Assert.Contains("odd.csv: D = 3 is odd", err);
            File.WriteAllText(PathOf("constant.csv"), "1,5\n2,5\n3,5\n");
            (code, _, err) = Gallery.Run("cnf", "--data", PathOf("constant.csv"), "--standardize", "--steps", "1", "--out", dir, "--json");
            Assert.Equal(2, code);
            Assert.Contains("constant.csv: column 2 is constant", err);
            (code, _, err) = Gallery.Run("cnf", "--data", "moons", "--standardize", "--steps", "1", "--out", dir, "--json");
            Assert.Equal(2, code);
            Assert.Contains("--standardize is for data files", err);
        }

        [Fact]
        public void Boltzmann_machines_take_0_1_and_plus_minus_1_data_and_refuse_other_values_by_row_and_column()
        {
            var random = new Random(5);
            var bits = new long[120, 6];
            for (int i = 0; i < 120; i++) for (int j = 0; j < 6; j++) bits[i, j] = random.Next(2) == 0 ? -1 : 1;
            var pm = IntNpy("pm.npy", bits);
            var rbm = Gallery.RunJson("rbm", "--data", pm, "--epochs", "1", "--hidden", "3", "--out", dir);
            Assert.Equal(6, rbm.GetProperty("visible").GetInt32());
            Assert.Equal("±1 (mapped to 0/1)", rbm.GetProperty("binary_values").GetString());
            Assert.True(double.IsFinite(rbm.GetProperty("exact_log_likelihood").GetDouble()), "exact log-likelihood (H = 3)");
            var text = new StringBuilder("a,b,c,d\n");
            for (int i = 0; i < 120; i++) text.AppendLine(string.Join(",", Enumerable.Range(0, 4).Select(j => ((i * 7 + j * 3) % 5 < 2 ? 1 : 0).ToString(CultureInfo.InvariantCulture))));
            File.WriteAllText(PathOf("bits.csv"), text.ToString());
            var dbm = Gallery.RunJson("dbm", "--data", PathOf("bits.csv"), "--steps", "3", "--hidden1", "3", "--hidden2", "2", "--out", dir);
            Assert.Equal(4, dbm.GetProperty("visible").GetInt32());
            Assert.Equal("0/1", dbm.GetProperty("binary_values").GetString());

            File.WriteAllText(PathOf("half.csv"), text.ToString().Replace("a,b,c,d\n1,", "a,b,c,d\n0.5,"));   // line 2, column 1
            var (code, _, err) = Gallery.Run("rbm", "--data", PathOf("half.csv"), "--out", dir, "--json");
            Assert.Equal(2, code);
            Assert.Contains("half.csv: row 2, column 1 is 0.5; binary data must be 0/1 or ±1", err);
            bits[3, 4] = 0;   // a 0 among ±1 values
            (code, _, err) = Gallery.Run("dbn", "--data", IntNpy("mixed.npy", bits), "--out", dir, "--json");
            Assert.Equal(2, code);
            Assert.Contains("mixed.npy: row 3, column 4 is 0; the data mixes 0 and −1", err);
            (code, _, err) = Gallery.Run("rbm", "--data", Csv("few.csv", new double[,] { { 0, 1 }, { 1, 0 } }, header: false), "--out", dir, "--json");
            Assert.Equal(2, code);
            Assert.Contains("few.csv: 2 rows, fewer than the batch of 100", err);
        }

        /// <summary>
        /// --standardize: the checkpoint records each column's mean and population std of the file (checked against the values computed
        /// here to 1e-9), and `ddpm sample` maps its samples back: columns with means 10, −30, 100 and stds 2, 0.5, 1 come back with sample
        /// means within one data std (un-standardised samples would sit near 0: 5, 60 and 100 stds away). A resume on data of another D
        /// is refused naming the difference.
        /// </summary>
        [Fact]
        public void Standardisation_is_recorded_in_the_checkpoint_and_undone_on_sampling()
        {
            double[] mean = { 10, -30, 100 }, std = { 2, 0.5, 1 };
            var x = Gaussian(400, 3, seed: 3, mean, std);
            var file = Csv("s3.csv", x, header: true);
            var ckpt = PathOf("s3.ckpt");
            var train = Gallery.RunJson("ddpm", "train", "--data", file, "--standardize", "--steps", "300", "--width", "32", "--depth", "1", "--batch", "64", "--T", "50",
                "--checkpoint", ckpt, "--out", dir);
            Assert.Equal(3, train.GetProperty("dim").GetInt32());
            using var settings = JsonDocument.Parse(Checkpoint.Peek(ckpt).Settings!);
            var recorded = settings.RootElement.GetProperty("Standardize");
            Assert.Equal(3, settings.RootElement.GetProperty("DataDim").GetInt32());
            for (int j = 0; j < 3; j++)
            {
                var column = Enumerable.Range(0, 400).Select(i => x[i, j]).ToArray();
                double m = column.Average(), s = Math.Sqrt(column.Select(v => (v - m) * (v - m)).Average());
                Assert.Equal(m, recorded.GetProperty("Mean")[j].GetDouble(), 9);
                Assert.Equal(s, recorded.GetProperty("Std")[j].GetDouble(), 9);
                Assert.Equal(m, train.GetProperty("data_set").GetProperty("standardize").GetProperty("mean")[j].GetDouble(), 9);
            }
            var sample = Gallery.RunJson("ddpm", "sample", "--checkpoint", ckpt, "--sampler", "ancestral", "--n", "40", "--out", dir);
            Assert.Equal(3, sample.GetProperty("dim").GetInt32());
            Assert.Equal(mean[2], sample.GetProperty("data_set").GetProperty("standardize").GetProperty("mean")[2].GetDouble(), 0);
            for (int j = 0; j < 3; j++)
            {
                double got = sample.GetProperty("sample_mean")[j].GetDouble();
                Assert.True(Math.Abs(got - mean[j]) < std[j], $"column {j}: sample mean {got} vs data mean {mean[j]} (std {std[j]})");
            }
            Csv("s3.csv", Gaussian(400, 4, seed: 3, new double[] { 10, -30, 100, 0 }, new double[] { 2, 0.5, 1, 1 }), header: true);   // the file changed under the checkpoint
            var (changed, _, why) = Gallery.Run("ddpm", "sample", "--checkpoint", ckpt, "--n", "10", "--out", dir, "--json");
            Assert.Equal(2, changed);
            Assert.Contains("s3.csv: has D = 4 columns but the checkpoint was trained on D = 3", why);
            var other = Npy("four.npy", Gaussian(400, 4, seed: 4), ScalarType.Float32);
            var (code, _, err) = Gallery.Run("ddpm", "train", "--data", other, "--standardize", "--steps", "310", "--width", "32", "--depth", "1", "--batch", "64", "--T", "50",
                "--checkpoint", ckpt, "--resume", "--out", dir, "--json");
            Assert.Equal(2, code);
            Assert.Contains("DataDim=3", err);
            Assert.Contains("DataDim=4", err);
        }
    }

    internal static class LetExtension
    {
        /// <summary>Runs <paramref name="fill"/> on <paramref name="value"/> and returns it (array literals filled in an expression).</summary>
        public static T Let<T>(this T value, Action<T> fill) { fill(value); return value; }
    }
}
