using System;
using System.Linq;
using Dsl.Diffusion;
using Dsl.Discrete;
using Dsl.Families;
using Dsl.ScoreMatching;
using Dsl.Sde;
using Dsl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// Every public entry point that calls autograd, given the mistake that used to reach libtorch's autograd.grad and abort the
    /// process (SIGABRT: the test host would die, failing the run) or surface a raw libtorch message: each must throw an
    /// ArgumentException that names the entry point and the fix, and the process must go on.
    /// </summary>
    public class AutogradGuardTests
    {
        private static IEnergyScoreModel Mixture() => (IEnergyScoreModel)ModelCatalog.Find("GaussianMixture")!.Create(0);

        private static Tensor Batch(long n = 8) => empty(n, 2).normal_(0, 1, generator: new Generator(3));

        /// <summary>A hand-written score model whose differentiable Score is really the inference path: its result has no graph.</summary>
        private sealed class ScoreWithoutGraph : IScoreModel
        {
            private readonly IScoreModel inner;
            public ScoreWithoutGraph(IScoreModel inner) { this.inner = inner; }
            public string ModelName => "ScoreWithoutGraph";
            public int Dim => inner.Dim;
            public Tensor Score(Tensor x) => inner.ScoreNoGrad(x);
            public Tensor ScoreNoGrad(Tensor x) => inner.ScoreNoGrad(x);
        }

        private static void AssertNamesMistake(ArgumentException e, string entryPoint, string fix)
        {
            Assert.Contains(entryPoint, e.Message);
            Assert.Contains(fix, e.Message);
        }

        [Fact]
        public void ProbabilityFlow_LogLikelihood_with_Hutchinson_refuses_a_ScoreNoGrad_delegate_instead_of_aborting()
        {
            var model = Mixture();
            var score = TimeScores.FromScorePrediction(2, (x, t) => model.ScoreNoGrad(x), "ScoreNoGrad delegate");
            var e = Assert.Throws<ArgumentException>(() => ProbabilityFlow.LogLikelihood(new VeSde(), score, Batch(),
                new LikelihoodOptions { Divergence = DivergenceEstimator.HutchinsonRademacher }));
            AssertNamesMistake(e, "ProbabilityFlow.LogLikelihood with a Hutchinson estimator", "must be differentiable in x");
            Assert.Contains("ScoreNoGrad is not differentiable (use Score)", e.Message);
            Assert.Contains("'ScoreNoGrad delegate'", e.Message);
        }

        [Fact]
        public void ProbabilityFlow_LogLikelihood_with_the_exact_estimator_refuses_a_ScoreNoGrad_delegate_instead_of_a_silent_zero_divergence()
        {
            var model = Mixture();
            var score = TimeScores.FromScorePrediction(2, (x, t) => model.ScoreNoGrad(x), "ScoreNoGrad delegate");
            var e = Assert.Throws<ArgumentException>(() => ProbabilityFlow.LogLikelihood(new VeSde(), score, Batch(), new LikelihoodOptions()));
            AssertNamesMistake(e, "ProbabilityFlow.LogLikelihood with the Exact estimator", "use Score");
        }

        [Fact]
        public void Autograd_Score_refuses_EnergyNoGrad()
        {
            var model = Mixture();
            var e = Assert.Throws<ArgumentException>(() => Autograd.Score(model.EnergyNoGrad, Batch()));
            AssertNamesMistake(e, "Autograd.Score", "not EnergyNoGrad");
            Assert.Contains("the energy must be differentiable in x", e.Message);
        }

        [Fact]
        public void Autograd_Divergence_refuses_ScoreNoGrad()
        {
            var model = Mixture();
            var e = Assert.Throws<ArgumentException>(() => Autograd.Divergence(model.ScoreNoGrad, Batch()));
            AssertNamesMistake(e, "Autograd.Divergence", "not ScoreNoGrad");
        }

        [Fact]
        public void DivergenceEstimators_refuse_a_field_or_model_without_a_graph()
        {
            var model = Mixture();
            var x = Batch();
            AssertNamesMistake(Assert.Throws<ArgumentException>(() => DivergenceEstimators.Exact(model.ScoreNoGrad, x)), "DivergenceEstimators.Exact", "not ScoreNoGrad");
            AssertNamesMistake(Assert.Throws<ArgumentException>(() => DivergenceEstimators.Exact(model.ScoreNoGrad, x, differentiable: true)),
                "DivergenceEstimators.Exact", "not ScoreNoGrad");
            AssertNamesMistake(Assert.Throws<ArgumentException>(() => DivergenceEstimators.Exact(new ScoreWithoutGraph(model), x)),
                "DivergenceEstimators.Exact", "use the model's differentiable Score");
            using var g = new Generator(1);
            AssertNamesMistake(Assert.Throws<ArgumentException>(() => DivergenceEstimators.Hutchinson(model.ScoreNoGrad, x, 2, ProbeDistribution.Gaussian, g)),
                "DivergenceEstimators.Hutchinson", "not ScoreNoGrad");
        }

        [Fact]
        public void Implicit_and_sliced_score_matching_refuse_a_score_without_a_graph()
        {
            var model = new ScoreWithoutGraph(Mixture());
            var x = Batch();
            var e = Assert.Throws<ArgumentException>(() => ScoreMatchingLosses.Implicit(model, x));
            AssertNamesMistake(e, "ScoreMatchingLosses.Implicit", "use the model's differentiable Score");
            Assert.Contains("'ScoreWithoutGraph'", e.Message);
            using var g = new Generator(2);
            AssertNamesMistake(Assert.Throws<ArgumentException>(() => ScoreMatchingLosses.Sliced(model, x, g)), "ScoreMatchingLosses.Sliced", "use the model's differentiable Score");
        }

        /// <summary>A noisy classifier that detaches its input: its logits have no graph in x.</summary>
        private sealed class DetachingClassifier : INoisyClassifier
        {
            private readonly Tensor weights = empty(2, 3).normal_(0, 1, generator: new Generator(5));
            public string ModelName => "DetachingClassifier";
            public int Dim => 2;
            public int Classes => 3;
            public Tensor Logits(Tensor x, Tensor time) => x.detach().matmul(weights);
        }

        [Fact]
        public void Classifier_guidance_refuses_a_classifier_whose_logits_have_no_graph_in_x()
        {
            var classifier = new DetachingClassifier();
            var x = Batch(4);
            using var t = tensor(new[] { 0.5f, 0.5f, 0.5f, 0.5f });
            using var labels = tensor(new long[] { 0, 1, 2, 0 });
            var e = Assert.Throws<ArgumentException>(() => Guidance.LogProbGradient(classifier, x, t, labels));
            AssertNamesMistake(e, "Guidance.LogProbGradient", "INoisyClassifier.Logits must keep its autograd graph in x");
            var guided = Guidance.ClassifierGuided(new VpSde(), (xx, tt) => zeros_like(xx), classifier, labels, 1.0);
            var viaGuided = Assert.Throws<ArgumentException>(() => guided(x, t));
            AssertNamesMistake(viaGuided, "Guidance.ClassifierGuided", "INoisyClassifier.Logits must keep its autograd graph in x");
        }

        [Fact]
        public void A_continuous_flow_refuses_a_detached_field_in_likelihood_and_training()
        {
            var flow = new ContinuousFlow("DetachedField", 2, (z, t) => z.detach().neg());
            var x = Batch(4);
            AssertNamesMistake(Assert.Throws<ArgumentException>(() => flow.LogLikelihood(x)), "DetachedField.LogLikelihood with the exact divergence", "must keep its autograd graph in z");
            AssertNamesMistake(Assert.Throws<ArgumentException>(() => flow.LogLikelihood(x, divergence: CnfDivergence.Hutchinson)),
                "DetachedField.LogLikelihood with a Hutchinson divergence", "must keep its autograd graph in z");
            AssertNamesMistake(Assert.Throws<ArgumentException>(() => flow.NegativeLogLikelihoodLoss(x, steps: 1)), "DetachedField.NegativeLogLikelihoodLoss", "must keep its autograd graph in z");
        }

        [Fact]
        public void A_continuous_flow_whose_field_ignores_z_has_zero_divergence_instead_of_aborting()
        {
            // The field depends on a trainable tensor but not on z: autograd.grad without allow_unused used to abort here.
            using var velocity = tensor(new[] { 0.5f, -1.0f }).requires_grad_(true);
            var flow = new ContinuousFlow("ConstantVelocity", 2, (z, t) => velocity.expand(z.shape[0], 2));
            var x = Batch(4);
            using var exact = flow.LogLikelihood(x);
            using var hutchinson = flow.LogLikelihood(x, divergence: CnfDivergence.Hutchinson);
            Assert.Equal(0.0, exact.DeltaLogProb.abs().max().ToDoubleValue());
            Assert.Equal(0.0, hutchinson.DeltaLogProb.abs().max().ToDoubleValue());
            // z(T) = x + T·v for a constant velocity: the solve itself ran.
            using var expected = x.Add(velocity.detach());
            Assert.True((exact.Latent - expected).abs().max().ToDoubleValue() < 1e-4);
        }

        [Fact]
        public void The_trainer_refuses_a_loss_without_a_graph()
        {
            var model = (ParameterModule)ModelCatalog.Find("GaussianMixture")!.Create(0);
            var energy = (IEnergyModel)model;
            var e = Assert.Throws<ArgumentException>(() => Trainer.Train(model, new TensorDataStream(Batch(32), 8, 0), (x, g) => energy.EnergyNoGrad(x).mean(),
                new TrainerOptions { Steps = 2, LearningRate = 1e-3 }));
            AssertNamesMistake(e, "Trainer.Train", "not ScoreNoGrad or EnergyNoGrad");
            Assert.Contains("the parameters of 'GaussianMixture'", e.Message);
        }

        [Fact]
        public void The_trainer_refuses_a_loss_that_reuses_a_graph_freed_by_the_previous_step()
        {
            var model = (ParameterModule)ModelCatalog.Find("GaussianMixture")!.Create(0);
            var energy = (IEnergyModel)model;
            // Computed once from a parameter, outside the loss: the first step's backward frees exp's saved result.
            using var cached = model.get_parameter("Mu")!.exp();
            var e = Assert.Throws<ArgumentException>(() => Trainer.Train(model, new TensorDataStream(Batch(32), 8, 0),
                (x, g) => energy.Energy(x).mean().Add(cached.sum()), new TrainerOptions { Steps = 3, LearningRate = 1e-3 }));
            AssertNamesMistake(e, "Trainer.Train", "already freed");
            Assert.Contains("inside each evaluation", e.Message);
        }

        private static Mlp FrozenDiscriminator()
        {
            var discriminator = new Mlp("FrozenDiscriminator", 2, new[] { 4 }, 1, generator: new Generator(6));
            foreach (var p in discriminator.parameters()) p.requires_grad_(false);
            return discriminator;
        }

        [Fact]
        public void GAN_training_refuses_a_discriminator_without_trainable_parameters()
        {
            Func<int, Generator, Tensor> real = (n, g) => empty(n, 2).normal_(0, 1, generator: g);
            var alone = Assert.Throws<ArgumentException>(() => GanTraining.TrainDiscriminator(FrozenDiscriminator(), real, real, steps: 2, batchSize: 8, learningRate: 1e-3, seed: 0));
            AssertNamesMistake(alone, "GanTraining.TrainDiscriminator", "'FrozenDiscriminator' needs trainable parameters");
            var generator = new Mlp("Generator", 2, new[] { 4 }, 2, generator: new Generator(7));
            var both = Assert.Throws<ArgumentException>(() => GanTraining.Train(generator, FrozenDiscriminator(), real, new GanOptions { Steps = 2, BatchSize = 8 }));
            AssertNamesMistake(both, "GanTraining.Train", "'FrozenDiscriminator' needs trainable parameters");
            Assert.Contains("the discriminator loss", both.Message);
        }

        [Fact]
        public void Fully_visible_learning_refuses_a_frozen_parameter()
        {
            var student = new FullyVisibleBoltzmannMachine(N: 3);
            student.to(ScalarType.Float64);
            var w = student.get_parameter("W")!;
            var b = student.get_parameter("B")!;
            b.requires_grad_(false);
            var data = FullyVisibleLearning.AllStates(UnitKind.Bits, 3);
            var e = Assert.Throws<ArgumentException>(() => FullyVisibleLearning.Fit(student, new[] { w, b }, data, steps: 2, learningRate: 0.1, chains: 8,
                sweepsPerStep: 1, batchSize: 8, new Generator(4)));
            AssertNamesMistake(e, "FullyVisibleLearning.Fit", "require grad (not frozen)");
            Assert.Contains("tensor 1 of 2", e.Message);
        }

        [Fact]
        public void Hopfield_gradient_learning_refuses_a_frozen_weight_matrix()
        {
            var net = new HopfieldNetwork(N: 8);
            net.to(ScalarType.Float64);
            net.get_parameter("W")!.requires_grad_(false);
            using var patterns = tensor(new double[]
            {
                1, -1, 1, 1, -1, -1, 1, -1,
                -1, -1, 1, -1, 1, 1, 1, -1,
                1, 1, -1, -1, -1, 1, -1, 1,
            }).reshape(3, 8);
            var e = Assert.Throws<ArgumentException>(() => HopfieldLearning.Gradient(net, patterns, new HopfieldGradientOptions { Steps = 2 }));
            AssertNamesMistake(e, "HopfieldLearning.Gradient", "'W' must require grad");
        }
    }
}
