using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dsl.Data;
using Dsl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Examples
{
    /// <summary>Shard k of n (0 ≤ k &lt; n) of a run, from <c>--shard k/n</c>; 0/1 is the whole run.</summary>
    internal readonly record struct Shard(int Index, int Count)
    {
        public static Shard Whole => new(0, 1);

        public bool IsWhole => Count == 1;

        public override string ToString() => Index.ToString(CultureInfo.InvariantCulture) + "/" + Count.ToString(CultureInfo.InvariantCulture);

        /// <summary>Parses "k/n"; null and the shard, or the one-line reason naming --shard.</summary>
        public static string? TryParse(string? text, out Shard shard)
        {
            shard = Whole;
            if (text is null) return null;
            var parts = text.Split('/');
            if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int k)
                || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int n))
                return "--shard must be k/n with whole numbers 0 ≤ k < n (e.g. 0/4), got '" + text + "'.";
            if (n < 1 || k >= n) return "--shard " + text + ": k must satisfy 0 ≤ k < n and n ≥ 1.";
            shard = new Shard(k, n);
            return null;
        }
    }

    /// <summary>
    /// Rows 0 … Total − 1 of a run (chains to draw, data points to evaluate) cut into blocks of <see cref="BlockSize"/> (the last one
    /// shorter). A block is the unit one runtime call processes and the unit that couples rows: the predictor–corrector sampler's
    /// signal-to-noise step and an adaptive ODE solver's step sizes are shared by the rows of a block. Each block has its own
    /// seed, a function of the run's seed and the block's index, so a block's result is the same whichever process runs it: the
    /// union of the shards of a run is, bit for bit, the run itself.
    /// </summary>
    internal sealed record RowBlocks(int Total, int BlockSize)
    {
        /// <summary>The default block: 4096 rows. A run of at most that many rows is one block seeded with the run's own seed.</summary>
        public const int DefaultBlockSize = 4096;

        public int Count => (Total + BlockSize - 1) / BlockSize;

        public (int Start, int Length) this[int block] => (block * BlockSize, System.Math.Min(BlockSize, Total - block * BlockSize));

        /// <summary>The blocks [First, End) that <paramref name="shard"/> owns: contiguous, balanced to within one block.</summary>
        public (int First, int End) Owned(Shard shard) => ((int)((long)shard.Index * Count / shard.Count), (int)((long)(shard.Index + 1) * Count / shard.Count));

        /// <summary>Block b's seed: the run's seed for block 0 (so a one-block run is what it was before blocks), an independent derived seed otherwise.</summary>
        public static long Seed(long runSeed, int block) => block == 0 ? runSeed : unchecked((long)Seeds.ForStep(runSeed, block, 0x5EED_B10CUL));

        /// <summary>Null, or the one-line reason the run cannot be split into <paramref name="shard"/>.Count shards.</summary>
        public string? Problem(Shard shard) => shard.Count > Count
            ? "--shard " + shard + ": the run has only " + Count + " block(s) of " + BlockSize + " rows (--n " + Total + "); use at most " + Count + " shards or a smaller --block."
            : null;
    }

    /// <summary>What one block produced: arrays with one row per row of the block, counters (one number per block), and whether it was cut short.</summary>
    internal sealed class BlockOutput
    {
        public Dictionary<string, Tensor> Rows { get; } = new();
        public Dictionary<string, double> Counters { get; } = new();
        public bool Cancelled { get; set; }
    }

    /// <summary>
    /// The rows of a run in block order (each array float64, its first axis the rows; <c>null</c> rows for blocks that had none of
    /// an array, such as a trajectory kept only for the first chains) and every block's counters.
    /// </summary>
    internal sealed class RunRows : IDisposable
    {
        public RunRows(Dictionary<string, Tensor> arrays, Dictionary<string, double[]> counters, bool cancelled)
        {
            Arrays = arrays; Counters = counters; Cancelled = cancelled;
        }

        public Dictionary<string, Tensor> Arrays { get; }
        public Dictionary<string, double[]> Counters { get; }
        public bool Cancelled { get; }

        /// <summary>Sum over blocks of a counter (0 when absent).</summary>
        public double Sum(string counter) => Counters.TryGetValue(counter, out var v) ? v.Sum() : 0;

        public Tensor? Array(string name) => Arrays.TryGetValue(name, out var t) ? t : null;

        public void Dispose()
        {
            foreach (var t in Arrays.Values) t.Dispose();
        }
    }

    /// <summary>
    /// A gallery command that runs in blocks of rows and can therefore run as shards (<c>--shard k/n</c>) and be merged (<c>dsl
    /// merge</c>): its configuration (JSON-serialisable, everything the figures depend on), how to run one block, and how to turn
    /// the rows of the whole run into the figures. The single run and the merge of its shards call the same <see cref="Summarise"/>
    /// on the same rows, so they print the same JSON (timings aside: seconds are summed over blocks).
    /// </summary>
    internal abstract class ShardableCommand
    {
        public abstract string Name { get; }

        /// <summary>The figures of a whole run from its rows; writes its PNGs (and, when asked, the samples) into <paramref name="run"/>'s folder.</summary>
        /// <paramref name="seed"/> is the run's --seed (the manifests' on a merge, not the merge's own).
        public abstract object Summarise(JsonElement config, RunRows rows, GalleryRun run, long seed, bool saveSamples);

        /// <summary>The shardable command called <paramref name="name"/> whose configuration is <paramref name="config"/>, or null: what `dsl merge` can combine.</summary>
        public static ShardableCommand? Find(string name, JsonElement config) => name switch
        {
            "langevin" => config.TryGetProperty("Annealed", out _) ? ModeWeightingCommand.Plain : ChainCommand.Langevin,
            "sde-sample" => SdeSampleCommand.Instance,
            "likelihood" => LikelihoodCommand.Instance,
            "ddpm sample" => DdpmSampleCommand.Instance,
            "ising" => IsingScanCommand.Instance,
            "elbo" => ElboCommandRows.Instance,
            "annealed-langevin" => ModeWeightingCommand.Annealed,
            "mh" => ChainCommand.Mh,
            "mala" => ChainCommand.Mala,
            _ => null,
        };
    }

    /// <summary>The shared options of the shardable commands: --shard, --block and --save-samples.</summary>
    internal sealed class ShardOptions
    {
        public Option<string?> ShardOption { get; } = new("--shard") { Description = "Run only shard k of n (k/n, 0 ≤ k < n): its blocks of rows, written as .npy files and a manifest in --out that `dsl merge` combines into exactly the whole run's figures." };
        public Option<int> Block { get; } = new Option<int>("--block") { Description = "Rows per block (the unit a shard takes and the rows a corrector's or an adaptive solver's step is shared by); each block is seeded from --seed and its index.", DefaultValueFactory = _ => RowBlocks.DefaultBlockSize }.AtLeast(1);
        public Option<bool> SaveSamples { get; } = new("--save-samples") { Description = "Also write the samples as a float64 .npy beside the PNG (the JSON names it)." };

        private readonly bool samples;

        /// <summary>Options for a command that draws samples (<paramref name="samples"/>: --save-samples too) or evaluates data rows.</summary>
        public ShardOptions(bool samples = true) => this.samples = samples;

        /// <summary>The parsed --shard, --block and --save-samples of a command line.</summary>
        public ShardChoice Choice(ParseResult r)
        {
            var problem = Examples.Shard.TryParse(r.GetValue(ShardOption), out var shard);
            return new ShardChoice(shard, r.GetValue(Block), samples && r.GetValue(SaveSamples), problem);
        }

        public void AddTo(Command command)
        {
            command.Options.Add(ShardOption);
            command.Options.Add(Block);
            if (samples) command.Options.Add(SaveSamples);
        }
    }

    /// <summary>A command line's shard, block size and --save-samples; <see cref="Problem"/> is the one-line reason a bad --shard is refused.</summary>
    internal sealed record ShardChoice(Shard Shard, int Block, bool Save, string? Problem);

    /// <summary>Runs a <see cref="ShardableCommand"/> whole or as one shard, and merges shards (<c>dsl merge</c>).</summary>
    internal static class ShardedRun
    {
        /// <summary>The format tag of a shard manifest.</summary>
        public const string ManifestFormat = "dsl-shard/1";

        /// <summary>
        /// Runs the blocks of <paramref name="rows"/> that <paramref name="shard"/> owns with <paramref name="runBlock"/> (block index,
        /// first row, rows, seed). The whole run summarises and finishes; a shard writes its arrays and manifest and prints the manifest.
        /// </summary>
        public static int Execute(GalleryRun run, ShardableCommand command, object config, RowBlocks rows, Shard shard, bool saveSamples,
            Func<int, int, int, long, BlockOutput> runBlock)
        {
            if (rows.Problem(shard) is string problem) return SamplingCommands.Fail(command.Name, problem);
            var (first, end) = rows.Owned(shard);
            var outputs = new List<BlockOutput>();
            bool cancelled = false;
            try
            {
                for (int b = first; b < end && !cancelled; b++)
                {
                    var (start, length) = rows[b];
                    var output = runBlock(b, start, length, RowBlocks.Seed(run.Seed, b));
                    outputs.Add(output);
                    cancelled = output.Cancelled || run.Cancellation.IsCancellationRequested;
                }
                var configJson = JsonSerializer.SerializeToElement(config, config.GetType());
                if (shard.IsWhole)
                {
                    using var all = Collect(outputs, cancelled);
                    return run.Finish(command.Summarise(configJson, all, run, run.Seed, saveSamples), cancelled);
                }
                if (cancelled)
                {
                    Console.Error.WriteLine("dsl " + command.Name + ": interrupted; shard " + shard + " wrote nothing (a shard's output is whole or absent).");
                    return 130;
                }
                return run.Finish(WriteShard(run, command, configJson, rows, shard, first, end, outputs), false);
            }
            finally
            {
                foreach (var o in outputs) foreach (var t in o.Rows.Values) t.Dispose();
            }
        }

        private static RunRows Collect(List<BlockOutput> outputs, bool cancelled)
        {
            var names = outputs.SelectMany(o => o.Rows.Keys).Distinct().ToList();
            var arrays = new Dictionary<string, Tensor>();
            foreach (var name in names)
            {
                var parts = outputs.Where(o => o.Rows.ContainsKey(name)).Select(o => o.Rows[name].to_type(ScalarType.Float64).cpu()).ToList();
                arrays[name] = parts.Count == 1 ? parts[0].clone() : cat(parts, 0);
                foreach (var p in parts) p.Dispose();
            }
            var counters = outputs.SelectMany(o => o.Counters.Keys).Distinct()
                .ToDictionary(k => k, k => outputs.Select(o => o.Counters.TryGetValue(k, out var v) ? v : 0).ToArray());
            return new RunRows(arrays, counters, cancelled);
        }

        private static string FileStem(ShardableCommand command, Shard shard) =>
            command.Name.Replace(' ', '-') + "-shard-" + shard.Index.ToString(CultureInfo.InvariantCulture) + "-of-" + shard.Count.ToString(CultureInfo.InvariantCulture);

        private static object WriteShard(GalleryRun run, ShardableCommand command, JsonElement config, RowBlocks rows, Shard shard, int first, int end, List<BlockOutput> outputs)
        {
            string stem = FileStem(command, shard);
            var arrays = new JsonObject();
            using (var collected = Collect(outputs, false))
            {
                foreach (var (name, values) in collected.Arrays)
                {
                    string file = stem + "-" + name + ".npy";
                    ArrayFiles.WriteNpy(run.Output(file), values);
                    arrays[name] = file;
                }
                var manifest = new JsonObject
                {
                    ["format"] = ManifestFormat,
                    ["command"] = command.Name,
                    ["config"] = JsonNode.Parse(config.GetRawText()),
                    ["seed"] = run.Seed,
                    ["rows"] = rows.Total,
                    ["block"] = rows.BlockSize,
                    ["shard"] = shard.ToString(),
                    ["first_block"] = first,
                    ["end_block"] = end,
                    ["arrays"] = arrays,
                    ["counters"] = new JsonObject(collected.Counters.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)new JsonArray(kv.Value.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray())))),
                };
                string manifestPath = run.Output(stem + ".json");
                // Whole or absent, as the arrays: written beside it, then moved over the name.
                string temporary = manifestPath + "." + Guid.NewGuid().ToString("N") + ".tmp";
                File.WriteAllText(temporary, manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                File.Move(temporary, manifestPath, overwrite: true);
                return new { command = command.Name, shard = shard.ToString(), rows = rows.Total, block = rows.BlockSize, first_block = first, end_block = end, manifest = manifestPath };
            }
        }

        /// <summary>
        /// <c>dsl merge</c>: reads the manifests, checks they are the n shards of one run (same command, configuration, seed, rows and
        /// block; shards 0 … n − 1 each once), joins their rows in block order and prints the whole run's figures.
        /// </summary>
        public static int Merge(GalleryRun run, IReadOnlyList<string> paths, bool saveSamples)
        {
            const string name = "merge";
            if (paths.Count == 0) return SamplingCommands.Fail(name, "give the shard manifests to merge (the <command>-shard-k-of-n.json files that --shard wrote).");
            var shards = new List<(string Path, JsonElement Root, Shard Shard)>();
            foreach (var path in paths)
            {
                JsonElement root;
                try { using var doc = JsonDocument.Parse(File.ReadAllBytes(path)); root = doc.RootElement.Clone(); }
                catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is JsonException)
                {
                    return SamplingCommands.Fail(name, "'" + path + "' is not a readable shard manifest (" + Program.OneLine(e.Message) + ").");
                }
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out var f) || f.GetString() != ManifestFormat)
                    return SamplingCommands.Fail(name, "'" + path + "' is not a shard manifest (no \"format\": \"" + ManifestFormat + "\").");
                if (Shard.TryParse(root.GetProperty("shard").GetString(), out var shard) is string bad) return SamplingCommands.Fail(name, "'" + path + "': " + bad);
                shards.Add((path, root, shard));
            }
            var head = shards[0].Root;
            foreach (var key in new[] { "command", "config", "seed", "rows", "block" })
                foreach (var s in shards.Skip(1))
                    if (s.Root.GetProperty(key).GetRawText() != head.GetProperty(key).GetRawText())
                        return SamplingCommands.Fail(name, "'" + s.Path + "' is from another run than '" + shards[0].Path + "': its \"" + key + "\" differs.");
            int n = shards[0].Shard.Count;
            if (shards.Any(s => s.Shard.Count != n)) return SamplingCommands.Fail(name, "the manifests split the run into different numbers of shards.");
            var missing = Enumerable.Range(0, n).Where(k => shards.Count(s => s.Shard.Index == k) != 1).ToList();
            if (missing.Count > 0)
                return SamplingCommands.Fail(name, "shards of " + n + " must each be given once; " + string.Join(", ", missing.Select(k => k + "/" + n + (shards.Any(s => s.Shard.Index == k) ? " (twice)" : " (missing)"))) + ".");
            string commandName = head.GetProperty("command").GetString()!;
            var command = ShardableCommand.Find(commandName, head.GetProperty("config"));
            if (command is null) return SamplingCommands.Fail(name, "'" + shards[0].Path + "' is from command '" + commandName + "', which cannot be merged.");
            var ordered = shards.OrderBy(s => s.Shard.Index).ToList();
            var arrays = new Dictionary<string, List<Tensor>>();
            var counters = new Dictionary<string, List<double>>();
            try
            {
                foreach (var s in ordered)
                {
                    string folder = Path.GetDirectoryName(Path.GetFullPath(s.Path))!;
                    foreach (var a in s.Root.GetProperty("arrays").EnumerateObject())
                    {
                        string file = Path.Combine(folder, a.Value.GetString()!);
                        ArrayData data;
                        try { data = ArrayFiles.Read(file); }
                        catch (DataFileException e) { return SamplingCommands.Fail(name, e.Message); }
                        // The reader flattens every axis after the first; the shard wrote [rows, columns] already.
                        if (!arrays.TryGetValue(a.Name, out var list)) arrays[a.Name] = list = new List<Tensor>();
                        list.Add(data.Values);
                    }
                    int blocks = s.Root.GetProperty("end_block").GetInt32() - s.Root.GetProperty("first_block").GetInt32();
                    foreach (var c in s.Root.GetProperty("counters").EnumerateObject())
                    {
                        if (!counters.TryGetValue(c.Name, out var list)) counters[c.Name] = list = new List<double>();
                        list.AddRange(c.Value.EnumerateArray().Select(v => v.GetDouble()));
                    }
                    _ = blocks;
                }
                var joined = arrays.ToDictionary(kv => kv.Key, kv => kv.Value.Count == 1 ? kv.Value[0].to_type(ScalarType.Float64) : cat(kv.Value.Select(t => t.to_type(ScalarType.Float64)).ToList(), 0));
                using var rows = new RunRows(joined, counters.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray()), false);
                return run.Finish(command.Summarise(head.GetProperty("config"), rows, run, head.GetProperty("seed").GetInt64(), saveSamples), false);
            }
            finally
            {
                foreach (var list in arrays.Values) foreach (var t in list) t.Dispose();
            }
        }

        /// <summary>The `dsl merge` command.</summary>
        public static Command BuildMerge(GalleryOptions o)
        {
            var files = new Argument<string[]>("manifests") { Description = "The shard manifests (<command>-shard-k-of-n.json) of one run, one per shard, in any order.", Arity = ArgumentArity.OneOrMore };
            var save = new Option<bool>("--save-samples") { Description = "Also write the merged samples as a float64 .npy beside the PNG." };
            var command = new Command("merge", "Combine the shards of a sharded run (--shard k/n) into exactly the whole run's figures (PNGs in --out; seconds are the shards' sum).");
            command.Arguments.Add(files);
            command.Options.Add(save);
            command.SetAction(r => o.Run("merge", r, run => Merge(run, r.GetValue(files) ?? Array.Empty<string>(), r.GetValue(save))));
            return command;
        }

        /// <summary>
        /// Writes the rows (samples [N, D], images flattened) as a float64 .npy named after <paramref name="png"/> (its extension replaced)
        /// when asked; returns the file's path or null. For the training commands, which draw their samples once after training.
        /// </summary>
        public static string? SaveSamplesBeside(string png, System.Collections.Generic.IReadOnlyList<double[]> rows, bool save)
        {
            if (!save || rows.Count == 0) return null;
            var path = Path.ChangeExtension(png, ".npy");
            int d = rows[0].Length;
            using var values = tensor(rows.SelectMany(r => r).ToArray(), new long[] { rows.Count, d }, ScalarType.Float64);
            ArrayFiles.WriteNpy(path, values);
            return path;
        }

        /// <summary>A command's own --save-samples (the sample-drawing training commands).</summary>
        public static Option<bool> SaveSamplesOption() => new("--save-samples") { Description = "Also write the samples as a float64 .npy beside the PNG (the JSON names it: samples_npy)." };

        /// <summary>Writes the samples beside the PNG when asked; returns the file's path or null.</summary>
        public static string? SaveSamples(GalleryRun run, string file, Tensor samples, bool save)
        {
            if (!save) return null;
            var path = run.Output(file);
            ArrayFiles.WriteNpy(path, samples);
            return path;
        }
    }
}
