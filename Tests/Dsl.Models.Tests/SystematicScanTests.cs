using System;
using System.Linq;
using Dsl.Discrete;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// Systematic-scan Gibbs (units 1, 2, …, N in order each sweep, the lecture's pseudocode) beside the random scan, on a fully visible
    /// Boltzmann machine small enough to enumerate: the state histogram of independent chains against the exact distribution.
    /// </summary>
    public class SystematicScanTests
    {
        private const int N = 6;

        private static FullyVisibleBoltzmannMachine Machine(ulong seed)
        {
            var g = new Generator(seed);
            var m = new FullyVisibleBoltzmannMachine(N: N);
            m.to(ScalarType.Float64);
            using (var w = empty(N, N, dtype: ScalarType.Float64).normal_(0, 1, generator: g)) m.SetParameter("W", w);
            using (var b = empty(N, dtype: ScalarType.Float64).normal_(0, 0.5, generator: g)) m.SetParameter("B", b);
            FullyVisibleLearning.SymmetrizeZeroDiagonal(m.get_parameter("W")!);
            return m;
        }

        /// <summary>The chi-square quantile of k degrees of freedom at upper tail 1e-4 (Wilson–Hilferty, z = 3.719).</summary>
        private static double ChiSquareCritical(int k) => k * System.Math.Pow(1 - 2.0 / (9 * k) + 3.719 * System.Math.Sqrt(2.0 / (9 * k)), 3);

        [Theory]
        [InlineData(GibbsScan.Systematic)]
        [InlineData(GibbsScan.Random)]
        public void Gibbs_chains_reach_the_exact_distribution(GibbsScan scan)
        {
            using var scope = NewDisposeScope();
            using var m = Machine(7);
            var g = new Generator(11);
            const int chains = 6000;
            var x = zeros(chains, N, dtype: ScalarType.Float64).bernoulli_(0.5, generator: g);
            FullyVisibleLearning.Gibbs(m, x, 25, g, scan);
            var p = FullyVisibleLearning.ExactProbabilities(m).data<double>().ToArray();
            // state index: Σᵢ xᵢ 2^i, the row order of AllStates (checked below against the enumeration itself)
            var states = FullyVisibleLearning.AllStates(UnitKind.Bits, N);
            var weights = tensor(Enumerable.Range(0, N).Select(i => (double)(1 << i)).ToArray(), ScalarType.Float64);
            Assert.Equal(Enumerable.Range(0, 1 << N).Select(i => (long)i), states.matmul(weights).to_type(ScalarType.Int64).data<long>().ToArray());
            var index = x.matmul(weights).to_type(ScalarType.Int64).data<long>().ToArray();
            var counts = new double[1 << N];
            foreach (var i in index) counts[i]++;
            // Per state: |count − n p| within 4.5 binomial SE; then Pearson's chi-square over states with n p ≥ 5 (the rest pooled).
            double chi = 0, pooledCount = 0, pooledExpected = 0;
            int bins = 0;
            for (int s = 0; s < counts.Length; s++)
            {
                double expected = chains * p[s], se = System.Math.Sqrt(chains * p[s] * (1 - p[s])) + 1e-9;
                Assert.True(System.Math.Abs(counts[s] - expected) <= 4.5 * se + 1, $"{scan}: state {s} count {counts[s]} vs {expected:F1} (SE {se:F2})");
                if (expected >= 5) { chi += (counts[s] - expected) * (counts[s] - expected) / expected; bins++; }
                else { pooledCount += counts[s]; pooledExpected += expected; }
            }
            if (pooledExpected > 0) { chi += (pooledCount - pooledExpected) * (pooledCount - pooledExpected) / pooledExpected; bins++; }
            Assert.True(bins > 20, "enough states to test: " + bins);
            Assert.True(chi < ChiSquareCritical(bins - 1), $"{scan}: chi-square {chi:F1} over {bins} bins, critical {ChiSquareCritical(bins - 1):F1}");
        }

        [Fact]
        public void A_systematic_sweep_updates_every_unit_where_a_random_scan_misses_some()
        {
            // No couplings and biases of +40: a heat-bath update sets its unit to 1 (σ(40) = 1 − 4e−18). One systematic sweep from all zeros
            // sets every unit; one random-scan sweep misses each unit with probability (1 − 1/N)^N ≈ 0.33.
            using var scope = NewDisposeScope();
            var m = new FullyVisibleBoltzmannMachine(N: N);
            m.to(ScalarType.Float64);
            using (var b = ScalarOps.Full(new long[] { N }, 40.0, ScalarType.Float64)) m.SetParameter("B", b);
            var g = new Generator(3);
            var systematic = zeros(500, N, dtype: ScalarType.Float64);
            SpinSamplers.GibbsSweep(m, systematic, 1.0, g, GibbsScan.Systematic);
            Assert.Equal(500.0 * N, systematic.sum().ToDoubleValue());
            var random = zeros(500, N, dtype: ScalarType.Float64);
            SpinSamplers.GibbsSweep(m, random, 1.0, g);
            double missed = 500.0 * N - random.sum().ToDoubleValue(), expectedMissed = 500.0 * N * System.Math.Pow(1 - 1.0 / N, N);
            Assert.True(System.Math.Abs(missed - expectedMissed) < 4 * System.Math.Sqrt(expectedMissed), $"random scan missed {missed} units, expected ≈ {expectedMissed:F0}");
        }
    }
}
