using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.Linq;
using Dsl.Examples.Experiments;
using Dsl.Models;
using Dsl.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Examples
{
    /// <summary>`dsl langevin`, `dsl annealed-langevin`, `dsl mh`, `dsl mala`: samplers on the gallery's models, with PNGs and JSON figures.</summary>
    internal static class SamplingCommands
    {
        private static readonly Dictionary<string, string> Aliases = new(StringComparer.OrdinalIgnoreCase)
        {
            ["gmm"] = "GaussianMixture", ["poe"] = "ProductOfStudentT", ["gaussian"] = "FullCovarianceGaussian", ["mlp"] = "MlpEnergy",
        };

        public static IEnumerable<Command> Build(GalleryOptions o)
        {
            var model = new Option<string>("--model") { Description = "gmm (Song & Ermon's Figure-3 mixture) or a model of `dsl models`.", DefaultValueFactory = _ => "gmm" };
            var chains = new Option<int>("--chains") { Description = "Number of independent chains.", DefaultValueFactory = _ => 2000 }.AtLeast(2);

            var langevin = new Command("langevin", "Unadjusted Langevin dynamics with the generated score. With --model gmm: Figure 3 of Song & Ermon (2019), plain Langevin mis-weights the modes.");
            langevin.Options.Add(model);
            langevin.Options.Add(chains);
            var langevinStep = new Option<double>("--step") { Description = "ε for catalog models (gmm uses Song & Ermon's 0.1).", DefaultValueFactory = _ => 0.01 }.PositiveFinite();
            var steps = new Option<int>("--steps") { Description = "Steps after burn-in (catalog models).", DefaultValueFactory = _ => 2000 }.AtLeast(8, " (the ESS needs a trajectory)");
            var burnIn = new Option<int>("--burn-in") { Description = "Burn-in steps (catalog models).", DefaultValueFactory = _ => 500 }.AtLeast(0);
            langevin.Options.Add(langevinStep);
            langevin.Options.Add(steps);
            langevin.Options.Add(burnIn);
            langevin.SetAction(r => o.Run("langevin", r, run =>
            {
                var name = r.GetValue(model)!;
                if (string.Equals(name, "gmm", StringComparison.OrdinalIgnoreCase))
                    return Figure3(run, annealed: false, r.GetValue(chains));
                return Chain(run, "langevin", name, r.GetValue(chains), r.GetValue(langevinStep), r.GetValue(steps), r.GetValue(burnIn), adapt: false);
            }));

            var annealed = new Command("annealed-langevin", "Annealed Langevin dynamics (Song & Ermon 2019, Algorithm 1) on the exactly perturbed Figure-3 mixture: recovers the 0.2 weight of the minor mode.");
            var annealedModel = new Option<string>("--model") { Description = "gmm (the only noise-conditional gallery model with a known answer).", DefaultValueFactory = _ => "gmm" };
            annealed.Options.Add(annealedModel);
            annealed.Options.Add(chains);
            annealed.SetAction(r => o.Run("annealed-langevin", r, run =>
            {
                var name = r.GetValue(annealedModel)!;
                if (!string.Equals(name, "gmm", StringComparison.OrdinalIgnoreCase))
                    return Fail("annealed-langevin", "unknown model '" + name + "'; valid: gmm.");
                return Figure3(run, annealed: true, r.GetValue(chains));
            }));

            Command Mcmc(string name, string description, double defaultStep, bool isMala)
            {
                var command = new Command(name, description);
                var m = new Option<string>("--model") { Description = "A model of `dsl models` (or gmm, poe, gaussian, mlp).", DefaultValueFactory = _ => "gaussian" };
                var step = new Option<double>("--step") { Description = isMala ? "Initial ε (adapted during burn-in unless --fixed-step)." : "Initial proposal scale h (adapted during burn-in unless --fixed-step).", DefaultValueFactory = _ => defaultStep }.PositiveFinite();
                var n = new Option<int>("--chains") { Description = "Number of independent chains.", DefaultValueFactory = _ => 1000 }.AtLeast(2);
                var s = new Option<int>("--steps") { Description = "Steps after burn-in.", DefaultValueFactory = _ => 2000 }.AtLeast(8, " (the ESS needs a trajectory)");
                var b = new Option<int>("--burn-in") { Description = "Burn-in steps (step-size adaptation happens here only).", DefaultValueFactory = _ => 500 }.AtLeast(0);
                var fixedStep = new Option<bool>("--fixed-step") { Description = "Do not adapt the step size during burn-in." };
                foreach (var opt in new Option[] { m, step, n, s, b, fixedStep }) command.Options.Add(opt);
                command.SetAction(r => o.Run(name, r, run => Chain(run, name, r.GetValue(m)!, r.GetValue(n), r.GetValue(step), r.GetValue(s), r.GetValue(b), !r.GetValue(fixedStep))));
                return command;
            }

            return new[]
            {
                langevin, annealed,
                Mcmc("mh", "Random-walk Metropolis–Hastings on a model's energy: acceptance rate, ESS, moments, scatter PNG.", 0.5, false),
                Mcmc("mala", "Metropolis-adjusted Langevin on a model's generated energy and score: acceptance rate, ESS, moments, scatter PNG.", 0.1, true),
            };
        }

        private static int Figure3(GalleryRun run, bool annealed, int chains)
        {
            if (chains < 10) return Fail(run.Command, "--chains must be at least 10 for the mode weights, got " + chains + ".");
            // The chains, Song & Ermon's noise and score buffers, the start kept for the plot: about eight [chains, 2] float64 tensors.
            if (MemoryBudget.Refusal("--chains " + chains, chains * 2.0, 8, 8) is string tooLarge) return Fail(run.Command, tooLarge);
            var r = ModeWeighting.Run(annealed, run.Seed, chains, run.Device, run.Progress<SamplerProgress>(p => $"step {p.Step}/{p.TotalSteps}"), run.Cancellation);
            string tag = annealed ? "annealed-langevin" : "langevin";
            var scatter = Plots.Scatter(run.Output(tag + "-gmm.png"), (annealed ? "Annealed" : "Plain") + $" Langevin: minor-mode weight {r.MinorModeWeight:F3} (truth 0.2)",
                new[] { ("start (uniform)", r.StartXs, r.StartYs), ("samples", r.Xs, r.Ys) }, -10, 10, -10, 10);
            var projection = r.Xs.Zip(r.Ys, (x, y) => (x + y) / System.Math.Sqrt(2)).ToArray();
            var histogram = Plots.Histogram(run.Output(tag + "-gmm-hist.png"), "Samples projected on the diagonal (x₁ + x₂)/√2", new[] { ("samples", projection) });
            return run.Finish(new
            {
                command = tag, model = "gmm", chains = r.Chains,
                minor_mode_weight = r.MinorModeWeight, minor_mode_weight_truth = ModeWeighting.MinorWeight, standard_error = r.StandardError,
                steps = r.Steps, seconds = r.Seconds, scatter_png = scatter, histogram_png = histogram,
            }, r.Cancelled);
        }

        private static int Chain(GalleryRun run, string sampler, string modelName, int chains, double step, int steps, int burnIn, bool adapt)
        {
            var entry = ModelCatalog.Find(Aliases.TryGetValue(modelName, out var full) ? full : modelName);
            if (entry == null)
                return Fail(sampler, "unknown model '" + modelName + "'; valid names: " + string.Join(", ", ModelCatalog.All.Select(e => e.Name)) + " (aliases: " + string.Join(", ", Aliases.Keys) + ").");
            using var scope = NewDisposeScope();
            var model = entry.Create(run.Seed);
            // The state, proposal, noise, score and energy buffers (about ten [chains, D] float64 tensors) and the thinned trajectory
            // (Thin = steps / 500, so steps / Thin < 1000 recorded states).
            int recorded = steps / System.Math.Max(1, steps / 500);
            if (MemoryBudget.Refusal("--chains " + chains + " with D = " + model.Dim, (double)chains * model.Dim, 8, 10 + recorded) is string tooLarge)
                return Fail(sampler, tooLarge);
            model.to(ScalarType.Float64).to(run.Device);
            var x0 = empty(chains, model.Dim, dtype: ScalarType.Float64).normal_(0, 1, generator: new Generator((ulong)run.Seed + 1)).to(run.Device);
            x0 = ModelSupport.MapInto(model, x0);                      // standard-normal starts, mapped into the model's declared support
            var options = new SamplerOptions
            {
                Steps = steps, BurnIn = burnIn, Thin = System.Math.Max(1, steps / 500), Seed = run.Seed + 2, Cancellation = run.Cancellation,
                Progress = run.Progress<SamplerProgress>(p => $"step {p.Step}/{p.TotalSteps}" + (double.IsNaN(p.AcceptanceRate) ? "" : $", acceptance {p.AcceptanceRate:F2}")),
            };
            SamplerResult result;
            try
            {
                result = sampler switch
                {
                    "mh" => Samplers.MetropolisHastings((IEnergyModel)model, x0, step, options, adapt),
                    "mala" => Samplers.Mala((IEnergyScoreModel)model, x0, step, options, adapt),
                    _ => Samplers.Langevin((IScoreModel)model, x0, step, options),
                };
            }
            catch (ArgumentException e) { return Fail(sampler, e.Message); }
            catch (SamplerDivergedException e) { return Fail(sampler, e.Message); }
            using (result)
            {
                ChainSummary? summary = result.Trajectory!.shape[0] >= 4 ? ChainDiagnostics.Summarize(result.Trajectory) : null;
                var xs = ModeWeighting.Column(result.Samples, 0);
                var ys = model.Dim > 1 ? ModeWeighting.Column(result.Samples, 1) : new double[xs.Length];
                var png = Plots.Scatter(run.Output(sampler + "-" + entry.Name + ".png"), $"{sampler} on {entry.Name}: final states of {chains} chains (x₁, x₂)", new[] { ("samples", xs, ys) });
                return run.Finish(new
                {
                    command = sampler, model = entry.Name, chains, dim = model.Dim,
                    acceptance_rate = double.IsNaN(result.AcceptanceRate) ? (double?)null : result.AcceptanceRate,
                    step_size = result.FinalStepSize,
                    ess = summary?.EffectiveSampleSize.Min(), ess_per_dim = summary?.EffectiveSampleSize,
                    mean = summary?.Mean, standard_error = summary?.StandardError,
                    steps = result.Steps, seconds = result.Elapsed.TotalSeconds, scatter_png = png,
                }, result.Cancelled);
            }
        }

        internal static int Fail(string command, string message)
        {
            Console.Error.WriteLine("dsl " + command + ": " + Program.OneLine(message));
            return 2;
        }
    }
}
