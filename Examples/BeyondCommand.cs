using System.CommandLine;
using System.Linq;
using Dsl.Examples.Experiments;

namespace Dsl.Examples
{
    /// <summary>`dsl beyond --case …`: the conditioning and composition acceptance cases of docs/beyond-the-lectures.md, with their figures.</summary>
    internal static class BeyondCommand
    {
        public static Command Build(GalleryOptions o)
        {
            var which = new Option<string>("--case")
            {
                Description = "posterior (prior part + likelihood part vs the closed-form posterior), conditional-gaussian (E(x | y) vs its closed form), "
                    + "time-energy (E(x, t) trained by continuous-time DSM, sampled by the reverse SDE), classifier-guidance (an equation classifier's ∇ₓ log p(y | x, t) guiding sampling), "
                    + "covariance-gaussian (E = ½ dᵀ Solve(Σ, d) and log Z = ½D log 2π + ½ LogDet(Σ) vs closed forms and a quadrature of exp(−E)).",
                DefaultValueFactory = _ => "posterior",
            };
            var command = new Command("beyond", "The acceptance cases of docs/beyond-the-lectures.md for conditioning inputs and composition: closed-form errors, or moments and rates with standard errors.");
            command.Options.Add(which);
            command.SetAction(r => o.Run("beyond", r, run =>
            {
                string c = r.GetValue(which)!.ToLowerInvariant();
                if (!BeyondExperiments.Cases.Contains(c)) return SamplingCommands.Fail("beyond", "unknown --case '" + c + "'; valid: " + string.Join(", ", BeyondExperiments.Cases) + ".");
                switch (c)
                {
                    case "posterior":
                    case "conditional-gaussian":
                        {
                            var e = c == "posterior" ? BeyondExperiments.Posterior(run.Seed) : BeyondExperiments.ConditionalGaussianCheck(run.Seed);
                            return run.Finish(new
                            {
                                command = "beyond", @case = c, model = c == "posterior" ? "GaussianPosterior" : "ConditionalGaussian", models = e.Models,
                                max_score_error = e.MaxScoreError, max_divergence_error = e.MaxDivergenceError, max_log_prob_error = c == "posterior" ? (double?)null : e.MaxLogProbError,
                            }, false);
                        }
                    case "time-energy":
                        {
                            var e = BeyondExperiments.TimeEnergy(run.Seed);
                            return run.Finish(new
                            {
                                command = "beyond", @case = c, model = "TimeMlpEnergy", train_seconds = e.TrainSeconds, seconds = e.Seconds,
                                moments = e.Moments.Select(m => new { name = m.Name, estimate = m.Estimate, exact = m.Exact, standard_error = m.StandardError, z = m.Z }).ToArray(),
                                max_abs_z = e.Moments.Max(m => System.Math.Abs(m.Z)),
                            }, false);
                        }
                    case "covariance-gaussian":
                        {
                            var e = BeyondExperiments.CovarianceGaussianCheck(run.Seed);
                            return run.Finish(new
                            {
                                command = "beyond", @case = c, model = "CovarianceGaussian", models = e.Models,
                                max_score_error = e.MaxScoreError, max_divergence_error = e.MaxDivergenceError,
                                max_log_z_error = e.MaxLogZError, max_precision_log_z_error = e.MaxPrecisionLogZError,
                                log_z = e.LogZ, quadrature_log_z = e.QuadratureLogZ,
                            }, false);
                        }
                    default:
                        {
                            var e = BeyondExperiments.ClassifierGuidance(run.Seed);
                            return run.Finish(new
                            {
                                command = "beyond", @case = c, model = "EquationClassifier", generated_vs_autograd_guidance = e.GuidanceDifference,
                                unguided_target_rate = e.UnguidedRate, guided_target_rate = e.GuidedRate, samples = e.Samples, seconds = e.Seconds,
                            }, false);
                        }
                }
            }, writesFiles: false));
            return command;
        }
    }
}
