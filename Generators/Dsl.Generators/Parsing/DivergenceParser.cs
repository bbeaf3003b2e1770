using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Dsl.Generators.Diagnostics;
using Dsl.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Dsl.Generators.Parsing
{
    /// <summary>Syntax + semantics of a [KlDivergence] class → <see cref="DivergenceSpec"/>. Never throws on bad input.</summary>
    public static class DivergenceParser
    {
        /// <summary>Parses the class that carries [KlDivergence].</summary>
        public static DivergenceParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken ct)
        {
            if (!(context.TargetSymbol is INamedTypeSymbol type) || !(context.TargetNode is ClassDeclarationSyntax declaration))
                return new DivergenceParseResult(null, EquatableArray<DiagnosticInfo>.Empty);
            var (divergence, diagnostics) = CommonParsing.Guarded(type, declaration, d => ParseDivergence(context.SemanticModel.Compilation, type, declaration, context.Attributes, d, ct));
            return new DivergenceParseResult(divergence, diagnostics.ToEquatableArray());
        }

        private static DivergenceSpec? ParseDivergence(Compilation compilation, INamedTypeSymbol type, ClassDeclarationSyntax declaration,
            IEnumerable<AttributeData> attributes, List<DiagnosticInfo> diagnostics, CancellationToken ct)
        {
            var classLocation = LocationInfo.From(declaration.Identifier.GetLocation());
            var containers = CommonParsing.CheckDeclaration(type, declaration, classLocation, diagnostics, ct);
            string dim = CommonParsing.DimSymbol(attributes);

            var parameters = CommonParsing.ParseParameters(type, diagnostics, ct);
            var q = Density(type, "LogQAttribute", "[LogQ]", classLocation, diagnostics, ct);
            var p = Density(type, "LogPAttribute", "[LogP]", classLocation, diagnostics, ct);
            if (q == null || p == null) return null;
            var (qMethod, qSyntax) = q.Value;
            var (pMethod, pSyntax) = p.Value;
            string latent = qMethod.Parameters[0].Name;
            // The latent z is one node of the shared graph under log q's name, so no other argument may take that name.
            foreach (var argument in qMethod.Parameters.Skip(1).Concat(pMethod.Parameters.Skip(1)))
                if (argument.Name == latent)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.KlNotClosedForm, LocationInfo.From(argument.Locations.FirstOrDefault()), type.Name,
                        "the argument '" + argument.Name + "' of " + argument.ContainingSymbol.Name + " has the name of the latent variable z of [LogQ]; rename it"));
                    return null;
                }
            var reader = new EquationReader(compilation, type, new HashSet<string>(parameters.Select(x => x.Name)), type.Name, diagnostics, ct);
            var logQ = reader.Read(qMethod, qSyntax, qMethod.Parameters[0], null, null, qMethod.Parameters.Skip(1).ToList());
            if (logQ == null) return null;
            var logP = reader.Read(pMethod, pSyntax, pMethod.Parameters[0], null, null, pMethod.Parameters.Skip(1).ToList());
            if (logP == null) return null;
            string? ns = type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString();
            return new DivergenceSpec(ns, containers.ToEquatableArray(), type.Name, dim, latent, pMethod.Parameters[0].Name,
                qMethod.Parameters.Skip(1).Select(a => a.Name).ToEquatableArray(), pMethod.Parameters.Skip(1).Select(a => a.Name).ToEquatableArray(),
                logQ, logP, parameters.ToEquatableArray(), classLocation);
        }

        /// <summary>The one method carrying <paramref name="attribute"/>, typed 'Scalar M(Vec z, Vec a, …)'; null with DSL0022 otherwise.</summary>
        private static (IMethodSymbol, MethodDeclarationSyntax)? Density(INamedTypeSymbol type, string attribute, string label, LocationInfo? classLocation,
            List<DiagnosticInfo> diagnostics, CancellationToken ct)
        {
            var methods = type.GetMembers().OfType<IMethodSymbol>().Where(m => CommonParsing.HasAttribute(m, attribute)).ToList();
            if (methods.Count != 1)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.KlNotClosedForm, classLocation, type.Name,
                    (methods.Count == 0 ? "it has no " : "it has " + methods.Count + " ") + label + " methods; declare one '" + label + " Scalar "
                    + (label == "[LogQ]" ? "LogQ(Vec z, Vec mu, Vec logVar)" : "LogP(Vec z)") + "' with the log-density as the slide writes it"));
                return null;
            }
            var method = methods[0];
            var syntax = method.DeclaringSyntaxReferences.Select(r => r.GetSyntax(ct)).OfType<MethodDeclarationSyntax>().FirstOrDefault();
            if (syntax == null) return null;
            bool ok = CommonParsing.IsDslType(method.ReturnType, "Scalar") && method.Parameters.Length >= (label == "[LogQ]" ? 2 : 1) && !method.IsGenericMethod
                && method.Parameters.All(a => CommonParsing.IsDslType(a.Type, "Vec") && a.RefKind == RefKind.None && !a.IsParams && !a.HasExplicitDefaultValue);
            if (!ok)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.KlNotClosedForm, LocationInfo.From(syntax.Identifier.GetLocation()), type.Name,
                    "its " + label + " method is '" + method.ReturnType.ToDisplayString() + " " + method.Name + "(" + string.Join(", ", method.Parameters.Select(a => a.Type.ToDisplayString() + " " + a.Name))
                    + ")'; a log-density returns Scalar and takes the latent 'Vec z' first, then its other arguments as Vec" + (label == "[LogQ]" ? " (q has at least one: its mean, its log-variance, …)" : "")));
                return null;
            }
            return (method, syntax);
        }
    }
}
