using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Dsl.Generators.Diagnostics;
using Dsl.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Dsl.Generators.Parsing
{
    /// <summary>Syntax + semantics of a [Flow] class → <see cref="FlowSpec"/>. Never throws on bad input.</summary>
    public static class FlowParser
    {
        /// <summary>Parses the class that carries [Flow].</summary>
        public static FlowParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken ct)
        {
            if (!(context.TargetSymbol is INamedTypeSymbol type) || !(context.TargetNode is ClassDeclarationSyntax declaration))
                return new FlowParseResult(null, EquatableArray<DiagnosticInfo>.Empty);
            var (flow, diagnostics) = CommonParsing.Guarded(type, declaration, d => ParseFlow(context.SemanticModel.Compilation, type, declaration, context.Attributes, d, ct));
            return new FlowParseResult(flow, diagnostics.ToEquatableArray());
        }

        private static FlowSpec? ParseFlow(Compilation compilation, INamedTypeSymbol type, ClassDeclarationSyntax declaration,
            IEnumerable<AttributeData> attributes, List<DiagnosticInfo> diagnostics, CancellationToken ct)
        {
            var classLocation = LocationInfo.From(declaration.Identifier.GetLocation());
            var containers = CommonParsing.CheckDeclaration(type, declaration, classLocation, diagnostics, ct);
            string dim = "D";
            foreach (var attribute in attributes)
                foreach (var named in attribute.NamedArguments)
                    if (named.Key == "Dim" && named.Value.Value is string written) dim = written.Replace(" ", "");
            if (!CommonParsing.IsSymbol(dim) && !CommonParsing.IsSizeExpression(dim))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.FlowSignature, classLocation, type.Name,
                    "has Dim = \"" + dim + "\", which is neither a dimension name such as \"D\" nor a size expression such as \"2*K\""));
                return null;
            }

            var parameters = CommonParsing.ParseParameters(type, diagnostics, ct);
            var methods = type.GetMembers().OfType<IMethodSymbol>().Where(m => CommonParsing.HasAttribute(m, "TransformAttribute")).ToList();
            if (methods.Count != 1)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.FlowSignature, classLocation, type.Name,
                    methods.Count == 0 ? "has no [Transform] method" : "has " + methods.Count + " [Transform] methods"));
                return null;
            }
            var method = methods[0];
            var syntax = method.DeclaringSyntaxReferences.Select(r => r.GetSyntax(ct)).OfType<MethodDeclarationSyntax>().FirstOrDefault();
            if (syntax == null) return null;
            if (!CommonParsing.IsDslType(method.ReturnType, "Vec") || method.Parameters.Length != 1 || !CommonParsing.IsDslType(method.Parameters[0].Type, "Vec")
                || method.IsGenericMethod || method.Parameters[0].RefKind != RefKind.None)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.FlowSignature, LocationInfo.From(syntax.Identifier.GetLocation()), type.Name,
                    "declares the transform as '" + method.ReturnType.ToDisplayString() + " " + method.Name + "(" + string.Join(", ", method.Parameters.Select(p => p.Type.ToDisplayString())) + ")'"));
                return null;
            }
            var reader = new EquationReader(compilation, type, new HashSet<string>(parameters.Select(p => p.Name)), type.Name, diagnostics, ct);
            var transform = reader.Read(method, syntax, method.Parameters[0], null);
            if (transform == null) return null;
            string? ns = type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString();
            return new FlowSpec(ns, containers.ToEquatableArray(), type.Name, dim, method.Parameters[0].Name, transform, parameters.ToEquatableArray(), classLocation,
                CommonParsing.SizeMembers(type, dim, parameters));
        }
    }
}
