using System;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Data
{
    /// <summary>How the digit pixels (0..16) are presented to a model.</summary>
    public enum PixelScale
    {
        /// <summary>value/16 ∈ [0, 1].</summary>
        UnitInterval,
        /// <summary>value/8 − 1 ∈ [−1, 1] (the DDPM convention).</summary>
        Symmetric,
        /// <summary>1 when value ≥ 8 (pixel/16 ≥ ½), else 0: bits for binary RBMs and Boltzmann machines.</summary>
        Binary,
        /// <summary>+1 when value ≥ 8, else −1: spins.</summary>
        Spins,
    }

    /// <summary>
    /// The UCI optical-recognition handwritten digits (Alpaydin &amp; Kaynak 1998, CC BY 4.0; see Data/README.md):
    /// 1797 images of 8×8 pixels with values 0..16 and labels 0..9, embedded in this assembly.
    /// </summary>
    public static class Digits
    {
        /// <summary>Number of images.</summary>
        public const int Count = 1797;

        /// <summary>Pixels per image (8×8, row-major).</summary>
        public const int Pixels = 64;

        /// <summary>The binarisation threshold on the raw 0..16 scale: a pixel is on when its value is at least this.</summary>
        public const int BinaryThreshold = 8;

        private static readonly Lazy<(byte[] Pixels, byte[] Labels)> Raw = new Lazy<(byte[], byte[])>(Read);

        /// <summary>The raw pixel values (0..16) as [1797 × 64] row-major bytes, and the labels.</summary>
        public static (byte[] Pixels, byte[] Labels) LoadRaw() => ((byte[])Raw.Value.Pixels.Clone(), (byte[])Raw.Value.Labels.Clone());

        /// <summary>The images as a float32 tensor [1797, 64] in the requested <paramref name="scale"/>.</summary>
        public static Tensor Images(PixelScale scale = PixelScale.UnitInterval)
        {
            var raw = Raw.Value.Pixels;
            var values = new float[raw.Length];
            for (int i = 0; i < raw.Length; i++)
            {
                values[i] = scale switch
                {
                    PixelScale.UnitInterval => raw[i] / 16f,
                    PixelScale.Symmetric => raw[i] / 8f - 1f,
                    PixelScale.Binary => raw[i] >= BinaryThreshold ? 1f : 0f,
                    _ => raw[i] >= BinaryThreshold ? 1f : -1f,
                };
            }
            return tensor(values, new long[] { Count, Pixels });
        }

        /// <summary>The labels 0..9 as an int64 tensor [1797].</summary>
        public static Tensor Labels() => tensor(Raw.Value.Labels.Select(b => (long)b).ToArray());

        private static (byte[], byte[]) Read()
        {
            using var stream = typeof(Digits).Assembly.GetManifestResourceStream("Dsl.Models.Data.digits.csv.gz")
                ?? throw new InvalidOperationException("Dsl.Models: the embedded digits data is missing from the assembly.");
            using var gzip = new GZipStream(stream, CompressionMode.Decompress);
            using var reader = new StreamReader(gzip);
            var pixels = new byte[Count * Pixels];
            var labels = new byte[Count];
            int row = 0;
            string? line;
            while ((line = reader.ReadLine()) != null)
            {
                if (line.Length == 0) continue;
                if (row >= Count) throw new InvalidDataException("digits.csv.gz: more than " + Count + " rows.");
                var fields = line.Split(',');
                if (fields.Length != Pixels + 1) throw new InvalidDataException("digits.csv.gz: row " + (row + 1) + " has " + fields.Length + " fields, expected " + (Pixels + 1) + ".");
                for (int j = 0; j < Pixels; j++)
                {
                    int v = int.Parse(fields[j], NumberStyles.Integer, CultureInfo.InvariantCulture);
                    if (v < 0 || v > 16) throw new InvalidDataException("digits.csv.gz: row " + (row + 1) + ", pixel " + j + " is " + v + ", outside 0..16.");
                    pixels[row * Pixels + j] = (byte)v;
                }
                int label = int.Parse(fields[Pixels], NumberStyles.Integer, CultureInfo.InvariantCulture);
                if (label < 0 || label > 9) throw new InvalidDataException("digits.csv.gz: row " + (row + 1) + " has label " + label + ".");
                labels[row++] = (byte)label;
            }
            if (row != Count) throw new InvalidDataException("digits.csv.gz: " + row + " rows, expected " + Count + ".");
            return (pixels, labels);
        }
    }
}
