using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// `--shard k/n` and `dsl merge` (issue 22 item 4): n shards run as separate processes, and their merge prints the whole run's
    /// JSON (seconds aside, which are timings) and writes the whole run's samples bit for bit.
    /// </summary>
    [Collection("Console")]
    public sealed class ShardMergeTests : IDisposable
    {
        private readonly string root = Path.Combine(Path.GetTempPath(), "dsl-shard-" + Guid.NewGuid().ToString("N"));

        public void Dispose()
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }

        /// <summary>Runs `dsl args…` as a child process (the gallery's own dsl.dll beside the tests) and returns its exit code and output.</summary>
        private static Process Start(IEnumerable<string> args)
        {
            var dll = Path.Combine(Path.GetDirectoryName(typeof(Dsl.Examples.Program).Assembly.Location)!, "dsl.dll");
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            info.ArgumentList.Add(dll);
            foreach (var a in args) info.ArgumentList.Add(a);
            return Process.Start(info)!;
        }

        /// <summary>The JSON without timings, with every path reduced to its file name (the whole run and the merge write into different folders).</summary>
        private static string Comparable(JsonElement json)
        {
            var node = JsonNode.Parse(json.GetRawText())!.AsObject();
            foreach (var timing in new[] { "seconds", "flips_per_second" }) node.Remove(timing);
            foreach (var key in node.Select(kv => kv.Key).ToList())
                if (node[key] is JsonValue v && v.TryGetValue<string>(out var s) && (s.EndsWith(".png", StringComparison.Ordinal) || s.EndsWith(".npy", StringComparison.Ordinal)))
                    node[key] = Path.GetFileName(s);
            return node.ToJsonString();
        }

        public static IEnumerable<object[]> Runs() => new[]
        {
            // The PC sampler couples the chains of a block (the signal-to-noise step): shards take whole blocks.
            new object[] { "sde-sample", new[] { "sde-sample", "--sampler", "pc", "--data", "gaussian", "--dim", "3", "--n", "1100", "--steps", "40", "--block", "250", "--save-samples" }, "samples" },
            // RK45's step sizes are shared by a block's rows; Hutchinson probes come from the block's seed.
            new object[] { "likelihood", new[] { "likelihood", "--dim", "3", "--n", "400", "--block", "90", "--estimator", "hutchinson" }, "" },
            // The control variate is fitted per block; the ODE NLL covers rows 0 … 249, across two blocks.
            new object[] { "elbo", new[] { "elbo", "--score", "perturbed", "--samples", "800", "--block", "200", "--ode-points", "250" }, "" },
            new object[] { "ising", new[] { "ising", "--L", "8", "--sweeps", "20", "--chains", "2", "--scan", "1.5:3:5" }, "" },
            // MALA adapts its step per block during burn-in.
            new object[] { "mala", new[] { "mala", "--chains", "200", "--steps", "20", "--burn-in", "10", "--block", "50", "--save-samples" }, "samples" },
            new object[] { "annealed-langevin", new[] { "annealed-langevin", "--chains", "120", "--block", "30", "--save-samples" }, "samples" },
        };

        [Theory]
        [MemberData(nameof(Runs))]
        public void Four_shards_as_processes_merge_into_the_whole_run(string command, string[] args, string array)
        {
            string wholeDir = Path.Combine(root, "whole"), mergedDir = Path.Combine(root, "merged");
            var whole = Gallery.RunJson(args.Concat(new[] { "--seed", "7", "--out", wholeDir }).ToArray());

            var processes = Enumerable.Range(0, 4).Select(k => Start(args.Where(a => a != "--save-samples").Concat(new[] { "--seed", "7", "--out", Path.Combine(root, "s" + k), "--shard", k + "/4", "--json" }))).ToList();
            var manifests = new List<string>();
            foreach (var p in processes)
            {
                string stdout = p.StandardOutput.ReadToEnd(), stderr = p.StandardError.ReadToEnd();
                p.WaitForExit();
                Assert.True(p.ExitCode == 0, "shard exit " + p.ExitCode + ": " + stderr);
                using var doc = JsonDocument.Parse(stdout.TrimEnd().Split('\n').Last());
                manifests.Add(doc.RootElement.GetProperty("manifest").GetString()!);
                p.Dispose();
            }
            // Given in a shuffled order: the merge orders the shards itself.
            var merged = Gallery.RunJson(new[] { "merge" }.Concat(new[] { manifests[2], manifests[0], manifests[3], manifests[1] }).Concat(new[] { "--out", mergedDir })
                .Concat(array.Length > 0 ? new[] { "--save-samples" } : Array.Empty<string>()).ToArray());

            Assert.Equal(Comparable(whole), Comparable(merged));
            Assert.Equal(command, merged.GetProperty("command").GetString());
            if (array.Length > 0)
            {
                var wholeSamples = File.ReadAllBytes(whole.GetProperty(array + "_npy").GetString()!);
                var mergedSamples = File.ReadAllBytes(merged.GetProperty(array + "_npy").GetString()!);
                Assert.Equal(wholeSamples, mergedSamples);
            }
            // The blocks are what couples rows, not the shards: a run with one block per shard is a different run (other seeds), so the
            // equality above is not that of a run with itself.
            Assert.True(whole.GetProperty("blocks").GetInt32() >= 4);
        }

        [Fact]
        public void Ddpm_sample_shards_merge_into_the_whole_run()
        {
            var train = Gallery.RunJson("ddpm", "train", "--steps", "30", "--T", "50", "--width", "16", "--depth", "1", "--out", Path.Combine(root, "ddpm"));
            string checkpoint = Path.Combine(root, "ddpm", "ddpm-moons.ckpt");
            Assert.True(File.Exists(checkpoint), train.GetRawText());
            string[] args = { "ddpm", "sample", "--checkpoint", checkpoint, "--sampler", "ancestral", "--n", "240", "--block", "80" };
            var whole = Gallery.RunJson(args.Concat(new[] { "--seed", "3", "--out", Path.Combine(root, "dw"), "--save-samples" }).ToArray());
            var manifests = Enumerable.Range(0, 2).Select(k => Gallery.RunJson(args.Concat(new[] { "--seed", "3", "--out", Path.Combine(root, "ds" + k), "--shard", k + "/2" }).ToArray())
                .GetProperty("manifest").GetString()!).ToList();
            var merged = Gallery.RunJson(new[] { "merge" }.Concat(manifests).Concat(new[] { "--out", Path.Combine(root, "dm"), "--save-samples" }).ToArray());
            var a = JsonNode.Parse(whole.GetRawText())!.AsObject();
            var b = JsonNode.Parse(merged.GetRawText())!.AsObject();
            foreach (var timing in new[] { "sample_seconds" }) { a.Remove(timing); b.Remove(timing); }
            Assert.Equal(Comparable(JsonDocument.Parse(a.ToJsonString()).RootElement), Comparable(JsonDocument.Parse(b.ToJsonString()).RootElement));
            Assert.Equal(File.ReadAllBytes(whole.GetProperty("samples_npy").GetString()!), File.ReadAllBytes(merged.GetProperty("samples_npy").GetString()!));
        }

        [Theory]
        [InlineData("gan", "scatter_png", 2000)]
        [InlineData("cnf", "scatter_png", 2000)]
        public void A_training_command_saves_its_samples_beside_its_png(string command, string pngField, int rows)
        {
            string dir = Path.Combine(root, "save-" + command);
            var json = Gallery.RunJson(command, "--steps", "2", "--save-samples", "--out", dir);
            var npy = json.GetProperty("samples_npy").GetString()!;
            Assert.Equal(Path.ChangeExtension(json.GetProperty(pngField).GetString()!, ".npy"), npy);
            using var data = Dsl.Data.ArrayFiles.Read(npy);
            Assert.Equal(rows, data.Rows);
            Assert.Equal(2, data.Columns);
            // Without the option nothing is written and the JSON says so.
            var plain = Gallery.RunJson(command, "--steps", "2", "--out", Path.Combine(root, "plain-" + command));
            Assert.Equal(System.Text.Json.JsonValueKind.Null, plain.GetProperty("samples_npy").ValueKind);
        }

        [Fact]
        public void A_shard_spec_must_be_k_of_n_with_enough_blocks()
        {
            foreach (var bad in new[] { "4/4", "1", "a/b", "-1/2", "1/0" })
            {
                var (code, _, err) = Gallery.Run("sde-sample", "--n", "100", "--steps", "5", "--shard", bad, "--out", Path.Combine(root, "bad"));
                Assert.Equal(2, code);
                Assert.Contains("--shard", err);
            }
            var (tooMany, _, tooManyErr) = Gallery.Run("sde-sample", "--n", "100", "--steps", "5", "--block", "50", "--shard", "0/3", "--out", Path.Combine(root, "bad"));
            Assert.Equal(2, tooMany);
            Assert.Contains("only 2 block(s)", tooManyErr);
        }

        [Fact]
        public void Merge_refuses_missing_duplicate_and_foreign_shards()
        {
            string[] Shard(int k, int n, string seed)
            {
                var json = Gallery.RunJson("sde-sample", "--sampler", "em", "--n", "60", "--steps", "5", "--block", "20", "--seed", seed, "--shard", k + "/" + n, "--out", Path.Combine(root, "m" + seed + "-" + k));
                return new[] { json.GetProperty("manifest").GetString()! };
            }
            var a0 = Shard(0, 2, "1")[0];
            var a1 = Shard(1, 2, "1")[0];
            var b1 = Shard(1, 2, "2")[0];
            var (missing, _, missingErr) = Gallery.Run("merge", a0, "--out", Path.Combine(root, "mm"));
            Assert.Equal(2, missing);
            Assert.Contains("1/2 (missing)", missingErr);
            var (twice, _, twiceErr) = Gallery.Run("merge", a0, a0, a1, "--out", Path.Combine(root, "mm"));
            Assert.Equal(2, twice);
            Assert.Contains("(twice)", twiceErr);
            var (foreign, _, foreignErr) = Gallery.Run("merge", a0, b1, "--out", Path.Combine(root, "mm"));
            Assert.Equal(2, foreign);
            Assert.Contains("\"seed\" differs", foreignErr);
            var notManifest = Path.Combine(root, "not.json");
            File.WriteAllText(notManifest, "{}");
            var (bad, _, badErr) = Gallery.Run("merge", notManifest, "--out", Path.Combine(root, "mm"));
            Assert.Equal(2, bad);
            Assert.Contains("not a shard manifest", badErr);
        }
    }
}
