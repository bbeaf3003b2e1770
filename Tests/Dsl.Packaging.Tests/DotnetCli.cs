using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;

namespace Dsl.Packaging.Tests
{
    /// <summary>The outcome of one `dotnet` command.</summary>
    public sealed record CliResult(string Command, int ExitCode, bool TimedOut, string Output, TimeSpan Elapsed)
    {
        /// <summary>The last lines of the output, for failure messages.</summary>
        public string Tail(int lines = 60) => string.Join("\n", Output.Split('\n').TakeLast(lines));

        public override string ToString() =>
            $"`{Command}` {(TimedOut ? "timed out" : "exited with " + ExitCode)} after {Elapsed.TotalSeconds:F0} s; last lines of its output:\n{Tail()}";
    }

    /// <summary>
    /// Runs the `dotnet` CLI as a child process with a timeout and captured output. Build servers and MSBuild node
    /// reuse are off, so no grandchild outlives the command holding its output pipes; variables that the surrounding
    /// `dotnet test` set for its own MSBuild are removed, so the child behaves as on a user's shell.
    /// </summary>
    public static class DotnetCli
    {
        public static string Executable =>
            Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

        public static CliResult Run(string workingDirectory, TimeSpan timeout, params string[] args)
        {
            var info = new ProcessStartInfo(Executable)
            {
                WorkingDirectory = workingDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in args) info.ArgumentList.Add(a);
            foreach (var key in info.Environment.Keys.ToList())
                if (key.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)
                    || key.StartsWith("MSBuild", StringComparison.Ordinal))
                    info.Environment.Remove(key);
            info.Environment["MSBUILDDISABLENODEREUSE"] = "1";
            info.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
            info.Environment["UseSharedCompilation"] = "false";
            info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            info.Environment["DOTNET_NOLOGO"] = "1";
            info.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";

            string command = "dotnet " + string.Join(" ", args);
            var output = new StringBuilder();
            var watch = Stopwatch.StartNew();
            using var process = new Process { StartInfo = info };
            // Each reader signals the end of its stream (a null line): WaitForExit(timeout) does not wait for the asynchronous
            // readers, so without this the last lines ("Passed!  - …") could be missing from a run that exited 0.
            using var outputClosed = new ManualResetEventSlim();
            using var errorClosed = new ManualResetEventSlim();
            process.OutputDataReceived += (_, e) => { if (e.Data == null) outputClosed.Set(); else lock (output) output.Append(e.Data).Append('\n'); };
            process.ErrorDataReceived += (_, e) => { if (e.Data == null) errorClosed.Set(); else lock (output) output.Append(e.Data).Append('\n'); };
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            bool exited = process.WaitForExit((int)timeout.TotalMilliseconds);
            if (!exited)
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                process.WaitForExit(10_000);
            }
            // Bounded: no build server holds the pipes (node reuse and the MSBuild server are off above).
            outputClosed.Wait(TimeSpan.FromSeconds(30));
            errorClosed.Wait(TimeSpan.FromSeconds(30));
            string text;
            lock (output) text = output.ToString();
            return new CliResult(command, exited ? process.ExitCode : -1, !exited, text, watch.Elapsed);
        }
    }
}
