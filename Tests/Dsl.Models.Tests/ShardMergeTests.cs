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
            node.Remove("seconds");
            foreach (var key in node.Select(kv => kv.Key).ToList())
                if (node[key] is JsonValue v && v.TryGetValue<string>(out var s) && (s.EndsWith(".png", StringComparison.Ordinal) || s.EndsWith(".npy", StringComparison.Ordinal)))
                    node[key] = Path.GetFileName(s);
            return node.ToJsonString();
        }

        public static IEnumerable<object[]> Runs() => new[]
        {
            // The PC sampler couples the chains of a block (the signal-to-noise step): shards take whole blocks.
            new object[] { "sde-sample", new[] { "sde-sample", "--sampler", "pc", "--data", "gaussian", "--dim", "3", "--n", "1100", "--steps", "40", "--block", "250" }, "samples" },
        };

        [Theory]
        [MemberData(nameof(Runs))]
        public void Four_shards_as_processes_merge_into_the_whole_run(string command, string[] args, string array)
        {
            string wholeDir = Path.Combine(root, "whole"), mergedDir = Path.Combine(root, "merged");
            var whole = Gallery.RunJson(args.Concat(new[] { "--seed", "7", "--out", wholeDir, "--save-samples" }).ToArray());

            var processes = Enumerable.Range(0, 4).Select(k => Start(args.Concat(new[] { "--seed", "7", "--out", Path.Combine(root, "s" + k), "--shard", k + "/4", "--json" }))).ToList();
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
            var merged = Gallery.RunJson(new[] { "merge" }.Concat(new[] { manifests[2], manifests[0], manifests[3], manifests[1] }).Concat(new[] { "--out", mergedDir, "--save-samples" }).ToArray());

            Assert.Equal(Comparable(whole), Comparable(merged));
            var wholeSamples = File.ReadAllBytes(whole.GetProperty(array + "_npy").GetString()!);
            var mergedSamples = File.ReadAllBytes(merged.GetProperty(array + "_npy").GetString()!);
            Assert.Equal(wholeSamples, mergedSamples);
            Assert.Equal(command, merged.GetProperty("command").GetString());
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
