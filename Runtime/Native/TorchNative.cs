using System;
using System.IO;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Dsl.Native;

namespace Dsl
{
    /// <summary>
    /// Start-up safety net for the TorchSharp native glue on Linux distributions whose libstdc++ predates GCC 13
    /// (see Runtime/build/ElfVersionPatch.cs). The build already patched the output folder; this covers copies
    /// made another way (a folder copied from elsewhere, TorchSharp's fallback cpu/ folder).
    /// </summary>
    public static class TorchNative
    {
        private const string Version = "GLIBCXX_3.4.32";

        /// <summary>Patches the glue next to the application when this system's libstdc++ lacks <c>GLIBCXX_3.4.32</c>. Never throws.</summary>
        public static void EnsureLoadable()
        {
            try
            {
                if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux) || SystemProvides(Version)) return;
                string baseDir = AppContext.BaseDirectory;
                foreach (var relative in new[] { "runtimes/linux-x64/native/libLibTorchSharp.so", "cpu/libLibTorchSharp.so", "cuda/libLibTorchSharp.so", "libLibTorchSharp.so" })
                {
                    var path = Path.Combine(baseDir, relative);
                    if (File.Exists(path) && !ElfVersionPatch.IsLoadableWithoutVersion(path, Version))
                        ElfVersionPatch.MarkVersionWeak(path, Version);
                }
            }
            catch (IOException)
            {
                // A read-only install: the build-time target has already patched it, or loading reports the cause.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        /// <summary>True when a system libstdc++ the loader would use defines the version node.</summary>
        public static bool SystemProvides(string version)
        {
            foreach (var path in new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6" })
            {
                if (!File.Exists(path)) continue;
                var bytes = File.ReadAllBytes(path);
                var needle = System.Text.Encoding.ASCII.GetBytes(version + "\0");
                return bytes.AsSpan().IndexOf(needle) >= 0;
            }
            return false;
        }

#pragma warning disable CA2255 // A library module initializer is the point: it must run before TorchSharp loads its natives.
        [ModuleInitializer]
        internal static void Initialize() => EnsureLoadable();
#pragma warning restore CA2255
    }
}
