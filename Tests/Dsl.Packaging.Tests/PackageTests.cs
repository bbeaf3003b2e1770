using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Xml.Linq;

namespace Dsl.Packaging.Tests
{
    [CollectionDefinition(Name)]
    public sealed class PackagesCollection : ICollectionFixture<PackageFixture>
    {
        public const string Name = "packages";
    }

    /// <summary>What is inside the two packages a model author uses.</summary>
    [Collection(PackagesCollection.Name)]
    public class PackageLayoutTests
    {
        private readonly PackageFixture packages;
        public PackageLayoutTests(PackageFixture packages) { this.packages = packages; packages.EnsurePacked(); }

        private static XElement Metadata(ZipArchive zip)
        {
            var nuspec = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
            using var s = nuspec.Open();
            return XDocument.Load(s).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        }

        private static XElement? Child(XElement e, string name) => e.Elements().FirstOrDefault(x => x.Name.LocalName == name);

        [Fact]
        public void Runtime_package_carries_the_generators_the_native_fixup_readme_license_and_cpu_backend()
        {
            using var zip = ZipFile.OpenRead(packages.RuntimePackage);
            var files = zip.Entries.Select(e => e.FullName).ToHashSet();
            foreach (var expected in new[] { "lib/net10.0/Dsl.Runtime.dll", "lib/net10.0/Dsl.Runtime.xml", "analyzers/dotnet/cs/Dsl.Generators.dll", "analyzers/dotnet/cs/Dsl.CodeFixes.dll",
                         "buildTransitive/Dsl.Runtime.targets", "buildTransitive/ElfVersionPatch.cs", "README.md" })
                Assert.True(files.Contains(expected), expected + " missing from the package; it has: " + string.Join(", ", files.OrderBy(f => f)));
            Assert.DoesNotContain(files, f => f.StartsWith("lib/", StringComparison.Ordinal) && f.Contains("Generators", StringComparison.Ordinal));

            var meta = Metadata(zip);
            Assert.Equal(packages.Version, Child(meta, "version")!.Value);
            var license = Child(meta, "license")!;
            Assert.Equal("expression", license.Attribute("type")!.Value);
            Assert.Equal("MIT", license.Value);
            Assert.Equal("README.md", Child(meta, "readme")!.Value);
            var dependencies = meta.Descendants().Where(e => e.Name.LocalName == "dependency").ToDictionary(e => e.Attribute("id")!.Value, e => e.Attribute("version")!.Value);
            Assert.Equal("0.107.0", dependencies["TorchSharp"]);
            Assert.Equal("2.10.0", dependencies["libtorch-cpu-linux-x64"]);
            Assert.Equal("1.4.4", dependencies["TorchSharp.PyBridge"]);   // Dsl.Weights: safetensors and torch.save state dicts
            Assert.Equal(3, dependencies.Count);   // no project of this repository leaks in as a package dependency

            using var symbols = ZipFile.OpenRead(packages.RuntimeSymbols);
            Assert.Contains(symbols.Entries, e => e.FullName == "lib/net10.0/Dsl.Runtime.pdb");
        }

        [Fact]
        public void Template_package_is_a_template_whose_project_references_the_same_runtime_version()
        {
            using var zip = ZipFile.OpenRead(packages.TemplatePackage);
            var files = zip.Entries.Select(e => e.FullName).ToHashSet();
            Assert.Contains("content/dsl-model/.template.config/template.json", files);
            Assert.Contains("content/dsl-model/Models.cs", files);
            Assert.DoesNotContain(files, f => f.Contains("/bin/", StringComparison.Ordinal) || f.Contains("/obj/", StringComparison.Ordinal) || f.Contains("/Generated/", StringComparison.Ordinal));
            var meta = Metadata(zip);
            Assert.Contains(meta.Descendants(), e => e.Name.LocalName == "packageType" && e.Attribute("name")?.Value == "Template");
            using var project = new StreamReader(zip.GetEntry("content/dsl-model/DslModel.csproj")!.Open());
            Assert.Contains("<PackageReference Include=\"Dsl.Runtime\" Version=\"" + packages.Version + "\" />", project.ReadToEnd());
        }
    }
}
