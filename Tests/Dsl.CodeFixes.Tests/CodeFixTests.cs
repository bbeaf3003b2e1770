using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Dsl.CodeFixes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;

namespace Dsl.CodeFixes.Tests
{
    /// <summary>
    /// The code fixes, through Roslyn's code-fix test framework, on the diagnostics of the real generators (surfaced by
    /// <see cref="GeneratorDiagnosticsAnalyzer"/>): each fix gives the expected text, and the fixed code has no
    /// diagnostics left.
    /// </summary>
    public class CodeFixTests
    {
        private sealed class Test<TFix> : CSharpCodeFixTest<GeneratorDiagnosticsAnalyzer, TFix, DefaultVerifier> where TFix : CodeFixProvider, new()
        {
            public Test()
            {
                // Errors are not silenced by #pragma warning disable, so the framework's pragma round-trip does not apply.
                TestBehaviors |= TestBehaviors.SkipSuppressionCheck;
                // .NET 10 reference assemblies from Basic.Reference.Assemblies: nothing is downloaded.
                ReferenceAssemblies = new ReferenceAssemblies("net10.0");
                TestState.AdditionalReferences.AddRange(Basic.Reference.Assemblies.Net100.References.All);
                TestState.AdditionalReferences.Add(MetadataReference.CreateFromFile(typeof(Dsl.EnergyModelAttribute).Assembly.Location));
                TestState.AdditionalReferences.Add(MetadataReference.CreateFromFile(typeof(TorchSharp.torch).Assembly.Location));
            }

            protected override ParseOptions CreateParseOptions() => new CSharpParseOptions(LanguageVersion.Preview);

            protected override CompilationOptions CreateCompilationOptions() =>
                ((CSharpCompilationOptions)base.CreateCompilationOptions()).WithSpecificDiagnosticOptions(
                    new Dictionary<string, ReportDiagnostic> { ["CS1701"] = ReportDiagnostic.Suppress, ["CS1702"] = ReportDiagnostic.Suppress });
        }

        private static Task Verify<TFix>(string source, string fixedSource, int? codeActionIndex = null) where TFix : CodeFixProvider, new()
        {
            var test = new Test<TFix> { TestCode = source, FixedCode = fixedSource };
            if (codeActionIndex != null) test.CodeActionIndex = codeActionIndex;
            return test.RunAsync();
        }

        private const string Usings = "using Dsl;\nusing static Dsl.Math;\n\n";

        [Fact]
        public Task Adds_partial_to_a_model_class() => Verify<MakePartialCodeFix>(
            Usings + "[EnergyModel]\npublic class {|DSL0001:Plain|}\n{\n    [Energy] Scalar E(Vec x) => Norm2(x);\n}\n",
            Usings + "[EnergyModel]\npublic partial class Plain\n{\n    [Energy] Scalar E(Vec x) => Norm2(x);\n}\n");

        [Fact]
        public Task Adds_partial_to_a_class_without_modifiers() => Verify<MakePartialCodeFix>(
            Usings + "[EnergyModel] class {|DSL0001:Plain|} { [Energy] Scalar E(Vec x) => Norm2(x); }\n",
            Usings + "[EnergyModel] partial class Plain { [Energy] Scalar E(Vec x) => Norm2(x); }\n");

        [Fact]
        public Task Adds_partial_to_the_containing_type() => Verify<MakePartialCodeFix>(
            Usings + "public static class {|DSL0001:Outer|}\n{\n    [EnergyModel] public partial class Inner { [Energy] Scalar E(Vec x) => Norm2(x); }\n}\n",
            Usings + "public static partial class Outer\n{\n    [EnergyModel] public partial class Inner { [Energy] Scalar E(Vec x) => Norm2(x); }\n}\n");

        [Fact]
        public Task Changes_a_wrong_energy_return_type_to_Scalar() => Verify<EnergyReturnsScalarCodeFix>(
            Usings + "[EnergyModel]\npublic partial class M\n{\n    [Energy] {|DSL0003:Vec|} E(Vec x) => {|CS0029:Norm2(x)|};\n}\n",
            Usings + "[EnergyModel]\npublic partial class M\n{\n    [Energy] Scalar E(Vec x) => Norm2(x);\n}\n");

        [Fact]
        public Task Keeps_a_qualified_return_type_qualified() => Verify<EnergyReturnsScalarCodeFix>(
            "[Dsl.EnergyModel]\npublic partial class M\n{\n    [Dsl.Energy] {|DSL0003:Dsl.Vec|} E(Dsl.Vec x) => {|CS0029:Dsl.Math.Norm2(x)|};\n}\n",
            "[Dsl.EnergyModel]\npublic partial class M\n{\n    [Dsl.Energy] Dsl.Scalar E(Dsl.Vec x) => Dsl.Math.Norm2(x);\n}\n");

        [Fact]
        public Task Adds_the_missing_Energy_attribute() => Verify<AddEnergyAttributeCodeFix>(
            Usings + "[EnergyModel]\npublic partial class {|DSL0002:M|}\n{\n    [Param(Init = 1.0)] public Scalar Sigma;\n\n    Scalar E(Vec x) => Norm2(x) / (2 * Sigma * Sigma);\n}\n",
            Usings + "[EnergyModel]\npublic partial class M\n{\n    [Param(Init = 1.0)] public Scalar Sigma;\n\n    [Energy] Scalar E(Vec x) => Norm2(x) / (2 * Sigma * Sigma);\n}\n");

        [Fact]
        public Task Offers_each_candidate_energy_preferring_E() => Verify<AddEnergyAttributeCodeFix>(
            Usings + "[EnergyModel]\npublic partial class {|DSL0002:M|}\n{\n    Scalar Quadratic(Vec x) => Norm2(x);\n    Scalar E(Vec x) => Sum(x);\n}\n",
            Usings + "[EnergyModel]\npublic partial class M\n{\n    [Energy] Scalar Quadratic(Vec x) => Norm2(x);\n    Scalar E(Vec x) => Sum(x);\n}\n",
            codeActionIndex: 1);
    }
}
