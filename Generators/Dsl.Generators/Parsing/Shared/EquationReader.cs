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
    /// <summary>Reads equation bodies into <see cref="EquationSpec"/>s, inlining locals and helper methods.</summary>
    internal sealed class EquationReader
    {
        private const int MaxDepth = 256;
        private const int MaxSpecNodes = 20000;

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
        private IReadOnlyList<IParameterSymbol> conditionInputs = Array.Empty<IParameterSymbol>();
        private bool failed;
        private int specNodes;

        public EquationReader(Compilation compilation, INamedTypeSymbol type, HashSet<string> paramNames, string modelName, List<DiagnosticInfo> diagnostics, CancellationToken ct)
        {
            this.compilation = compilation; this.type = type; this.paramNames = paramNames;
            this.modelName = modelName; this.diagnostics = diagnostics; this.ct = ct;
        }

        /// <param name="namedInputs">Further batched Vec arguments (a [KlDivergence]'s μ, log σ², …): read as inputs named by their parameter names.</param>
        /// <param name="conditionInputs">Further conditioning arguments (a [Condition] Vec or Label): read as conditions named by their parameter names, constants to the derivatives in x.</param>
        public EquationSpec? Read(IMethodSymbol method, MethodDeclarationSyntax syntax, IParameterSymbol? inputParameter, IParameterSymbol? conditionParameter, IParameterSymbol? hiddenParameter = null,
            IReadOnlyList<IParameterSymbol>? namedInputs = null, IReadOnlyList<IParameterSymbol>? conditionInputs = null)
        {
            this.conditionInputs = conditionInputs ?? Array.Empty<IParameterSymbol>();
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
                case IParameterSymbol parameter when conditionInputs.Any(p => SymbolEqualityComparer.Default.Equals(p, parameter)):
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
