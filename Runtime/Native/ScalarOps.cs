using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl
{
    /// <summary>
    /// TorchSharp's scalar-taking tensor operations with the <c>Scalar</c> kept alive across the native call.
    /// <para>
    /// Why: in TorchSharp 0.107 an implicit <c>double → Scalar</c> conversion (every <c>x.mul_(0.5)</c>, every
    /// <c>x * 2.0</c>, and inside TorchSharp itself every <c>a + b</c>, <c>add_(t)</c>, <c>square()</c>, <c>softplus</c>,
    /// <c>ToDouble()</c>, <c>Adam.step</c>) hands libtorch only the Scalar's handle. The Scalar object is unreachable
    /// during the call, so a garbage collection started by another thread can run its finalizer and free the native value
    /// while libtorch reads it ("Unknown scalar type", asserts in c10/core/Scalar.h, or a wrong number). Each method here
    /// creates its Scalar in a <c>using</c> local, whose Dispose after the call keeps it reachable until the call returns,
    /// and frees it deterministically (no finalizer queue). The generated code and the runtime call only these forms; the
    /// test <c>ImplicitScalarTests</c> fails the build when an implicit conversion or a racy TorchSharp member reappears.
    /// </para>
    /// Names are TorchSharp's, in PascalCase; a trailing underscore is in place, as in torch.
    /// </summary>
    public static class ScalarOps
    {
        /// <summary>The Scalar 1 for the <c>alpha</c> of add: an integer, as TorchSharp passes it (libtorch refuses a floating alpha for integer tensors); static, so never finalized while any call reads it.</summary>
        private static readonly TorchSharp.Scalar One = 1L.ToScalar();

        /// <summary>a + b.</summary>
        public static Tensor Add(this Tensor a, Tensor b) => a.add(b, One);

        /// <summary>a += b, in place.</summary>
        public static Tensor Add_(this Tensor a, Tensor b) => a.add_(b, One);

        /// <summary>a + alpha·b.</summary>
        public static Tensor Add(this Tensor a, Tensor b, double alpha) { using var s = alpha.ToScalar(); return a.add(b, s); }

        /// <summary>a += alpha·b, in place.</summary>
        public static Tensor Add_(this Tensor a, Tensor b, double alpha) { using var s = alpha.ToScalar(); return a.add_(b, s); }

        /// <summary>a + c.</summary>
        public static Tensor Add(this Tensor a, double c) { using var s = c.ToScalar(); return a.add(s, One); }

        /// <summary>a += c, in place.</summary>
        public static Tensor Add_(this Tensor a, double c) { using var s = c.ToScalar(); return a.add_(s, One); }

        // Integer overloads: an integer constant stays an integer Scalar, so integer tensors keep their dtype (torch promotes
        // a long tensor minus a double Scalar to float, and an index tensor must stay long). C# picks these for int arguments.

        /// <summary>a + c, c an integer.</summary>
        public static Tensor Add(this Tensor a, long c) { using var s = c.ToScalar(); return a.add(s, One); }

        /// <summary>a += c in place, c an integer.</summary>
        public static Tensor Add_(this Tensor a, long c) { using var s = c.ToScalar(); return a.add_(s, One); }

        /// <summary>a − c, c an integer.</summary>
        public static Tensor Sub(this Tensor a, long c) { using var s = c.ToScalar(); return a.sub(s); }

        /// <summary>a −= c in place, c an integer.</summary>
        public static Tensor Sub_(this Tensor a, long c) { using var s = c.ToScalar(); return a.sub_(s); }

        /// <summary>a·c, c an integer.</summary>
        public static Tensor Mul(this Tensor a, long c) { using var s = c.ToScalar(); return a.mul(s); }

        /// <summary>a ·= c in place, c an integer.</summary>
        public static Tensor Mul_(this Tensor a, long c) { using var s = c.ToScalar(); return a.mul_(s); }

        /// <summary>c − a, c an integer.</summary>
        public static Tensor RSub(long c, Tensor a) { using var s = c.ToScalar(); using var negated = a.neg(); return negated.add(s, One); }

        /// <summary>aᶜ, c an integer.</summary>
        public static Tensor Pow(this Tensor a, long exponent) { using var s = exponent.ToScalar(); return a.pow(s); }

        /// <summary>a == c elementwise, c an integer.</summary>
        public static Tensor Eq(this Tensor a, long c) { using var s = c.ToScalar(); return a.eq(s); }

        /// <summary>a ≠ c elementwise, c an integer.</summary>
        public static Tensor Ne(this Tensor a, long c) { using var s = c.ToScalar(); return a.ne(s); }

        /// <summary>A tensor of <paramref name="shape"/> filled with the integer <paramref name="value"/> (int64 unless <paramref name="dtype"/> says otherwise).</summary>
        public static Tensor Full(long[] shape, long value, ScalarType? dtype = null, Device? device = null, bool requires_grad = false)
        {
            using var s = value.ToScalar();
            return torch.full(shape, s, dtype: dtype, device: device, requires_grad: requires_grad);
        }

        /// <summary>a − c.</summary>
        public static Tensor Sub(this Tensor a, double c) { using var s = c.ToScalar(); return a.sub(s); }

        /// <summary>a −= c, in place.</summary>
        public static Tensor Sub_(this Tensor a, double c) { using var s = c.ToScalar(); return a.sub_(s); }

        /// <summary>a − alpha·b.</summary>
        public static Tensor Sub(this Tensor a, Tensor b, double alpha) { using var s = (-alpha).ToScalar(); return a.add(b, s); }

        /// <summary>a −= alpha·b, in place.</summary>
        public static Tensor Sub_(this Tensor a, Tensor b, double alpha) { using var s = (-alpha).ToScalar(); return a.add_(b, s); }

        /// <summary>c − a.</summary>
        public static Tensor RSub(double c, Tensor a) { using var s = c.ToScalar(); using var negated = a.neg(); return negated.add(s, One); }

        /// <summary>a·c.</summary>
        public static Tensor Mul(this Tensor a, double c) { using var s = c.ToScalar(); return a.mul(s); }

        /// <summary>a ·= c, in place.</summary>
        public static Tensor Mul_(this Tensor a, double c) { using var s = c.ToScalar(); return a.mul_(s); }

        /// <summary>a / c.</summary>
        public static Tensor Div(this Tensor a, double c) { using var s = c.ToScalar(); return a.div(s); }

        /// <summary>a /= c, in place.</summary>
        public static Tensor Div_(this Tensor a, double c) { using var s = c.ToScalar(); return a.div_(s); }

        /// <summary>c / a (out of place: reciprocal saves its output for backward).</summary>
        public static Tensor RDiv(double c, Tensor a) { using var s = c.ToScalar(); using var r = a.reciprocal(); return r.mul(s); }

        /// <summary>aᵖ.</summary>
        public static Tensor Pow(this Tensor a, double exponent) { using var s = exponent.ToScalar(); return a.pow(s); }

        /// <summary>a ← aᵖ, in place.</summary>
        public static Tensor Pow_(this Tensor a, double exponent) { using var s = exponent.ToScalar(); return a.pow_(s); }

        /// <summary>a² as a·a (TorchSharp's square() is pow(2) through an implicit Scalar; the product is bitwise the same).</summary>
        public static Tensor Square(this Tensor a) => a.mul(a);

        /// <summary>a ← a², in place.</summary>
        public static Tensor Square_(this Tensor a) => a.mul_(a);

        /// <summary>min(max(a, min), max); either bound may be null.</summary>
        public static Tensor Clamp(this Tensor a, double? min = null, double? max = null)
        {
            using var lo = min?.ToScalar();
            using var hi = max?.ToScalar();
            return a.clamp(lo, hi);
        }

        /// <summary>a ← min(max(a, min), max), in place; either bound may be null.</summary>
        public static Tensor Clamp_(this Tensor a, double? min = null, double? max = null)
        {
            using var lo = min?.ToScalar();
            using var hi = max?.ToScalar();
            return a.clamp_(lo, hi);
        }

        /// <summary>max(a, min).</summary>
        public static Tensor ClampMin(this Tensor a, double min) { using var s = min.ToScalar(); return a.clamp_min(s); }

        /// <summary>a ← max(a, min), in place.</summary>
        public static Tensor ClampMin_(this Tensor a, double min) { using var s = min.ToScalar(); return a.clamp_min_(s); }

        /// <summary>Every element set to c.</summary>
        public static Tensor Fill_(this Tensor a, double c) { using var s = c.ToScalar(); return a.fill_(s); }

        /// <summary>a == c, elementwise.</summary>
        public static Tensor Eq(this Tensor a, double c) { using var s = c.ToScalar(); return a.eq(s); }

        /// <summary>a ≠ c, elementwise.</summary>
        public static Tensor Ne(this Tensor a, double c) { using var s = c.ToScalar(); return a.ne(s); }

        /// <summary>a &lt; c, elementwise.</summary>
        public static Tensor Lt(this Tensor a, double c) { using var s = c.ToScalar(); return a.lt(s); }

        /// <summary>a ≤ c, elementwise.</summary>
        public static Tensor Le(this Tensor a, double c) { using var s = c.ToScalar(); return a.le(s); }

        /// <summary>a &gt; c, elementwise.</summary>
        public static Tensor Gt(this Tensor a, double c) { using var s = c.ToScalar(); return a.gt(s); }

        /// <summary>a ≥ c, elementwise.</summary>
        public static Tensor Ge(this Tensor a, double c) { using var s = c.ToScalar(); return a.ge(s); }

        /// <summary>A tensor of <paramref name="shape"/> filled with <paramref name="value"/>.</summary>
        public static Tensor Full(long[] shape, double value, ScalarType? dtype = null, Device? device = null, bool requires_grad = false)
        {
            using var s = value.ToScalar();
            return torch.full(shape, s, dtype: dtype, device: device, requires_grad: requires_grad);
        }

        /// <summary>
        /// l &gt; r ? a : b elementwise with broadcasting: torch.where(l.gt(r), a, b), the generated form of the select WhereGt (Max, Min and
        /// Where). A NaN in l or r compares false and takes b. Autograd routes the gradient to the selected branch.
        /// </summary>
        public static Tensor WhereGt(Tensor l, Tensor r, Tensor a, Tensor b)
        {
            using var mask = l.gt(r);
            return torch.where(mask, a, b);
        }

        /// <summary>A tensor shaped like <paramref name="like"/> filled with <paramref name="value"/>.</summary>
        public static Tensor FullLike(Tensor like, double value, ScalarType? dtype = null, Device? device = null)
        {
            using var s = value.ToScalar();
            return torch.full_like(like, s, dtype: dtype, device: device);
        }

        /// <summary>0, 1, …, n − 1.</summary>
        public static Tensor Arange(long n, ScalarType? dtype = null, Device? device = null)
        {
            using var start = 0L.ToScalar();
            using var stop = n.ToScalar();
            using var step = 1L.ToScalar();
            return torch.arange(start, stop, step, dtype: dtype, device: device);
        }

        /// <summary>
        /// softplus(a) = log(1 + eᵃ) as logaddexp(a, 0): stable at both ends, gradient σ(a) everywhere (TorchSharp's softplus
        /// makes its beta and threshold Scalars implicitly).
        /// </summary>
        public static Tensor Softplus(Tensor a)
        {
            using var zero = a.zeros_like();
            return a.logaddexp(zero);
        }

        /// <summary>
        /// log |det A| over the last two axes of a square A ([D, D] or a batch [N, D, D]): torch.linalg.slogdet's logabsdet, the sign
        /// discarded (a change of variables needs log|det|). Differentiable: d log|det A| = tr(A⁻¹ dA).
        /// </summary>
        public static Tensor LogAbsDet(Tensor a)
        {
            var (sign, logAbsDet) = torch.linalg.slogdet(a);
            sign.Dispose();
            return logAbsDet;
        }

        /// <summary>
        /// A⁻¹ b by torch.linalg.solve (no inverse formed) for a square A over the last two axes and b a vector over its last axis:
        /// b is solved as a column, batch axes broadcast ([D, D] with [D]; [N, D, D] with [D] or [N, D]). For an unbatched A and a batch
        /// of right-hand sides [N, D] use <see cref="SolveRows"/> (one factorisation for all N).
        /// </summary>
        public static Tensor Solve(Tensor a, Tensor b)
        {
            using var column = b.unsqueeze(-1);
            using var solved = torch.linalg.solve(a, column);
            return solved.squeeze(-1);
        }

        /// <summary>
        /// The rows xₙ = A⁻¹ bₙ of an unbatched square A [D, D] and right-hand sides b [N, D]: torch.linalg.solve(A, bᵀ)ᵀ, one
        /// factorisation of A for all N columns.
        /// </summary>
        public static Tensor SolveRows(Tensor a, Tensor b)
        {
            if (a.dim() != 2 || b.dim() != 2) throw new ArgumentException("ScalarOps.SolveRows: needs A [D, D] and b [N, D], got " + a.dim() + " and " + b.dim() + " axes.");
            using var columns = b.transpose(-2, -1);
            using var solved = torch.linalg.solve(a, columns);
            return solved.transpose(-2, -1);
        }

        /// <summary>leaky_relu(a) = max(a, slope·a) for 0 ≤ slope ≤ 1.</summary>
        public static Tensor LeakyRelu(Tensor a, double slope)
        {
            if (!(slope >= 0 && slope <= 1)) throw new ArgumentOutOfRangeException(nameof(slope), slope, "LeakyRelu: the slope must lie in [0, 1].");
            using var scaled = a.Mul(slope);
            return a.maximum(scaled);
        }

        /// <summary>The one value of a one-element tensor as a double (TorchSharp's ToDouble() lets its Scalar go unheld).</summary>
        public static double ToDoubleValue(this Tensor a) { using var s = a.ToScalar(); return s.ToDouble(); }

        /// <summary>The one value of a one-element tensor as a long.</summary>
        public static long ToInt64Value(this Tensor a) { using var s = a.ToScalar(); return s.ToInt64(); }

        /// <summary>The one value of a one-element tensor as a bool.</summary>
        public static bool ToBooleanValue(this Tensor a) { using var s = a.ToScalar(); return s.ToBoolean(); }
    }
}
