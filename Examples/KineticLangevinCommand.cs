using System.CommandLine;
using System.Linq;
using Dsl.Examples.Experiments;

namespace Dsl.Examples
{
    /// <summary>`dsl kinetic-langevin`: underdamped Langevin dynamics written as an [Sde] with a Gaussian-mixture part, against the mixture.</summary>
    internal static class KineticLangevinCommand
    {
        public static Command Build(GalleryOptions o)
        {
            var chains = new Option<int>("--chains") { Description = "Independent chains (the standard errors shrink as 1/√chains).", DefaultValueFactory = _ => 4000 }.AtLeast(2);
            var time = new Option<double>("--time") { Description = "The simulated time T (burn-in), at most the SDE's end time 100.", DefaultValueFactory = _ => 50.0 }.PositiveFinite();
            var steps = new Option<int>("--steps") { Description = "Euler–Maruyama steps over [0, T] (step T/steps; the discretisation bias of the variances is about 1.6·step relative).", DefaultValueFactory = _ => 10000 }.AtLeast(20);
            var friction = new Option<double>("--friction") { Description = "The friction γ > 0.", DefaultValueFactory = _ => 1.0 }.PositiveFinite();
            var command = new Command("kinetic-langevin",
                "Underdamped Langevin dynamics dx = v dt, dv = −∇E(x) dt − γv dt + √(2γ) dw (an [Sde] over u = (x, v) whose drift is Grad of a Gaussian-mixture part): "
                + "the x-marginal at t = T against the mixture's mean, covariance and weights, in standard errors.");
            command.Options.Add(chains);
            command.Options.Add(time);
            command.Options.Add(steps);
            command.Options.Add(friction);
            command.SetAction(r => o.Run("kinetic-langevin", r, run =>
            {
                if (r.GetValue(time) > 100.0) return SamplingCommands.Fail("kinetic-langevin", "--time must be at most the SDE's end time 100, got " + r.GetValue(time) + ".");
                var result = KineticLangevinExperiment.Run(r.GetValue(chains), r.GetValue(steps), r.GetValue(time), r.GetValue(friction), run.Seed,
                    run.Progress<(int Done, int Total)>(p => "step " + p.Done + "/" + p.Total), run.Cancellation);
                return run.Finish(new
                {
                    command = "kinetic-langevin", sde = "KineticLangevin", target = "GaussianMixture (−1.5, 0), (1.5, 0), σ = 0.8, weights 0.3, 0.7",
                    chains = result.Chains, steps = result.Steps, end_time = result.EndTime, step_size = result.StepSize, friction = result.Friction,
                    checks = result.Checks.Select(c => new { name = c.Name, estimate = c.Estimate, exact = c.Exact, standard_error = c.StandardError, z = c.Z }).ToArray(),
                    max_abs_z = result.MaxAbsZ, seconds = result.Seconds,
                }, result.Cancelled);
            }, writesFiles: false));
            return command;
        }
    }
}
