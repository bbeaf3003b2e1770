using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace Dsl.Bench
{
    /// <summary>One timed row of a hand-written PyTorch peer: milliseconds per call (per step for W4).</summary>
    public sealed record PeerRow(string Path, double MsMedian, double MsMin);

    /// <summary>What one peer script printed: its workload, the PyTorch version, the threads it ran with, its rows.</summary>
    public sealed record PeerResult(string Workload, string Peer, int Threads, IReadOnlyList<PeerRow> Rows, string Json);

    /// <summary>
    /// Runs the hand-written PyTorch peers (Bench/peers/*.py) as subprocesses in the same run as the .NET rows, with the same
    /// thread count, and reads the one JSON line each prints. The interpreter is Debian's <c>/usr/bin/python3</c> with
    /// python3-torch, or <c>DSL_PEER_PYTHON</c>. When it cannot import torch the suite says so, how to install it, and goes on
    /// with the .NET rows.
    /// </summary>
    public static class PeerRunner
    {
        /// <summary>The command that installs the peers' PyTorch on Debian/Ubuntu.</summary>
        public const string InstallHint = "sudo apt-get install -y python3-torch python3-scipy   (Debian 12: PyTorch 1.13, CPU; scipy for W6's solve_ivp; or set DSL_PEER_PYTHON to a python that has them)";

        private static string? unavailable;
        private static bool probed;

        /// <summary>The interpreter the peers run under.</summary>
        public static string Python => Environment.GetEnvironmentVariable("DSL_PEER_PYTHON") is { Length: > 0 } p ? p : "/usr/bin/python3";

        /// <summary>The folder of the peer scripts (copied beside the Bench binary).</summary>
        public static string ScriptFolder => Path.Combine(AppContext.BaseDirectory, "peers");

        /// <summary>Null when the peers can run; otherwise why not and how to fix it (probed once per process).</summary>
        public static string? Unavailable()
        {
            if (probed) return unavailable;
            probed = true;
            if (!File.Exists(Path.Combine(ScriptFolder, "_peer.py")))
                return unavailable = "the peer scripts are missing from " + ScriptFolder + " (build Bench/ again).";
            var (code, output) = Execute("-c \"import torch; print(torch.__version__)\"", 120);
            if (code != 0)
                return unavailable = Python + " cannot import torch (" + FirstLine(output) + "). Install it with: " + InstallHint;
            return null;
        }

        /// <summary>
        /// Runs <paramref name="script"/> (e.g. w1_langevin.py) with <c>--threads</c> and the extra arguments; null (and
        /// <paramref name="problem"/>) when PyTorch is missing or the script fails.
        /// </summary>
        public static PeerResult? Run(string script, int threads, string extraArguments, out string? problem)
        {
            problem = Unavailable();
            if (problem is not null) return null;
            string arguments = "\"" + Path.Combine(ScriptFolder, script) + "\" --threads " + threads.ToString(CultureInfo.InvariantCulture) + " " + extraArguments;
            var (code, output) = Execute(arguments, 3600);
            string? line = output.Split('\n').LastOrDefault(l => l.TrimStart().StartsWith("{", StringComparison.Ordinal));
            if (code != 0 || line is null)
            {
                problem = script + " exited with " + code + ": " + output.Trim();
                return null;
            }
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            var rows = root.GetProperty("rows").EnumerateArray()
                .Select(r => new PeerRow(r.GetProperty("path").GetString()!, r.GetProperty("ms_median").GetDouble(), r.GetProperty("ms_min").GetDouble()))
                .ToList();
            return new PeerResult(root.GetProperty("workload").GetString()!, root.GetProperty("peer").GetString()!, root.GetProperty("threads").GetInt32(), rows, line.Trim());
        }

        private static (int Code, string Output) Execute(string arguments, int timeoutSeconds)
        {
            try
            {
                var info = new ProcessStartInfo(Python, arguments)
                {
                    RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = ScriptFolder,
                };
                using var process = Process.Start(info)!;
                var stderr = process.StandardError.ReadToEndAsync();
                string stdout = process.StandardOutput.ReadToEnd();
                if (!process.WaitForExit(timeoutSeconds * 1000)) { process.Kill(true); return (-1, "timed out after " + timeoutSeconds + " s"); }
                return (process.ExitCode, stdout + stderr.Result);
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                return (-1, Python + " not found: " + e.Message);
            }
        }

        private static string FirstLine(string text)
        {
            var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return lines.Length == 0 ? "no output" : lines[^1];
        }
    }
}
