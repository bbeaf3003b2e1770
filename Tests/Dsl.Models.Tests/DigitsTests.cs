using System.Linq;
using Dsl.Models.Data;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>The shipped UCI digits load from the assembly (no dependency on ../shared) with the documented scalings.</summary>
    public class DigitsTests
    {
        [Fact]
        public void All_1797_images_and_labels_load_from_the_embedded_copy()
        {
            var (pixels, labels) = Digits.LoadRaw();
            Assert.Equal(1797 * 64, pixels.Length);
            Assert.Equal(1797, labels.Length);
            Assert.Equal(new byte[] { 0, 0, 5, 13, 9, 1, 0, 0 }, pixels.Take(8).ToArray());   // the first row of the file
            Assert.Equal(0, labels[0]);
            var counts = Enumerable.Range(0, 10).Select(d => labels.Count(l => l == d)).ToArray();
            Assert.All(counts, c => Assert.InRange(c, 170, 190));                             // the test set is balanced
            Assert.Equal(1797, counts.Sum());
        }

        [Fact]
        public void Scalings_and_binarisation_follow_the_documented_threshold()
        {
            var (pixels, _) = Digits.LoadRaw();
            using var unit = Digits.Images();
            using var symmetric = Digits.Images(PixelScale.Symmetric);
            using var bits = Digits.Images(PixelScale.Binary);
            using var spins = Digits.Images(PixelScale.Spins);
            Assert.Equal(new long[] { 1797, 64 }, unit.shape);
            Assert.Equal(0f, unit.min().item<float>());
            Assert.Equal(1f, unit.max().item<float>());
            Assert.Equal(-1f, symmetric.min().item<float>());
            Assert.Equal(1f, symmetric.max().item<float>());
            int on = pixels.Count(p => p >= Digits.BinaryThreshold);
            Assert.Equal(on, (int)bits.sum().item<float>());
            Assert.Equal(2 * on - pixels.Length, (int)spins.sum().item<float>());
            using var labels = Digits.Labels();
            Assert.Equal(ScalarType.Int64, labels.dtype);
        }
    }
}
