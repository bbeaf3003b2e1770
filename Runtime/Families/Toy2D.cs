using System;
using static TorchSharp.torch;

namespace Dsl.Families
{
    /// <summary>Two-dimensional toy data sets of the GAN and flow lectures, drawn from a seeded generator (float32).</summary>
    public static class Toy2D
    {
        /// <summary>The names accepted by <see cref="Sample"/>.</summary>
        public static readonly string[] Names = { "moons", "eight-gaussians", "ring" };

        /// <summary>n points of the named set: [n, 2]; an unknown name throws, listing the valid ones.</summary>
        public static Tensor Sample(string name, long n, Generator generator)
        {
            if (n < 1) throw new ArgumentException("Toy2D.Sample: n must be ≥ 1, got " + n + ".", nameof(n));
            using var scope = NewDisposeScope();
            Tensor result;
            switch (name)
            {
                case "moons":
                {
                    // Two interleaved half circles (radius 1, centres (0, 0) and (1, 0.5)), noise 0.1, centred and scaled by 1.5.
                    var angle = empty(n).uniform_(0, System.Math.PI, generator: generator);
                    var upper = empty(n).bernoulli_(0.5, generator: generator);
                    var x = upper * angle.cos() + (1 - upper) * (1 - angle.cos());
                    var y = upper * angle.sin() + (1 - upper) * (0.5 - angle.sin());
                    var points = stack(new[] { x - 0.5, y - 0.25 }, 1) * 1.5;
                    result = points + empty(n, 2).normal_(0, 0.1, generator: generator);
                    break;
                }
                case "eight-gaussians":
                {
                    var k = empty(n).uniform_(0, 8, generator: generator).floor();
                    var angle = k * (2 * System.Math.PI / 8);
                    result = stack(new[] { angle.cos() * 2, angle.sin() * 2 }, 1) + empty(n, 2).normal_(0, 0.15, generator: generator);
                    break;
                }
                case "ring":
                {
                    var angle = empty(n).uniform_(0, 2 * System.Math.PI, generator: generator);
                    var radius = empty(n).normal_(2, 0.15, generator: generator);
                    result = stack(new[] { angle.cos() * radius, angle.sin() * radius }, 1);
                    break;
                }
                default:
                    throw new ArgumentException("Unknown toy data set '" + name + "'; valid: " + string.Join(", ", Names) + ".", nameof(name));
            }
            return result.MoveToOuterDisposeScope();
        }
    }
}
