using System.CommandLine;
using System.Linq;
using Dsl.Examples.Experiments;

namespace Dsl.Examples
{
    /// <summary>`dsl fokker-planck --sde NAME --data gaussian|gmm`: the Fokker–Planck and probability-flow continuity residuals of a generated SDE's marginals.</summary>
    internal static class FokkerPlanckCommand
    {
        public static Command Build(GalleryOptions o)
        {
            var sde = new Option<string>("--sde") { Description = "ve, vp, subvp, cosine, bm (Brownian motion), ou (Ornstein–Uhlenbeck), or the general linear SDEs rotating-ou (matrix drift, anisotropic diffusion) and diagonal-vp (a β schedule per coordinate).", DefaultValueFactory = _ => "vp" };
            var data = new Option<string>("--data") { Description = "gaussian (N(μ, 0.5²I), D = 2) or gmm (0.2·N((−5,−5), I) + 0.8·N((5,5), I)).", DefaultValueFactory = _ => "gaussian" };
            var times = new Option<int>("--times") { Description = "Times evenly spread over [0.05T, 0.95T].", DefaultValueFactory = _ => 12 }.AtLeast(1);
            var points = new Option<int>("--points") { Description = "Points drawn from pₜ at each time.", DefaultValueFactory = _ => 256 }.AtLeast(2);
            var command = new Command("fokker-planck",
                "∂ₜpₜ = −∇·(f pₜ) + ½g²Δpₜ and ∂ₜpₜ = −∇·(f̃ pₜ) for the probability-flow drift f̃ = f − ½g²∇log pₜ, where pₜ is the data convolved with the "
                + "generated kernel N(m(t)x₀, v(t)I): ∂ₜ by a 5-point difference of the generated log pₜ, the space terms from the generated score, its divergence, f, g and f̃. "
                + "Prints the largest (over the times) max and RMS residual relative to |∂ₜp|.");
            command.Options.Add(sde);
            command.Options.Add(data);
            command.Options.Add(times);
            command.Options.Add(points);
            command.SetAction(r => o.Run("fokker-planck", r, run =>
            {
                string s = r.GetValue(sde)!.ToLowerInvariant(), d = r.GetValue(data)!.ToLowerInvariant();
                if (!FokkerPlanckExperiment.SdeNames.Contains(s)) return SamplingCommands.Fail("fokker-planck", "unknown --sde '" + s + "'; valid: " + string.Join(", ", FokkerPlanckExperiment.SdeNames) + ".");
                if (!FokkerPlanckExperiment.DataNames.Contains(d)) return SamplingCommands.Fail("fokker-planck", "unknown --data '" + d + "'; valid: " + string.Join(", ", FokkerPlanckExperiment.DataNames) + ".");
                var result = FokkerPlanckExperiment.Run(s, d, r.GetValue(times), r.GetValue(points), run.Seed);
                return run.Finish(new
                {
                    command = "fokker-planck", sde = result.Sde, data = result.Data, dim = result.Dim, times = result.Times, points_per_time = result.PointsPerTime,
                    t_min = result.TimeMin, t_max = result.TimeMax, fd_step = result.FdStep,
                    max_relative_residual = result.MaxRelativeResidual, rms_relative_residual = result.RmsRelativeResidual,
                    continuity_max_relative_residual = result.ContinuityMaxRelativeResidual, continuity_rms_relative_residual = result.ContinuityRmsRelativeResidual,
                    max_abs_dt_p = result.MaxAbsDtP, seconds = result.Seconds,
                }, false);
            }, writesFiles: false));
            return command;
        }
    }
}
