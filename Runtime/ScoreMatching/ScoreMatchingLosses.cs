using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.ScoreMatching
{
    /// <summary>
    /// Score-matching objectives over the differentiable generated path (each returns a 0-dim loss tensor whose
    /// backward trains the model's parameters). Squared norms sum over the D coordinates and average over the batch.
    /// </summary>
    public static class ScoreMatchingLosses
    {
        /// <summary>Explicit score matching, the Fisher divergence to a known score: ½ E‖s_θ(x) − s*(x)‖².</summary>
        public static Tensor Explicit(IScoreModel model, Tensor x, Func<Tensor, Tensor> targetScore)
        {
            using var scope = NewDisposeScope();
            Tensor target;
            using (no_grad()) target = targetScore(x).detach();
            var loss = (model.Score(x) - target).Square().sum(1).mean().Mul(0.5);
            return loss.MoveToOuterDisposeScope();
        }

        /// <summary>
        /// Implicit score matching (Hyvärinen 2005): E[tr ∇ₓs_θ(x) + ½‖s_θ(x)‖²], with the generated exact divergence
        /// when the model has one and an autograd trace (D passes) otherwise.
        /// </summary>
        public static Tensor Implicit(IScoreModel model, Tensor x)
        {
            using var scope = NewDisposeScope();
            var div = DivergenceEstimators.Exact(model, x, differentiable: true, "ScoreMatchingLosses.Implicit");
            var loss = (div.Add(model.Score(x).Square().sum(1).Mul(0.5))).mean();
            return loss.MoveToOuterDisposeScope();
        }

        /// <summary>
        /// Sliced score matching (Song et al. 2019): E_v E_x[vᵀ∇ₓs_θ(x)v + ½(vᵀs_θ(x))²] with <paramref name="projections"/>
        /// projections per sample; the variance-reduced form (SSM-VR) replaces ½(vᵀs)² by its expectation ½‖s‖².
        /// </summary>
        public static Tensor Sliced(IScoreModel model, Tensor x, Generator generator, int projections = 1,
            ProbeDistribution distribution = ProbeDistribution.Gaussian, bool varianceReduced = false)
        {
            if (projections < 1) throw new ArgumentException("ScoreMatchingLosses.Sliced: projections must be ≥ 1, got " + projections + ".", nameof(projections));
            using var scope = NewDisposeScope();
            using var grad = enable_grad();
            var input = x.detach().requires_grad_(true);
            var s = model.Score(input);
            ScoreOutput.CheckShape("ScoreMatchingLosses.Sliced", model.ModelName, s, x);
            var caller = DivergenceEstimators.ScoreCaller("ScoreMatchingLosses.Sliced", model);
            Tensor total = zeros(x.shape[0], dtype: x.dtype, device: x.device);
            for (int m = 0; m < projections; m++)
            {
                var v = DivergenceEstimators.Probe(x, distribution, generator);
                var sv = (s * v).sum(1);
                // retain_graph: every projection differentiates the same s; create_graph: the loss trains through the curvature.
                var vjp = GuardedAutograd.Grad(caller, sv.sum(), input, retainGraph: true, createGraph: true);
                var curvature = vjp is null ? zeros_like(sv) : (vjp * v).sum(1);
                total = total.Add(curvature).Add((varianceReduced ? s.Square().sum(1) : sv.Square()).Mul(0.5));
            }
            return (total.Div(projections)).mean().MoveToOuterDisposeScope();
        }

        /// <summary>
        /// Denoising score matching at one noise level (Vincent 2011): x̃ = x + σz, ½ E‖s_θ(x̃) + z/σ‖², whose minimiser
        /// is the score of the data convolved with N(0, σ²I).
        /// </summary>
        public static Tensor Denoising(IScoreModel model, Tensor x, double sigma, Generator generator)
        {
            ChainLoop.CheckStepSize("ScoreMatchingLosses.Denoising", nameof(sigma), sigma);
            using var scope = NewDisposeScope();
            var z = empty_like(x).normal_(0, 1, generator: generator);
            var noisy = (z.Mul(sigma)).Add_(x);
            var loss = (model.Score(noisy).Add(z.Div(sigma))).Square().sum(1).mean().Mul(0.5);
            return loss.MoveToOuterDisposeScope();
        }

        /// <summary>
        /// The multi-scale NCSN objective (Song &amp; Ermon 2019, Eq. 6) with λ(σ) = σ²: each sample draws a level σ
        /// uniformly from <paramref name="sigmas"/>, x̃ = x + σz, loss = ½ E[σ²‖s_θ(x̃, σ) + z/σ‖²] = ½ E‖σ s_θ(x̃, σ) + z‖².
        /// </summary>
        public static Tensor NoiseConditional(INoiseConditionalModel model, Tensor x, IReadOnlyList<double> sigmas, Generator generator)
        {
            NoiseSchedule.CheckDecreasing("ScoreMatchingLosses.NoiseConditional", sigmas, nameof(sigmas));
            using var scope = NewDisposeScope();
            var levels = tensor(sigmas.ToArray(), dtype: x.dtype, device: x.device);
            var index = randint(0, sigmas.Count, new long[] { x.shape[0] }, generator: generator, device: x.device);
            var sigma = levels.index_select(0, index);
            var z = empty_like(x).normal_(0, 1, generator: generator);
            var noisy = (z * sigma.unsqueeze(1)).Add_(x);
            var loss = ((model.Score(noisy, sigma) * sigma.unsqueeze(1)).Add(z)).Square().sum(1).mean().Mul(0.5);
            return loss.MoveToOuterDisposeScope();
        }
    }
}
