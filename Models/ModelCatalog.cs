using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models
{
    /// <summary>One model of the gallery: its generated metadata and a factory with representative parameters.</summary>
    /// <param name="Name">The command-line name (the class name).</param>
    /// <param name="Info">What the generator produced.</param>
    /// <param name="Create">Builds the model with fixed sizes and parameters drawn from the seed.</param>
    public sealed record CatalogEntry(string Name, ModelInfo Info, Func<long, EnergyModule> Create);

    /// <summary>Every energy model of Models/, with sizes and parameter values that make a sensible density.</summary>
    public static class ModelCatalog
    {
        /// <summary>All entries, in lecture order.</summary>
        public static IReadOnlyList<CatalogEntry> All { get; } = new[]
        {
            new CatalogEntry("IsotropicGaussian", IsotropicGaussian.Info, seed =>
            {
                var m = new IsotropicGaussian(D: 2, generator: Seeded(seed));
                m.SetParameter("Mu", tensor(new[] { 1.0f, -0.5f }));
                m.SetParameter("Sigma", tensor(0.8f));
                return m;
            }),
            new CatalogEntry("FullCovarianceGaussian", FullCovarianceGaussian.Info, seed =>
            {
                var m = new FullCovarianceGaussian(D: 2, generator: Seeded(seed));
                m.SetParameter("Mu", tensor(new[] { 0.5f, 0.0f }));
                m.SetParameter("P", tensor(new[] { 2.0f, 0.9f, 0.9f, 1.0f }).reshape(2, 2));
                return m;
            }),
            new CatalogEntry("Exponential", Exponential.Info, seed =>
            {
                var m = new Exponential(D: 3, generator: Seeded(seed));
                m.SetParameter("Lambda", tensor(new[] { 0.5f, 1.0f, 2.0f }));
                return m;
            }),
            new CatalogEntry("GaussianMixture", GaussianMixture.Info, seed =>
            {
                var m = new GaussianMixture(D: 2, K: 2, generator: Seeded(seed));
                m.SetParameter("Mu", tensor(new[] { -2.0f, 0.0f, 2.0f, 0.0f }).reshape(2, 2));
                m.SetParameter("Sigma", tensor(0.7f));
                return m;
            }),
            new CatalogEntry("ProductOfStudentT", ProductOfStudentT.Info, seed => new ProductOfStudentT(D: 2, K: 4, generator: Seeded(seed))),
            new CatalogEntry("MlpEnergy", MlpEnergy.Info, seed => new MlpEnergy(D: 32, H: 64, generator: Seeded(seed))),
        };

        /// <summary>The noise-conditional models (E(x, σ)): listed by `dsl models`, sampled by annealed Langevin.</summary>
        public static IReadOnlyList<(string Name, ModelInfo Info)> NoiseConditional { get; } = new[]
        {
            ("PerturbedGaussianMixture", PerturbedGaussianMixture.Info),
            ("NoiseConditionalMlpEnergy", NoiseConditionalMlpEnergy.Info),
        };

        /// <summary>The entry named <paramref name="name"/> (case-insensitive), or null.</summary>
        public static CatalogEntry? Find(string name) =>
            All.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase));

        private static Generator Seeded(long seed) => new Generator((ulong)seed);
    }
}
