using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text;
using Dsl.Testing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit.Abstractions;

namespace Dsl.Generators.Tests
{
    /// <summary>
    /// The generator cannot be broken: 1000 mutants of the real models (deleted and duplicated tokens, swapped types,
    /// wrong shapes, unknown calls, recursion, huge expressions, swapped operators, odd literals, dropped attributes),
    /// seeded and deterministic, each run through both generators on its own. No exception escapes (CS8785), no
    /// internal error (DSL9999), a model with no generated code has a DSL error or an ordinary compiler error that
    /// says why, generated code for error-free input compiles (checked on every 4th mutant with code, to stay within a minute), and no generation takes longer than a bound.
    /// </summary>
    public class FuzzTests
    {
        public const int Mutants = 1000;
        private const int Seed = 20261125;
        private static readonly TimeSpan PerGeneration = TimeSpan.FromSeconds(60);   // a guard against blow-ups and hangs, in wall time on 2 cores shared with the rest of the suite (typically < 1 s, worst ≈ 5 s alone)

        private static readonly string[] Types = { "Scalar", "Vec", "Mat", "Spins", "Bits", "double", "int", "Tensor" };
        private static readonly string[] Shapes = { "", "K", "D", "K,D", "D,K", "K,K", "K,K,K", "1x", "D,", ",", "Q", "0", "-1", "D D", "K;D" };
        private static readonly string[] UnknownCalls = { "Nope", "Undefined", "System.Math.Sin", "Console.WriteLine", "Rec", "RecA", "torch.randn", "Dsl.Math.Dot" };
        private static readonly string[] Operators = { "+", "-", "*", "/", "%", "==", "<", "&&", "??", "^" };
        private static readonly string[] Literals = { "0", "0.0", "-0.0", "1e308", "1e-320", "double.NaN", "double.PositiveInfinity", "int.MaxValue", "(1/0.0)", "\"s\"", "null", "true" };
        private static readonly string[] Attributes = { "[Energy]", "[Param", "[Drift]", "[Diffusion]", "[LogPartition]", "[EnergyModel", "[Sde", "partial", "[Hidden]", "[NoiseLevel]" };
        private const string Helpers =
            " Scalar Rec(Vec v) => Rec(v) + Norm2(v); Vec RecA(Vec v) => RecB(v) * 2; Vec RecB(Vec v) => RecA(v) - v; Scalar RecS(Scalar t) => RecS(t * t); ";

        private readonly ITestOutputHelper output;
        public FuzzTests(ITestOutputHelper output) { this.output = output; }

        /// <summary>Each [EnergyModel] / [Sde] class of Models/ as a file of its own (its file's usings, a namespace inside Dsl.Models).</summary>
        internal static IReadOnlyList<string> Seeds()
        {
            var seeds = new List<string>();
            foreach (var text in GeneratorFixture.ModelSources())
            {
                var root = CSharpSyntaxTree.ParseText(text, GeneratorHarness.ParseOptions).GetCompilationUnitRoot();
                string usings = string.Concat(root.Usings.Select(u => u.ToFullString()));
                foreach (var c in root.DescendantNodes().OfType<ClassDeclarationSyntax>())
                    if (c.AttributeLists.SelectMany(a => a.Attributes).Any(a => a.Name.ToString() is "EnergyModel" or "Sde"))
                        seeds.Add(usings + "namespace Dsl.Models.Fuzz\n{\n" + c.ToFullString() + "\n}\n");
            }
            return seeds;
        }

        /// <summary>Mutant number <paramref name="i"/>: a seed model with one to three mutations, a pure function of (Seed, i).</summary>
        internal static (string Source, string Kinds) Mutant(IReadOnlyList<string> seeds, int i)
        {
            var rng = new Random(Seed + 7919 * i);
            string s = seeds[rng.Next(seeds.Count)];
            int count = 1 + (rng.Next(4) == 0 ? rng.Next(1, 3) : 0);
            var kinds = new List<string>();
            for (int m = 0; m < count; m++)
            {
                int kind = rng.Next(11);
                kinds.Add(kind.ToString(System.Globalization.CultureInfo.InvariantCulture));
                // Sizes stay below 40 kB: a huge-expression mutation of a huge expression measures Roslyn's binding, not Dsl.
                var next = Mutate(s, kind, rng);
                if (next.Length <= 40_000) s = next;
            }
            return (s, string.Join("+", kinds));
        }

        private static string Mutate(string s, int kind, Random rng)
        {
            var tokens = CSharpSyntaxTree.ParseText(s, GeneratorHarness.ParseOptions).GetRoot().DescendantTokens().Where(t => t.Span.Length > 0).ToList();
            // Mutations only touch the class, not the usings and namespace header.
            int classStart = s.IndexOf("\n{\n", StringComparison.Ordinal) + 3;
            var body = tokens.Where(t => t.SpanStart >= classStart).ToList();
            if (body.Count == 0) return s;
            SyntaxToken Pick(Func<SyntaxToken, bool> where)
            {
                var candidates = body.Where(where).ToList();
                return candidates.Count == 0 ? body[rng.Next(body.Count)] : candidates[rng.Next(candidates.Count)];
            }
            string Replace(SyntaxToken t, string with) => s.Substring(0, t.SpanStart) + with + s.Substring(t.Span.End);
            switch (kind)
            {
                case 0: return Replace(Pick(_ => true), "");                                                             // delete a token
                case 1: return Replace(Pick(t => Types.Contains(t.ValueText)), Types[rng.Next(Types.Length)]);            // swap a type
                case 2: return Replace(Pick(t => t.IsKind(SyntaxKind.StringLiteralToken)), "\"" + Shapes[rng.Next(Shapes.Length)] + "\""); // wrong shape
                case 3:                                                                                                   // unknown or recursive call
                {
                    var call = Pick(t => t.IsKind(SyntaxKind.IdentifierToken) && t.GetNextToken().IsKind(SyntaxKind.OpenParenToken));
                    return InsertHelpers(Replace(call, UnknownCalls[rng.Next(UnknownCalls.Length)]));
                }
                case 4:                                                                                                   // huge: deep nesting
                {
                    var arrow = Pick(t => t.IsKind(SyntaxKind.EqualsGreaterThanToken));
                    int semi = s.IndexOf(';', arrow.Span.End);
                    if (semi < 0) return s;
                    int depth = rng.Next(20, 450);   // past DSL0011's limit at the top
                    string fn = rng.Next(2) == 0 ? "Tanh(" : "Exp(";
                    return s.Substring(0, arrow.Span.End) + " " + string.Concat(Enumerable.Repeat(fn, depth)) + s.Substring(arrow.Span.End, semi - arrow.Span.End) + new string(')', depth) + s.Substring(semi);
                }
                case 5:                                                                                                   // huge: long sums and products
                {
                    var arrow = Pick(t => t.IsKind(SyntaxKind.EqualsGreaterThanToken));
                    int semi = s.IndexOf(';', arrow.Span.End);
                    if (semi < 0) return s;
                    string e = "(" + s.Substring(arrow.Span.End, semi - arrow.Span.End) + ")";
                    int n = rng.Next(2, 40);
                    string op = rng.Next(2) == 0 ? " + " : " * ";
                    return s.Substring(0, arrow.Span.End) + string.Join(op, Enumerable.Repeat(e, n)) + s.Substring(semi);
                }
                case 6: { var t = Pick(_ => true); return s.Insert(t.Span.End, " " + t.Text); }                             // duplicate a token
                case 7: return Replace(Pick(t => Operators.Contains(t.Text)), Operators[rng.Next(Operators.Length)]);       // swap an operator
                case 8: return Replace(Pick(t => t.IsKind(SyntaxKind.NumericLiteralToken)), Literals[rng.Next(Literals.Length)]); // odd literal
                case 9:                                                                                                   // drop an attribute or modifier
                {
                    string a = Attributes[rng.Next(Attributes.Length)];
                    int at = s.IndexOf(a, classStart, StringComparison.Ordinal);
                    if (at < 0) return s;
                    int end = a.StartsWith("[", StringComparison.Ordinal) ? s.IndexOf(']', at) + 1 : at + a.Length;
                    return s.Remove(at, end - at);
                }
                default:                                                                                                  // recursion through a helper
                {
                    var arrow = Pick(t => t.IsKind(SyntaxKind.EqualsGreaterThanToken));
                    string call = new[] { "Rec(x) + ", "Norm2(RecA(x)) + ", "RecS(t) * " }[rng.Next(3)];
                    return InsertHelpers(s.Insert(arrow.Span.End, " " + call));
                }
            }
        }

        private static string InsertHelpers(string s)
        {
            int close = s.LastIndexOf('}', s.Length - 3);   // the class's closing brace (the last one closes the namespace)
            return close < 0 ? s : s.Insert(close, Helpers);
        }

        [Fact]
        public void Mutants_are_deterministic()
        {
            var seeds = Seeds();
            Assert.True(seeds.Count >= 20, "too few seed models: " + seeds.Count);
            for (int i = 0; i < 50; i++) Assert.Equal(Mutant(seeds, i), Mutant(seeds, i));
        }

        [Fact]
        public void No_mutant_breaks_the_generators()
        {
            var seeds = Seeds();
            var problems = new List<string>();
            var kinds = new Dictionary<string, int>();
            int generated = 0, refusedByDsl = 0, compilerErrors = 0, compileChecked = 0;
            TimeSpan slowest = TimeSpan.Zero, generating = TimeSpan.Zero;
            string slowestKind = "";
            var total = Stopwatch.StartNew();
            var parse = GeneratorHarness.ParseOptions;
            var options = new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable)
                .WithSpecificDiagnosticOptions(new Dictionary<string, ReportDiagnostic> { ["CS1701"] = ReportDiagnostic.Suppress, ["CS1702"] = ReportDiagnostic.Suppress });
            // One empty compilation whose references are bound once; each mutant is added to it (Roslyn reuses the bound references).
            var empty = CSharpCompilation.Create("Fuzz", Array.Empty<SyntaxTree>(), Basic.Reference.Assemblies.Net100.References.All.Concat(GeneratorFixture.References), options);
            empty.GetDiagnostics();
            for (int i = 0; i < Mutants; i++)
            {
                var (source, kind) = Mutant(seeds, i);
                var compilation = empty.AddSyntaxTrees(CSharpSyntaxTree.ParseText(source, parse, path: "Mutant" + i + ".cs"));
                GeneratorDriver driver = CSharpGeneratorDriver.Create(new[] { new EnergyModelGenerator().AsSourceGenerator(), new SdeGenerator().AsSourceGenerator() }, parseOptions: parse);
                var watch = Stopwatch.StartNew();
                driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var outputCompilation, out var diagnostics);
                watch.Stop();
                generating += watch.Elapsed;
                if (watch.Elapsed > slowest) { slowest = watch.Elapsed; slowestKind = kind; }
                kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
                string Describe(string what) => $"mutant {i} (mutations {kind}): {what}\n{Shorten(source)}";

                if (watch.Elapsed > PerGeneration) problems.Add(Describe($"generation took {watch.Elapsed.TotalSeconds:F1} s"));
                var escaped = diagnostics.Where(d => d.Id is "CS8784" or "CS8785" or "DSL9999").ToList();
                if (escaped.Count > 0) { problems.Add(Describe(string.Join(" | ", escaped.Select(d => d.ToString())))); continue; }

                bool dslError = diagnostics.Any(d => d.Id.StartsWith("DSL", StringComparison.Ordinal) && d.Severity == DiagnosticSeverity.Error);
                var sources = driver.GetRunResult().GeneratedTrees;
                if (sources.Length > 0) generated++;
                if (dslError) { refusedByDsl++; continue; }
                // Parse errors are cheap to find and explain most refusals; binding the whole mutant is the slow part,
                // done only where needed: no code and no DSL error, or (for every 4th mutant with code) the compile check.
                bool HasCompilerErrors() =>
                    compilation.GetParseDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error)
                    || compilation.GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error);
                if (sources.Length == 0)
                {
                    if (HasCompilerErrors()) { compilerErrors++; continue; }
                    if (source.Contains("[EnergyModel", StringComparison.Ordinal) || source.Contains("[Sde", StringComparison.Ordinal))
                        problems.Add(Describe("no code generated, and neither a DSL error nor a compiler error says why"));
                    continue;
                }
                if (generated % 4 != 0) continue;
                if (HasCompilerErrors()) { compilerErrors++; continue; }
                // Error-free input and no DSL error: the generated code compiles.
                compileChecked++;
                var generatedErrors = sources.SelectMany(t => outputCompilation.GetSemanticModel(t).GetDiagnostics()).Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
                if (generatedErrors.Count > 0) problems.Add(Describe("the generated code does not compile: " + string.Join(" | ", generatedErrors.Take(3))));
            }
            output.WriteLine($"{Mutants} mutants of {seeds.Count} seed models in {total.Elapsed.TotalSeconds:F1} s ({generating.TotalSeconds:F1} s generating); slowest generation {slowest.TotalMilliseconds:F0} ms (mutations {slowestKind}); " +
                             $"{generated} generated code, {refusedByDsl} refused with a DSL error, {compilerErrors} explained by compiler errors; generated code of {compileChecked} error-free mutants compiled");
            output.WriteLine("mutation kinds: " + string.Join(", ", kinds.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => k.Key + "×" + k.Value)));
            Assert.True(problems.Count == 0, problems.Count + " mutants broke the generators; the first ones:\n\n" + string.Join("\n\n", problems.Take(5)));
            Assert.True(refusedByDsl > 50 && generated > 50, $"the mutants should exercise both paths: {generated} generated, {refusedByDsl} refused");
        }

        private static string Shorten(string s) => s.Length <= 3000 ? s : s.Substring(0, 1500) + "\n…\n" + s.Substring(s.Length - 1500);
    }
}
