using System;
using System.CommandLine;
using System.IO;

namespace Dsl.Examples
{
    /// <summary>The options every gallery command takes (--seed, --out, --device, --json), and the way a command runs with them.</summary>
    internal sealed class GalleryOptions
    {
        public GalleryOptions()
        {
            // What --out can be judged on without touching the disk is checked while parsing; whether the folder can be created
            // and written is probed by Run, only for the commands that write into it.
            Out.Validators.Add(r =>
            {
                var dir = r.GetValueOrDefault<string>();
                if (string.IsNullOrWhiteSpace(dir)) r.AddError("--out must name a folder, got an empty path.");
                else if (File.Exists(dir)) r.AddError("--out '" + dir + "' is an existing file; it must name a folder (existing or to be created).");
            });
        }

        public Option<long> Seed { get; } = new("--seed") { Description = "Random seed (same seed, same result).", DefaultValueFactory = _ => 0, Recursive = true };
        public Option<string> Out { get; } = new("--out") { Description = "Folder for PNGs and checkpoints.", DefaultValueFactory = _ => "out", Recursive = true };
        public Option<string> Device { get; } = new("--device") { Description = "cpu or cuda.", DefaultValueFactory = _ => "cpu", Recursive = true };
        public Option<bool> Json { get; } = new("--json") { Description = "Print one JSON object of the run's figures as the last line.", Recursive = true };

        /// <summary>
        /// Runs <paramref name="body"/> with the parsed shared options. A bad --device, or (when <paramref name="writesFiles"/>) an
        /// --out folder that cannot be created or written, is a one-line error, exit 2, before the command starts any work.
        /// </summary>
        public int Run(string command, ParseResult r, Func<GalleryRun, int> body, bool writesFiles = true)
        {
            if (!Program.TryDevice(command, r.GetValue(Device)!, out var device)) return 2;
            string outDir = r.GetValue(Out)!;
            if (writesFiles && WritableFolderProblem("--out", outDir) is string problem) return SamplingCommands.Fail(command, problem);
            using var run = new GalleryRun(command, r.GetValue(Seed), outDir, device, r.GetValue(Json));
            // A training command with --init-from/--export (GalleryWeights.AddTo) runs with them visible to its trainer.
            if (GalleryWeights.For(r.CommandResult.Command) is GalleryWeights weights) return weights.Run(command, r, run, () => body(run));
            return body(run);
        }

        /// <summary>
        /// Null when <paramref name="dir"/> exists or can be created and a file can be written in it (probed by creating the folder and
        /// a temporary file that deletes itself); otherwise the one-line reason naming <paramref name="option"/>. Checking the path's
        /// syntax or permissions alone would miss read-only mounts, /proc and full disks.
        /// </summary>
        public static string? WritableFolderProblem(string option, string dir)
        {
            if (string.IsNullOrWhiteSpace(dir)) return option + " must name a folder, got an empty path.";
            if (File.Exists(dir)) return option + " '" + dir + "' is an existing file; it must name a folder (existing or to be created).";
            try
            {
                Directory.CreateDirectory(dir);
                var probe = Path.Combine(dir, ".dsl-write-probe-" + Guid.NewGuid().ToString("N"));
                using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
                return null;
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is ArgumentException || e is NotSupportedException)
            {
                return option + " '" + dir + "' is not a folder this process can write to (" + Program.OneLine(e.Message) + ").";
            }
        }

        /// <summary>
        /// The checkpoint a --checkpoint option or the default name in --out points to, or the one-line reason it cannot be used: with
        /// --resume it must exist (resuming from nothing would silently train from scratch), and its folder must be writable.
        /// </summary>
        public static string? CheckpointProblem(string option, string path, bool resume)
        {
            if (string.IsNullOrWhiteSpace(path)) return option + " must name a file, got an empty path.";
            if (Directory.Exists(path)) return option + " '" + path + "' is a folder; it must name a checkpoint file.";
            if (resume && !File.Exists(path)) return "--resume: there is no checkpoint at '" + path + "' to continue from; run without --resume to start one.";
            var folder = Path.GetDirectoryName(Path.GetFullPath(path));
            return folder == null ? null : WritableFolderProblem(option + " folder", folder);
        }
    }
}
