using System;
using System.Linq;
using Dsl.Examples.Experiments;
using Xunit.Abstractions;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// Concurrency is a tested promise: worker threads share one model, SDE and time-score model and call every public
    /// sampler, solver, likelihood, loss, trainer step and generated method while another thread forces collections and
    /// waits for finalizers every few milliseconds (the conditions under which TorchSharp's implicit Scalars were freed
    /// mid-call: 78 failures in 34 385 operations before the fix). The long version is `dsl stress` (docs/concurrency.md).
    /// </summary>
    public class ConcurrencyStressTests
    {
        private readonly ITestOutputHelper output;

        public ConcurrencyStressTests(ITestOutputHelper output) => this.output = output;

        [Fact]
        public void Threads_sharing_the_models_under_forced_collections_see_no_failure()
        {
            var result = ConcurrencyStress.Run(threads: 4, operations: long.MaxValue, maxDuration: TimeSpan.FromSeconds(20), seed: 17);
            output.WriteLine($"{result.Operations} operations in {result.Seconds:F1} s, {result.Collections} forced collections");
            foreach (var kind in result.OperationsByKind.OrderBy(k => k.Key, StringComparer.Ordinal)) output.WriteLine(kind.Key + ": " + kind.Value);
            Assert.True(result.Failures == 0, result.Failures + " of " + result.Operations + " operations failed:\n"
                + string.Join("\n", result.FirstFailureByKind.Select(f => f.Key + " (" + result.FailuresByKind[f.Key] + "×): " + f.Value)));
            // Every kind ran, more than once (a kind that silently stopped running would hide its race).
            Assert.Equal(22, result.OperationsByKind.Count);
            Assert.All(result.OperationsByKind, kind => Assert.True(kind.Value >= 2, kind.Key + " ran " + kind.Value + " time(s)"));
            Assert.True(result.Collections > 100, "only " + result.Collections + " forced collections");
        }
    }
}
