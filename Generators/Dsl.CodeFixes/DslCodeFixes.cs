using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Dsl.CodeFixes
{
    /// <summary>The diagnostic ids these fixes answer (the catalogue is Dsl.Generators' DiagnosticDescriptors).</summary>
    internal static class Ids
    {
        public const string NotPartial = "DSL0001";
        public const string NoEnergy = "DSL0002";
        public const string EnergySignature = "DSL0003";
    }

    internal static class Syntax
    {
        public static async Task<SyntaxNode?> NodeAsync(CodeFixContext context, Diagnostic diagnostic)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            return root?.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        }

        public static async Task<Document> ReplaceAsync(Document document, IEnumerable<SyntaxNode> nodes, System.Func<SyntaxNode, SyntaxNode, SyntaxNode> rewrite, CancellationToken ct)
        {
            var root = await document.GetSyntaxRootAsync(ct).ConfigureAwait(false);
            return root == null ? document : document.WithSyntaxRoot(root.ReplaceNodes(nodes, rewrite));
        }

        /// <summary>How the class names Dsl's attributes: "Dsl." when its model attribute was written qualified.</summary>
        public static string Prefix(TypeDeclarationSyntax type) =>
            type.AttributeLists.SelectMany(a => a.Attributes).Any(a => a.Name.ToString().StartsWith("Dsl.", System.StringComparison.Ordinal)
                                                                      || a.Name.ToString().StartsWith("global::Dsl.", System.StringComparison.Ordinal)) ? "Dsl." : "";
    }

    /// <summary>DSL0001: declares the model class, and every type containing it, <c>partial</c>.</summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MakePartialCodeFix))]
    public sealed class MakePartialCodeFix : CodeFixProvider
    {
        /// <inheritdoc/>
        public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(Ids.NotPartial);

        /// <inheritdoc/>
        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        /// <inheritdoc/>
        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            foreach (var diagnostic in context.Diagnostics)
            {
                var type = (await Syntax.NodeAsync(context, diagnostic).ConfigureAwait(false))?.AncestorsAndSelf().OfType<TypeDeclarationSyntax>().FirstOrDefault();
                if (type == null) continue;
                var targets = type.AncestorsAndSelf().OfType<TypeDeclarationSyntax>().Where(t => !t.Modifiers.Any(SyntaxKind.PartialKeyword)).ToList();
                if (targets.Count == 0) continue;
                context.RegisterCodeFix(CodeAction.Create("Declare '" + type.Identifier.Text + "' partial",
                    ct => Syntax.ReplaceAsync(context.Document, targets, (_, rewritten) => WithPartial((TypeDeclarationSyntax)rewritten), ct),
                    equivalenceKey: nameof(MakePartialCodeFix)), diagnostic);
            }
        }

        /// <summary>Adds <c>partial</c> right before the type keyword, keeping the layout.</summary>
        internal static TypeDeclarationSyntax WithPartial(TypeDeclarationSyntax type)
        {
            if (type.Modifiers.Any(SyntaxKind.PartialKeyword)) return type;
            if (type.Modifiers.Count == 0)
            {
                var keyword = type.Keyword;
                var partial = SyntaxFactory.Token(keyword.LeadingTrivia, SyntaxKind.PartialKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space));
                return type.WithKeyword(keyword.WithLeadingTrivia(SyntaxFactory.TriviaList())).WithModifiers(SyntaxFactory.TokenList(partial));
            }
            return type.AddModifiers(SyntaxFactory.Token(SyntaxFactory.TriviaList(), SyntaxKind.PartialKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space)));
        }
    }

    /// <summary>DSL0003 at the return type: an energy returns one number per sample, so it returns <c>Scalar</c>.</summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(EnergyReturnsScalarCodeFix))]
    public sealed class EnergyReturnsScalarCodeFix : CodeFixProvider
    {
        /// <inheritdoc/>
        public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(Ids.EnergySignature);

        /// <inheritdoc/>
        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        /// <inheritdoc/>
        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            foreach (var diagnostic in context.Diagnostics)
            {
                var node = await Syntax.NodeAsync(context, diagnostic).ConfigureAwait(false);
                var method = node?.AncestorsAndSelf().OfType<MethodDeclarationSyntax>().FirstOrDefault();
                // Only the DSL0003 that points at the return type; the others (parameters) need a person's choice.
                if (method == null || !method.ReturnType.Span.Equals(diagnostic.Location.SourceSpan)) continue;
                var returnType = method.ReturnType;
                string scalar = returnType is QualifiedNameSyntax q ? q.Left + ".Scalar" : "Scalar";
                if (returnType.ToString() == scalar) continue;
                context.RegisterCodeFix(CodeAction.Create("Return Scalar from the energy '" + method.Identifier.Text + "'",
                    ct => Syntax.ReplaceAsync(context.Document, new[] { returnType },
                        (_, rewritten) => SyntaxFactory.ParseTypeName(scalar).WithTriviaFrom(rewritten), ct),
                    equivalenceKey: nameof(EnergyReturnsScalarCodeFix)), diagnostic);
            }
        }
    }

    /// <summary>DSL0002 (no [Energy] method): marks a method that looks like the energy with <c>[Energy]</c>, one choice per candidate.</summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AddEnergyAttributeCodeFix))]
    public sealed class AddEnergyAttributeCodeFix : CodeFixProvider
    {
        private static readonly string[] Units = { "Vec", "Spins", "Bits" };

        /// <inheritdoc/>
        public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(Ids.NoEnergy);

        /// <inheritdoc/>
        public override FixAllProvider? GetFixAllProvider() => null;   // which method is the energy is a choice per class

        /// <inheritdoc/>
        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            foreach (var diagnostic in context.Diagnostics)
            {
                var type = (await Syntax.NodeAsync(context, diagnostic).ConfigureAwait(false))?.AncestorsAndSelf().OfType<TypeDeclarationSyntax>().FirstOrDefault();
                if (type == null) continue;
                var methods = type.Members.OfType<MethodDeclarationSyntax>().ToList();
                if (methods.Any(m => m.AttributeLists.SelectMany(a => a.Attributes).Any(IsEnergy))) continue;   // "more than one": not this fix
                // Candidates: unattributed methods returning Scalar whose first parameter is a unit type; E/Energy first.
                var candidates = methods
                    .Where(m => m.AttributeLists.Count == 0 && LastName(m.ReturnType) == "Scalar" && m.ParameterList.Parameters.Count >= 1
                                && Units.Contains(LastName(m.ParameterList.Parameters[0].Type)))
                    .OrderBy(m => m.Identifier.Text is "E" or "Energy" ? 0 : 1).ToList();
                string prefix = Syntax.Prefix(type);
                foreach (var method in candidates)
                    context.RegisterCodeFix(CodeAction.Create("Mark '" + method.Identifier.Text + "' as the [Energy] method",
                        ct => Syntax.ReplaceAsync(context.Document, new[] { method }, (_, rewritten) => WithEnergy((MethodDeclarationSyntax)rewritten, prefix), ct),
                        equivalenceKey: nameof(AddEnergyAttributeCodeFix) + "." + method.Identifier.Text), diagnostic);
            }
        }

        private static bool IsEnergy(AttributeSyntax a) => LastName(a.Name) is "Energy" or "EnergyAttribute";

        private static string LastName(SyntaxNode? type) => type switch
        {
            QualifiedNameSyntax q => q.Right.Identifier.Text,
            AliasQualifiedNameSyntax a => a.Name.Identifier.Text,
            SimpleNameSyntax s => s.Identifier.Text,
            _ => type?.ToString() ?? "",
        };

        /// <summary>Puts <c>[Energy]</c> on the method's first line, before everything else, keeping the indentation.</summary>
        internal static MethodDeclarationSyntax WithEnergy(MethodDeclarationSyntax method, string prefix)
        {
            var first = method.GetFirstToken();
            // Parsed rather than built, so that it carries no elastic trivia (which the formatter would move to a line of its own).
            var attribute = SyntaxFactory.ParseMemberDeclaration("[" + prefix + "Energy] void M() { }")!.AttributeLists[0]
                .WithLeadingTrivia(first.LeadingTrivia).WithTrailingTrivia(SyntaxFactory.Space);
            var bare = method.ReplaceToken(first, first.WithLeadingTrivia(SyntaxFactory.TriviaList()));
            return bare.WithAttributeLists(bare.AttributeLists.Insert(0, attribute));
        }
    }
}
