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
    /// Syntax + semantics → <see cref="ModelSpec"/>. The only layer that sees Roslyn symbols; everything it
    /// returns is value-equatable. Never throws on bad input: problems become diagnostics.
    /// </summary>
    public static class ModelParser
    {
        private const string AttributeNamespace = "Dsl";
        private const int MaxDepth = 256;
        private const int MaxSpecNodes = 20000;

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
                    if (named.Key == "Dim" && named.Value.Value is string dim && IsSymbol(dim)) dimSymbol = dim;
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
            var signatureProblem = CheckEnergySignature(energy);
            if (signatureProblem != null)
            {
                var where = signatureProblem.Value.AtReturnType ? energySyntax.ReturnType.GetLocation() : energySyntax.ParameterList.GetLocation();
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.EnergySignature, LocationInfo.From(where), energy.Name, signatureProblem.Value.Problem));
                return null;
            }

            var paramNames = new HashSet<string>(parameters.Select(p => p.Name));
            var reader = new EquationReader(compilation, type, paramNames, type.Name, diagnostics, ct);
            var second = energy.Parameters.Length == 2 ? energy.Parameters[1] : null;
            var hidden = second != null && HasAttribute(second, "HiddenAttribute") ? second : null;
            var noiseLevel = hidden == null ? second : null;
            var energySpec = reader.Read(energy, energySyntax, energy.Parameters[0], noiseLevel, hidden);

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
            return new ModelSpec(ns, containers.ToEquatableArray(), type.Name,
                type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), dimSymbol, energy.Parameters[0].Name,
                noiseLevel?.Name, hidden?.Name, hiddenDimSymbol, UnitsOf(energy.Parameters[0].Type), hidden == null ? UnitKind.Real : UnitsOf(hidden.Type), energySpec, logPartition, parameters.ToEquatableArray(), classLocation, kernels);
        }

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
                    return (false, "takes a second parameter '" + second.Name + "' that is not marked [NoiseLevel] or [Hidden]");
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
                if (dims.Any(d => !IsSymbol(d)))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadParameter, location, field.Name, type.Name,
                        "the shape \"" + shape + "\" must list dimension names such as \"K,D\""));
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

        private static bool IsSymbol(string s) => SymbolPattern.IsMatch(s);

        /// <summary>The dimension symbol a class attribute names with Dim = "…" (a valid identifier), or "D".</summary>
        internal static string DimSymbol(IEnumerable<AttributeData> attributes)
        {
            string dimSymbol = "D";
            foreach (var attribute in attributes)
                foreach (var named in attribute.NamedArguments)
                    if (named.Key == "Dim" && named.Value.Value is string dim && IsSymbol(dim)) dimSymbol = dim;
            return dimSymbol;
        }

        internal static bool IsDslType(ITypeSymbol type, string name) =>
            type.Name == name && type.ContainingNamespace?.ToDisplayString() == AttributeNamespace && type.ContainingType == null;

        internal static bool IsDslAttribute(AttributeData a, string name) =>
            a.AttributeClass != null && IsDslType(a.AttributeClass, name);

        internal static bool HasAttribute(ISymbol symbol, string name) => symbol.GetAttributes().Any(a => IsDslAttribute(a, name));

        /// <summary>Reads equation bodies into <see cref="EquationSpec"/>s, inlining locals and helper methods.</summary>
        internal sealed class EquationReader
        {
            private readonly Compilation compilation;
            private readonly INamedTypeSymbol type;
            private readonly HashSet<string> paramNames;
            private readonly string modelName;
            private readonly List<DiagnosticInfo> diagnostics;
            private readonly CancellationToken ct;

            private List<ExprSpec> locals = new List<ExprSpec>();
            private readonly Stack<IMethodSymbol> callStack = new Stack<IMethodSymbol>();
            private IParameterSymbol? input;
            private IParameterSymbol? condition;
            private IParameterSymbol? hidden;
            private IReadOnlyList<IParameterSymbol> namedInputs = Array.Empty<IParameterSymbol>();
            private bool failed;
            private int specNodes;

            public EquationReader(Compilation compilation, INamedTypeSymbol type, HashSet<string> paramNames, string modelName, List<DiagnosticInfo> diagnostics, CancellationToken ct)
            {
                this.compilation = compilation; this.type = type; this.paramNames = paramNames;
                this.modelName = modelName; this.diagnostics = diagnostics; this.ct = ct;
            }

            /// <param name="namedInputs">Further batched Vec arguments (a [KlDivergence]'s μ, log σ², …): read as inputs named by their parameter names.</param>
            public EquationSpec? Read(IMethodSymbol method, MethodDeclarationSyntax syntax, IParameterSymbol? inputParameter, IParameterSymbol? conditionParameter, IParameterSymbol? hiddenParameter = null,
                IReadOnlyList<IParameterSymbol>? namedInputs = null)
            {
                locals = new List<ExprSpec>();
                input = inputParameter;
                condition = conditionParameter;
                hidden = hiddenParameter;
                this.namedInputs = namedInputs ?? Array.Empty<IParameterSymbol>();
                failed = false;
                specNodes = 0;
                var semantic = compilation.GetSemanticModel(syntax.SyntaxTree);
                // A body the C# compiler already rejects is left to the compiler's own errors.
                if (semantic.GetDiagnostics(syntax.Span, ct).Any(d => d.Severity == DiagnosticSeverity.Error)) return null;
                callStack.Clear();
                callStack.Push(method);
                var result = ReadBody(syntax, semantic, new Dictionary<ISymbol, ExprSpec>(SymbolEqualityComparer.Default), 0);
                if (failed || result == null) return null;
                string text = syntax.ExpressionBody != null ? syntax.ExpressionBody.Expression.ToString() : syntax.Body?.ToString() ?? "";
                return new EquationSpec(method.Name, Regex.Replace(text, "\\s+", " ").Trim(), locals.ToEquatableArray(), result, LocationInfo.From(syntax.Identifier.GetLocation()));
            }

            private ExprSpec? ReadBody(MethodDeclarationSyntax syntax, SemanticModel semantic, Dictionary<ISymbol, ExprSpec> env, int depth)
            {
                if (syntax.ExpressionBody != null) return ReadExpr(syntax.ExpressionBody.Expression, semantic, env, depth);
                if (syntax.Body == null)
                {
                    Fail(syntax.Identifier.GetLocation(), "a method without a body", "'" + syntax.Identifier.Text + "' has no body");
                    return null;
                }
                var statements = syntax.Body.Statements;
                for (int i = 0; i < statements.Count; i++)
                {
                    var statement = statements[i];
                    if (statement is LocalDeclarationStatementSyntax local && !local.IsConst)
                    {
                        foreach (var variable in local.Declaration.Variables)
                        {
                            if (variable.Initializer == null)
                            {
                                Fail(variable.GetLocation(), "a local without initializer", "'" + variable.Identifier.Text + "' must be initialised where it is declared");
                                return null;
                            }
                            var value = ReadExpr(variable.Initializer.Value, semantic, env, depth);
                            if (value == null) return null;
                            var symbol = semantic.GetDeclaredSymbol(variable, ct);
                            if (symbol == null) return null;
                            env[symbol] = Bind(value, variable.Initializer.Value.GetLocation());
                        }
                        continue;
                    }
                    if (statement is LocalDeclarationStatementSyntax constLocal)
                    {
                        foreach (var variable in constLocal.Declaration.Variables)
                        {
                            var symbol = semantic.GetDeclaredSymbol(variable, ct) as ILocalSymbol;
                            if (symbol != null && symbol.HasConstantValue && TryNumber(symbol.ConstantValue, out var c))
                                env[symbol] = new ExprSpec(ExprKind.Const, "", c, EquatableArray<ExprSpec>.Empty, LocationInfo.From(variable.GetLocation()));
                        }
                        continue;
                    }
                    if (statement is ReturnStatementSyntax ret && i == statements.Count - 1 && ret.Expression != null)
                        return ReadExpr(ret.Expression, semantic, env, depth);
                    Fail(statement.GetLocation(), "The statement '" + Describe(statement) + "'", "an equation is a sequence of 'var name = expression;' ending in 'return expression;'");
                    return null;
                }
                Fail(syntax.Identifier.GetLocation(), "A body without a final return", "end the equation with 'return expression;'");
                return null;
            }

            /// <summary>Stores a value as a numbered local so that shared subexpressions stay shared (linear size).</summary>
            private ExprSpec Bind(ExprSpec value, Location location)
            {
                if (value.Kind == ExprKind.Local || value.Kind == ExprKind.Const || value.Kind == ExprKind.Param || value.Kind == ExprKind.Input || value.Kind == ExprKind.Condition || value.Kind == ExprKind.Hidden || value.Kind == ExprKind.Hyper)
                    return value;
                locals.Add(value);
                return new ExprSpec(ExprKind.Local, "", locals.Count - 1, EquatableArray<ExprSpec>.Empty, LocationInfo.From(location));
            }

            private ExprSpec? ReadExpr(ExpressionSyntax expr, SemanticModel semantic, Dictionary<ISymbol, ExprSpec> env, int depth)
            {
                ct.ThrowIfCancellationRequested();
                if (failed) return null;
                if (depth > MaxDepth)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.TooLarge, LocationInfo.From(expr.GetLocation()), modelName, "it nests deeper than " + MaxDepth + " levels"));
                    failed = true;
                    return null;
                }
                if (++specNodes > MaxSpecNodes)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.TooLarge, LocationInfo.From(expr.GetLocation()), modelName, "it has more than " + MaxSpecNodes + " terms"));
                    failed = true;
                    return null;
                }
                var location = LocationInfo.From(expr.GetLocation());
                switch (expr)
                {
                    case ParenthesizedExpressionSyntax p:
                        return ReadExpr(p.Expression, semantic, env, depth + 1);
                    case LiteralExpressionSyntax literal when TryNumber(literal.Token.Value, out var number):
                        return new ExprSpec(ExprKind.Const, "", number, EquatableArray<ExprSpec>.Empty, location);
                    case CastExpressionSyntax cast when IsNumeric(semantic.GetTypeInfo(cast, ct).Type):
                        return ReadExpr(cast.Expression, semantic, env, depth + 1);
                    case PrefixUnaryExpressionSyntax unary when unary.IsKind(SyntaxKind.UnaryMinusExpression) || unary.IsKind(SyntaxKind.UnaryPlusExpression):
                        {
                            var operand = ReadExpr(unary.Operand, semantic, env, depth + 1);
                            if (operand == null) return null;
                            return unary.IsKind(SyntaxKind.UnaryPlusExpression) ? operand
                                : new ExprSpec(ExprKind.Negate, "-", 0, new[] { operand }.ToEquatableArray(), location);
                        }
                    case BinaryExpressionSyntax binary when IsArithmetic(binary.Kind()):
                        {
                            var left = ReadExpr(binary.Left, semantic, env, depth + 1);
                            var right = ReadExpr(binary.Right, semantic, env, depth + 1);
                            if (left == null || right == null) return null;
                            return new ExprSpec(ExprKind.Binary, binary.OperatorToken.Text, 0, new[] { left, right }.ToEquatableArray(), location);
                        }
                    case IdentifierNameSyntax _:
                    case MemberAccessExpressionSyntax _:
                        return ReadReference(expr, semantic, env, location);
                    case InvocationExpressionSyntax call:
                        return ReadCall(call, semantic, env, depth, location);
                    default:
                        Fail(expr.GetLocation(), "The expression '" + Shorten(expr.ToString()) + "'", "equations use +, -, *, /, literals, parameters, locals and Dsl.Math functions");
                        return null;
                }
            }

            private ExprSpec? ReadReference(ExpressionSyntax expr, SemanticModel semantic, Dictionary<ISymbol, ExprSpec> env, LocationInfo? location)
            {
                var symbol = semantic.GetSymbolInfo(expr, ct).Symbol;
                if (symbol != null && env.TryGetValue(symbol, out var bound)) return bound;
                switch (symbol)
                {
                    case IParameterSymbol parameter when input != null && SymbolEqualityComparer.Default.Equals(parameter, input):
                        return new ExprSpec(ExprKind.Input, parameter.Name, 0, EquatableArray<ExprSpec>.Empty, location);
                    case IParameterSymbol parameter when hidden != null && SymbolEqualityComparer.Default.Equals(parameter, hidden):
                        return new ExprSpec(ExprKind.Hidden, parameter.Name, 0, EquatableArray<ExprSpec>.Empty, location);
                    case IParameterSymbol parameter when condition != null && SymbolEqualityComparer.Default.Equals(parameter, condition):
                        return new ExprSpec(ExprKind.Condition, parameter.Name, 0, EquatableArray<ExprSpec>.Empty, location);
                    case IParameterSymbol parameter when namedInputs.Any(p => SymbolEqualityComparer.Default.Equals(p, parameter)):
                        return new ExprSpec(ExprKind.Input, parameter.Name, 0, EquatableArray<ExprSpec>.Empty, location);
                    case IFieldSymbol field when field.HasConstantValue && TryNumber(field.ConstantValue, out var c):
                        return new ExprSpec(ExprKind.Const, "", c, EquatableArray<ExprSpec>.Empty, location);
                    case IFieldSymbol field when paramNames.Contains(field.Name) && SymbolEqualityComparer.Default.Equals(field.ContainingType, type):
                        return new ExprSpec(ExprKind.Param, field.Name, 0, EquatableArray<ExprSpec>.Empty, location);
                    case IFieldSymbol field when IsNumeric(field.Type) && SymbolEqualityComparer.Default.Equals(field.ContainingType, type):
                        return Hyper(field.Name, field.IsStatic, location);
                    case IPropertySymbol property when IsNumeric(property.Type) && SymbolEqualityComparer.Default.Equals(property.ContainingType, type) && !property.IsIndexer:
                        return Hyper(property.Name, property.IsStatic, location);
                }
                string what = symbol == null ? "'" + expr + "'" : "The " + symbol.Kind.ToString().ToLowerInvariant() + " '" + symbol.Name + "'";
                Fail(expr.GetLocation(), what, "an equation may read its argument, locals, [Param] fields, numeric fields or properties of the model, and constants");
                return null;
            }

            private ExprSpec Hyper(string name, bool isStatic, LocationInfo? location) =>
                new ExprSpec(ExprKind.Hyper, isStatic ? type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) + "." + name : "this." + name, 0, EquatableArray<ExprSpec>.Empty, location);

            private ExprSpec? ReadCall(InvocationExpressionSyntax call, SemanticModel semantic, Dictionary<ISymbol, ExprSpec> env, int depth, LocationInfo? location)
            {
                var method = semantic.GetSymbolInfo(call, ct).Symbol as IMethodSymbol;
                if (method == null)
                {
                    Fail(call.GetLocation(), "The call '" + Shorten(call.ToString()) + "'", "it does not resolve to one method");
                    return null;
                }
                string owner = method.ContainingType?.ToDisplayString() ?? "";
                var args = new List<ExprSpec>();
                foreach (var argument in call.ArgumentList.Arguments)
                {
                    if (argument.RefKindKeyword.RawKind != 0 || argument.NameColon != null)
                    {
                        Fail(argument.GetLocation(), "The argument '" + argument + "'", "pass arguments by position and by value");
                        return null;
                    }
                    var value = ReadExpr(argument.Expression, semantic, env, depth + 1);
                    if (value == null) return null;
                    args.Add(value);
                }
                if (owner == "Dsl.Math" || (owner == "System.Math" && SystemMathFunctions.Contains(method.Name)))
                    return new ExprSpec(ExprKind.Call, method.Name, 0, args.ToEquatableArray(), location);
                if (SymbolEqualityComparer.Default.Equals(method.ContainingType, type) && !method.IsGenericMethod)
                    return Inline(method, call, args, depth, location);
                Fail(call.GetLocation(), "The call to '" + owner + "." + method.Name + "'", "equations may call Dsl.Math functions and the model's own helper methods");
                return null;
            }

            private ExprSpec? Inline(IMethodSymbol method, InvocationExpressionSyntax call, List<ExprSpec> args, int depth, LocationInfo? location)
            {
                if (callStack.Any(m => SymbolEqualityComparer.Default.Equals(m, method)))
                {
                    var chain = string.Join(" → ", callStack.Reverse().Select(m => m.Name).Concat(new[] { method.Name }));
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.Recursive, LocationInfo.From(call.GetLocation()), method.Name, chain));
                    failed = true;
                    return null;
                }
                var syntax = method.DeclaringSyntaxReferences.Select(r => r.GetSyntax(ct)).OfType<MethodDeclarationSyntax>().FirstOrDefault();
                if (syntax == null || method.Parameters.Length != args.Count)
                {
                    Fail(call.GetLocation(), "The call to '" + method.Name + "'", "only helper methods declared in source with plain parameters can be inlined");
                    return null;
                }
                var env = new Dictionary<ISymbol, ExprSpec>(SymbolEqualityComparer.Default);
                for (int i = 0; i < args.Count; i++)
                    env[method.Parameters[i]] = Bind(args[i], call.ArgumentList.Arguments[i].GetLocation());
                var semantic = compilation.GetSemanticModel(syntax.SyntaxTree);
                callStack.Push(method);
                var savedInput = input;
                var result = ReadBody(syntax, semantic, env, depth + 1);
                input = savedInput;
                callStack.Pop();
                return result;
            }

            private void Fail(Location location, string what, string why)
            {
                if (failed) return;
                failed = true;
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.Unsupported, LocationInfo.From(location), what, modelName, why));
            }
        }

        private static readonly HashSet<string> SystemMathFunctions = new HashSet<string> { "Exp", "Log", "Sqrt", "Pow", "Tanh", "Abs", "Sign", "Floor", "Round", "Sin", "Cos", "Tan" };

        private static bool IsArithmetic(SyntaxKind kind) =>
            kind == SyntaxKind.AddExpression || kind == SyntaxKind.SubtractExpression || kind == SyntaxKind.MultiplyExpression || kind == SyntaxKind.DivideExpression;

        private static bool IsNumeric(ITypeSymbol? type)
        {
            switch (type?.SpecialType)
            {
                case SpecialType.System_Double:
                case SpecialType.System_Single:
                case SpecialType.System_Int32:
                case SpecialType.System_Int64:
                    return true;
                default:
                    return false;
            }
        }

        private static bool TryNumber(object? value, out double number)
        {
            switch (value)
            {
                case double d: number = d; return true;
                case float f: number = f; return true;
                case int i: number = i; return true;
                case long l: number = l; return true;
                default: number = 0; return false;
            }
        }

        private static string Describe(StatementSyntax statement)
        {
            var text = statement.ToString();
            int end = text.IndexOfAny(new[] { '(', '{', '\n', ';' });
            return Shorten(end > 0 ? text.Substring(0, end).Trim() : text);
        }

        private static string Shorten(string text)
        {
            text = Regex.Replace(text, "\\s+", " ").Trim();
            return text.Length <= 60 ? text : text.Substring(0, 57) + "...";
        }
    }
}
