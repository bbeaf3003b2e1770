using System.Collections.Generic;
using Dsl.Generators.Diagnostics;
using Dsl.Generators.Model;
using Dsl.Symbolic.Ir;

namespace Dsl.Generators.Lowering
{
    /// <summary>
    /// The conditioning leaves of a lowered E(x, t | y): the [Time] Scalar t, the [Condition] Vec y, or the one-hot of a
    /// [Condition] Label y. All are Condition nodes: batched per sample, constant for the derivatives in x.
    /// </summary>
    public sealed class LoweredConditioning
    {
        internal LoweredConditioning(ConditioningSpec spec, Node? time, Node? observation)
        {
            Spec = spec; Time = time; Observation = observation;
        }

        /// <summary>The parsed conditioning inputs.</summary>
        public ConditioningSpec Spec { get; }
        /// <summary>t: [N], when the energy has a [Time] argument.</summary>
        public Node? Time { get; }
        /// <summary>y: [N, K], when the energy has a [Condition] Vec argument.</summary>
        public Node? Observation { get; }
        /// <summary>onehot(y): [N, K], when the energy has a [Condition] Label argument (K: the length of the Vecs it picks from).</summary>
        public Node? LabelOneHot { get; internal set; }

        /// <summary>The dimension symbol of the condition: y's K, or the label's class count K; null without a [Condition].</summary>
        public string? ConditionDim => Observation?.Shape.Last ?? LabelOneHot?.Shape.Last;
    }

    /// <summary>Builds the conditioning leaves of a model and checks the label was read.</summary>
    internal static class ConditioningLowering
    {
        /// <summary>The leaves of <paramref name="spec"/>'s [Time]/[Condition] arguments, by argument name for the expression lowerer; null when it has none.</summary>
        internal static LoweredConditioning? Leaves(Graph g, ModelSpec spec, out Dictionary<string, Node>? byName, out string? label)
        {
            byName = null; label = null;
            var c = spec.Conditioning;
            if (c == null) return null;
            byName = new Dictionary<string, Node>();
            var time = c.TimeName != null ? g.Condition(c.TimeName) : null;
            if (time != null) byName[c.TimeName!] = time;
            var observation = c.ConditionKind == ConditionInputKind.Vector ? g.Condition(c.ConditionName!, c.ConditionDim) : null;
            if (observation != null) byName[c.ConditionName!] = observation;
            if (c.ConditionKind == ConditionInputKind.Label) label = c.ConditionName;
            return new LoweredConditioning(c, time, observation);
        }

        /// <summary>Records the label's one-hot after lowering; DSL0047 (false) when the energy never reads its label.</summary>
        internal static bool Finish(LoweredConditioning? conditioning, Node? labelOneHot, ModelSpec spec, List<DiagnosticInfo> diagnostics)
        {
            if (conditioning == null || conditioning.Spec.ConditionKind != ConditionInputKind.Label) return true;
            if (labelOneHot == null)
            {
                string y = conditioning.Spec.ConditionName!;
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadLabelUse, spec.Energy.Location, spec.ClassName,
                    "the energy never reads its label '" + y + "', so the number of classes is unknown", "Pick(f, " + y + ") (e.g. LogSumExp(f) - Pick(f, " + y + ") for a classifier with logits f) or OneHot(" + y + ", Len(b))"));
                return false;
            }
            conditioning.LabelOneHot = labelOneHot;
            return true;
        }
    }
}
