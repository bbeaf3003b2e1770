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
        private INamedTypeSymbol type;
        private HashSet<string> paramNames;
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
        private int gradients;   // Grad variables read so far in this equation (their names are unique in it)

        // Composition: the model's parts, and while a part's energy is being inlined, the prefixes its parameters and
        // hyperparameters take in the model ("Prior." and "this.Prior."); the model's own class stays rootType.
        private readonly INamedTypeSymbol rootType;
        private readonly IReadOnlyList<PartInfo> parts;
        private string paramPrefix = "";
        private string hyperPrefix = "this.";

        /// <param name="parts">The model's parts (composition): calls to their [Energy] methods are inlined.</param>
        public EquationReader(Compilation compilation, INamedTypeSymbol type, HashSet<string> paramNames, string modelName, List<DiagnosticInfo> diagnostics, CancellationToken ct,
            IReadOnlyList<PartInfo>? parts = null)
        {
            this.compilation = compilation; this.type = type; this.paramNames = paramNames;
            this.modelName = modelName; this.diagnostics = diagnostics; this.ct = ct;
            rootType = type;
            this.parts = parts ?? Array.Empty<PartInfo>();
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
            gradients = 0;
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
            // A comparison (a Dsl.Cond local) is substituted where it is used: it is only ever Where's condition, never a value.
            if (value.Kind == ExprKind.Compare || value.Kind == ExprKind.Local || value.Kind == ExprKind.Const || value.Kind == ExprKind.Param || value.Kind == ExprKind.Input || value.Kind == ExprKind.Condition || value.Kind == ExprKind.Hidden || value.Kind == ExprKind.Hyper || value.Kind == ExprKind.Bound)
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
                case BinaryExpressionSyntax comparison when IsComparison(comparison.Kind()):
                    {
                        // u > v (and <, >=, <=) over Scalars and Vecs is a Dsl.Cond or Dsl.VecCond, the condition of Where(cond, a, b) and nothing else.
                        var condType = semantic.GetTypeInfo(comparison, ct).Type?.ToDisplayString();
                        if (condType != "Dsl.Cond" && condType != "Dsl.VecCond")
                        {
                            Fail(comparison.GetLocation(), "The comparison '" + Shorten(comparison.ToString()) + "'", DiagnosticDescriptors.ComparisonAdvice);
                            return null;
                        }
                        var left = ReadExpr(comparison.Left, semantic, env, depth + 1);
                        var right = ReadExpr(comparison.Right, semantic, env, depth + 1);
                        if (left == null || right == null) return null;
                        return new ExprSpec(ExprKind.Compare, comparison.OperatorToken.Text, 0, new[] { left, right }.ToEquatableArray(), location);
                    }
                case ConditionalExpressionSyntax conditional:
                    Fail(conditional.GetLocation(), "The conditional expression '" + Shorten(conditional.ToString()) + "'", DiagnosticDescriptors.ComparisonAdvice);
                    return null;
                case IdentifierNameSyntax _:
                case MemberAccessExpressionSyntax _:
                    return ReadReference(expr, semantic, env, location);
                case InvocationExpressionSyntax call:
                    return ReadCall(call, semantic, env, depth, location);
                case ElementAccessExpressionSyntax access:
                    return ReadElementAccess(access, semantic, env, depth, location);
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
                    return new ExprSpec(ExprKind.Param, paramPrefix + field.Name, 0, EquatableArray<ExprSpec>.Empty, location);
                case IFieldSymbol field when IsNumeric(field.Type) && SymbolEqualityComparer.Default.Equals(field.ContainingType, type):
                    return Hyper(field, field.IsStatic, expr, location);
                case IPropertySymbol property when IsNumeric(property.Type) && SymbolEqualityComparer.Default.Equals(property.ContainingType, type) && !property.IsIndexer:
                    return Hyper(property, property.IsStatic, expr, location);
            }
            string what = symbol == null ? "'" + expr + "'" : "The " + symbol.Kind.ToString().ToLowerInvariant() + " '" + symbol.Name + "'";
            Fail(expr.GetLocation(), what, "an equation may read its argument, locals, [Param] fields, numeric fields or properties of the model, and constants");
            return null;
        }

        private ExprSpec? Hyper(ISymbol member, bool isStatic, ExpressionSyntax expr, LocationInfo? location)
        {
            // A part's hyperparameter is read through the part by the holding model's generated code.
            if (!SymbolEqualityComparer.Default.Equals(type, rootType) && !compilation.IsSymbolAccessibleWithin(member, rootType))
            {
                Fail(expr.GetLocation(), "The " + member.Kind.ToString().ToLowerInvariant() + " '" + type.Name + "." + member.Name + "'",
                    "a part's numeric fields and properties are read by the holding model's generated code; declare it 'public' or 'internal'");
                return null;
            }
            string name = member.Name;
            return new ExprSpec(ExprKind.Hyper, isStatic ? type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) + "." + name : hyperPrefix + name, 0, EquatableArray<ExprSpec>.Empty, location);
        }

        private ExprSpec? ReadCall(InvocationExpressionSyntax call, SemanticModel semantic, Dictionary<ISymbol, ExprSpec> env, int depth, LocationInfo? location)
        {
            var method = semantic.GetSymbolInfo(call, ct).Symbol as IMethodSymbol;
            if (method == null)
            {
                Fail(call.GetLocation(), "The call '" + Shorten(call.ToString()) + "'", "it does not resolve to one method");
                return null;
            }
            string owner = method.ContainingType?.ToDisplayString() ?? "";
            if (owner == "Dsl.Math" && method.Name == "Grad") return ReadGrad(call, semantic, env, depth, location);
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
            if ((owner == "Dsl.Vec" || owner == "Dsl.Mat") && method.Name == "Of")   // literals: Vec.Of(1.0, 2.0), Mat.Of(row, row, …)
                return new ExprSpec(ExprKind.Call, owner == "Dsl.Vec" ? "VecOf" : "MatOf", 0, args.ToEquatableArray(), location);
            var argumentLocations = call.ArgumentList.Arguments.Select(a => a.GetLocation()).ToList();
            if (SymbolEqualityComparer.Default.Equals(method.ContainingType, type) && !method.IsGenericMethod)
                return Inline(method, call.GetLocation(), args, argumentLocations, depth, location);
            var part = PartOf(call.Expression, method, semantic);
            if (part != null) return InlinePart(part, call.GetLocation(), args, argumentLocations, depth, location);
            Fail(call.GetLocation(), "The call to '" + owner + "." + method.Name + "'", "equations may call Dsl.Math functions, the model's own helper methods and its parts' [Energy] methods (Part.E(x))");
            return null;
        }

        /// <summary>
        /// Grad(f, a): ∇f at a for a Scalar function f of a Vec, given as a part's energy (Grad(Target.E, q)), a helper method of the
        /// model (Grad(U, q)) or a one-argument lambda with an expression body (Grad(q =&gt; …, x)). f's body is read with its argument
        /// bound to a fresh variable; the lowering differentiates it in that variable and substitutes a.
        /// </summary>
        private ExprSpec? ReadGrad(InvocationExpressionSyntax call, SemanticModel semantic, Dictionary<ISymbol, ExprSpec> env, int depth, LocationInfo? location)
        {
            var arguments = call.ArgumentList.Arguments;
            if (arguments.Count != 2 || arguments.Any(a => a.RefKindKeyword.RawKind != 0 || a.NameColon != null))
            {
                Fail(call.GetLocation(), "The call '" + Shorten(call.ToString()) + "'", "write Grad(f, a) with a function f and the point a, by position");
                return null;
            }
            var at = ReadExpr(arguments[1].Expression, semantic, env, depth + 1);
            if (at == null) return null;
            var function = arguments[0].Expression;
            var variable = new ExprSpec(ExprKind.Bound, "grad" + (++gradients), 0, EquatableArray<ExprSpec>.Empty, LocationInfo.From(function.GetLocation()));
            ExprSpec? body = null;
            var (lambdaParameter, lambdaBody) = function switch
            {
                SimpleLambdaExpressionSyntax simple => (simple.Parameter, simple.ExpressionBody),
                ParenthesizedLambdaExpressionSyntax parenthesized when parenthesized.ParameterList.Parameters.Count == 1 => (parenthesized.ParameterList.Parameters[0], parenthesized.ExpressionBody),
                _ => ((ParameterSyntax?)null, (ExpressionSyntax?)null),
            };
            if (lambdaParameter != null)
            {
                var parameter = semantic.GetDeclaredSymbol(lambdaParameter, ct);
                if (lambdaBody == null || parameter == null)
                {
                    Fail(function.GetLocation(), "The lambda '" + Shorten(function.ToString()) + "' given to Grad", "give Grad a lambda with an expression body, e.g. Grad(q => 0.5 * Norm2(q), x)");
                    return null;
                }
                var inner = new Dictionary<ISymbol, ExprSpec>(env, SymbolEqualityComparer.Default) { [parameter] = variable };
                body = ReadExpr(lambdaBody, semantic, inner, depth + 1);
            }
            else if (semantic.GetSymbolInfo(function, ct).Symbol is IMethodSymbol target)
            {
                var locations = new List<Location> { function.GetLocation() };
                var part = PartOf(function, target, semantic);
                if (part != null) body = InlinePart(part, function.GetLocation(), new List<ExprSpec> { variable }, locations, depth, location);
                else if (SymbolEqualityComparer.Default.Equals(target.ContainingType, type) && !target.IsGenericMethod)
                    body = Inline(target, function.GetLocation(), new List<ExprSpec> { variable }, locations, depth, location);
                else
                {
                    Fail(function.GetLocation(), "The function '" + Shorten(function.ToString()) + "' given to Grad",
                        "Grad differentiates a part's energy (Grad(Part.E, q)), a helper method of the model (Grad(U, q)) or a lambda (Grad(q => 0.5 * Norm2(q), x))");
                    return null;
                }
            }
            else
            {
                Fail(function.GetLocation(), "The function '" + Shorten(function.ToString()) + "' given to Grad",
                    "Grad differentiates a part's energy (Grad(Part.E, q)), a helper method of the model (Grad(U, q)) or a lambda (Grad(q => 0.5 * Norm2(q), x))");
                return null;
            }
            if (body == null) return null;
            return new ExprSpec(ExprKind.Call, "Grad", 0, new[] { variable, body, at }.ToEquatableArray(), location);
        }

        /// <summary>The part whose [Energy] method <paramref name="callee"/> names through the member holding it (Prior.E, this.Prior.E); null otherwise.</summary>
        private PartInfo? PartOf(ExpressionSyntax callee, IMethodSymbol method, SemanticModel semantic)
        {
            if (!SymbolEqualityComparer.Default.Equals(type, rootType) || !(callee is MemberAccessExpressionSyntax access)) return null;
            var receiver = semantic.GetSymbolInfo(access.Expression, ct).Symbol;
            return parts.FirstOrDefault(p => SymbolEqualityComparer.Default.Equals(p.Member, receiver) && SymbolEqualityComparer.Default.Equals(p.Energy, method.OriginalDefinition));
        }

        /// <summary>Inlines a part's energy: its [Param]s become "Part.Name", its numeric members "this.Part.Name", its argument the call's.</summary>
        private ExprSpec? InlinePart(PartInfo part, Location call, List<ExprSpec> args, IReadOnlyList<Location> argumentLocations, int depth, LocationInfo? location)
        {
            var saved = (type, paramNames, paramPrefix, hyperPrefix);
            type = part.Type;
            paramNames = part.ParamNames;
            paramPrefix = part.Member.Name + ".";
            hyperPrefix = "this." + part.Member.Name + ".";
            try
            {
                return Inline(part.Energy, call, args, argumentLocations, depth, location);
            }
            finally
            {
                (type, paramNames, paramPrefix, hyperPrefix) = saved;
            }
        }

        /// <summary>
        /// x[i] and x[a..b] on a Vec: Call "Index"(x, i) and Call "Slice"(x, a, b), a bound ^k as Call "FromEnd"(k) and a missing
        /// bound as 0 or ^0. The lowering reads the bounds as sizes.
        /// </summary>
        private ExprSpec? ReadElementAccess(ElementAccessExpressionSyntax access, SemanticModel semantic, Dictionary<ISymbol, ExprSpec> env, int depth, LocationInfo? location)
        {
            var indexer = semantic.GetSymbolInfo(access, ct).Symbol as IPropertySymbol;
            if (indexer == null || !indexer.IsIndexer || !IsDslType(indexer.ContainingType, "Vec") || access.ArgumentList.Arguments.Count != 1)
            {
                Fail(access.GetLocation(), "The element access '" + Shorten(access.ToString()) + "'", "equations index and slice Vecs only: x[i], x[a..b], x[^k]");
                return null;
            }
            var target = ReadExpr(access.Expression, semantic, env, depth + 1);
            if (target == null) return null;
            var argument = access.ArgumentList.Arguments[0].Expression;
            ExprSpec Const(double v) => new ExprSpec(ExprKind.Const, "", v, EquatableArray<ExprSpec>.Empty, location);
            ExprSpec? Bound(ExpressionSyntax? bound, bool end)
            {
                if (bound == null) return end ? new ExprSpec(ExprKind.Call, "FromEnd", 0, new[] { Const(0) }.ToEquatableArray(), location) : Const(0);
                if (bound is PrefixUnaryExpressionSyntax hat && hat.IsKind(SyntaxKind.IndexExpression))
                {
                    var k = ReadExpr(hat.Operand, semantic, env, depth + 1);
                    return k == null ? null : new ExprSpec(ExprKind.Call, "FromEnd", 0, new[] { k }.ToEquatableArray(), LocationInfo.From(hat.GetLocation()));
                }
                return ReadExpr(bound, semantic, env, depth + 1);
            }
            if (argument is RangeExpressionSyntax range)
            {
                var from = Bound(range.LeftOperand, false);
                var to = Bound(range.RightOperand, true);
                if (from == null || to == null) return null;
                return new ExprSpec(ExprKind.Call, "Slice", 0, new[] { target, from, to }.ToEquatableArray(), location);
            }
            var index = Bound(argument, false);
            return index == null ? null : new ExprSpec(ExprKind.Call, "Index", 0, new[] { target, index }.ToEquatableArray(), location);
        }

        private ExprSpec? Inline(IMethodSymbol method, Location call, List<ExprSpec> args, IReadOnlyList<Location> argumentLocations, int depth, LocationInfo? location)
        {
            if (callStack.Any(m => SymbolEqualityComparer.Default.Equals(m, method)))
            {
                var chain = string.Join(" → ", callStack.Reverse().Select(m => m.Name).Concat(new[] { method.Name }));
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.Recursive, LocationInfo.From(call), method.Name, chain));
                failed = true;
                return null;
            }
            var syntax = method.DeclaringSyntaxReferences.Select(r => r.GetSyntax(ct)).OfType<MethodDeclarationSyntax>().FirstOrDefault();
            if (syntax == null || method.Parameters.Length != args.Count)
            {
                Fail(call, "The call to '" + method.Name + "'", "only helper methods declared in source with plain parameters can be inlined");
                return null;
            }
            var env = new Dictionary<ISymbol, ExprSpec>(SymbolEqualityComparer.Default);
            for (int i = 0; i < args.Count; i++)
                env[method.Parameters[i]] = Bind(args[i], argumentLocations[i]);
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

        private static bool IsComparison(SyntaxKind kind) =>
            kind == SyntaxKind.GreaterThanExpression || kind == SyntaxKind.LessThanExpression || kind == SyntaxKind.GreaterThanOrEqualExpression
            || kind == SyntaxKind.LessThanOrEqualExpression || kind == SyntaxKind.EqualsExpression || kind == SyntaxKind.NotEqualsExpression;

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
