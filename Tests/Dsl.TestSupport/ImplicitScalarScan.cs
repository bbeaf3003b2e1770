using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Dsl.Testing
{
    /// <summary>One place where a value reaches TorchSharp through a conversion whose result nothing keeps alive.</summary>
    public sealed record ImplicitScalarSite(string File, int Line, string Expression, string Target)
    {
        /// <summary>"file:line: expression → Target", as a test failure lists it.</summary>
        public override string ToString() => File + ":" + Line + ": " + Expression + " → " + Target;
    }

    /// <summary>
    /// Finds implicit conversions of .NET numbers to <c>TorchSharp.Scalar</c> or <c>torch.Tensor</c>, and calls of
    /// TorchSharp methods known to make such a conversion inside themselves. Why it matters: TorchSharp 0.107 hands
    /// libtorch only the handle of the converted object; the object itself is unreachable during the native call, so a
    /// garbage collection started by another thread can run its finalizer and free the native value while libtorch
    /// reads it ("Unknown scalar type", c10/core/Scalar.h asserts). An explicit <c>using var s = 0.5.ToScalar();</c>
    /// keeps the Scalar alive until its Dispose after the call.
    /// </summary>
    public static class ImplicitScalarScan
    {
        /// <summary>
        /// Every site in <paramref name="compilation"/>'s trees (optionally only those whose path passes <paramref name="include"/>):
        /// implicit conversions to Scalar/Tensor, <c>ToScalar()</c> results that nothing keeps alive, and calls of the
        /// TorchSharp members in <paramref name="racyMembers"/> (keys as <see cref="Key"/> spells them).
        /// </summary>
        public static IReadOnlyList<ImplicitScalarSite> Find(Compilation compilation, Func<string, bool>? include = null,
            IReadOnlyCollection<string>? racyMembers = null)
        {
            var sites = new List<ImplicitScalarSite>();
            foreach (var tree in compilation.SyntaxTrees)
            {
                if (include != null && !include(tree.FilePath)) continue;
                var model = compilation.GetSemanticModel(tree);
                foreach (var node in tree.GetRoot().DescendantNodes())
                {
                    if (UnheldConversion(model, node) is string conversion)
                        sites.Add(Site(tree, node, conversion));
                    if (racyMembers != null && !Vouched(node))
                        foreach (var method in CalledMethods(model, node))
                            if (method.ContainingAssembly?.Name == "TorchSharp" && racyMembers.Contains(Key(method)))
                                sites.Add(Site(tree, node, "TorchSharp's " + Key(method) + " converts implicitly inside"));
                }
            }
            return sites;
        }

        /// <summary>
        /// The TorchSharp members that make a Scalar or Tensor nothing keeps alive, directly or through another such
        /// member, found in TorchSharp's own sources (the directory holding TorchSharp.csproj). Sorted keys.
        /// </summary>
        public static IReadOnlyList<string> RacyMembersOfTorchSharp(string torchSharpSourceDirectory, IEnumerable<MetadataReference> references)
        {
            var parse = new CSharpParseOptions(LanguageVersion.Preview).WithPreprocessorSymbols("NET", "NET8_0", "NET8_0_OR_GREATER", "NET6_0_OR_GREATER", "NETCOREAPP", "RELEASE");
            var trees = Directory.GetFiles(torchSharpSourceDirectory, "*.cs", SearchOption.AllDirectories)
                .Where(f => !f.Contains(Path.DirectorySeparatorChar + "obj" + Path.DirectorySeparatorChar))
                .OrderBy(f => f, StringComparer.Ordinal)
                .Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), parse, path: f));
            var compilation = CSharpCompilation.Create("TorchSharp", trees, references,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true));
            var direct = new Dictionary<string, string>(StringComparer.Ordinal);
            var callers = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
            var publicMembers = new HashSet<string>(StringComparer.Ordinal);
            foreach (var tree in compilation.SyntaxTrees)
            {
                var model = compilation.GetSemanticModel(tree);
                foreach (var node in tree.GetRoot().DescendantNodes())
                {
                    var racy = UnheldConversion(model, node);
                    var called = CalledMethods(model, node).Where(m => SymbolEqualityComparer.Default.Equals(m.ContainingAssembly, compilation.Assembly)).ToList();
                    if (racy == null && called.Count == 0) continue;
                    var owner = EnclosingMember(model, node);
                    if (owner == null) continue;
                    var ownerKey = Key(owner);
                    // A call through a virtual member may land in any override: an override that converts makes the member it
                    // overrides (and so every call typed as that member, e.g. Optimizer.step for Adam.step) racy too.
                    for (var overridden = owner.OverriddenMethod; overridden != null; overridden = overridden.OverriddenMethod)
                    {
                        var baseKey = Key(overridden.OriginalDefinition);
                        if (!callers.TryGetValue(ownerKey, out var viaBase)) callers[ownerKey] = viaBase = new HashSet<string>(StringComparer.Ordinal);
                        viaBase.Add(baseKey);
                        if (IsVisible(overridden)) publicMembers.Add(baseKey);
                    }
                    if (IsVisible(owner)) publicMembers.Add(ownerKey);
                    if (racy != null && !direct.ContainsKey(ownerKey))
                        direct[ownerKey] = node.ToString().Replace("\r", " ").Replace("\n", " ") + " (" + racy.Trim() + ", line " + (node.GetLocation().GetLineSpan().StartLinePosition.Line + 1) + ")";
                    foreach (var callee in called)
                    {
                        var calleeKey = Key(callee);
                        if (!callers.TryGetValue(calleeKey, out var set)) callers[calleeKey] = set = new HashSet<string>(StringComparer.Ordinal);
                        set.Add(ownerKey);
                    }
                }
            }
            // Whoever calls a racy member is racy too (the conversion happens inside the call, on the caller's behalf).
            var racyMembers = new Dictionary<string, string>(direct, StringComparer.Ordinal);
            var work = new Queue<string>(direct.Keys);
            while (work.Count > 0)
            {
                var callee = work.Dequeue();
                if (callers.TryGetValue(callee, out var set))
                    foreach (var caller in set)
                        if (!racyMembers.ContainsKey(caller)) { racyMembers[caller] = "calls " + callee; work.Enqueue(caller); }
            }
            return racyMembers.Where(p => publicMembers.Contains(p.Key)).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "    # " + p.Value).ToList();
        }

        /// <summary>The comment that vouches for a call of a listed member whose racy branch the caller never takes.</summary>
        public const string VouchComment = "// Scalars held:";

        /// <summary>
        /// True when the statement holding <paramref name="node"/> is preceded by <see cref="VouchComment"/> and a reason: for
        /// a listed member that converts only some arguments (jit invoke casts doubles, not Scalars) and is given none of those.
        /// </summary>
        private static bool Vouched(SyntaxNode node)
        {
            var statement = node.FirstAncestorOrSelf<StatementSyntax>();
            return statement != null && statement.GetLeadingTrivia().Any(t => t.IsKind(SyntaxKind.SingleLineCommentTrivia) && t.ToString().StartsWith(VouchComment, StringComparison.Ordinal));
        }

        /// <summary>True when code outside TorchSharp can call <paramref name="method"/>.</summary>
        private static bool IsVisible(ISymbol method)
        {
            for (ISymbol? s = method; s != null && s is not INamespaceSymbol; s = s.ContainingSymbol)
                if (s.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Protected or Accessibility.ProtectedOrInternal)) return false;
            return true;
        }

        /// <summary>
        /// " in …" when <paramref name="node"/> makes a Scalar/Tensor that nothing keeps alive: an implicit conversion, or
        /// a <c>ToScalar()</c> call, whose result is neither a using declaration's resource nor stored in a field or property.
        /// </summary>
        private static string? UnheldConversion(SemanticModel model, SyntaxNode node)
        {
            if (node is not ExpressionSyntax expression || node is ParenthesizedExpressionSyntax) return null;
            string? target = null;
            var conversion = model.GetConversion(expression);
            if (conversion.IsUserDefined && conversion.IsImplicit && conversion.MethodSymbol is IMethodSymbol op && IsTorchValue(op.ContainingType))
                target = op.ContainingType.Name;
            else if (expression is CastExpressionSyntax cast && model.GetSymbolInfo(cast).Symbol is IMethodSymbol { MethodKind: MethodKind.Conversion } castOp
                && IsTorchValue(castOp.ContainingType))
                target = castOp.ContainingType.Name + " by a cast";
            else if (expression is InvocationExpressionSyntax call && model.GetSymbolInfo(call).Symbol is IMethodSymbol { Name: "ToScalar" } toScalar
                && toScalar.ReturnType.ToDisplayString() == "TorchSharp.Scalar")
                target = "Scalar by ToScalar()";
            if (target == null || IsHeld(model, expression)) return null;
            return target + Consumer(model, expression);
        }

        /// <summary>True when the value is a using resource, or is stored in a field, property or array element (its owner keeps it alive and disposes it).</summary>
        private static bool IsHeld(SemanticModel model, ExpressionSyntax expression)
        {
            SyntaxNode value = expression;
            while (value.Parent is ParenthesizedExpressionSyntax || value.Parent is CastExpressionSyntax || value.Parent is ConditionalAccessExpressionSyntax) value = value.Parent;
            var node = value.Parent;
            if (node is EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax declaration } declarator })
            {
                if (declaration.Parent is LocalDeclarationStatementSyntax local && local.UsingKeyword != default) return true;
                if (declaration.Parent is UsingStatementSyntax) return true;
                if (declaration.Parent is FieldDeclarationSyntax) return true;
                return false;
            }
            if (node is EqualsValueClauseSyntax { Parent: PropertyDeclarationSyntax }) return true;
            // Returned: the caller owns it (and is itself checked where it passes the value on).
            if (node is ReturnStatementSyntax || node is ArrowExpressionClauseSyntax) return true;
            if (node is AssignmentExpressionSyntax assignment && assignment.Right == value
                && (assignment.Left is ElementAccessExpressionSyntax || model.GetSymbolInfo(assignment.Left).Symbol is IFieldSymbol or IPropertySymbol)) return true;
            return false;
        }

        /// <summary>The methods <paramref name="node"/> calls: invocations, user-defined operators, constructors, indexers.</summary>
        private static IEnumerable<IMethodSymbol> CalledMethods(SemanticModel model, SyntaxNode node)
        {
            switch (node)
            {
                case InvocationExpressionSyntax or BinaryExpressionSyntax or PrefixUnaryExpressionSyntax or AssignmentExpressionSyntax
                    or ObjectCreationExpressionSyntax or ImplicitObjectCreationExpressionSyntax or ElementAccessExpressionSyntax:
                    var symbol = model.GetSymbolInfo(node).Symbol;
                    if (symbol is IMethodSymbol method) yield return method.ReducedFrom ?? method.OriginalDefinition;
                    if (symbol is IPropertySymbol property)
                    {
                        if (property.GetMethod != null) yield return property.GetMethod.OriginalDefinition;
                        if (property.SetMethod != null) yield return property.SetMethod.OriginalDefinition;
                    }
                    break;
            }
        }

        /// <summary>The method, operator, constructor or accessor whose body holds <paramref name="node"/> (lambdas count as their container).</summary>
        private static IMethodSymbol? EnclosingMember(SemanticModel model, SyntaxNode node)
        {
            for (var n = node.Parent; n != null; n = n.Parent)
            {
                if (n is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax) return model.GetDeclaredSymbol(n) as IMethodSymbol;
                if (n is ArrowExpressionClauseSyntax { Parent: PropertyDeclarationSyntax or IndexerDeclarationSyntax } arrow)
                    return (model.GetDeclaredSymbol(arrow.Parent!) as IPropertySymbol)?.GetMethod;
            }
            return null;
        }

        /// <summary>A method's identity as the racy-method list spells it: <c>Type.Name(ParamType, …)</c>.</summary>
        public static string Key(IMethodSymbol method) =>
            method.ContainingType.ToDisplayString(KeyFormat) + "." + method.Name + "(" + string.Join(", ", method.Parameters.Select(p => p.Type.ToDisplayString(KeyFormat))) + ")";

        /// <summary>Namespace-qualified, keywords for special types, no nullable-reference marks (TorchSharp's sources and its metadata differ there).</summary>
        private static readonly SymbolDisplayFormat KeyFormat = new SymbolDisplayFormat(
            typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypesAndNamespaces,
            genericsOptions: SymbolDisplayGenericsOptions.IncludeTypeParameters,
            miscellaneousOptions: SymbolDisplayMiscellaneousOptions.UseSpecialTypes);

        /// <summary>Where the converted value goes: " in mul_", " in operator *" (for the listing only).</summary>
        private static string Consumer(SemanticModel model, ExpressionSyntax expression)
        {
            SyntaxNode? node = expression.Parent;
            while (node is ParenthesizedExpressionSyntax) node = node.Parent;
            if (node is ArgumentSyntax { Parent: ArgumentListSyntax { Parent: InvocationExpressionSyntax call } })
                return " in " + (model.GetSymbolInfo(call).Symbol?.Name ?? "?");
            if (node is ArgumentSyntax { Parent: ArgumentListSyntax { Parent: ObjectCreationExpressionSyntax } }) return " in new";
            if (node is BinaryExpressionSyntax binary) return " in operator " + binary.OperatorToken.Text;
            return " in " + node?.Kind();
        }

        private static bool IsTorchValue(INamedTypeSymbol type) =>
            type.ToDisplayString() is "TorchSharp.Scalar" or "TorchSharp.torch.Tensor";

        private static ImplicitScalarSite Site(SyntaxTree tree, SyntaxNode node, string target)
        {
            var text = node.ToString();
            if (text.Length > 80) text = text.Substring(0, 77) + "...";
            return new ImplicitScalarSite(tree.FilePath, node.GetLocation().GetLineSpan().StartLinePosition.Line + 1, text, target);
        }
    }
}
