using System;
using System.CommandLine;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using Dsl.Discrete;
using Dsl.Examples.Experiments;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Examples
{
    /// <summary>`dsl ising`: the 2D Ising model by checkerboard sweeps through its generated local fields, against Onsager.</summary>
    internal static class IsingCommand
    {
        public static Command Build(GalleryOptions o)
        {
            var l = new Option<int>("--L") { Description = "Lattice size L (periodic L×L, even: the checkerboard needs it).", DefaultValueFactory = _ => 32 }.EvenInRange(2, MaxSide, Checkerboard);
            var t = new Option<double>("--T") { Description = "Temperature (J = k_B = 1; T_c ≈ 2.269).", DefaultValueFactory = _ => 2.0 }.PositiveFinite();
            var sweeps = new Option<int>("--sweeps") { Description = "Sweeps per chain (the first fifth is burn-in).", DefaultValueFactory = _ => 2000 }.AtLeast(10, " (two are burn-in, the rest measured)");
            var algorithm = new Option<string>("--algorithm") { Description = "metropolis or gibbs (heat bath).", DefaultValueFactory = _ => "metropolis" };
            var chains = new Option<int>("--chains") { Description = "Independent chains (error bars from their spread).", DefaultValueFactory = _ => 8 }.AtLeast(2, " (error bars come from their spread)");
            var multiSpin = new Option<bool>("--multi-spin") { Description = "Sweep with the generated multi-spin-coded sweep (64 spins a machine word) instead of the one-pass checkerboard sweep." };
            var scan = new Option<string?>("--scan") { Description = "Tmin:Tmax:n — a temperature scan with a PNG of |m| and u against T." };
            var command = new Command("ising", "2D Ising model: checkerboard Metropolis or heat-bath sweeps through the generated local fields; |m| and u per site with error bars, Onsager beside them.");
            var shard = new Option<string?>("--shard") { Description = "With --scan: run only shard k of n (k/n) of the temperatures, written as .npy files and a manifest in --out that `dsl merge` combines into exactly the whole scan's figures." };
            foreach (var opt in new Option[] { l, t, sweeps, algorithm, chains, multiSpin, scan, shard }) command.Options.Add(opt);
            command.SetAction(r => o.Run("ising", r, run =>
            {
                string a = r.GetValue(algorithm)!.ToLowerInvariant();
                if (a != "metropolis" && a != "gibbs") return SamplingCommands.Fail("ising", "unknown --algorithm '" + a + "'; valid: metropolis, gibbs.");
                var rule = a == "gibbs" ? SpinUpdate.HeatBath : SpinUpdate.Metropolis;
                int size = r.GetValue(l), n = r.GetValue(sweeps), c = r.GetValue(chains);
                if (LatticeMemory(size, c) is string tooLarge) return SamplingCommands.Fail("ising", tooLarge);
                var temperatures = new[] { r.GetValue(t) };
                string? scanText = r.GetValue(scan);
                if (scanText != null)
                {
                    var parts = scanText.Split(':');
                    if (parts.Length != 3 || !double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var lo)
                        || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var hi) || !int.TryParse(parts[2], out var count) || count < 2 || count > 1000 || !(lo > 0) || !(hi > lo) || !double.IsFinite(hi))
                        return SamplingCommands.Fail("ising", "--scan must be Tmin:Tmax:n with 0 < Tmin < Tmax < ∞ and n in 2…1000, got '" + scanText + "'.");
                    temperatures = Enumerable.Range(0, count).Select(i => lo + (hi - lo) * i / (count - 1)).ToArray();
                }
                if (Shard.TryParse(r.GetValue(shard), out var part) is string badShard) return SamplingCommands.Fail("ising", badShard);
                bool multi = r.GetValue(multiSpin);
                var config = new IsingConfig(size, temperatures, a, n, c, multi);
                // One temperature per block: each is its own set of chains, seeded by --seed as a run at that temperature alone is.
                return ShardedRun.Execute(run, IsingScanCommand.Instance, config, new RowBlocks(temperatures.Length, 1), part, false, (block, start, rows, seed) =>
                {
                    var x = IsingRun.Run(size, temperatures[start], n, rule, c, run.Seed, multiSpin: multi);
                    var output = new BlockOutput();
                    output.Rows["observables"] = tensor(new[]
                    {
                        x.Temperature, x.AbsMagnetization, x.AbsMagnetizationError, x.EnergyPerSite, x.EnergyPerSiteError, x.ExactMagnetization, x.ExactEnergyPerSite,
                        x.SpecificHeat, x.SpecificHeatError, x.Susceptibility, x.SusceptibilityError, x.FlipsPerSecond,
                    }, new long[] { 1, 12 }, ScalarType.Float64);
                    if (start == temperatures.Length - 1) output.Rows["lattice"] = tensor(x.Lattice, new long[] { 1, x.Lattice.Length }, ScalarType.Float64);
                    return output;
                });
            }));
            return command;
        }

        /// <summary>`dsl bench ising`: checkerboard Metropolis sweeps of a 256×256 lattice through the generated local fields.</summary>
        public static Command BuildBench(GalleryOptions o)
        {
            var l = new Option<int>("--L") { Description = "Lattice side (even: the checkerboard needs it).", DefaultValueFactory = _ => 256 }.EvenInRange(2, MaxSide, Checkerboard);
            var repeats = new Option<int>("--repeats") { Description = "Timed sweeps (after the warm-up).", DefaultValueFactory = _ => 20 }.AtLeast(1);
            var warmup = QuickTiming.WarmupOption();
            var command = new Command("ising", "Checkerboard Metropolis sweep of an L×L Ising lattice (default 256×256, T = 2.27) on every generated path (one-pass sweep, fused flip energies, torch ops): spin updates per second of the fastest.");
            command.Options.Add(l);
            command.Options.Add(repeats);
            command.Options.Add(warmup);
            command.SetAction(r => o.Run("bench ising", r, run =>
            {
                int side = r.GetValue(l), reps = r.GetValue(repeats);
                double warm = r.GetValue(warmup);
                if (LatticeMemory(side, 1) is string tooLarge) return SamplingCommands.Fail("bench ising", tooLarge);
                TorchSharp.torch.set_num_threads(Environment.ProcessorCount);
                using var scope = TorchSharp.torch.NewDisposeScope();
                var model = new Dsl.Models.LatticeIsing(N: side * side) { L = side };
                var g = new TorchSharp.torch.Generator((ulong)run.Seed);
                var spins = TorchSharp.torch.empty(1, side * side).bernoulli_(0.5, generator: g).Mul_(2).Sub_(1);
                var even = Dsl.Models.IsingLattice.Checkerboard(side).to_type(TorchSharp.torch.ScalarType.Bool);
                var odd = even.logical_not();
                // Both generated paths; the fastest is reported, the others beside it. Under Auto (or Fused) Sweep takes the generated
                // one-pass checkerboard sweep (even L); the fused flip energies with the generic rule are UpdateColour under Fused.
                Timing? Time(KernelPath path, bool perColour = false)
                {
                    model.Kernels = path;
                    return QuickTiming.Measure(reps, warm, () =>
                    {
                        if (!perColour) SpinSamplers.Sweep(model, spins, even, 1 / 2.27, SpinUpdate.Metropolis, g);
                        else
                        {
                            SpinSamplers.UpdateColour(model, spins, even, 1 / 2.27, SpinUpdate.Metropolis, g);
                            SpinSamplers.UpdateColour(model, spins, odd, 1 / 2.27, SpinUpdate.Metropolis, g);
                        }
                        return TorchSharp.torch.empty(0);
                    });
                }
                model.Kernels = KernelPath.Auto;
                bool onePass = SpinSamplers.TakesGeneratedSweep(model, spins, even);
                Timing? sweep = onePass ? Time(KernelPath.Auto) : null;
                Timing fused = Time(KernelPath.Fused, perColour: true)!, torchOps = Time(KernelPath.TorchOps)!;
                // The multi-spin-coded sweep, 64 spins a word: MultiSweepBatch sweeps a call (the packing into bits is paid once per call).
                model.Kernels = KernelPath.Auto;
                ulong key = CounterRandom.KeyFrom(g);
                long sweepNumber = 0;
                var batch = QuickTiming.Measure(reps, warm, () =>
                {
                    model.MultiSpinSweep(spins, 1 / 2.27, SpinUpdate.Metropolis, key, sweepNumber, MultiSweepBatch);
                    sweepNumber += MultiSweepBatch;
                    return TorchSharp.torch.empty(0);
                });
                var multiSpin = new Timing(batch.WarmMs / MultiSweepBatch, batch.ColdMs / MultiSweepBatch, batch.WarmupCalls, batch.WarmupSeconds);
                var timed = new[] { ("multi-spin coded", (Timing?)multiSpin), ("fused sweep", sweep), ("fused", (Timing?)fused), ("torch-ops", (Timing?)torchOps) }.Where(t => t.Item2 is not null).OrderBy(t => t.Item2!.WarmMs).ToList();
                double ms = timed[0].Item2!.WarmMs;
                return run.Finish(new
                {
                    command = "bench ising", l = side, algorithm = "metropolis", path = timed[0].Item1, ms_per_sweep = ms,
                    flips_per_second = side * (double)side / (ms / 1000), cold_ms_per_sweep = timed[0].Item2!.ColdMs,
                    warmup_calls = timed[0].Item2!.WarmupCalls, warmup_seconds = timed[0].Item2!.WarmupSeconds,
                    ms_per_sweep_multi_spin = multiSpin.WarmMs, ms_per_sweep_fused_sweep = sweep?.WarmMs,
                    ms_per_sweep_fused = fused.WarmMs, ms_per_sweep_torch_ops = torchOps.WarmMs,
                    repeats = reps, threads = TorchSharp.torch.get_num_threads(),
                }, false);
            }, writesFiles: false));
            return command;
        }

        /// <summary>Why --L must be even: colouring a periodic lattice like a chess board needs an even side, else two neighbours share a colour.</summary>
        /// <summary>The largest even side whose L² sites fit the model's int size.</summary>
        private const int MaxSide = 46_340;

        /// <summary>Sweeps per multi-spin-coded call in `bench ising`, as a long run calls it.</summary>
        private const int MultiSweepBatch = 20;

        private const string Checkerboard = " (a periodic lattice has a checkerboard colouring only for even L)";

        /// <summary>
        /// The chains' spins (float32, L² each) and the per-sweep buffers of the sweep (local fields, flip energies, acceptance draws and
        /// masks): about eight L² float32 tensors per chain; an L of 100 000 is refused here, not after a minute of allocating.
        /// </summary>
        private static string? LatticeMemory(int side, int chains) =>
            MemoryBudget.Refusal("--L " + side + " with " + chains + " chain" + (chains == 1 ? "" : "s"), (double)side * side * chains, 4, 8);
    }

    /// <summary>The configuration of a `dsl ising` run (one temperature or a scan): everything its figures depend on besides the seed.</summary>
    internal sealed record IsingConfig(int L, double[] Temperatures, string Algorithm, int Sweeps, int Chains, bool MultiSpin);

    /// <summary>`dsl ising` (and its --scan) with one temperature a row: the figures from every temperature's observables.</summary>
    internal sealed class IsingScanCommand : ShardableCommand
    {
        public static readonly IsingScanCommand Instance = new();

        public override string Name => "ising";

        public override object Summarise(JsonElement configJson, RunRows rows, GalleryRun run, long seed, bool saveSamples)
        {
            var config = configJson.Deserialize<IsingConfig>()!;
            int size = config.L;
            var table = rows.Array("observables")!;
            var results = Enumerable.Range(0, (int)table.shape[0]).Select(i => table[i].contiguous().data<double>().ToArray()).ToList();
            var last = results[results.Count - 1];
            double lastT = last[0];
            var latticeValues = rows.Array("lattice")!.contiguous().data<double>().ToArray();
            var lattice = Plots.ImageGrid(run.Output($"ising-L{size}-T{lastT.ToString("F2", CultureInfo.InvariantCulture)}.png"),
                $"Ising L = {size}, T = {lastT:F2} (chain 1, last sweep)", new[] { latticeValues.Select(s => (s + 1) / 2).ToArray() }, size, size, 1);
            string? scanPng = null;
            if (results.Count > 1)
            {
                var ts = results.Select(x => x[0]).ToArray();
                var fine = Enumerable.Range(0, 200).Select(i => ts[0] + (ts[ts.Length - 1] - ts[0]) * i / 199.0).ToArray();
                scanPng = Plots.Line(run.Output($"ising-scan-L{size}.png"), $"Ising L = {size}: |m| and u per site against T", "T", "per site", new[]
                {
                    ("|m| (sampled)", ts, results.Select(x => x[1]).ToArray()),
                    ("|m| Onsager", fine, fine.Select(x => Onsager.Magnetization(x)).ToArray()),
                    ("u (sampled)", ts, results.Select(x => x[3]).ToArray()),
                    ("u Onsager", fine, fine.Select(x => Onsager.EnergyPerSite(x)).ToArray()),
                });
            }
            return new
            {
                command = "ising", l = size, temperature = lastT, algorithm = config.Algorithm, sweep = config.MultiSpin ? "multi-spin coded" : "one-pass", sweeps = config.Sweeps, chains = config.Chains,
                abs_magnetization = last[1], abs_magnetization_error = last[2],
                energy_per_site = last[3], energy_per_site_error = last[4],
                onsager_magnetization = last[5], onsager_energy_per_site = last[6],
                specific_heat = last[7], specific_heat_error = last[8],
                susceptibility = last[9], susceptibility_error = last[10],
                flips_per_second = last[11], blocks = results.Count, lattice_png = lattice, scan_png = scanPng,
                scan = results.Count > 1 ? results.Select(x => new { t = x[0], abs_magnetization = x[1], energy_per_site = x[3], specific_heat = x[7], susceptibility = x[9] }) : null,
            };
        }
    }
}
