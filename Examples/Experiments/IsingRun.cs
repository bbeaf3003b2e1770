using System;
using System.Diagnostics;
using System.Linq;
using Dsl.Discrete;
using Dsl.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Examples.Experiments
{
    /// <summary>Observables of one Ising run with error bars from independent chains.</summary>
    public sealed record IsingObservables(int L, double Temperature, string Algorithm, int Sweeps, int Chains,
        double AbsMagnetization, double AbsMagnetizationError, double EnergyPerSite, double EnergyPerSiteError,
        double ExactMagnetization, double ExactEnergyPerSite, double FlipsPerSecond, double[] Lattice,
        double SpecificHeat, double SpecificHeatError, double Susceptibility, double SusceptibilityError);

    /// <summary>
    /// The 2D Ising model on the periodic L×L lattice (J = 1, H = 0) by checkerboard Metropolis or heat-bath sweeps through
    /// the generated local fields of <see cref="LatticeIsing"/>; |m| and u per site averaged after burn-in per chain, error bars from the spread over
    /// independent chains, Onsager's values beside them.
    /// </summary>
    public static class IsingRun
    {
        /// <summary>
        /// Runs <paramref name="chains"/> independent chains for <paramref name="sweeps"/> sweeps (the first fifth discarded); <paramref name="kernels"/>
        /// picks the sweep: Auto or Fused the generated one-pass checkerboard sweep (even L), TorchOps the generic flip energies and rule by torch ops;
        /// <paramref name="multiSpin"/> takes the generated multi-spin-coded sweep instead (64 spins a word, its own counter-based stream keyed by the seed).
        /// </summary>
        public static IsingObservables Run(int l = 16, double temperature = 2.0, int sweeps = 1000, SpinUpdate rule = SpinUpdate.Metropolis, int chains = 16, long seed = 0, KernelPath kernels = KernelPath.Auto, bool multiSpin = false)
        {
            if (l < 2) throw new ArgumentException("Ising: the lattice size L must be at least 2, got " + l + ".", nameof(l));
            if (!(temperature > 0) || double.IsInfinity(temperature)) throw new ArgumentException("Ising: the temperature must be positive, got " + temperature + ".", nameof(temperature));
            if (sweeps < 10) throw new ArgumentException("Ising: at least 10 sweeps, got " + sweeps + ".", nameof(sweeps));
            using var scope = NewDisposeScope();
            var model = new LatticeIsing(N: l * l) { L = l, Kernels = kernels };   // the O(L²) neighbour-sum form; IsingModel holds the same energy densely
            var even = IsingLattice.Checkerboard(l);
            var g = new Generator((ulong)seed);
            double tc = Onsager.CriticalTemperature();
            // Ordered start below T_c (one of the two symmetric states), random above.
            var spins = temperature < tc ? ones(chains, l * l) : empty(chains, l * l).bernoulli_(0.5, generator: g).Mul_(2).Sub_(1);
            int burn = sweeps / 5;
            var mSum = zeros(chains, dtype: ScalarType.Float64);
            var uSum = zeros(chains, dtype: ScalarType.Float64);
            var m2Sum = zeros(chains, dtype: ScalarType.Float64);
            var u2Sum = zeros(chains, dtype: ScalarType.Float64);
            long flips = 0;
            ulong key = CounterRandom.KeyFrom(g);
            var clock = Stopwatch.StartNew();
            for (int sweep = 0; sweep < sweeps; sweep++)
            {
                flips += multiSpin ? model.MultiSpinSweep(spins, 1 / temperature, rule, key, sweep) : SpinSamplers.Sweep(model, spins, even, 1 / temperature, rule, g);
                if (sweep < burn) continue;
                using var inner = NewDisposeScope();
                var mNow = spins.mean(new long[] { 1 }).abs().to_type(ScalarType.Float64);
                var uNow = (model.EnergyNoGrad(spins).Div((l * l))).to_type(ScalarType.Float64);
                mSum.Add_(mNow);
                uSum.Add_(uNow);
                m2Sum.Add_(mNow.Square());
                u2Sum.Add_(uNow.Square());
            }
            double seconds = clock.Elapsed.TotalSeconds;
            int measured = sweeps - burn;
            var m = mSum.Div(measured);
            var u = uSum.Div(measured);
            // Fluctuation estimators per chain: C = Nβ²(⟨u²⟩ − ⟨u⟩²), χ = Nβ(⟨m²⟩ − ⟨|m|⟩²); error bars from the spread over chains.
            double beta = 1 / temperature, sites = l * l;
            var heat = (u2Sum.Div(measured) - u.Square()).Mul((sites * beta * beta));
            var chi = (m2Sum.Div(measured) - m.Square()).Mul((sites * beta));
            return new IsingObservables(l, temperature, rule == SpinUpdate.Metropolis ? "metropolis" : "gibbs", sweeps, chains,
                m.mean().item<double>(), m.std().item<double>() / System.Math.Sqrt(chains), u.mean().item<double>(), u.std().item<double>() / System.Math.Sqrt(chains),
                Onsager.Magnetization(temperature), Onsager.EnergyPerSite(temperature), (double)sweeps * chains * l * l / seconds,
                spins[0].to_type(ScalarType.Float64).data<double>().ToArray(),
                heat.mean().item<double>(), heat.std().item<double>() / System.Math.Sqrt(chains), chi.mean().item<double>(), chi.std().item<double>() / System.Math.Sqrt(chains));
        }
    }
}
