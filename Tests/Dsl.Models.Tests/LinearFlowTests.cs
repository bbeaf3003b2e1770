using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.Flows;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// The generated linear layer y = A z + b (LinearFlow, A = I + W) against independent truth, in float64 with fixed seeds: the inverse
    /// composes with the forward to the identity, log|det A| equals log|det| of the autograd Jacobian of the user's own transform (also
    /// for det A &lt; 0), a stack with affine couplings gives the log-density of the change of variables computed here from autograd
    /// Jacobians, the log-likelihood's gradient in W is the closed form A⁻ᵀ(z zᵀ − I), and maximum likelihood reaches the Gaussian MLE.
    /// </summary>
    public class LinearFlowTests
    {
        private static Tensor Normal(long[] shape, double std, Generator g) => empty(shape, dtype: ScalarType.Float64).normal_(0, std, generator: g);

        /// <summary>A well-conditioned non-symmetric D×D matrix diag(±1.5) + 0.3·G; the first diagonal entry is negative when <paramref name="flip"/>.</summary>
        private static Tensor Matrix(int d, bool flip, Generator g)
        {
            var signs = ones(d, dtype: ScalarType.Float64);
            if (flip) signs[0] = tensor(-1.0, dtype: ScalarType.Float64);
            return ScalarOps.Add(diag(signs.Mul(1.5)), Normal(new long[] { d, d }, 0.3, g));
        }

        /// <summary>A float64 LinearFlow with A = <paramref name="a"/> (W = A − I) and a random shift.</summary>
        private static LinearFlow Layer(Tensor a, Generator g)
        {
            int d = (int)a.shape[0];
            var layer = new LinearFlow(d);
            layer.to(ScalarType.Float64);
            layer.SetParameter("W", a - eye(d, dtype: ScalarType.Float64));
            layer.SetParameter("B", Normal(new long[] { d }, 1.0, g));
            return layer;
        }

        private static Tensor Parameter(ParameterModule m, string name) => m.named_parameters().First(p => p.name == name).parameter;

        [Theory]
        [InlineData(2, false)]
        [InlineData(3, true)]
        [InlineData(5, false)]
        [InlineData(5, true)]
        public void Forward_and_inverse_compose_to_the_identity(int d, bool flip)
        {
            foreach (var seed in FixedSeeds.For("linear-inverse" + d + flip, 3))
            {
                using var scope = NewDisposeScope();
                var g = new Generator((ulong)seed);
                var layer = Layer(Matrix(d, flip, g), g);
                var z = Normal(new long[] { 200, d }, 2.0, g);
                var y = layer.Forward(z);
                Assert.True((y - z).abs().max().ToDoubleValue() > 0.1, "the randomised layer must not be the identity");
                double roundTrip = (layer.Inverse(y) - z).abs().max().ToDoubleValue();
                double otherWay = (layer.Forward(layer.Inverse(z)) - z).abs().max().ToDoubleValue();
                Assert.True(roundTrip < 1e-10 && otherWay < 1e-10, "seed " + seed + ": |f⁻¹(f(z)) − z| = " + roundTrip + ", |f(f⁻¹(z)) − z| = " + otherWay);
                Assert.True((y - layer.TransformEager(z)).abs().max().ToDoubleValue() < 1e-12, "Forward equals the user's transform run eagerly");
                var (back, logDet) = layer.InverseAndLogDet(y);
                Assert.True((back - z).abs().max().ToDoubleValue() < 1e-10);
                Assert.Equal(new long[] { 200 }, logDet.shape);
            }
        }

        [Theory]
        [InlineData(2, false)]
        [InlineData(2, true)]
        [InlineData(4, true)]
        public void Generated_log_determinant_matches_the_autograd_Jacobian_also_for_a_negative_determinant(int d, bool flip)
        {
            foreach (var seed in FixedSeeds.For("linear-logdet" + d + flip, 3))
            {
                using var scope = NewDisposeScope();
                var g = new Generator((ulong)seed);
                var a = Matrix(d, flip, g);
                var layer = Layer(a, g);
                if (flip && linalg.det(a).ToDoubleValue() >= 0) continue;   // the case is about det A < 0; counted below
                var z = Normal(new long[] { 32, d }, 2.0, g);
                var reference = FlowJacobian.LogAbsDet(layer, z);            // slogdet of the autograd Jacobian at every row
                var generated = layer.LogDetJacobian(z);
                Assert.Equal(new long[] { 32 }, generated.shape);
                double err = (generated - reference).abs().max().ToDoubleValue();
                Assert.True(err < 1e-10, "seed " + seed + ": max |log det − autograd| = " + err);
                Assert.True(reference.abs().max().ToDoubleValue() > 0.05, "a non-trivial log-determinant");
                var (output, logDet) = layer.ForwardAndLogDet(z);
                var (outputNoGrad, logDetNoGrad) = layer.ForwardAndLogDetNoGrad(z);
                Assert.True((logDet - generated).abs().max().ToDoubleValue() < 1e-12 && (logDetNoGrad - generated).abs().max().ToDoubleValue() < 1e-12);
                Assert.True((outputNoGrad - output).abs().max().ToDoubleValue() < 1e-12);
            }
            if (flip)
            {
                // At least one of the seeds really had det A < 0 (diag(−1.5, 1.5, …) + 0.3·G keeps the sign for these seeds).
                int negative = FixedSeeds.For("linear-logdet" + d + flip, 3).Count(seed =>
                {
                    using var scope = NewDisposeScope();
                    return linalg.det(Matrix(d, true, new Generator((ulong)seed))).ToDoubleValue() < 0;
                });
                Assert.True(negative >= 2, negative + " of 3 matrices have det A < 0");
            }
        }

        [Fact]
        public void A_stack_with_couplings_gives_the_change_of_variables_log_density_computed_from_autograd_Jacobians()
        {
            // log q(x) = log N(z₀; 0, I) − Σₖ log|det ∂fₖ/∂zₖ₋₁| along the forward pass z₀ → x, each Jacobian by autograd of the user's transform;
            // FlowStack.LogProb instead runs the generated inverses and log-determinants backwards from x.
            using var scope = NewDisposeScope();
            var g = new Generator(23);
            const int k = 2, d = 2 * k;
            var layers = new List<IFlowLayer>();
            for (int i = 0; i < 4; i++)
            {
                IInvertibleFlowLayer coupling = i % 2 == 0 ? new AffineCoupling(k, 6, g) : new AffineCouplingSwapped(k, 6, g);
                var module = (ParameterModule)coupling;
                module.to(ScalarType.Float64);
                foreach (var (name, p) in module.named_parameters().ToList()) module.SetParameter(name, Normal(p.shape, 0.5, g));
                layers.Add(coupling);
                layers.Add(Layer(Matrix(d, i == 1, g), g));
            }
            var stack = new FlowStack("Stack", layers);
            var z0 = Normal(new long[] { 64, d }, 1.0, g);
            var logq = FlowStack.BaseLogProb(z0);
            var x = z0;
            foreach (var layer in layers)
            {
                logq = logq - FlowJacobian.LogAbsDet(layer, x);
                x = layer.TransformEager(x).detach();
            }
            double err;
            using (no_grad()) err = (stack.LogProb(x) - logq).abs().max().ToDoubleValue();
            Assert.True(err < 1e-9, "max |LogProb − change of variables| = " + err);
            using (no_grad()) Assert.True((stack.LogProb(x) - FlowStack.BaseLogProb(x)).abs().max().ToDoubleValue() > 0.1, "the stack is not the identity");
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void The_log_likelihood_gradient_in_W_and_b_is_the_closed_form(bool flip)
        {
            // log q(x) = log N(z; 0, I) − log|det A| with z = A⁻¹(x − b), A = I + W: ∂/∂W = A⁻ᵀ(mean z zᵀ − I), ∂/∂b = A⁻ᵀ mean z
            // (d log|det A| = tr(A⁻¹ dA), dz = −A⁻¹ dA z − A⁻¹ db).
            using var scope = NewDisposeScope();
            var g = new Generator(flip ? 41UL : 40UL);
            const int d = 3;
            var a = Matrix(d, flip, g);
            var layer = Layer(a, g);
            var stack = new FlowStack("One", new IFlowLayer[] { layer });
            var x = Normal(new long[] { 50, d }, 1.5, g);
            var w = Parameter(layer, "W");
            var b = Parameter(layer, "B");
            var grads = autograd.grad(new[] { stack.LogProb(x).mean() }, new[] { w, b });

            var inverseT = linalg.inv(a).transpose(0, 1);
            var z = linalg.solve(a, (x - b.detach()).transpose(0, 1)).transpose(0, 1);                 // [N, D]
            var second = z.transpose(0, 1).matmul(z).Div(x.shape[0]);                                  // mean z zᵀ
            var expectedW = inverseT.matmul(second - eye(d, dtype: ScalarType.Float64));
            var expectedB = inverseT.matmul(z.mean(new long[] { 0 }));
            double errW = (grads[0] - expectedW).abs().max().ToDoubleValue(), errB = (grads[1] - expectedB).abs().max().ToDoubleValue();
            Assert.True(errW < 1e-10 && errB < 1e-10, "|∂/∂W − closed form| = " + errW + ", |∂/∂b − closed form| = " + errB);
            // The log-determinant alone: ∂ log|det A| / ∂W = A⁻ᵀ, whatever the sign of det A.
            var logDetGrad = autograd.grad(new[] { layer.LogDetJacobian(x)[0] }, new[] { w })[0];
            Assert.True((logDetGrad - inverseT).abs().max().ToDoubleValue() < 1e-10);
        }

        [Fact]
        public void Maximum_likelihood_from_the_identity_reaches_the_Gaussian_MLE()
        {
            // One linear layer pushes N(0, I) to N(b, A Aᵀ), so its maximum-likelihood NLL is bounded below by the Gaussian MLE's
            // (sample mean and covariance), ½ log det(2πe Σ̂); Adam from the identity must get within 2e-3 nats of it.
            using var scope = NewDisposeScope();
            var g = new Generator(7);
            const int d = 3, n = 400;
            var mix = tensor(new double[] { 2.0, 0.0, 0.0, -1.2, 0.7, 0.0, 0.5, 0.3, 0.4 }, dtype: ScalarType.Float64).reshape(d, d);
            var x = ScalarOps.Add(Normal(new long[] { n, d }, 1.0, g).matmul(mix.transpose(0, 1)), tensor(new double[] { 1.0, -2.0, 0.5 }, dtype: ScalarType.Float64));
            var centred = x - x.mean(new long[] { 0 });
            var covariance = centred.transpose(0, 1).matmul(centred).Div(n);
            double mle = 0.5 * (linalg.slogdet(covariance).Item2.ToDoubleValue() + d * System.Math.Log(2 * System.Math.PI * System.Math.E));

            var layer = new LinearFlow(d, g);
            layer.to(ScalarType.Float64);
            var stack = new FlowStack("Fit", new IFlowLayer[] { layer });
            double before;
            using (no_grad()) before = stack.NegativeLogLikelihoodLoss(x).ToDoubleValue();
            var optimizer = optim.Adam(stack.parameters(), 0.05);
            for (int step = 0; step < 600; step++)
            {
                using var stepScope = NewDisposeScope();
                optimizer.zero_grad();
                stack.NegativeLogLikelihoodLoss(x).backward();
                optimizer.step();
            }
            double after;
            using (no_grad()) after = stack.NegativeLogLikelihoodLoss(x).ToDoubleValue();
            Assert.True(before > mle + 0.5, "the identity is far from the MLE: " + before + " vs " + mle);
            Assert.True(after >= mle - 1e-9, "no Gaussian beats the MLE: " + after + " < " + mle);
            Assert.True(after < mle + 2e-3, "trained NLL " + after + " vs the Gaussian MLE " + mle);
        }
    }
}
