using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// docs/lectures.md maps each lecture equation to a class and a gallery command. These tests keep it true:
    /// every class (and member in parentheses) it names exists, every command it names is a gallery command, and every
    /// command runs briefly with one figure of its JSON checked (<see cref="LectureTableBriefRuns"/>).
    /// </summary>
    [Collection("Console")]
    public class LectureTableTests
    {
        private sealed record Row(string Equation, string Where, string Command);

        private static IReadOnlyList<Row> Rows([CallerFilePath] string here = "")
        {
            var path = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", "docs", "lectures.md"));
            var rows = new List<Row>();
            foreach (var line in File.ReadAllLines(path))
            {
                if (!line.StartsWith("| ", StringComparison.Ordinal) || line.StartsWith("| lecture equation", StringComparison.Ordinal)) continue;
                var cells = line.Split('|');
                Assert.True(cells.Length == 5, "a lecture-table row needs three cells: " + line);
                rows.Add(new Row(cells[1].Trim(), cells[2].Trim(), cells[3].Trim()));
            }
            Assert.True(rows.Count >= 30, "docs/lectures.md has only " + rows.Count + " rows");
            return rows;
        }

        private static readonly Type[] Types = new[]
        {
            typeof(ModelCatalog).Assembly, typeof(Dsl.ParameterModule).Assembly, typeof(Dsl.Examples.Program).Assembly, typeof(LectureTableTests).Assembly,
        }.SelectMany(a => a.GetTypes()).Where(t => t.IsPublic).ToArray();

        private static readonly Regex Code = new("`([^`]+)`");

        /// <summary>
        /// `--help` exits 0 even after an unknown word, so the usage line decides: the help of a real command reads
        /// "&lt;host&gt; ddpm train [options]", the root's fallback "&lt;host&gt; [command] [options]".
        /// </summary>
        private static bool IsGalleryCommand(IReadOnlyList<string> verb)
        {
            var (code, help, _) = Gallery.Run(verb.Append("--help").ToArray());
            return code == 0 && help.Contains(" " + string.Join(" ", verb) + " [options]", StringComparison.Ordinal);
        }

        [Fact]
        public void An_unknown_command_is_caught()
        {
            Assert.False(IsGalleryCommand(new[] { "no-such-command" }));
            Assert.True(IsGalleryCommand(new[] { "ddpm", "train" }));
        }

        [Fact]
        public void Every_class_and_member_named_in_the_table_exists()
        {
            foreach (var row in Rows())
            {
                // "`Samplers` (`Mala`)": a class, then optionally its members in parentheses.
                Type? owner = null;
                foreach (Match m in Code.Matches(row.Where))
                {
                    var name = m.Groups[1].Value;
                    bool member = row.Where.LastIndexOf('(', m.Index) > row.Where.LastIndexOf(')', m.Index) && row.Where.LastIndexOf('(', m.Index) >= 0;
                    if (member)
                    {
                        Assert.True(owner != null, $"'{name}' in row '{row.Equation}' has no class before it");
                        Assert.True(owner!.GetMember(name).Length > 0, $"{owner.Name} has no member {name} (row '{row.Equation}')");
                        continue;
                    }
                    owner = Types.FirstOrDefault(t => t.Name == name);
                    Assert.True(owner != null, $"no public type {name} (row '{row.Equation}')");
                }
                Assert.True(owner != null, $"row '{row.Equation}' names no class");
            }
        }

        /// <summary>Every distinct command the table names, in table order.</summary>
        public static TheoryData<string> TableCommands()
        {
            var data = new TheoryData<string>();
            foreach (var command in Rows().SelectMany(r => Code.Matches(r.Command).Select(m => m.Groups[1].Value)).Where(c => c.StartsWith("dsl ", StringComparison.Ordinal)).Distinct())
                data.Add(command);
            return data;
        }

        private static readonly string BriefOut = Path.Combine(Path.GetTempPath(), "dsl-lecture-brief-" + Environment.ProcessId);

        /// <summary>
        /// Runs the row's command briefly (its own words plus the shrinking arguments of <see cref="LectureTableBriefRuns"/>) and
        /// checks one figure of its JSON, so a row whose command broke, or whose figure stopped meaning what the row says, fails.
        /// </summary>
        [Theory]
        [MemberData(nameof(TableCommands))]
        public void Every_command_in_the_table_runs_briefly_and_reports_its_figure(string command)
        {
            Assert.True(LectureTableBriefRuns.ByCommand.TryGetValue(command, out var brief),
                $"'{command}' in docs/lectures.md has no brief run: add one to LectureTableBriefRuns.ByCommand");
            Directory.CreateDirectory(BriefOut);
            string[] Expand(IEnumerable<string> words) => words.Select(w => w.Replace("{out}", BriefOut, StringComparison.Ordinal)).ToArray();
            if (brief!.Before is { } before)
            {
                var (code, _, err) = Gallery.Run(Expand(before.Concat(new[] { "--out", BriefOut })));
                Assert.True(code == 0, $"the run before '{command}' failed: " + err);
            }
            var words = Shrink(command.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList(), brief.Args);
            var result = Gallery.RunJson(Expand(words.Concat(new[] { "--out", BriefOut })));
            Assert.True(brief.Holds(result), $"'{command}' (brief: {string.Join(' ', brief.Args)}): {brief.Claim} — does not hold; {brief.Figure} in " + Truncate(result.GetRawText()));
        }

        /// <summary>The row's words with each brief "--option value" replacing the row's value of that option, or appended.</summary>
        private static List<string> Shrink(List<string> words, IReadOnlyList<string> brief)
        {
            for (int i = 0; i < brief.Count; i++)
            {
                bool hasValue = i + 1 < brief.Count && !brief[i + 1].StartsWith("--", StringComparison.Ordinal);
                int at = words.IndexOf(brief[i]);
                if (at >= 0 && hasValue && at + 1 < words.Count) words[at + 1] = brief[i + 1];
                else if (at < 0) { words.Add(brief[i]); if (hasValue) words.Add(brief[i + 1]); }
                if (hasValue) i++;
            }
            return words;
        }

        [Fact]
        public void Every_brief_run_belongs_to_a_command_in_the_table()
        {
            var commands = ((IEnumerable<object[]>)TableCommands()).Select(d => (string)d[0]).ToHashSet(StringComparer.Ordinal);
            foreach (var stale in LectureTableBriefRuns.ByCommand.Keys.Where(k => !commands.Contains(k)))
                Assert.Fail($"LectureTableBriefRuns has a brief run for '{stale}', which docs/lectures.md no longer names");
        }

        private static string Truncate(string s) => s.Length <= 600 ? s : s.Substring(0, 600) + "…";

        [Fact]
        public void Every_command_in_the_table_is_a_gallery_command()
        {
            var aliases = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "gmm", "ring" };
            aliases.UnionWith(ModelCatalog.All.Select(e => e.Name));
            foreach (var row in Rows())
            {
                var commands = Code.Matches(row.Command).Select(m => m.Groups[1].Value).Where(c => c.StartsWith("dsl ", StringComparison.Ordinal)).ToList();
                if (commands.Count == 0)
                {
                    // No command: the row must point at the tests that exercise it.
                    var tests = Code.Matches(row.Command).Select(m => m.Groups[1].Value).ToList();
                    Assert.True(row.Command.StartsWith("tests:", StringComparison.Ordinal) && tests.Count > 0, $"row '{row.Equation}' has neither a command nor tests");
                    foreach (var t in tests) Assert.True(Types.Any(type => type.Name == t), $"no test class {t} (row '{row.Equation}')");
                    continue;
                }
                foreach (var command in commands)
                {
                    var words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
                    var verb = words.TakeWhile(w => !w.StartsWith("--", StringComparison.Ordinal)).ToList();
                    int model = words.IndexOf("--model");
                    if (model >= 0) Assert.Contains(words[model + 1], aliases);
                    Assert.True(IsGalleryCommand(verb), $"'{command}' is not a gallery command");
                }
            }
        }
    }
}
