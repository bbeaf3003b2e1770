// Marks one symbol-version requirement of an ELF64 shared library as weak (VER_FLG_WEAK).
//
// Why: TorchSharp 0.107's libLibTorchSharp.so requires GLIBCXX_3.4.32 (GCC 13's libstdc++) only for the
// marker symbol std::ios_base_library_init(), which no relocation calls. Debian 12 / Ubuntu 22.04 ship an
// older libstdc++, so the loader refuses the library. A weak version requirement only warns.
// See shared/notes/torchsharp-debian12.md. This one file is compiled twice: into Dsl.Runtime (start-up
// bootstrap, DSL_RUNTIME defined) and by MSBuild's RoslynCodeTaskFactory as the build task below, so the
// build output is already loadable before any code runs.
#nullable enable
using System;
using System.IO;
using System.Text;

namespace Dsl.Native
{
    /// <summary>What <see cref="ElfVersionPatch.MarkVersionWeak"/> did to a file.</summary>
    public enum ElfPatchOutcome
    {
        /// <summary>The file is missing.</summary>
        Missing,
        /// <summary>Not a 64-bit little-endian ELF file, or its version sections are malformed.</summary>
        NotElf,
        /// <summary>The file does not require the version at all.</summary>
        NotRequired,
        /// <summary>The requirement was already weak; nothing written.</summary>
        AlreadyWeak,
        /// <summary>The requirement is now weak (written to a temporary file and renamed over the original).</summary>
        Patched,
    }

    /// <summary>Finds an <c>Elf64_Vernaux</c> entry by name in <c>.gnu.version_r</c> and sets <c>VER_FLG_WEAK</c>.</summary>
    public static class ElfVersionPatch
    {
        const uint ShtGnuVerneed = 0x6ffffffe;
        const ushort VerFlagWeak = 0x2;

        /// <summary>Makes the requirement of <paramref name="versionName"/> in <paramref name="path"/> weak; idempotent.</summary>
        public static ElfPatchOutcome MarkVersionWeak(string path, string versionName)
        {
            if (!File.Exists(path)) return ElfPatchOutcome.Missing;
            byte[] image = File.ReadAllBytes(path);
            long flagsOffset = FindVernauxFlagsOffset(image, versionName, out bool malformed);
            if (malformed) return ElfPatchOutcome.NotElf;
            if (flagsOffset < 0) return ElfPatchOutcome.NotRequired;
            ushort flags = BitConverter.ToUInt16(image, (int)flagsOffset);
            if ((flags & VerFlagWeak) != 0) return ElfPatchOutcome.AlreadyWeak;
            flags |= VerFlagWeak;
            image[flagsOffset] = (byte)(flags & 0xff);
            image[flagsOffset + 1] = (byte)(flags >> 8);
            // Atomic replace: a half-written shared library would be worse than the unpatched one.
            string temp = path + ".dslpatch.tmp";
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                stream.Write(image, 0, image.Length);
                stream.Flush(true);
            }
            File.Copy(temp, path, overwrite: true);
            File.Delete(temp);
            return ElfPatchOutcome.Patched;
        }

        /// <summary>True when the library's requirement of <paramref name="versionName"/> is absent or already weak.</summary>
        public static bool IsLoadableWithoutVersion(string path, string versionName)
        {
            if (!File.Exists(path)) return true;
            byte[] image = File.ReadAllBytes(path);
            long offset = FindVernauxFlagsOffset(image, versionName, out bool malformed);
            return malformed || offset < 0 || (BitConverter.ToUInt16(image, (int)offset) & VerFlagWeak) != 0;
        }

        /// <summary>Byte offset of <c>vna_flags</c> for the named entry; -1 when absent. Every offset is bounds-checked.</summary>
        static long FindVernauxFlagsOffset(byte[] image, string versionName, out bool malformed)
        {
            malformed = true;
            if (image.Length < 64 || image[0] != 0x7f || image[1] != (byte)'E' || image[2] != (byte)'L' || image[3] != (byte)'F')
                return -1;
            if (image[4] != 2 || image[5] != 1) return -1; // ELFCLASS64, ELFDATA2LSB
            long sectionHeaders = (long)BitConverter.ToUInt64(image, 0x28);
            int headerSize = BitConverter.ToUInt16(image, 0x3A);
            int headerCount = BitConverter.ToUInt16(image, 0x3C);
            if (headerSize < 64 || sectionHeaders <= 0 || sectionHeaders + (long)headerSize * headerCount > image.Length) return -1;
            byte[] wanted = Encoding.ASCII.GetBytes(versionName);
            for (int s = 0; s < headerCount; s++)
            {
                long header = sectionHeaders + (long)s * headerSize;
                if (BitConverter.ToUInt32(image, (int)header + 4) != ShtGnuVerneed) continue;
                long offset = (long)BitConverter.ToUInt64(image, (int)header + 24);
                long size = (long)BitConverter.ToUInt64(image, (int)header + 32);
                int link = (int)BitConverter.ToUInt32(image, (int)header + 40);
                int entries = (int)BitConverter.ToUInt32(image, (int)header + 44);
                if (offset + size > image.Length || link >= headerCount) return -1;
                long strHeader = sectionHeaders + (long)link * headerSize;
                long strings = (long)BitConverter.ToUInt64(image, (int)strHeader + 24);
                long stringsSize = (long)BitConverter.ToUInt64(image, (int)strHeader + 32);
                if (strings + stringsSize > image.Length) return -1;
                long verneed = offset;
                for (int n = 0; n < entries; n++)
                {
                    if (verneed + 16 > offset + size) return -1;
                    int auxCount = BitConverter.ToUInt16(image, (int)verneed + 2);
                    long aux = verneed + BitConverter.ToUInt32(image, (int)verneed + 8);
                    for (int a = 0; a < auxCount; a++)
                    {
                        if (aux + 16 > offset + size) return -1;
                        long name = strings + BitConverter.ToUInt32(image, (int)aux + 8);
                        if (NameEquals(image, name, strings + stringsSize, wanted))
                        {
                            malformed = false;
                            return aux + 4;
                        }
                        aux += BitConverter.ToUInt32(image, (int)aux + 12);
                    }
                    uint next = BitConverter.ToUInt32(image, (int)verneed + 12);
                    if (next == 0) break;
                    verneed += next;
                }
            }
            malformed = false;
            return -1;
        }

        static bool NameEquals(byte[] image, long at, long end, byte[] wanted)
        {
            if (at + wanted.Length >= end) return false;
            for (int i = 0; i < wanted.Length; i++)
                if (image[at + i] != wanted[i]) return false;
            return image[at + wanted.Length] == 0;
        }
    }

#if !DSL_RUNTIME
    /// <summary>MSBuild task: patches every existing copy of the TorchSharp glue in the given folders.</summary>
    public sealed class PatchTorchSharpGlue : Microsoft.Build.Utilities.Task
    {
        [Microsoft.Build.Framework.Required]
        public string[] Files { get; set; } = Array.Empty<string>();

        public string VersionName { get; set; } = "GLIBCXX_3.4.32";

        public override bool Execute()
        {
            foreach (string file in Files)
            {
                ElfPatchOutcome outcome = ElfVersionPatch.MarkVersionWeak(file, VersionName);
                if (outcome == ElfPatchOutcome.Patched)
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal, "Dsl: marked " + VersionName + " weak in " + file);
                else if (outcome == ElfPatchOutcome.NotElf)
                    Log.LogWarning("Dsl: " + file + " is not an ELF64 library this fix-up understands; left unchanged.");
            }
            return !Log.HasLoggedErrors;
        }
    }
#endif
}
