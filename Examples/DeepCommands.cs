using System.CommandLine;
using System.Linq;
using Dsl.Examples.Experiments;

namespace Dsl.Examples
{
    /// <summary>`dsl dbn` and `dsl dbm`: a deep belief net and a two-layer deep Boltzmann machine on the binarised digits.</summary>
    internal static class DeepCommands
    {
        public static Command BuildDbn(GalleryOptions o)
        {
            var hidden = new Option<string>("--hidden") { Description = "Hidden layer sizes, bottom first, comma-separated (the bound is reported for two layers with the first ≤ 20).", DefaultValueFactory = _ => "12,64" };
            var steps = new Option<int>("--steps") { Description = "CD-1 steps per layer (batches of 100).", DefaultValueFactory = _ => 300 }.AtLeast(1);
            var data = BinaryData();
            var command = new Command("dbn", "Greedy layer-wise RBM stacking on the digits (or a binary data file): per-layer training, the variational bound vs the first RBM, ancestral samples PNG.");
            foreach (var opt in new Option[] { hidden, steps, data }) command.Options.Add(opt);
            command.SetAction(r => o.Run("dbn", r, run =>
            {
                var parts = r.GetValue(hidden)!.Split(',', System.StringSplitOptions.RemoveEmptyEntries | System.StringSplitOptions.TrimEntries);
                var sizes = new int[parts.Length];
                for (int i = 0; i < parts.Length; i++)
                    if (!int.TryParse(parts[i], out sizes[i]) || sizes[i] < 1 || sizes[i] > 1024)
                        return SamplingCommands.Fail("dbn", "--hidden must list layer sizes in 1…1024 separated by commas, got '" + r.GetValue(hidden) + "'.");
                if (sizes.Length == 0) return SamplingCommands.Fail("dbn", "--hidden must list at least one layer size.");
                var (dataSet, bits, dataProblem) = RbmCommand.OpenBinary(r.GetValue(data)!, run.Seed, 100);
                if (dataSet is null) return SamplingCommands.Fail("dbn", dataProblem!);
                using var _ = dataSet;
                using var __ = bits;
                var result = DeepDigits.Dbn(bits!, sizes, r.GetValue(steps), run.Seed,
                    run.Progress<(int Layer, Dsl.Training.TrainingProgress Progress)>(p => $"layer {p.Layer + 1}/{sizes.Length}, step {p.Progress.Step}/{p.Progress.TotalSteps}, CD loss {p.Progress.Loss:F3}"), run.Cancellation);
                var (ih, iw) = dataSet.ImageShape;
                var samples = Plots.ImageGrid(run.Output(dataSet.IsDigits ? "dbn-samples.png" : $"dbn-{dataSet.Slug}-samples.png"), $"DBN ({string.Join("-", sizes)}): ancestral samples, p(v | h1)",
                    result.Samples, ih, iw, dataSet.ImageSide is null ? 1 : 8);
                return run.Finish(new
                {
                    command = "dbn", data = dataSet.DisplayName, data_set = dataSet.Json(dataSet.ImageSide is null ? "image grid, one row of V pixels per point" : "image grid"), binary_values = dataSet.BinaryValues, visible = dataSet.Dim, hidden = sizes,
                    layers = result.Layers.Select(l => new { layer = l.Layer, visible = l.Visible, hidden = l.Hidden, steps = l.Steps, final_cd_loss = l.FinalLoss, seconds = l.Seconds }).ToArray(),
                    rbm_exact_log_likelihood = result.RbmExactLogLikelihood, variational_bound = result.VariationalBound, exact_log_likelihood = result.ExactLogLikelihood,
                    seconds = result.Seconds, samples_png = samples,
                }, result.Cancelled);
            }));
            GalleryWeights.AddTo(command);
            return command;
        }

        private static Option<string> BinaryData() => new("--data")
        {
            Description = "digits (the UCI 8×8 digits, binarised at 8/16) or a .csv/.npy/.npz file of binary points [N, V] (0/1 or ±1; V from the file, N ≥ 100).", DefaultValueFactory = _ => "digits",
        };

        public static Command BuildDbm(GalleryOptions o)
        {
            var hidden1 = new Option<int>("--hidden1") { Description = "Units in h1 (exact log-likelihood when ≤ 20).", DefaultValueFactory = _ => 12 }.InRange(1, 1024);
            var hidden2 = new Option<int>("--hidden2") { Description = "Units in h2 (exact log-likelihood when ≤ 16).", DefaultValueFactory = _ => 6 }.InRange(1, 1024);
            var steps = new Option<int>("--steps") { Description = "Learning steps (batches of 100, 100 persistent chains).", DefaultValueFactory = _ => 400 }.AtLeast(1);
            var data = BinaryData();
            var command = new Command("dbm", "A two-layer deep Boltzmann machine on the digits (or a binary data file): mean-field data statistics minus persistent-chain model statistics; exact log-likelihood and mean-field bound, samples PNG.");
            foreach (var opt in new Option[] { hidden1, hidden2, steps, data }) command.Options.Add(opt);
            command.SetAction(r => o.Run("dbm", r, run =>
            {
                int h1 = r.GetValue(hidden1), h2 = r.GetValue(hidden2), s = r.GetValue(steps);
                var (dataSet, bits, dataProblem) = RbmCommand.OpenBinary(r.GetValue(data)!, run.Seed, DeepDigits.DbmBatch);
                if (dataSet is null) return SamplingCommands.Fail("dbm", dataProblem!);
                using var _ = dataSet;
                using var __ = bits;
                var result = DeepDigits.Dbm(bits!, h1, h2, s, run.Seed, run.Progress<Dsl.Training.TrainingProgress>(p => $"step {p.Step}/{p.TotalSteps}, loss {p.Loss:F3}"), run.Cancellation);
                var (ih, iw) = dataSet.ImageShape;
                var samples = Plots.ImageGrid(run.Output(dataSet.IsDigits ? "dbm-samples.png" : $"dbm-{dataSet.Slug}-samples.png"), $"DBM ({h1}-{h2}): p(v | h1) after 300 Gibbs sweeps",
                    result.Samples, ih, iw, dataSet.ImageSide is null ? 1 : 8);
                return run.Finish(new
                {
                    command = "dbm", data = dataSet.DisplayName, data_set = dataSet.Json(dataSet.ImageSide is null ? "image grid, one row of V pixels per point" : "image grid"), binary_values = dataSet.BinaryValues, visible = dataSet.Dim, hidden1 = h1, hidden2 = h2, steps = result.Steps,
                    exact_log_likelihood_before = result.ExactLogLikelihoodBefore, exact_log_likelihood = result.ExactLogLikelihood,
                    mean_field_bound_before = result.MeanFieldBoundBefore, mean_field_bound = result.MeanFieldBound, mean_field_iterations = result.MeanFieldIterations,
                    seconds = result.Seconds, samples_png = samples,
                }, result.Cancelled);
            }));
            GalleryWeights.AddTo(command);
            return command;
        }
    }
}
