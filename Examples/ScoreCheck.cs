using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using Dsl.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Examples
{
    /// <summary>The figures of one score check: generated analytic results against autograd of the user's equations.</summary>
    public sealed record ScoreCheckResult(
        string Model, int N, int Dim, string DType,
        double MaxAbsErr, double MaxRelErr,
        double? DivergenceMaxAbsErr,
        double GeneratedMs, double AutogradMs);

    /// <summary>Runs one model's generated Score (and ScoreDivergence) against autograd on the same inputs.</summary>
    public static class ScoreCheck
    {
        /// <summary>Checks <paramref name="entry"/> on <paramref name="n"/> standard-normal-ish samples drawn from <paramref name="seed"/>.</summary>
        public static ScoreCheckResult Run(CatalogEntry entry, int n, long seed, Device device, ScalarType dtype, int repeats = 5)
        {
            using var scope = NewDisposeScope();
            var model = entry.Create(seed);
            model.to(dtype).to(device);
            var g = new Generator((ulong)(seed + 1));
            var x = (empty(n, model.Dim, dtype: ScalarType.Float64).normal_(0, 1.5, generator: g)).to(dtype).to(device);
            x = ModelSupport.MapInto(model, x);   // inputs where the model's density lives (its declared support)

            var scoreModel = (IScoreModel)model;
            var eager = (IEquationModel)model;
            var generated = scoreModel.ScoreNoGrad(x);
            var reference = Autograd.Score(eager.EnergyEager, x);
            double maxAbs = (generated - reference).abs().max().ToDoubleValue();
            double maxRel = ((generated - reference).abs() / (reference.abs().Add(1e-12))).max().ToDoubleValue();

            double? divErr = null;
            if (model is IScoreDivergenceModel div)
            {
                int m = System.Math.Min(n, 256);   // autograd's exact trace costs D backward passes
                var xs = x.narrow(0, 0, m);
                var exact = div.ScoreDivergenceNoGrad(xs);
                var viaAutograd = Autograd.Divergence(xx => Autograd.Score(eager.EnergyEager, xx, createGraph: true), xs);
                divErr = (exact - viaAutograd).abs().max().ToDoubleValue();
            }

            double generatedMs = MedianMs(() => scoreModel.ScoreNoGrad(x), repeats);
            double autogradMs = MedianMs(() => Autograd.Score(eager.EnergyEager, x), repeats);
            return new ScoreCheckResult(entry.Name, n, model.Dim, dtype.ToString(), maxAbs, maxRel, divErr, generatedMs, autogradMs);
        }

        private static double MedianMs(Func<Tensor> f, int repeats)
        {
            var times = new List<double>();
            for (int i = 0; i <= repeats; i++)
            {
                using var scope = NewDisposeScope();
                var sw = Stopwatch.StartNew();
                f();
                sw.Stop();
                if (i > 0) times.Add(sw.Elapsed.TotalMilliseconds);   // the first call warms up
            }
            times.Sort();
            return times[times.Count / 2];
        }
    }
}
