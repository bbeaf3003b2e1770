using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Dsl.Generators.Diagnostics;
using Dsl.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Dsl.Generators.Parsing
{
    /// <summary>Syntax + semantics of an [Sde] class → <see cref="SdeSpec"/>. Never throws on bad input.</summary>
    public static class SdeParser
    {
        /// <summary>Parses the class that carries [Sde].</summary>
        public static SdeParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken ct)
        {
            var diagnostics = new List<DiagnosticInfo>();
            if (!(context.TargetSymbol is INamedTypeSymbol type) || !(context.TargetNode is ClassDeclarationSyntax declaration))
                return new SdeParseResult(null, EquatableArray<DiagnosticInfo>.Empty);
            try
            {
                var sde = ParseSde(context.SemanticModel.Compilation, type, declaration, context.Attributes, diagnostics, ct);
                return new SdeParseResult(diagnostics.Any(d => d.Descriptor.DefaultSeverity == DiagnosticSeverity.Error) ? null : sde, diagnostics.ToEquatableArray());
            }
            catch (OperationCanceledException)
            {
                throw;
            }
            catch (Exception e)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.Internal, LocationInfo.From(declaration.Identifier.GetLocation()), type.Name, e.GetType().Name + ": " + e.Message));
                return new SdeParseResult(null, diagnostics.ToEquatableArray());
            }
        }

        private static SdeSpec? ParseSde(Compilation compilation, INamedTypeSymbol type, ClassDeclarationSyntax declaration,
            IEnumerable<AttributeData> attributes, List<DiagnosticInfo> diagnostics, CancellationToken ct)
        {
            var classLocation = LocationInfo.From(declaration.Identifier.GetLocation());
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

            double endTime = 1.0;
            foreach (var attribute in attributes)
                foreach (var named in attribute.NamedArguments)
                    if (named.Key == "EndTime" && named.Value.Value is double d) endTime = d;
            if (!(endTime > 0) || double.IsInfinity(endTime))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SdeSignature, classLocation, type.Name, "has EndTime = " + endTime + ", which is not a positive finite time"));
                return null;
            }

            var drift = Single(type, "DriftAttribute", "[Drift]", classLocation, diagnostics, ct);
            var diffusion = Single(type, "DiffusionAttribute", "[Diffusion]", classLocation, diagnostics, ct);
            if (drift == null || diffusion == null) return null;

            var (driftMethod, driftSyntax) = drift.Value;
            var (diffusionMethod, diffusionSyntax) = diffusion.Value;
            bool ok = true;
            if (!ModelParser.IsDslType(driftMethod.ReturnType, "Vec") || driftMethod.Parameters.Length != 2
                || !ModelParser.IsDslType(driftMethod.Parameters[0].Type, "Vec") || !ModelParser.IsDslType(driftMethod.Parameters[1].Type, "Scalar"))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SdeSignature, LocationInfo.From(driftSyntax.Identifier.GetLocation()), type.Name,
                    "declares the drift as '" + driftMethod.ReturnType.ToDisplayString() + " " + driftMethod.Name + "(" + string.Join(", ", driftMethod.Parameters.Select(p => p.Type.ToDisplayString())) + ")'"));
                ok = false;
            }
            if (diffusionMethod.Parameters.Any(p => ModelParser.IsDslType(p.Type, "Vec")))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SdeSignature, LocationInfo.From(diffusionSyntax.ParameterList.GetLocation()), type.Name,
                    "has a diffusion that takes x: Dsl's solvers and perturbation kernels assume g(t) independent of x"));
                ok = false;
            }
            else if (!ModelParser.IsDslType(diffusionMethod.ReturnType, "Scalar") || diffusionMethod.Parameters.Length != 1 || !ModelParser.IsDslType(diffusionMethod.Parameters[0].Type, "Scalar"))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SdeSignature, LocationInfo.From(diffusionSyntax.Identifier.GetLocation()), type.Name,
                    "declares the diffusion as '" + diffusionMethod.ReturnType.ToDisplayString() + " " + diffusionMethod.Name + "(" + string.Join(", ", diffusionMethod.Parameters.Select(p => p.Type.ToDisplayString())) + ")'"));
                ok = false;
            }
            if (!ok) return null;

            var reader = new ModelParser.EquationReader(compilation, type, new HashSet<string>(), type.Name, diagnostics, ct);
            var driftSpec = reader.Read(driftMethod, driftSyntax, driftMethod.Parameters[0], driftMethod.Parameters[1]);
            var diffusionSpec = reader.Read(diffusionMethod, diffusionSyntax, null, diffusionMethod.Parameters[0]);
            if (driftSpec == null || diffusionSpec == null) return null;
            string? ns = type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString();
            return new SdeSpec(ns, containers.ToEquatableArray(), type.Name, endTime, "D", driftSpec, diffusionSpec, classLocation);
        }

        private static (IMethodSymbol, MethodDeclarationSyntax)? Single(INamedTypeSymbol type, string attribute, string display, LocationInfo? classLocation, List<DiagnosticInfo> diagnostics, CancellationToken ct)
        {
            var methods = type.GetMembers().OfType<IMethodSymbol>().Where(m => ModelParser.HasAttribute(m, attribute)).ToList();
            if (methods.Count != 1)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SdeSignature, classLocation, type.Name,
                    methods.Count == 0 ? "has no " + display + " method" : "has " + methods.Count + " " + display + " methods"));
                return null;
            }
            var syntax = methods[0].DeclaringSyntaxReferences.Select(r => r.GetSyntax(ct)).OfType<MethodDeclarationSyntax>().FirstOrDefault();
            if (syntax == null) return null;
            return (methods[0], syntax);
        }
    }
}
