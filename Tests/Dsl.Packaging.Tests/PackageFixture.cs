using System;
using System.IO;
using System.Runtime.CompilerServices;

namespace Dsl.Packaging.Tests
{
    /// <summary>
    /// Packs Dsl.Runtime and Dsl.Templates once per test class into a fresh temporary feed, from the outputs that
    /// the solution build already made (pack --no-build, so the repository's own build outputs stay untouched), with
    /// a version of their own (so NuGet's global package cache never serves a stale copy). Cleans up after itself:
    /// the temporary folder, and that version's folders in the global package cache.
    /// </summary>
    public sealed class PackageFixture : IDisposable
    {
#if DSL_RELEASE
        public const string Configuration = "Release";
#else
        public const string Configuration = "Debug";
#endif

        public static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(4);

        public string Root { get; }
        public string Feed { get; }
        public string Version { get; }
        public string RepoRoot { get; } = FindRepoRoot();
        public string RuntimePackage => Path.Combine(Feed, "Dsl.Runtime." + Version + ".nupkg");
        public string RuntimeSymbols => Path.Combine(Feed, "Dsl.Runtime." + Version + ".snupkg");
        public string TemplatePackage => Path.Combine(Feed, "Dsl.Templates." + Version + ".nupkg");

        /// <summary>Set by a test that failed, so the folder stays for inspection (its path is in the message).</summary>
        public bool Keep { get; set; }

        private readonly Lazy<(CliResult Runtime, CliResult Templates)> packs;

        public PackageFixture()
        {
            Version = "0.1.0-consumer." + DateTime.UtcNow.ToString("yyyyMMddHHmmss") + "." + Environment.ProcessId;
            Root = Path.Combine(Path.GetTempPath(), "dsl-consumer-" + Guid.NewGuid().ToString("N").Substring(0, 8));
            Feed = Path.Combine(Root, "feed");
            Directory.CreateDirectory(Feed);
            packs = new Lazy<(CliResult, CliResult)>(() => (Pack("Runtime/Dsl.Runtime.csproj"), Pack("Templates/Dsl.Templates.csproj")));
        }

        /// <summary>Packs both (once); a failure message carries the command and the end of its output.</summary>
        public void EnsurePacked()
        {
            var (runtime, templates) = packs.Value;
            foreach (var r in new[] { runtime, templates })
                if (r.ExitCode != 0) { Keep = true; throw new Xunit.Sdk.XunitException("packing failed: " + r); }
            foreach (var f in new[] { RuntimePackage, RuntimeSymbols, TemplatePackage })
                if (!File.Exists(f)) { Keep = true; throw new Xunit.Sdk.XunitException("pack did not write " + f + "; pack output:\n" + runtime.Tail() + "\n" + templates.Tail()); }
        }

        private CliResult Pack(string project) => DotnetCli.Run(RepoRoot, PackTimeout,
            "pack", Path.Combine(RepoRoot, project), "-c", Configuration, "--no-build", "-o", Feed, "-nodeReuse:false",
            "-p:PackageVersion=" + Version, "-p:NuspecOutputPath=" + Path.Combine(Root, "nuspec") + Path.DirectorySeparatorChar);

        private static string FindRepoRoot([CallerFilePath] string file = "") =>
            Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, "..", ".."));

        public void Dispose()
        {
            if (!Keep)
            {
                TryDelete(Root);
                string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
                    ? p : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
                TryDelete(Path.Combine(cache, "dsl.runtime", Version.ToLowerInvariant()));
                TryDelete(Path.Combine(cache, "dsl.templates", Version.ToLowerInvariant()));
            }
        }

        private static void TryDelete(string dir)
        {
            try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }
}
