using System;
using System.CommandLine;
using System.IO;
using System.Linq;
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
            command.SetAction(r => o.Run("elbo", r, run =>
            {
                string s = r.GetValue(sde)!.ToLowerInvariant(), d = r.GetValue(data)!.ToLowerInvariant(), sc = r.GetValue(score)!;
                if (!ElboExperiment.SdeNames.Contains(s)) return SamplingCommands.Fail("elbo", "unknown --sde '" + s + "'; valid: " + string.Join(", ", ElboExperiment.SdeNames) + ".");
                if (!ElboExperiment.DataNames.Contains(d)) return SamplingCommands.Fail("elbo", "unknown --data '" + d + "'; valid: " + string.Join(", ", ElboExperiment.DataNames) + ".");
                bool known = sc == "exact" || sc == "perturbed";
                if (!known && !File.Exists(sc)) return SamplingCommands.Fail("elbo", "--score must be exact, perturbed or the path of a `dsl score-sde` checkpoint; '" + sc + "' is none of these.");
                ElboExperiment.Result result;
                try
                {
                    result = known ? ElboExperiment.RunKnown(s, d, sc == "perturbed", r.GetValue(samples), run.Seed, r.GetValue(odePoints), r.GetValue(draws))
                        : ElboExperiment.RunCheckpoint(sc, r.GetValue(samples), run.Seed, r.GetValue(odePoints), r.GetValue(draws));
                }
                catch (Exception e) when (e is CheckpointException || e is ArgumentException || e is ArithmeticException || e is Dsl.Data.DataFileException) { return SamplingCommands.Fail("elbo", e.Message); }
                return run.Finish(new
                {
                    command = "elbo", sde = result.Sde, data = result.Data, score = result.Score, samples = result.Samples, dim = result.Dim, epsilon = result.Epsilon,
                    bound_nats_per_dim = result.BoundNatsPerDim, standard_error = result.StandardError, bound_bits_per_dim = result.BoundBitsPerDim,
                    exact_nll_nats_per_dim = result.ExactNllNatsPerDim, prior_mismatch_nats_per_dim = result.PriorMismatchNatsPerDim, gap_predicted = result.GapPredicted,
                    predicted_bound_nats_per_dim = result.PredictedNatsPerDim, difference_standard_error = result.DifferenceStandardError, z = result.Z,
                    ode_nll_nats_per_dim = result.OdeNllNatsPerDim, ode_bits_per_dim = result.OdeBitsPerDim, ode_points = result.OdePoints, ode_nfe = result.OdeNfe,
                    decoder_term_nats_per_dim = result.DecoderTermNatsPerDim, importance_normalizer = result.ImportanceNormalizer,
                    note = "bound_nats_per_dim bounds E_{x_ε|x₀}[−log p_θ,ε(x_ε)]/D (the reverse-SDE model's density at time ε); exact_nll is the mean of −log p_ε(x_ε), "
                        + "prior_mismatch of log p_T(x_T) − log π(x_T) (x_ε, x_T drawn from each x₀'s kernel); gap_predicted = ½‖c‖²∫_ε^T g² dt / D; "
                        + "the ODE NLL is −log p_ε of the first ode_points data points under the probability flow; bits = nats/ln 2"
                        + (result.Data == "digits" ? " + 3 (17 grey levels)" : " (continuous data, no discretisation offset)"),
                    seconds = result.Seconds,
                }, false);
            }, writesFiles: false));
            return command;
        }
    }
}
