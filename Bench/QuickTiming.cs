using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using TorchSharp;

namespace Dsl.Bench
{
    /// <summary>One timed .NET row: milliseconds per call (per step for W4), median and minimum.</summary>
    public sealed record TimedRow(string Workload, string Path, string Name, double Median, double Min);

    /// <summary>
    /// <c>dotnet run --project Bench -c Release -- quick [W1 W3 W4 W5 W6 W7] [--rounds 30] [--w4-steps 20] [--threads n] [--json file] [--score-sde path]</c>:
    /// issue 8's workloads without BenchmarkDotNet. The .NET paths of a workload are timed in interleaved rounds (so that a
    /// shared machine's load hits them alike), then its hand-written PyTorch peer runs as a subprocess with the same thread
    /// count, and one markdown table per workload puts them side by side with the issue's target ratio. W2 is W1's autograd
    /// row; W4 runs <c>--w4-steps</c> reverse steps per call (1000 in the BenchmarkDotNet suite) and reports per step. W6 (the
    /// probability-flow likelihood, not in the default selection) adds an accuracy table (error against the ODE's exact value,
    /// NFE, time) beside its peer: score_sde_pytorch's own likelihood.py when <c>--score-sde</c> names a checkout of
    /// yang-song/score_sde_pytorch, the hand-written solve_ivp equivalent otherwise. W7 (the predictor–corrector sampler, not in
    /// the default selection) times whole 1000-step runs and adds an accuracy table (sample mean and std against the truth in
    /// standard errors); its peers are the hand-written PyTorch PC loop and, with <c>--score-sde</c>, score_sde's own sampling.py
    /// as well, both in the same run.
    /// </summary>
    public static class QuickTiming
    {
        private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

        /// <summary>Runs the quick suite with the arguments after <c>quick</c>.</summary>
        public static void Run(string[] args)
        {
            int rounds = 30, w4Steps = 20, threadCount = Environment.ProcessorCount;
            string? jsonPath = null, scoreSde = null;
            var selected = new List<string>();
            for (int i = 0; i < args.Length; i++)
            {
                switch (args[i])
                {
                    case "--rounds": rounds = int.Parse(args[++i], Invariant); break;
                    case "--w4-steps": w4Steps = int.Parse(args[++i], Invariant); break;
                    case "--json": jsonPath = args[++i]; break;
                    case "--threads": threadCount = int.Parse(args[++i], Invariant); break;
                    case "--score-sde": scoreSde = args[++i]; break;
                    default:
                        var w = args[i].ToUpperInvariant();
                        if (w == "W2") w = "W1";
                        if (!Workloads.PeerScripts.ContainsKey(w)) throw new ArgumentException("quick: unknown workload '" + args[i] + "'; valid: W1 (with W2), W3, W4, W5, W6, W7, --rounds n, --w4-steps n, --threads n, --json file, --score-sde path.");
                        if (!selected.Contains(w)) selected.Add(w);
                        break;
                }
            }
            if (rounds < 3 || w4Steps < 1) throw new ArgumentException("quick: --rounds must be ≥ 3 and --w4-steps ≥ 1.");
            if (selected.Count == 0) selected.AddRange(new[] { "W1", "W3", "W4", "W5" });
            // libtorch's intra-op threads (the peers get the same number); --threads 1 on an oversubscribed machine, where
            // parallel libtorch ops stall on their barriers and the timings measure the scheduler instead of the code.
            torch.set_num_threads(threadCount);
            int threads = torch.get_num_threads();
            Console.WriteLine(MachineLine(threads));
            string? missing = PeerRunner.Unavailable();
            if (missing is not null) Console.WriteLine("**PyTorch peer not run:** " + missing + "\n(the .NET rows below are complete; the ratios against PyTorch are left blank)");
            var report = new List<object>();
            foreach (var w in selected)
            {
                var cases = w switch
                {
                    "W1" => Workloads.Langevin(),
                    "W3" => Workloads.Divergence(),
                    "W4" => Workloads.ReverseVp(w4Steps),
                    "W6" => Workloads.Likelihood(),
                    "W7" => Workloads.PredictorCorrector(),
                    _ => Workloads.Ising(),
                };
                int r = w == "W4" ? System.Math.Max(3, rounds / 6) : w == "W6" ? System.Math.Max(3, rounds / 3) : w == "W7" ? System.Math.Max(3, rounds / 10) : rounds;
                var times = Time(cases, r);
                string extra = PeerArguments(w, r, w4Steps) + (w == "W6" && scoreSde is not null ? " --score-sde \"" + scoreSde + "\"" : "");
                string? problem = null;
                var peer = missing is null ? PeerRunner.Run(Workloads.PeerScripts[w], threads, extra, out problem) : null;
                if (missing is null && peer is null) Console.WriteLine("peer failed: " + problem);
                // W7 runs both peers in the same run when a checkout is named: the hand-written one above and score_sde's own sampling.py.
                var pcPeers = new List<PeerResult>();
                if (w == "W7")
                {
                    if (peer is not null) pcPeers.Add(peer);
                    if (missing is null && scoreSde is not null)
                    {
                        var own = PeerRunner.Run(Workloads.PeerScripts[w], threads, extra + " --score-sde \"" + scoreSde + "\"", out var ownProblem);
                        if (own is null) Console.WriteLine("score_sde peer failed: " + ownProblem);
                        else
                        {
                            pcPeers.Add(own);
                            peer = peer is null ? own : peer with { Peer = "both peers", Rows = peer.Rows.Concat(own.Rows).ToList(), Json = "[" + peer.Json + ", " + own.Json + "]" };
                        }
                    }
                }
                var rows = cases.Select((c, k) => new TimedRow(c.Workload, c.Path, c.Name, Median(times[k]), times[k].Min())).ToList();
                Console.WriteLine(Table(w, rows, peer, r + " interleaved rounds"));
                if (w == "W6") Console.WriteLine(LikelihoodTable(rows, Workloads.LikelihoodSdes.ToDictionary(s => s, s => Workloads.LikelihoodAccuracy(s)), peer));
                if (w == "W7") Console.WriteLine(PcAccuracyTable(Workloads.PredictorCorrectorAccuracy(), pcPeers));
                report.Add(new
                {
                    workload = w, rounds = r, threads,
                    rows = cases.Select((c, k) => new { workload = c.Workload, path = c.Path, name = c.Name, ms_median = Median(times[k]), ms_min = times[k].Min() }),
                    peer = peer is null ? (JsonElement?)null : JsonDocument.Parse(peer.Json).RootElement,
                });
            }
            if (jsonPath is not null)
                File.WriteAllText(jsonPath, JsonSerializer.Serialize(new { machine = MachineLine(threads), workloads = report }, new JsonSerializerOptions { WriteIndented = true }));
        }

        /// <summary>The peer script's arguments for workload <paramref name="w"/>.</summary>
        public static string PeerArguments(string w, int rounds, int w4Steps) =>
            (w == "W4" ? "--steps " + w4Steps.ToString(Invariant) + " " : "") + "--rounds " + rounds.ToString(Invariant);

        /// <summary>
        /// Milliseconds per step of each case over <paramref name="rounds"/> interleaved rounds, after each case has warmed up for
        /// at least 3 calls and 1.5 s: tiered compilation promotes a kernel's inner loop to optimised code only after some 30
        /// calls plus a background compile, and a step kernel that draws its noise calls its loop once per block of samples.
        /// </summary>
        public static double[][] Time(IReadOnlyList<BenchCase> cases, int rounds)
        {
            foreach (var c in cases)
            {
                var warm = Stopwatch.StartNew();
                for (int i = 0; i < 3 || warm.Elapsed.TotalSeconds < 1.5; i++) c.Run();
            }
            var times = cases.Select(_ => new double[rounds]).ToArray();
            var clock = new Stopwatch();
            for (int r = 0; r < rounds; r++)
                for (int k = 0; k < cases.Count; k++)
                {
                    clock.Restart();
                    cases[k].Run();
                    times[k][r] = clock.Elapsed.TotalMilliseconds / cases[k].StepsPerCall;
                }
            return times;
        }

        /// <summary>
        /// W6's same-run accuracy table: per SDE, Dsl's and the peer's error against the ODE's exact value (|mean| per dimension),
        /// NFE and median milliseconds per likelihood call, and the time ratio (the issue's targets: error and NFE ≤ the peer's,
        /// time ≤ 0.5×).
        /// </summary>
        public static string LikelihoodTable(IReadOnlyList<TimedRow> rows, IReadOnlyDictionary<string, Dsl.Examples.Experiments.LikelihoodRun> runs, PeerResult? peer)
        {
            var sb = new StringBuilder();
            string peerName = peer?.Peer ?? "peer not run";
            sb.AppendLine(string.Create(Invariant, $"\n#### W6 accuracy (Gaussian data, D = 4, N = 1000, RK45 rtol = atol = 1e-5; errors in nats/dim against the ODE's exact value; peer: {peerName})\n"));
            sb.AppendLine("| SDE | Dsl error | Dsl NFE | Dsl ms | peer error | peer NFE | peer ms | Dsl / peer time |");
            sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
            JsonElement? peerRows = peer is null ? null : JsonDocument.Parse(peer.Json).RootElement.GetProperty("rows");
            foreach (var row in rows)
            {
                var run = runs[row.Path];
                string pe = "", pn = "", pm = "", ratio = "";
                if (peerRows is JsonElement pr && pr.EnumerateArray().FirstOrDefault(e => e.GetProperty("path").GetString() == row.Path) is { ValueKind: JsonValueKind.Object } p)
                {
                    double ms = p.GetProperty("ms_median").GetDouble();
                    pe = p.GetProperty("err_mean_ode_exact").GetDouble().ToString("0.00e+0", Invariant);
                    pn = p.GetProperty("nfe").GetInt32().ToString(Invariant);
                    pm = ms.ToString("F2", Invariant);
                    ratio = (row.Median / ms).ToString("F2", Invariant);
                }
                sb.AppendLine(string.Create(Invariant, $"| {row.Path} | {run.OdeErrNatsPerDim:0.00e+0} | {run.Nfe} | {row.Median:F2} | {pe} | {pn} | {pm} | {ratio} |"));
            }
            return sb.ToString();
        }

        /// <summary>
        /// W7's same-run accuracy table: the fused run's and each peer's final sample mean and std per coordinate beside the truth
        /// (p_ε of the Gaussian data), with the standard errors of N samples (mean: σ/√N; std: σ/√(2N)) and the deviations in SEs.
        /// </summary>
        public static string PcAccuracyTable((double[] Mean, double[] Std, double[] TrueMean, double TrueStd) dsl, IReadOnlyList<PeerResult> peers, int n = 20_000)
        {
            var sb = new StringBuilder();
            double seMean = dsl.TrueStd / System.Math.Sqrt(n), seStd = dsl.TrueStd / System.Math.Sqrt(2.0 * n);
            sb.AppendLine(string.Create(Invariant, $"\n#### W7 accuracy (N = {n}, truth p_ε: mean ({string.Join(", ", dsl.TrueMean.Select(v => v.ToString("F4", Invariant)))}), std {dsl.TrueStd:F4}; SE of a mean {seMean:F4}, of a std {seStd:F4})\n"));
            sb.AppendLine("| sampler | mean | std | mean − truth (SE) | std − truth (SE) |");
            sb.AppendLine("|---|---|---|---|---|");
            void Row(string name, double[] mean, double[] std) =>
                sb.AppendLine(string.Create(Invariant, $"| {name} | {string.Join(", ", mean.Select(v => v.ToString("F4", Invariant)))} | {string.Join(", ", std.Select(v => v.ToString("F4", Invariant)))} | "
                    + $"{string.Join(", ", mean.Select((v, d) => ((v - dsl.TrueMean[d]) / seMean).ToString("+0.0;-0.0", Invariant)))} | {string.Join(", ", std.Select(v => ((v - dsl.TrueStd) / seStd).ToString("+0.0;-0.0", Invariant)))} |"));
            // The sampler's own limit: near t = ε the SNR corrector is unadjusted Langevin with ε = 2α(r‖z‖/‖s‖)² ≈ 2r²σ² on N(μ, σ²I)
            // (mean norms ‖z‖/‖s‖ = σ), whose stationary variance is σ²/(1 − ε/(2σ²)) = σ²/(1 − r²): the std any PC run is biased towards.
            const double snr = 0.16;
            double limit = dsl.TrueStd / System.Math.Sqrt(1 - snr * snr);
            sb.AppendLine(string.Create(Invariant, $"| (the SNR corrector's own limit: σ/√(1 − r²), r = {snr}) | | {limit:F4} | | {(limit - dsl.TrueStd) / seStd:+0.0;-0.0} |"));
            Row("Dsl fused (seed 1)", dsl.Mean, dsl.Std);
            foreach (var peer in peers)
            {
                var root = JsonDocument.Parse(peer.Json).RootElement;
                Row(peer.Peer, root.GetProperty("final_mean").EnumerateArray().Select(e => e.GetDouble()).ToArray(), root.GetProperty("final_std").EnumerateArray().Select(e => e.GetDouble()).ToArray());
            }
            return sb.ToString();
        }

        /// <summary>The median of <paramref name="values"/>.</summary>
        public static double Median(IEnumerable<double> values)
        {
            var s = values.OrderBy(v => v).ToArray();
            return s.Length % 2 == 1 ? s[s.Length / 2] : 0.5 * (s[s.Length / 2 - 1] + s[s.Length / 2]);
        }

        /// <summary>CPU, cores, threads, runtime, load average: the line every table is printed under.</summary>
        public static string MachineLine(int threads)
        {
            string cpu = "unknown CPU";
            try { cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu; } catch (IOException) { }
            string load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
            return string.Create(Invariant, $"{cpu}, {Environment.ProcessorCount} logical cores, libtorch threads {threads}, .NET {Environment.Version}, TorchSharp {typeof(torch).Assembly.GetName().Version}, load average {load} at start ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC)");
        }

        /// <summary>
        /// One workload's markdown table: the .NET rows, the PyTorch peer's rows, and the issue's target ratios computed from the
        /// medians (ms per call; per step for W4).
        /// </summary>
        public static string Table(string w, IReadOnlyList<TimedRow> rows, PeerResult? peer, string how)
        {
            var sb = new StringBuilder();
            string unit = w == "W4" ? "ms per step" : w == "W5" ? "ms per sweep" : w == "W6" ? "ms per likelihood of N = 1000" : w == "W7" ? "ms per sampling run of 1000 steps, N = 20 000" : "ms per call";
            sb.AppendLine(CultureInfo.InvariantCulture, $"\n### {w}{(w == "W1" ? " and W2" : "")} ({how}; {unit}; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at the end)\n");
            sb.AppendLine("| workload | path | what | median | min |");
            sb.AppendLine("|---|---|---|---:|---:|");
            foreach (var row in rows)
                sb.AppendLine(string.Create(Invariant, $"| {row.Workload} | {row.Path} | {row.Name} | {row.Median:F3} | {row.Min:F3} |"));
            if (peer is not null)
                foreach (var row in peer.Rows)
                    sb.AppendLine(string.Create(Invariant, $"| {w} | PyTorch ({peer.Peer}, {peer.Threads} threads) | {row.Path} | {row.MsMedian:F3} | {row.MsMin:F3} |"));
            double Of(string path) => rows.FirstOrDefault(r => r.Path == path)?.Median ?? double.NaN;
            double Peer(string path) => peer?.Rows.FirstOrDefault(r => r.Path == path)?.MsMedian ?? double.NaN;
            // The fastest generated path: the fused kernel, torch ops, or (W5) the generated one-pass or multi-spin-coded sweep.
            string fastestPath = new[] { "fused", "torch-ops", "fused sweep", "multi-spin coded" }.Where(p => !double.IsNaN(Of(p))).OrderBy(Of).FirstOrDefault() ?? "fused";
            double fastest = Of(fastestPath);
            sb.AppendLine();
            switch (w)
            {
                case "W1":
                    sb.AppendLine(Target("W1: fused generated step / hand-written PyTorch step", Of("fused") / Peer("pytorch hand-derived score"), "≤ 0.5", v => v <= 0.5));
                    sb.AppendLine(Target("W2: autograd step / generated analytic (fused) step", Of("eager autograd") / Of("fused"), "≥ 5", v => v >= 5));
                    sb.AppendLine(Target("W2: autograd step / generated analytic (torch ops) step", Of("eager autograd") / Of("torch-ops"), "(for the record)", _ => true));
                    sb.AppendLine(Target("W2 in PyTorch: autograd step / hand-derived step", Peer("pytorch autograd score") / Peer("pytorch hand-derived score"), "(for the record)", _ => true));
                    break;
                case "W3":
                    sb.AppendLine(Target($"W3: generated exact divergence ({fastestPath}) / PyTorch exact autograd loop", fastest / Peer("pytorch exact autograd loop over D"), "≤ 0.2", v => v <= 0.2));
                    sb.AppendLine(Target($"W3: generated exact ({fastestPath}) / PyTorch Hutchinson 1 probe", fastest / Peer("pytorch Hutchinson, 1 probe"), "(for the record)", _ => true));
                    break;
                case "W4":
                    sb.AppendLine(Target($"W4: generated reverse step ({fastestPath}) / hand-written PyTorch step", fastest / Peer("pytorch hand-written reverse EM"), "≤ 0.5", v => v <= 0.5));
                    break;
                case "W7":
                    sb.AppendLine(Target($"W7: generated PC sampler ({fastestPath}) / score_sde_pytorch's sampling.py PC (issue 21: ≤ 0.5)", fastest / Peer("score_sde_pytorch sampling.py PC"), "≤ 0.5", v => v <= 0.5));
                    sb.AppendLine(Target($"W7: generated PC sampler ({fastestPath}) / hand-written PyTorch PC", fastest / Peer("pytorch hand-written PC"), "(for the record)", _ => true));
                    sb.AppendLine(Target($"W7: generic torch-ops PC path / generated ({fastestPath})", Of("generic") / fastest, "(for the record)", _ => true));
                    break;
                case "W5":
                    sb.AppendLine(Target($"W5: hand-written TorchSharp sweep / generated sweep ({fastestPath})", Of("hand-written TorchSharp") / fastest, "≥ 2", v => v >= 2));
                    sb.AppendLine(Target($"W5: generated ({fastestPath}) flips/s", 256.0 * 256 / (fastest / 1000), "", _ => true));
                    sb.AppendLine(Target($"W5: PyTorch checkerboard sweep / generated sweep ({fastestPath}) (issue 21: ≥ 5, and ≥ 1.5·10⁸ flips/s)", Peer("pytorch hand-written checkerboard (rolls)") / fastest, "≥ 5", v => v >= 5));
                    break;
            }
            return sb.ToString();
        }

        private static string Target(string what, double value, string target, Func<double, bool> met) =>
            double.IsNaN(value) ? $"- {what}: n/a (peer not run)"
            : string.Create(Invariant, $"- {what}: **{value:G3}** {target}{(target.StartsWith("(", StringComparison.Ordinal) || target.Length == 0 ? "" : met(value) ? " — met" : " — missed")}");
    }
}
