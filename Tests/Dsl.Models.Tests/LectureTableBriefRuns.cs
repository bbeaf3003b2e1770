using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// A brief run of one docs/lectures.md command: the row's own words plus <see cref="Args"/> that shrink it (fewer
    /// steps, chains, samples), then one figure of its JSON checked by <see cref="Holds"/>. <see cref="Claim"/> says what the
    /// check means; <see cref="Before"/> is a command that must run first (a training run that writes the checkpoint a sampling
    /// row reads). "{out}" in any argument is the test's output folder.
    /// </summary>
    internal sealed record BriefRun(string[] Args, string Figure, Func<JsonElement, bool> Holds, string Claim, string[]? Before = null);

    /// <summary>
    /// The brief run of every command that docs/lectures.md names. A new row's command needs an entry here
    /// (LectureTableTests fails, naming it, until it has one), so every command in the table is run, not just parsed.
    /// Figures are chosen to hold for a run too short to train anything: exact identities (a bound below the exact
    /// log-likelihood, ELBO = reconstruction − KL), physics (Onsager), and Monte-Carlo figures within 4 of their own
    /// standard errors.
    /// </summary>
    internal static class LectureTableBriefRuns
    {
        private static double Num(this JsonElement j, string key) => j.GetProperty(key).GetDouble();
        private static bool Within(double value, double truth, double tolerance) => Math.Abs(value - truth) <= tolerance;
        private static bool Finite(double v) => double.IsFinite(v);

        private static readonly string[] DdpmMoons = { "ddpm", "train", "--data", "moons", "--steps", "2", "--T", "50", "--width", "16", "--depth", "1", "--checkpoint", "{out}/ddpm-moons-brief.ckpt" };
        private static readonly string[] DdpmSample = { "--checkpoint", "{out}/ddpm-moons-brief.ckpt", "--n", "50" };
        private static readonly string[] Digits = { "--train-steps", "2", "--classifier-steps", "2", "--channels", "8", "--T", "50", "--checkpoint", "{out}/guided-brief.ckpt" };
        private static readonly string[] ScoreCheck = { "--n", "200", "--dtype", "float64" };

        private static BriefRun Guided() => new(Digits.Concat(new[] { "--n", "4", "--steps", "2" }).ToArray(), "nfe",
            j => j.Num("nfe") == 2 && j.Num("target_class_rate") is >= 0 and <= 1, "DDIM takes the requested 2 steps; the judged rate is a fraction");

        private static BriefRun ScoreMatchingGmm() => new(new[] { "--steps", "5" }, "mean_error",
            j => j.Num("mean_error") < j.Num("initial_mean_error"), "five Adam steps on the loss move the mixture's means towards the truth");

        private static BriefRun SdeSampleMixture(string steps) => new(new[] { "--n", "1000", "--steps", steps }, "minor_mode_weight",
            j => Within(j.Num("minor_mode_weight"), 0.2, 4 * Math.Sqrt(0.2 * 0.8 / 1000)), "the reverse process keeps the data's minor-mode weight 0.2 within 4 SE");

        public static readonly IReadOnlyDictionary<string, BriefRun> ByCommand = new Dictionary<string, BriefRun>(StringComparer.Ordinal)
        {
            ["dsl annealed-langevin --model gmm"] = new(new[] { "--chains", "400" }, "minor_mode_weight",
                j => Within(j.Num("minor_mode_weight"), j.Num("minor_mode_weight_truth"), 4 * j.Num("standard_error")), "annealed Langevin weights the minor mode as the mixture does, within 4 SE"),
            ["dsl langevin --model gmm"] = new(new[] { "--chains", "400" }, "minor_mode_weight",
                j => j.Num("minor_mode_weight") > j.Num("minor_mode_weight_truth") + 4 * j.Num("standard_error"), "plain Langevin misweights the modes (Song & Ermon's Figure 3) by more than 4 SE"),
            ["dsl mh --model gmm"] = new(new[] { "--chains", "100", "--steps", "200", "--burn-in", "100" }, "acceptance_rate",
                j => j.Num("acceptance_rate") is > 0.1 and < 0.5, "the adapted random-walk proposal accepts near the 0.234 target"),
            ["dsl mala --model gmm"] = new(new[] { "--chains", "100", "--steps", "200", "--burn-in", "100" }, "acceptance_rate",
                j => j.Num("acceptance_rate") is > 0.35 and < 0.85, "the adapted MALA step accepts near the 0.574 target"),
            ["dsl models"] = new(Array.Empty<string>(), "(entries)",
                j => j.ValueKind == JsonValueKind.Array && j.GetArrayLength() >= 30 && j.EnumerateArray().Any(e => e.GetProperty("model").GetString() == "GaussianMixture"), "the catalog lists every generated model, GaussianMixture among them"),
            ["dsl beyond --case covariance-gaussian"] = new(Array.Empty<string>(), "max_log_z_error",
                j => j.Num("max_score_error") < 1e-10 && j.Num("max_divergence_error") < 1e-10 && j.Num("max_log_z_error") < 1e-9 && j.Num("max_precision_log_z_error") < 1e-9,
                "the generated score, divergence and log Z (LogDet) equal the closed forms and the quadrature of exp(−E) in float64"),
            ["dsl score-check --model IsotropicGaussian"] = new(ScoreCheck, "max_rel_err", j => j.Num("max_rel_err") < 1e-9, "the generated score equals autograd's −∇E in float64"),
            ["dsl score-check --model Exponential"] = new(ScoreCheck, "max_rel_err", j => j.Num("max_rel_err") < 1e-9, "the generated score equals autograd's −∇E in float64"),
            ["dsl score-check --model GaussianMixture"] = new(ScoreCheck, "max_rel_err", j => j.Num("max_rel_err") < 1e-9, "the generated score equals autograd's −∇E in float64"),
            ["dsl score-check --model ProductOfStudentT"] = new(ScoreCheck, "max_rel_err", j => j.Num("max_rel_err") < 1e-9, "the generated score equals autograd's −∇E in float64"),
            ["dsl score-check --model MlpEnergy"] = new(ScoreCheck, "divergence_max_abs_err", j => j.Num("max_rel_err") < 1e-9 && j.Num("divergence_max_abs_err") < 1e-9, "the generated score and exact divergence −ΔE equal autograd's in float64"),
            ["dsl score-matching --loss esm --model gmm"] = ScoreMatchingGmm(),
            ["dsl score-matching --loss ism --model gmm"] = ScoreMatchingGmm(),
            ["dsl score-matching --loss ssm --model gmm"] = ScoreMatchingGmm(),
            ["dsl score-matching --loss dsm --model gmm"] = ScoreMatchingGmm(),
            ["dsl score-matching --loss ncsn --model ring"] = new(new[] { "--steps", "5" }, "fraction_on_ring",
                j => Finite(j.Num("final_loss")) && j.Num("fraction_on_ring") is >= 0 and <= 1, "NCSN training runs and annealed Langevin samples are judged against the ring"),
            ["dsl ising --L 32 --T 2.0"] = new(new[] { "--sweeps", "200", "--chains", "4" }, "energy_per_site",
                j => Within(j.Num("energy_per_site"), j.Num("onsager_energy_per_site"), 4 * j.Num("energy_per_site_error") + 0.005), "the energy per site is Onsager's within 4 SE (plus 0.005 for L = 32's finite size)"),
            ["dsl ising --scan 1.5:3.5:9"] = new(new[] { "--L", "8", "--sweeps", "100", "--chains", "2" }, "scan[].abs_magnetization",
                j => j.GetProperty("scan")[0].Num("abs_magnetization") > j.GetProperty("scan")[8].Num("abs_magnetization") + 0.3, "ordered at T = 1.5, disordered at T = 3.5"),
            ["dsl hopfield --N 100 --patterns 5"] = new(Array.Empty<string>(), "recall_rate",
                j => j.Num("recall_rate") == 1 && j.GetProperty("energy_never_increased").GetBoolean(), "at load 0.05 (below 0.14) every probe is recalled and the energy never rises"),
            ["dsl rbm --data digits --algorithm cd1"] = new(new[] { "--hidden", "8", "--epochs", "1" }, "pseudo_log_likelihood",
                j => j.Num("pseudo_log_likelihood") > j.Num("pseudo_log_likelihood_before"), "one epoch of CD-1 raises the pseudo-log-likelihood"),
            ["dsl rbm --data digits"] = new(new[] { "--hidden", "8", "--epochs", "1" }, "ais_log_likelihood",
                j => Within(j.Num("ais_log_likelihood"), j.Num("exact_log_likelihood"), 4 * j.Num("ais_standard_error")), "AIS's log-likelihood is the exact one (2⁸ hidden states enumerated) within 4 SE"),
            ["dsl dbn --hidden 12,64"] = new(new[] { "--steps", "2" }, "variational_bound",
                j => j.Num("variational_bound") <= j.Num("exact_log_likelihood") + 1e-9, "the greedy variational bound is below the exact log-likelihood"),
            ["dsl dbm --hidden1 12 --hidden2 6"] = new(new[] { "--steps", "2" }, "mean_field_bound",
                j => j.Num("mean_field_bound") <= j.Num("exact_log_likelihood") + 1e-9, "the mean-field bound is below the exact log-likelihood"),
            ["dsl sde-sample --sde vp --sampler em"] = SdeSampleMixture("500"),
            ["dsl sde-sample --sde ve --sampler pc"] = SdeSampleMixture("200"),
            ["dsl sde-sample --sde subvp --sampler ode"] = SdeSampleMixture("200"),
            ["dsl sde-sample --sde vp --sampler em --data gmm"] = SdeSampleMixture("500"),
            ["dsl sde-sample --sde ve --sampler pc --data gmm"] = SdeSampleMixture("200"),
            ["dsl likelihood --sde vp --data gaussian"] = new(new[] { "--n", "50" }, "abs_err_nats_per_dim",
                j => j.Num("abs_err_nats_per_dim") < 5e-3, "the probability-flow NLL is the exact Gaussian NLL of p_ε within 5e-3 nats/dim (the prior gap and the solver's error)"),
            ["dsl likelihood --sde ve --data gaussian --dim 4 --n 1000 --model-dtype float32"] = new(Array.Empty<string>(), "ode_mean_abs_err_nats_per_dim",
                j => j.Num("ode_mean_abs_err_nats_per_dim") <= j.Num("tolerance_nats_per_dim") && j.Num("nfe") <= 116,
                "the float32-score likelihood is within what rtol = atol = 1e-5 ask of the final state of the exact ODE value, at ≤ scipy's 116 NFE"),
            ["dsl likelihood --sde vp --data gaussian --estimator hutchinson"] = new(new[] { "--n", "50" }, "nll_nats_per_dim",
                j => Within(j.Num("nll_nats_per_dim"), j.Num("exact_nll_nats_per_dim"), 4 * j.Num("standard_error_nats_per_dim")), "Hutchinson's NLL is the exact one within 4 SE"),
            ["dsl fokker-planck --sde vp --data gmm"] = new(Array.Empty<string>(), "max_relative_residual",
                j => j.Num("max_relative_residual") < 1e-6 && j.Num("continuity_max_relative_residual") < 1e-6, "the generated kernel solves the Fokker–Planck and continuity equations"),
            ["dsl ncsn --data gaussians8"] = new(new[] { "--steps", "2", "--levels", "4", "--width", "16", "--depth", "1", "--n", "50", "--steps-per-level", "5", "--checkpoint", "{out}/ncsn-brief.ckpt" }, "langevin_steps",
                j => j.Num("langevin_steps") == 20 && Finite(j.Num("ode_nll_nats_per_dim")), "annealed Langevin takes L × T = 4 × 5 steps; the VE flow gives a finite NLL"),
            ["dsl score-sde --sde vp --weighting sigma2"] = new(new[] { "--steps", "2", "--width", "16", "--depth", "1", "--n", "50", "--sample-steps", "10", "--checkpoint", "{out}/score-sde-brief.ckpt" }, "nfe",
                j => j.Num("nfe") == 10 && Finite(j.Num("final_loss")), "the reverse SDE takes the requested 10 steps after training"),
            ["dsl score-sde --sde vp --loss ism"] = new(new[] { "--steps", "2", "--width", "16", "--depth", "1", "--n", "50", "--sample-steps", "10", "--checkpoint", "{out}/score-sde-ism-brief.ckpt" }, "final_loss",
                j => Finite(j.Num("final_loss")) && j.Num("nfe") == 10, "the time-dependent implicit loss (exact divergence) trains and the network samples"),
            ["dsl elbo --sde vp --data gmm --score perturbed"] = new(new[] { "--samples", "1000", "--ode-points", "10" }, "z",
                j => Math.Abs(j.Num("z")) <= 4 && j.Num("gap_predicted") > 0, "the bound of s + c is the data's smoothed entropy + prior mismatch + ½‖c‖²∫g² dt within 4 SE"),
            ["dsl ais --model gmm --chains 1000 --temperatures 200"] = new(new[] { "--chains", "200", "--temperatures", "50" }, "z_score",
                j => Math.Abs(j.Num("z_score")) <= 4, "AIS's log Z is the mixture's closed-form log Z within 4 of its delta-method SE"),
            ["dsl hopfield --N 100 --patterns 25 --rule mackay --alpha 0.1"] = new(Array.Empty<string>(), "fixed_point_fraction",
                j => j.Num("fixed_point_fraction") == 1, "MacKay's learning makes all 25 patterns fixed points at load 0.25, above Hebb's 0.14"),
            ["dsl hopfield --spurious --N 20 --patterns 3 --seed 2"] = new(new[] { "--starts", "100" }, "enumerated_fixed_points",
                j => j.GetProperty("end_states_are_enumerated_fixed_points").GetBoolean() && j.GetProperty("enumerated_fixed_points").Num("stored") == 3 && j.GetProperty("enumerated_fixed_points").Num("inverse") == 3,
                "every end state is one of the enumerated fixed points, among them the 3 patterns and their 3 inverses"),
            ["dsl hopfield --synchronous --N 16 --patterns 3"] = new(Array.Empty<string>(), "cycle",
                j => j.GetProperty("found").GetBoolean() && j.GetProperty("cycle").GetArrayLength() == 2 && j.GetProperty("asynchronous_converged").GetBoolean(), "synchronous updates cycle with period 2 where asynchronous ones converge"),
            ["dsl sde-sample --sde vp --sampler pc --data gaussian --pc-order predictor-first --corrector-step 0.005"] = new(new[] { "--n", "1000", "--steps", "200" }, "mean, std",
                j => Enumerable.Range(0, 2).All(i => Within(j.GetProperty("mean")[i].GetDouble(), j.GetProperty("true_mean")[i].GetDouble(), 4 * j.GetProperty("true_std")[i].GetDouble() / Math.Sqrt(1000) + 0.01)
                    && Within(j.GetProperty("std")[i].GetDouble(), j.GetProperty("true_std")[i].GetDouble(), 4 * j.GetProperty("true_std")[i].GetDouble() / Math.Sqrt(2000) + 0.01 * j.GetProperty("true_std")[i].GetDouble())),
                "the predictor-first sampler with a fixed corrector step reproduces the data's mean and std within 4 SE (+1 % discretisation)"),
            ["dsl ddpm schedule --schedule linear"] = new(Array.Empty<string>(), "alpha_bar_T", LinearScheduleProduct, "ᾱ_T = Π(1 − βₜ) over the linear βₜ from β₁ to β_T, recomputed here"),
            ["dsl ddpm train --data moons"] = new(new[] { "--steps", "20", "--T", "50", "--width", "16", "--depth", "1", "--checkpoint", "{out}/ddpm-moons-train-brief.ckpt" }, "final_loss",
                j => j.Num("final_loss") < j.Num("first_loss"), "20 Adam steps lower L_simple"),
            ["dsl ddpm train --data digits"] = new(new[] { "--steps", "2", "--T", "50", "--channels", "8", "--checkpoint", "{out}/ddpm-digits-brief.ckpt" }, "final_loss",
                j => Finite(j.Num("final_loss")) && j.Num("final_loss") > 0 && File.Exists(j.GetProperty("checkpoint").GetString()), "the U-Net trains and writes its checkpoint"),
            ["dsl ddpm train --variance learned --loss hybrid"] = new(new[] { "--data", "moons", "--steps", "20", "--T", "50", "--width", "16", "--depth", "1", "--checkpoint", "{out}/ddpm-learned-brief.ckpt" }, "final_loss",
                j => j.GetProperty("variance").GetString() == "learned" && j.Num("final_loss") < j.Num("first_loss"), "20 Adam steps on the hybrid loss train a learned-variance network"),
            ["dsl ddpm train --variance fixed-large --loss vlb"] = new(new[] { "--data", "moons", "--steps", "5", "--T", "50", "--width", "16", "--depth", "1", "--checkpoint", "{out}/ddpm-vlb-brief.ckpt" }, "final_loss",
                j => j.GetProperty("loss").GetString() == "vlb" && j.GetProperty("variance").GetString() == "fixed-large" && Finite(j.Num("final_loss")) && File.Exists(j.GetProperty("checkpoint").GetString()),
                "training with the eq. 12 weighted ε-loss runs and records loss and variance (the checkpoint keeps them for sampling)"),
            ["dsl ddpm sample --sampler ddim"] = new(DdpmSample.Concat(new[] { "--steps", "5" }).ToArray(), "nfe",
                j => j.Num("nfe") == 5 && j.Num("vlb_standard_error") > 0, "DDIM takes the requested 5 steps; the bound comes with its standard error", DdpmMoons),
            ["dsl ddpm sample --sampler ode"] = new(DdpmSample, "ode_bits_per_dim",
                j => j.Num("nfe") > 2 && Finite(j.Num("ode_bits_per_dim")), "the adaptive probability-flow sampler and likelihood run", DdpmMoons),
            ["dsl guided --digit 3 --scale 2"] = Guided(),
            ["dsl guided --method free --digit 3 --scale 2"] = Guided(),
            ["dsl inpaint --mask center"] = new(Digits.Concat(new[] { "--n", "4", "--steps", "2" }).ToArray(), "missing_fraction",
                j => j.Num("missing_fraction") == 16.0 / 64 && j.Num("nfe") == 2, "the centre mask hides 4×4 of the 8×8 pixels"),
            ["dsl vae --likelihood bernoulli"] = new(new[] { "--steps", "2", "--hidden", "16" }, "test_elbo",
                j => Within(j.Num("test_elbo"), j.Num("test_reconstruction") - j.Num("test_kl"), 1e-3)
                     && j.GetProperty("test_iwae")[2].Num("bound") >= j.GetProperty("test_iwae")[0].Num("bound"), "ELBO = reconstruction − KL, and IWAE₁₀₀ ≥ IWAE₁"),
            ["dsl vae --conditional"] = new(new[] { "--steps", "2", "--hidden", "16", "--samples", "4", "--judge-steps", "2" }, "accuracy",
                j => Within(j.Num("test_elbo"), j.Num("test_reconstruction") - j.Num("test_kl"), 1e-3) && j.GetProperty("digits").GetArrayLength() == 10
                     && Within(j.Num("accuracy_standard_error"), Math.Sqrt(j.Num("accuracy") * (1 - j.Num("accuracy")) / 40), 1e-12),
                "the conditional ELBO = reconstruction − KL; all ten digits are drawn and judged, the accuracy with its binomial SE √(p(1−p)/n)"),
            ["dsl gan --data eight-gaussians"] = new(new[] { "--steps", "200" }, "mmd2",
                j => j.Num("mmd2") < 0.5 * j.Num("mmd2_before"), "200 alternating steps halve the generator's MMD² to the data"),
            ["dsl planar-flow --target banana"] = new(new[] { "--layers", "4", "--steps", "2" }, "kl",
                j => j.Num("kl") >= -4 * j.Num("kl_standard_error"), "the reverse KL to the normalised target is non-negative within 4 SE"),
            ["dsl flow --layers realnvp --data moons"] = new(new[] { "--steps", "30", "--depth", "2", "--hidden", "8", "--cnf-steps", "0" }, "gain_z",
                j => j.Num("gain_z") > 4, "30 maximum-likelihood steps of two couplings beat the standard Gaussian by more than 4 paired SE"),
            ["dsl flow --data moons --steps 1500"] = new(new[] { "--steps", "30", "--depth", "2", "--hidden", "8", "--cnf-steps", "0" }, "test_nll",
                j => j.Num("test_nll") < j.Num("test_nll_before") && Within(j.Num("test_nll_before"), j.Num("baseline_nll"), 1e-5), "the untrained stack is the identity (the standard Gaussian's NLL) and training lowers the test NLL"),
            ["dsl cnf --data moons"] = new(new[] { "--steps", "3" }, "test_nll",
                j => j.Num("test_nll") < j.Num("test_nll_before"), "three maximum-likelihood steps lower the test NLL"),
            ["dsl flow --data moons --export flow-moons.safetensors"] = new(new[] { "--steps", "30", "--depth", "2", "--hidden", "8", "--cnf-steps", "0", "--export", "{out}/flow-moons.safetensors" }, "export",
                j => File.Exists(j.GetProperty("export").GetString()) && j.Num("test_nll") < j.Num("test_nll_before"), "the trained flow's weights are written where the JSON says"),
            ["dsl flow --data moons --init-from flow-moons.safetensors"] = new(new[] { "--steps", "0", "--depth", "2", "--hidden", "8", "--cnf-steps", "0", "--init-from", "{out}/flow-moons-init.safetensors" }, "test_nll",
                j => j.Num("test_nll") < j.Num("baseline_nll") - 0.05, "with 0 steps the flow is the loaded, trained one, not the identity initialisation (the standard Gaussian's NLL)",
                Before: new[] { "flow", "--data", "moons", "--steps", "30", "--depth", "2", "--hidden", "8", "--cnf-steps", "0", "--export", "{out}/flow-moons-init.safetensors" }),
        };

        /// <summary>ᾱ_T of the linear schedule from the printed β₁ and β_T, multiplied out here.</summary>
        private static bool LinearScheduleProduct(JsonElement j)
        {
            int steps = j.GetProperty("T").GetInt32();
            double b1 = j.Num("beta_1"), bT = j.Num("beta_T"), product = 1;
            for (int t = 0; t < steps; t++) product *= 1 - (b1 + (bT - b1) * t / (steps - 1));
            return Within(j.Num("alpha_bar_T"), product, 1e-9 * product);
        }
    }
}
