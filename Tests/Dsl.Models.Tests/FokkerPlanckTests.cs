using System.Linq;
using Dsl.Examples.Experiments;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// The Fokker–Planck and probability-flow continuity equations hold for the generated kernels of every lecture SDE and of the
    /// two general linear SDEs (matrix kernel N(Φx₀, Σ), anisotropic diffusion) on Gaussian and mixture data. The left side ∂ₜp is a 5-point central difference (truncation O(h⁴) with h = 1e-4·T, rounding
    /// ≈ 1e-16·|log p|/h ≈ 1e-11); the cosine VP kernel is tabulated (cubic Hermite on 1024 intervals, relative error ≈ 1e-10).
    /// Measured (seed 0, 12 times × 256 points): 3.5e-12 (Brownian motion) to 1.5e-9 (cosine VP, its tabulated kernel) relative to
    /// |∂ₜp|; a 1 % error in g gives ≳ 1e-3. The tolerance 1e-7 sits between the two with a margin of about 60× on either side.
    /// </summary>
    [Collection("Console")]
    public class FokkerPlanckTests
    {
        private const double Tolerance = 1e-7;

        [Theory]
        [InlineData("ve", "gaussian")]
        [InlineData("ve", "gmm")]
        [InlineData("vp", "gaussian")]
        [InlineData("vp", "gmm")]
        [InlineData("subvp", "gaussian")]
        [InlineData("subvp", "gmm")]
        [InlineData("cosine", "gaussian")]
        [InlineData("cosine", "gmm")]
        [InlineData("bm", "gaussian")]
        [InlineData("bm", "gmm")]
        [InlineData("ou", "gaussian")]
        [InlineData("ou", "gmm")]
        [InlineData("rotating-ou", "gaussian")]
        [InlineData("rotating-ou", "gmm")]
        [InlineData("diagonal-vp", "gaussian")]
        [InlineData("diagonal-vp", "gmm")]
        public void Fokker_Planck_and_continuity_residuals_are_small_relative_to_dt_p(string sde, string data)
        {
            var r = FokkerPlanckExperiment.Run(sde, data, times: 8, points: 128, seed: 0);
            Assert.True(r.MaxAbsDtP > 0, "∂ₜp must not vanish");
            Assert.True(r.MaxRelativeResidual < Tolerance, $"{sde}/{data}: Fokker–Planck max residual {r.MaxRelativeResidual:E2}");
            Assert.True(r.RmsRelativeResidual < Tolerance, $"{sde}/{data}: Fokker–Planck RMS residual {r.RmsRelativeResidual:E2}");
            Assert.True(r.ContinuityMaxRelativeResidual < Tolerance, $"{sde}/{data}: continuity max residual {r.ContinuityMaxRelativeResidual:E2}");
            Assert.True(r.ContinuityRmsRelativeResidual < Tolerance, $"{sde}/{data}: continuity RMS residual {r.ContinuityRmsRelativeResidual:E2}");
        }

        [Theory]
        [InlineData("vp")]
        [InlineData("ve")]
        [InlineData("rotating-ou")]
        public void A_diffusion_off_by_one_percent_fails_the_check(string sde)
        {
            var r = FokkerPlanckExperiment.Run(sde, "gmm", times: 8, points: 128, seed: 0, diffusionScale: 1.01);
            Assert.True(r.MaxRelativeResidual > 1e-3, $"{sde}: residual {r.MaxRelativeResidual:E2} with g off by 1 %");
            Assert.True(r.ContinuityMaxRelativeResidual > 1e-3, $"{sde}: continuity residual {r.ContinuityMaxRelativeResidual:E2} with g off by 1 %");
        }

        [Fact]
        public void Dsl_fokker_planck_prints_the_residuals_and_refuses_unknown_names()
        {
            var json = Gallery.RunJson("fokker-planck", "--sde", "subvp", "--data", "gmm", "--times", "4", "--points", "64");
            Assert.Equal("subvp", json.GetProperty("sde").GetString());
            Assert.Equal(2, json.GetProperty("dim").GetInt32());
            Assert.True(json.GetProperty("max_relative_residual").GetDouble() < Tolerance);
            Assert.True(json.GetProperty("continuity_rms_relative_residual").GetDouble() < Tolerance);
            var (code, _, err) = Gallery.Run("fokker-planck", "--sde", "nope", "--json");
            Assert.Equal(2, code);
            Assert.Contains("ve, vp, subvp, cosine, bm, ou", err);
            (code, _, err) = Gallery.Run("fokker-planck", "--data", "ring", "--json");
            Assert.Equal(2, code);
            Assert.Contains("gaussian, gmm", err);
        }
    }
}
