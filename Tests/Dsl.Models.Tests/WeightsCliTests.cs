using System;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// --export and --init-from on the gallery's training commands: an exported file loads back bit for bit (a run of 0 steps
    /// from it reproduces the trained flow's test NLL), and a malformed, mismatched or misnamed file exits 2 with one line naming
    /// the file (and the key).
    /// </summary>
    [Collection("Console")]
    public class WeightsCliTests
    {
        private static readonly string OutDir = Path.Combine(Path.GetTempPath(), "dsl-weights-cli-" + Guid.NewGuid().ToString("N"));

        private static JsonElement RunJson(params string[] args) => Gallery.RunJson(args.Concat(new[] { "--out", OutDir }).ToArray());

        private static (int Code, string Out, string Err) Run(params string[] args) => Gallery.Run(args.Concat(new[] { "--json", "--out", OutDir }).ToArray());

        private static string File(string name) => Path.Combine(OutDir, name);

        /// <summary>Asserts that two weights files hold the same keys with the same bytes; returns the keys.</summary>
        private static string[] AssertSameWeights(string a, string b)
        {
            var ta = Weights.Read(a);
            var tb = Weights.Read(b);
            try
            {
                Assert.Equal(ta.Keys.OrderBy(k => k), tb.Keys.OrderBy(k => k));
                foreach (var key in ta.Keys) Assert.True(ta[key].bytes.SequenceEqual(tb[key].bytes), key);
                return ta.Keys.ToArray();
            }
            finally
            {
                foreach (var t in ta.Values.Concat(tb.Values)) t.Dispose();
            }
        }

        [Fact]
        public void An_exported_flow_loads_back_with_init_from_bit_for_bit()
        {
            Directory.CreateDirectory(OutDir);
            var a = File("flow-a.safetensors");
            var trained = RunJson("flow", "--steps", "30", "--depth", "2", "--hidden", "8", "--cnf-steps", "0", "--export", a);
            Assert.Equal(Path.GetFullPath(a), trained.GetProperty("export").GetString());
            // 0 steps from the exported weights: the evaluated flow is the trained one (same seed, so the same test split), and
            // its export is the same bytes' tensors. Without the load, the fresh initialisation would give another NLL.
            var b = File("flow-b.pt");
            var loaded = RunJson("flow", "--steps", "0", "--depth", "2", "--hidden", "8", "--cnf-steps", "0", "--init-from", a, "--export", b);
            Assert.Equal(Path.GetFullPath(a), loaded.GetProperty("init_from").GetString());
            Assert.Equal(trained.GetProperty("test_nll").GetDouble(), loaded.GetProperty("test_nll").GetDouble());
            Assert.NotEqual(loaded.GetProperty("test_nll_before").GetDouble(), loaded.GetProperty("test_nll").GetDouble());
            AssertSameWeights(a, b);
        }

        [Fact]
        public void A_DBN_exports_its_stack_and_a_DBM_starts_from_its_export()
        {
            Directory.CreateDirectory(OutDir);
            var dbnFile = File("dbn.safetensors");
            RunJson("dbn", "--hidden", "12,6", "--steps", "20", "--export", dbnFile);
            var layers = Weights.Read(dbnFile);
            Assert.Equal(new[] { "0.B", "0.C", "0.W", "1.B", "1.C", "1.W" }, layers.Keys.OrderBy(k => k, StringComparer.Ordinal));
            Assert.Equal(new long[] { 64, 12 }, layers["0.W"].shape);
            Assert.Equal(new long[] { 12, 6 }, layers["1.W"].shape);
            var (code, _, err) = Run("dbn", "--hidden", "12,7", "--steps", "1", "--init-from", dbnFile);
            Assert.Equal(2, code);
            Assert.Contains("'1.W'", err);

            // A DBM trained 150 steps, exported, then one more step from the export: its exact log-likelihood is the trained one's
            // (to within what one step moves it), far from one step of a fresh start.
            var dbmFile = File("dbm.pt");
            var trained = RunJson("dbm", "--steps", "150", "--export", dbmFile);
            var resumed = RunJson("dbm", "--steps", "1", "--init-from", dbmFile);
            var fresh = RunJson("dbm", "--steps", "1");
            double t = trained.GetProperty("exact_log_likelihood").GetDouble(), r = resumed.GetProperty("exact_log_likelihood").GetDouble(), f = fresh.GetProperty("exact_log_likelihood").GetDouble();
            Assert.True(System.Math.Abs(r - t) < 0.2 * System.Math.Abs(f - t), $"trained {t}, one step from its export {r}, one step from scratch {f}");
        }

        [Fact]
        public void A_GAN_exports_both_networks_and_starts_from_them()
        {
            Directory.CreateDirectory(OutDir);
            var a = File("gan-a.safetensors");
            var trained = RunJson("gan", "--steps", "5", "--export", a);
            Assert.Equal(Path.GetFullPath(a), trained.GetProperty("export").GetString());
            var b = File("gan-b.safetensors");
            var loaded = RunJson("gan", "--steps", "0", "--seed", "3", "--init-from", a, "--export", b);
            Assert.Equal(Path.GetFullPath(a), loaded.GetProperty("init_from").GetString());
            var keys = AssertSameWeights(a, b);
            Assert.Contains("generator.l0_W", keys);
            Assert.Contains("discriminator.l0_W", keys);
        }

        [Fact]
        public void A_mismatched_file_exits_2_naming_the_file_the_key_and_the_shapes()
        {
            Directory.CreateDirectory(OutDir);
            var narrow = File("ddpm-w16.safetensors");
            var first = RunJson("ddpm", "train", "--data", "moons", "--steps", "3", "--T", "50", "--width", "16", "--depth", "1", "--checkpoint", File("w16.ckpt"), "--export", narrow);
            Assert.Equal(Path.GetFullPath(narrow), first.GetProperty("export").GetString());
            var (code, _, err) = Run("ddpm", "train", "--data", "moons", "--steps", "3", "--T", "50", "--width", "32", "--depth", "1", "--checkpoint", File("w32.ckpt"), "--init-from", narrow);
            Assert.Equal(2, code);
            Assert.Single(err.Trim().Split('\n'));
            Assert.Contains(narrow, err);
            Assert.Contains("'input.weight' has shape [16, 2] in the file", err);
            Assert.Contains("[32, 2]", err);
        }

        [Fact]
        public void Malformed_missing_or_misnamed_files_exit_2_naming_the_file()
        {
            Directory.CreateDirectory(OutDir);
            var garbage = File("garbage.safetensors");
            System.IO.File.WriteAllBytes(garbage, BitConverter.GetBytes(3UL).Concat(new byte[] { (byte)'{', (byte)'x', (byte)'}' }).ToArray());
            var (code, _, err) = Run("cnf", "--steps", "2", "--init-from", garbage);
            Assert.Equal(2, code);
            Assert.Contains(garbage + ": the safetensors header is not JSON", err);
            Assert.Single(err.Trim().Split('\n'));

            (code, _, err) = Run("vae", "--steps", "2", "--init-from", File("absent.pt"));
            Assert.Equal(2, code);
            Assert.Contains("--init-from", err);
            Assert.Contains("no such file", err);

            (code, _, err) = Run("planar-flow", "--steps", "2", "--export", File("weights.npy"));
            Assert.Equal(2, code);
            Assert.Contains("--export", err);
            Assert.Contains(".safetensors, .pt or .pth", err);
        }
    }
}
