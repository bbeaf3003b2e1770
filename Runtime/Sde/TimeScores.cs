using System;
using Dsl.GeneratedCode;
using Dsl.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Sde
{
    /// <summary>A time-dependent score s(x, t) ≈ ∇ₓ log pₜ(x), the object the reverse-time solvers consume.</summary>
    public interface ITimeScoreModel
    {
        /// <summary>A name for error messages.</summary>
        string ModelName { get; }

        /// <summary>D.</summary>
        int Dim { get; }

        /// <summary>s(x, t): [N, D] for x: [N, D], t: [N].</summary>
        Tensor Score(Tensor x, Tensor t);
    }

    /// <summary>
    /// A time-dependent score that can also be evaluated with one time shared by the whole batch, its schedule computed once
    /// in float64 instead of per sample (the reverse-time solvers' steady state, where every sample sits at the same t).
    /// </summary>
    internal interface ISharedTimeScoreModel : ITimeScoreModel
    {
        /// <summary>s(x, t) at the one time <paramref name="time"/> for every row of x, without a tape: [N, D].</summary>
        Tensor ScoreAtNoGrad(Tensor x, double time);

        /// <summary>
        /// Writes c·x + a·s(x, t) + b·z into <paramref name="output"/> in one fused pass (score, update and the noise draw) and
        /// returns true when the model has such a step for x (a generated noise-conditional step on a CPU tensor); false otherwise.
        /// </summary>
        bool TryStepNoGrad(Tensor x, double time, double c, double a, double b, CounterNoise noise, Tensor output);
    }

    /// <summary>A time-dependent score with its exact divergence ∇ₓ·s(x, t).</summary>
    public interface ITimeScoreDivergenceModel : ITimeScoreModel
    {
        /// <summary>∇ₓ·s(x, t): [N].</summary>
        Tensor ScoreDivergence(Tensor x, Tensor t);
    }

    /// <summary>A network's prediction of the noise ε that made xₜ from x₀: ε̂(xₜ, t), [N, D].</summary>
    public delegate Tensor NoisePrediction(Tensor x, Tensor t);

    /// <summary>A network's prediction of the clean data: x̂₀(xₜ, t), [N, D].</summary>
    public delegate Tensor DataPrediction(Tensor x, Tensor t);

    /// <summary>A network's prediction of the score: ŝ(xₜ, t) ≈ ∇ log pₜ(xₜ), [N, D].</summary>
    public delegate Tensor ScorePrediction(Tensor x, Tensor t);

    /// <summary>A network's prediction of the velocity v = m(t)·ε − σₜ·x₀ (Salimans &amp; Ho 2022), [N, D].</summary>
    public delegate Tensor VPrediction(Tensor x, Tensor t);

    /// <summary>
    /// Score parametrisations, kept apart by type (<see cref="NoisePrediction"/>, <see cref="DataPrediction"/>,
    /// <see cref="ScorePrediction"/> are distinct delegate types, so a noise network cannot be passed where a score is expected): a network predicting the noise ε, the clean data x₀, or the score
    /// itself becomes an <see cref="ITimeScoreModel"/> through the SDE's generated kernel N(m(t)x₀, v(t)I):
    /// s = −ε/σₜ, s = −(x − m(t)x̂₀)/v(t).
    /// </summary>
    public static class TimeScores
    {
        /// <summary>The exact score of pₜ for data whose σ-perturbed density is the noise-conditional model (e.g. a
        /// PerturbedGaussianMixture): pₜ(x) = m⁻ᴰ p̃(x/m; σ̃ = √v/m), so sₜ(x) = s̃(x/m, √v/m)/m and ∇·sₜ = ∇·s̃/m².</summary>
        public static ITimeScoreDivergenceModel FromPerturbedData(INoiseConditionalModel data, ISde sde) => new PerturbedData(data, sde);

        /// <summary>
        /// The same score by autograd of the data model's eager equations, −∇ₓE(x/m, √v/m): the reference a PyTorch user
        /// would write, for benchmarks and checks. It keeps its graph when grad is enabled (so divergence loops see it).
        /// </summary>
        public static ITimeScoreModel FromPerturbedDataByAutograd(INoiseConditionalModel data, ISde sde) =>
            new Converted(data.ModelName + " under " + sde.SdeName + " (autograd)", data.Dim, (x, t) =>
            {
                using var scope = NewDisposeScope();
                var m = sde.MeanCoefficient(t).unsqueeze(1);
                var sigma = sde.MarginalStd(t) / sde.MeanCoefficient(t);
                return Autograd.Score(xx => data.EnergyEager(xx / m, sigma), x, createGraph: is_grad_enabled()).MoveToOuterDisposeScope();
            });

        /// <summary>s(x, t) = −ε̂(x, t)/√v(t) for a noise-prediction network ε̂.</summary>
        public static ITimeScoreModel FromNoisePrediction(ISde sde, int dim, NoisePrediction epsilon, string name = "noise prediction") =>
            new Converted(name, dim, (x, t) =>
            {
                RequireKernel(sde, "FromNoisePrediction");
                using var scope = NewDisposeScope();
                return (-epsilon(x, t) / sde.MarginalStd(t).unsqueeze(1)).MoveToOuterDisposeScope();
            });

        /// <summary>s(x, t) = −(x − m(t)x̂₀(x, t))/v(t) for a data-prediction network x̂₀.</summary>
        public static ITimeScoreModel FromDataPrediction(ISde sde, int dim, DataPrediction x0, string name = "data prediction") =>
            new Converted(name, dim, (x, t) =>
            {
                RequireKernel(sde, "FromDataPrediction");
                using var scope = NewDisposeScope();
                return (-(x - x0(x, t) * sde.MeanCoefficient(t).unsqueeze(1)) / sde.MarginalStd(t).Square().unsqueeze(1)).MoveToOuterDisposeScope();
            });

        /// <summary>s(x, t) for a velocity network v̂ = m ε̂ − σ x̂₀: ε̂ = (σ x + m v̂)/(m² + σ²), then s = −ε̂/σ.</summary>
        public static ITimeScoreModel FromVPrediction(ISde sde, int dim, VPrediction v, string name = "v prediction") =>
            FromNoisePrediction(sde, dim, NoiseFromV(sde, v), name);

        /// <summary>The noise prediction a data prediction implies: ε̂ = (x − m x̂₀)/σ.</summary>
        public static NoisePrediction NoiseFromData(ISde sde, DataPrediction x0) => (x, t) =>
        {
            RequireKernel(sde, "NoiseFromData");
            using var scope = NewDisposeScope();
            return ((x - x0(x, t) * sde.MeanCoefficient(t).unsqueeze(1)) / sde.MarginalStd(t).unsqueeze(1)).MoveToOuterDisposeScope();
        };

        /// <summary>The data prediction a noise prediction implies: x̂₀ = (x − σ ε̂)/m.</summary>
        public static DataPrediction DataFromNoise(ISde sde, NoisePrediction epsilon) => (x, t) =>
        {
            RequireKernel(sde, "DataFromNoise");
            using var scope = NewDisposeScope();
            return ((x - epsilon(x, t) * sde.MarginalStd(t).unsqueeze(1)) / sde.MeanCoefficient(t).unsqueeze(1)).MoveToOuterDisposeScope();
        };

        /// <summary>The noise prediction a velocity prediction implies: ε̂ = (σ x + m v̂)/(m² + σ²) (= σx + mv̂ for VP).</summary>
        public static NoisePrediction NoiseFromV(ISde sde, VPrediction v) => (x, t) =>
        {
            RequireKernel(sde, "NoiseFromV");
            using var scope = NewDisposeScope();
            var m = sde.MeanCoefficient(t).unsqueeze(1);
            var sigma = sde.MarginalStd(t).unsqueeze(1);
            return (((x * sigma).Add(v(x, t) * m)) / (m.Square().Add(sigma.Square()))).MoveToOuterDisposeScope();
        };

        /// <summary>The velocity a noise prediction implies: v̂ = m ε̂ − σ x̂₀ with x̂₀ = (x − σ ε̂)/m.</summary>
        public static VPrediction VFromNoise(ISde sde, NoisePrediction epsilon) => (x, t) =>
        {
            RequireKernel(sde, "VFromNoise");
            using var scope = NewDisposeScope();
            var m = sde.MeanCoefficient(t).unsqueeze(1);
            var sigma = sde.MarginalStd(t).unsqueeze(1);
            var e = epsilon(x, t);
            return (e * m - (x - e * sigma) / m * sigma).MoveToOuterDisposeScope();
        };

        /// <summary>A network that predicts the score directly.</summary>
        public static ITimeScoreModel FromScorePrediction(int dim, ScorePrediction score, string name = "score prediction") =>
            new Converted(name, dim, (x, t) => score(x, t));

        /// <summary>The noise a score implies: ε = −√v(t)·s(x, t) (the inverse of <see cref="FromNoisePrediction"/>).</summary>
        public static Tensor NoiseFromScore(ISde sde, Tensor score, Tensor t)
        {
            RequireKernel(sde, "NoiseFromScore");
            using var scope = NewDisposeScope();
            return (-score * sde.MarginalStd(t).unsqueeze(1)).MoveToOuterDisposeScope();
        }

        /// <summary>The clean data a score implies (Tweedie): x̂₀ = (x + v(t)·s(x, t))/m(t).</summary>
        public static Tensor DataFromScore(ISde sde, Tensor x, Tensor score, Tensor t)
        {
            RequireKernel(sde, "DataFromScore");
            using var scope = NewDisposeScope();
            return ((x.Add(score * sde.MarginalStd(t).Square().unsqueeze(1))) / sde.MeanCoefficient(t).unsqueeze(1)).MoveToOuterDisposeScope();
        }

        private static void RequireKernel(ISde sde, string member)
        {
            if (!sde.HasGaussianKernel)
                throw new InvalidOperationException("TimeScores." + member + ": " + sde.SdeName + " has no Gaussian perturbation kernel (its drift is not a(t)·x), so ε- and x₀-parametrisations cannot be converted.");
        }

        private sealed class Converted : ITimeScoreModel
        {
            private readonly Func<Tensor, Tensor, Tensor> score;
            public Converted(string name, int dim, Func<Tensor, Tensor, Tensor> score) { ModelName = name; Dim = dim; this.score = score; }
            public string ModelName { get; }
            public int Dim { get; }
            public Tensor Score(Tensor x, Tensor t) => score(x, t);
        }

        private sealed class PerturbedData : ITimeScoreDivergenceModel, ISharedTimeScoreModel, ISharedTimeDivergenceModel
        {
            private readonly INoiseConditionalModel data;
            private readonly ISde sde;

            public PerturbedData(INoiseConditionalModel data, ISde sde)
            {
                if (!sde.HasGaussianKernel) throw new ArgumentException("TimeScores.FromPerturbedData: " + sde.SdeName + " has no Gaussian perturbation kernel.", nameof(sde));
                this.data = data; this.sde = sde;
            }

            public string ModelName => data.ModelName + " under " + sde.SdeName;
            public int Dim => data.Dim;

            public Tensor Score(Tensor x, Tensor t)
            {
                using var scope = NewDisposeScope();
                var m = sde.MeanCoefficient(t);
                var sigma = sde.MarginalStd(t) / m;
                // The inference path when no tape is recording (samplers), the differentiable one otherwise (training, Hutchinson).
                var scaled = x / m.unsqueeze(1);
                var s = is_grad_enabled() ? data.Score(scaled, sigma) : data.ScoreNoGrad(scaled, sigma);
                return s.div_(m.unsqueeze(1)).MoveToOuterDisposeScope();
            }

            /// <summary>
            /// c·x + a·sₜ(x) + b·z = c·x + (a/m)·s̃(x/m, √v/m) + b·z: the data model's generated shared-level step with u = 1/m, one
            /// pass over x with z drawn inside it, when the model has one and x is a contiguous float CPU tensor.
            /// </summary>
            public bool TryStepNoGrad(Tensor x, double time, double c, double a, double b, CounterNoise noise, Tensor output)
            {
                if (!FastPaths.SharedLevelStep(data, x, out var step)) return false;
                var (m, sigma) = DataLevelAt(time);
                step.ScoreStepNoGrad(x, sigma, 1 / m, c, a / m, b, noise, output);
                return true;
            }

            /// <summary>m(t) and the data model's noise level σ̃ = √v(t)/m(t) at one time, in float64.</summary>
            private (double M, double Sigma) DataLevelAt(double time)
            {
                double m = sde.MeanCoefficientAt(time);
                return (m, System.Math.Sqrt(sde.MarginalVarianceAt(time)) / m);
            }

            /// <summary>sₜ(x) = s̃(x/m, √v/m)/m with m = m(t) and v = v(t) computed once in float64: three passes over x (scale, the generated score, unscale).</summary>
            public Tensor ScoreAtNoGrad(Tensor x, double time)
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                var (m, sigma) = DataLevelAt(time);
                var noiseLevel = global::Dsl.ScalarOps.Full(new long[] { x.shape[0] }, sigma, x.dtype, x.device);
                return data.ScoreNoGrad(x.Div(m), noiseLevel).Div_(m).MoveToOuterDisposeScope();
            }

            /// <summary>
            /// sₜ(x) = s̃(x/m, σ̃)/m and ∇·sₜ(x) = (∇·s̃)(x/m, σ̃)/m² at one time, m and σ̃ = √v/m computed once in float64, the
            /// scaled x and the noise level shared by the two generated calls; false when the data model has no generated divergence.
            /// </summary>
            public bool TryScoreAndDivergenceAtNoGrad(Tensor x, double time, out Tensor score, out Tensor divergence)
            {
                score = divergence = null!;
                if (data is not INoiseConditionalDivergenceModel exact) return false;
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                var (m, sigma) = DataLevelAt(time);
                var noiseLevel = global::Dsl.ScalarOps.Full(new long[] { x.shape[0] }, sigma, x.dtype, x.device);
                var scaled = x.Div(m);
                score = data.ScoreNoGrad(scaled, noiseLevel).Div_(m).MoveToOuterDisposeScope();
                divergence = exact.ScoreDivergenceNoGrad(scaled, noiseLevel).Div_(m * m).MoveToOuterDisposeScope();
                return true;
            }

            /// <summary>
            /// c·x + a·sₜ(x) and e + f·∇·sₜ(x) = c·x + (a/m)·s̃(x/m, σ̃) and e + (f/m²)·∇·s̃(x/m, σ̃): the data model's generated
            /// shared-level flow with u = 1/m, one pass over x for both.
            /// </summary>
            public bool TryFlowAndDivergenceAtNoGrad(Tensor x, double time, double c, double a, double divergenceShift, double divergenceScale, Tensor flow, Tensor divergence)
            {
                if (data is not INoiseConditionalFlowModel oneRead) return false;
                var (m, sigma) = DataLevelAt(time);
                oneRead.FlowAndDivergenceNoGrad(x, sigma, 1 / m, c, a / m, divergenceShift, divergenceScale / (m * m), flow, divergence);
                return true;
            }

            public Tensor ScoreDivergence(Tensor x, Tensor t)
            {
                if (data is not INoiseConditionalDivergenceModel divergence)
                    throw new InvalidOperationException(data.ModelName + " has no generated ScoreDivergence; use a Hutchinson or autograd divergence.");
                using var scope = NewDisposeScope();
                var m = sde.MeanCoefficient(t);
                var sigma = sde.MarginalStd(t) / m;
                var scaled = x / m.unsqueeze(1);
                var div = is_grad_enabled() ? divergence.ScoreDivergence(scaled, sigma) : divergence.ScoreDivergenceNoGrad(scaled, sigma);
                return div.div_(m.Square()).MoveToOuterDisposeScope();
            }
        }
    }
}
