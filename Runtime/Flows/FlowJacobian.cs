using System;
using System.Linq;
using static TorchSharp.torch;

namespace Dsl.Flows
{
    /// <summary>
    /// The brute-force reference for a layer's generated log-determinant: the full Jacobian ∂f/∂z of the user's own [Transform] run
    /// eagerly (<see cref="IFlowLayer.TransformEager"/>), one backward pass per output coordinate through the guarded autograd.
    /// O(D) passes and O(N·D²) memory: a check, not a training path.
    /// </summary>
    public static class FlowJacobian
    {
        /// <summary>∂f/∂z at each row of z: [N, D, D], entry [n, i, j] = ∂fᵢ/∂zⱼ at zₙ.</summary>
        public static Tensor Of(IFlowLayer layer, Tensor z)
        {
            if (layer is null) throw new ArgumentNullException(nameof(layer));
            if (z is null || z.dim() != 2 || z.shape[1] != layer.Dim)
                throw new ArgumentException(layer.ModelName + " FlowJacobian.Of: z must be [N, " + layer.Dim + "], got " + (z is null ? "null" : Broadcasting.Describe(z)) + ".", nameof(z));
            using var scope = NewDisposeScope();
            var caller = new AutogradCaller("FlowJacobian.Of", "the transform of '" + layer.ModelName + "'", "z", "pass points z: [N, D] of the layer's dtype");
            using var grad = enable_grad();
            var zz = z.detach().requires_grad_(true);
            var f = layer.TransformEager(zz);
            int d = (int)z.shape[1];
            var rows = Enumerable.Range(0, d).Select(i =>
                GuardedAutograd.Grad(caller, f[.., i].sum(), zz, retainGraph: i < d - 1) ?? zeros_like(zz)).ToArray();
            return stack(rows, 1).detach().MoveToOuterDisposeScope();
        }

        /// <summary>log|det ∂f/∂z| of <see cref="Of"/> by an LU factorisation (torch.linalg.slogdet): [N].</summary>
        public static Tensor LogAbsDet(IFlowLayer layer, Tensor z)
        {
            using var scope = NewDisposeScope();
            var (_, logAbsDet) = linalg.slogdet(Of(layer, z));
            return logAbsDet.MoveToOuterDisposeScope();
        }
    }
}
