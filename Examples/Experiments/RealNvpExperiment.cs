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
        public static FlowStack CreateStack(int layers, int hidden, long seed, bool linear = false, int dim = 2)
        {
            if (dim < 2 || dim % 2 != 0) throw new ArgumentException("RealNVP's couplings split z into two halves of K = D/2: D must be even, got D = " + dim + ".", nameof(dim));
            var g = new Generator((ulong)seed);
            var list = new List<IFlowLayer>();
            for (int i = 0; i < layers; i++)
            {
                list.Add(i % 2 == 0 ? new AffineCoupling(dim / 2, hidden, g) : new AffineCouplingSwapped(dim / 2, hidden, g));
                if (linear) list.Add(new LinearFlow(dim, g));
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
            bool linear = false, bool standardize = false)
        {
            using var dataSet = GalleryData.Open(data, FamilyRuns.FlowDataNames, standardize, seed, holdOut: true);
            return Run(dataSet, layers, hidden, steps, learningRate, seed, progress, cancellation, linear);
        }

        /// <summary>
        /// <see cref="Run(string, int, int, int, double, long, IProgress{TrainingProgress}?, CancellationToken, bool, bool)"/> on opened data: a file
        /// of even dimension D trains couplings with K = D/2 on its rows and reports its held-out rows' NLL in data units (nats per point).
        /// </summary>
        internal static Result Run(GalleryData dataSet, int layers, int hidden, int steps, double learningRate, long seed, IProgress<TrainingProgress>? progress, CancellationToken cancellation,
            bool linear = false)
        {
            string data = dataSet.DisplayName;
            var clock = Stopwatch.StartNew();
            using var scope = NewDisposeScope();
            var (train, test) = FamilyRuns.FlowSplit(dataSet, seed);   // the CNF's split: the same test points
            var stack = CreateStack(layers, hidden, seed, linear, dataSet.Dim);
            double before;
            using (no_grad()) before = dataSet.NllToDataUnits(-stack.LogProb(test).mean().ToDoubleValue());
            var result = Trainer.Train(stack, new TensorDataStream(train, 128, seed), (x, _) => stack.NegativeLogLikelihoodLoss(x),
                new TrainerOptions { Steps = steps, LearningRate = learningRate, Seed = seed, Progress = progress, Cancellation = cancellation,
                    InitFrom = GalleryWeights.InitFrom, ExportPath = GalleryWeights.Export });
            using var noGrad = no_grad();
            var nll = stack.LogProb(test).neg();
            var baseline = FlowStack.BaseLogProb(test).neg();
            var (testNll, testSe) = MeanAndError(nll);
            var (baselineNll, _) = MeanAndError(baseline);
            var (gain, gainSe) = MeanAndError(baseline - nll);
            double trainNll = dataSet.NllToDataUnits(-stack.LogProb(train).mean().ToDoubleValue());
            // In data units (a standardised file's −log p gains Σⱼ log stdⱼ); the gain over the baseline is a difference and unchanged.
            testNll = dataSet.NllToDataUnits(testNll);
            baselineNll = dataSet.NllToDataUnits(baselineNll);
            return new Result(data, layers, hidden, result.Steps, baselineNll, before, testNll, testSe, gain, gainSe, trainNll, clock.Elapsed.TotalSeconds, result.Cancelled);
        }
    }
}
