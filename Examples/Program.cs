using System;
using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using System.Threading;
using Dsl.Models;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Examples
{
    /// <summary>The `dsl` gallery: each model end to end. With no command, a one-minute tour.</summary>
    public static class Program
    {
        /// <summary>Entry point.</summary>
        public static int Main(string[] args)
        {
            var gallery = new GalleryOptions();
            var seed = gallery.Seed;
            var outDir = gallery.Out;
            var device = gallery.Device;
            var json = gallery.Json;

            var root = new RootCommand("Dsl gallery: energy-based and score-based models written as equations, compiled to TorchSharp.");
            root.Options.Add(seed);
            root.Options.Add(outDir);
            root.Options.Add(device);
            root.Options.Add(json);
            root.SetAction(r => Tour(r.GetValue(seed), r.GetValue(device)!, r.GetValue(json)));

            var models = new Command("models", "List each model, its equation and what the generator emitted.");
            models.SetAction(r => ListModels(r.GetValue(json)));
            root.Subcommands.Add(models);

            var modelName = new Option<string>("--model") { Description = "Model name (see `dsl models`).", Required = true };
            var n = new Option<int>("--n") { Description = "Number of samples.", DefaultValueFactory = _ => 10_000 }.AtLeast(1);
            var dtype = new Option<string>("--dtype") { Description = "float32 or float64.", DefaultValueFactory = _ => "float32" };
            var check = new Command("score-check", "Compare the generated score (and exact divergence) with autograd of the model's own equations.");
            check.Options.Add(modelName);
            check.Options.Add(n);
            check.Options.Add(dtype);
            check.SetAction(r => RunScoreCheck(r.GetValue(modelName)!, r.GetValue(n), r.GetValue(dtype)!, r.GetValue(seed), r.GetValue(device)!, r.GetValue(json)));
            root.Subcommands.Add(check);

            foreach (var command in SamplingCommands.Build(gallery)) root.Subcommands.Add(command);
            root.Subcommands.Add(ScoreMatchingCommand.Build(gallery));
            foreach (var command in SdeCommands.Build(gallery)) root.Subcommands.Add(command);
            root.Subcommands.Add(RbmCommand.Build(gallery));
            root.Subcommands.Add(DeepCommands.BuildDbn(gallery));
            root.Subcommands.Add(DeepCommands.BuildDbm(gallery));
            root.Subcommands.Add(RbmCommand.BuildHopfield(gallery));
            root.Subcommands.Add(IsingCommand.Build(gallery));
            root.Subcommands.Add(DdpmCommands.Build(gallery));
            foreach (var command in ScoreSdeCommands.Build(gallery)) root.Subcommands.Add(command);
            root.Subcommands.Add(LinearSdeCommand.Build(gallery));
            root.Subcommands.Add(FokkerPlanckCommand.Build(gallery));
            root.Subcommands.Add(ElboCommand.Build(gallery));
            root.Subcommands.Add(KineticLangevinCommand.Build(gallery));
            root.Subcommands.Add(AisCommand.Build(gallery));
            root.Subcommands.Add(FlowCommand.Build(gallery));
            root.Subcommands.Add(BeyondCommand.Build(gallery));
            foreach (var command in GuidedCommands.Build(gallery)) root.Subcommands.Add(command);
            foreach (var command in FamilyCommands.Build(gallery)) root.Subcommands.Add(command);
            var bench = BenchCommand.Build(gallery);
            bench.Subcommands.Add(SdeCommands.BenchReverseVp(gallery));
            bench.Subcommands.Add(IsingCommand.BuildBench(gallery));
            root.Subcommands.Add(bench);
            root.Subcommands.Add(StressCommand.Build(gallery));
            root.Subcommands.Add(ShardedRun.BuildMerge(gallery));

            string commandName = "dsl";
            try
            {
                var parse = root.Parse(args);
                commandName = CommandPath(parse.CommandResult);
                // A parse error (unknown option, a value of the wrong type, a missing required option, a value an option's rule
                // refuses) is one line and the --help hint, exit 2; System.CommandLine's own handler would print the whole help
                // page after it. --help and --version clear the errors of the options beside them and run as usual.
                if (parse.Errors.Count > 0 && parse.Action is not { ClearsParseErrors: true })
                {
                    Console.Error.WriteLine(commandName + ": " + string.Join(" ", parse.Errors.Select(e => OneLine(e.Message)).Distinct())
                        + " Run '" + commandName + " --help' for usage.");
                    return 2;
                }
                // Without the default handler an exception reaches the catch below instead of printing its stack trace.
                return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
            }
            catch (Exception e)
            {
                // What the commands did not anticipate: one line (type and first line of the message; libtorch appends its native
                // frames on the lines after), exit 1. DSL_DEBUG=1 adds the stack trace for whoever debugs it.
                bool debug = Environment.GetEnvironmentVariable("DSL_DEBUG") == "1";
                Console.Error.WriteLine(commandName + ": unexpected " + e.GetType().Name + ": " + FirstLine(e.Message)
                    + (debug ? "" : " (DSL_DEBUG=1 shows the stack trace)"));
                if (debug) Console.Error.WriteLine(e);
                return 1;
            }
        }

        /// <summary>"dsl ddpm train" for the command a parse result names (the root alone is "dsl").</summary>
        private static string CommandPath(CommandResult? command)
        {
            var names = new System.Collections.Generic.List<string>();
            for (SymbolResult? s = command; s is CommandResult c && c.Command is not RootCommand; s = c.Parent) names.Insert(0, c.Command.Name);
            return string.Join(" ", names.Prepend("dsl"));
        }

        /// <summary>A message on one line: its lines joined by spaces (the gallery's errors are one stderr line each).</summary>
        internal static string OneLine(string message) =>
            string.Join(" ", message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

        private static string FirstLine(string message) =>
            message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";

        private static int ListModels(bool asJson)
        {
            if (asJson)
            {
                Console.WriteLine(JsonSerializer.Serialize(ModelCatalog.All.Select(e => (e.Name, e.Info)).Concat(ModelCatalog.NoiseConditional).Concat(ModelCatalog.Conditioned).Concat(ModelCatalog.Beyond).Concat(ModelCatalog.Sdes).Concat(ModelCatalog.Families).Select(e => new
                {
                    model = e.Name,
                    equation = e.Info.Equation,
                    parameters = e.Info.Parameters,
                    generated = e.Info.Generated,
                    notes = e.Info.Notes,
                })));
                return 0;
            }
            var table = new Table().AddColumns("Model", "E(x) as written", "Parameters", "Generated");
            foreach (var e in ModelCatalog.All.Select(e => (e.Name, e.Info)).Concat(ModelCatalog.NoiseConditional).Concat(ModelCatalog.Conditioned).Concat(ModelCatalog.Beyond))
                table.AddRow(Markup.Escape(e.Name), Markup.Escape(e.Info.Equation), Markup.Escape(string.Join(", ", e.Info.Parameters)),
                    Markup.Escape(string.Join(", ", e.Info.Generated) + (e.Info.Notes.Count > 0 ? " (" + string.Join("; ", e.Info.Notes) + ")" : "")));
            AnsiConsole.Write(table);
            var sdes = new Table().AddColumns("SDEs", "dx = f dt + G dw as written", "Parameters", "Generated");
            foreach (var e in ModelCatalog.Sdes)
                sdes.AddRow(Markup.Escape(e.Name), Markup.Escape(e.Info.Equation), Markup.Escape(string.Join(", ", e.Info.Parameters)),
                    Markup.Escape(string.Join(", ", e.Info.Generated) + (e.Info.Notes.Count > 0 ? " (" + string.Join("; ", e.Info.Notes) + ")" : "")));
            AnsiConsole.Write(sdes);
            var families = new Table().AddColumns("Flows, KLs, VAE, GAN, CNF", "As written", "Parameters", "Generated");
            foreach (var e in ModelCatalog.Families)
                families.AddRow(Markup.Escape(e.Name), Markup.Escape(e.Info.Equation), Markup.Escape(string.Join(", ", e.Info.Parameters)),
                    Markup.Escape(string.Join(", ", e.Info.Generated) + (e.Info.Notes.Count > 0 ? " (" + string.Join("; ", e.Info.Notes) + ")" : "")));
            AnsiConsole.Write(families);
            return 0;
        }

        private static int RunScoreCheck(string name, int n, string dtypeName, long seed, string deviceName, bool asJson)
        {
            var entry = ModelCatalog.Find(name);
            if (entry == null)
            {
                Console.Error.WriteLine($"dsl score-check: unknown model '{name}'; valid names: {string.Join(", ", ModelCatalog.All.Select(e => e.Name))}.");
                return 2;
            }
            if (!TryDevice("score-check", deviceName, out var device) || !TryDType(dtypeName, out var dtype)) return 2;
            int dim;
            using (var sizeProbe = entry.Create(seed)) dim = sizeProbe.Dim;
            // x, the generated and the autograd score, their difference and its ratios, the autograd graph: about ten [n, D] tensors.
            if (MemoryBudget.Refusal("--n " + n + " with D = " + dim, (double)n * dim, 8, 10) is string tooLarge)
                return SamplingCommands.Fail("score-check", tooLarge);
            var r = ScoreCheck.Run(entry, n, seed, device, dtype);
            if (asJson)
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    model = r.Model, n = r.N, dim = r.Dim, dtype = r.DType,
                    max_abs_err = r.MaxAbsErr, max_rel_err = r.MaxRelErr,
                    divergence_max_abs_err = r.DivergenceMaxAbsErr,
                    generated_ms = r.GeneratedMs, autograd_ms = r.AutogradMs,
                    speedup = r.AutogradMs / r.GeneratedMs,
                }));
            }
            else
            {
                Print(new[] { r });
            }
            return 0;
        }

        private static int Tour(long seed, string deviceName, bool asJson)
        {
            if (!TryDevice("", deviceName, out var device)) return 2;
            if (!asJson)
            {
                AnsiConsole.MarkupLine("[bold]Dsl[/]: each model below is a C# method that reads like its equation; the build generated its score and divergence.");
                ListModels(false);
                AnsiConsole.MarkupLine("\nGenerated analytic score vs autograd of the same equations (N = 2000, float64):");
            }
            var results = ModelCatalog.All.Select(e => ScoreCheck.Run(e, 2000, seed, device, ScalarType.Float64)).ToList();
            if (!asJson)
            {
                Print(results);
                AnsiConsole.MarkupLine("\nSampling (Song & Ermon's Figure 3: p = 0.2·N((−5,−5), I) + 0.8·N((5,5), I), 2000 chains from uniform starts):");
            }
            var plain = Experiments.ModeWeighting.Run(annealed: false, seed, device: device);
            var annealed = Experiments.ModeWeighting.Run(annealed: true, seed, device: device);
            if (!asJson)
            {
                var table = new Table().AddColumns("Sampler", "minor-mode weight (truth 0.2)", "steps", "seconds");
                foreach (var r in new[] { plain, annealed })
                    table.AddRow(r.Sampler, r.MinorModeWeight.ToString("F3", CultureInfo.InvariantCulture) + " ± " + r.StandardError.ToString("F3", CultureInfo.InvariantCulture),
                        r.Steps.ToString(CultureInfo.InvariantCulture), r.Seconds.ToString("F2", CultureInfo.InvariantCulture));
                AnsiConsole.Write(table);
                AnsiConsole.MarkupLine("\nScore matching: fit a two-component mixture's means and weights from samples (800 Adam steps):");
            }
            var fits = new[] { Experiments.ScoreMatchingLoss.Ism, Experiments.ScoreMatchingLoss.Ssm, Experiments.ScoreMatchingLoss.Dsm, Experiments.ScoreMatchingLoss.Ncsn }
                .Select(l => Experiments.MixtureFit.Run(l, seed)).ToList();
            var pc = Experiments.SdeExperiments.Sample("vp", "pc", "gmm", 2000, steps: 500, seed: seed);
            var likelihood = Experiments.SdeExperiments.Likelihood("vp", 4, Dsl.Sde.DivergenceEstimator.Exact, 500, seed);
            var familyChecks = Experiments.FamilyRuns.GeneratedChecks(seed);
            if (asJson)
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    sde = new { pc_minor_mode_weight = pc.MinorModeWeight, pc_nfe = pc.Nfe, nll_nats_per_dim = likelihood.NllNatsPerDim, exact_nll_nats_per_dim = likelihood.ExactNllNatsPerDim, likelihood_nfe = likelihood.Nfe },
                    score_checks = results.Select(r => new { model = r.Model, n = r.N, max_abs_err = r.MaxAbsErr, generated_ms = r.GeneratedMs, autograd_ms = r.AutogradMs }),
                    figure3 = new { langevin_minor_mode_weight = plain.MinorModeWeight, annealed_minor_mode_weight = annealed.MinorModeWeight, standard_error = plain.StandardError },
                    score_matching = fits.Select(f => new { loss = f.Loss, final_loss = f.FinalLoss, mean_error = f.MeanError, weight_error = f.WeightError, seconds = f.Seconds }),
                    families = new { planar_logdet_max_abs_err = familyChecks.PlanarLogDetError, kl_max_abs_err = familyChecks.KlError, kl_monte_carlo_z = familyChecks.KlMonteCarloZ },
                }));
            }
            else
            {
                var table = new Table().AddColumns("Objective", "mean |μ̂ − μ| (start)", "weight error", "final loss", "seconds");
                foreach (var f in fits)
                    table.AddRow(f.Loss, f.MeanError.ToString("F4", CultureInfo.InvariantCulture) + " (" + f.InitialMeanError.ToString("F2", CultureInfo.InvariantCulture) + ")",
                        f.WeightError.ToString("F4", CultureInfo.InvariantCulture), f.FinalLoss.ToString("F4", CultureInfo.InvariantCulture), f.Seconds.ToString("F2", CultureInfo.InvariantCulture));
                AnsiConsole.Write(table);
                AnsiConsole.MarkupLine("\nSDEs (generated VP SDE, exact score of every pₜ from the generated kernel):");
                var sdeTable = new Table().AddColumns("Run", "Result", "NFE", "seconds");
                sdeTable.AddRow("predictor–corrector on the Figure-3 mixture (500 steps)", "minor-mode weight " + pc.MinorModeWeight!.Value.ToString("F3", CultureInfo.InvariantCulture) + " (truth 0.2)",
                    pc.Nfe.ToString(CultureInfo.InvariantCulture), pc.Seconds.ToString("F2", CultureInfo.InvariantCulture));
                sdeTable.AddRow("probability-flow likelihood, Gaussian data, D = 4", "NLL " + likelihood.NllNatsPerDim.ToString("F5", CultureInfo.InvariantCulture) + " vs exact " + likelihood.ExactNllNatsPerDim.ToString("F5", CultureInfo.InvariantCulture) + " nats/dim",
                    likelihood.Nfe.ToString(CultureInfo.InvariantCulture), likelihood.Seconds.ToString("F2", CultureInfo.InvariantCulture));
                AnsiConsole.Write(sdeTable);
                AnsiConsole.MarkupLine("\nFlows and VAEs (generated from the equations, random inputs, float64):");
                var familyTable = new Table().AddColumns("Generated", "Independent truth", "max |difference|");
                familyTable.AddRow("InvertiblePlanarFlow.LogDetJacobian (matrix determinant lemma)", "log|det| of the autograd Jacobian of f(z) as written",
                    familyChecks.PlanarLogDetError.ToString("E2", CultureInfo.InvariantCulture));
                familyTable.AddRow("GaussianEncoderKl.Kl (from log q and log p)", "½Σ(σ² + μ² − 1 − log σ²)", familyChecks.KlError.ToString("E2", CultureInfo.InvariantCulture));
                familyTable.AddRow("GaussianEncoderKl.Kl", Markup.Escape("Monte Carlo of E_q[log q − log p] (20 000 draws)"),
                    familyChecks.KlMonteCarloZ.ToString("F2", CultureInfo.InvariantCulture) + " standard errors");
                AnsiConsole.Write(familyTable);
                AnsiConsole.MarkupLine("\nNext: [grey]dsl vae[/], [grey]dsl gan[/], [grey]dsl planar-flow[/], [grey]dsl cnf[/], [grey]dsl models[/], [grey]dsl sde-sample --sde ve --sampler pc --data gmm[/], [grey]dsl likelihood --sde vp --dim 8[/], [grey]dsl annealed-langevin --model gmm[/], [grey]dsl mala --model poe[/], [grey]dsl score-matching --loss ncsn --model ring[/], [grey]dsl score-check --model GaussianMixture --n 100000[/].");
            }
            return 0;
        }

        private static void Print(System.Collections.Generic.IEnumerable<ScoreCheckResult> results)
        {
            var table = new Table().AddColumns("Model", "N", "D", "dtype", "max |score − autograd|", "max |div − autograd|", "generated ms", "autograd ms", "speed-up");
            foreach (var r in results)
                table.AddRow(r.Model, r.N.ToString(CultureInfo.InvariantCulture), r.Dim.ToString(CultureInfo.InvariantCulture), r.DType,
                    r.MaxAbsErr.ToString("E2", CultureInfo.InvariantCulture),
                    r.DivergenceMaxAbsErr?.ToString("E2", CultureInfo.InvariantCulture) ?? "not generated",
                    r.GeneratedMs.ToString("F3", CultureInfo.InvariantCulture), r.AutogradMs.ToString("F3", CultureInfo.InvariantCulture),
                    (r.AutogradMs / r.GeneratedMs).ToString("F1", CultureInfo.InvariantCulture) + "×");
            AnsiConsole.Write(table);
        }

        /// <summary>The device --device names; otherwise one line naming <paramref name="command"/> ("" for the tour) and false.</summary>
        internal static bool TryDevice(string command, string name, out Device device)
        {
            device = CPU;
            if (name == "cpu") return true;
            if (name == "cuda")
            {
                if (cuda.is_available()) { device = CUDA; return true; }
                Console.Error.WriteLine(("dsl " + command).TrimEnd() + ": --device cuda was asked for but CUDA is not available (build with -p:TorchBackend=cuda on a machine with an NVIDIA GPU).");
                return false;
            }
            Console.Error.WriteLine(("dsl " + command).TrimEnd() + $": unknown --device '{name}'; valid: cpu, cuda.");
            return false;
        }

        private static bool TryDType(string name, out ScalarType dtype)
        {
            dtype = name == "float64" ? ScalarType.Float64 : ScalarType.Float32;
            if (name == "float32" || name == "float64") return true;
            Console.Error.WriteLine($"dsl score-check: unknown --dtype '{name}'; valid: float32, float64.");
            return false;
        }
    }
}
