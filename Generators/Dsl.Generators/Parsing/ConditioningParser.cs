using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Dsl.Generators.Diagnostics;
using Dsl.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using static Dsl.Generators.Parsing.CommonParsing;

namespace Dsl.Generators.Parsing
{
    /// <summary>
    /// The conditioning inputs of an [Energy] method: <c>Scalar E(Vec x, [Time] Scalar t, [Condition] Vec y)</c> (or
    /// <c>[Condition] Label y</c>), in any order after x, each optional but at least one. Misuse is DSL0045 ([Time]) or DSL0046
    /// ([Condition]) at the argument, naming what to write instead.
    /// </summary>
    internal static class ConditioningParser
    {
        /// <summary>The result: <see cref="Spec"/> null when the energy has no [Time] or [Condition] argument (the plain signature rules apply).</summary>
        internal sealed class Result
        {
            public ConditioningSpec? Spec;
            public IParameterSymbol? Time;
            public IParameterSymbol? Condition;
            public bool Failed;
        }

        internal static Result Read(IMethodSymbol energy, MethodDeclarationSyntax syntax, List<DiagnosticInfo> diagnostics, CancellationToken ct)
        {
            var result = new Result();
            if (!energy.Parameters.Any(p => HasAttribute(p, "TimeAttribute") || HasAttribute(p, "ConditionAttribute"))) return result;
            string name = energy.Name;
            LocationInfo? At(IParameterSymbol p) =>
                LocationInfo.From(p.DeclaringSyntaxReferences.Select(r => r.GetSyntax(ct)).FirstOrDefault()?.GetLocation() ?? syntax.ParameterList.GetLocation());
            void Time(IParameterSymbol p, string problem, string fix)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadTimeInput, At(p), name, problem, fix));
                result.Failed = true;
            }
            void Condition(IParameterSymbol p, string problem, string fix)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadConditionInput, At(p), name, problem, fix));
                result.Failed = true;
            }

            if (!IsDslType(energy.ReturnType, "Scalar") || energy.IsGenericMethod || energy.Parameters.Length == 0)
            {
                var where = !IsDslType(energy.ReturnType, "Scalar") ? syntax.ReturnType.GetLocation() : syntax.ParameterList.GetLocation();
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.EnergySignature, LocationInfo.From(where), name,
                    !IsDslType(energy.ReturnType, "Scalar") ? "returns '" + energy.ReturnType.ToDisplayString() + "'" : energy.IsGenericMethod ? "is generic" : "takes no state x"));
                result.Failed = true;
                return result;
            }

            var x = energy.Parameters[0];
            string fixSignature = "'Scalar " + name + "(Vec x, [Time] Scalar t, [Condition] Vec y)': the state x first, then at most one [Time] Scalar and one [Condition] Vec or Label";
            if (HasAttribute(x, "TimeAttribute")) { Time(x, "marks its first argument '" + x.Name + "' [Time]; the first argument is the state x that the score differentiates", fixSignature); return result; }
            if (HasAttribute(x, "ConditionAttribute")) { Condition(x, "marks its first argument '" + x.Name + "' [Condition]; the first argument is the state x that the score differentiates", fixSignature); return result; }
            if (!IsDslType(x.Type, "Vec"))
            {
                var marked = energy.Parameters.Skip(1).First(p => HasAttribute(p, "TimeAttribute") || HasAttribute(p, "ConditionAttribute"));
                string problem = "takes '" + x.Type.ToDisplayString() + "' x with a conditioning input; time and condition inputs are for energies over a real Vec x";
                if (HasAttribute(marked, "TimeAttribute")) Time(marked, problem, "'Scalar " + name + "(Vec x, [Time] Scalar t)'");
                else Condition(marked, problem, "'Scalar " + name + "(Vec x, [Condition] Vec y)'");
                return result;
            }

            foreach (var p in energy.Parameters.Skip(1))
            {
                bool time = HasAttribute(p, "TimeAttribute"), condition = HasAttribute(p, "ConditionAttribute");
                if (p.RefKind != RefKind.None || p.IsParams || p.HasExplicitDefaultValue)
                {
                    if (time) Time(p, "takes '" + p.Name + "' with a modifier or default value", "a plain argument '[Time] Scalar " + p.Name + "'");
                    else Condition(p, "takes '" + p.Name + "' with a modifier or default value", "a plain argument '[Condition] Vec " + p.Name + "'");
                    continue;
                }
                if (time && condition) { Condition(p, "marks '" + p.Name + "' both [Time] and [Condition]", "one of them: '[Time] Scalar " + p.Name + "' or '[Condition] Vec " + p.Name + "'"); continue; }
                if (time)
                {
                    if (!IsDslType(p.Type, "Scalar")) { Time(p, "takes the time '" + p.Name + "' as '" + p.Type.ToDisplayString() + "'", "'[Time] Scalar " + p.Name + "' (one time per sample)"); continue; }
                    if (result.Time != null) { Time(p, "has two [Time] arguments, '" + result.Time.Name + "' and '" + p.Name + "'", "one '[Time] Scalar " + result.Time.Name + "' and write the other clock as a function of it in the equation"); continue; }
                    result.Time = p;
                    continue;
                }
                if (condition)
                {
                    if (!IsDslType(p.Type, "Vec") && !IsDslType(p.Type, "Label"))
                    {
                        string fix = IsDslType(p.Type, "Scalar")
                            ? "'[Condition] Vec " + p.Name + "' with Dim = a size-1 symbol for a per-sample number, '[Condition] Label " + p.Name + "' for a class, or '[Time] Scalar " + p.Name + "' for a time"
                            : "'[Condition] Vec " + p.Name + "' (an observation, per sample [N, K]) or '[Condition] Label " + p.Name + "' (a class label, per sample int64)";
                        Condition(p, "takes the condition '" + p.Name + "' as '" + p.Type.ToDisplayString() + "'", fix);
                        continue;
                    }
                    if (result.Condition != null) { Condition(p, "has two [Condition] arguments, '" + result.Condition.Name + "' and '" + p.Name + "'", "one '[Condition] Vec " + result.Condition.Name + "' holding both observations (or a Label for a class)"); continue; }
                    result.Condition = p;
                    continue;
                }
                if (HasAttribute(p, "NoiseLevelAttribute"))
                {
                    if (energy.Parameters.Any(q => HasAttribute(q, "TimeAttribute")))
                        Time(p, "takes both a [NoiseLevel] '" + p.Name + "' and a [Time] argument", "only '[Time] Scalar t' and the noise level as a function of t in the equation (e.g. var sigma = Exp(t * LogSigmaMax))");
                    else
                        Condition(p, "takes a [NoiseLevel] '" + p.Name + "' together with a [Condition] argument", "'[Time] Scalar t' in place of the noise level (σ as a function of t in the equation)");
                    continue;
                }
                if (HasAttribute(p, "HiddenAttribute")) { Condition(p, "takes [Hidden] units '" + p.Name + "' together with conditioning inputs", "a conditional energy over a real Vec x only: 'Scalar " + name + "(Vec x, [Condition] Vec y)'"); continue; }
                Condition(p, "takes '" + p.Name + "' that is not marked [Time] or [Condition]", "'[Time] Scalar " + p.Name + "' for a time or '[Condition] Vec " + p.Name + "' / '[Condition] Label " + p.Name + "' for a condition");
            }
            if (result.Failed) return result;

            var kind = result.Condition == null ? ConditionInputKind.None : IsDslType(result.Condition.Type, "Label") ? ConditionInputKind.Label : ConditionInputKind.Vector;
            string conditionDim = "K";
            if (result.Condition != null)
            {
                var attribute = result.Condition.GetAttributes().First(a => IsDslAttribute(a, "ConditionAttribute"));
                foreach (var named in attribute.NamedArguments)
                    if (named.Key == "Dim" && named.Value.Value is string d) conditionDim = d;
                if (!IsSymbol(conditionDim))
                {
                    Condition(result.Condition, "gives the condition '" + result.Condition.Name + "' the dimension \"" + conditionDim + "\"", "a dimension name such as [Condition(Dim = \"K\")]");
                    return result;
                }
            }
            result.Spec = new ConditioningSpec(result.Time?.Name, result.Condition?.Name, kind, conditionDim,
                result.Time != null && result.Condition != null && result.Condition.Ordinal < result.Time.Ordinal);
            return result;
        }
    }
}
