using System;
using System.CommandLine;
using System.IO;
using System.Threading;

namespace Dsl.Examples
{
    /// <summary>
    /// --init-from and --export, shared by the training commands: start from a PyTorch-compatible weights file (.safetensors,
    /// .pt or .pth: Dsl.Weights) and write the trained weights as one after the run. The options are checked while parsing (the
    /// extension; --init-from must exist), the run's trainer reads them through <see cref="InitFrom"/> and <see cref="Export"/>,
    /// and a file that does not fit the network is one line naming the file and the key, exit 2. The JSON gains init_from and
    /// export (full paths).
    /// </summary>
    internal sealed class GalleryWeights
    {
        private static readonly AsyncLocal<(string? InitFrom, string? Export)> current = new();
        private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Command, GalleryWeights> commands = new();

        private GalleryWeights()
        {
            InitFromOption.Validators.Add(r =>
            {
                var path = r.GetValueOrDefault<string?>();
                if (path is null) return;
                if (!Weights.IsWeightsFile(path)) r.AddError("--init-from '" + path + "' must be a .safetensors, .pt or .pth file.");
                else if (!File.Exists(path)) r.AddError("--init-from '" + path + "': no such file.");
            });
            ExportOption.Validators.Add(r =>
            {
                var path = r.GetValueOrDefault<string?>();
                if (path is null) return;
                if (!Weights.IsWeightsFile(path)) r.AddError("--export '" + path + "' must end in .safetensors, .pt or .pth.");
                else if (Directory.Exists(path)) r.AddError("--export '" + path + "' is a folder; it must name a file.");
            });
        }

        public Option<string?> InitFromOption { get; } = new("--init-from") { Description = "Start training from these weights (.safetensors, .pt or .pth; PyTorch state-dict key names) instead of the initialisation; a resumed checkpoint takes precedence." };

        public Option<string?> ExportOption { get; } = new("--export") { Description = "After training, write the weights to this file (.safetensors, or .pt/.pth for torch.load), loadable by model.load_state_dict in PyTorch." };

        /// <summary>The --init-from file of the training that runs on this flow of control (null: none, or outside a training command).</summary>
        public static string? InitFrom => current.Value.InitFrom;

        /// <summary>The --export file of the training that runs on this flow of control.</summary>
        public static string? Export => current.Value.Export;

        /// <summary>Adds --init-from and --export to <paramref name="command"/>; <see cref="GalleryOptions.Run"/> then runs it through <see cref="Run"/>.</summary>
        public static void AddTo(Command command)
        {
            var weights = new GalleryWeights();
            command.Options.Add(weights.InitFromOption);
            command.Options.Add(weights.ExportOption);
            commands.AddOrUpdate(command, weights);
        }

        /// <summary>The options <see cref="AddTo"/> gave <paramref name="command"/>, or null.</summary>
        public static GalleryWeights? For(Command command) => commands.TryGetValue(command, out var weights) ? weights : null;

        /// <summary>
        /// Runs <paramref name="body"/> with the parsed paths visible to the trainer, and turns a weights file that does not fit
        /// (or cannot be written) into one line naming the file and the key, exit 2. The folder of --export must be writable.
        /// </summary>
        public int Run(string command, ParseResult r, GalleryRun run, Func<int> body)
        {
            string? initFrom = r.GetValue(InitFromOption), export = r.GetValue(ExportOption);
            if (export != null && Path.GetDirectoryName(Path.GetFullPath(export)) is string folder && GalleryOptions.WritableFolderProblem("--export folder", folder) is string problem)
                return SamplingCommands.Fail(command, problem);
            var saved = current.Value;
            current.Value = (initFrom, export);
            run.InitFrom = initFrom is null ? null : Path.GetFullPath(initFrom);
            run.Export = export is null ? null : Path.GetFullPath(export);
            try { return body(); }
            catch (WeightsException e) { return SamplingCommands.Fail(command, e.Message); }
            finally { current.Value = saved; }
        }

        /// <summary>Runs <paramref name="body"/> (a second, comparison training inside a command) without the command's weights files.</summary>
        public static T Without<T>(Func<T> body)
        {
            var saved = current.Value;
            current.Value = default;
            try { return body(); }
            finally { current.Value = saved; }
        }
    }
}
