using System;

namespace Dsl.Discrete
{
    /// <summary>
    /// Onsager's exact solution of the 2D Ising model on the infinite square lattice, E = −J Σ⟨ij⟩ sᵢsⱼ, k_B = 1, no field:
    /// the test oracle for the lattice samplers (away from T_c, where finite-size effects are small).
    /// </summary>
    public static class Onsager
    {
        /// <summary>T_c = 2J / ln(1 + √2) ≈ 2.269 J.</summary>
        public static double CriticalTemperature(double j = 1.0) => 2 * j / System.Math.Log(1 + System.Math.Sqrt(2));

        /// <summary>The spontaneous magnetisation per site (Yang 1952): (1 − sinh(2J/T)⁻⁴)^{1/8} below T_c, 0 above.</summary>
        public static double Magnetization(double temperature, double j = 1.0)
        {
            Check(temperature, j);
            double s = System.Math.Sinh(2 * j / temperature);
            return s > 1 ? System.Math.Pow(1 - System.Math.Pow(s, -4), 0.125) : 0;
        }

        /// <summary>
        /// The internal energy per site: u = −J coth(2K)[1 + (2/π)(2tanh²(2K) − 1) K(κ)] with K = J/T,
        /// κ = 2 sinh(2K)/cosh²(2K) and K(κ) the complete elliptic integral of the first kind; u(T_c) = −√2 J.
        /// </summary>
        public static double EnergyPerSite(double temperature, double j = 1.0)
        {
            Check(temperature, j);
            double k = j / temperature;
            double kappa = System.Math.Min(1.0, 2 * System.Math.Sinh(2 * k) / System.Math.Pow(System.Math.Cosh(2 * k), 2));
            double kappaPrime = 2 * System.Math.Pow(System.Math.Tanh(2 * k), 2) - 1;
            double coth = 1 / System.Math.Tanh(2 * k);
            if (kappa >= 1 || System.Math.Abs(kappaPrime) < 1e-15) return -j * coth;     // at T_c the product κ′K(κ) → 0
            return -j * coth * (1 + 2 / System.Math.PI * kappaPrime * EllipticK(kappa));
        }

        /// <summary>K(k) = ∫₀^{π/2} dθ/√(1 − k² sin²θ) = π / (2 AGM(1, √(1 − k²))).</summary>
        public static double EllipticK(double modulus)
        {
            if (!(modulus >= 0 && modulus < 1)) throw new ArgumentOutOfRangeException(nameof(modulus), modulus, "the modulus must lie in [0, 1)");
            double a = 1, b = System.Math.Sqrt(1 - modulus * modulus);
            for (int i = 0; i < 64 && System.Math.Abs(a - b) > 1e-16 * a; i++) (a, b) = (0.5 * (a + b), System.Math.Sqrt(a * b));
            return System.Math.PI / (2 * a);
        }

        private static void Check(double temperature, double j)
        {
            if (!(temperature > 0) || double.IsInfinity(temperature))
                throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "Onsager: the temperature must be a finite positive number.");
            if (!(j > 0) || double.IsInfinity(j))
                throw new ArgumentOutOfRangeException(nameof(j), j, "Onsager: the coupling J must be a finite positive number (ferromagnet).");
        }
    }
}
