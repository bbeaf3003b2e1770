using System.CommandLine;
using Dsl.Examples.Experiments;
using Dsl.Sampling;

namespace Dsl.Examples
{
    /// <summary>`dsl ais`: annealed importance sampling for the log-partition function of a continuous energy model.</summary>
    internal static class AisCommand
    {
        public static Command Build(GalleryOptions o)
        {
            var model = new Option<string>("--model") { Description = "gmm: a two-component Gaussian mixture in 2D with known log Z.", DefaultValueFactory = _ => "gmm" };
            var chains = new Option<int>("--chains") { Description = "Independent annealing runs (importance weights).", DefaultValueFactory = _ => 1000 }.AtLeast(2);
            var temperatures = new Option<int>("--temperatures") { Description = "K: intermediate distributions β_k = k/K on the geometric path.", DefaultValueFactory = _ => 200 }.AtLeast(1);
            var steps = new Option<int>("--steps") { Description = "MCMC transitions per temperature.", DefaultValueFactory = _ => 2 }.AtLeast(1);
            var transition = new Option<string>("--transition") { Description = "mala (Metropolis-adjusted Langevin) or mh (random-walk Metropolis–Hastings).", DefaultValueFactory = _ => "mala" };
            var step = new Option<double>("--step") { Description = "MALA's ε or MH's proposal scale (fixed during the run).", DefaultValueFactory = _ => 0.1 }.PositiveFinite();
            var command = new Command("ais",
                "Annealed importance sampling (Neal 2001) for a continuous energy: geometric path from N(0, 3²I) to e^{−E}, MALA or MH transitions, "
                + "log Z with its delta-method standard error against the exact log Z.");
            foreach (var opt in new Option[] { model, chains, temperatures, steps, transition, step }) command.Options.Add(opt);
            command.SetAction(r => o.Run("ais", r, run =>
            {
                var m = r.GetValue(model)!;
                if (m != "gmm") return SamplingCommands.Fail("ais", "unknown --model '" + m + "'; valid: gmm.");
                var t = r.GetValue(transition)!;
                if (t != "mala" && t != "mh") return SamplingCommands.Fail("ais", "unknown --transition '" + t + "'; valid: mala, mh.");
                var result = ContinuousAisExperiment.Run(r.GetValue(chains), r.GetValue(temperatures), r.GetValue(steps), r.GetValue(step),
                    t == "mala" ? AisTransition.Mala : AisTransition.MetropolisHastings, run.Seed,
                    run.Progress<SamplerProgress>(p => "temperature " + p.Step + "/" + p.TotalSteps), run.Cancellation);
                return run.Finish(new
                {
                    command = "ais", model = result.Model, transition = result.Transition, chains = result.Chains, temperatures = result.Temperatures,
                    step_size = result.StepSize, log_z = result.LogZ, standard_error = result.StandardError, exact_log_z = result.ExactLogZ,
                    exact_log_z_from_log_prob = result.ExactLogZFromLogProb, z_score = (result.LogZ - result.ExactLogZ) / result.StandardError,
                    effective_sample_size = result.EffectiveSampleSize, acceptance_rate = result.AcceptanceRate, seconds = result.Seconds,
                }, result.Cancelled);
            }, writesFiles: false));
            return command;
        }
    }
}
