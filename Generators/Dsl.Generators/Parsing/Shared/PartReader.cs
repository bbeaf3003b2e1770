using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Dsl.Generators.Diagnostics;
using Dsl.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using static Dsl.Generators.Parsing.CommonParsing;

namespace Dsl.Generators.Parsing
{
    /// <summary>
    /// One part as the equation reader needs it while parsing (Roslyn symbols; never leaves the parsing stage): the member that
    /// holds it, its class, its [Energy] method, its [Param] names, and the names its parameters take in the holding model.
    /// </summary>
    internal sealed class PartInfo
    {
        public PartInfo(ISymbol member, INamedTypeSymbol type, IMethodSymbol energy, HashSet<string> paramNames)
        {
            Member = member; Type = type; Energy = energy; ParamNames = paramNames;
        }

        /// <summary>The readonly field or get-only property holding the part.</summary>
        public ISymbol Member { get; }
        /// <summary>The part's [EnergyModel] class.</summary>
        public INamedTypeSymbol Type { get; }
        /// <summary>The part's [Energy] method, inlined where the model's equation calls it.</summary>
        public IMethodSymbol Energy { get; }
        /// <summary>The part's [Param] field names.</summary>
        public HashSet<string> ParamNames { get; }
    }

    /// <summary>
    /// Composition: finds the members of an [EnergyModel] or [Sde] class whose type is an [EnergyModel] class (its parts), checks
    /// that each can be inlined (DSL0050–DSL0052), and returns their specs and their parameters under the names "Part.Name",
    /// with the part's x dimension renamed to the model's (kept when the model's is a size expression such as "2*D") and its
    /// other dimensions to "Part_Dim".
    /// </summary>
    internal static class PartReader
    {
        internal static (List<PartInfo> Infos, List<PartSpec> Specs, List<ParamSpec> Params) Read(Compilation compilation, INamedTypeSymbol type,
            string dimSymbol, IReadOnlyList<ParamSpec> ownParams, List<DiagnosticInfo> diagnostics, CancellationToken ct)
        {
            var infos = new List<PartInfo>();
            var specs = new List<PartSpec>();
            var partParams = new List<ParamSpec>();
            foreach (var member in type.GetMembers())
            {
                ct.ThrowIfCancellationRequested();
                var memberType = member is IFieldSymbol f && !f.IsImplicitlyDeclared ? f.Type : member is IPropertySymbol p ? p.Type : null;
                if (!(memberType is INamedTypeSymbol partType) || !partType.GetAttributes().Any(a => IsDslAttribute(a, "EnergyModelAttribute"))) continue;
                var location = LocationInfo.From(member.Locations.FirstOrDefault());
                string name = member.Name;

                string? declarationProblem = DeclarationProblem(member, ct);
                if (declarationProblem != null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.PartDeclaration, location, name, type.Name, declarationProblem));
                    continue;
                }
                if (!partType.DeclaringSyntaxReferences.Any())
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.PartWithoutSource, location, name, type.Name, partType.ToDisplayString()));
                    continue;
                }
                var (energy, problem) = InlinableEnergy(compilation, type, partType);
                var partOwnParams = new List<ParamSpec>();
                if (problem == null)
                {
                    var partDiagnostics = new List<DiagnosticInfo>();
                    partOwnParams = ParseParameters(partType, partDiagnostics, ct);
                    if (partDiagnostics.Count > 0)
                        problem = "its [Param] fields have errors of their own (see the diagnostics on '" + partType.Name + "')";
                    else
                    {
                        var hidden = partType.GetMembers().OfType<IFieldSymbol>()
                            .FirstOrDefault(field => HasAttribute(field, "ParamAttribute") && !compilation.IsSymbolAccessibleWithin(field, type));
                        if (hidden != null)
                            problem = "its [Param] field '" + hidden.Name + "' is not accessible from '" + type.Name + "'; declare it 'public' or 'internal' (the model binds it for the eager path)";
                    }
                }
                if (problem != null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.PartNotInlinable, location, name, type.Name, partType.Name, problem));
                    continue;
                }

                // Sizes: the part's x dimension is the model's when that is a name; when the model's dimension is a size expression
                // ("2*D": a state u = (x, v) whose halves the part reads as Part.E(u[..D])) the part's x dimension keeps its own name,
                // so that it is one of the model's sizes. The part's other dimensions become "Part_Dim".
                string partDim = DimSymbol(partType.GetAttributes().Where(a => IsDslAttribute(a, "EnergyModelAttribute")));
                string partInputDim = IsSymbol(dimSymbol) ? dimSymbol : partDim;
                string Map(string d) => d == partDim ? partInputDim : name + "_" + d;
                var partSizes = new List<string> { partDim };
                foreach (var param in partOwnParams)
                    foreach (var d in param.Dims)
                        if (!partSizes.Contains(d)) partSizes.Add(d);
                var ownDims = new HashSet<string>(ownParams.SelectMany(o => o.Dims));
                var ownLocals = new HashSet<string>(ownParams.Select(o => o.Name));
                var clash = partSizes.Skip(1).Select(Map).FirstOrDefault(d => ownDims.Contains(d)) is string size
                    ? "the part's dimension is named '" + size + "' here, which is also a dimension of '" + type.Name + "'"
                    : partOwnParams.Select(o => name + "_" + o.Name).FirstOrDefault(ownLocals.Contains) is string local
                        ? "the part's parameter '" + name + "." + local.Substring(name.Length + 1) + "' would share the generated local of the parameter '" + local + "'"
                        : null;
                if (clash != null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.PartDeclaration, location, name, type.Name, clash + "; rename one of them"));
                    continue;
                }

                infos.Add(new PartInfo(member, partType, energy!, new HashSet<string>(partOwnParams.Select(o => o.Name))));
                specs.Add(new PartSpec(name, partType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), partSizes.Select(Map).ToEquatableArray(), EnergySource(energy!, ct), location));
                foreach (var param in partOwnParams)
                    partParams.Add(new ParamSpec(name + "." + param.Name, param.Rank, param.Dims.Select(Map).ToEquatableArray(), param.Init, param.Location, name));
            }
            return (infos, specs, partParams);
        }

        /// <summary>Why the member cannot hold a part (null when it can): the constructor assigns it once, so it must not change afterwards.</summary>
        private static string? DeclarationProblem(ISymbol member, CancellationToken ct)
        {
            if (member.IsStatic) return "it is static; a part belongs to one model: declare it 'public readonly " + TypeName(member) + " " + member.Name + ";'";
            if (member is IFieldSymbol field)
                return field.IsReadOnly ? null : "it is a field that is not readonly; the generated constructor creates and registers the part once, so declare it 'public readonly " + TypeName(member) + " " + member.Name + ";'";
            var property = (IPropertySymbol)member;
            var syntax = property.DeclaringSyntaxReferences.Select(r => r.GetSyntax(ct)).OfType<PropertyDeclarationSyntax>().FirstOrDefault();
            bool autoGetOnly = property.SetMethod == null && syntax?.AccessorList != null
                && syntax.AccessorList.Accessors.All(a => a.IsKind(SyntaxKind.GetAccessorDeclaration) && a.Body == null && a.ExpressionBody == null);
            return autoGetOnly ? null : "it is a property that is not get-only and automatic; declare it 'public " + TypeName(member) + " " + member.Name + " { get; }'";
        }

        /// <summary>"E(x) = body" of a part's [Energy] method, whitespace collapsed.</summary>
        private static string EnergySource(IMethodSymbol energy, CancellationToken ct)
        {
            var syntax = energy.DeclaringSyntaxReferences.Select(r => r.GetSyntax(ct)).OfType<MethodDeclarationSyntax>().FirstOrDefault();
            string body = syntax?.ExpressionBody != null ? syntax.ExpressionBody.Expression.ToString() : syntax?.Body?.ToString() ?? "";
            return energy.Name + "(" + energy.Parameters[0].Name + ") = " + System.Text.RegularExpressions.Regex.Replace(body, "\\s+", " ").Trim();
        }

        private static string TypeName(ISymbol member) => (member is IFieldSymbol f ? f.Type : ((IPropertySymbol)member).Type).Name;

        /// <summary>The part's [Energy] method, or why its energy cannot be inlined into <paramref name="model"/>.</summary>
        private static (IMethodSymbol? Energy, string? Problem) InlinableEnergy(Compilation compilation, INamedTypeSymbol model, INamedTypeSymbol part)
        {
            if (SymbolEqualityComparer.Default.Equals(part, model)) return (null, "a model cannot hold itself");
            var energies = part.GetMembers().OfType<IMethodSymbol>().Where(m => HasAttribute(m, "EnergyAttribute")).ToList();
            if (energies.Count != 1) return (null, "it has " + energies.Count + " [Energy] methods");
            var energy = energies[0];
            if (!IsDslType(energy.ReturnType, "Scalar") || energy.Parameters.Length != 1 || !IsDslType(energy.Parameters[0].Type, "Vec"))
                return (null, "its energy is '" + energy.ReturnType.Name + " " + energy.Name + "(" + string.Join(", ", energy.Parameters.Select(p => p.Type.Name)) + ")'; "
                    + "a part's energy must be 'Scalar " + energy.Name + "(Vec x)' (parts with a [NoiseLevel], [Hidden] units, Spins or Bits are not supported yet)");
            if (!compilation.IsSymbolAccessibleWithin(energy, model))
                return (null, "its [Energy] method '" + energy.Name + "' is not accessible from '" + model.Name + "'; declare it '[Energy] internal Scalar " + energy.Name + "(Vec x)' (or public)");
            foreach (var member in part.GetMembers())
            {
                var memberType = member is IFieldSymbol f ? f.Type : member is IPropertySymbol p ? p.Type : null;
                if (memberType is INamedTypeSymbol inner && inner.GetAttributes().Any(a => IsDslAttribute(a, "EnergyModelAttribute")))
                    return (null, "it holds a part of its own ('" + member.Name + "'); parts of parts are not supported: hold '" + inner.Name + "' directly in '" + model.Name + "'");
            }
            return (energy, null);
        }
    }
}
