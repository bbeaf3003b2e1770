using System;
using System.Linq;
using Dsl.GeneratedCode;
using Dsl.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// The piecewise gallery models written with Where, Max and Min (Models/PiecewiseEnergies.cs): the Huber location density and the
    /// soft-box Gaussian. Their generated energy, score and score divergence equal autograd of the eager equations (torch.where) in
    /// float64 on every backend, on random points and exactly on the joins (x − μ = ±δ, x = Lower, Upper), where [Subgradient] takes
    /// the branch of the tie; the score equals the closed form (clamp(x − μ, −δ, δ) for Huber, the wall forces for the box); and the
    /// Huber LogProb integrates to 1 (Simpson's rule on [−60, 60] with the joins on the grid).
    /// </summary>
    public class PiecewiseModelTests
    {
        private static void AssertClose(Tensor actual, Tensor expected, double tolerance, string what)
        {
            var a = actual.to(ScalarType.Float64).contiguous().data<double>().ToArray();
            var e = expected.to(ScalarType.Float64).contiguous().data<double>().ToArray();
            Assert.Equal(e.Length, a.Length);
            for (int i = 0; i < e.Length; i++)
                Assert.True(System.Math.Abs(a[i] - e[i]) <= tolerance * (1 + System.Math.Abs(e[i])), what + " at element " + i + ": " + a[i].ToString("R") + ", expected " + e[i].ToString("R"));
        }

        private static int Runs(Func<int> counter, Action run)
        {
            int before = counter();
            run();
            return counter() - before;
        }

        private static void OnEveryBackend(GeneratedModule model, Action<string> check)
        {
            model.Kernels = KernelPath.TorchOps;
            check("torch ops");
            model.Kernels = KernelPath.Fused;
            Assert.True(Runs(() => FusedKernels.Calls, () => check("fused")) > 0, model.ModelName + ": the fused kernels did not run");
            model.Kernels = KernelPath.TorchScript;
            Assert.True(Runs(() => TorchScriptKernels.Calls, () => check("TorchScript")) > 0, model.ModelName + ": the TorchScript kernels did not run");
        }

        /// <summary>Energy, score and divergence against autograd of the eager equation, and the score against <paramref name="closedForm"/>.</summary>
        private static void MatchesAutograd(GeneratedModule model, Tensor x, Tensor closedForm)
        {
            var eager = (IEquationModel)model;
            var energy = eager.EnergyEager(x);
            var score = Autograd.Score(eager.EnergyEager, x);
            var divergence = Autograd.Divergence(xx => Autograd.Score(eager.EnergyEager, xx, createGraph: true), x);
            AssertClose(score, closedForm, 1e-13, model.ModelName + " autograd score against the closed form");
            var em = (IEnergyScoreModel)model;
            var div = (IScoreDivergenceModel)model;
            OnEveryBackend(model, backend =>
            {
                AssertClose(em.EnergyNoGrad(x), energy, 1e-13, model.ModelName + " energy (" + backend + ")");
                AssertClose(em.ScoreNoGrad(x), score, 1e-13, model.ModelName + " score (" + backend + ")");
                AssertClose(div.ScoreDivergenceNoGrad(x), divergence, 1e-13, model.ModelName + " divergence (" + backend + ")");
            });
            model.Kernels = KernelPath.TorchOps;
            AssertClose(em.Score(x), score, 1e-13, model.ModelName + " score (torch ops, taped)");
        }

        private static Tensor Points(string salt, int rows, int d, double scale, double[] edges)
        {
            var g = new Generator((ulong)FixedSeeds.For(salt, 1).First());
            var random = empty(rows, d, dtype: ScalarType.Float64).normal_(0, scale, generator: g);
            return cat(new[] { random, tensor(edges, dtype: ScalarType.Float64).reshape(-1, d) }, 0);
        }

        [Fact]
        public void Huber_location_matches_autograd_and_the_clamped_residual_on_every_backend()
        {
            using var scope = NewDisposeScope();
            var model = new HuberLocation(D: 3) { Delta = 0.75 };
            model.to(ScalarType.Float64);
            var mu = tensor(new[] { 0.25, -0.5, 1.0 }, dtype: ScalarType.Float64);
            model.SetParameter("Mu", mu);
            // Rows on the joins x − μ = ±δ and at μ, then far in both tails.
            var x = Points("huber", 17, 3, 1.5, new[] { 1.0, -1.25, 1.75, -0.5, 0.25, 0.25, 0.25, -0.5, 1.0, 40.0, -40.0, 1e6 });
            var closedForm = -(x - mu).clamp(-0.75, 0.75);                         // −ρ′(r) = −clamp(r, −δ, δ)
            MatchesAutograd(model, x, closedForm);
            // At the joins r = ±δ the strict comparisons r > δ and r < −δ are false: the tie takes the quadratic branch, ρ″ = 1 in every
            // coordinate of this row (r = δ, −δ, 0), so the divergence −Σ ρ″ is −3; just outside both joins only r = 0 counts.
            var div = ((IScoreDivergenceModel)model).ScoreDivergenceNoGrad(tensor(new[] { 1.0, -1.25, 1.0, 1.0 + 1e-12, -1.25 - 1e-12, 1.0 }, dtype: ScalarType.Float64).reshape(2, 3));
            Assert.Equal(new[] { -3.0, -1.0 }, div.data<double>().ToArray());
        }

        [Fact]
        public void Huber_log_prob_integrates_to_one()
        {
            using var scope = NewDisposeScope();
            foreach (var delta in new[] { 0.3, 1.0, 2.5 })
            {
                var model = new HuberLocation(D: 1) { Delta = delta };
                model.to(ScalarType.Float64);
                model.SetParameter("Mu", tensor(new[] { 0.4 }, dtype: ScalarType.Float64));
                // Simpson's rule on [μ − 60, μ + 60], 2·24000 intervals of h = 1/400: the joins μ ± δ lie on panel ends for these δ,
                // so each panel is smooth (the error is O(h⁴), far below 1e-9). Beyond ±60 the density is e^{−δ(|r| − δ/2)}/Z, whose
                // mass past the end is exactly p(end)/δ: added in closed form.
                int n = 48000;
                double h = 120.0 / n;
                var grid = arange(n + 1, dtype: ScalarType.Float64) * h + (0.4 - 60.0);
                var p = model.LogProb(grid.unsqueeze(1)).exp();
                var w = ones(n + 1, dtype: ScalarType.Float64);
                w[TensorIndex.Slice(1, n, 2)] = tensor(4.0, dtype: ScalarType.Float64);
                w[TensorIndex.Slice(2, n, 2)] = tensor(2.0, dtype: ScalarType.Float64);
                double integral = (p * w).sum().ToDouble() * h / 3 + (p[0].ToDouble() + p[n].ToDouble()) / delta;
                Assert.True(System.Math.Abs(integral - 1) < 1e-9, "∫ p = " + integral.ToString("R") + " for δ = " + delta);
            }
        }

        [Fact]
        public void Soft_box_gaussian_matches_autograd_and_the_wall_forces_on_every_backend()
        {
            using var scope = NewDisposeScope();
            var model = new SoftBoxGaussian(D: 2) { Kappa = 30.0, Lower = -0.5, Upper = 1.5 };
            model.to(ScalarType.Float64);
            var mu = tensor(new[] { 0.2, -0.1 }, dtype: ScalarType.Float64);
            model.SetParameter("Mu", mu);
            // Rows on the walls (x = Lower, x = Upper), inside, and far outside on both sides.
            var x = Points("softbox", 17, 2, 1.5, new[] { -0.5, 1.5, 1.5, -0.5, 0.0, 0.0, 10.0, -10.0, -1e3, 1e3 });
            var closedForm = -(x - mu) - 30.0 * ((x - 1.5).clamp_min(0) + (x + 0.5).clamp_max(0));
            MatchesAutograd(model, x, closedForm);
        }
    }
}
