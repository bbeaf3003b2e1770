using TorchSharp;
using static TorchSharp.torch;

namespace Dsl
{
    // Spins and Bits are Vec with a promise about their values. They convert to Vec implicitly, so every Dsl.Math
    // function and every Vec/Scalar/Mat operator reads them as vectors; the few operators C# would otherwise not find
    // (unary minus, and a unit vector against a literal or another unit vector) are declared here and return Vec.
    // The generator reads the type of the energy's argument to know which conditionals to derive.

    /// <summary>
    /// Spins: a vector of units sᵢ ∈ {−1, +1} per sample ([K] or [N, K]). An energy <c>Scalar E(Spins s)</c> gets generated
    /// local fields, single-flip energy differences and Gibbs conditionals p(sᵢ = +1 | rest) = σ(2aᵢ).
    /// </summary>
    public readonly struct Spins
    {
        /// <summary>Wraps a tensor of rank 1 (unbatched) or 2 (batched) holding ±1.</summary>
        public Spins(Tensor tensor) { Vector = new Vec(tensor); }

        /// <summary>The spins as a real vector.</summary>
        public Vec Vector { get; }

        /// <summary>The underlying tensor.</summary>
        public Tensor Tensor => Vector.Tensor;

        /// <summary>The spins as a real vector.</summary>
        public static implicit operator Vec(Spins s) => s.Vector;

        /// <summary>−s</summary>
        public static Vec operator -(Spins a) => -a.Vector;
        /// <summary>a + b</summary>
        public static Vec operator +(Spins a, double b) => a.Vector + b;
        /// <summary>a + b</summary>
        public static Vec operator +(double a, Spins b) => a + b.Vector;
        /// <summary>a − b</summary>
        public static Vec operator -(Spins a, double b) => a.Vector - b;
        /// <summary>a − b</summary>
        public static Vec operator -(double a, Spins b) => a - b.Vector;
        /// <summary>a·b</summary>
        public static Vec operator *(Spins a, double b) => a.Vector * b;
        /// <summary>a·b</summary>
        public static Vec operator *(double a, Spins b) => a * b.Vector;
        /// <summary>a / b</summary>
        public static Vec operator /(Spins a, double b) => a.Vector / b;
        /// <summary>a + b</summary>
        public static Vec operator +(Spins a, Spins b) => a.Vector + b.Vector;
        /// <summary>a − b</summary>
        public static Vec operator -(Spins a, Spins b) => a.Vector - b.Vector;
        /// <summary>a ⊙ b</summary>
        public static Vec operator *(Spins a, Spins b) => a.Vector * b.Vector;
    }

    /// <summary>
    /// Bits: a vector of units bᵢ ∈ {0, 1} per sample ([K] or [N, K]). An energy <c>Scalar E(Bits b)</c> gets generated
    /// local fields, single-flip energy differences and Gibbs conditionals p(bᵢ = 1 | rest) = σ(aᵢ).
    /// </summary>
    public readonly struct Bits
    {
        /// <summary>Wraps a tensor of rank 1 (unbatched) or 2 (batched) holding 0/1.</summary>
        public Bits(Tensor tensor) { Vector = new Vec(tensor); }

        /// <summary>The bits as a real vector.</summary>
        public Vec Vector { get; }

        /// <summary>The underlying tensor.</summary>
        public Tensor Tensor => Vector.Tensor;

        /// <summary>The bits as a real vector.</summary>
        public static implicit operator Vec(Bits b) => b.Vector;

        /// <summary>−b</summary>
        public static Vec operator -(Bits a) => -a.Vector;
        /// <summary>a + b</summary>
        public static Vec operator +(Bits a, double b) => a.Vector + b;
        /// <summary>a + b</summary>
        public static Vec operator +(double a, Bits b) => a + b.Vector;
        /// <summary>a − b</summary>
        public static Vec operator -(Bits a, double b) => a.Vector - b;
        /// <summary>a − b</summary>
        public static Vec operator -(double a, Bits b) => a - b.Vector;
        /// <summary>a·b</summary>
        public static Vec operator *(Bits a, double b) => a.Vector * b;
        /// <summary>a·b</summary>
        public static Vec operator *(double a, Bits b) => a * b.Vector;
        /// <summary>a / b</summary>
        public static Vec operator /(Bits a, double b) => a.Vector / b;
        /// <summary>a + b</summary>
        public static Vec operator +(Bits a, Bits b) => a.Vector + b.Vector;
        /// <summary>a − b</summary>
        public static Vec operator -(Bits a, Bits b) => a.Vector - b.Vector;
        /// <summary>a ⊙ b</summary>
        public static Vec operator *(Bits a, Bits b) => a.Vector * b.Vector;
    }
}
