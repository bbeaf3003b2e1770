using System;
using System.IO;
using Dsl.Native;
using static TorchSharp.torch;

namespace Dsl.Runtime.Tests
{
    public class NativeFixupTests
    {
        private static string GlueFromPackageCache() =>
            Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages", "torchsharp", "0.107.0",
                "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

        [Fact]
        public void Torch_runs_in_the_test_process()
        {
            // Proves the build-time fix-up ran on this output folder (on Debian 12 the glue would not load otherwise).
            var x = tensor(new[] { 1.0, 2.0 }, requires_grad: true);
            var y = (x * x).sum();
            y.backward();
            Assert.Equal(new[] { 2.0, 4.0 }, x.grad!.data<double>().ToArray());
        }

        [Fact]
        public void Patch_marks_the_version_weak_once_and_leaves_the_cache_alone()
        {
            var source = GlueFromPackageCache();
            Assert.True(File.Exists(source), "TorchSharp's glue is not in the NuGet cache: " + source);
            var dir = Directory.CreateTempSubdirectory("dsl-elf-");
            try
            {
                var copy = Path.Combine(dir.FullName, "libLibTorchSharp.so");
                File.Copy(source, copy);
                Assert.False(ElfVersionPatch.IsLoadableWithoutVersion(copy, "GLIBCXX_3.4.32"));
                Assert.Equal(ElfPatchOutcome.Patched, ElfVersionPatch.MarkVersionWeak(copy, "GLIBCXX_3.4.32"));
                Assert.True(ElfVersionPatch.IsLoadableWithoutVersion(copy, "GLIBCXX_3.4.32"));
                Assert.Equal(ElfPatchOutcome.AlreadyWeak, ElfVersionPatch.MarkVersionWeak(copy, "GLIBCXX_3.4.32"));
                Assert.Equal(new FileInfo(source).Length, new FileInfo(copy).Length);
                Assert.Equal(ElfPatchOutcome.NotRequired, ElfVersionPatch.MarkVersionWeak(copy, "GLIBCXX_9.9.99"));
                Assert.False(ElfVersionPatch.IsLoadableWithoutVersion(source, "GLIBCXX_3.4.32"));   // the cache is never patched

                var garbage = Path.Combine(dir.FullName, "garbage.so");
                File.WriteAllBytes(garbage, new byte[] { 1, 2, 3, 4, 5 });
                Assert.Equal(ElfPatchOutcome.NotElf, ElfVersionPatch.MarkVersionWeak(garbage, "GLIBCXX_3.4.32"));
                Assert.Equal(ElfPatchOutcome.Missing, ElfVersionPatch.MarkVersionWeak(Path.Combine(dir.FullName, "none.so"), "GLIBCXX_3.4.32"));
            }
            finally
            {
                dir.Delete(recursive: true);
            }
        }
    }
}
