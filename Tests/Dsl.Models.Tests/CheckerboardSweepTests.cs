using System;
using System.Linq;
using Dsl.Discrete;
using Dsl.GeneratedCode;
using Dsl.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// The generated one-pass checkerboard sweep (<see cref="ILatticeSweepModel.CheckerboardSweep"/>): it makes exactly the decisions of
    /// the single-site rule applied to the torch-op flip energies with the same uniforms, samples the Boltzmann distribution of a 4×4
    /// lattice (exact enumeration of its 2¹⁶ states), is reproducible, and refuses bad input naming the model.
    /// </summary>
    public class CheckerboardSweepTests
    {
        private static ILatticeSweepModel Model(string name, double h) => name switch
        {
            "LatticeIsing" => new LatticeIsing(N: 16) { L = 4, J = 0.8, H = h },
            _ => new AnisotropicIsing(N: 16) { L = 4, Jx = 1.0, Jy = 0.5, H = h },
        };

        private static ILatticeSweepModel Sized(string name, int l, double h) => name switch
        {
            "LatticeIsing" => new LatticeIsing(N: l * l) { L = l, J = 0.8, H = h },
            _ => new AnisotropicIsing(N: l * l) { L = l, Jx = 1.2, Jy = -0.5, H = h },
        };

        /// <summary>
        /// The reference: colour by colour, ΔE from the generated torch-op FlipEnergyDifferences, the uniforms the sweep documents, and the
        /// rule written out (Metropolis: flip when u &lt; e^{−βΔE}; heat bath: up when u &lt; σ(−β·ΔE(down → up))).
        /// </summary>
        private static (Tensor Units, long Changed, long Rejected) Reference(ILatticeSweepModel model, Tensor units, double beta, SpinUpdate rule, ulong key, long sweep)
        {
            int l = (int)model.LatticeSide;
            long n = units.shape[0], sites = units.shape[1];
            var values = units.to_type(ScalarType.Float64).data<double>().ToArray();
            long changed = 0, rejected = 0;
            for (int colour = 0; colour < 2; colour++)
            {
                // ΔE in float64 whatever the units' dtype: the sweep computes in double, and a float32 ΔE would move the thresholds by ~1e-7.
                using var current = tensor(values, new long[] { n, sites }, dtype: ScalarType.Float64);
                var flipEnergy = model.FlipEnergyDifferencesNoGrad(current).data<double>().ToArray();
                for (long b = 0; b < n; b++)
                    for (int i = 0; i < sites; i++)
                    {
                        if (((i / l) + (i % l)) % 2 != colour) continue;
                        double u = CheckerboardSweeps.Uniform(key, sweep, colour, b, sites, i);
                        double s = values[b * sites + i], dE = flipEnergy[b * sites + i];
                        double next;
                        if (rule == SpinUpdate.Metropolis)
                        {
                            bool accept = u < System.Math.Exp(-beta * dE);
                            if (!accept) rejected++;
                            next = accept ? -s : s;
                        }
                        else next = u < 1 / (1 + System.Math.Exp(-beta * s * dE)) ? 1 : -1;   // σ(−β·ΔE(down → up)) with ΔE(down → up) = −sΔE
                        if (next != s) { values[b * sites + i] = next; changed++; }
                    }
            }
            var x = tensor(values, new long[] { n, sites }, dtype: ScalarType.Float64).to_type(units.dtype);
            return (x, changed, rejected);
        }

        [Theory]
        [InlineData("LatticeIsing", 6, 3, SpinUpdate.Metropolis, ScalarType.Float64)]
        [InlineData("AnisotropicIsing", 6, 3, SpinUpdate.Metropolis, ScalarType.Float64)]
        [InlineData("AnisotropicIsing", 6, 2, SpinUpdate.HeatBath, ScalarType.Float32)]
        [InlineData("LatticeIsing", 128, 2, SpinUpdate.Metropolis, ScalarType.Float32)]   // several row blocks per chain: the parallel path
        public void The_sweep_makes_exactly_the_decisions_of_the_rule_on_the_generated_flip_energies(string name, int l, int chains, SpinUpdate rule, ScalarType dtype)
        {
            using var scope = NewDisposeScope();
            var model = Sized(name, l, 0.3);
            ((ParameterModule)model).Kernels = KernelPath.TorchOps;   // the reference's ΔE by torch ops; the sweep itself ignores Kernels
            var units = empty(chains, l * l, dtype: dtype).bernoulli_(0.5, generator: new Generator(5)).Mul_(2).Sub_(1);
            const double beta = 1 / 2.3;
            const ulong key = 0x1234_5678_9ABC_DEF0UL;
            for (long sweep = 0; sweep < 3; sweep++)
            {
                var (expected, changed, rejected) = Reference(model, units, beta, rule, key, sweep);
                long reported = model.CheckerboardSweep(units, beta, rule, key, sweep);
                Assert.True(units.eq(expected).all().item<bool>(), $"{name} sweep {sweep}: {units.ne(expected).sum().item<long>()} units differ from the rule");
                Assert.Equal(changed, reported);
                Assert.True(changed > 0 && (rule == SpinUpdate.HeatBath || rejected > 0), $"changed {changed}, rejected {rejected}: the test must see both outcomes");
            }
        }

        /// <summary>Exact ⟨E⟩/N, ⟨m⟩ and ⟨m²⟩ over all 2¹⁶ states of the 4×4 lattice, from the model's own energy.</summary>
        internal static (double Energy, double M, double M2) Exact(ILatticeSweepModel model, double beta)
        {
            using var scope = NewDisposeScope();
            var all = new double[(1 << 16) * 16];
            for (int code = 0; code < 1 << 16; code++)
                for (int i = 0; i < 16; i++) all[code * 16 + i] = ((code >> i) & 1) == 1 ? 1 : -1;
            var states = tensor(all, new long[] { 1 << 16, 16 }, dtype: ScalarType.Float64);
            var energy = model.EnergyNoGrad(states);
            var logWeight = energy.Mul(-beta);
            var p = (logWeight - logWeight.logsumexp(0)).exp();
            var m = states.mean(new long[] { 1 });
            return ((p * energy).sum().item<double>() / 16, (p * m).sum().item<double>(), (p * m * m).sum().item<double>());
        }

        [Theory]
        [InlineData("LatticeIsing", 1.8, 0.0, SpinUpdate.Metropolis)]
        [InlineData("LatticeIsing", 3.0, 0.25, SpinUpdate.Metropolis)]
        [InlineData("AnisotropicIsing", 2.2, 0.3, SpinUpdate.Metropolis)]
        [InlineData("AnisotropicIsing", 4.0, -0.4, SpinUpdate.HeatBath)]
        public void Sweeps_sample_the_Boltzmann_distribution_of_a_4x4_lattice(string name, double temperature, double h, SpinUpdate rule)
        {
            using var scope = NewDisposeScope();
            var model = Model(name, h);
            double beta = 1 / temperature;
            var exact = Exact(model, beta);
            const int chains = 512, burn = 100, measured = 400;
            var g = new Generator(11);
            var units = empty(chains, 16, dtype: ScalarType.Float64).bernoulli_(0.5, generator: g).Mul_(2).Sub_(1);
            var even = IsingLattice.Checkerboard(4);
            Assert.True(SpinSamplers.TakesGeneratedSweep(model, units, even));
            var (e, m, m2) = (zeros(chains, dtype: ScalarType.Float64), zeros(chains, dtype: ScalarType.Float64), zeros(chains, dtype: ScalarType.Float64));
            int before = FusedKernels.Calls;
            for (int sweep = 0; sweep < burn + measured; sweep++)
            {
                SpinSamplers.Sweep(model, units, even, beta, rule, g);
                if (sweep < burn) continue;
                using var inner = NewDisposeScope();
                var mNow = units.mean(new long[] { 1 });
                e.Add_(model.EnergyNoGrad(units).Div(16));
                m.Add_(mNow);
                m2.Add_(mNow.Square());
            }
            Assert.Equal(burn + measured, FusedKernels.Calls - before);                 // every sweep took the generated one
            // Per-chain time averages are independent across chains: the standard error of their mean is their spread / √chains.
            void Check(string what, Tensor perChain, double truth)
            {
                var averages = perChain.Div(measured);
                double mean = averages.mean().item<double>(), error = averages.std().item<double>() / System.Math.Sqrt(chains);
                Assert.True(System.Math.Abs(mean - truth) <= 4 * error + 1e-3,
                    $"{name} T = {temperature} H = {h} {rule}: {what} = {mean:F4} ± {error:F4}, exact {truth:F4}");
            }
            Check("E/N", e, exact.Energy);
            Check("m", m, exact.M);
            Check("m²", m2, exact.M2);
        }

        [Fact]
        public void The_same_seed_gives_the_same_chains_and_another_seed_other_chains()
        {
            using var scope = NewDisposeScope();
            var model = new AnisotropicIsing(N: 64 * 64) { L = 64, Jx = 1, Jy = 0.7, H = 0.1 };
            var even = IsingLattice.Checkerboard(64).to_type(ScalarType.Bool);
            Tensor Run(ulong seed)
            {
                var g = new Generator(seed);
                var units = empty(3, 64 * 64).bernoulli_(0.5, generator: new Generator(1)).Mul_(2).Sub_(1);
                for (int sweep = 0; sweep < 4; sweep++) SpinSamplers.Sweep(model, units, even, 0.45, SpinUpdate.Metropolis, g);
                return units;
            }
            Assert.True(Run(7).eq(Run(7)).all().item<bool>());
            Assert.False(Run(7).eq(Run(8)).all().item<bool>());
        }

        [Fact]
        public void Sweep_takes_the_generated_sweep_only_where_it_applies_and_the_generic_path_otherwise()
        {
            using var scope = NewDisposeScope();
            var model = new LatticeIsing(N: 36) { L = 6 };
            var units = ones(2, 36);
            var even = IsingLattice.Checkerboard(6);
            Assert.True(SpinSamplers.TakesGeneratedSweep(model, units, even));
            Assert.True(SpinSamplers.TakesGeneratedSweep(model, units, even.to_type(ScalarType.Bool)));
            Assert.False(SpinSamplers.TakesGeneratedSweep(model, units, global::Dsl.ScalarOps.RSub(1,even)));                       // the colours swapped: not the sweep's order
            Assert.False(SpinSamplers.TakesGeneratedSweep(model, ones(36, 2).t(), even));                 // not contiguous
            Assert.False(SpinSamplers.TakesGeneratedSweep(model, ones(2, 36, dtype: ScalarType.Float16), even));
            Assert.False(SpinSamplers.TakesGeneratedSweep(new IsingModel(N: 36), units, even));        // dense adjacency: no generated sweep
            model.Kernels = KernelPath.TorchOps;
            Assert.False(SpinSamplers.TakesGeneratedSweep(model, units, even));
            // Odd L: the checkerboard is not a colouring of the periodic lattice; Sweep keeps the generic path (as before), the sweep refuses.
            var odd = new LatticeIsing(N: 25) { L = 5 };
            Assert.False(SpinSamplers.TakesGeneratedSweep(odd, ones(2, 25), IsingLattice.Checkerboard(5)));
            int before = FusedKernels.Calls;
            SpinSamplers.Sweep(odd, ones(2, 25), IsingLattice.Checkerboard(5), 0.5, SpinUpdate.Metropolis, new Generator(1));
            Assert.Equal(before, FusedKernels.Calls);
        }

        [Fact]
        public void Bad_input_is_refused_naming_the_model_and_the_argument()
        {
            using var scope = NewDisposeScope();
            var model = new AnisotropicIsing(N: 36) { L = 6 };
            ArgumentException Refused(Action a) => Assert.ThrowsAny<ArgumentException>(a);
            var e = Refused(() => model.CheckerboardSweep(ones(2, 35), 0.5, SpinUpdate.Metropolis, 1));
            Assert.Contains("AnisotropicIsing.CheckerboardSweep", e.Message);
            Assert.Contains("[B, 36]", e.Message);
            var bad = ones(2, 36);
            bad[1, 7] = tensor(0.5f);
            e = Refused(() => model.CheckerboardSweep(bad, 0.5, SpinUpdate.Metropolis, 1));
            Assert.Contains("spins -1 or +1; entry [1, 7] is 0.5", e.Message);
            e = Refused(() => model.CheckerboardSweep(ones(2, 36, dtype: ScalarType.Int32), 0.5, SpinUpdate.Metropolis, 1));
            Assert.Contains("float32 or float64", e.Message);
            e = Refused(() => model.CheckerboardSweep(ones(2, 36), 0, SpinUpdate.Metropolis, 1));
            Assert.Equal("beta", e.ParamName);
            e = Refused(() => new AnisotropicIsing(N: 25) { L = 5 }.CheckerboardSweep(ones(2, 25), 0.5, SpinUpdate.Metropolis, 1));
            Assert.Contains("even side L, got L = 5", e.Message);
            Assert.Contains("AnisotropicIsing", e.Message);
        }
    }
}
