using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Discrete
{
    /// <summary>The result of running a Hopfield network to a fixed point.</summary>
    /// <param name="States">Final spins [M, N] (owned by the caller).</param>
    /// <param name="Sweeps">Sweeps until no unit changed (or the budget).</param>
    /// <param name="Converged">True when a full sweep changed nothing.</param>
    /// <param name="EnergyTrace">The mean energy after every single-unit update (asynchronous) or sweep (synchronous).</param>
    public sealed record HopfieldRun(Tensor States, int Sweeps, bool Converged, IReadOnlyList<double> EnergyTrace);

    /// <summary>
    /// Hopfield dynamics on any energy over spins through its generated members: the local field is the generated score
    /// −∇E(s), the Lyapunov function the generated energy. Hebbian storage W = (1/N) Σ_μ ξ^μ ξ^μᵀ with zero diagonal.
    /// </summary>
    public static class HopfieldDynamics
    {
        /// <summary>The Hebbian couplings of patterns [P, N] (±1): W = ξᵀξ/N with the diagonal set to zero.</summary>
        public static Tensor HebbianWeights(Tensor patterns)
        {
            CheckSpins(patterns, "patterns");
            using var scope = NewDisposeScope();
            long n = patterns.shape[1];
            var w = patterns.transpose(0, 1).matmul(patterns).Div(n);
            var offDiagonal = ones(n, n, dtype: w.dtype, device: w.device) - eye(n, dtype: w.dtype, device: w.device);
            return (w * offDiagonal).MoveToOuterDisposeScope();
        }

        /// <summary>
        /// Asynchronous updates in a fixed random order per sweep: sᵢ ← sign(aᵢ(s)) with a = −∇E (ties keep sᵢ), until a sweep
        /// changes nothing. The energy never increases (recorded after every unit when <paramref name="trace"/>).
        /// </summary>
        public static HopfieldRun Asynchronous(IEnergyScoreModel model, Tensor start, int maxSweeps, Generator generator, bool trace = false)
        {
            CheckSpins(start, "start");
            CheckNoSelfCoupling(model);
            using var noGrad = no_grad();
            var s = start.clone();
            var energies = new List<double>();
            long n = s.shape[1];
            for (int sweep = 1; sweep <= maxSweeps; sweep++)
            {
                bool changed = false;
                using var order = randperm(n, generator: generator);
                foreach (long i in order.data<long>().ToArray())
                {
                    using var scope = NewDisposeScope();
                    var field = model.ScoreNoGrad(s).select(1, i);
                    var current = s.select(1, i);
                    var next = where(field.Gt(0), ones_like(current), where(field.Lt(0), -ones_like(current), current));
                    if (!next.equal(current).all().item<bool>()) { changed = true; s.select(1, i).copy_(next); }
                    if (trace) energies.Add(model.EnergyNoGrad(s).mean().ToDoubleValue());
                }
                if (!changed) return new HopfieldRun(s, sweep, true, energies);
            }
            return new HopfieldRun(s, maxSweeps, false, energies);
        }

        /// <summary>Synchronous updates s ← sign(a(s)) of all units at once (can oscillate with period 2).</summary>
        public static HopfieldRun Synchronous(IEnergyScoreModel model, Tensor start, int maxSweeps)
        {
            CheckSpins(start, "start");
            using var noGrad = no_grad();
            var s = start.clone();
            var energies = new List<double>();
            for (int sweep = 1; sweep <= maxSweeps; sweep++)
            {
                using var scope = NewDisposeScope();
                var field = model.ScoreNoGrad(s);
                var next = where(field.Gt(0), ones_like(s), where(field.Lt(0), -ones_like(s), s));
                bool same = next.equal(s).all().item<bool>();
                s.copy_(next);
                energies.Add(model.EnergyNoGrad(s).mean().ToDoubleValue());
                if (same) return new HopfieldRun(s, sweep, true, energies);
            }
            return new HopfieldRun(s, maxSweeps, false, energies);
        }

        /// <summary>
        /// The Lyapunov property of asynchronous updates needs no self-coupling: with dᵢ = ∂²E/∂sᵢ² ≠ 0 the field of unit i depends
        /// on sᵢ itself and sign(aᵢ) no longer minimises the energy over sᵢ. Throws naming the first such unit of a discrete model.
        /// </summary>
        public static void CheckNoSelfCoupling(IEnergyScoreModel model)
        {
            if (model is not IDiscreteEnergyModel discrete) return;
            using var scope = NewDisposeScope();
            var d = discrete.SelfCouplings();
            var bad = d.Ne(0).nonzero();
            if (bad.shape[0] == 0) return;
            long i = bad[0, 0].item<long>();
            throw new ArgumentException("Hopfield asynchronous updates on " + model.ModelName + " need no self-coupling (a zero diagonal of W); unit " + i
                + " has ∂²E/∂sᵢ² = " + d[i].ToDoubleValue().ToString(System.Globalization.CultureInfo.InvariantCulture) + ".", nameof(model));
        }

        /// <summary>
        /// The continuous (graded-response) Hopfield network run to a fixed point by the damped iteration
        /// v ← (1 − η)v + η tanh(gain·(Wv + b)), through the generated score of its energy only: Wv + b = s(v) + atanh(v)/gain,
        /// so the target is tanh(gain·s(v) + atanh(v)). Stops when max |tanh(gain(Wv + b)) − v| ≤ <paramref name="tolerance"/>.
        /// For a symmetric W with smallest eigenvalue λ the energy never increases when η ≤ 2/(1 + gain·max(−λ, 0))
        /// (<see cref="ContinuousStepBound"/>; η = 1 for a positive semidefinite W): with d the step to the target,
        /// E(v + ηd) = E(v) + L(v + ηd) − L(v) − ½η² dᵀWd for L(y) = −(Wv + b)ᵀy + (1/gain)·Σ[yᵢ atanh yᵢ + ½ log(1 − yᵢ²)],
        /// which is (1/gain)-strongly convex and minimised at the target, so L(v + ηd) − L(v) ≤ −η(2 − η)‖d‖²/(2 gain).
        /// <paramref name="gain"/> must be the model's gain.
        /// </summary>
        /// <param name="model">The generated continuous Hopfield energy (or any energy with that score).</param>
        /// <param name="start">Outputs [M, N] strictly inside (−1, 1).</param>
        /// <param name="gain">The gain of v = tanh(gain·u).</param>
        /// <param name="eta">The damping η ∈ (0, 1].</param>
        /// <param name="maxSteps">The step budget.</param>
        /// <param name="tolerance">The fixed-point residual at which to stop.</param>
        /// <param name="trace">Record the mean energy after every step.</param>
        public static HopfieldRun Continuous(IEnergyScoreModel model, Tensor start, double gain, double eta, int maxSteps, double tolerance = 1e-6, bool trace = false)
        {
            if (start is null) throw new ArgumentNullException(nameof(start));
            if (start.dim() != 2 || !start.is_floating_point())
                throw new ArgumentException("Hopfield: 'start' must be a floating-point [M, N] tensor of outputs in (−1, 1); got " + start.dtype + " " + Broadcasting.Describe(start) + ".", nameof(start));
            if (!(gain > 0) || double.IsInfinity(gain)) throw new ArgumentException("Hopfield: the gain must be finite and positive, got " + gain + ".", nameof(gain));
            if (!(eta > 0 && eta <= 1)) throw new ArgumentException("Hopfield: the damping η must lie in (0, 1], got " + eta + ".", nameof(eta));
            using var noGrad = no_grad();
            using (NewDisposeScope()) if (start.abs().max().ToDoubleValue() >= 1) throw new ArgumentException("Hopfield: 'start' must lie strictly inside (−1, 1).", nameof(start));
            var v = start.clone();
            var energies = new List<double>();
            for (int step = 1; step <= maxSteps; step++)
            {
                using var scope = NewDisposeScope();
                var target = (model.ScoreNoGrad(v).Mul(gain).Add(v.atanh())).tanh_();
                var residual = target - v;
                if (residual.abs().max().ToDoubleValue() <= tolerance) return new HopfieldRun(v, step - 1, true, energies);
                v.Add_(residual, alpha: eta);
                if (trace) energies.Add(model.EnergyNoGrad(v).mean().ToDoubleValue());
            }
            using (NewDisposeScope())
            {
                var residual = (model.ScoreNoGrad(v).Mul(gain).Add(v.atanh())).tanh_() - v;
                return new HopfieldRun(v, maxSteps, residual.abs().max().ToDoubleValue() <= tolerance, energies);
            }
        }

        /// <summary>The damping bound min(1, 2/(1 + gain·max(−λ_min(W), 0))) under which <see cref="Continuous"/> never increases the energy of a symmetric W.</summary>
        public static double ContinuousStepBound(Tensor w, double gain)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var symmetric = (w.Add(w.transpose(0, 1))).to_type(ScalarType.Float64).Mul(0.5);
            double lambda = linalg.eigvalsh(symmetric).min().ToDoubleValue();
            return System.Math.Min(1, 2 / (1 + gain * System.Math.Max(-lambda, 0)));
        }

        /// <summary>The overlap m = (1/N) ξ·s per row, in [−1, 1]: [M].</summary>
        public static Tensor Overlap(Tensor states, Tensor patterns) => (states * patterns).mean(new long[] { 1 });

        /// <summary>Throws, naming the first offending entry, unless every entry is ±1.</summary>
        public static void CheckSpins(Tensor spins, string argument)
        {
            if (spins is null) throw new ArgumentNullException(argument);
            if (spins.dim() != 2 || !spins.is_floating_point())
                throw new ArgumentException("Hopfield: '" + argument + "' must be a floating-point [M, N] tensor of spins; got " + spins.dtype + " " + Broadcasting.Describe(spins) + ".", argument);
            UnitValues.Require(spins, 1, -1, "spins ±1", "Hopfield", argument);
        }
    }
}
