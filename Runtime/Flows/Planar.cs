using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Flows
{
    /// <summary>
    /// The planar flow's invertibility condition (Rezende &amp; Mohamed 2015, appendix A): f(z) = z + u·tanh(wᵀz + b) is
    /// invertible iff wᵀu ≥ −1, and û = u + (m(wᵀu) − wᵀu)·w/‖w‖² with m(a) = −1 + softplus(a) always satisfies it.
    /// </summary>
    public static class Planar
    {
        /// <summary>û = u + (m(wᵀu) − wᵀu)·w/‖w‖², m(a) = −1 + softplus(a): [D] for u, w: [D]; differentiable.</summary>
        public static Tensor ConstrainedU(Tensor u, Tensor w)
        {
            if (u is null) throw new ArgumentNullException(nameof(u));
            if (w is null) throw new ArgumentNullException(nameof(w));
            if (u.dim() != 1 || w.dim() != 1 || u.shape[0] != w.shape[0])
                throw new ArgumentException("Planar.ConstrainedU: u and w must be vectors of the same length; got " + Broadcasting.Describe(u) + " and " + Broadcasting.Describe(w) + ".");
            using var scope = NewDisposeScope();
            var wu = (w * u).sum();
            var m = global::Dsl.ScalarOps.Softplus(wu).Sub(1);
            return (u.Add((m - wu) * w / w.Square().sum())).MoveToOuterDisposeScope();
        }

        /// <summary>Throws unless every parameter is finite.</summary>
        public static void CheckFinite(string model, string method, params Tensor[] parameters)
        {
            using var scope = NewDisposeScope();
            foreach (var p in parameters)
            {
                if (!p.isfinite().all().ToBooleanValue())
                    throw new ArgumentException(model + "." + method + ": a parameter holds NaN or ±∞ (training diverged?); reload the last checkpoint.");
            }
        }

        /// <summary>
        /// Throws an <see cref="ArgumentException"/> naming the model, the method and the parameter when wᵀu &lt; −1: the
        /// layer is then not invertible (f folds the line along w) and log|det| is meaningless.
        /// </summary>
        public static void CheckInvertible(string model, string method, string uName, Tensor u, Tensor w, Tensor b)
        {
            CheckFinite(model, method, u, w, b);
            double wu;
            using (no_grad())
            using (NewDisposeScope())
                wu = (w * u).sum().ToDoubleValue();
            if (wu < -1)
                throw new ArgumentException(model + "." + method + ": parameter '" + uName + "' makes the planar layer non-invertible: wᵀu = "
                    + wu.ToString("G4", System.Globalization.CultureInfo.InvariantCulture) + " < −1 (Rezende & Mohamed 2015, appendix A). "
                    + "Use InvertiblePlanarFlow, or set u to Planar.ConstrainedU(u, w).", uName);
        }
    }
}
