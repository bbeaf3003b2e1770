using System.CommandLine;
using System.Linq;
using Dsl.Examples.Experiments;

namespace Dsl.Examples
{
    /// <summary>`dsl linear-sde --example rotating-ou|diagonal-vp|matrix-vp`: the generated kernel of a general linear SDE against its closed form.</summary>
    internal static class LinearSdeCommand
    {
        public static Command Build(GalleryOptions o)
        {
            var example = new Option<string>("--example") { Description = "rotating-ou (2-D OU, rotation + damping, anisotropic diffusion) diagonal-vp (VP SDE with a β schedule per coordinate) or matrix-vp (VP SDE with a drift matrix, −½β(t)A x: the time-changed matrix exponential).", DefaultValueFactory = _ => "rotating-ou" };
            var command = new Command("linear-sde", "The generated Gaussian kernel N(Φ(t)x₀, Σ(t)) of a general linear SDE against its closed form: the largest errors of Φ and Σ over 50 times in (0, T].");
            command.Options.Add(example);
            var sample = new Option<bool>("--sample") { Description = "Also sample Gaussian data back with the exact score (reverse SDE and probability flow, 20 000 samples) and compare the probability-flow likelihood with the analytic density (rotating-ou, diagonal-vp)." };
            command.Options.Add(sample);
            command.SetAction(r => o.Run("linear-sde", r, run =>
            {
                string e = r.GetValue(example)!.ToLowerInvariant();
                if (!LinearSdeExperiments.Examples.Contains(e)) return SamplingCommands.Fail("linear-sde", "unknown --example '" + e + "'; valid: " + string.Join(", ", LinearSdeExperiments.Examples) + ".");
                if (r.GetValue(sample) && e == "matrix-vp") return SamplingCommands.Fail("linear-sde", "--sample runs rotating-ou or diagonal-vp.");
                var result = LinearSdeExperiments.Run(e);
                var sampling = r.GetValue(sample) ? LinearSdeExperiments.Sampling(e) : null;
                return run.Finish(new
                {
                    command = "linear-sde", example = result.Example, sde = result.Sde, kernel = result.KernelForm, diffusion = result.DiffusionForm,
                    t_min = result.Times[0], t_max = result.Times[1], max_transition_error = result.MaxTransitionError, max_covariance_error = result.MaxCovarianceError,
                    samples = sampling?.Samples, reverse_max_abs_z = sampling?.ReverseMaxAbsZ, flow_max_abs_z = sampling?.FlowMaxAbsZ, likelihood_max_error = sampling?.LikelihoodMaxError,
                }, false);
            }, writesFiles: false));
            return command;
        }
    }
}
