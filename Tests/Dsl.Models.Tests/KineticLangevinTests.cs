using System;
using System.Linq;
using Dsl.Models;
using TorchSharp;
using static Dsl.Math;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>A small part for the Grad tests: U(x) = Σᵢ αᵢ softplus((Wx)ᵢ) + ½‖x‖² (the part's own source is in this compilation).</summary>
    [EnergyModel]
    public partial class SoftplusRidge
    {
        [Param("K,D")] public Mat W;
        [Param("K", Init = 1.0)] public Vec Alpha;

        [Energy] internal Scalar E(Vec x) => Sum(Alpha * Softplus(W * x)) + 0.5 * Norm2(x);
    }

    /// <summary>Grad of a helper method inside an energy: E(x) = ½‖∇U(x)‖² with U(q) = Σ αᵢ log(1 + (wᵢᵀq)²) (a Fisher-type energy).</summary>
    [EnergyModel]
    public partial class HelperGradEnergy
    {
        [Param("K,D")] public Mat W;
        [Param("K", Init = 1.0)] public Vec Alpha;

        Scalar U(Vec q) => Sum(Alpha * Log(1 + Square(W * q)));

        [Energy] Scalar E(Vec x) => 0.5 * Norm2(Grad(U, x)) + 0.1 * Norm2(x);
    }

    /// <summary>Grad of a lambda closing over a parameter: E(x) = x·∇f(x) with f(q) = Σ log(1 + (q − b)²).</summary>
    [EnergyModel]
    public partial class LambdaGradEnergy
    {
        [Param("D")] public Vec B;

        [Energy] Scalar E(Vec x) => Dot(Grad(q => Sum(Log(1 + Square(q - B))), x), x) + 0.5 * Norm2(x);
    }

    /// <summary>Grad of a part's energy: E(x) = ½‖∇U(x)‖² for the part U = SoftplusRidge.</summary>
    [EnergyModel]
    public partial class PartGradEnergy
    {
        public readonly SoftplusRidge Ridge;

        [Energy] Scalar E(Vec x) => 0.5 * Norm2(Grad(Ridge.E, x));
    }

    /// <summary>
    /// Grad(f, a) in equations (a part's energy, a helper method, a lambda): the generated scores of energies built from gradients
    /// against torch's autograd of the eager equations (second order: the eager Grad keeps its graph), and the generated
    /// divergence against autograd of the generated score; and the kinetic-Langevin [Sde] whose drift is −∇E of a mixture part.
    /// </summary>
    public class GradInEquationsTests
    {
        private static double RelErr(Tensor actual, Tensor expected) =>
            (actual - expected).abs().max().ToDoubleValue() / (1 + expected.abs().max().ToDoubleValue());

        private static void Randomise(torch.nn.Module module, long seed)
        {
            var g = new Generator((ulong)seed);
            using var noGrad = no_grad();
            foreach (var (_, p) in module.named_parameters()) p.normal_(0, 0.7, generator: g);
        }

        private static void CheckScoreAndDivergence(IEquationModel model, Func<Tensor, Tensor> score, Func<Tensor, Tensor> divergence, long seed, string name)
        {
            var x = empty(24, 3, dtype: ScalarType.Float64).normal_(0, 1.3, generator: new Generator((ulong)seed + 7));
            var reference = Autograd.Score(model.EnergyEager, x);
            Assert.True(RelErr(score(x), reference) <= 1e-10, $"{name} seed {seed}: score vs autograd of the eager equation: {RelErr(score(x), reference)}");
            var autogradDivergence = Autograd.Divergence(score, x);
            Assert.True(RelErr(divergence(x), autogradDivergence) <= 1e-9, $"{name} seed {seed}: divergence vs autograd of the generated score: {RelErr(divergence(x), autogradDivergence)}");
        }

        [Fact]
        public void Energies_written_with_Grad_have_scores_equal_to_second_order_autograd()
        {
            foreach (var seed in FixedSeeds.For("grad-in-equations", 4))
            {
                using var scope = NewDisposeScope();
                var helper = new HelperGradEnergy(D: 3, K: 4);
                helper.to(ScalarType.Float64);
                Randomise(helper, seed);
                CheckScoreAndDivergence(helper, helper.Score, helper.ScoreDivergence, seed, nameof(HelperGradEnergy));

                var lambda = new LambdaGradEnergy(D: 3);
                lambda.to(ScalarType.Float64);
                Randomise(lambda, seed);
                CheckScoreAndDivergence(lambda, lambda.Score, lambda.ScoreDivergence, seed, nameof(LambdaGradEnergy));

                var part = new PartGradEnergy(D: 3, Ridge_K: 5);
                part.to(ScalarType.Float64);
                Randomise(part, seed);
                CheckScoreAndDivergence(part, part.Score, part.ScoreDivergence, seed, nameof(PartGradEnergy));
            }
        }

        [Fact]
        public void The_eager_Grad_is_the_autograd_gradient()
        {
            using var scope = NewDisposeScope();
            var x = empty(5, 3, dtype: ScalarType.Float64).normal_(0, 1, generator: new Generator(3));
            var gradient = Grad(q => Sum(Log(1 + Square(q))), new Vec(x)).Tensor;
            Assert.True(RelErr(gradient, 2 * x / (1 + x.square())) <= 1e-14);
        }

        [Fact]
        public void The_kinetic_Langevin_drift_is_velocity_and_minus_the_part_energy_gradient_minus_friction()
        {
            foreach (var seed in FixedSeeds.For("kinetic-langevin-drift", 4))
            {
                using var scope = NewDisposeScope();
                var g = new Generator((ulong)seed);
                var sde = new KineticLangevin(D: 3, Target_K: 4, generator: g) { Friction = 0.5 + seed % 3 };
                sde.to(ScalarType.Float64);
                Randomise(sde, seed);
                Assert.Equal(6, sde.Dim);
                Assert.Equal(3, sde.D);
                var u = empty(40, 6, dtype: ScalarType.Float64).normal_(0, 2, generator: g);
                var t = full(40, 0.3, dtype: ScalarType.Float64);
                var x = u[.., 0..3];
                var v = u[.., 3..6];
                // −∇E(x) by autograd of the part's generated energy (first order, independent of the symbolic gradient).
                var minusGradE = Autograd.Score(sde.Target.Energy, x.clone());
                var expected = cat(new[] { v, minusGradE - sde.Friction * v }, 1);
                Assert.True(RelErr(sde.Drift(u, t), expected) <= 1e-12, $"seed {seed}: drift {RelErr(sde.Drift(u, t), expected)}");
                var noise = cat(new[] { zeros(40, 3, dtype: ScalarType.Float64), full(40, 3, System.Math.Sqrt(2 * sde.Friction), dtype: ScalarType.Float64) }, 1);
                Assert.True(RelErr(sde.DiffusionValue(u, t), noise) <= 1e-14, $"seed {seed}: diffusion");
                Assert.Equal(new[] { "Target.Mu", "Target.LogW", "Target.Sigma" }, sde.named_parameters().Select(p => p.name));
                Assert.Contains("not linear", sde.KernelUnavailableReason);
            }
        }
    }

    /// <summary>`dsl kinetic-langevin`: the x-marginal after burn-in against the mixture, in standard errors.</summary>
    [Collection("Console")]
    public class KineticLangevinCliTests
    {
        [Fact]
        public void Kinetic_Langevin_recovers_the_mixture_moments_and_weights_within_four_standard_errors()
        {
            // 4000 chains from the lighter mode, T = 50, step 0.005: the EM bias of the variances is ≈ 0.8 % (≈ 0.4 SE), the weights'
            // relaxation e^{−0.16 T} is far below their standard error.
            var json = Gallery.RunJson("kinetic-langevin");
            Assert.Equal(4000, json.GetProperty("chains").GetInt32());
            var checks = json.GetProperty("checks").EnumerateArray().ToList();
            Assert.Equal(new[] { "mean[0]", "mean[1]", "cov[0,0]", "cov[1,1]", "cov[0,1]", "weight[0]", "weight[1]" }, checks.Select(c => c.GetProperty("name").GetString()));
            foreach (var c in checks)
            {
                double z = c.GetProperty("z").GetDouble(), se = c.GetProperty("standard_error").GetDouble();
                Assert.True(se > 0 && se < 0.1, c.GetProperty("name").GetString() + ": standard error " + se);
                Assert.True(System.Math.Abs(z) <= 4, c.GetProperty("name").GetString() + ": " + c.GetProperty("estimate").GetDouble() + " vs " + c.GetProperty("exact").GetDouble() + ", z = " + z);
            }
            var (code, _, err) = Gallery.Run(new[] { "kinetic-langevin", "--friction", "-1", "--json" });
            Assert.Equal(2, code);
            Assert.Contains("--friction must be a finite number > 0", err);
            (code, _, err) = Gallery.Run(new[] { "kinetic-langevin", "--time", "200", "--json" });
            Assert.Equal(2, code);
            Assert.Contains("--time must be at most the SDE's end time 100", err);
        }
    }
}

namespace Dsl.Models.Tests
{
    /// <summary>
    /// `dsl beyond`: the composition and conditioning acceptance cases from the gallery. The closed-form cases run here; the
    /// trained cases (time-energy, classifier-guidance) are the same experiment functions ConditioningTests asserts on.
    /// </summary>
    [Collection("Console")]
    public class BeyondCliTests
    {
        [Fact]
        public void The_posterior_and_the_conditional_Gaussian_equal_their_closed_forms_from_the_gallery()
        {
            var posterior = Gallery.RunJson("beyond", "--case", "posterior");
            Assert.Equal("GaussianPosterior", posterior.GetProperty("model").GetString());
            Assert.True(posterior.GetProperty("max_score_error").GetDouble() < 1e-10, "posterior score " + posterior.GetProperty("max_score_error").GetDouble());
            Assert.True(posterior.GetProperty("max_divergence_error").GetDouble() < 1e-9, "posterior divergence");
            var conditional = Gallery.RunJson("beyond", "--case", "conditional-gaussian");
            Assert.True(conditional.GetProperty("max_score_error").GetDouble() < 1e-12, "conditional score " + conditional.GetProperty("max_score_error").GetDouble());
            Assert.True(conditional.GetProperty("max_divergence_error").GetDouble() < 1e-12, "conditional divergence");
            Assert.True(conditional.GetProperty("max_log_prob_error").GetDouble() < 1e-12, "conditional log-density");
            var (code, _, err) = Gallery.Run(new[] { "beyond", "--case", "nope", "--json" });
            Assert.Equal(2, code);
            Assert.Contains("posterior, conditional-gaussian, time-energy, classifier-guidance", err);
        }
    }
}
