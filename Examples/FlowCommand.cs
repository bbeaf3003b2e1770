using System.CommandLine;
using System.Linq;
using Dsl.Examples.Experiments;
using Dsl.Models.Data;
using Dsl.Training;

namespace Dsl.Examples
{
    /// <summary>
    /// `dsl flow`: a RealNVP stack of generated affine couplings trained by maximum likelihood on a 2-D toy set, its test NLL
    /// against the standard-Gaussian baseline and, on the same test points, the CNF's (`dsl cnf`).
    /// </summary>
    internal static class FlowCommand
    {
        public static Command Build(GalleryOptions o)
        {
            var layersKind = new Option<string>("--layers") { Description = "realnvp: alternating affine couplings; realnvp-linear: each coupling followed by a generated linear layer (I + W) z + b (both have the closed-form inverse that maximum likelihood on data needs; planar layers train by reverse KL in dsl planar-flow).", DefaultValueFactory = _ => "realnvp" };
            var data = new Option<string>("--data") { Description = "moons, gaussians8, swissroll, checkerboard, ring, or a .csv/.npy/.npz file of N points [N, D] with D even (couplings of K = D/2; a fifth of the rows, at most 500, held out for the test NLL).", DefaultValueFactory = _ => "moons" };
            var standardize = GalleryData.StandardizeOption();
            var depth = new Option<int>("--depth") { Description = "Coupling layers, alternating which coordinate is copied.", DefaultValueFactory = _ => 8 }.AtLeast(1);
            var hidden = new Option<int>("--hidden") { Description = "Width H of the two tanh hidden layers of each coupling's s and t network.", DefaultValueFactory = _ => 32 }.AtLeast(1);
            var steps = new Option<int>("--steps") { Description = "Adam steps of maximum likelihood (batches of 128; 0: evaluate the untrained flow).", DefaultValueFactory = _ => 1500 }.AtLeast(0);
            var lr = new Option<double>("--lr") { Description = "Adam's learning rate.", DefaultValueFactory = _ => 3e-3 }.PositiveFinite();
            var cnfSteps = new Option<int>("--cnf-steps") { Description = "Steps of the CNF trained on the same split for comparison (dsl cnf's training; 0: skip it).", DefaultValueFactory = _ => 200 }.AtLeast(0);
            var command = new Command("flow",
                "Train a RealNVP flow (generated affine couplings: forward, inverse and Σ s log-determinant derived from the equation) by maximum likelihood on a 2D toy set: "
                + "test NLL with its standard error, against the standard Gaussian and against the CNF on the same test points.");
            foreach (var opt in new Option[] { layersKind, data, standardize, depth, hidden, steps, lr, cnfSteps }) command.Options.Add(opt);
            command.SetAction(r => o.Run("flow", r, run =>
            {
                string kind = r.GetValue(layersKind)!;
                if (kind != "realnvp" && kind != "realnvp-linear")
                    return SamplingCommands.Fail("flow", "--layers '" + kind + "' is not supported; valid: realnvp, realnvp-linear (planar layers have no closed-form inverse for the data likelihood: use dsl planar-flow).");
                if (run.Device.type != TorchSharp.DeviceType.CPU)
                    return SamplingCommands.Fail("flow", "--device " + run.Device + " is not supported: the flow run is CPU-only (use --device cpu).");
                var (opened, dataProblem) = GalleryData.TryOpen(r.GetValue(data)!, FamilyRuns.FlowDataNames, r.GetValue(standardize), run.Seed, holdOut: true);
                if (opened is null) return SamplingCommands.Fail("flow", dataProblem!);
                using var dataSet = opened;
                if (dataSet.Dim % 2 != 0)
                    return SamplingCommands.Fail("flow", dataSet.DisplayName + ": D = " + dataSet.Dim + " is odd; RealNVP's couplings split each point into two halves of K = D/2 (give an even number of columns).");
                if (dataSet.Test is null && dataSet.IsFile) return SamplingCommands.Fail("flow", dataSet.DisplayName + ": 1 row; the flow holds a fifth of the rows out for the test NLL, so it needs at least 2.");
                var result = RealNvpExperiment.Run(dataSet, r.GetValue(depth), r.GetValue(hidden), r.GetValue(steps), r.GetValue(lr), run.Seed,
                    run.Progress<TrainingProgress>(p => $"RealNVP step {p.Step}/{p.TotalSteps}, NLL {p.Loss:F3} nats"), run.Cancellation, kind == "realnvp-linear");
                CnfRun? cnf = null;
                if (r.GetValue(cnfSteps) > 0 && !result.Cancelled)
                {
                    try
                    {
                        // --init-from/--export are the RealNVP's; the CNF comparison trains from its own initialisation.
                        cnf = GalleryWeights.Without(() => FamilyRuns.Cnf(dataSet, r.GetValue(cnfSteps), run.Seed, null,
                            run.Progress<TrainingProgress>(p => $"CNF step {p.Step}/{p.TotalSteps}, NLL {p.Loss:F3} nats"), run.Cancellation));
                    }
                    catch (TrainingDivergedException ex) { return SamplingCommands.Fail("flow", "the CNF comparison diverged: " + ex.Message); }
                }
                return run.Finish(new
                {
                    command = "flow", layers = kind, data = dataSet.DisplayName, data_set = dataSet.Json(), dim = dataSet.Dim, depth = result.Layers, hidden = result.Hidden, steps = result.Steps,
                    baseline_nll = result.BaselineNll, test_nll_before = result.TestNllBefore, test_nll = result.TestNll, test_nll_standard_error = result.TestNllStandardError,
                    gain_over_baseline = result.GainOverBaseline, gain_standard_error = result.GainStandardError, gain_z = result.GainZ, train_nll = result.TrainNll,
                    cnf_steps = cnf?.Steps, cnf_test_nll = cnf?.TestNll, cnf_seconds = cnf?.Seconds,
                    seconds = result.Seconds,
                }, result.Cancelled || (cnf?.Cancelled ?? false));
            }, writesFiles: false));
            GalleryWeights.AddTo(command);
            return command;
        }
    }
}
