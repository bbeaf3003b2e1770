using System;
using System.Linq;
using Dsl.Discrete;
using Dsl.GeneratedCode;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// The generated multi-spin-coded sweep (64 units a word, bit-sliced threshold comparison) against exact statistics: the 4×4
    /// Boltzmann distribution by enumeration and Onsager's energy and magnetisation on lattices whose half rows are one word, several
    /// words, and not a multiple of 64 bits.
    /// </summary>
    public class MultiSpinSweepTests
    {
        private static IMultiSpinSweepModel Model(string name, int l, double h) => name switch
        {
            "LatticeIsing" => new LatticeIsing(N: l * l) { L = l, J = 0.8, H = h },
            _ => new AnisotropicIsing(N: l * l) { L = l, Jx = 1.0, Jy = 0.5, H = h },
        };

        private static Tensor RandomSpins(int chains, int sites, ulong seed, ScalarType dtype = ScalarType.Float64) =>
            empty(chains, sites, dtype: dtype).bernoulli_(0.5, generator: new Generator(seed)).Mul_(2).Sub_(1);

        [Theory]
        [InlineData("LatticeIsing", 1.8, 0.0, SpinUpdate.Metropolis)]
        [InlineData("LatticeIsing", 3.0, 0.25, SpinUpdate.HeatBath)]
        [InlineData("AnisotropicIsing", 2.2, 0.3, SpinUpdate.Metropolis)]
        [InlineData("AnisotropicIsing", 4.0, -0.4, SpinUpdate.HeatBath)]
        public void Sweeps_sample_the_Boltzmann_distribution_of_a_4x4_lattice(string name, double temperature, double h, SpinUpdate rule)
        {
            using var scope = NewDisposeScope();
            var model = Model(name, 4, h);
            double beta = 1 / temperature;
            var exact = CheckerboardSweepTests.Exact(model, beta);
            const int chains = 512, burn = 100, measured = 400;
            var units = RandomSpins(chains, 16, 11);
            var (e, m, m2) = (zeros(chains, dtype: ScalarType.Float64), zeros(chains, dtype: ScalarType.Float64), zeros(chains, dtype: ScalarType.Float64));
            ulong key = CounterRandom.KeyFrom(new Generator(5));
            model.MultiSpinSweep(units, beta, rule, key, 0, burn);
            for (int sweep = 0; sweep < measured; sweep++)
            {
                model.MultiSpinSweep(units, beta, rule, key, burn + sweep, 1);
                using var inner = NewDisposeScope();
                var mNow = units.mean(new long[] { 1 });
                e.Add_(model.EnergyNoGrad(units).Div(16));
                m.Add_(mNow);
                m2.Add_(mNow.Square());
            }
            // Per-chain time averages are independent across chains: the standard error of their mean is their spread / √chains.
            void Check(string what, Tensor perChain, double truth)
            {
                var averages = perChain.Div(measured);
                double mean = averages.mean().item<double>(), error = averages.std().item<double>() / Math.Sqrt(chains);
                Assert.True(Math.Abs(mean - truth) <= 4 * error + 1e-3,
                    $"{name} T = {temperature} H = {h} {rule}: {what} = {mean:F4} ± {error:F4}, exact {truth:F4}");
            }
            Check("E/N", e, exact.Energy);
            Check("m", m, exact.M);
            Check("m²", m2, exact.M2);
        }

        /// <summary>
        /// The engine on its own, with flip energies written here, for what no model in Models/ has: bits (a lattice gas
        /// E = −J Σ⟨ij⟩ bᵢbⱼ − μ Σ bᵢ, ΔEᵢ = (1 − 2bᵢ)(−J Σ nb − μ)) and a stencil beyond the nearest neighbours (spins coupled at
        /// (0, ±3) ≡ (0, ∓1) and at the knight's moves ±(1, 2)), against the exact 4×4 averages of E/N and the mean unit.
        /// </summary>
        [Theory]
        [InlineData(true, SpinUpdate.Metropolis)]
        [InlineData(true, SpinUpdate.HeatBath)]
        [InlineData(false, SpinUpdate.Metropolis)]
        [InlineData(false, SpinUpdate.HeatBath)]
        public void The_engine_samples_a_lattice_gas_and_a_longer_stencil_exactly(bool gas, SpinUpdate rule)
        {
            using var scope = NewDisposeScope();
            const int l = 4, sites = 16;
            double j = gas ? 0.9 : 0.35, mu = -0.6, beta = 1.0;
            int[] offsets = gas ? new[] { 1, 0, -1, 0, 0, 1, 0, -1 } : new[] { 0, 3, 0, -3, 1, 2, -1, -2 };
            double Energy(Func<int, double> unit)
            {
                double e = 0;
                for (int r = 0; r < l; r++)
                    for (int c = 0; c < l; c++)
                        e += gas
                            ? -j * unit(r * l + c) * (unit(((r + 1) % l) * l + c) + unit(r * l + (c + 1) % l)) - mu * unit(r * l + c)
                            : -j * unit(r * l + c) * (unit(r * l + (c + 3) % l) + unit(((r + 1) % l) * l + (c + 2) % l));
                return e;
            }
            ConfigurationFlipEnergy flip = gas
                ? (u, nb) => (1 - 2 * u) * (-j * (nb[0] + nb[1] + nb[2] + nb[3]) - mu)
                : (u, nb) => 2 * j * u * (nb[0] + nb[1] + nb[2] + nb[3]);
            // Exact averages over the 2¹⁶ states.
            double z = 0, eMean = 0, uMean = 0;
            for (int code = 0; code < 1 << sites; code++)
            {
                Func<int, double> unit = i => ((code >> i) & 1) == 1 ? 1 : gas ? 0 : -1;
                double e = Energy(unit), w = Math.Exp(-beta * e), mean = 0;
                for (int i = 0; i < sites; i++) mean += unit(i) / sites;
                z += w; eMean += w * e / sites; uMean += w * mean;
            }
            eMean /= z; uMean /= z;
            const int chains = 512, burn = 100, measured = 300;
            var units = empty(chains, sites, dtype: ScalarType.Float64).bernoulli_(0.5, generator: new Generator(4));
            if (!gas) units.Mul_(2).Sub_(1);
            ulong key = CounterRandom.KeyFrom(new Generator(6));
            MultiSpinSweeps.Run("Engine", units, sites, l, offsets, flip, beta, rule, !gas, key, 0, burn);
            var eSum = new double[chains];
            var uSum = new double[chains];
            for (int sweep = 0; sweep < measured; sweep++)
            {
                MultiSpinSweeps.Run("Engine", units, sites, l, offsets, flip, beta, rule, !gas, key, burn + sweep, 1);
                var values = units.data<double>().ToArray();
                for (int b = 0; b < chains; b++)
                {
                    eSum[b] += Energy(i => values[b * sites + i]) / sites / measured;
                    uSum[b] += values.Skip(b * sites).Take(sites).Average() / measured;
                }
            }
            void Check(string what, double[] perChain, double truth)
            {
                double mean = perChain.Average(), error = Math.Sqrt(perChain.Select(v => (v - mean) * (v - mean)).Sum() / (chains - 1) / chains);
                Assert.True(Math.Abs(mean - truth) <= 4 * error + 1e-3, $"{(gas ? "gas" : "far")} {rule}: {what} = {mean:F4} ± {error:F4}, exact {truth:F4}");
            }
            Check("E/N", eSum, eMean);
            Check("mean unit", uSum, uMean);
        }

        /// <summary>
        /// L = 128: a half row is one word (the aligned path); L = 196: 98 bits, two words with a partial last one (the general
        /// path). Chains start ordered below T_c and random above it; E/N and |m| against Onsager's infinite lattice, the tolerance
        /// 4 standard errors over chains plus 0.01 for finite size and the remaining burn-in.
        /// </summary>
        [Theory]
        [InlineData(128, 1.8, SpinUpdate.Metropolis)]
        [InlineData(128, 3.5, SpinUpdate.HeatBath)]
        [InlineData(196, 2.0, SpinUpdate.HeatBath)]
        [InlineData(196, 3.2, SpinUpdate.Metropolis)]
        public void Large_lattices_match_Onsager(int l, double temperature, SpinUpdate rule)
        {
            using var scope = NewDisposeScope();
            var model = new LatticeIsing(N: l * l) { L = l, J = 1.0, H = 0.0 };
            const int chains = 4, burn = 150, measured = 150;
            bool ordered = temperature < Onsager.CriticalTemperature();
            var units = ordered ? ones(chains, l * l, dtype: ScalarType.Float32) : RandomSpins(chains, l * l, 2, ScalarType.Float32);
            ulong key = CounterRandom.KeyFrom(new Generator(9));
            double beta = 1 / temperature;
            model.MultiSpinSweep(units, beta, rule, key, 0, burn);
            var e = zeros(chains, dtype: ScalarType.Float64);
            var m = zeros(chains, dtype: ScalarType.Float64);
            for (int sweep = 0; sweep < measured; sweep++)
            {
                model.MultiSpinSweep(units, beta, rule, key, burn + sweep, 1);
                using var inner = NewDisposeScope();
                e.Add_(model.EnergyNoGrad(units).to_type(ScalarType.Float64).Div((double)l * l));
                m.Add_(units.to_type(ScalarType.Float64).mean(new long[] { 1 }).abs());
            }
            double Mean(Tensor t) => t.Div(measured).mean().item<double>();
            double Error(Tensor t) => t.Div(measured).std().item<double>() / Math.Sqrt(chains);
            Assert.True(Math.Abs(Mean(e) - Onsager.EnergyPerSite(temperature)) <= 4 * Error(e) + 0.01,
                $"L = {l} T = {temperature} {rule}: E/N = {Mean(e):F4} ± {Error(e):F4}, Onsager {Onsager.EnergyPerSite(temperature):F4}");
            if (ordered)
                Assert.True(Math.Abs(Mean(m) - Onsager.Magnetization(temperature)) <= 4 * Error(m) + 0.01,
                    $"L = {l} T = {temperature} {rule}: |m| = {Mean(m):F4} ± {Error(m):F4}, Onsager {Onsager.Magnetization(temperature):F4}");
            else Assert.True(Mean(m) < 0.05, $"L = {l} T = {temperature}: |m| = {Mean(m):F4} should be near 0");
        }

        [Fact]
        public void Sweeps_are_a_function_of_the_key_and_sweep_numbers_in_either_precision()
        {
            using var scope = NewDisposeScope();
            var model = Model("AnisotropicIsing", 64, 0.1);
            ulong key = CounterRandom.KeyFrom(new Generator(3));
            var once = RandomSpins(3, 64 * 64, 1);
            var split = once.clone();
            var single = once.to_type(ScalarType.Float32);
            long changedOnce = model.MultiSpinSweep(once, 0.45, SpinUpdate.Metropolis, key, 0, 4);
            long changedSplit = model.MultiSpinSweep(split, 0.45, SpinUpdate.Metropolis, key, 0, 1) + model.MultiSpinSweep(split, 0.45, SpinUpdate.Metropolis, key, 1, 3);
            model.MultiSpinSweep(single, 0.45, SpinUpdate.Metropolis, key, 0, 4);
            Assert.True(once.eq(split).all().item<bool>(), "4 sweeps at once differ from 1 + 3");
            Assert.Equal(changedOnce, changedSplit);
            Assert.True(once.eq(single.to_type(ScalarType.Float64)).all().item<bool>(), "float32 and float64 units took different paths");
            var other = RandomSpins(3, 64 * 64, 1);
            model.MultiSpinSweep(other, 0.45, SpinUpdate.Metropolis, key ^ 1, 0, 4);
            Assert.False(once.eq(other).all().item<bool>(), "another key gave the same chains");
            Assert.True(changedOnce > 0 && once.abs().eq(1).all().item<bool>());
        }

        [Fact]
        public void Bad_input_is_refused_naming_the_model_and_the_argument()
        {
            var model = Model("LatticeIsing", 8, 0);
            var units = RandomSpins(2, 64, 1);
            Assert.Contains("sweeps", Assert.Throws<ArgumentException>(() => model.MultiSpinSweep(units, 1.0, SpinUpdate.Metropolis, 1, 0, -1)).Message);
            Assert.Contains("LatticeIsing", Assert.Throws<ArgumentException>(() => model.MultiSpinSweep(units.mul(0.5), 1.0, SpinUpdate.Metropolis, 1)).Message);
            Assert.Contains("LatticeIsing", Assert.Throws<ArgumentException>(() => model.MultiSpinSweep(units, -1.0, SpinUpdate.Metropolis, 1)).Message);
            var e = Assert.Throws<ArgumentException>(() => MultiSpinSweeps.Run("M", units, 64, 8, new[] { 1, 1 }, (u, nb) => 0, 1.0, SpinUpdate.Metropolis, true, 1, 0, 1));
            Assert.Contains("own colour", e.Message);
        }
    }
}
