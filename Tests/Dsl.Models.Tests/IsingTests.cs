using System;
using Dsl.Discrete;
using Dsl.Examples.Experiments;
using Dsl.Models;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>The 2D Ising model through the generated local fields against Onsager's solution away from T_c.</summary>
    public class IsingTests
    {
        [Theory]
        [InlineData(1.8, SpinUpdate.Metropolis, KernelPath.Auto)]         // Auto: the generated one-pass checkerboard sweep
        [InlineData(1.8, SpinUpdate.HeatBath, KernelPath.Auto)]
        [InlineData(3.5, SpinUpdate.Metropolis, KernelPath.Auto)]
        [InlineData(3.5, SpinUpdate.HeatBath, KernelPath.Auto)]
        [InlineData(1.8, SpinUpdate.Metropolis, KernelPath.TorchOps)]     // the generic path: flip energies and the rule by torch ops
        [InlineData(3.5, SpinUpdate.HeatBath, KernelPath.TorchOps)]
        [InlineData(1.8, SpinUpdate.Metropolis, KernelPath.Auto, true)]   // the multi-spin-coded sweep
        [InlineData(3.5, SpinUpdate.HeatBath, KernelPath.Auto, true)]
        public void Magnetisation_and_energy_match_Onsager_within_error_bars_and_finite_size(double temperature, SpinUpdate rule, KernelPath kernels, bool multiSpin = false)
        {
            var r = IsingRun.Run(l: 16, temperature, sweeps: 600, rule, chains: 16, seed: 3, kernels, multiSpin);
            // Tolerance: 4 standard errors over independent chains plus a finite-size allowance for L = 16 away from T_c.
            Assert.True(System.Math.Abs(r.EnergyPerSite - r.ExactEnergyPerSite) <= 4 * r.EnergyPerSiteError + 0.02,
                $"T = {temperature} {rule}: u = {r.EnergyPerSite:F4} ± {r.EnergyPerSiteError:F4} vs Onsager {r.ExactEnergyPerSite:F4}");
            if (temperature < Onsager.CriticalTemperature())
                Assert.True(System.Math.Abs(r.AbsMagnetization - r.ExactMagnetization) <= 4 * r.AbsMagnetizationError + 0.02,
                    $"T = {temperature} {rule}: |m| = {r.AbsMagnetization:F4} ± {r.AbsMagnetizationError:F4} vs Onsager {r.ExactMagnetization:F4}");
            else
                Assert.True(r.AbsMagnetization < 0.15, $"T = {temperature}: |m| = {r.AbsMagnetization:F3} should be near 0 (finite L)");
        }

        [Fact]
        public void Specific_heat_peaks_near_the_critical_temperature()
        {
            // The fluctuation estimator C = Nβ² Var(u) is largest near T_c (a log divergence in the infinite lattice).
            var low = IsingRun.Run(l: 12, 1.5, sweeps: 500, SpinUpdate.HeatBath, chains: 8, seed: 4);
            var near = IsingRun.Run(l: 12, 2.3, sweeps: 500, SpinUpdate.HeatBath, chains: 8, seed: 4);
            var high = IsingRun.Run(l: 12, 3.5, sweeps: 500, SpinUpdate.HeatBath, chains: 8, seed: 4);
            Assert.True(near.SpecificHeat > 2 * low.SpecificHeat && near.SpecificHeat > 2 * high.SpecificHeat,
                $"C(1.5) = {low.SpecificHeat:F3}, C(2.3) = {near.SpecificHeat:F3}, C(3.5) = {high.SpecificHeat:F3}");
            Assert.True(near.Susceptibility > low.Susceptibility && near.Susceptibility > high.Susceptibility);
        }

        [Fact]
        public void The_generated_local_field_is_the_sum_of_the_four_neighbours()
        {
            var model = new IsingModel(N: 9) { J = 1.5, H = 0.25 };
            model.SetParameter("A", IsingLattice.PeriodicSquare(3));
            var s = ones(1, 9);
            s[0, 4] = tensor(-1f);
            var field = model.ScoreNoGrad(s);
            Assert.Equal(1.5f * 4 + 0.25f, field[0, 4].item<float>(), 5);          // all four neighbours +1
            Assert.Equal(1.5f * 2 + 0.25f, field[0, 1].item<float>(), 5);          // one neighbour (the centre) is −1
        }

        [Fact]
        public void The_lattice_form_has_the_energy_and_local_fields_of_the_dense_form()
        {
            var dense = new IsingModel(N: 36) { J = 0.7, H = -0.2 };
            dense.SetParameter("A", IsingLattice.PeriodicSquare(6));
            var lattice = new LatticeIsing(N: 36) { L = 6, J = 0.7, H = -0.2 };
            var s = empty(5, 36).bernoulli_(0.5, generator: new TorchSharp.torch.Generator(3)).Mul_(2).Sub_(1);
            Assert.True((dense.EnergyNoGrad(s) - lattice.EnergyNoGrad(s)).abs().max().item<float>() < 1e-4);
            Assert.True((dense.ScoreNoGrad(s) - lattice.ScoreNoGrad(s)).abs().max().item<float>() < 1e-4);
            Assert.True((lattice.ScoreNoGrad(s) - Dsl.Autograd.Score(lattice.EnergyEager, s)).abs().max().item<float>() < 1e-4);
            var wrong = Assert.Throws<ArgumentException>(() => new LatticeIsing(N: 35) { L = 6 }.ScoreNoGrad(ones(1, 35)));
            Assert.Contains("not an L×L lattice with L = 6", wrong.Message);
        }

        [Fact]
        public void Bad_sizes_and_temperatures_are_refused()
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => IsingLattice.PeriodicSquare(1));
            Assert.Equal("temperature", Assert.Throws<ArgumentException>(() => IsingRun.Run(4, 0)).ParamName);
        }
    }
}
