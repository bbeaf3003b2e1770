using static TorchSharp.torch;

namespace Dsl.Flows
{
    /// <summary>
    /// A flow layer with a closed-form inverse (an affine coupling, or a linear layer A z + b by a linear solve): the data log-likelihood by the change of variables,
    /// log p(x) = log N(z₀; 0, I) − Σₖ log|det ∂fₖ/∂zₖ₋₁|, needs z₀ = f₁⁻¹ ∘ … ∘ f_K⁻¹(x).
    /// </summary>
    public interface IInvertibleFlowLayer : IFlowLayer
    {
        /// <summary>f⁻¹(y): [N, D] from y: [N, D]; differentiable in y and the parameters.</summary>
        Tensor Inverse(Tensor y);

        /// <summary>z = f⁻¹(y) and log|det ∂f/∂z| at that z (the forward log-determinant), in one differentiable pass: [N, D] and [N].</summary>
        (Tensor Input, Tensor LogDet) InverseAndLogDet(Tensor y);
    }
}
