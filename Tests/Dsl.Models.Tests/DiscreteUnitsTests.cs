using System;
using System.Linq;
using Dsl.Discrete;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// The generated single-unit members of energies over Spins and Bits against independent truth: flip energies against
    /// the user's own energy evaluated at the flipped state, conditionals against ratios of exact probabilities, local fields
    /// and self-couplings against autograd (gradient and Hessian diagonal of the eager energy).
    /// </summary>
    public class DiscreteUnitsTests
    {
        private static Tensor Normal(Generator g, params long[] shape) => empty(shape, dtype: ScalarType.Float64).normal_(0, 1, generator: g);

        /// <summary>Three pairwise models with deliberately non-zero self-couplings (a general W with a diagonal).</summary>
        public static TheoryData<string> Models => new() { "fvbm", "hopfield", "ising-dense", "lattice", "anisotropic" };

        private static IDiscreteEnergyModel Make(string name, long seed)
        {
            var g = new Generator((ulong)seed);
            switch (name)
            {
                case "fvbm":
                    {
                        var m = new FullyVisibleBoltzmannMachine(N: 5);
                        m.to(ScalarType.Float64);
                        m.SetParameter("W", Normal(g, 5, 5));                   // asymmetric, with a diagonal
                        m.SetParameter("B", Normal(g, 5));
                        return m;
                    }
                case "hopfield":
                    {
                        var m = new HopfieldNetwork(N: 5);
                        m.to(ScalarType.Float64);
                        m.SetParameter("W", Normal(g, 5, 5));
                        m.SetParameter("B", Normal(g, 5));
                        return m;
                    }
                case "ising-dense":
                    {
                        var m = new IsingModel(N: 9) { J = 0.7, H = -0.3 };
                        m.to(ScalarType.Float64);
                        m.SetParameter("A", IsingLattice.PeriodicSquare(3).to_type(ScalarType.Float64));
                        return m;
                    }
                case "anisotropic":
                    return new AnisotropicIsing(N: 16) { L = 4, Jx = 0.9, Jy = -0.4, H = 0.3 };
                default:
                    {
                        var m = new LatticeIsing(N: 9) { L = 3, J = 0.8, H = 0.25 };
                        return m;
                    }
            }
        }

        private static Tensor States(IDiscreteEnergyModel m) => FullyVisibleLearning.AllStates(m.Units, m.Dim);

        private static Tensor Flip(IDiscreteEnergyModel m, Tensor x, int i)
        {
            var y = x.clone();
            var column = y.select(1, i);
            column.copy_(m.Units == UnitKind.Spins ? -column : global::Dsl.ScalarOps.RSub(1,column));
            return y;
        }

        [Theory]
        [MemberData(nameof(Models))]
        public void Flip_energies_equal_energy_differences_of_the_flipped_states(string name)
        {
            using var scope = NewDisposeScope();
            var m = Make(name, 11);
            var x = States(m);
            var flip = m.FlipEnergyDifferences(x);
            var flipNoGrad = m.FlipEnergyDifferencesNoGrad(x);
            var e = ((IEquationModel)m).EnergyEager(x);
            for (int i = 0; i < m.Dim; i++)
            {
                var exact = ((IEquationModel)m).EnergyEager(Flip(m, x, i)) - e;
                Assert.True((exact - flip.select(1, i)).abs().max().ToDoubleValue() < 1e-10, name + ": ΔE at unit " + i);
                Assert.True((exact - flipNoGrad.select(1, i)).abs().max().ToDoubleValue() < 1e-10, name + ": ΔE (no grad) at unit " + i);
            }
        }

        [Theory]
        [MemberData(nameof(Models))]
        public void Conditionals_equal_ratios_of_exact_probabilities(string name)
        {
            using var scope = NewDisposeScope();
            var m = Make(name, 12);
            var x = States(m);
            var p = m.ConditionalProbabilities(x);
            double up = 1, down = m.Units == UnitKind.Spins ? -1 : 0;
            for (int i = 0; i < m.Dim; i++)
            {
                var withUp = x.clone(); withUp.select(1, i).Fill_(up);
                var withDown = x.clone(); withDown.select(1, i).Fill_(down);
                var eUp = ((IEquationModel)m).EnergyEager(withUp);
                var eDown = ((IEquationModel)m).EnergyEager(withDown);
                var exact = (-eUp).exp() / ((-eUp).exp().Add((-eDown).exp()));
                Assert.True((exact - p.select(1, i)).abs().max().ToDoubleValue() < 1e-12, name + ": p(unit " + i + " up | rest)");
            }
        }

        [Theory]
        [MemberData(nameof(Models))]
        public void Local_fields_and_self_couplings_equal_autograd_gradient_and_hessian_diagonal(string name)
        {
            using var scope = NewDisposeScope();
            var m = Make(name, 13);
            var x = States(m).detach().requires_grad_(true);
            var e = ((IEquationModel)m).EnergyEager(x).sum();
            var grad = autograd.grad(new[] { e }, new[] { x }, retain_graph: true, create_graph: true)[0];
            Assert.True((m.LocalFields(x.detach()).Add(grad)).abs().max().ToDoubleValue() < 1e-10, name + ": local fields");
            var d = m.SelfCouplings();
            for (int i = 0; i < m.Dim; i++)
            {
                var second = autograd.grad(new[] { grad.select(1, i).sum() }, new[] { x }, retain_graph: true)[0].select(1, i);
                Assert.True((second - d[i]).abs().max().ToDoubleValue() < 1e-10, name + ": ∂²E/∂x" + i + "²");
            }
        }

        [Fact]
        public void The_lattice_and_the_trained_boltzmann_machine_have_no_self_coupling_but_a_general_w_has()
        {
            using var scope = NewDisposeScope();
            Assert.Equal(0.0, Make("lattice", 1).SelfCouplings().abs().max().ToDoubleValue());
            var fvbm = (FullyVisibleBoltzmannMachine)Make("fvbm", 1);
            Assert.True(fvbm.SelfCouplings().abs().max().ToDoubleValue() > 0.1);
            FullyVisibleLearning.SymmetrizeZeroDiagonal(fvbm.get_parameter("W")!);
            Assert.Equal(0.0, fvbm.SelfCouplings().abs().max().ToDoubleValue());
            var w = fvbm.get_parameter("W")!;
            Assert.Equal(0.0, (w - w.t()).abs().max().ToDoubleValue());
        }

        [Fact]
        public void The_rolled_lattice_with_equal_couplings_is_the_neighbour_sum_lattice()
        {
            using var scope = NewDisposeScope();
            var rolled = new AnisotropicIsing(N: 25) { L = 5, Jx = 0.7, Jy = 0.7, H = -0.2 };
            var lattice = new LatticeIsing(N: 25) { L = 5, J = 0.7, H = -0.2 };
            var s = empty(6, 25).bernoulli_(0.5, generator: new Generator(8)).Mul_(2).Sub_(1);
            Assert.True((rolled.EnergyNoGrad(s) - lattice.EnergyNoGrad(s)).abs().max().ToDoubleValue() < 1e-5);
            Assert.True((rolled.LocalFields(s) - lattice.LocalFields(s)).abs().max().ToDoubleValue() < 1e-5);
            Assert.Equal(0.0, rolled.SelfCouplings().abs().max().ToDoubleValue());
            var e = Assert.Throws<ArgumentException>(() => new AnisotropicIsing(N: 24) { L = 5 }.EnergyNoGrad(ones(1, 24)));
            Assert.Contains("not an L×L lattice with L = 5", e.Message);
        }

        [Fact]
        public void Units_that_are_not_spins_or_bits_name_the_first_offending_entry()
        {
            using var scope = NewDisposeScope();
            var fvbm = Make("fvbm", 2);
            var x = zeros(3, 5, dtype: ScalarType.Float64);
            x[1, 2] = tensor(0.5);
            var e = Assert.Throws<ArgumentException>(() => fvbm.ConditionalProbabilities(x));
            Assert.Contains("FullyVisibleBoltzmannMachine.ConditionalProbabilities", e.Message);
            Assert.Contains("bits 0 or 1; entry [1, 2] is 0.5", e.Message);
            var lattice = Make("lattice", 2);
            var s = ones(2, 9, dtype: ScalarType.Float32);
            s[0, 4] = tensor(0f);
            var e2 = Assert.Throws<ArgumentException>(() => lattice.FlipEnergyDifferencesNoGrad(s));
            Assert.Contains("spins -1 or +1; entry [0, 4] is 0", e2.Message);
        }

        [Fact]
        public void Hopfield_asynchronous_updates_refuse_self_couplings_naming_the_unit()
        {
            using var scope = NewDisposeScope();
            var net = new HopfieldNetwork(N: 4);
            var w = zeros(4, 4);
            w[2, 2] = tensor(0.5f);
            net.SetParameter("W", w);
            var e = Assert.Throws<ArgumentException>(() => HopfieldDynamics.Asynchronous(net, ones(1, 4), 5, new Generator(1)));
            Assert.Contains("unit 2", e.Message);
            Assert.Contains("zero diagonal", e.Message);
        }

        [Fact]
        public void Gibbs_sweeps_of_a_boltzmann_machine_match_its_exact_moments()
        {
            using var scope = NewDisposeScope();
            var m = (FullyVisibleBoltzmannMachine)Make("fvbm", 21);
            FullyVisibleLearning.SymmetrizeZeroDiagonal(m.get_parameter("W")!);
            var g = new Generator(5);
            const int chains = 4000;
            var x = zeros(chains, 5, dtype: ScalarType.Float64).bernoulli_(0.5, generator: g);
            FullyVisibleLearning.Gibbs(m, x, 30, g);
            var p = FullyVisibleLearning.ExactProbabilities(m);
            var states = States(m);
            var exactMean = (p.unsqueeze(1) * states).sum(new long[] { 0 });
            var exactCorrelation = (states.unsqueeze(2) * states.unsqueeze(1) * p.view(-1, 1, 1)).sum(new long[] { 0 });
            var mean = x.mean(new long[] { 0 });
            var correlation = (x.unsqueeze(2) * x.unsqueeze(1)).mean(new long[] { 0 });
            // Independent chains: the standard error of a mean of 0/1 values is √(p(1−p)/chains).
            var seMean = ((exactMean * (global::Dsl.ScalarOps.RSub(1,exactMean))).Div(chains)).sqrt();
            var seCorrelation = ((exactCorrelation * (global::Dsl.ScalarOps.RSub(1,exactCorrelation))).Div(chains)).sqrt().Add(1e-12);
            Assert.True(((mean - exactMean).abs() / seMean).max().ToDoubleValue() < 4.5, "⟨xᵢ⟩ within 4.5 SE");
            Assert.True(((correlation - exactCorrelation).abs() / seCorrelation).max().ToDoubleValue() < 4.5, "⟨xᵢxⱼ⟩ within 4.5 SE");
        }
    }
}

namespace Dsl.Models.Tests
{
    /// <summary>Learning a fully visible Boltzmann machine: the exact gradient by enumeration is the oracle.</summary>
    public class BoltzmannMachineLearningTests
    {
        private const int N = 8;

        private static FullyVisibleBoltzmannMachine Teacher()
        {
            var g = new Generator(31);
            var m = new FullyVisibleBoltzmannMachine(N: N);
            m.to(ScalarType.Float64);
            m.SetParameter("W", empty(N, N, dtype: ScalarType.Float64).normal_(0, 0.6, generator: g));
            m.SetParameter("B", empty(N, dtype: ScalarType.Float64).normal_(0, 0.5, generator: g));
            FullyVisibleLearning.SymmetrizeZeroDiagonal(m.get_parameter("W")!);
            return m;
        }

        /// <summary>Exact draws from the teacher: multinomial over its 2^N enumerated probabilities.</summary>
        private static Tensor Draw(FullyVisibleBoltzmannMachine teacher, int count, long seed)
        {
            var p = FullyVisibleLearning.ExactProbabilities(teacher);
            var index = p.multinomial(count, replacement: true, generator: new Generator((ulong)seed));
            return FullyVisibleLearning.AllStates(UnitKind.Bits, N).index_select(0, index);
        }

        private static Tensor Correlations(Tensor x, Tensor? weights = null) =>
            weights is null ? (x.unsqueeze(2) * x.unsqueeze(1)).mean(new long[] { 0 })
                            : (x.unsqueeze(2) * x.unsqueeze(1) * weights.view(-1, 1, 1)).sum(new long[] { 0 });

        [Fact]
        public void The_exact_gradient_is_the_difference_of_data_and_model_correlations()
        {
            using var scope = NewDisposeScope();
            var teacher = Teacher();
            var data = Draw(teacher, 500, 1);
            var student = new FullyVisibleBoltzmannMachine(N: N);
            student.to(ScalarType.Float64);
            student.SetParameter("W", empty(N, N, dtype: ScalarType.Float64).normal_(0, 0.3, generator: new Generator(2)));
            FullyVisibleLearning.SymmetrizeZeroDiagonal(student.get_parameter("W")!);
            var w = student.get_parameter("W")!;
            var loss = -FullyVisibleLearning.ExactLogLikelihood(student, data).mean();
            var gradW = autograd.grad(new[] { loss }, new[] { w })[0];
            // E = −½xᵀWx: ∂(−log-likelihood)/∂Wᵢⱼ = −½(⟨xᵢxⱼ⟩_data − ⟨xᵢxⱼ⟩_model).
            var model = Correlations(FullyVisibleLearning.AllStates(UnitKind.Bits, N), FullyVisibleLearning.ExactProbabilities(student));
            var expected = (Correlations(data) - model).Mul(-0.5);
            Assert.True((gradW - expected).abs().max().ToDoubleValue() < 1e-12, "autograd of the exact likelihood vs the correlation formula");
        }

        [Fact]
        public void Persistent_gibbs_moment_matching_learns_the_teacher_and_approaches_its_likelihood()
        {
            using var scope = NewDisposeScope();
            var teacher = Teacher();
            var data = Draw(teacher, 4000, 3);
            var student = new FullyVisibleBoltzmannMachine(N: N);
            student.to(ScalarType.Float64);
            var w = student.get_parameter("W")!;
            var b = student.get_parameter("B")!;
            double before = FullyVisibleLearning.ExactLogLikelihood(student, data).mean().ToDoubleValue();
            double teacherScore = FullyVisibleLearning.ExactLogLikelihood(teacher, data).mean().ToDoubleValue();
            FullyVisibleLearning.Fit(student, new[] { w, b }, data, steps: 400, learningRate: 0.1, chains: 500, sweepsPerStep: 1, batchSize: 500,
                new Generator(4), () => FullyVisibleLearning.SymmetrizeZeroDiagonal(w));
            double after = FullyVisibleLearning.ExactLogLikelihood(student, data).mean().ToDoubleValue();
            Assert.Equal(0.0, (w - w.t()).abs().max().ToDoubleValue());
            Assert.Equal(0.0, w.diagonal().abs().max().ToDoubleValue());
            // The maximum-likelihood fit scores at least as well as the teacher on the teacher's own sample, up to SGD noise.
            Assert.True(after > before + 0.3, $"log-likelihood {before:F4} → {after:F4} nats (teacher {teacherScore:F4})");
            Assert.True(after > teacherScore - 0.02, $"student {after:F4} vs teacher {teacherScore:F4} nats");
            var modelCorrelation = Correlations(FullyVisibleLearning.AllStates(UnitKind.Bits, N), FullyVisibleLearning.ExactProbabilities(student));
            var gap = (modelCorrelation - Correlations(data)).abs().max().ToDoubleValue();
            Assert.True(gap < 0.03, "largest |⟨xᵢxⱼ⟩_model − ⟨xᵢxⱼ⟩_data| = " + gap);
        }
    }
}
