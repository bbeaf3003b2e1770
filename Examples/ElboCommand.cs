using System;
using System.CommandLine;
using System.IO;
using System.Linq;
using System.Text.Json;
using Dsl.Examples.Experiments;
using Dsl.Training;

namespace Dsl.Examples
{
    /// <summary>`dsl elbo`: the continuous-time likelihood bound of a score on the VP, VE or sub-VP SDE, beside the probability-flow NLL.</summary>
    internal static class ElboCommand
    {
        public static Command Build(GalleryOptions o)
        {
            var sde = new Option<string>("--sde") { Description = "vp, ve or subvp (exact and perturbed scores; a checkpoint uses the SDE it was trained on).", DefaultValueFactory = _ => "vp" };
            var data = new Option<string>("--data") { Description = "gaussian (N(μ, 0.5²I), D = 2) or gmm (0.2·N((−5,−5), I) + 0.8·N((5,5), I)); a checkpoint uses its own data.", DefaultValueFactory = _ => "gaussian" };
            var score = new Option<string>("--score") { Description = "exact (the data's time-marginal score), perturbed (exact + c, c = (0.3, −0.2)) or the path of a `dsl score-sde` checkpoint.", DefaultValueFactory = _ => "exact" };
            var samples = new Option<int>("--samples") { Description = "Data points, one (t, z) draw each (the standard error shrinks as 1/√samples).", DefaultValueFactory = _ => 4000 }.AtLeast(2);
            var draws = new Option<int>("--draws") { Description = "Monte-Carlo (t, z) draws per data point.", DefaultValueFactory = _ => 1 }.InRange(1, 10_000);
            var odePoints = new Option<int>("--ode-points") { Description = "Data points whose probability-flow NLL is computed (RK45).", DefaultValueFactory = _ => 200 }.AtLeast(1);
            var command = new Command("elbo",
                "The continuous-time likelihood bound (Song, Durkan, Murray & Ermon 2021, Thm. 1, denoising form, truncated at ε = 1e-5, t importance-sampled ∝ g²/σₜ²) "
                + "with its standard error, beside the probability-flow NLL; for the exact or perturbed score also its prediction "
                + "E[−log p_ε(x_ε)] + E[log p_T(x_T)/π(x_T)] (+ ½‖c‖²∫g² dt when perturbed) and the z-score of the difference. Nats and bits per dimension.");
            foreach (var opt in new Option[] { sde, data, score, samples, draws, odePoints }) command.Options.Add(opt);
            var shards = new ShardOptions(samples: false);
            shards.AddTo(command);
            command.SetAction(r => o.Run("elbo", r, run =>
            {
                string s = r.GetValue(sde)!.ToLowerInvariant(), d = r.GetValue(data)!.ToLowerInvariant(), sc = r.GetValue(score)!;
                if (!ElboExperiment.SdeNames.Contains(s)) return SamplingCommands.Fail("elbo", "unknown --sde '" + s + "'; valid: " + string.Join(", ", ElboExperiment.SdeNames) + ".");
                if (!ElboExperiment.DataNames.Contains(d)) return SamplingCommands.Fail("elbo", "unknown --data '" + d + "'; valid: " + string.Join(", ", ElboExperiment.DataNames) + ".");
                bool known = sc == "exact" || sc == "perturbed";
                if (!known && !File.Exists(sc)) return SamplingCommands.Fail("elbo", "--score must be exact, perturbed or the path of a `dsl score-sde` checkpoint; '" + sc + "' is none of these.");
                if (Shard.TryParse(r.GetValue(shards.ShardOption), out var shard) is string badShard) return SamplingCommands.Fail("elbo", badShard);
                int count = r.GetValue(samples), ode = r.GetValue(odePoints), k = r.GetValue(draws);
                try
                {
                    ElboConfig config;
                    int total;
                    if (known)
                    {
                        var sdeObject = ElboExperiment.Sde(s);
                        double? gap = sc == "perturbed" ? 0.5 * ElboExperiment.Perturbation.Sum(c => c * c) * ElboExperiment.IntegratedSquaredDiffusion(sdeObject, ElboExperiment.Epsilon, sdeObject.EndTime) : null;
                        config = new ElboConfig(s, d, sc, count, k, ode, 2, ElboExperiment.Epsilon, gap, false, false);
                        total = count;
                    }
                    else
                    {
                        var (stored, _, _) = ScoreSdeExperiments.Load(sc, run.Seed);
                        config = new ElboConfig(stored.Sde, stored.Data, Path.GetFullPath(sc), count, k, ode, stored.Dim, ScoreSdeExperiments.TrainEpsilon, null, true, stored.IsDigits);
                        total = ElboExperiment.CheckpointRowCount(sc, count, run.Seed);
                    }
                    // The data rows are one draw seeded by --seed (row i is the same point in every block); a block's seed drives its (t, z) draws.
                    return ShardedRun.Execute(run, ElboCommandRows.Instance, config, new RowBlocks(total, r.GetValue(shards.Block)), shard, false, (block, start, rows, seed) =>
                    {
                        using var result = known
                            ? ElboExperiment.KnownRows(s, d, sc == "perturbed", count, run.Seed, start, rows, seed, ode, k)
                            : ElboExperiment.CheckpointRows(sc, count, run.Seed, start, rows, seed, ode, k);
                        var output = new BlockOutput();
                        output.Rows["terms"] = result.Rows.clone();
                        if (result.OdeNll is not null) output.Rows["ode_nll"] = result.OdeNll.clone();
                        output.Counters["ode_nfe"] = result.OdeNfe;
                        output.Counters["decoder_term"] = result.Info.DecoderTerm;
                        output.Counters["importance_normalizer"] = result.Info.ImportanceNormalizer;
                        output.Counters["seconds"] = result.Seconds;
                        return output;
                    });
                }
                catch (Exception e) when (e is CheckpointException || e is ArgumentException || e is ArithmeticException || e is Dsl.Data.DataFileException) { return SamplingCommands.Fail("elbo", e.Message); }
            }));
            return command;
        }
    }

    /// <summary>The configuration of a `dsl elbo` run: the score (exact, perturbed or a checkpoint's full path) and what its figures need.</summary>
    internal sealed record ElboConfig(string Sde, string Data, string Score, int Samples, int Draws, int OdePoints, int Dim, double Epsilon, double? Gap, bool Checkpoint, bool Digits);

    /// <summary>`dsl elbo` as blocks of data rows (each block its own control variate and (t, z) draws): the figures from every row's terms.</summary>
    internal sealed class ElboCommandRows : ShardableCommand
    {
        public static readonly ElboCommandRows Instance = new();

        public override string Name => "elbo";

        public override object Summarise(JsonElement configJson, RunRows rows, GalleryRun run, long seed, bool saveSamples)
        {
            var c = configJson.Deserialize<ElboConfig>()!;
            var info = new ElboExperiment.ElboInfo(c.Sde, c.Data, c.Score, c.Dim, c.Epsilon, rows.Counters["decoder_term"][0], rows.Counters["importance_normalizer"][0], c.Gap, c.Checkpoint, c.Digits);
            var result = ElboExperiment.Summarise(rows.Array("terms")!, rows.Array("ode_nll"), rows.Counters["ode_nfe"].Select(v => (int)v).ToArray(), rows.Sum("seconds"), info);
            return new
            {
                command = "elbo", sde = result.Sde, data = result.Data, score = result.Score, samples = result.Samples, dim = result.Dim, epsilon = result.Epsilon,
                bound_nats_per_dim = result.BoundNatsPerDim, standard_error = result.StandardError, bound_bits_per_dim = result.BoundBitsPerDim,
                exact_nll_nats_per_dim = result.ExactNllNatsPerDim, prior_mismatch_nats_per_dim = result.PriorMismatchNatsPerDim, gap_predicted = result.GapPredicted,
                predicted_bound_nats_per_dim = result.PredictedNatsPerDim, difference_standard_error = result.DifferenceStandardError, z = result.Z,
                ode_nll_nats_per_dim = result.OdeNllNatsPerDim, ode_bits_per_dim = result.OdeBitsPerDim, ode_points = result.OdePoints, ode_nfe = result.OdeNfe,
                decoder_term_nats_per_dim = result.DecoderTermNatsPerDim, importance_normalizer = result.ImportanceNormalizer,
                note = "bound_nats_per_dim bounds E_{x_ε|x₀}[−log p_θ,ε(x_ε)]/D (the reverse-SDE model's density at time ε); exact_nll is the mean of −log p_ε(x_ε), "
                    + "prior_mismatch of log p_T(x_T) − log π(x_T) (x_ε, x_T drawn from each x₀'s kernel); gap_predicted = ½‖c‖²∫_ε^T g² dt / D; "
                    + "the ODE NLL is −log p_ε of the first ode_points data points under the probability flow (solved per block); bits = nats/ln 2"
                    + (result.Data == "digits" ? " + 3 (17 grey levels)" : " (continuous data, no discretisation offset)"),
                blocks = rows.Counters["seconds"].Length, seconds = result.Seconds,
            };
        }
    }
}
