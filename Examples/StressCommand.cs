using System;
using System.CommandLine;
using System.Linq;
using Dsl.Examples.Experiments;

namespace Dsl.Examples
{
    /// <summary>
    /// `dsl stress`: the long version of the concurrency test (Tests/Dsl.Models.Tests ConcurrencyStressTests runs the same
    /// harness for ~20 s): worker threads share one model, SDE and time-score model and call every public sampler, solver,
    /// likelihood, loss, trainer step and generated method while another thread forces garbage collections. Prints the
    /// operation count and the failures per kind; exit code 1 when any operation failed.
    /// </summary>
    internal static class StressCommand
    {
        public static Command Build(GalleryOptions o)
        {
            var threads = new Option<int>("--threads") { Description = "Worker threads sharing the models.", DefaultValueFactory = _ => 6 }.InRange(1, 256);
            var operations = new Option<long>("--ops") { Description = "Operations to run in total.", DefaultValueFactory = _ => 1_000_000 }.AtLeast(1);
            var minutes = new Option<double>("--minutes") { Description = "Stop after this long even if --ops is not reached.", DefaultValueFactory = _ => 60 }.PositiveFinite();
            var stress = new Command("stress", "Concurrency stress: threads × every sampler, solver, likelihood, loss, trainer step and generated method, with a GC-forcing thread; failures must be 0.");
            stress.Options.Add(threads);
            stress.Options.Add(operations);
            stress.Options.Add(minutes);
            stress.SetAction(r => o.Run("stress", r, run =>
            {
                int t = r.GetValue(threads);
                long n = r.GetValue(operations);
                double m = r.GetValue(minutes);
                var progress = run.Progress<long>(done => done + " of " + n + " operations");
                var result = ConcurrencyStress.Run(t, n, TimeSpan.FromMinutes(m), run.Seed, progress, run.Cancellation);
                if (!run.Json)
                    foreach (var kind in result.OperationsByKind.OrderBy(k => k.Key, StringComparer.Ordinal))
                        Console.WriteLine($"{kind.Key,-42} {kind.Value,10} ok {(result.FailuresByKind.TryGetValue(kind.Key, out var f) ? f : 0),6} failed");
                foreach (var failure in result.FirstFailureByKind) Console.Error.WriteLine("dsl stress: " + failure.Key + ": " + failure.Value);
                int code = run.Finish(new
                {
                    threads = t, operations = result.Operations, failures = result.Failures, seconds = result.Seconds,
                    operations_per_second = result.Operations / result.Seconds, forced_collections = result.Collections,
                    by_kind = result.OperationsByKind, failures_by_kind = result.FailuresByKind,
                }, run.Cancellation.IsCancellationRequested);
                return result.Failures > 0 ? 1 : code;
            }));
            return stress;
        }
    }
}
