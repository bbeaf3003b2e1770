using System.CommandLine;
using Dsl.Examples.Experiments;
using Dsl.Training;

namespace Dsl.Examples
{
    /// <summary>`dsl rbm`: an RBM on the binarised digits, trained by CD-1 or PCD through its generated members.</summary>
    internal static class RbmCommand
    {
        public static Command Build(GalleryOptions o)
        {
            var data = new Option<string>("--data") { Description = "digits (the UCI 8×8 digits, binarised at 8/16) or a .csv/.npy/.npz file of binary points [N, V] (0/1 or ±1; V from the file, N ≥ 100).", DefaultValueFactory = _ => "digits" };
            var hidden = new Option<int>("--hidden") { Description = "Hidden units.", DefaultValueFactory = _ => 64 }.InRange(1, 1024);
            var algorithm = new Option<string>("--algorithm") { Description = "cd1 or pcd.", DefaultValueFactory = _ => "cd1" };
            var epochs = new Option<int>("--epochs") { Description = "Passes over the 1797 images (batches of 100).", DefaultValueFactory = _ => 10 }.AtLeast(1);
            var resume = new Option<bool>("--resume") { Description = "Continue from the checkpoint in --out (PCD chains restart from data)." };
            var command = new Command("rbm", "Train a binary RBM on the digits with CD-1 or PCD: pseudo-likelihood and AIS log-likelihood, sample and filter PNGs.");
            foreach (var opt in new Option[] { data, hidden, algorithm, epochs, resume }) command.Options.Add(opt);
            command.SetAction(r => o.Run("rbm", r, run =>
            {
                string a = r.GetValue(algorithm)!.ToLowerInvariant();
                if (a != "cd1" && a != "pcd") return SamplingCommands.Fail("rbm", "unknown --algorithm '" + a + "'; valid: cd1, pcd.");
                var (dataSet, bits, dataProblem) = OpenBinary(r.GetValue(data)!, run.Seed, RbmDigits.Batch);
                if (dataSet is null) return SamplingCommands.Fail("rbm", dataProblem!);
                using var _ = dataSet;
                using var __ = bits;
                int h = r.GetValue(hidden), e = r.GetValue(epochs);
                var checkpoint = run.Output(dataSet.IsDigits ? $"rbm-{a}-{h}.ckpt" : $"rbm-{dataSet.Slug}-{a}-{h}.ckpt");
                if (GalleryOptions.CheckpointProblem("--out", checkpoint, r.GetValue(resume)) is string missing) return SamplingCommands.Fail("rbm", missing);
                RbmDigitsRun result;
                try
                {
                    result = RbmDigits.Run(bits!, a == "pcd", h, e, run.Seed, checkpoint, r.GetValue(resume),
                        run.Progress<TrainingProgress>(p => $"step {p.Step}/{p.TotalSteps}, CD loss {p.Loss:F3}"), run.Cancellation);
                }
                catch (CheckpointException ex) { return SamplingCommands.Fail("rbm", ex.Message); }
                var (ih, iw) = dataSet.ImageShape;
                int perRow = dataSet.ImageSide is null ? 1 : 8;
                string prefix = dataSet.IsDigits ? "rbm-" + a : "rbm-" + dataSet.Slug + "-" + a;
                var samples = Plots.ImageGrid(run.Output($"{prefix}-samples.png"), $"RBM ({a}, H = {h}): p(v | h) after 200 Gibbs sweeps", result.Samples, ih, iw, perRow);
                var filters = Plots.ImageGrid(run.Output($"{prefix}-filters.png"), $"RBM ({a}): filters W·ⱼ", result.Filters, ih, iw, perRow, normalizeEach: true);
                return run.Finish(new
                {
                    command = "rbm", data = dataSet.DisplayName, data_set = dataSet.Json(dataSet.ImageSide is null ? "image grid, one row of V pixels per point" : "image grid"), binary_values = dataSet.BinaryValues, visible = dataSet.Dim, algorithm = a, hidden = h, epochs = e, steps = result.Steps,
                    pseudo_log_likelihood = result.PseudoLogLikelihood, pseudo_log_likelihood_before = result.PseudoLogLikelihoodBefore,
                    ais_log_likelihood = result.AisLogLikelihood, ais_log_likelihood_before = result.AisLogLikelihoodBefore, ais_standard_error = result.AisStandardError,
                    exact_log_likelihood = result.ExactLogLikelihood, seconds = result.Seconds, samples_png = samples, filters_png = filters,
                }, result.Cancelled);
            }));
            GalleryWeights.AddTo(command);
            return command;
        }

        /// <summary>
        /// The binary data of `dsl rbm`, `dbn` and `dbm`: the binarised digits or a file of 0/1 or ±1 values with at least
        /// <paramref name="batch"/> rows; a problem is the one-line message.
        /// </summary>
        internal static (GalleryData? Data, TorchSharp.torch.Tensor? Bits, string? Error) OpenBinary(string value, long seed, int batch)
        {
            var (data, problem) = GalleryData.TryOpen(value, new[] { "digits" }, false, seed, digitsScale: Dsl.Models.Data.PixelScale.Binary);
            if (data is null) return (null, null, problem);
            if (data.BatchProblem(batch, null) is string tooFew) { data.Dispose(); return (null, null, tooFew); }
            try { return (data, data.BinaryRows(), null); }
            catch (Dsl.Data.DataFileException e) { data.Dispose(); return (null, null, e.Message); }
        }

        /// <summary>`dsl hopfield`: Hebbian or gradient-rule storage and recall from corrupted patterns.</summary>
        public static Command BuildHopfield(GalleryOptions o)
        {
            var n = new Option<int>("--N") { Description = "Units.", DefaultValueFactory = _ => 100 }.AtLeast(2);
            var patterns = new Option<int>("--patterns") { Description = "Stored random patterns P (capacity ≈ 0.14 N).", DefaultValueFactory = _ => 5 }.AtLeast(1);
            var noise = new Option<double>("--noise") { Description = "Fraction of bits flipped in each probe.", DefaultValueFactory = _ => 0.1 }.InRange(0, 0.5, " (beyond half the probe is closer to the negated pattern)");
            var rule = new Option<string>("--rule") { Description = "hebbian, gradient (pseudo-likelihood ascent with symmetric, zero-diagonal W, started from Hebbian) or mackay (MacKay's Algorithm 42.9: perceptron learning with weight decay --alpha).", DefaultValueFactory = _ => "hebbian" };
            var alpha = new Option<double>("--alpha") { Description = "For --rule mackay: the weight decay α ≥ 0.", DefaultValueFactory = _ => 0.1 }.InRange(0, 1e6);
            var spurious = new Option<bool>("--spurious") { Description = "Hebbian net: classify where asynchronous updates from random starts end (stored patterns, inverses −ξ, mixtures sign(±ξᵃ±ξᵇ±ξᶜ), other); for N ≤ 20 also every fixed point by enumerating 2^N states (MacKay Fig. 42.3)." };
            var synchronous = new Option<bool>("--synchronous") { Description = "Hebbian net: find a start from which synchronous updates alternate with period 2 while asynchronous updates converge." };
            var starts = new Option<int>("--starts") { Description = "For --spurious: random starts.", DefaultValueFactory = _ => 500 }.AtLeast(1);
            var command = new Command("hopfield", "Store random patterns by the Hebbian, gradient or MacKay rule in the generated Hopfield energy, recall them from corrupted probes by asynchronous updates; or --spurious / --synchronous.");
            foreach (var opt in new Option[] { n, patterns, noise, rule, alpha, spurious, synchronous, starts }) command.Options.Add(opt);
            command.SetAction(r => o.Run("hopfield", r, run =>
            {
                if (r.GetValue(spurious) || r.GetValue(synchronous))
                {
                    if (r.GetValue(spurious) && r.GetValue(synchronous)) return SamplingCommands.Fail("hopfield", "--spurious and --synchronous are separate experiments; give one.");
                    if (!string.Equals(r.GetValue(rule), "hebbian", System.StringComparison.OrdinalIgnoreCase)) return SamplingCommands.Fail("hopfield", "--spurious and --synchronous study the Hebbian net; drop --rule " + r.GetValue(rule) + ".");
                    int size = r.GetValue(n), count = r.GetValue(patterns);
                    if (MemoryBudget.Refusal("--N " + size + " with --starts " + r.GetValue(starts), (double)size * size + 8.0 * System.Math.Max(r.GetValue(starts), 4096) * size, 8, 4) is string big)
                        return SamplingCommands.Fail("hopfield", big);
                    if (r.GetValue(spurious))
                    {
                        var sp = HopfieldSpurious.Run(size, count, r.GetValue(starts), run.Seed);
                        object Counts(HopfieldStateCounts? c) => c is null ? null! : new { stored = c.Stored, inverse = c.Inverse, mixture = c.Mixture, other = c.Other, total = c.Total };
                        return run.Finish(new
                        {
                            command = "hopfield", experiment = "spurious", rule = "hebbian", n = sp.N, patterns = sp.Patterns, starts = sp.Starts, converged = sp.Converged,
                            end_states = Counts(sp.EndStates), distinct_end_states = Counts(sp.DistinctEndStates), enumerated_fixed_points = Counts(sp.EnumeratedFixedPoints),
                            end_states_are_enumerated_fixed_points = sp.EnumeratedFixedPoints is null ? (bool?)null : sp.EndStatesAreEnumeratedFixedPoints,
                            pattern_fixed_point_fraction = sp.PatternFixedPointFraction,
                        }, false);
                    }
                    var cy = HopfieldSpurious.Cycle(size, count, seed: run.Seed);
                    return run.Finish(new
                    {
                        command = "hopfield", experiment = "synchronous", rule = "hebbian", n = cy.N, patterns = cy.Patterns, found = cy.Found, starts_tried = cy.StartsTried,
                        start = cy.Start, cycle = cy.Found ? new[] { cy.CycleA, cy.CycleB } : null, synchronous_steps = cy.SynchronousSteps,
                        asynchronous_converged = cy.AsynchronousConverged, asynchronous_end = cy.AsynchronousEnd, asynchronous_end_kind = cy.AsynchronousEndKind,
                    }, false);
                }
                // The N×N weights (and their gradient for the gradient rule), the patterns and the probes: a few N² and P·N float64 buffers.
                int units = r.GetValue(n), stored = r.GetValue(patterns);
                if (MemoryBudget.Refusal("--N " + units + " with --patterns " + stored, (double)units * units + 2.0 * stored * units, 8, 4) is string tooLarge)
                    return SamplingCommands.Fail("hopfield", tooLarge);
                HopfieldRecallRun result;
                try { result = HopfieldRecall.Run(r.GetValue(n), r.GetValue(patterns), r.GetValue(noise), run.Seed, r.GetValue(rule)!, r.GetValue(alpha)); }
                catch (System.ArgumentException e) { return SamplingCommands.Fail("hopfield", e.Message); }
                return run.Finish(new
                {
                    command = "hopfield", rule = result.Rule, n = result.N, patterns = result.Patterns, load = (double)result.Patterns / result.N, noise = result.Noise,
                    recall_rate = result.RecallRate, final_overlap = result.FinalOverlap, initial_overlap = result.InitialOverlap,
                    mean_sweeps = result.MeanSweeps, energy_never_increased = result.EnergyNeverIncreased, fixed_point_fraction = result.FixedPointFraction,
                    pseudo_log_likelihood_before = result.PseudoLogLikelihoodBefore, pseudo_log_likelihood = result.PseudoLogLikelihood,
                }, false);
            }, writesFiles: false));
            return command;
        }
    }
}
