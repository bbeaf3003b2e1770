using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using Dsl.Generators.Diagnostics;
using Dsl.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
namespace Dsl.Generators.Parsing
{
    /// <summary>
    /// The parsing every kind of model shares (energy models, SDEs, divergences, flows): the declaration checks (partial, not
    /// generic, partial containers), the guard that turns an unexpected exception into DSL9999, [Param] fields, the Dim symbol
    /// and the recognition of Dsl types and attributes by name.
    /// </summary>
    internal static class CommonParsing
    {
        private const string AttributeNamespace = "Dsl";

        /// <summary>
        /// The checks every generated class shares (partial, not generic, partial containers) and the containing
        /// types, outermost first.
        /// </summary>
        internal static List<ContainerSpec> CheckDeclaration(INamedTypeSymbol type, ClassDeclarationSyntax declaration, LocationInfo? classLocation,
            List<DiagnosticInfo> diagnostics, CancellationToken ct)
        {
            if (!declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotPartial, classLocation, type.Name));
            if (type.TypeParameters.Length > 0)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.Generic, classLocation, type.Name, "is generic"));
            var containers = new List<ContainerSpec>();
            for (var outer = type.ContainingType; outer != null; outer = outer.ContainingType)
            {
                if (outer.TypeParameters.Length > 0)
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.Generic, classLocation, type.Name, "is nested in the generic type '" + outer.Name + "'"));
                var outerSyntax = outer.DeclaringSyntaxReferences.Select(r => r.GetSyntax(ct)).OfType<TypeDeclarationSyntax>().FirstOrDefault();
                if (outerSyntax != null && !outerSyntax.Modifiers.Any(SyntaxKind.PartialKeyword))
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotPartial, LocationInfo.From(outerSyntax.Identifier.GetLocation()), outer.Name));
                string keyword = outer.IsRecord ? (outer.IsValueType ? "record struct" : "record") : outer.TypeKind == TypeKind.Struct ? "struct" : outer.TypeKind == TypeKind.Interface ? "interface" : "class";
                containers.Insert(0, new ContainerSpec(keyword, outer.Name));
            }
            return containers;
        }

        /// <summary>Runs <paramref name="parse"/>, turning an unexpected exception into DSL9999 at the class (cancellation passes through).</summary>
        internal static (T? Result, List<DiagnosticInfo> Diagnostics) Guarded<T>(INamedTypeSymbol type, ClassDeclarationSyntax declaration,
            Func<List<DiagnosticInfo>, T?> parse) where T : class
        {
            var diagnostics = new List<DiagnosticInfo>();
            try
            {
                var result = parse(diagnostics);
                return (diagnostics.Any(d => d.Descriptor.DefaultSeverity == DiagnosticSeverity.Error) ? null : result, diagnostics);
            }
            catch (OperationCanceledException)
            {
                throw;
            }
            catch (Exception e)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.Internal, LocationInfo.From(declaration.Identifier.GetLocation()), type.Name, e.GetType().Name + ": " + e.Message));
                return (null, diagnostics);
            }
        }

        internal static List<ParamSpec> ParseParameters(INamedTypeSymbol type, List<DiagnosticInfo> diagnostics, CancellationToken ct)
        {
            var result = new List<ParamSpec>();
            foreach (var field in type.GetMembers().OfType<IFieldSymbol>())
            {
                var attribute = field.GetAttributes().FirstOrDefault(a => IsDslAttribute(a, "ParamAttribute"));
                if (attribute == null) continue;
                var location = LocationInfo.From(field.Locations.FirstOrDefault());
                int rank = IsDslType(field.Type, "Scalar") ? 0 : IsDslType(field.Type, "Vec") ? 1 : IsDslType(field.Type, "Mat") ? 2 : -1;
                if (rank < 0)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadParameter, location, field.Name, type.Name,
                        "its type '" + field.Type.ToDisplayString() + "' is not Scalar, Vec or Mat"));
                    continue;
                }
                if (field.IsReadOnly || field.IsStatic)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadParameter, location, field.Name, type.Name,
                        "a parameter must be a non-static, non-readonly field (the generated constructor binds it)"));
                    continue;
                }
                string shape = attribute.ConstructorArguments.Length > 0 && attribute.ConstructorArguments[0].Value is string s ? s : "";
                double init = double.NaN;
                foreach (var named in attribute.NamedArguments)
                {
                    if (named.Key == "Shape" && named.Value.Value is string s2) shape = s2;
                    if (named.Key == "Init" && named.Value.Value is double d) init = d;
                }
                var dims = shape.Split(',').Select(d => d.Trim()).Where(d => d.Length > 0).ToArray();
                if (dims.Any(d => !IsSymbol(d) && !IsSizeExpression(d)))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadParameter, location, field.Name, type.Name,
                        "the shape \"" + shape + "\" must list dimension names such as \"K,D\" or size expressions such as \"2*D\""));
                    continue;
                }
                if (dims.Length != rank)
                {
                    string kind = rank == 0 ? "Scalar" : rank == 1 ? "Vec" : "Mat";
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadParameter, location, field.Name, type.Name,
                        "a " + kind + " needs " + rank + " dimension name" + (rank == 1 ? "" : "s") + " in its shape, got \"" + shape + "\""));
                    continue;
                }
                result.Add(new ParamSpec(field.Name, rank, dims.ToEquatableArray(), init, location));
            }
            return result;
        }

        private static readonly Regex SymbolPattern = new Regex("^[A-Za-z_][A-Za-z0-9_]*$");

        internal static bool IsSymbol(string s) => SymbolPattern.IsMatch(s);

        private static readonly Regex SizeTerm = new Regex(@"^(\d+|[A-Za-z_][A-Za-z0-9_]*|\d+\*[A-Za-z_][A-Za-z0-9_]*|[A-Za-z_][A-Za-z0-9_]*\*\d+)$");

        /// <summary>A size expression in a [Param] shape: names and integers joined by + and −, a name times an integer ("2*D", "D+1", "K+D").</summary>
        internal static bool IsSizeExpression(string s)
        {
            var text = s.Replace(" ", "");
            if (text.Length == 0) return false;
            var terms = Regex.Split(text.TrimStart('+', '-'), "[+-]");
            return terms.All(t => SizeTerm.IsMatch(t)) && terms.Any(t => !Regex.IsMatch(t, @"^\d+$")) || Regex.IsMatch(text, @"^\d+$") && text != "0";
        }

        /// <summary>The dimension symbol a class attribute names with Dim = "…" (a valid identifier), or "D".</summary>
        internal static string DimSymbol(IEnumerable<AttributeData> attributes)
        {
            string dimSymbol = "D";
            foreach (var attribute in attributes)
                foreach (var named in attribute.NamedArguments)
                    if (named.Key == "Dim" && named.Value.Value is string dim && IsSymbol(dim)) dimSymbol = dim;
            return dimSymbol;
        }

        /// <summary>
        /// The model's int members named like one of its sizes (x's dimension, the names in the [Param] shapes), settable from the
        /// generated constructor: `public int D { get; init; }` lets an equation slice x[..D]; the constructor sets it to the size D.
        /// </summary>
        internal static EquatableArray<string> SizeMembers(INamedTypeSymbol type, string dimSymbol, IEnumerable<ParamSpec> parameters)
        {
            var names = new HashSet<string>();
            foreach (var p in parameters)
                foreach (var d in p.Dims.Concat(new[] { dimSymbol }))
                    foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(d, "[A-Za-z_][A-Za-z0-9_]*"))
                        names.Add(m.Value);
            var members = new List<string>();
            foreach (var member in type.GetMembers())
            {
                if (member.IsStatic || !names.Contains(member.Name)) continue;
                bool settable = member is IPropertySymbol property ? property.Type.SpecialType == SpecialType.System_Int32 && property.SetMethod != null && !property.IsIndexer
                    : member is IFieldSymbol field && field.Type.SpecialType == SpecialType.System_Int32 && !field.IsConst;
                if (settable) members.Add(member.Name);
            }
            members.Sort(System.StringComparer.Ordinal);
            return members.ToEquatableArray();
        }

        internal static bool IsDslType(ITypeSymbol type, string name) =>
            type.Name == name && type.ContainingNamespace?.ToDisplayString() == AttributeNamespace && type.ContainingType == null;

        internal static bool IsDslAttribute(AttributeData a, string name) =>
            a.AttributeClass != null && IsDslType(a.AttributeClass, name);

        internal static bool HasAttribute(ISymbol symbol, string name) => symbol.GetAttributes().Any(a => IsDslAttribute(a, name));
    }
}
