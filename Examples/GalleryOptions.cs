using System;
using System.CommandLine;

namespace Dsl.Examples
{
    /// <summary>The options every gallery command takes (--seed, --out, --device, --json), and the way a command runs with them.</summary>
    internal sealed class GalleryOptions
    {
        public Option<long> Seed { get; } = new("--seed") { Description = "Random seed (same seed, same result).", DefaultValueFactory = _ => 0, Recursive = true };
        public Option<string> Out { get; } = new("--out") { Description = "Folder for PNGs and checkpoints.", DefaultValueFactory = _ => "out", Recursive = true };
        public Option<string> Device { get; } = new("--device") { Description = "cpu or cuda.", DefaultValueFactory = _ => "cpu", Recursive = true };
        public Option<bool> Json { get; } = new("--json") { Description = "Print one JSON object of the run's figures as the last line.", Recursive = true };

        /// <summary>Runs <paramref name="body"/> with the parsed shared options; a bad --device is a one-line error, exit 2.</summary>
        public int Run(string command, ParseResult r, Func<GalleryRun, int> body)
        {
            if (!Program.TryDevice(r.GetValue(Device)!, out var device)) return 2;
            using var run = new GalleryRun(command, r.GetValue(Seed), r.GetValue(Out)!, device, r.GetValue(Json));
            return body(run);
        }
    }
}
