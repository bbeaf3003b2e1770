using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Dsl.Data;
using Dsl.Families;
using Dsl.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Tests
{
    /// <summary>
    /// Dsl.Weights: networks trained in PyTorch (Fixtures/weights/make_weights.py) load into the matching Dsl networks and
    /// reproduce PyTorch's outputs; save → load round trips preserve every bit in both formats; broken or mismatched files are
    /// one-line errors naming the file and the key, and leave the module unchanged.
    /// </summary>
    public class WeightsTests : IDisposable
    {
        private readonly string folder = Path.Combine(Path.GetTempPath(), "dsl-weights-" + Guid.NewGuid().ToString("N"));

        public WeightsTests() => Directory.CreateDirectory(folder);

        public void Dispose() { try { Directory.Delete(folder, recursive: true); } catch (IOException) { } }

        private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "weights", name);

        private string Temp(string name) => Path.Combine(folder, name);

        /// <summary>
        /// PyTorch's outputs, reproduced to float32 precision. The Dsl networks compute the same functions with other kernels
        /// (the U-Net's convolutions as unfold + matmul, its GroupNorm written out), so the float32 rounding differs in the last
        /// bits: each output is a sum of a few hundred float32 products per layer through ~10 layers, whose rounding
        /// (ε = 1.2e-7 per operation) accumulates to a few ε of the activations' size: measured max |Dsl − PyTorch| = 2.4e-7 (TimeMlp)
        /// and 8.3e-7 (U-Net, |y| up to 3.7). The bound 5e-6·(1 + |y|) leaves a ~9× margin over that and still fails for any wrong
        /// key, transposed layout or changed formula (those move outputs by ~1e-1).
        /// </summary>
        private static void AssertReproduces(DiffusionNetwork net, string name, string weights)
        {
            Weights.Load(net, Fixture(weights));
            using var x = ArrayFiles.Read(Fixture(name + "_x.npy"));
            using var t = ArrayFiles.Read(Fixture(name + "_t.npy"));
            using var expected = ArrayFiles.Read(Fixture(name + "_out.npy"));
            using var noGrad = no_grad();
            using var y = net.Predict(x.Values, t.Values.reshape(-1));
            Assert.Equal(expected.Values.shape, y.shape);
            using var bound = expected.Values.abs().Add(1.0).Mul(5e-6);
            using var error = (y - expected.Values).abs();
            double worst = (error / bound).max().ToDoubleValue();
            Console.WriteLine(name + " from " + weights + ": max |Dsl − PyTorch| = " + error.max().ToDoubleValue().ToString("G3") + ", " + worst.ToString("G3") + " of the bound");
            Assert.True(worst <= 1, name + ": |Dsl − PyTorch| reaches " + worst.ToString("G3") + " of the bound 5e-6·(1 + |y|) (max |error| " + error.max().ToDoubleValue().ToString("G3") + ").");
            // The trained outputs are far from an untrained network's: a load that silently did nothing would fail above.
            Assert.True(expected.Values.abs().max().ToDoubleValue() > 0.5);
        }

        [Theory]
        [InlineData("time_mlp.safetensors")]
        [InlineData("time_mlp.pt")]
        public void A_TimeMlp_trained_in_PyTorch_reproduces_its_outputs(string file) =>
            AssertReproduces(new TimeMlp(2, width: 32, depth: 2, embedding: 16, generator: new Generator(5)), "time_mlp", file);

        [Theory]
        [InlineData("unet.safetensors")]
        [InlineData("unet.pt")]
        public void A_DigitUNet_trained_in_PyTorch_reproduces_its_outputs(string file) =>
            AssertReproduces(new DigitUNet(channels: 8, generator: new Generator(5)), "unet", file);

        [Fact]
        public void The_safetensors_and_pt_fixtures_hold_the_same_tensors()
        {
            foreach (var name in new[] { "time_mlp", "unet" })
            {
                var a = Weights.Read(Fixture(name + ".safetensors"));
                var b = Weights.Read(Fixture(name + ".pt"));
                Assert.Equal(a.Keys.OrderBy(k => k), b.Keys.OrderBy(k => k));
                foreach (var key in a.Keys) Assert.True(Same(a[key], b[key]), name + ": " + key);
                foreach (var t in a.Values.Concat(b.Values)) t.Dispose();
            }
        }

        private static bool Same(Tensor a, Tensor b) => a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && a.contiguous().bytes.SequenceEqual(b.contiguous().bytes);

        private static void AssertBitEqual(nn.Module a, nn.Module b)
        {
            var sa = a.state_dict();
            var sb = b.state_dict();
            Assert.Equal(sa.Keys, sb.Keys);
            Assert.NotEmpty(sa);
            foreach (var key in sa.Keys)
            {
                Assert.Equal(sa[key].dtype, sb[key].dtype);
                Assert.Equal(sa[key].shape, sb[key].shape);
                Assert.True(sa[key].bytes.SequenceEqual(sb[key].bytes), key + " differs after the round trip");
            }
        }

        /// <summary>Saves <paramref name="source"/>, loads into <paramref name="fresh"/> (other seed, so different before), compares bits.</summary>
        private void RoundTrip(nn.Module source, nn.Module fresh, string name)
        {
            foreach (var extension in new[] { ".safetensors", ".pt" })
            {
                var path = Temp(name + extension);
                Weights.Save(source, path);
                var keys = Weights.Load(fresh, path);
                Assert.Equal(source.state_dict().Count, keys.Count);
                AssertBitEqual(source, fresh);
            }
        }

        [Fact]
        public void Score_networks_and_UNets_round_trip_bit_for_bit()
        {
            RoundTrip(new TimeMlp(2, width: 16, depth: 2, embedding: 8, classes: 3, generator: new Generator(1)),
                new TimeMlp(2, width: 16, depth: 2, embedding: 8, classes: 3, generator: new Generator(2)), "mlp");
            RoundTrip(new DigitUNet(channels: 8, learnedVariance: true, generator: new Generator(1)),
                new DigitUNet(channels: 8, learnedVariance: true, generator: new Generator(2)), "unet");
        }

        [Fact]
        public void Mlps_and_continuous_flows_round_trip_bit_for_bit()
        {
            // The GAN's generator and discriminator are Mlps; the CNF is a ContinuousFlow.
            RoundTrip(new Mlp("Generator", 4, new[] { 8, 8 }, 3, leakyRelu: true, generator: new Generator(1)),
                new Mlp("Generator", 4, new[] { 8, 8 }, 3, leakyRelu: true, generator: new Generator(2)), "gan");
            RoundTrip(new ContinuousFlow(2, 8, new Generator(1)), new ContinuousFlow(2, 8, new Generator(2)), "cnf");
        }

        [Fact]
        public void A_GAN_saves_both_networks_in_one_file_and_they_outlive_the_pair()
        {
            Mlp G(ulong seed) => new Mlp("Generator", 2, new[] { 8 }, 2, leakyRelu: true, generator: new Generator(seed));
            Mlp D(ulong seed) => new Mlp("Discriminator", 2, new[] { 8 }, 1, leakyRelu: true, generator: new Generator(seed));
            var (g1, d1, g2, d2) = (G(1), D(2), G(3), D(4));
            var keys = GanTraining.Pair(g1, d1).state_dict().Keys.ToArray();
            Assert.Equal(new[] { "generator.l0_W", "generator.l0_b", "generator.l1_W", "generator.l1_b", "discriminator.l0_W", "discriminator.l0_b", "discriminator.l1_W", "discriminator.l1_b" }, keys);
            RoundTrip(GanTraining.Pair(g1, d1), GanTraining.Pair(g2, d2), "gan-pair");
            AssertBitEqual(g1, g2);
            AssertBitEqual(d1, d2);
            // The pairs were only groupings: collecting them leaves the networks usable.
            GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
            using var x = ones(3, 2);
            using var y = g2.Forward(x);
            Assert.Equal(new long[] { 3, 2 }, y.shape);
        }

        [Fact]
        public void Float64_parameters_keep_their_dtype_and_bits()
        {
            var a = new TimeMlp(2, width: 8, depth: 1, embedding: 4, generator: new Generator(1));
            var b = new TimeMlp(2, width: 8, depth: 1, embedding: 4, generator: new Generator(2));
            a.to(ScalarType.Float64); b.to(ScalarType.Float64);
            RoundTrip(a, b, "f64");
            Assert.All(b.state_dict().Values, t => Assert.Equal(ScalarType.Float64, t.dtype));
        }

        [Fact]
        public void A_load_copies_in_place_so_the_module_keeps_its_tensors()
        {
            var a = new TimeMlp(2, width: 8, depth: 1, embedding: 4, generator: new Generator(1));
            var b = new TimeMlp(2, width: 8, depth: 1, embedding: 4, generator: new Generator(2));
            var before = b.parameters().Select(p => p.Handle).ToArray();
            var path = Temp("inplace.safetensors");
            Weights.Save(a, path);
            Weights.Load(b, path);
            Assert.Equal(before, b.parameters().Select(p => p.Handle).ToArray());
            Assert.All(b.parameters(), p => Assert.True(p.requires_grad));
        }

        private static WeightsException Refused(nn.Module module, string path, bool strict = true)
        {
            var before = module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
            var e = Assert.Throws<WeightsException>(() => Weights.Load(module, path, strict));
            Assert.DoesNotContain('\n', e.Message);
            Assert.Contains(path, e.Message);
            foreach (var (key, value) in module.state_dict()) Assert.True(Same(before[key], value), key + " changed by a refused load");
            return e;
        }

        [Fact]
        public void A_mismatched_shape_names_the_file_the_key_and_both_shapes()
        {
            var path = Temp("wide.safetensors");
            Weights.Save(new TimeMlp(2, width: 16, depth: 1, embedding: 4), path);
            var e = Refused(new TimeMlp(2, width: 8, depth: 1, embedding: 4), path);
            Assert.Contains("'input.weight'", e.Message);
            Assert.Contains("[16, 2]", e.Message);
            Assert.Contains("[8, 2]", e.Message);
        }

        [Fact]
        public void A_mismatched_dtype_names_the_key_and_both_dtypes()
        {
            var a = new TimeMlp(2, width: 8, depth: 1, embedding: 4);
            a.to(ScalarType.Float64);
            var path = Temp("f64.pt");
            Weights.Save(a, path);
            var e = Refused(new TimeMlp(2, width: 8, depth: 1, embedding: 4), path);
            Assert.Contains("Float64", e.Message);
            Assert.Contains("Float32", e.Message);
            Assert.Contains("'", e.Message);
        }

        [Fact]
        public void Missing_and_unexpected_keys_are_refused_when_strict_and_skipped_otherwise()
        {
            var path = Temp("shallow.safetensors");
            var shallow = new TimeMlp(2, width: 8, depth: 1, embedding: 4, generator: new Generator(1));
            Weights.Save(shallow, path);
            var deep = new TimeMlp(2, width: 8, depth: 2, embedding: 4, generator: new Generator(2));
            var e = Refused(deep, path);
            Assert.Contains("missing key 'first.1.weight'", e.Message);
            var loaded = Weights.Load(deep, path, strict: false);
            Assert.Equal(shallow.state_dict().Count, loaded.Count);
            Assert.True(Same(shallow.state_dict()["input.weight"], deep.state_dict()["input.weight"]));

            var deepPath = Temp("deep.safetensors");
            Weights.Save(deep, deepPath);
            var u = Refused(new TimeMlp(2, width: 8, depth: 1, embedding: 4), deepPath);
            Assert.Contains("unexpected key 'first.1.bias' (and 5 more)", u.Message);
        }

        [Fact]
        public void Broken_files_are_one_line_errors_naming_the_file()
        {
            var net = new TimeMlp(2, width: 8, depth: 1, embedding: 4);
            var good = Temp("good.safetensors");
            Weights.Save(net, good);
            var bytes = File.ReadAllBytes(good);

            var truncated = Temp("truncated.safetensors");
            File.WriteAllBytes(truncated, bytes.Take(bytes.Length - 10).ToArray());
            Assert.Contains("truncated", Refused(net, truncated).Message);

            var garbage = Temp("garbage.safetensors");
            File.WriteAllBytes(garbage, BitConverter.GetBytes(5UL).Concat(new byte[] { (byte)'n', (byte)'o', (byte)'t', (byte)' ', (byte)'{', 0, 0 }).ToArray());
            Assert.Contains("not JSON", Refused(net, garbage).Message);

            var huge = Temp("huge.safetensors");
            File.WriteAllBytes(huge, BitConverter.GetBytes(1UL << 40).Concat(new byte[16]).ToArray());
            Assert.Contains("not a safetensors file", Refused(net, huge).Message);

            var notPt = Temp("text.pt");
            File.WriteAllText(notPt, "this is not a zip");
            Assert.Contains("not a PyTorch state dict", Refused(net, notPt).Message);

            Assert.Contains("no such file", Refused(net, Temp("absent.safetensors")).Message);
            Assert.Contains(".safetensors, .pt or .pth", Refused(net, Temp("weights.bin")).Message);
        }
    }
}
