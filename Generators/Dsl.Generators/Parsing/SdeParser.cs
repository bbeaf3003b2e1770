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
            if (!(context.TargetSymbol is INamedTypeSymbol type) || !(context.TargetNode is ClassDeclarationSyntax declaration))
                return new SdeParseResult(null, EquatableArray<DiagnosticInfo>.Empty);
            var (sde, diagnostics) = CommonParsing.Guarded(type, declaration, d => ParseSde(context.SemanticModel.Compilation, type, declaration, context.Attributes, d, ct));
            return new SdeParseResult(sde, diagnostics.ToEquatableArray());
        }

        private static SdeSpec? ParseSde(Compilation compilation, INamedTypeSymbol type, ClassDeclarationSyntax declaration,
            IEnumerable<AttributeData> attributes, List<DiagnosticInfo> diagnostics, CancellationToken ct)
        {
            var classLocation = LocationInfo.From(declaration.Identifier.GetLocation());
            var containers = CommonParsing.CheckDeclaration(type, declaration, classLocation, diagnostics, ct);

            double endTime = 1.0;
            string dimSymbol = "D";
            foreach (var attribute in attributes)
                foreach (var named in attribute.NamedArguments)
                {
                    if (named.Key == "EndTime" && named.Value.Value is double d) endTime = d;
                    if (named.Key == "Dim" && named.Value.Value is string dim) dimSymbol = dim.Replace(" ", "");
                }
            if (!CommonParsing.IsSymbol(dimSymbol) && !CommonParsing.IsSizeExpression(dimSymbol))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SdeSignature, classLocation, type.Name,
                    "has Dim = \"" + dimSymbol + "\", which is neither a dimension name such as \"D\" nor a size expression such as \"2*D\""));
                return null;
            }
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
            if (!CommonParsing.IsDslType(driftMethod.ReturnType, "Vec") || driftMethod.Parameters.Length != 2
                || !CommonParsing.IsDslType(driftMethod.Parameters[0].Type, "Vec") || !CommonParsing.IsDslType(driftMethod.Parameters[1].Type, "Scalar"))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SdeSignature, LocationInfo.From(driftSyntax.Identifier.GetLocation()), type.Name,
                    "declares the drift as '" + driftMethod.ReturnType.ToDisplayString() + " " + driftMethod.Name + "(" + string.Join(", ", driftMethod.Parameters.Select(p => p.Type.ToDisplayString())) + ")'"));
                ok = false;
            }
            // The diffusion: G(t) or G(x, t), returning a Scalar g (G = gI), a per-coordinate Vec g (G = diag g) or a Mat G.
            int diffusionRank = CommonParsing.IsDslType(diffusionMethod.ReturnType, "Scalar") ? 0
                : CommonParsing.IsDslType(diffusionMethod.ReturnType, "Vec") ? 1
                : CommonParsing.IsDslType(diffusionMethod.ReturnType, "Mat") ? 2 : -1;
            var dp = diffusionMethod.Parameters;
            bool readsX = dp.Length == 2 && CommonParsing.IsDslType(dp[0].Type, "Vec") && CommonParsing.IsDslType(dp[1].Type, "Scalar");
            bool timeOnly = dp.Length == 1 && CommonParsing.IsDslType(dp[0].Type, "Scalar");
            if (diffusionRank < 0 || !(readsX || timeOnly))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SdeSignature, LocationInfo.From(diffusionSyntax.Identifier.GetLocation()), type.Name,
                    "declares the diffusion as '" + diffusionMethod.ReturnType.ToDisplayString() + " " + diffusionMethod.Name + "(" + string.Join(", ", dp.Select(p => p.Type.ToDisplayString())) + ")'"));
                ok = false;
            }
            var parameters = CommonParsing.ParseParameters(type, diagnostics, ct);
            if (!ok) return null;

            // Composition: members whose type is an [EnergyModel] class are parts; their energies are inlined where the drift or the
            // diffusion calls them (Target.E(q)) or differentiates them (Grad(Target.E, q)).
            var parts = PartReader.Read(compilation, type, dimSymbol, parameters, diagnostics, ct);
            var reader = new EquationReader(compilation, type, new HashSet<string>(parameters.Select(p => p.Name)), type.Name, diagnostics, ct, parts.Infos);
            var driftSpec = reader.Read(driftMethod, driftSyntax, driftMethod.Parameters[0], driftMethod.Parameters[1]);
            var diffusionSpec = readsX ? reader.Read(diffusionMethod, diffusionSyntax, dp[0], dp[1]) : reader.Read(diffusionMethod, diffusionSyntax, null, dp[0]);
            if (driftSpec == null || diffusionSpec == null) return null;
            string? ns = type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString();
            var allParams = parameters.Concat(parts.Params).ToList();
            return new SdeSpec(ns, containers.ToEquatableArray(), type.Name, endTime, dimSymbol, driftSpec, diffusionSpec, classLocation,
                allParams.ToEquatableArray(), diffusionRank, readsX, parts.Specs.ToEquatableArray(), CommonParsing.SizeMembers(type, dimSymbol, allParams));
        }

        private static (IMethodSymbol, MethodDeclarationSyntax)? Single(INamedTypeSymbol type, string attribute, string display, LocationInfo? classLocation, List<DiagnosticInfo> diagnostics, CancellationToken ct)
        {
            var methods = type.GetMembers().OfType<IMethodSymbol>().Where(m => CommonParsing.HasAttribute(m, attribute)).ToList();
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
