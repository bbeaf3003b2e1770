using System;
using System.IO;
using System.Linq;
using Dsl.Flows;
using Dsl.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Models.Tests
{
    /// <summary>
    /// Dsl.Weights on the modules defined in Dsl.Models: generated energy models' [Param]s (with parts, keyed "Part.Name"), the
    /// RBM, the VAE, the noisy classifier and a flow stack. Save in either format, load into a module of another seed: every
    /// key, dtype, shape and bit equal. (TimeMlp, DigitUNet, Mlp — the GAN's networks — and ContinuousFlow: WeightsTests in
    /// Dsl.Runtime.Tests.)
    /// </summary>
    public class WeightsRoundTripTests : IDisposable
    {
        private readonly string folder = Path.Combine(Path.GetTempPath(), "dsl-weights-models-" + Guid.NewGuid().ToString("N"));

        public WeightsRoundTripTests() => Directory.CreateDirectory(folder);

        public void Dispose() { try { Directory.Delete(folder, recursive: true); } catch (IOException) { } }

        private static byte[] Bits(Tensor t) => t.contiguous().bytes.ToArray();

        private void RoundTrip(nn.Module source, nn.Module fresh, string name, params string[] expectedKeys)
        {
            var keys = source.state_dict().Keys.ToArray();
            foreach (var key in expectedKeys) Assert.Contains(key, keys);
            // Different seeds: the round trip has something to change.
            Assert.Contains(keys, k => !Bits(source.state_dict()[k]).SequenceEqual(Bits(fresh.state_dict()[k])));
            foreach (var extension in new[] { ".safetensors", ".pt" })
            {
                var path = Path.Combine(folder, name + extension);
                Weights.Save(source, path);
                Assert.Equal(keys.Length, Weights.Load(fresh, path).Count);
                var a = source.state_dict();
                var b = fresh.state_dict();
                Assert.Equal(a.Keys, b.Keys);
                foreach (var key in keys)
                {
                    Assert.Equal(a[key].dtype, b[key].dtype);
                    Assert.Equal(a[key].shape, b[key].shape);
                    Assert.True(Bits(a[key]).SequenceEqual(Bits(b[key])), name + extension + ": " + key);
                }
            }
        }

        [Fact]
        public void Generated_energy_models_round_trip_with_their_param_names()
        {
            RoundTrip(new GaussianMixture(D: 2, K: 3, generator: new Generator(1)), new GaussianMixture(D: 2, K: 3, generator: new Generator(2)), "mixture", "Mu", "LogW", "Sigma");
            RoundTrip(new MixtureTimesStudentT(D: 2, Mixture_K: 3, Experts_K: 4, generator: new Generator(1)),
                new MixtureTimesStudentT(D: 2, Mixture_K: 3, Experts_K: 4, generator: new Generator(2)), "product", "Mixture.Mu", "Experts.W");
            RoundTrip(new BinaryRbm(V: 6, H: 4, generator: new Generator(1)), new BinaryRbm(V: 6, H: 4, generator: new Generator(2)), "rbm");
        }

        [Fact]
        public void The_VAE_the_classifier_and_a_flow_round_trip()
        {
            RoundTrip(new Vae(16, 2, 8, VaeLikelihood.Bernoulli, new Generator(1), classes: 3), new Vae(16, 2, 8, VaeLikelihood.Bernoulli, new Generator(2), classes: 3), "vae");
            RoundTrip(new TimeClassifier(2, 3, width: 8, depth: 1, embedding: 4, generator: new Generator(1)),
                new TimeClassifier(2, 3, width: 8, depth: 1, embedding: 4, generator: new Generator(2)), "classifier");
            FlowStack Stack(ulong seed)
            {
                var g = new Generator(seed);
                return new FlowStack("PlanarStack", Enumerable.Range(0, 3).Select(_ => (IFlowLayer)new InvertiblePlanarFlow(2, g)).ToList());
            }
            RoundTrip(Stack(1), Stack(2), "flow", "layer0.U", "layer2.B");
        }

        [Fact]
        public void A_generated_model_refuses_weights_of_another_size_naming_the_key()
        {
            var path = Path.Combine(folder, "k3.safetensors");
            Weights.Save(new GaussianMixture(D: 2, K: 3, generator: new Generator(1)), path);
            var e = Assert.Throws<WeightsException>(() => Weights.Load(new GaussianMixture(D: 2, K: 4), path));
            Assert.Equal(path + ": key 'Mu' has shape [3, 2] in the file but GaussianMixture expects [4, 2].", e.Message);
        }
    }
}
