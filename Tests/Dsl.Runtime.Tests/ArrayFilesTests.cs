using System;
using System.IO;
using System.Linq;
using Dsl.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Tests
{
    /// <summary>
    /// The data-file readers against arrays NumPy wrote (Fixtures/arrays/make_arrays.py; the expected values are recomputed
    /// here from the script's formulas), and the .npy writer against NumPy's own bytes for the same array.
    /// </summary>
    public class ArrayFilesTests
    {
        private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "arrays", name);

        private static double[] Values(ArrayData a) => a.Values.to_type(ScalarType.Float64).data<double>().ToArray();

        private static double[] Base(Func<int, double> f) => Enumerable.Range(0, 12).Select(f).ToArray();

        [Fact]
        public void Float32_in_C_order_reads_as_float32_rows_and_columns()
        {
            using var a = ArrayFiles.Read(Fixture("f4_c.npy"));
            Assert.Equal(ScalarType.Float32, a.Values.dtype);
            Assert.Equal(new long[] { 4, 3 }, a.Values.shape);
            Assert.Equal(Base(i => (float)(i / 7.0)), Values(a));
        }

        [Fact]
        public void Fortran_order_float64_is_transposed_into_rows()
        {
            using var a = ArrayFiles.Read(Fixture("f8_fortran.npy"));
            Assert.Equal(ScalarType.Float64, a.Values.dtype);
            Assert.Equal(new long[] { 4, 3 }, a.Values.shape);
            Assert.Equal(Base(i => i * 0.1), Values(a));
        }

        [Fact]
        public void Integers_bools_halves_and_version_2_headers_read_with_their_shapes()
        {
            using (var a = ArrayFiles.Read(Fixture("i2_big.npy")))
            {
                Assert.Equal(new long[] { 6, 1 }, a.Values.shape);                      // a 1-D array is N points of D = 1
                Assert.Equal(new double[] { -3, -2, -1, 0, 1, 2 }, Values(a));
            }
            using (var a = ArrayFiles.Read(Fixture("u1_images.npy")))
            {
                Assert.Equal(new long[] { 5, 2, 2 }, a.Shape.ToArray());
                Assert.Equal(new long[] { 5, 4 }, a.Values.shape);                      // an image stack flattens to D = 4
                Assert.Equal(Enumerable.Range(0, 20).Select(i => (double)(i * 13 % 256)).ToArray(), Values(a));
            }
            using (var a = ArrayFiles.Read(Fixture("bool.npy")))
                Assert.Equal(new double[] { 1, 0, 0, 1, 1, 1 }, Values(a));
            using (var a = ArrayFiles.Read(Fixture("f2.npy")))
                Assert.Equal(Base(i => i / 4.0).Take(6).ToArray(), Values(a));          // quarters are exact in float16
            using (var a = ArrayFiles.Read(Fixture("v2_header.npy")))
                Assert.Equal(Base(i => (float)(i / 7.0)), Values(a));
            using (var a = ArrayFiles.Read(Fixture("i8_large.npy")))
            {
                Assert.Equal(ScalarType.Float64, a.Values.dtype);                       // 2^40 + 1 is not a float32
                Assert.Equal(new double[] { Math.Pow(2, 40) + 1, -3 }, Values(a));
            }
        }

        [Fact]
        public void Npz_members_are_chosen_by_name_by_preference_or_refused_when_ambiguous()
        {
            using (var a = ArrayFiles.Read(Fixture("named.npz")))                        // compressed; x preferred over labels
                Assert.Equal(Base(i => i * 0.25), Values(a));
            using (var a = ArrayFiles.Read(Fixture("named.npz") + ":labels"))
                Assert.Equal(new double[] { 0, 1, 2, 3 }, Values(a));
            using (var a = ArrayFiles.Read(Fixture("positional.npz")))                   // stored; arr_0
                Assert.Equal(Base(i => i * 2.0), Values(a));
            var e = Assert.Throws<DataFileException>(() => ArrayFiles.Read(Fixture("ambiguous.npz")));
            Assert.Contains("a, b", e.Message);
            Assert.Contains(":<name>", e.Message);
            e = Assert.Throws<DataFileException>(() => ArrayFiles.Read(Fixture("named.npz") + ":y"));
            Assert.Contains("no array named 'y'", e.Message);
        }

        [Theory]
        [InlineData("nan.npy", "row 2, column 1 is NaN")]
        [InlineData("scalar.npy", "shape ()")]
        [InlineData("complex.npy", "<c8")]
        [InlineData("truncated.npy", "truncated while reading the data")]
        [InlineData("make_arrays.py", "unknown data file type")]
        [InlineData("missing.npy", "no such file")]
        public void Malformed_arrays_are_one_line_errors_naming_the_file_and_the_place(string name, string expected)
        {
            var e = Assert.Throws<DataFileException>(() => ArrayFiles.Read(Fixture(name)));
            Assert.Contains(name, e.Message);
            Assert.Contains(expected, e.Message);
            Assert.DoesNotContain("\n", e.Message);
        }

        [Fact]
        public void A_file_that_is_not_npy_is_named_as_such()
        {
            var path = Path.Combine(Path.GetTempPath(), "dsl-not-npy-" + Guid.NewGuid().ToString("N") + ".npy");
            File.WriteAllText(path, "x,y\n1,2\n");
            try { Assert.Contains("not a NumPy .npy array", Assert.Throws<DataFileException>(() => ArrayFiles.Read(path)).Message); }
            finally { File.Delete(path); }
        }

        private static ArrayData Csv(string text, out string path)
        {
            path = Path.Combine(Path.GetTempPath(), "dsl-csv-" + Guid.NewGuid().ToString("N") + ".csv");
            File.WriteAllText(path, text);
            try { return ArrayFiles.Read(path); }
            finally { File.Delete(path); }
        }

        [Fact]
        public void Csv_with_or_without_a_header_reads_its_numeric_columns()
        {
            using (var a = Csv("x1, \"x2\"\r\n1.5,-2\r\n\r\n3e-1,4\r\n", out _))
            {
                Assert.Equal(new long[] { 2, 2 }, a.Values.shape);
                Assert.Equal(new[] { 1.5, -2, 0.3, 4 }, Values(a));
                Assert.Equal(ScalarType.Float64, a.Values.dtype);                       // 0.3 is not a float32
            }
            using (var a = Csv("1,2,3\n4,5,6\n", out _))
            {
                Assert.Equal(new long[] { 2, 3 }, a.Values.shape);
                Assert.Equal(ScalarType.Float32, a.Values.dtype);                       // small integers are exact in float32
                Assert.Equal(new double[] { 1, 2, 3, 4, 5, 6 }, Values(a));
            }
        }

        [Theory]
        [InlineData("a,b\n1,2\n3\n", "row 3 has 1 columns; expected 2")]
        [InlineData("1,2\n3,oops\n", "row 2, column 2: 'oops' is not a number")]
        [InlineData("1,2\n3,nan\n", "row 2, column 2: nan; the data must be finite")]
        [InlineData("a,b\n", "no data rows after the header")]
        [InlineData("", "no data rows")]
        public void Malformed_csv_is_a_one_line_error_naming_the_row_and_column(string text, string expected)
        {
            string path = "";
            var e = Assert.Throws<DataFileException>(() => Csv(text, out path));
            Assert.StartsWith(path, e.Message);
            Assert.Contains(expected, e.Message);
        }

        [Fact]
        public void WriteNpy_writes_the_bytes_numpy_writes_and_round_trips_float64()
        {
            var dir = Path.Combine(Path.GetTempPath(), "dsl-npy-" + Guid.NewGuid().ToString("N"));
            try
            {
                var path = Path.Combine(dir, "f4.npy");
                using (var values = tensor(Base(i => (float)(i / 7.0)).Select(v => (float)v).ToArray(), new long[] { 4, 3 }))
                    ArrayFiles.WriteNpy(path, values);
                Assert.Equal(File.ReadAllBytes(Fixture("f4_c.npy")), File.ReadAllBytes(path));
                var path64 = Path.Combine(dir, "f8.npy");
                using var original = randn(new long[] { 7, 5 }, dtype: ScalarType.Float64, generator: new Generator(3));
                ArrayFiles.WriteNpy(path64, original.T);                               // a non-contiguous view is written in C order
                using var back = ArrayFiles.Read(path64);
                Assert.Equal(original.T.contiguous().data<double>().ToArray().Select(BitConverter.DoubleToInt64Bits), back.Values.data<double>().ToArray().Select(BitConverter.DoubleToInt64Bits));   // bit for bit
                Assert.Empty(Directory.GetFiles(dir, "*.tmp-*"));
                Assert.Throws<ArgumentException>(() => ArrayFiles.WriteNpy(path, zeros(2, dtype: ScalarType.Int64)));
            }
            finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
        }

        [Fact]
        public void IsDataFile_tells_files_from_built_in_set_names()
        {
            Assert.True(ArrayFiles.IsDataFile("points.csv"));
            Assert.True(ArrayFiles.IsDataFile("/d/x.NPY"));
            Assert.True(ArrayFiles.IsDataFile("a.npz:labels"));
            Assert.False(ArrayFiles.IsDataFile("moons"));
            Assert.False(ArrayFiles.IsDataFile("digits"));
        }
    }
}
