using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Dsl.Testing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit.Abstractions;

namespace Dsl.Generators.Tests
{
    /// <summary>
    /// No implicit <c>Scalar</c>/<c>Tensor</c> conversion on any path that reaches libtorch: the runtime's sources, the
    /// models and every file the generators write for them. See <see cref="ImplicitScalarScan"/> for why.
    /// </summary>
    public class ImplicitScalarTests
    {
        private readonly ITestOutputHelper output;

        public ImplicitScalarTests(ITestOutputHelper output) => this.output = output;

        private static readonly CSharpParseOptions RuntimeParseOptions =
            GeneratorHarness.ParseOptions.WithPreprocessorSymbols("DSL_RUNTIME", "NET", "NET10_0", "NET10_0_OR_GREATER", "RELEASE");

        /// <summary>The runtime compiled from its sources, as its project does.</summary>
        internal static CSharpCompilation RuntimeCompilation()
        {
            var root = Path.Combine(GeneratorFixture.RepoRoot(), "Runtime");
            var files = Directory.GetFiles(root, "*.cs", SearchOption.AllDirectories)
                .Where(f => !f.Contains(Path.DirectorySeparatorChar + "obj" + Path.DirectorySeparatorChar) && !f.Contains(Path.DirectorySeparatorChar + "bin" + Path.DirectorySeparatorChar))
                .OrderBy(f => f, StringComparer.Ordinal);
            var trees = files.Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), RuntimeParseOptions, path: Path.GetRelativePath(GeneratorFixture.RepoRoot(), f)));
            return CSharpCompilation.Create("Dsl.Runtime", trees,
                Basic.Reference.Assemblies.Net100.References.All.Concat(GeneratorHarness.ReferencesOf(typeof(TorchSharp.torch))),
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true)
                    .WithSpecificDiagnosticOptions(new Dictionary<string, ReportDiagnostic> { ["CS1701"] = ReportDiagnostic.Suppress, ["CS1702"] = ReportDiagnostic.Suppress }));
        }

        private static readonly string RacyListPath = Path.Combine(GeneratorFixture.RepoRoot(), "Tests", "Dsl.Generators.Tests", "TorchSharpImplicitScalars.txt");

        /// <summary>The TorchSharp members that convert implicitly inside (see <see cref="The_list_of_racy_TorchSharp_members_belongs_to_the_referenced_TorchSharp"/>).</summary>
        internal static IReadOnlyCollection<string> RacyTorchSharpMembers() =>
            new HashSet<string>(File.ReadAllLines(RacyListPath).Where(l => l.Length > 0 && !l.StartsWith("#", StringComparison.Ordinal))
                .Select(l => l.Split("    #")[0]), StringComparer.Ordinal);

        /// <summary>
        /// TorchSharpImplicitScalars.txt lists the TorchSharp 0.107.0 members that make an unheld Scalar inside (a call of
        /// one is as racy as an implicit conversion in our code). It was made from TorchSharp's sources by
        /// <see cref="ImplicitScalarScan.RacyMembersOfTorchSharp"/>; with DSL_TORCHSHARP_SRC set to the src/TorchSharp
        /// folder of the referenced version this test writes it anew. Otherwise it checks that the list belongs to the
        /// referenced TorchSharp: the version matches and every key names a member that exists.
        /// </summary>
        [Fact]
        public void The_list_of_racy_TorchSharp_members_belongs_to_the_referenced_TorchSharp()
        {
            var source = Environment.GetEnvironmentVariable("DSL_TORCHSHARP_SRC");
            var torchSharp = typeof(TorchSharp.torch).Assembly;
            var version = torchSharp.GetName().Version!;
            if (!string.IsNullOrEmpty(source))
            {
                var references = Basic.Reference.Assemblies.Net100.References.All.Concat(
                    Directory.GetFiles(Path.GetDirectoryName(torchSharp.Location)!, "*.dll")
                        .Where(f => Path.GetFileName(f) is "Google.Protobuf.dll" or "ICSharpCode.SharpZipLib.dll" or "SkiaSharp.dll")
                        .Select(f => (MetadataReference)MetadataReference.CreateFromFile(f)));
                var members = ImplicitScalarScan.RacyMembersOfTorchSharp(source, references);
                File.WriteAllLines(RacyListPath, new[]
                {
                    "# TorchSharp " + version.ToString(3) + ": members that create a Scalar or Tensor nothing keeps alive during the native call",
                    "# (directly or through another listed member). Made by ImplicitScalarTests from TorchSharp's sources; do not edit.",
                }.Concat(members));
            }
            var lines = File.ReadAllLines(RacyListPath);
            Assert.StartsWith("# TorchSharp " + version.ToString(3) + ":", lines[0]);
            var keys = RacyTorchSharpMembers();
            Assert.True(keys.Count > 100, "the list holds only " + keys.Count + " members");
            var compilation = GeneratorHarness.Compile(new[] { "class Empty { }" }, GeneratorHarness.ReferencesOf(typeof(TorchSharp.torch)));
            var assembly = compilation.References.Select(compilation.GetAssemblyOrModuleSymbol).OfType<IAssemblySymbol>().Single(a => a.Name == "TorchSharp");
            var known = new HashSet<string>(AllMethods(assembly.GlobalNamespace).Select(ImplicitScalarScan.Key), StringComparer.Ordinal);
            var missing = keys.Where(k => !known.Contains(k)).Take(10).ToList();
            Assert.True(missing.Count == 0, "members listed but not in the referenced TorchSharp (regenerate the list):\n" + string.Join("\n", missing));
            // The two shapes of the race our own code meets most: an operator with a double, and an Adam step.
            Assert.Contains("TorchSharp.torch.Tensor.op_Multiply(TorchSharp.torch.Tensor, double)", keys);
            Assert.Contains("TorchSharp.Modules.Adam.step(System.Func<TorchSharp.torch.Tensor>)", keys);
        }

        private static IEnumerable<IMethodSymbol> AllMethods(INamespaceOrTypeSymbol container)
        {
            foreach (var member in container.GetMembers())
            {
                if (member is IMethodSymbol method) yield return method;
                if (member is INamespaceOrTypeSymbol inner) foreach (var m in AllMethods(inner)) yield return m;
            }
        }

        [Fact]
        public void The_scan_finds_each_shape_of_the_race()
        {
            const string source = @"
using TorchSharp;
using static TorchSharp.torch;
public class Racy
{
    private readonly Scalar half = 0.5.ToScalar();
    public Tensor A(Tensor x) => x.mul_(0.5);                      // implicit double -> Scalar
    public Tensor B(Tensor x, Tensor y) => x.add_(y, alpha: 2.0);  // implicit, named argument
    public Tensor C(Tensor x) => x * 3.0;                          // TorchSharp's operator converts inside
    public Tensor D(Tensor x) => x.mul_(0.25.ToScalar());          // explicit but unheld
    public Tensor E(Tensor x) { using var s = 0.5.ToScalar(); return x.mul_(s); }   // held: fine
    public Tensor F(Tensor x) => x.mul_(half);                     // cached in a field: fine
    public object G(torch.jit.CompilationUnit u, Tensor x) => u.invoke(""f"", x, 0.5);   // invoke casts the double inside
    public object H(torch.jit.CompilationUnit u, Tensor x)
    {
        // Scalars held: only tensors are passed
        return u.invoke(""f"", x);
    }
}";
            var compilation = GeneratorHarness.Compile(new[] { source }, GeneratorHarness.ReferencesOf(typeof(TorchSharp.torch)));
            Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
            var sites = ImplicitScalarScan.Find(compilation, racyMembers: RacyTorchSharpMembers());
            var lines = sites.Select(s => s.Line).OrderBy(l => l).ToList();
            Assert.Equal(new[] { 7, 8, 9, 10, 13 }, lines);
        }

        [Fact]
        public void The_runtime_passes_no_implicit_Scalar_to_TorchSharp()
        {
            var compilation = RuntimeCompilation();
            var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Take(5).ToList();
            Assert.True(errors.Count == 0, "the runtime did not compile for the scan (a scan of unbound code finds nothing):\n" + string.Join("\n", errors));
            var sites = ImplicitScalarScan.Find(compilation, racyMembers: RacyTorchSharpMembers());
            foreach (var s in sites) output.WriteLine(s.ToString());
            Assert.True(sites.Count == 0, sites.Count + " implicit conversions:\n" + string.Join("\n", sites));
        }

        /// <summary>The gallery compiled from its sources against the built runtime, models and its packages.</summary>
        internal static CSharpCompilation ExamplesCompilation()
        {
            var root = Path.Combine(GeneratorFixture.RepoRoot(), "Examples");
            var files = Directory.GetFiles(root, "*.cs", SearchOption.AllDirectories)
                .Where(f => !f.Contains(Path.DirectorySeparatorChar + "obj" + Path.DirectorySeparatorChar) && !f.Contains(Path.DirectorySeparatorChar + "bin" + Path.DirectorySeparatorChar))
                .OrderBy(f => f, StringComparer.Ordinal);
            var trees = files.Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), RuntimeParseOptions, path: Path.GetRelativePath(GeneratorFixture.RepoRoot(), f)));
            var packages = GeneratorHarness.ReferencesOf(typeof(TorchSharp.torch), typeof(Dsl.EnergyModelAttribute), typeof(Dsl.Models.ModelCatalog),
                typeof(Spectre.Console.AnsiConsole), typeof(System.CommandLine.RootCommand), typeof(ScottPlot.Plot));
            return CSharpCompilation.Create("dsl", trees, Basic.Reference.Assemblies.Net100.References.All.Concat(packages),
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable)
                    .WithSpecificDiagnosticOptions(new Dictionary<string, ReportDiagnostic> { ["CS1701"] = ReportDiagnostic.Suppress, ["CS1702"] = ReportDiagnostic.Suppress }));
        }

        [Fact]
        public void The_gallery_passes_no_implicit_Scalar_to_TorchSharp()
        {
            var compilation = ExamplesCompilation();
            var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Take(5).ToList();
            Assert.True(errors.Count == 0, "the gallery did not compile for the scan:\n" + string.Join("\n", errors));
            var sites = ImplicitScalarScan.Find(compilation, racyMembers: RacyTorchSharpMembers());
            foreach (var s in sites) output.WriteLine(s.ToString());
            Assert.True(sites.Count == 0, sites.Count + " implicit conversions:\n" + string.Join("\n", sites));
        }

        [Fact]
        public void The_models_and_their_generated_code_pass_no_implicit_Scalar_to_TorchSharp()
        {
            var run = GeneratorFixture.Run(GeneratorFixture.ModelSources().ToArray());
            var compilation = run.Compilation.AddSyntaxTrees(run.Result.GeneratedTrees);
            var sites = ImplicitScalarScan.Find(compilation, racyMembers: RacyTorchSharpMembers());
            foreach (var s in sites) output.WriteLine(s.ToString());
            Assert.True(sites.Count == 0, sites.Count + " implicit conversions:\n" + string.Join("\n", sites));
        }
    }
}
