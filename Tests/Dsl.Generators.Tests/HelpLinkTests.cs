using System;
using System.IO;
using System.Linq;
using System.Reflection;
using Dsl.Generators.Diagnostics;
using Microsoft.CodeAnalysis;

namespace Dsl.Generators.Tests
{
    /// <summary>Every diagnostic links to its page: HelpLinkUri = HelpLinkBase + id + ".md", and the page exists and is indexed.</summary>
    public class HelpLinkTests
    {
        public static DiagnosticDescriptor[] Descriptors() =>
            typeof(DiagnosticDescriptors).GetFields(BindingFlags.Public | BindingFlags.Static)
                .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
                .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
                .OrderBy(d => d.Id, StringComparer.Ordinal).ToArray();

        private static string DocsFolder => Path.Combine(GeneratorFixture.RepoRoot(), "docs", "diagnostics");

        [Fact]
        public void Every_descriptor_has_a_help_link_to_an_existing_page()
        {
            var descriptors = Descriptors();
            Assert.True(descriptors.Length >= 18, "the catalogue shrank? " + descriptors.Length);
            Assert.Equal(descriptors.Length, descriptors.Select(d => d.Id).Distinct().Count());
            foreach (var d in descriptors)
            {
                Assert.Equal(DiagnosticDescriptors.HelpLinkBase + d.Id + ".md", d.HelpLinkUri);
                // The base is relative to the repository root (see DiagnosticDescriptors.HelpLinkBase).
                var page = Path.Combine(GeneratorFixture.RepoRoot(), d.HelpLinkUri.Replace('/', Path.DirectorySeparatorChar));
                Assert.True(File.Exists(page), d.Id + ": no help page at " + d.HelpLinkUri);
                var text = File.ReadAllText(page);
                Assert.StartsWith("# " + d.Id + ":", text, StringComparison.Ordinal);
                Assert.Contains("Severity: " + d.DefaultSeverity, text, StringComparison.Ordinal);
            }
        }

        [Fact]
        public void Every_page_belongs_to_a_descriptor_and_the_index_lists_every_id()
        {
            var ids = Descriptors().Select(d => d.Id).ToHashSet();
            var pages = Directory.GetFiles(DocsFolder, "DSL*.md").Select(Path.GetFileNameWithoutExtension).ToList();
            Assert.All(pages, p => Assert.Contains(p!, ids));
            var index = File.ReadAllText(Path.Combine(DocsFolder, "README.md"));
            Assert.All(ids, id => Assert.Contains("[" + id + "](" + id + ".md)", index, StringComparison.Ordinal));
            var unshipped = File.ReadAllText(Path.Combine(GeneratorFixture.RepoRoot(), "Generators", "Dsl.Generators", "AnalyzerReleases.Unshipped.md"));
            Assert.All(ids, id => Assert.Contains(id + " |", unshipped, StringComparison.Ordinal));
        }

        [Fact]
        public void Reported_diagnostics_carry_the_help_link()
        {
            var run = GeneratorFixture.Run("using Dsl; [EnergyModel] public class Plain { [Energy] Scalar E(Vec x) => Dsl.Math.Norm2(x); }");
            var d = Assert.Single(run.Dsl(), x => x.Id == "DSL0001");
            Assert.Equal("docs/diagnostics/DSL0001.md", d.Descriptor.HelpLinkUri);
        }
    }
}
