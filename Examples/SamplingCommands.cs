using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.Linq;
using System.Text.Json;
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
            var langevinShards = new ShardOptions();
            langevinShards.AddTo(langevin);
            langevin.SetAction(r => o.Run("langevin", r, run =>
            {
                var name = r.GetValue(model)!;
                if (string.Equals(name, "gmm", StringComparison.OrdinalIgnoreCase))
                    return Figure3(run, annealed: false, r.GetValue(chains), langevinShards.Choice(r));
                return Chain(run, "langevin", name, r.GetValue(chains), r.GetValue(langevinStep), r.GetValue(steps), r.GetValue(burnIn), adapt: false, langevinShards.Choice(r));
            }));

            var annealed = new Command("annealed-langevin", "Annealed Langevin dynamics (Song & Ermon 2019, Algorithm 1) on the exactly perturbed Figure-3 mixture: recovers the 0.2 weight of the minor mode.");
            var annealedModel = new Option<string>("--model") { Description = "gmm (the only noise-conditional gallery model with a known answer).", DefaultValueFactory = _ => "gmm" };
            annealed.Options.Add(annealedModel);
            annealed.Options.Add(chains);
            var annealedShards = new ShardOptions();
            annealedShards.AddTo(annealed);
            annealed.SetAction(r => o.Run("annealed-langevin", r, run =>
            {
                var name = r.GetValue(annealedModel)!;
                if (!string.Equals(name, "gmm", StringComparison.OrdinalIgnoreCase))
                    return Fail("annealed-langevin", "unknown model '" + name + "'; valid: gmm.");
                return Figure3(run, annealed: true, r.GetValue(chains), annealedShards.Choice(r));
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
                var mcmcShards = new ShardOptions();
                mcmcShards.AddTo(command);
                command.SetAction(r => o.Run(name, r, run => Chain(run, name, r.GetValue(m)!, r.GetValue(n), r.GetValue(step), r.GetValue(s), r.GetValue(b), !r.GetValue(fixedStep), mcmcShards.Choice(r))));
                return command;
            }

            return new[]
            {
                langevin, annealed,
                Mcmc("mh", "Random-walk Metropolis–Hastings on a model's energy: acceptance rate, ESS, moments, scatter PNG.", 0.5, false),
                Mcmc("mala", "Metropolis-adjusted Langevin on a model's generated energy and score: acceptance rate, ESS, moments, scatter PNG.", 0.1, true),
            };
        }

        private static int Figure3(GalleryRun run, bool annealed, int chains, ShardChoice shards)
        {
            if (chains < 10) return Fail(run.Command, "--chains must be at least 10 for the mode weights, got " + chains + ".");
            if (shards.Problem is string badShard) return Fail(run.Command, badShard);
            // The chains, Song & Ermon's noise and score buffers, the start kept for the plot: about eight [chains, 2] float64 tensors.
            if (MemoryBudget.Refusal("--chains " + chains, chains * 2.0, 8, 8) is string tooLarge) return Fail(run.Command, tooLarge);
            return ShardedRun.Execute(run, annealed ? ModeWeightingCommand.Annealed : ModeWeightingCommand.Plain, new ModeWeightingConfig(annealed, chains),
                new RowBlocks(chains, shards.Block), shards.Shard, shards.Save, (block, start, rows, seed) =>
                {
                    var r = ModeWeighting.Run(annealed, seed, rows, run.Device, run.Progress<SamplerProgress>(p => $"step {p.Step}/{p.TotalSteps}"), run.Cancellation);
                    var output = new BlockOutput { Cancelled = r.Cancelled };
                    output.Rows["samples"] = stack(new[] { tensor(r.Xs), tensor(r.Ys) }, 1);
                    output.Rows["starts"] = stack(new[] { tensor(r.StartXs), tensor(r.StartYs) }, 1);
                    output.Counters["steps"] = r.Steps;
                    output.Counters["seconds"] = r.Seconds;
                    return output;
                });
        }

        private static int Chain(GalleryRun run, string sampler, string modelName, int chains, double step, int steps, int burnIn, bool adapt, ShardChoice shards)
        {
            var entry = ModelCatalog.Find(Aliases.TryGetValue(modelName, out var full) ? full : modelName);
            if (entry == null)
                return Fail(sampler, "unknown model '" + modelName + "'; valid names: " + string.Join(", ", ModelCatalog.All.Select(e => e.Name)) + " (aliases: " + string.Join(", ", Aliases.Keys) + ").");
            using var scope = NewDisposeScope();
            var model = entry.Create(run.Seed);
            if (shards.Problem is string badShard) return Fail(sampler, badShard);
            // The state, proposal, noise, score and energy buffers (about ten [chains, D] float64 tensors) and the thinned trajectory
            // (Thin = steps / 500, so steps / Thin < 1000 recorded states).
            int recorded = steps / System.Math.Max(1, steps / 500);
            if (MemoryBudget.Refusal("--chains " + chains + " with D = " + model.Dim, (double)chains * model.Dim, 8, 10 + recorded) is string tooLarge)
                return Fail(sampler, tooLarge);
            var config = new ChainConfig(sampler, entry.Name, chains, step, steps, burnIn, adapt);
            try
            {
                return ShardedRun.Execute(run, ChainCommand.For(sampler), config, new RowBlocks(chains, shards.Block), shards.Shard, shards.Save, (block, start, rows, seed) =>
                {
                    using var blockScope = NewDisposeScope();
                    // The model's parameters come from --seed (every block samples the same model); the starts and the noise from the block's seed.
                    var blockModel = entry.Create(run.Seed);
                    blockModel.to(ScalarType.Float64).to(run.Device);
                    var x0 = empty(rows, blockModel.Dim, dtype: ScalarType.Float64).normal_(0, 1, generator: new Generator((ulong)seed + 1)).to(run.Device);
                    x0 = ModelSupport.MapInto(blockModel, x0);                      // standard-normal starts, mapped into the model's declared support
                    var options = new SamplerOptions
                    {
                        Steps = steps, BurnIn = burnIn, Thin = System.Math.Max(1, steps / 500), Seed = seed + 2, Cancellation = run.Cancellation,
                        Progress = run.Progress<SamplerProgress>(p => $"step {p.Step}/{p.TotalSteps}" + (double.IsNaN(p.AcceptanceRate) ? "" : $", acceptance {p.AcceptanceRate:F2}")),
                    };
                    using var result = sampler switch
                    {
                        "mh" => Samplers.MetropolisHastings((IEnergyModel)blockModel, x0, step, options, adapt),
                        "mala" => Samplers.Mala((IEnergyScoreModel)blockModel, x0, step, options, adapt),
                        _ => Samplers.Langevin((IScoreModel)blockModel, x0, step, options),
                    };
                    var output = new BlockOutput { Cancelled = result.Cancelled };
                    output.Rows["samples"] = result.Samples.to_type(ScalarType.Float64).cpu().MoveToOuterDisposeScope();
                    // The trajectory [K, rows, D] as one row per chain, [rows, K·D], so blocks join along the chains.
                    var trajectory = result.Trajectory!;
                    output.Rows["trajectory"] = trajectory.permute(1, 0, 2).reshape(rows, -1).to_type(ScalarType.Float64).cpu().contiguous().MoveToOuterDisposeScope();
                    output.Counters["rows"] = rows;
                    output.Counters["acceptance"] = result.AcceptanceRate;
                    output.Counters["step_size"] = result.FinalStepSize;
                    output.Counters["steps"] = result.Steps;
                    output.Counters["seconds"] = result.Elapsed.TotalSeconds;
                    return output;
                });
            }
            catch (ArgumentException e) { return Fail(sampler, e.Message); }
            catch (SamplerDivergedException e) { return Fail(sampler, e.Message); }
        }

        internal static int Fail(string command, string message)
        {
            Console.Error.WriteLine("dsl " + command + ": " + Program.OneLine(message));
            return 2;
        }
    }

    /// <summary>The configuration of a `dsl langevin|annealed-langevin --model gmm` run (Song &amp; Ermon's Figure 3).</summary>
    internal sealed record ModeWeightingConfig(bool Annealed, int Chains);

    /// <summary>Figure 3 as blocks of chains (row-independent samplers: a block only sets whose seed a chain's noise comes from).</summary>
    internal sealed class ModeWeightingCommand : ShardableCommand
    {
        public static readonly ModeWeightingCommand Plain = new("langevin"), Annealed = new("annealed-langevin");

        private ModeWeightingCommand(string name) => Name = name;

        public override string Name { get; }

        public override object Summarise(JsonElement configJson, RunRows rows, GalleryRun run, long seed, bool saveSamples)
        {
            var c = configJson.Deserialize<ModeWeightingConfig>()!;
            var samples = rows.Array("samples")!;
            var starts = rows.Array("starts")!;
            int chains = (int)samples.shape[0];
            double minor = (samples.select(1, 0).Add(samples.select(1, 1)).Lt(0)).to_type(ScalarType.Float64).mean().item<double>();
            double standardError = System.Math.Sqrt(ModeWeighting.MinorWeight * (1 - ModeWeighting.MinorWeight) / chains);
            string tag = Name;
            var xs = ModeWeighting.Column(samples, 0);
            var ys = ModeWeighting.Column(samples, 1);
            var scatter = Plots.Scatter(run.Output(tag + "-gmm.png"), (c.Annealed ? "Annealed" : "Plain") + $" Langevin: minor-mode weight {minor:F3} (truth 0.2)",
                new[] { ("start (uniform)", ModeWeighting.Column(starts, 0), ModeWeighting.Column(starts, 1)), ("samples", xs, ys) }, -10, 10, -10, 10);
            var projection = xs.Zip(ys, (x, y) => (x + y) / System.Math.Sqrt(2)).ToArray();
            var histogram = Plots.Histogram(run.Output(tag + "-gmm-hist.png"), "Samples projected on the diagonal (x₁ + x₂)/√2", new[] { ("samples", projection) });
            string? samplesFile = ShardedRun.SaveSamples(run, tag + "-gmm.npy", samples, saveSamples);
            return new
            {
                command = tag, model = "gmm", chains,
                minor_mode_weight = minor, minor_mode_weight_truth = ModeWeighting.MinorWeight, standard_error = standardError,
                steps = (int)rows.Counters["steps"].Max(), blocks = rows.Counters["steps"].Length, seconds = rows.Sum("seconds"), scatter_png = scatter, histogram_png = histogram, samples_npy = samplesFile,
            };
        }
    }

    /// <summary>The configuration of a `dsl langevin|mh|mala` run on a catalog model.</summary>
    internal sealed record ChainConfig(string Sampler, string Model, int Chains, double Step, int Steps, int BurnIn, bool Adapt);

    /// <summary>
    /// Langevin, MH and MALA chains on a catalog model as blocks of chains: a block adapts its own step size during burn-in (so the
    /// block is the unit whose chains share it); the diagnostics run on the trajectories of every chain.
    /// </summary>
    internal sealed class ChainCommand : ShardableCommand
    {
        public static readonly ChainCommand Langevin = new("langevin"), Mh = new("mh"), Mala = new("mala");

        private ChainCommand(string name) => Name = name;

        public override string Name { get; }

        public static ChainCommand For(string sampler) => sampler switch { "mh" => Mh, "mala" => Mala, _ => Langevin };

        public override object Summarise(JsonElement configJson, RunRows rows, GalleryRun run, long seed, bool saveSamples)
        {
            var c = configJson.Deserialize<ChainConfig>()!;
            var samples = rows.Array("samples")!;
            int chains = (int)samples.shape[0], dim = (int)samples.shape[1];
            using var scope = NewDisposeScope();
            var trajectory = rows.Array("trajectory")!.reshape(chains, -1, dim).permute(1, 0, 2).contiguous();
            ChainSummary? summary = trajectory.shape[0] >= 4 ? ChainDiagnostics.Summarize(trajectory) : null;
            var weights = rows.Counters["rows"];
            var acceptance = rows.Counters["acceptance"];
            double? rate = acceptance.Any(double.IsNaN) ? null : acceptance.Zip(weights, (a, w) => a * w).Sum() / weights.Sum();
            var stepSizes = rows.Counters["step_size"];
            double? stepSize = stepSizes.Any(double.IsNaN) ? null : stepSizes.Average();
            var xs = ModeWeighting.Column(samples, 0);
            var ys = dim > 1 ? ModeWeighting.Column(samples, 1) : new double[xs.Length];
            var png = Plots.Scatter(run.Output(c.Sampler + "-" + c.Model + ".png"), $"{c.Sampler} on {c.Model}: final states of {chains} chains (x₁, x₂)", new[] { ("samples", xs, ys) });
            string? samplesFile = ShardedRun.SaveSamples(run, c.Sampler + "-" + c.Model + ".npy", samples, saveSamples);
            return new
            {
                command = c.Sampler, model = c.Model, chains, dim,
                acceptance_rate = rate, step_size = stepSize,
                ess = summary?.EffectiveSampleSize.Min(), ess_per_dim = summary?.EffectiveSampleSize,
                mean = summary?.Mean, standard_error = summary?.StandardError,
                steps = (int)rows.Counters["steps"].Max(), blocks = weights.Length, seconds = rows.Sum("seconds"), scatter_png = png, samples_npy = samplesFile,
            };
        }
    }
}
