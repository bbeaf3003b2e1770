using System;
using System.Linq;
using static TorchSharp.torch;

namespace Dsl.Models.Data
{
    /// <summary>The two-dimensional toy distributions of the diffusion literature, drawn in code from a seeded generator.</summary>
    public enum Toy2DKind
    {
        /// <summary>Two interleaved half circles (sklearn's make_moons, noise 0.05), centred: (x − 0.5, y − 0.25)·1.5.</summary>
        Moons,
        /// <summary>Eight Gaussians N(2(cos kπ/4, sin kπ/4), 0.1²I), equal weights: the density is known.</summary>
        Gaussians8,
        /// <summary>The 2D Swiss roll: θ = 1.5π(1 + 2u), (θ cos θ, θ sin θ)/5 + N(0, 0.05²).</summary>
        SwissRoll,
        /// <summary>FFJORD's checkerboard on [−2, 2]²: uniform on the 8 black squares.</summary>
        Checkerboard,
        /// <summary>A ring: angle uniform on [0, 2π), radius N(2, 0.15²).</summary>
        Ring,
    }

    /// <summary>
    /// Samplers (and the 8-Gaussians log-density) of <see cref="Toy2DKind"/>: the one source of 2D toy data for DDPM, the GAN and
    /// the CNF.
    /// </summary>
    public static class Toy2D
    {
        /// <summary>Valid names for the command line.</summary>
        public static readonly string[] Names = { "moons", "gaussians8", "swissroll", "checkerboard", "ring" };

        /// <summary>The kind named (moons, gaussians8 or its GAN-literature spelling eight-gaussians, swissroll, checkerboard, ring), or null.</summary>
        public static Toy2DKind? Parse(string name) => name.ToLowerInvariant() switch
        {
            "moons" => Toy2DKind.Moons, "gaussians8" or "eight-gaussians" => Toy2DKind.Gaussians8, "swissroll" => Toy2DKind.SwissRoll,
            "checkerboard" => Toy2DKind.Checkerboard, "ring" => Toy2DKind.Ring, _ => null,
        };

        /// <summary>n float32 points [n, 2] of the named set; an unknown name throws, listing the valid ones.</summary>
        public static Tensor Sample(string name, int n, Generator generator) =>
            Sample(Parse(name) ?? throw new ArgumentException("Unknown toy data set '" + name + "'; valid: " + string.Join(", ", Names) + ".", nameof(name)), n, generator);

        /// <summary>The standard deviation of each of the eight Gaussians.</summary>
        public const double Gaussians8Std = 0.1;

        /// <summary>n float32 points [n, 2].</summary>
        public static Tensor Sample(Toy2DKind kind, int n, Generator generator)
        {
            if (n < 1) throw new ArgumentException("Toy2D.Sample: n must be ≥ 1, got " + n + ".", nameof(n));
            using var scope = NewDisposeScope();
            Tensor U() => empty(n, dtype: ScalarType.Float64).uniform_(0, 1, generator: generator);
            Tensor Z(long cols) => empty(n, cols, dtype: ScalarType.Float64).normal_(0, 1, generator: generator);
            Tensor result;
            switch (kind)
            {
                case Toy2DKind.Moons:
                {
                    var theta = U() * System.Math.PI;
                    var upper = U().lt(0.5);
                    var x = where(upper, theta.cos(), 1 - theta.cos());
                    var y = where(upper, theta.sin(), 0.5 - theta.sin());
                    result = (stack(new[] { x - 0.5, y - 0.25 }, 1) + Z(2) * 0.05) * 1.5;
                    break;
                }
                case Toy2DKind.Gaussians8:
                {
                    var k = (U() * 8).floor().clamp_max(7);
                    var angle = k * (System.Math.PI / 4);
                    result = stack(new[] { angle.cos(), angle.sin() }, 1) * 2 + Z(2) * Gaussians8Std;
                    break;
                }
                case Toy2DKind.SwissRoll:
                {
                    var theta = (U() * 2 + 1) * (1.5 * System.Math.PI);
                    result = stack(new[] { theta * theta.cos(), theta * theta.sin() }, 1) / 5 + Z(2) * 0.05;
                    break;
                }
                case Toy2DKind.Ring:
                {
                    var angle = U() * (2 * System.Math.PI);
                    var radius = Z(1).squeeze(1) * 0.15 + 2;
                    result = stack(new[] { angle.cos() * radius, angle.sin() * radius }, 1);
                    break;
                }
                default:
                {
                    var x1 = U() * 4 - 2;
                    var x2 = U() - (U() * 2).floor() * 2;
                    x2 = x2 + x1.floor().remainder(2);
                    result = stack(new[] { x1, x2 }, 1);
                    break;
                }
            }
            return result.to_type(ScalarType.Float32).MoveToOuterDisposeScope();
        }

        /// <summary>log p(x) of the eight Gaussians: [N], in the dtype of x.</summary>
        public static Tensor Gaussians8LogDensity(Tensor x)
        {
            using var scope = NewDisposeScope();
            var angles = arange(8, dtype: ScalarType.Float64) * (System.Math.PI / 4);
            var centres = stack(new[] { angles.cos(), angles.sin() }, 1).mul_(2).to_type(x.dtype).to(x.device);
            var d2 = (x.unsqueeze(1) - centres.unsqueeze(0)).square().sum(new long[] { 2 });
            double v = Gaussians8Std * Gaussians8Std;
            var log = (d2 / (-2 * v)).logsumexp(1) - System.Math.Log(8) - System.Math.Log(2 * System.Math.PI * v);
            return log.MoveToOuterDisposeScope();
        }
    }
}
