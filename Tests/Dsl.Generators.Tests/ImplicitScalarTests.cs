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
        internal static CSharpCompilation RuntimeCompilation() =>
            ProjectCompilation("Runtime", "Dsl.Runtime", GeneratorHarness.ReferencesOf(typeof(TorchSharp.torch), typeof(TorchSharp.PyBridge.Safetensors)), allowUnsafe: true);

        /// <summary>The gallery compiled from its sources against the built runtime, models and its packages.</summary>
        internal static CSharpCompilation ExamplesCompilation() =>
            ProjectCompilation("Examples", "dsl", GeneratorHarness.ReferencesOf(typeof(TorchSharp.torch), typeof(Dsl.EnergyModelAttribute), typeof(Dsl.Models.ModelCatalog),
                typeof(Spectre.Console.AnsiConsole), typeof(System.CommandLine.RootCommand), typeof(ScottPlot.Plot)), allowUnsafe: false);

        /// <summary>Every .cs file of a project folder (bin and obj left out), parsed with the project's symbols.</summary>
        private static CSharpCompilation ProjectCompilation(string folder, string assemblyName, IEnumerable<MetadataReference> references, bool allowUnsafe)
        {
            var root = Path.Combine(GeneratorFixture.RepoRoot(), folder);
            bool Built(string f) => f.Contains(Path.DirectorySeparatorChar + "obj" + Path.DirectorySeparatorChar) || f.Contains(Path.DirectorySeparatorChar + "bin" + Path.DirectorySeparatorChar);
            // The folder's own files and the files its project links in from elsewhere (<Compile Include="../…" Link="…" />).
            var linked = Directory.GetFiles(root, "*.csproj")
                .SelectMany(p => System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(p), "<Compile Include=\"([^\"]+\\.cs)\"")
                    .Select(m => Path.GetFullPath(Path.Combine(root, m.Groups[1].Value.Replace('\\', Path.DirectorySeparatorChar)))));
            var trees = Directory.GetFiles(root, "*.cs", SearchOption.AllDirectories).Where(f => !Built(f)).Concat(linked).Distinct().OrderBy(f => f, StringComparer.Ordinal)
                .Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), RuntimeParseOptions, path: Path.GetRelativePath(GeneratorFixture.RepoRoot(), f)));
            return CSharpCompilation.Create(assemblyName, trees, Basic.Reference.Assemblies.Net100.References.All.Concat(references),
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: allowUnsafe)
                    .WithSpecificDiagnosticOptions(new Dictionary<string, ReportDiagnostic> { ["CS1701"] = ReportDiagnostic.Suppress, ["CS1702"] = ReportDiagnostic.Suppress }));
        }

        /// <summary>Fails listing every site, after checking the code bound (a scan of code that did not compile finds nothing).</summary>
        private void AssertNoSites(Compilation compilation, string what)
        {
            var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Take(5).ToList();
            Assert.True(errors.Count == 0, what + " did not compile for the scan:\n" + string.Join("\n", errors));
            var sites = ImplicitScalarScan.Find(compilation, racyMembers: RacyTorchSharpMembers());
            foreach (var s in sites) output.WriteLine(s.ToString());
            Assert.True(sites.Count == 0, what + ": " + sites.Count + " implicit conversions:\n" + string.Join("\n", sites));
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
        public void The_runtime_passes_no_implicit_Scalar_to_TorchSharp() => AssertNoSites(RuntimeCompilation(), "the runtime");

        [Fact]
        public void The_gallery_passes_no_implicit_Scalar_to_TorchSharp() => AssertNoSites(ExamplesCompilation(), "the gallery");

        [Fact]
        public void The_models_and_their_generated_code_pass_no_implicit_Scalar_to_TorchSharp()
        {
            var run = GeneratorFixture.Run(GeneratorFixture.ModelSources().ToArray());
            AssertNoSites(run.Compilation.AddSyntaxTrees(run.Result.GeneratedTrees), "the models and their generated code");
        }
    }
}
