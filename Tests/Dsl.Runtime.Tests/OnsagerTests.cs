using System;
using Dsl.Discrete;

namespace Dsl.Runtime.Tests
{
    /// <summary>Onsager's solution against values from the literature and its exact limits.</summary>
    public class OnsagerTests
    {
        [Fact]
        public void Critical_temperature_magnetisation_and_energy_match_the_literature()
        {
            Assert.Equal(2.269185314213022, Onsager.CriticalTemperature(), 12);
            Assert.Equal(0.911319377877496, Onsager.Magnetization(2.0), 10);   // Yang's formula at T = 2
            Assert.Equal(0.0, Onsager.Magnetization(2.5));
            Assert.Equal(-1.7455645753125535, Onsager.EnergyPerSite(2.0), 9);
            Assert.Equal(-System.Math.Sqrt(2), Onsager.EnergyPerSite(Onsager.CriticalTemperature()), 9);
            Assert.Equal(-2.0, Onsager.EnergyPerSite(0.3), 6);                  // ground state: 2 bonds per site
            Assert.True(System.Math.Abs(Onsager.EnergyPerSite(1000) + 2 * System.Math.Tanh(0.001)) < 1e-8);   // high T: u ≈ −2J·tanh(J/T)
            Assert.Equal(System.Math.PI / 2, Onsager.EllipticK(0), 14);
        }

        [Fact]
        public void Energy_per_site_is_continuous_across_the_critical_point()
        {
            double tc = Onsager.CriticalTemperature();
            Assert.True(System.Math.Abs(Onsager.EnergyPerSite(tc * (1 - 1e-6)) - Onsager.EnergyPerSite(tc * (1 + 1e-6))) < 1e-4);
        }

        [Fact]
        public void Non_positive_temperatures_are_refused()
        {
            Assert.Equal("temperature", Assert.Throws<ArgumentOutOfRangeException>(() => Onsager.Magnetization(0)).ParamName);
            Assert.Throws<ArgumentOutOfRangeException>(() => Onsager.EnergyPerSite(-1));
        }
    }
}
