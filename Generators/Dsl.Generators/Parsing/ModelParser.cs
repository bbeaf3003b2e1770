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
using static Dsl.Generators.Parsing.CommonParsing;

namespace Dsl.Generators.Parsing
{
    /// <summary>
    /// Syntax + semantics → <see cref="ModelSpec"/>. The only layer that sees Roslyn symbols; everything it
    /// returns is value-equatable. Never throws on bad input: problems become diagnostics.
    /// </summary>
    public static class ModelParser
    {

        /// <summary>Parses the class that carries [EnergyModel].</summary>
        public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken ct)
        {
            if (!(context.TargetSymbol is INamedTypeSymbol type) || !(context.TargetNode is ClassDeclarationSyntax declaration))
                return new ParseResult(null, EquatableArray<DiagnosticInfo>.Empty);
            var (model, diagnostics) = Guarded(type, declaration, d => ParseModel(context.SemanticModel.Compilation, type, declaration, context.Attributes, d, ct));
            return new ParseResult(model, diagnostics.ToEquatableArray());
        }

        private static ModelSpec? ParseModel(Compilation compilation, INamedTypeSymbol type, ClassDeclarationSyntax declaration,
            IEnumerable<AttributeData> attributes, List<DiagnosticInfo> diagnostics, CancellationToken ct)
        {
            var classLocation = LocationInfo.From(declaration.Identifier.GetLocation());
            var containers = CheckDeclaration(type, declaration, classLocation, diagnostics, ct);

            string dimSymbol = "D", hiddenDimSymbol = "H";
            var kernels = KernelChoice.Auto;
            foreach (var attribute in attributes)
                foreach (var named in attribute.NamedArguments)
                {
                    if (named.Key == "Dim" && named.Value.Value is string dim && (IsSymbol(dim) || IsSizeExpression(dim))) dimSymbol = dim;   // a name, or a size expression such as "2*D"
                    if (named.Key == "HiddenDim" && named.Value.Value is string hiddenDim && IsSymbol(hiddenDim)) hiddenDimSymbol = hiddenDim;
                    if (named.Key == "Kernels" && named.Value.Value is int k && k >= 0 && k <= 3) kernels = (KernelChoice)k;
                }

            var parameters = ParseParameters(type, diagnostics, ct);

            var energyMethods = type.GetMembers().OfType<IMethodSymbol>().Where(m => HasAttribute(m, "EnergyAttribute")).ToList();
            if (energyMethods.Count != 1)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoEnergy, classLocation, type.Name,
                    energyMethods.Count == 0 ? "has no [Energy] method" : "has " + energyMethods.Count + " [Energy] methods"));
                return null;
            }
            var energy = energyMethods[0];
            var energySyntax = energy.DeclaringSyntaxReferences.Select(r => r.GetSyntax(ct)).OfType<MethodDeclarationSyntax>().FirstOrDefault();
            if (energySyntax == null) return null;
            // [Time] and [Condition] arguments (E(x, t | y)) have their own rules and diagnostics (ConditioningParser).
            var conditioning = ConditioningParser.Read(energy, energySyntax, diagnostics, ct);
            if (conditioning.Failed) return null;
            var signatureProblem = conditioning.Spec != null ? null : CheckEnergySignature(energy);
            if (signatureProblem != null)
            {
                var where = signatureProblem.Value.AtReturnType ? energySyntax.ReturnType.GetLocation() : energySyntax.ParameterList.GetLocation();
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.EnergySignature, LocationInfo.From(where), energy.Name, signatureProblem.Value.Problem));
                return null;
            }

            // Composition: members whose type is another [EnergyModel] class are parts; calls to their energies are inlined.
            var parts = PartReader.Read(compilation, type, dimSymbol, parameters, diagnostics, ct);
            if (parts.Specs.Count > 0 && (energy.Parameters.Length != 1 || !IsDslType(energy.Parameters[0].Type, "Vec")))
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.PartNotInlinable, LocationInfo.From(energySyntax.ParameterList.GetLocation()), parts.Specs[0].Member, type.Name, type.Name,
                    "holds parts but its energy is not 'Scalar " + energy.Name + "(Vec x)'; a model with parts is over real x only (no [NoiseLevel], [Hidden], Spins or Bits yet)"));

            var paramNames = new HashSet<string>(parameters.Select(p => p.Name));
            var reader = new EquationReader(compilation, type, paramNames, type.Name, diagnostics, ct, parts.Infos);
            var second = energy.Parameters.Length == 2 ? energy.Parameters[1] : null;
            var hidden = second != null && HasAttribute(second, "HiddenAttribute") ? second : null;
            var noiseLevel = hidden == null ? second : null;
            var energySpec = conditioning.Spec != null
                ? reader.Read(energy, energySyntax, energy.Parameters[0], conditioning.Time, null, conditionInputs: conditioning.Condition != null ? new[] { conditioning.Condition } : null)
                : reader.Read(energy, energySyntax, energy.Parameters[0], noiseLevel, hidden);

            EquationSpec? logPartition = null;
            var logMethods = type.GetMembers().OfType<IMethodSymbol>().Where(m => HasAttribute(m, "LogPartitionAttribute")).ToList();
            foreach (var logMethod in logMethods)
            {
                var logSyntax = logMethod.DeclaringSyntaxReferences.Select(r => r.GetSyntax(ct)).OfType<MethodDeclarationSyntax>().FirstOrDefault();
                if (logSyntax == null) continue;
                if (logMethods.Count > 1 || !IsDslType(logMethod.ReturnType, "Scalar") || logMethod.Parameters.Length != 0)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadLogPartition, LocationInfo.From(logSyntax.Identifier.GetLocation()), logMethod.Name,
                        logMethods.Count > 1 ? "is one of several [LogPartition] methods" : "has the wrong signature"));
                    continue;
                }
                logPartition = reader.Read(logMethod, logSyntax, null, null);
            }

            if (energySpec == null) return null;
            string? ns = type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString();
            var sizeMembers = SizeMembers(type, dimSymbol, parameters);
            return new ModelSpec(ns, containers.ToEquatableArray(), type.Name,
                type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), dimSymbol, energy.Parameters[0].Name,
                noiseLevel?.Name, hidden?.Name, hiddenDimSymbol, UnitsOf(energy.Parameters[0].Type), hidden == null ? UnitKind.Real : UnitsOf(hidden.Type), energySpec, logPartition, parameters.Concat(parts.Params).ToEquatableArray(), classLocation, kernels,
                HasAttribute(type, "SubgradientAttribute"), Parts: parts.Specs.ToEquatableArray(), SizeMembers: sizeMembers, Conditioning: conditioning.Spec);
        }

        private static bool IsUnitType(ITypeSymbol type) => IsDslType(type, "Vec") || IsDslType(type, "Spins") || IsDslType(type, "Bits");

        private static UnitKind UnitsOf(ITypeSymbol type) =>
            IsDslType(type, "Spins") ? UnitKind.Spins : IsDslType(type, "Bits") ? UnitKind.Bits : UnitKind.Real;

        private static (bool AtReturnType, string Problem)? CheckEnergySignature(IMethodSymbol energy)
        {
            if (!IsDslType(energy.ReturnType, "Scalar"))
                return (true, "returns '" + energy.ReturnType.ToDisplayString() + "'");
            if (energy.Parameters.Length == 0 || energy.Parameters.Length > 2)
                return (false, "takes " + energy.Parameters.Length + " parameters");
            if (!IsUnitType(energy.Parameters[0].Type))
                return (false, "takes '" + energy.Parameters[0].Type.ToDisplayString() + "'");
            if (energy.Parameters.Length == 2)
            {
                var second = energy.Parameters[1];
                if (HasAttribute(second, "HiddenAttribute"))
                    return IsDslType(second.Type, "Bits") || IsDslType(second.Type, "Spins") ? null
                        : (false, "takes the hidden units '" + second.Name + "' as '" + second.Type.ToDisplayString() + "'; hidden units are summed out, so they must be Bits or Spins");
                if (!second.GetAttributes().Any(a => IsDslAttribute(a, "NoiseLevelAttribute")))
                    return (false, "takes a second parameter '" + second.Name + "' that is not marked [NoiseLevel] or [Hidden] ([Time] Scalar t for a time, [Condition] Vec or Label y for a condition)");
                if (!IsDslType(second.Type, "Scalar"))
                    return (false, "takes the noise level '" + second.Name + "' as '" + second.Type.ToDisplayString() + "' instead of Scalar");
                if (!IsDslType(energy.Parameters[0].Type, "Vec"))
                    return (false, "takes '" + energy.Parameters[0].Type.ToDisplayString() + "' with a [NoiseLevel]; noise-conditional energies are over real Vec x");
            }
            else if (HasAttribute(energy.Parameters[0], "VisibleAttribute"))
                return (false, "marks '" + energy.Parameters[0].Name + "' [Visible] without a [Hidden] second argument");
            foreach (var parameter in energy.Parameters)
                if (parameter.RefKind != RefKind.None || parameter.IsParams || parameter.HasExplicitDefaultValue)
                    return (false, "takes '" + parameter.Name + "' with a modifier or default value");
            if (energy.IsGenericMethod)
                return (false, "is generic");
            return null;
        }
    }
}
