using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Flows
{
    /// <summary>One invertible layer x = f(z) of a normalising flow, with its log-Jacobian determinant.</summary>
    public interface IFlowLayer : IModel
    {
        /// <summary>f(z): [N, D] from z: [N, D]; differentiable in z and the parameters.</summary>
        Tensor Forward(Tensor z);

        /// <summary>log|det ∂f/∂z|: [N]; differentiable in the parameters.</summary>
        Tensor LogDetJacobian(Tensor z);

        /// <summary>f(z) and log|det ∂f/∂z| in one pass, sharing their subexpressions.</summary>
        (Tensor Output, Tensor LogDet) ForwardAndLogDet(Tensor z);

        /// <summary>f(z) and log|det ∂f/∂z| on the inference path (no tape).</summary>
        (Tensor Output, Tensor LogDet) ForwardAndLogDetNoGrad(Tensor z);

        /// <summary>Runs the user's own [Transform] method eagerly on Vec: the autograd reference.</summary>
        Tensor TransformEager(Tensor z);
    }
}
