using System;
using System.IO;

namespace Dsl.Training
{
    /// <summary>
    /// Writes a file whole or not at all: into a temporary file beside it (the process id in its name, so concurrent writers do
    /// not share one), flushed to disk, then moved over the target. A crash or Ctrl-C mid-write leaves the old file intact.
    /// </summary>
    internal static class AtomicFile
    {
        /// <summary>Creates <paramref name="path"/>'s directory if needed and writes the file with <paramref name="write"/>.</summary>
        public static void Write(string path, Action<Stream> write)
        {
            var full = Path.GetFullPath(path);
            var directory = Path.GetDirectoryName(full);
            if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
            var temp = full + ".tmp-" + Environment.ProcessId;
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
    }
}
