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
            command.SetAction(r => o.Run("linear-sde", r, run =>
            {
                string e = r.GetValue(example)!.ToLowerInvariant();
                if (!LinearSdeExperiments.Examples.Contains(e)) return SamplingCommands.Fail("linear-sde", "unknown --example '" + e + "'; valid: " + string.Join(", ", LinearSdeExperiments.Examples) + ".");
                var result = LinearSdeExperiments.Run(e);
                return run.Finish(new
                {
                    command = "linear-sde", example = result.Example, sde = result.Sde, kernel = result.KernelForm, diffusion = result.DiffusionForm,
                    t_min = result.Times[0], t_max = result.Times[1], max_transition_error = result.MaxTransitionError, max_covariance_error = result.MaxCovarianceError,
                }, false);
            }, writesFiles: false));
            return command;
        }
    }
}
