using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;
using Dsl.Symbolic.Ops;

namespace Dsl.Generators.Tests
{
    /// <summary>
    /// The generator–runtime contract by name: every constant of <see cref="RuntimeNames"/> resolves by reflection to a public type,
    /// nested type, enum value or member of the Runtime assembly (Dsl.Runtime), TorchSharp or the BCL, and no generator source
    /// outside RuntimeNames.cs spells a <c>global::Dsl.</c>, <c>global::TorchSharp.</c> or <c>global::System.</c> name itself.
    /// </summary>
    public class RuntimeNamesTests
    {
        private static readonly Assembly[] Assemblies =
            new[] { typeof(global::Dsl.GeneratedCode.FusedKernels).Assembly, typeof(TorchSharp.torch).Assembly, typeof(object).Assembly }.Distinct().ToArray();

        /// <summary>Every string constant of <see cref="RuntimeNames"/> and its nested classes, as (RuntimeNames.Group.Name, value).</summary>
        public static IReadOnlyList<(string Field, string Value)> Constants()
        {
            var all = new List<(string, string)>();
            void Walk(Type t, string path)
            {
                foreach (var f in t.GetFields(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly).Where(f => f.IsLiteral && f.FieldType == typeof(string)))
                    all.Add((path + "." + f.Name, (string)f.GetRawConstantValue()!));
                foreach (var n in t.GetNestedTypes(BindingFlags.Public)) Walk(n, path + "." + n.Name);
            }
            Walk(typeof(RuntimeNames), nameof(RuntimeNames));
            return all;
        }

        /// <summary>
        /// Null when <paramref name="name"/> (<c>global::</c>-qualified; a trailing '.' marks a prefix) names a public type, a public
        /// nested type, or a public member (method, property, field, enum value) of one, in the Runtime, TorchSharp or BCL
        /// assembly; a prefix may also name a namespace. Otherwise why not. Generic types are found by their name without arity.
        /// </summary>
        public static string? Unresolved(string name)
        {
            const string Global = "global::";
            if (!name.StartsWith(Global, StringComparison.Ordinal)) return "not global::-qualified";
            string path = name.Substring(Global.Length);
            bool prefix = path.EndsWith(".", StringComparison.Ordinal);
            if (prefix) path = path.Substring(0, path.Length - 1);
            var parts = path.Split('.');
            for (int i = parts.Length; i >= 1; i--)
            {
                var type = FindType(string.Join(".", parts.Take(i)));
                if (type == null) continue;
                for (int j = i; j < parts.Length; j++)
                {
                    var nested = Generic(parts[j]).Select(n => type.GetNestedType(n, BindingFlags.Public)).FirstOrDefault(n => n != null);
                    if (nested != null) { type = nested; continue; }
                    if (j == parts.Length - 1 && !prefix
                        && type.GetMember(parts[j], BindingFlags.Public | BindingFlags.Static | BindingFlags.Instance).Length > 0) return null;
                    return type.FullName + " has no public " + (prefix || j < parts.Length - 1 ? "nested type " : "member or nested type ") + parts[j];
                }
                return type.IsVisible ? null : type.FullName + " is not public";
            }
            if (prefix && Assemblies.Any(a => a.GetExportedTypes().Any(t => t.Namespace == path))) return null;
            return "no public type " + (prefix ? "or namespace " : "") + path + " in " + string.Join(", ", Assemblies.Select(a => a.GetName().Name));
        }

        private static IEnumerable<string> Generic(string name) => new[] { name }.Concat(Enumerable.Range(1, 3).Select(k => name + "`" + k));

        private static Type? FindType(string dotted) =>
            Assemblies.SelectMany(a => Generic(dotted).Select(n => a.GetType(n))).FirstOrDefault(t => t != null);

        [Fact]
        public void Every_runtime_name_the_generator_emits_resolves_by_reflection()
        {
            var constants = Constants().Where(c => !IsMemberGroup(c.Field)).ToList();
            Assert.True(constants.Count >= 80, "RuntimeNames has " + constants.Count + " constants; the enumeration lost some");
            var failures = constants.Select(c => (c.Field, c.Value, Why: Unresolved(c.Value))).Where(c => c.Why != null)
                .Select(c => c.Field + " = \"" + c.Value + "\": " + c.Why).ToList();
            Assert.True(failures.Count == 0, "RuntimeNames entries the runtime does not have:\n" + string.Join("\n", failures));
        }

        /// <summary>The groups of members written unqualified (on a generated class's base, or on a generated field): bare names resolved on their <c>On</c> type.</summary>
        private static readonly Type[] MemberGroups = { typeof(RuntimeNames.BaseMembers), typeof(RuntimeNames.TorchScriptUnitMembers) };

        private static bool IsMemberGroup(string field) =>
            MemberGroups.Any(g => field.StartsWith(nameof(RuntimeNames) + "." + g.Name + ".", StringComparison.Ordinal));

        [Fact]
        public void Every_member_generated_code_calls_unqualified_exists_on_its_type()
        {
            var failures = new List<string>();
            foreach (var group in MemberGroups)
            {
                var fields = group.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).ToList();
                string on = (string)fields.Single(f => f.Name == "On").GetRawConstantValue()!;
                Assert.Null(Unresolved(on));
                var type = FindType(on.Substring("global::".Length))!;
                Assert.True(fields.Count > 1, group.Name + " lists no members");
                foreach (var f in fields.Where(f => f.Name != "On"))
                {
                    string name = (string)f.GetRawConstantValue()!;
                    // Public or protected (family) members, declared on the type or inherited: what a derived generated class can call.
                    bool callable = type.GetMember(name, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.FlattenHierarchy)
                        .Concat(BaseTypes(type).SelectMany(b => b.GetMember(name, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)))
                        .Any(m => m switch
                        {
                            MethodInfo mi => mi.IsPublic || mi.IsFamily || mi.IsFamilyOrAssembly,
                            PropertyInfo pi => (pi.GetMethod ?? pi.SetMethod) is { } acc && (acc.IsPublic || acc.IsFamily || acc.IsFamilyOrAssembly),
                            FieldInfo fi => fi.IsPublic || fi.IsFamily || fi.IsFamilyOrAssembly,
                            _ => false,
                        });
                    if (!callable) failures.Add(group.Name + "." + f.Name + " = \"" + name + "\": no public or protected member of " + type.FullName + " or its bases");
                }
            }
            Assert.True(failures.Count == 0, string.Join("\n", failures));
        }

        private static IEnumerable<Type> BaseTypes(Type t)
        {
            for (var b = t.BaseType; b != null; b = b.BaseType) yield return b;
        }

        [Theory]
        [InlineData("global::Dsl.GeneratedCode.FusedKernels.NoSuchHelper")]
        [InlineData("global::Dsl.GeneratedCode.NoSuchType")]
        [InlineData("global::Dsl.NoSuchNamespace.")]
        [InlineData("global::TorchSharp.torch.NoSuchTensor")]
        [InlineData("global::Dsl.UnitKind.NoSuchKind")]
        [InlineData("global::System.Math.NoSuchFunction")]
        [InlineData("Dsl.GeneratedCode.FusedKernels")]
        public void The_resolver_refuses_a_name_the_runtime_lacks(string name) =>
            Assert.NotNull(Unresolved(name));

        [Theory]
        [InlineData("global::Dsl.GeneratedCode.FusedKernels.Span")]          // generic method
        [InlineData("global::TorchSharp.torch.Tensor")]                     // nested type
        [InlineData("global::System.Span")]                                 // generic type
        [InlineData("global::Dsl.UnitKind.Spins")]                          // enum value
        [InlineData("global::Dsl.")]                                        // namespace prefix
        public void The_resolver_accepts_each_kind_of_name(string name) =>
            Assert.Null(Unresolved(name));

        /// <summary>The emitters append the generator's <c>Model.UnitKind</c> value to <see cref="RuntimeNames.Api.UnitKind.Prefix"/>.</summary>
        [Fact]
        public void Every_unit_kind_the_generator_names_is_a_runtime_unit_kind() =>
            Assert.Equal(Enum.GetNames(typeof(global::Dsl.Generators.Model.UnitKind)).OrderBy(n => n), Enum.GetNames(typeof(global::Dsl.UnitKind)).OrderBy(n => n));

        /// <summary>The op table (Dsl.Symbolic, Roslyn-free) keeps its placeholder texts; the generator substitutes RuntimeNames' — they are the same.</summary>
        [Fact]
        public void The_op_tables_placeholders_are_the_runtime_names_prefixes()
        {
            Assert.Equal(OpTable.Placeholders.OrderBy(p => p.Key), RuntimeNames.SpellingPrefixes.OrderBy(p => p.Key));
            foreach (var (placeholder, text) in RuntimeNames.SpellingPrefixes)
                Assert.True(Unresolved(text) == null, "{" + placeholder + "} = " + text + ": " + Unresolved(text));
        }

        private static readonly Regex EmittedName = new(@"global::(Dsl|TorchSharp|System)\.[A-Za-z0-9_.]*");

        /// <summary>A new emitted name goes through RuntimeNames (and so through the resolution test above), not around it.</summary>
        [Fact]
        public void No_generator_source_but_RuntimeNames_spells_a_runtime_name()
        {
            var dir = Path.Combine(GeneratorFixture.RepoRoot(), "Generators", "Dsl.Generators");
            var files = Sources(dir).Where(f => Path.GetFileName(f) != "RuntimeNames.cs").ToList();
            Assert.Contains(files, f => Path.GetFileName(f) == "ModelEmitter.cs");
            var hits = files.SelectMany(f => File.ReadAllLines(f).Select((line, i) => (f, i, line)))
                .Where(l => EmittedName.IsMatch(l.line))
                .Select(l => Path.GetRelativePath(dir, l.f) + ":" + (l.i + 1) + ": " + EmittedName.Match(l.line).Value).ToList();
            Assert.True(hits.Count == 0, "runtime names spelled outside RuntimeNames.cs (add them to RuntimeNames):\n" + string.Join("\n", hits));
        }

        /// <summary>Dsl.Symbolic (compiled into the generator) names the runtime only in the op table's placeholder texts.</summary>
        [Fact]
        public void Dsl_Symbolic_names_the_runtime_only_in_spelling_placeholders()
        {
            var dir = Path.Combine(GeneratorFixture.RepoRoot(), "Generators", "Dsl.Symbolic");
            var allowed = new HashSet<string>(RuntimeNames.SpellingPrefixes.Values);
            var hits = Sources(dir).SelectMany(f => File.ReadAllLines(f).SelectMany((line, i) =>
                    EmittedName.Matches(line).Select(m => (File: Path.GetRelativePath(dir, f), Line: i + 1, Name: m.Value))))
                .Where(h => !allowed.Contains(h.Name)).Select(h => h.File + ":" + h.Line + ": " + h.Name).ToList();
            Assert.True(hits.Count == 0, "runtime names in Dsl.Symbolic outside the spelling placeholders:\n" + string.Join("\n", hits));
        }

        private static IEnumerable<string> Sources(string dir) =>
            Directory.GetFiles(dir, "*.cs", SearchOption.AllDirectories)
                .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(s => s == "obj" || s == "bin"));
    }
}
