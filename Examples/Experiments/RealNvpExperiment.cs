using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using Dsl.Flows;
using Dsl.Models;
using Dsl.Models.Data;
using Dsl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Examples.Experiments
{
    /// <summary>
    /// A RealNVP stack (generated <see cref="AffineCoupling"/> and <see cref="AffineCouplingSwapped"/> layers, alternating the
    /// partition) trained by maximum likelihood on a 2-D toy set, for `dsl flow` and its tests. The data split is the CNF run's
    /// (<see cref="FamilyRuns.Cnf"/>: 2500 draws with seed + 1, the first 2000 to train, the last 500 to test), so the two test
    /// NLLs are on the same points. The test NLL comes with its standard error and with the paired difference to the
    /// standard-Gaussian baseline −log N(x; 0, I), whose standard error is that of the per-point differences.
    /// </summary>
    public static class RealNvpExperiment
    {
        /// <summary>The run's settings and figures (nats per point).</summary>
        public sealed record Result(string Data, int Layers, int Hidden, long Steps, double BaselineNll, double TestNllBefore, double TestNll, double TestNllStandardError,
            double GainOverBaseline, double GainStandardError, double TrainNll, double Seconds, bool Cancelled)
        {
            /// <summary>The gain over the baseline in standard errors of the paired differences.</summary>
            public double GainZ => GainOverBaseline / GainStandardError;
        }

        /// <summary>
        /// The stack: <paramref name="layers"/> couplings over ℝ² (K = 1), alternating which coordinate is copied, float32; with
        /// <paramref name="linear"/>, each coupling is followed by a <see cref="LinearFlow"/> y = (I + W) z + b (identity at the start).
        /// </summary>
        public static FlowStack CreateStack(int layers, int hidden, long seed, bool linear = false)
        {
            var g = new Generator((ulong)seed);
            var list = new List<IFlowLayer>();
            for (int i = 0; i < layers; i++)
            {
                list.Add(i % 2 == 0 ? new AffineCoupling(1, hidden, g) : new AffineCouplingSwapped(1, hidden, g));
                if (linear) list.Add(new LinearFlow(2, g));
            }
            return new FlowStack("RealNvp", list);
        }

        /// <summary>Mean and standard error of the mean of a [N] tensor.</summary>
        private static (double Mean, double StandardError) MeanAndError(Tensor v)
        {
            using var scope = NewDisposeScope();
            var d = v.detach().to_type(ScalarType.Float64);
            return (d.mean().ToDoubleValue(), d.std().ToDoubleValue() / System.Math.Sqrt(d.shape[0]));
        }

        /// <summary>Trains the stack on <paramref name="data"/> with Adam (batches of 128) and reports the test NLL against the baseline.</summary>
        public static Result Run(string data, int layers, int hidden, int steps, double learningRate, long seed, IProgress<TrainingProgress>? progress, CancellationToken cancellation,
            bool linear = false)
        {
            if (Toy2D.Parse(data) == null) throw new ArgumentException("unknown --data '" + data + "'; valid: " + string.Join(", ", Toy2D.Names) + ".");
            var clock = Stopwatch.StartNew();
            using var scope = NewDisposeScope();
            var (train, test) = FamilyRuns.FlowSplit(data, seed);   // the CNF's split: the same 500 test points
            var stack = CreateStack(layers, hidden, seed, linear);
            double before;
            using (no_grad()) before = -stack.LogProb(test).mean().ToDoubleValue();
            var result = Trainer.Train(stack, new TensorDataStream(train, 128, seed), (x, _) => stack.NegativeLogLikelihoodLoss(x),
                new TrainerOptions { Steps = steps, LearningRate = learningRate, Seed = seed, Progress = progress, Cancellation = cancellation,
                    InitFrom = GalleryWeights.InitFrom, ExportPath = GalleryWeights.Export });
            using var noGrad = no_grad();
            var nll = stack.LogProb(test).neg();
            var baseline = FlowStack.BaseLogProb(test).neg();
            var (testNll, testSe) = MeanAndError(nll);
            var (baselineNll, _) = MeanAndError(baseline);
            var (gain, gainSe) = MeanAndError(baseline - nll);
            double trainNll = -stack.LogProb(train).mean().ToDoubleValue();
            return new Result(data, layers, hidden, result.Steps, baselineNll, before, testNll, testSe, gain, gainSe, trainNll, clock.Elapsed.TotalSeconds, result.Cancelled);
        }
    }
}
