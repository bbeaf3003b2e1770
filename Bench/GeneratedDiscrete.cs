using System.Linq;
using Dsl.Discrete;
using Dsl.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Bench
{
    /// <summary>
    /// The generated path of the discrete benchmarks, shared with the equivalence tests: one CD-1 step as `dsl rbm` takes it
    /// (negatives from <see cref="BoltzmannLearning.Gibbs"/>, the gradient by autograd of the generated free energy through
    /// <see cref="BoltzmannLearning.ContrastiveDivergenceLoss"/>), followed by the same plain SGD update as the hand-written step.
    /// </summary>
    public static class GeneratedDiscrete
    {
        /// <summary>One CD-1 step with SGD at <paramref name="lr"/> on the RBM's parameters.</summary>
        public static void Cd1Step(BinaryRbm rbm, ContrastiveDivergence objective, Tensor v, double lr, Generator generator)
        {
            using var scope = NewDisposeScope();
            rbm.zero_grad();
            objective.Loss(v, generator).backward();
            using var noGrad = no_grad();
            foreach (var p in rbm.parameters()) p.add_(p.grad!, alpha: -lr);
        }

        /// <summary>The RBM's parameter named <paramref name="name"/> (W, B or C).</summary>
        public static Tensor Parameter(BinaryRbm rbm, string name) => rbm.named_parameters().First(p => p.name == name).parameter;
    }
}
