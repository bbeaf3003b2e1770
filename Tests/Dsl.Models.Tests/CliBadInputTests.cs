using System;
using System.Diagnostics;
using System.IO;
using System.Linq;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// Issue 17 (5): every bad input to the gallery is one stderr line naming the command and the option, exit 2, no stack trace, no
    /// help page, and nothing run: each row is refused before any work, so the whole table takes seconds, not a training run per row.
    /// </summary>
    [Collection("Console")]
    public class CliBadInputTests
    {
        /// <summary>A fresh, empty --out folder: no checkpoint in it can be resumed.</summary>
        private static readonly string EmptyOut = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "dsl-cli-bad-input-" + Guid.NewGuid().ToString("N"))).FullName;

        /// <summary>A file where a folder is expected.</summary>
        private static readonly string ExistingFile = CreateFile(Path.Combine(EmptyOut, "a-file"));

        private static string CreateFile(string path)
        {
            File.WriteAllText(path, "not a folder");
            return path;
        }

        /// <summary>(what the one line must contain, the arguments). Rows without --out get <see cref="EmptyOut"/>.</summary>
        public static TheoryData<string, string[]> Rows => new()
        {
            // --out that cannot hold the run's files.
            { "--out '/proc/x'", new[] { "ising", "--out", "/proc/x" } },
            { "--out '/proc'", new[] { "rbm", "--out", "/proc" } },
            { "is an existing file", new[] { "ising", "--out", ExistingFile } },
            { "--out must name a folder", new[] { "langevin", "--out", "" } },
            { "--checkpoint folder", new[] { "ddpm", "train", "--checkpoint", "/proc/x/ddpm.ckpt" } },
            // Counts the algorithms cannot use, and odd lattices (the checkerboard of a periodic lattice needs an even side).
            { "--sweeps must be at least 10", new[] { "ising", "--sweeps", "0" } },
            { "--L must be even", new[] { "ising", "--L", "3" } },
            { "--L must be even", new[] { "ising", "--L", "100000" } },
            { "--L must be even", new[] { "bench", "ising", "--L", "255" } },
            // Sizes that cannot be allocated: refused with the estimate, not by libtorch's out-of-memory frame dump.
            { "--n 2000000000 with --dim 2 needs ≈", new[] { "sde-sample", "--n", "2000000000" } },
            { "--chains 2000000000 needs ≈", new[] { "langevin", "--chains", "2000000000" } },
            { "--chains 2000000000 with D = 2 needs ≈", new[] { "mala", "--model", "gaussian", "--chains", "2000000000" } },
            { "--L 40000 with 8 chains needs ≈", new[] { "ising", "--L", "40000" } },
            { "--n 2000000000 with D = 2 needs ≈", new[] { "score-check", "--model", "GaussianMixture", "--n", "2000000000" } },
            { "--N 1000000 with --patterns 5 needs ≈", new[] { "hopfield", "--N", "1000000" } },
            { "--batch 2000000000 with --width 128 and --depth 3 needs ≈", new[] { "ddpm", "train", "--batch", "2000000000" } },
            // Rates: never replaced by the default.
            { "--lr must be a finite number > 0, got -1", new[] { "ddpm", "train", "--lr", "-1" } },
            { "--lr must be a finite number > 0, got NaN", new[] { "ddpm", "train", "--lr", "NaN" } },
            { "--lr must be a finite number > 0, got Infinity", new[] { "ncsn", "--lr", "Infinity" } },
            { "--batch must be at least 1, got -3", new[] { "ddpm", "train", "--batch", "-3" } },
            { "--lr must be a finite number > 0, got 0", new[] { "score-sde", "--lr", "0" } },
            { "--step must be a finite number > 0, got NaN", new[] { "langevin", "--step", "NaN" } },
            { "--T must be a finite number > 0", new[] { "ising", "--T", "-1" } },
            { "--noise must lie in [0, 0.5]", new[] { "hopfield", "--noise", "0.9" } },
            { "--sigma-max must exceed --sigma-min", new[] { "ncsn", "--sigma-max", "0.001" } },
            { "--learning-rate must lie in (0, 1)", new[] { "gan", "--learning-rate", "NaN" } },
            { "unknown --device 'tpu'", new[] { "ising", "--device", "tpu" } },
            // --resume with nothing to resume from.
            { "--resume: there is no checkpoint", new[] { "vae", "--resume" } },
            { "--resume: there is no checkpoint", new[] { "rbm", "--resume" } },
            { "--resume: there is no checkpoint", new[] { "score-matching", "--resume" } },
            { "--resume: --model ring keeps no checkpoint", new[] { "score-matching", "--model", "ring", "--loss", "ncsn", "--resume" } },
            { "--resume: there is no checkpoint", new[] { "ddpm", "train", "--resume" } },
            { "--resume: there is no checkpoint", new[] { "ncsn", "--resume" } },
            { "--resume: there is no checkpoint", new[] { "score-sde", "--resume" } },
            { "--checkpoint: there is no checkpoint", new[] { "ddpm", "sample", "--checkpoint", Path.Combine(EmptyOut, "none.ckpt") } },
            // Parse errors: the one line and the --help hint, not the help page.
            { "'--foo'", new[] { "ising", "--foo" } },
            { "'x' for option '--chains'", new[] { "langevin", "--chains", "x" } },
            { "Option '--checkpoint' is required", new[] { "ddpm", "sample" } },
            // A zero or negative count, one row per command.
            { "--n must be at least 1, got 0", new[] { "score-check", "--model", "GaussianMixture", "--n", "0" } },
            { "--chains must be at least 2, got 0", new[] { "langevin", "--chains", "0" } },
            { "--chains must be at least 2, got -5", new[] { "annealed-langevin", "--chains", "-5" } },
            { "--steps must be at least 8", new[] { "mh", "--steps", "0" } },
            { "--burn-in must be at least 0, got -1", new[] { "mala", "--burn-in", "-1" } },
            { "--steps must be at least 1, got 0", new[] { "score-matching", "--steps", "0" } },
            { "--steps must be at least 1, got 0", new[] { "sde-sample", "--steps", "0" } },
            { "--n must be at least 2, got 0", new[] { "likelihood", "--n", "0" } },
            { "--epochs must be at least 1, got 0", new[] { "rbm", "--epochs", "0" } },
            { "--steps must be at least 1, got 0", new[] { "dbn", "--steps", "0" } },
            { "--steps must be at least 1, got -1", new[] { "dbm", "--steps", "-1" } },
            { "--patterns must be at least 1, got 0", new[] { "hopfield", "--patterns", "0" } },
            { "--chains must be at least 2", new[] { "ising", "--chains", "0" } },
            { "--T must lie in 2…100000, got 0", new[] { "ddpm", "schedule", "--T", "0" } },
            { "--steps must be at least 1, got 0", new[] { "ddpm", "train", "--steps", "0" } },
            { "--n must be at least 2, got 0", new[] { "ddpm", "sample", "--checkpoint", "x.ckpt", "--n", "0" } },
            { "--batch must be at least 1, got 0", new[] { "ncsn", "--batch", "0" } },
            { "--sample-steps must be at least 1, got 0", new[] { "score-sde", "--sample-steps", "0" } },
            { "unknown --pc-order 'x'; valid: corrector-first, predictor-first", new[] { "score-sde", "--pc-order", "x" } },
            { "--corrector-step and --pc-order are for --sampler pc (got --sampler em)", new[] { "score-sde", "--corrector-step", "0.1" } },
            { "--n must lie in 1…4096, got 0", new[] { "guided", "--n", "0" } },
            { "--resample must lie in 1…100, got 0", new[] { "inpaint", "--resample", "0" } },
            { "--batch must be at least 1, got 0", new[] { "planar-flow", "--batch", "0" } },
            { "--steps must be at least 0, got -1", new[] { "vae", "--steps", "-1" } },
            { "--digit must lie in 0…9, got 10", new[] { "vae", "--conditional", "--digit", "10" } },
            { "--samples must lie in 1…10000, got 0", new[] { "vae", "--conditional", "--samples", "0" } },
            { "--digit, --samples and --judge-steps apply only with --conditional", new[] { "vae", "--digit", "3" } },
            { "--steps must be at least 0, got -1", new[] { "gan", "--steps", "-1" } },
            { "--steps must be at least 0, got -1", new[] { "cnf", "--steps", "-1" } },
            { "--repeats must be at least 1, got 0", new[] { "bench", "langevin", "--repeats", "0" } },
            { "--n must be at least 1, got 0", new[] { "bench", "divergence", "--n", "0" } },
            { "--steps must be at least 1, got 0", new[] { "bench", "reverse-vp", "--steps", "0" } },
            { "--repeats must be at least 1, got 0", new[] { "bench", "ising", "--repeats", "0" } },
            { "--warmup must lie in [0, 600]", new[] { "bench", "reverse-vp", "--warmup", "-1" } },
            { "--rtol must lie in [1E-12, 0.1]", new[] { "likelihood", "--rtol", "1" } },
            { "unknown --model-dtype 'half'", new[] { "likelihood", "--model-dtype", "half" } },
            { "--threads must lie in 1…256, got 0", new[] { "stress", "--threads", "0" } },
            { "--ops must be at least 1, got 0", new[] { "stress", "--ops", "0" } },
        };

        [Theory]
        [MemberData(nameof(Rows))]
        public void Bad_input_is_one_line_naming_the_command_and_option_with_exit_2(string expected, string[] args)
        {
            var full = args.Contains("--out") ? args : args.Concat(new[] { "--out", EmptyOut }).ToArray();
            var clock = Stopwatch.StartNew();
            var (code, stdout, stderr) = Gallery.Run(full);
            clock.Stop();
            string command = "dsl " + string.Join(" ", args.TakeWhile(a => !a.StartsWith("--", StringComparison.Ordinal)));
            Assert.True(code == 2, "exit " + code + ": " + stderr);
            var lines = stderr.TrimEnd().Split('\n');
            Assert.True(lines.Length == 1, "more than one stderr line:\n" + stderr);
            Assert.StartsWith(command + ": ", lines[0]);
            Assert.Contains(expected, lines[0]);
            Assert.DoesNotContain("   at ", stderr);
            Assert.Equal("", stdout);   // no help page, no figures: nothing ran
            // Refused before any work: no row may train, sample or allocate (a run that slipped through takes far longer).
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "took " + clock.Elapsed + ": did it run? " + stderr);
        }

        [Fact]
        public void A_parse_error_ends_with_the_help_hint_of_its_command()
        {
            var (code, stdout, stderr) = Gallery.Run("ddpm", "train", "--steps", "many");
            Assert.Equal(2, code);
            Assert.Equal("", stdout);
            Assert.EndsWith("Run 'dsl ddpm train --help' for usage.", stderr.TrimEnd());
        }

        [Fact]
        public void An_unknown_command_is_one_line_from_dsl_itself()
        {
            var (code, stdout, stderr) = Gallery.Run("nosuch");
            Assert.Equal(2, code);
            Assert.Equal("", stdout);
            Assert.Equal("dsl: Unrecognized command or argument 'nosuch'. Run 'dsl --help' for usage.", stderr.TrimEnd());
        }

        [Fact]
        public void A_failure_no_command_anticipated_is_one_line_without_a_stack_trace()
        {
            // A checkpoint and settings file of garbage: whichever layer notices (a checkpoint error, exit 2, or the catch-all for
            // an exception no command expected, exit 1 with its type), the user sees one line and no stack frames.
            var checkpoint = CreateFile(Path.Combine(EmptyOut, "garbage.ckpt"));
            File.WriteAllText(checkpoint + ".json", "{garbage");
            var (code, _, stderr) = Gallery.Run("ddpm", "sample", "--checkpoint", checkpoint, "--out", EmptyOut);
            Assert.True(code == 1 || code == 2, "exit " + code + ": " + stderr);
            Assert.Single(stderr.TrimEnd().Split('\n'));
            Assert.StartsWith("dsl ddpm sample: ", stderr);
            Assert.DoesNotContain("   at ", stderr);
        }

        [Fact]
        public void Help_still_prints_the_help_page_even_beside_a_bad_value()
        {
            var (code, stdout, _) = Gallery.Run("ising", "--L", "3", "--help");
            Assert.Equal(0, code);
            Assert.Contains("--sweeps", stdout);
        }
    }
}
