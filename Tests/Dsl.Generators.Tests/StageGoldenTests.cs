using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.Generators.Model;
using Dsl.Testing;

namespace Dsl.Generators.Tests
{
    /// <summary>
    /// Per-stage goldens (stanc3-style) beside each model's generated C#: Snapshots/&lt;Name&gt;.plan.verified.txt (the plan: interfaces,
    /// methods, roots, kernel decisions and reasons) and Snapshots/&lt;Name&gt;.ir.verified.txt (the simplified IR of the plan's roots), so a
    /// planner or simplifier change is reviewed as a small text diff. Both come from the same generator run that writes the C#
    /// (the GeneratedModel outputs of the tracked emit steps).
    /// </summary>
    public class StageGoldenTests
    {
        private static readonly Lazy<IReadOnlyList<GeneratedModel>> Generated = new Lazy<IReadOnlyList<GeneratedModel>>(() =>
        {
            var run = GeneratorFixture.Run(GeneratorFixture.ModelSources().ToArray());
            return run.Result.Results
                .SelectMany(r => r.TrackedSteps.Values)
                .SelectMany(steps => steps)
                .SelectMany(step => step.Outputs)
                .Select(output => output.Value)
                .OfType<GeneratedModel>()
                .Where(g => g.HintName != null)
                .ToList();
        });

        /// <summary>Every model with a Snapshots/*.verified.cs: energy models, SDEs, flows, KL divergences.</summary>
        public static TheoryData<string> Names()
        {
            var names = new TheoryData<string>();
            foreach (var name in AllNames()) names.Add(name);
            return names;
        }

        private static List<string> AllNames()
        {
            var names = new List<string>();
            foreach (var set in new[] { SnapshotTests.ModelNames(), SnapshotTests.SdeNames(), FlowGeneratorTests.FlowNames(), DivergenceGeneratorTests.DivergenceNames() })
                foreach (var row in (IEnumerable<object[]>)set) names.Add((string)row[0]);
            return names;
        }

        private static GeneratedModel Of(string name)
        {
            var matches = Generated.Value.Where(g => g.HintName!.StartsWith("Dsl.Models." + name + ".", StringComparison.Ordinal)).Distinct().ToList();
            return Assert.Single(matches);
        }

        [Theory]
        [MemberData(nameof(Names))]
        public void The_plan_matches_its_golden(string name)
        {
            var plan = Of(name).Plan;
            Assert.NotNull(plan);
            Snapshot.Match(plan!, name + ".plan", "txt");
        }

        [Theory]
        [MemberData(nameof(Names))]
        public void The_simplified_IR_matches_its_golden(string name)
        {
            var ir = Of(name).Ir;
            Assert.NotNull(ir);
            Snapshot.Match(ir!, name + ".ir", "txt");
        }

        [Fact]
        public void Every_verified_snapshot_has_its_stage_goldens()
        {
            var names = AllNames().OrderBy(n => n, StringComparer.Ordinal).ToList();
            var dir = System.IO.Path.Combine(GeneratorFixture.RepoRoot(), "Tests", "Dsl.Generators.Tests", "Snapshots");
            var snapshots = System.IO.Directory.GetFiles(dir, "*.verified.cs").Select(f => System.IO.Path.GetFileName(f)!.Replace(".verified.cs", ""))
                .OrderBy(n => n, StringComparer.Ordinal).ToList();
            Assert.Equal(snapshots, names);
        }
    }
}
