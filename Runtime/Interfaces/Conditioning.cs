using System;
using Dsl.Sde;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl
{
    /// <summary>
    /// Fixing the condition of a conditional model: E(· | y) as an ordinary energy model (the Langevin, MALA and HMC samplers
    /// take it) and s(·, t | y) as an <see cref="ITimeScoreModel"/> (the reverse-time SDE and probability-flow samplers take it).
    /// y is either one condition for every sample (an observation [K] or [1, K], a label [] or [1]) or one per sample ([N, K],
    /// [N]), in which case the batch of x must have N rows.
    /// </summary>
    public static class Conditioning
    {
        /// <summary>E(x | y) with y fixed.</summary>
        public static IEnergyScoreModel Given(IConditionalEnergyModel model, Tensor y)
        {
            if (model is null) throw new ArgumentNullException(nameof(model));
            Check(model, y, "Conditioning.Given");
            return new FixedCondition(model, y);
        }

        /// <summary>s(x, t | y) with y fixed.</summary>
        public static ITimeScoreModel Given(ITimeConditionalEnergyModel model, Tensor y)
        {
            if (model is null) throw new ArgumentNullException(nameof(model));
            Check(model, y, "Conditioning.Given");
            return new FixedTimeCondition(model, y);
        }

        /// <summary>y expanded to the n rows of a batch: [n, K] for an observation, int64 [n] for a label.</summary>
        public static Tensor Expand(IConditionInput model, Tensor y, long n)
        {
            if (model is null) throw new ArgumentNullException(nameof(model));
            Check(model, y, "Conditioning.Expand");
            bool label = model.ConditionKind == ConditionKind.Label;
            long rows = label ? (y.dim() == 0 ? 1 : y.shape[0]) : (y.dim() == 1 ? 1 : y.shape[0]);
            if (rows == n) return label ? y.reshape(n) : y.reshape(n, model.ConditionSize);
            if (rows != 1)
                throw new ArgumentException("Conditioning (" + model.ModelName + "): y has " + rows + " rows but the batch has " + n + "; give one condition for every sample or one per sample.", nameof(y));
            return label ? y.reshape(1).expand(n) : y.reshape(1, model.ConditionSize).expand(n, model.ConditionSize);
        }

        private static void Check(IConditionInput model, Tensor y, string who)
        {
            if (y is null) throw new ArgumentNullException(nameof(y), who + " (" + model.ModelName + "): y is null.");
            if (model.ConditionKind == ConditionKind.Label)
            {
                if (y.dtype != ScalarType.Int64 || y.dim() > 1)
                    throw new ArgumentException(who + " (" + model.ModelName + "): a label condition must be int64 [] or [N]; got " + y.dtype + " " + Broadcasting.Describe(y) + ".", nameof(y));
            }
            else if (!y.is_floating_point() || y.dim() < 1 || y.dim() > 2 || y.shape[y.dim() - 1] != model.ConditionSize)
                throw new ArgumentException(who + " (" + model.ModelName + "): an observation must be floating point [K] or [N, K] with K = " + model.ConditionSize + "; got " + y.dtype + " " + Broadcasting.Describe(y) + ".", nameof(y));
        }

        private sealed class FixedCondition : IEnergyScoreModel
        {
            private readonly IConditionalEnergyModel model;
            private readonly Tensor y;
            public FixedCondition(IConditionalEnergyModel model, Tensor y) { this.model = model; this.y = y; }
            public string ModelName => model.ModelName + " | y";
            public int Dim => model.Dim;
            private Tensor Y(Tensor x) => Expand(model, y, x.shape[0]);
            public Tensor Energy(Tensor x) { using var scope = NewDisposeScope(); return model.Energy(x, Y(x)).MoveToOuterDisposeScope(); }
            public Tensor EnergyNoGrad(Tensor x) { using var scope = NewDisposeScope(); return model.EnergyNoGrad(x, Y(x)).MoveToOuterDisposeScope(); }
            public Tensor Score(Tensor x) { using var scope = NewDisposeScope(); return model.Score(x, Y(x)).MoveToOuterDisposeScope(); }
            public Tensor ScoreNoGrad(Tensor x) { using var scope = NewDisposeScope(); return model.ScoreNoGrad(x, Y(x)).MoveToOuterDisposeScope(); }
            public (Tensor Energy, Tensor Score) EnergyAndScore(Tensor x)
            {
                using var scope = NewDisposeScope();
                var (e, s) = model.EnergyAndScore(x, Y(x));
                return (e.MoveToOuterDisposeScope(), s.MoveToOuterDisposeScope());
            }
            public (Tensor Energy, Tensor Score) EnergyAndScoreNoGrad(Tensor x)
            {
                using var scope = NewDisposeScope();
                var (e, s) = model.EnergyAndScoreNoGrad(x, Y(x));
                return (e.MoveToOuterDisposeScope(), s.MoveToOuterDisposeScope());
            }
        }

        private sealed class FixedTimeCondition : ITimeScoreModel
        {
            private readonly ITimeConditionalEnergyModel model;
            private readonly Tensor y;
            public FixedTimeCondition(ITimeConditionalEnergyModel model, Tensor y) { this.model = model; this.y = y; }
            public string ModelName => model.ModelName + " | y";
            public int Dim => model.Dim;
            public Tensor Score(Tensor x, Tensor t)
            {
                using var scope = NewDisposeScope();
                var yy = Expand(model, y, x.shape[0]);
                return (is_grad_enabled() ? model.Score(x, t, yy) : model.ScoreNoGrad(x, t, yy)).MoveToOuterDisposeScope();
            }
        }
    }
}
