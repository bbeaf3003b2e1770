using System;
using System.Diagnostics;
using System.IO;
using System.Text.Json;
using System.Threading;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Examples
{
    /// <summary>
    /// What every gallery command shares: the seed, the output folder, the device, JSON or human output,
    /// progress on stderr, and Ctrl-C turned into a cancellation token (the run stops between steps, writes what
    /// it has, and exits with 130).
    /// </summary>
    internal sealed class GalleryRun : IDisposable
    {
        private readonly CancellationTokenSource cancel = new CancellationTokenSource();
        private readonly ConsoleCancelEventHandler handler;

        public GalleryRun(string command, long seed, string outDir, Device device, bool json)
        {
            Command = command; Seed = seed; OutDir = outDir; Device = device; Json = json;
            handler = (_, e) => { e.Cancel = true; cancel.Cancel(); };
            Console.CancelKeyPress += handler;
        }

        public string Command { get; }
        public long Seed { get; }
        public string OutDir { get; }
        public Device Device { get; }
        public bool Json { get; }
        public CancellationToken Cancellation => cancel.Token;

        /// <summary>The full path of --init-from when the command took one (the JSON's init_from).</summary>
        public string? InitFrom { get; set; }

        /// <summary>The full path of --export when the command took one (the JSON's export, once the file is written).</summary>
        public string? Export { get; set; }

        /// <summary>A path in the output folder (created on demand).</summary>
        public string Output(string file)
        {
            Directory.CreateDirectory(OutDir);
            return Path.Combine(OutDir, file);
        }

        /// <summary>Progress as one rewritten stderr line, at most ten times a second; silent when stderr is not a terminal.</summary>
        public IProgress<T> Progress<T>(Func<T, string> describe) => new LineProgress<T>(Command, describe);

        /// <summary>Prints the figures: one JSON object as the last stdout line, or "key: value" lines.</summary>
        public int Finish(object figures, bool cancelled)
        {
            LineProgress<object>.Clear();
            if (InitFrom != null || Export != null)
            {
                var node = System.Text.Json.Nodes.JsonNode.Parse(JsonSerializer.Serialize(figures))!.AsObject();
                if (InitFrom != null) node["init_from"] = InitFrom;
                if (Export != null && File.Exists(Export)) node["export"] = Export;
                figures = node;
            }
            if (Json) Console.WriteLine(JsonSerializer.Serialize(figures));
            else
            {
                using var doc = JsonDocument.Parse(JsonSerializer.Serialize(figures));
                foreach (var p in doc.RootElement.EnumerateObject())
                    Console.WriteLine(p.Name + ": " + (p.Value.ValueKind == JsonValueKind.Array && p.Value.GetArrayLength() > 8 ? "[" + p.Value.GetArrayLength() + " values]" : p.Value.ToString()));
            }
            if (cancelled) Console.Error.WriteLine("dsl " + Command + ": interrupted; the figures above are for the part that ran.");
            return cancelled ? 130 : 0;
        }

        public void Dispose()
        {
            Console.CancelKeyPress -= handler;
            cancel.Dispose();
        }

        private sealed class LineProgress<T> : IProgress<T>
        {
            private static readonly bool Interactive = !Console.IsErrorRedirected;
            private static bool dirty;
            private readonly string command;
            private readonly Func<T, string> describe;
            private readonly Stopwatch clock = Stopwatch.StartNew();
            private long lastMs = -1000;

            public LineProgress(string command, Func<T, string> describe) { this.command = command; this.describe = describe; }

            public void Report(T value)
            {
                if (!Interactive || clock.ElapsedMilliseconds - lastMs < 100) return;
                lastMs = clock.ElapsedMilliseconds;
                Console.Error.Write("\r\u001b[2K" + command + ": " + describe(value));
                dirty = true;
            }

            public static void Clear()
            {
                if (dirty && Interactive) Console.Error.Write("\r\u001b[2K");
                dirty = false;
            }
        }
    }
}
