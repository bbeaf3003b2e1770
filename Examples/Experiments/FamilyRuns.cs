using System;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using Dsl.Diffusion;
using Dsl.Families;
using Dsl.Flows;
using Dsl.Models;
using Dsl.Models.Data;
using Dsl.Solvers;
using Dsl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Examples.Experiments
{
    /// <summary>The outcome of <see cref="FamilyRuns.PlanarFlow"/>.</summary>
    public sealed record PlanarFlowRun(string Target, int Layers, long Steps, double LogPartition, double KlBefore, double KlAfter, double KlStandardError,
        double Seconds, double[,] TargetDensity, double[,] FlowDensity, double Extent, bool Cancelled);

    /// <summary>The outcome of <see cref="FamilyRuns.Vae"/>.</summary>
    public sealed record VaeRun(string Likelihood, int Latent, int Hidden, long Steps, double TrainElbo, double TestElbo, double TestReconstruction, double TestKl,
        (int K, double Bound, double StandardError)[] TestIwae, double Seconds, double[][] Samples, double[][] Originals, double[][] Reconstructions, bool Cancelled);

    /// <summary>
    /// The judge's verdict on the conditional VAE's samples of one requested digit: the fraction classified as that digit and its
    /// √(p(1−p)/n); null when the run was interrupted before the judge existed.
    /// </summary>
    public sealed record DigitAccuracy(int Digit, int Samples, double? Accuracy, double? StandardError);

    /// <summary>The outcome of <see cref="FamilyRuns.ConditionalVae"/>.</summary>
    public sealed record ConditionalVaeRun(string Likelihood, int Latent, int Hidden, long Steps, double TrainElbo, double TestElbo, double TestReconstruction, double TestKl,
        DigitAccuracy[] PerDigit, double? Accuracy, double? StandardError, double? JudgeTestAccuracy, bool JudgeTrained, double Seconds, double[][] Grid, int GridColumns, bool Cancelled);

    /// <summary>The outcome of <see cref="FamilyRuns.Gan"/>.</summary>
    public sealed record GanRun(string Data, string Loss, int Steps, double DiscriminatorLoss, double GeneratorLoss, double MeanDReal, double MeanDFake, double ValueEstimate,
        int? ModesCovered, double? HighQualityFraction, double Mmd2Before, double Mmd2, double MeanErrorBefore, double MeanError, double Seconds, double[][] Real, double[][] Fake, bool Cancelled);

    /// <summary>The outcome of <see cref="FamilyRuns.Cnf"/>.</summary>
    public sealed record CnfRun(string Data, string Estimator, long Steps, double TestNllBefore, double TestNll, double TestNllHutchinson, int Nfe, int NfeHutchinson,
        int SampleNfe, double Seconds, double[][] Data2D, double[][] Samples, bool Cancelled);

    /// <summary>The tour's checks of the generated family code: errors against independent truth on random inputs.</summary>
    public sealed record FamilyChecks(double PlanarLogDetError, double KlError, double KlMonteCarloZ);

    /// <summary>The VAE, GAN, planar-flow and CNF runs of the gallery (issue 10).</summary>
    public static class FamilyRuns
    {
        /// <summary>
        /// In well under a second: the generated planar log-determinant against log|det| of the autograd Jacobian of the user's own
        /// transform (D = 2, 500 points, random parameters), and the generated VAE KL against the textbook formula and against a
        /// 20 000-draw Monte Carlo estimate of E_q[log q − log p] (the largest |error| in standard errors over 4 rows), float64.
        /// </summary>
        public static FamilyChecks GeneratedChecks(long seed)
        {
            using var scope = NewDisposeScope();
            var g = new Generator((ulong)seed + 31);
            var layer = new InvertiblePlanarFlow(2, g);   // valid for every seed (the plain layer refuses wᵀu < −1)
            layer.to(ScalarType.Float64);
            var z = randn(new long[] { 500, 2 }, dtype: ScalarType.Float64, generator: g).requires_grad_(true);
            var f = layer.TransformEager(z);
            var rows = Enumerable.Range(0, 2).Select(i => autograd.grad(new[] { f[TensorIndex.Colon, i].sum() }, new[] { z }, retain_graph: true)[0]).ToArray();
            var det = rows[0][TensorIndex.Colon, 0] * rows[1][TensorIndex.Colon, 1] - rows[0][TensorIndex.Colon, 1] * rows[1][TensorIndex.Colon, 0];
            double planar;
            using (no_grad()) planar = (layer.LogDetJacobian(z.detach()) - det.abs().log()).abs().max().ToDoubleValue();

            var kl = new GaussianEncoderKl(3);
            var mu = randn(new long[] { 4, 3 }, dtype: ScalarType.Float64, generator: g);
            var logVar = randn(new long[] { 4, 3 }, dtype: ScalarType.Float64, generator: g).Mul(0.7);
            var closed = kl.Kl(mu, logVar);
            double textbook = (closed - (logVar.exp().Add(mu.Square()).Sub(1) - logVar).sum(new long[] { 1 }).Mul(0.5)).abs().max().ToDoubleValue();
            const int n = 20_000;
            Tensor Tile(Tensor t) => t.unsqueeze(0).expand(n, 4, 3).reshape(n * 4, 3);
            var draws = kl.Reparameterise(randn(new long[] { n * 4, 3 }, dtype: ScalarType.Float64, generator: g), Tile(mu), Tile(logVar));
            var terms = (kl.QLogDensityEager(draws, Tile(mu), Tile(logVar)) - kl.PLogDensityEager(draws)).reshape(n, 4);
            var z4 = (terms.mean(new long[] { 0 }) - closed).abs() / (terms.std(0L).Div(System.Math.Sqrt(n)));
            return new FamilyChecks(planar, textbook, z4.max().ToDoubleValue());
        }

        private static double[][] Rows(Tensor t)
        {
            using var d = t.detach().to_type(ScalarType.Float64).cpu();
            return Enumerable.Range(0, (int)d.shape[0]).Select(i => d[i].data<double>().ToArray()).ToArray();
        }

        /// <summary>Normalised 2D histogram of points on [−L, L]² with n×n cells (rows: y from top, columns: x).</summary>
        internal static double[,] Histogram2D(Tensor points, double half, int n)
        {
            var xy = Rows(points);
            var grid = new double[n, n];
            double cell = 2 * half / n;
            foreach (var p in xy)
            {
                int c = (int)((p[0] + half) / cell), r = (int)((half - p[1]) / cell);
                if (c >= 0 && c < n && r >= 0 && r < n) grid[r, c] += 1.0 / (xy.Length * cell * cell);
            }
            return grid;
        }

        /// <summary>exp(−E)/Z on the same grid as <see cref="Histogram2D"/>.</summary>
        internal static double[,] DensityGrid(Func<Tensor, Tensor> energy, double logZ, double half, int n)
        {
            using var scope = NewDisposeScope();
            double cell = 2 * half / n;
            var grid = new double[n, n];
            var centres = Enumerable.Range(0, n).Select(i => -half + (i + 0.5) * cell).ToArray();
            var pts = tensor(centres.SelectMany(y => centres.Select(x => new[] { x, -y })).SelectMany(v => v).ToArray(), new long[] { n * n, 2 }, dtype: ScalarType.Float64);
            var density = ((-(energy(pts))).Sub(logZ)).exp().data<double>().ToArray();
            for (int r = 0; r < n; r++)
                for (int c = 0; c < n; c++) grid[r, c] = density[r * n + c];
            return grid;
        }

        /// <summary>
        /// A stack of <paramref name="layers"/> invertible planar layers (generated log-determinants) fitted to exp(−E)/Z by reverse KL
        /// with Adam through the Trainer; KL(q‖p) = E_q[log q + E] + log Z before and after (log Z by quadrature, 50 000 draws).
        /// </summary>
        public static PlanarFlowRun PlanarFlow(string target, int layers, int steps, int batch, double learningRate, long seed, string? checkpoint,
            IProgress<TrainingProgress>? progress, CancellationToken cancellation)
        {
            var clock = Stopwatch.StartNew();
            var energy = TargetDensities.Get(target);
            double logZ = TargetDensities.LogPartition(energy);
            var g = new Generator((ulong)seed);
            var stack = new FlowStack("PlanarStack", Enumerable.Range(0, layers).Select(_ => (IFlowLayer)new InvertiblePlanarFlow(2, g)).ToList());
            (double Kl, double Se) Kl()
            {
                using var scope = NewDisposeScope();
                using var gen = new Generator((ulong)seed + 1000);
                using var noGrad = no_grad();
                var (x, logq) = stack.Sample(50_000, gen);
                var terms = logq.Add(energy(x));
                return (terms.mean().ToDoubleValue() + logZ, terms.std().ToDoubleValue() / System.Math.Sqrt(50_000));
            }
            var (before, _) = Kl();
            var data = new SampledDataStream((n, gen) => randn(new long[] { n, 2 }, generator: gen), 2, batch, seed);
            var result = Trainer.Train(stack, data, (z0, _) => stack.ReverseKlLoss(z0, energy),
                new TrainerOptions { Steps = steps, LearningRate = learningRate, Seed = seed, CheckpointPath = checkpoint, CheckpointEvery = checkpoint == null ? 0 : 250, Progress = progress, Cancellation = cancellation,
                    InitFrom = GalleryWeights.InitFrom, ExportPath = GalleryWeights.Export });
            var (after, se) = Kl();
            const double half = 4;
            double[,] flowDensity;
            using (var scope = NewDisposeScope())
            using (var gen = new Generator((ulong)seed + 2000))
                flowDensity = Histogram2D(stack.Sample(200_000, gen).X, half, 120);
            var targetDensity = DensityGrid(energy, logZ, half, 120);
            return new PlanarFlowRun(target, layers, result.Steps, logZ, before, after, se, clock.Elapsed.TotalSeconds, targetDensity, flowDensity, half, result.Cancelled);
        }

        /// <summary>
        /// A VAE on the digits (binarised for Bernoulli, [0, 1] for Gaussian), trained on the first 1500 images by the ELBO; test ELBO (200
        /// reparameterised draws), reconstruction, KL and IWAE_K (K = 1, 10, 100) on the remaining 297.
        /// </summary>
        public static VaeRun Vae(VaeLikelihood likelihood, int latent, int hidden, int steps, long seed, string? checkpoint, bool resume,
            IProgress<TrainingProgress>? progress, CancellationToken cancellation)
        {
            using var scope = NewDisposeScope();
            var images = Digits.Images(likelihood == VaeLikelihood.Bernoulli ? PixelScale.Binary : PixelScale.UnitInterval);
            return Vae(images.narrow(0, 0, 1500), images.narrow(0, 1500, Digits.Count - 1500), null, likelihood, latent, hidden, steps, seed, checkpoint, resume, progress, cancellation);
        }

        /// <summary>
        /// The VAE on a user's data file (<see cref="GalleryData"/> opened with a hold-out: D from the file, standardised when asked):
        /// trained on its rows, the test ELBO and IWAE bounds on the held-out rows, in data units (a standardised run's log-likelihood
        /// bounds gain −Σⱼ log stdⱼ); samples and reconstructions in data units.
        /// </summary>
        internal static VaeRun Vae(GalleryData dataSet, VaeLikelihood likelihood, int latent, int hidden, int steps, long seed, string? checkpoint, bool resume,
            IProgress<TrainingProgress>? progress, CancellationToken cancellation)
        {
            using var scope = NewDisposeScope();
            return Vae(dataSet.Rows!.to_type(ScalarType.Float32), dataSet.Test!.to_type(ScalarType.Float32), dataSet, likelihood, latent, hidden, steps, seed, checkpoint, resume, progress, cancellation);
        }

        private static VaeRun Vae(Tensor train, Tensor test, GalleryData? dataSet, VaeLikelihood likelihood, int latent, int hidden, int steps, long seed, string? checkpoint, bool resume,
            IProgress<TrainingProgress>? progress, CancellationToken cancellation)
        {
            var clock = Stopwatch.StartNew();
            using var scope = NewDisposeScope();
            var vae = new Vae((int)train.shape[1], latent, hidden, likelihood, new Generator((ulong)seed));
            var result = Trainer.Train(vae, new TensorDataStream(train, 128, seed), (x, g) => vae.Loss(x, g),
                new TrainerOptions { Steps = steps, LearningRate = 3e-3, Seed = seed, CheckpointPath = checkpoint, CheckpointEvery = checkpoint == null ? 0 : 500, Resume = resume, Progress = progress, Cancellation = cancellation,
                    InitFrom = GalleryWeights.InitFrom, ExportPath = GalleryWeights.Export,
                    // A data file's run records the file, D and the standardisation: a resume on other data or units is refused, naming them
                    // (the digits' checkpoints keep recording nothing, as before).
                    Settings = dataSet is null ? null : System.Text.Json.JsonSerializer.Serialize(new { data = dataSet.File, dim = dataSet.Dim, standardize = dataSet.Standardization }) });
            using var noGrad = no_grad();
            var gen = new Generator((ulong)seed + 7);
            var (trainElbo, _, _) = vae.Elbo(train, gen, samples: 20);
            var (elbo, reconstruction, kl) = vae.Elbo(test, gen, samples: 200);
            var iwae = new[] { 1, 10, 100 }.Select(k =>
            {
                int replicates = k == 1 ? 20 : k == 10 ? 5 : 2;
                var bound = stack(Enumerable.Range(0, replicates).Select(_ => vae.Iwae(test, k, gen)).ToArray()).mean(new long[] { 0 });
                return (k, bound.mean().ToDoubleValue(), bound.std().ToDoubleValue() / System.Math.Sqrt(bound.shape[0]));
            }).ToArray();
            var samples = vae.SampleMeans(64, gen);
            var originals = test.narrow(0, 0, System.Math.Min(32, test.shape[0]));
            var (mu, _) = vae.Encode(originals);
            var decoded = vae.Decode(mu);
            if (dataSet is not null)
            {
                // A data file: bounds on log p in data units (−log p gains Σⱼ log stdⱼ), rows mapped back through the standardisation.
                double shift = -(dataSet.Standardization?.LogScale ?? 0);
                var reconstructed = likelihood == VaeLikelihood.Bernoulli ? decoded.sigmoid() : decoded;
                return new VaeRun(likelihood.ToString().ToLowerInvariant(), latent, hidden, result.Steps, trainElbo.mean().ToDoubleValue() + shift, elbo.mean().ToDoubleValue() + shift,
                    reconstruction.mean().ToDoubleValue() + shift, kl.mean().ToDoubleValue(), iwae.Select(b => (b.k, b.Item2 + shift, b.Item3)).ToArray(), clock.Elapsed.TotalSeconds,
                    dataSet.ToDataUnits(samples), dataSet.ToDataUnits(originals), dataSet.ToDataUnits(reconstructed), result.Cancelled);
            }
            var reconstructions = likelihood == VaeLikelihood.Bernoulli ? decoded.sigmoid() : decoded.Clamp(0, 1);
            return new VaeRun(likelihood.ToString().ToLowerInvariant(), latent, hidden, result.Steps, trainElbo.mean().ToDoubleValue(), elbo.mean().ToDoubleValue(),
                reconstruction.mean().ToDoubleValue(), kl.mean().ToDoubleValue(), iwae, clock.Elapsed.TotalSeconds, Rows(samples), Rows(originals), Rows(reconstructions), result.Cancelled);
        }

        /// <summary>
        /// The clean classifier that judges generated digits, trained or loaded exactly as `dsl guided` trains its judge (TimeClassifier(64,
        /// 10, 128, tag "clean") from seed + 303, <see cref="Guidance.ClassifierLoss"/> at τ = 0 on `dsl guided`'s 1500 training digits in
        /// [−1, 1], <paramref name="steps"/> Adam steps at 2·10⁻³ with EMA 0.99): loaded from <paramref name="path"/> when a judge of these
        /// settings is there, else trained and saved there. Returns it with its accuracy on the 297 held-out digits.
        /// </summary>
        public static (TimeClassifier Judge, double TestAccuracy, bool Trained, bool Cancelled) CleanDigitJudge(int steps, long seed, string path,
            IProgress<TrainingProgress>? progress, CancellationToken cancellation) =>
            GuidedExperiments.JudgeOnly(128, steps, seed, path, progress, cancellation);

        /// <summary>The judge's digit for each image with pixels in [0, 1] (mapped to the judge's [−1, 1] as 2x − 1, the digits' own scaling): int64 [N].</summary>
        public static Tensor JudgeDigits(TimeClassifier judge, Tensor pixels)
        {
            using var scope = NewDisposeScope();
            return Guidance.Predict(judge, pixels.Mul(2).Sub(1)).MoveToOuterDisposeScope();
        }

        /// <summary>
        /// A conditional VAE (<see cref="Models.Vae"/> with 10 classes) on the digits and their labels, trained on the first 1500 images by
        /// the conditional ELBO L(x, y) = E_q[log p_θ(x|z, y)] − KL(q_φ(z|x, y) ‖ N(0, I)) exactly as <see cref="Vae"/> trains the
        /// unconditional one (batches of 128, Adam 3·10⁻³); the test ELBO (200 draws) on the remaining 297 with their labels. Then
        /// <paramref name="perDigit"/> samples of each requested digit, z ~ N(0, I), x = the decoder's mean at (z, y) (generator seed + 11),
        /// judged by the clean classifier of `dsl guided` (trained or loaded at <paramref name="judgePath"/>, see
        /// GuidedExperiments.JudgeOnly) on the pixels mapped to its [−1, 1]: per digit and overall the fraction judged as requested,
        /// with the binomial standard error √(p(1−p)/n). Grid: one row per requested digit, its first (at most 10) samples.
        /// </summary>
        public static ConditionalVaeRun ConditionalVae(VaeLikelihood likelihood, int latent, int hidden, int steps, int[] digits, int perDigit, int judgeSteps,
            long seed, string? checkpoint, bool resume, string judgePath, IProgress<TrainingProgress>? progress, CancellationToken cancellation)
        {
            if (digits is null || digits.Length == 0 || digits.Any(d => d < 0 || d > 9))
                throw new ArgumentException("ConditionalVae: the requested digits must be a non-empty list in 0…9.", nameof(digits));
            if (perDigit < 1) throw new ArgumentException("ConditionalVae: samples per digit must be ≥ 1, got " + perDigit + ".", nameof(perDigit));
            var clock = Stopwatch.StartNew();
            using var scope = NewDisposeScope();
            var images = Digits.Images(likelihood == VaeLikelihood.Bernoulli ? PixelScale.Binary : PixelScale.UnitInterval);
            var labels = Digits.Labels();
            var train = images.narrow(0, 0, 1500);
            var trainY = labels.narrow(0, 0, 1500);
            var test = images.narrow(0, 1500, Digits.Count - 1500);
            var testY = labels.narrow(0, 1500, Digits.Count - 1500);
            var vae = new Vae(Digits.Pixels, latent, hidden, likelihood, new Generator((ulong)seed), classes: 10);
            var result = Trainer.Train(vae, new LabelledTensorDataStream(train, trainY, 128, seed), (x, y, g) => vae.Loss(x, g, y),
                new TrainerOptions { Steps = steps, LearningRate = 3e-3, Seed = seed, CheckpointPath = checkpoint, CheckpointEvery = checkpoint == null ? 0 : 500, Resume = resume, Progress = progress, Cancellation = cancellation,
                    InitFrom = GalleryWeights.InitFrom, ExportPath = GalleryWeights.Export });
            var (judge, judgeAccuracy, judgeTrained, judgeCancelled) = result.Cancelled
                ? ((TimeClassifier?)null, (double?)null, false, true)
                : CleanDigitJudge(judgeSteps, seed, judgePath, progress, cancellation);
            using var noGrad = no_grad();
            var gen = new Generator((ulong)seed + 7);
            var (trainElbo, _, _) = vae.Elbo(train, gen, samples: 20, labels: trainY);
            var (elbo, reconstruction, kl) = vae.Elbo(test, gen, samples: 200, labels: testY);
            var requested = tensor(digits.Select(d => (long)d).ToArray()).repeat_interleave(perDigit);
            var samples = vae.SampleMeans(requested, new Generator((ulong)seed + 11));
            var pixels = likelihood == VaeLikelihood.Bernoulli ? samples : samples.Clamp(0, 1);
            var perDigitResults = new DigitAccuracy[digits.Length];
            double? overall = null;
            if (judge != null)
            {
                var hits = JudgeDigits(judge, pixels).eq(requested).to_type(ScalarType.Float64);
                var byDigit = hits.reshape(digits.Length, perDigit).mean(new long[] { 1 });
                for (int i = 0; i < digits.Length; i++)
                {
                    double p = byDigit[i].ToDoubleValue();
                    perDigitResults[i] = new DigitAccuracy(digits[i], perDigit, p, System.Math.Sqrt(p * (1 - p) / perDigit));
                }
                overall = hits.mean().ToDoubleValue();
            }
            else for (int i = 0; i < digits.Length; i++) perDigitResults[i] = new DigitAccuracy(digits[i], perDigit, null, null);
            long total = (long)digits.Length * perDigit;
            int columns = System.Math.Min(perDigit, 10);
            var grid = pixels.reshape(digits.Length, perDigit, Digits.Pixels).narrow(1, 0, columns).reshape(digits.Length * columns, Digits.Pixels);
            return new ConditionalVaeRun(likelihood.ToString().ToLowerInvariant(), latent, hidden, result.Steps, trainElbo.mean().ToDoubleValue(), elbo.mean().ToDoubleValue(),
                reconstruction.mean().ToDoubleValue(), kl.mean().ToDoubleValue(), perDigitResults, overall, overall is double q ? System.Math.Sqrt(q * (1 - q) / total) : null,
                judgeAccuracy, judgeTrained, clock.Elapsed.TotalSeconds, Rows(grid), columns, result.Cancelled || judgeCancelled);
        }

        /// <summary>
        /// A GAN on a 2D toy set: leaky-ReLU generator 2 → 64 → 64 → 2 and discriminator 2 → 64 → 64 → 1, alternating Adam steps with the
        /// non-saturating or minimax generator loss; on 5000 fresh points the mean D(real), D(fake), the value V(D, G) (−log 4 at the
        /// optimum) and, for eight-gaussians, the modes covered and the fraction of samples within 3σ of a mode. The evaluation figure
        /// that must improve from the seeded start: MMD² between 1000 samples G(z) and 1000 fresh data points (RBF kernels of widths
        /// 0.1, 0.3, 1 in 2D; 1, 2, 4 for the 64-pixel digits), and the distance between the sample mean and the data mean, before and
        /// after training, for the same z.
        /// </summary>
        public static GanRun Gan(string data, bool nonSaturating, int steps, long seed, IProgress<(long Step, long Total, double DLoss, double GLoss)>? progress, CancellationToken cancellation,
            string? checkpoint = null, double learningRate = 1e-3, bool standardize = false)
        {
            using var dataSet = GalleryData.Open(data, GanDataNames, standardize, seed, digitsScale: PixelScale.UnitInterval);
            return Gan(dataSet, nonSaturating, steps, seed, progress, cancellation, checkpoint, learningRate);
        }

        /// <summary>The GAN's built-in data: the toys and the digits in [0, 1].</summary>
        internal static readonly string[] GanDataNames = Toy2D.Names.Append("digits").ToArray();

        /// <summary>
        /// <see cref="Gan(string, bool, int, long, IProgress{ValueTuple{long, long, double, double}}?, CancellationToken, string?, double, bool)"/> on opened data: a
        /// data file of dimension D trains a generator D → 64 → 64 → D (latent D) against a discriminator D → 64 → 64 → 1 on its rows
        /// (drawn with replacement), with the MMD kernel widths of the toys times √(D/2); samples are reported in data units.
        /// </summary>
        internal static GanRun Gan(GalleryData dataSet, bool nonSaturating, int steps, long seed, IProgress<(long Step, long Total, double DLoss, double GLoss)>? progress, CancellationToken cancellation,
            string? checkpoint = null, double learningRate = 1e-3)
        {
            bool digits = dataSet.IsDigits;
            int dim = dataSet.Dim;
            string data = dataSet.DisplayName;
            var clock = Stopwatch.StartNew();
            var g = new Generator((ulong)seed);
            Func<int, Generator, Tensor> real = dataSet.Draw;
            var generator = digits
                ? new Mlp("Generator", 16, new[] { 128, 128 }, Digits.Pixels, leakyRelu: true, generator: g, sigmoidOutput: true)
                : new Mlp("Generator", dim, new[] { 64, 64 }, dim, leakyRelu: true, generator: g);
            var discriminator = new Mlp("Discriminator", dim, digits ? new[] { 128 } : new[] { 64, 64 }, 1, leakyRelu: true, generator: g);
            double widen = System.Math.Sqrt(dim / 2.0);
            var bandwidths = digits ? new[] { 1.0, 2.0, 4.0 } : new[] { 0.1 * widen, 0.3 * widen, 1.0 * widen };
            (double Mmd2, double MeanError) Evaluate()
            {
                using var evalScope = NewDisposeScope();
                using var evalNoGrad = no_grad();
                var evalGen = new Generator((ulong)seed + 77);
                var reference = real(1000, evalGen);
                var samples = generator.Forward(randn(new long[] { 1000, generator.Dim }, generator: evalGen));
                // ‖E[G(z)] − E[x]‖: the first moment, which a generator matches long before it matches the modes.
                double meanError = (samples.mean(new long[] { 0 }) - reference.mean(new long[] { 0 })).norm().ToDoubleValue();
                return (SampleStatistics.Mmd2(samples, reference, bandwidths), meanError);
            }
            var (mmdBefore, meanBefore) = Evaluate();
            var result = GanTraining.Train(generator, discriminator, real,
                new GanOptions { Steps = steps, BatchSize = 256, LearningRate = learningRate, NonSaturating = nonSaturating, Seed = seed, Progress = progress, Cancellation = cancellation,
                    CheckpointPath = checkpoint, CheckpointEvery = checkpoint == null ? 0 : 250, InitFrom = GalleryWeights.InitFrom, ExportPath = GalleryWeights.Export });
            var (mmdAfter, meanAfter) = Evaluate();
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var gen2 = new Generator((ulong)seed + 99);
            var realPoints = real(5000, gen2);
            var fake = generator.Forward(randn(new long[] { 5000, generator.Dim }, generator: gen2));
            var lReal = discriminator.Forward(realPoints).squeeze(1);
            var lFake = discriminator.Forward(fake).squeeze(1);
            double value = -GanLosses.Discriminator(lReal, lFake).ToDoubleValue();
            int? modes = null;
            double? quality = null;
            if (dataSet.Toy == Toy2DKind.Gaussians8)
            {
                var angles = ScalarOps.Arange(8, ScalarType.Float32).Mul((2 * System.Math.PI / 8));
                var centres = stack(new[] { angles.cos().Mul(2), angles.sin().Mul(2) }, 1);
                var distance = cdist(fake, centres);                                  // [5000, 8]
                var (nearest, index) = distance.min(1);
                var close = nearest.Lt(3 * Toy2D.Gaussians8Std);
                quality = close.to_type(ScalarType.Float64).mean().ToDoubleValue();
                var counts = bincount(index.masked_select(close), minlength: 8).data<long>().ToArray();
                modes = counts.Count(c => c >= 0.2 * 5000 / 8.0);
            }
            int tail = System.Math.Max(1, result.DiscriminatorLoss.Count / 10);
            double Tail(System.Collections.Generic.IReadOnlyList<double> h) => h.Count == 0 ? double.NaN : h.Skip(h.Count - tail).Average();
            return new GanRun(data, nonSaturating ? "non-saturating" : "minimax", result.Steps, Tail(result.DiscriminatorLoss), Tail(result.GeneratorLoss),
                lReal.sigmoid().mean().ToDoubleValue(), lFake.sigmoid().mean().ToDoubleValue(), value, modes, quality, mmdBefore, mmdAfter, meanBefore, meanAfter, clock.Elapsed.TotalSeconds,
                dataSet.ToDataUnits(realPoints.narrow(0, 0, digits ? 64 : 2000)), dataSet.ToDataUnits(fake.narrow(0, 0, digits ? 64 : 2000)), result.Cancelled);
        }

        /// <summary>
        /// The density-flow split of a 2-D set: 2500 draws from seed + 1, the first 2000 to train, the last 500 to test. The CNF and
        /// RealNVP (<see cref="RealNvpExperiment"/>) both call it, so their test NLLs are on the same points.
        /// </summary>
        public static (Tensor Train, Tensor Test) FlowSplit(string data, long seed)
        {
            var all = Toy2D.Sample(data, 2500, new Generator((ulong)seed + 1));
            return (all.narrow(0, 0, 2000), all.narrow(0, 2000, 500));
        }

        /// <summary>
        /// The split of opened data: a toy's <see cref="FlowSplit(string, long)"/>, or a file's rows and its held-out rows (opened with
        /// holdOut: max(1, min(500, N/5)) rows by a permutation from seed + 1).
        /// </summary>
        internal static (Tensor Train, Tensor Test) FlowSplit(GalleryData data, long seed)
        {
            if (data.Toy is not null) return FlowSplit(data.Name, seed);
            if (data.Test is null) throw new ArgumentException(data.DisplayName + ": needs at least 2 rows to hold some out for the test NLL.");
            return (data.Rows!.alias(), data.Test.alias());
        }

        /// <summary>The flows' built-in data: the 2-D toys.</summary>
        internal static readonly string[] FlowDataNames = Toy2D.Names;

        /// <summary>
        /// A CNF with a tanh field [z, t] → 32 → 32 → 2 trained by maximum likelihood (RK4, 4 steps, exact divergence on the tape) on
        /// 2000 points; test NLL on 500 held-out points by adaptive RK45 with the exact and the Hutchinson divergence, NFE reported.
        /// </summary>
        public static CnfRun Cnf(string data, int steps, long seed, string? checkpoint, IProgress<TrainingProgress>? progress, CancellationToken cancellation, bool standardize = false)
        {
            using var dataSet = GalleryData.Open(data, FlowDataNames, standardize, seed, holdOut: true);
            return Cnf(dataSet, steps, seed, checkpoint, progress, cancellation);
        }

        /// <summary>
        /// <see cref="Cnf(string, int, long, string?, IProgress{TrainingProgress}?, CancellationToken, bool)"/> on opened data: a file of
        /// dimension D trains a field [z, t] → 32 → 32 → D on its rows and reports the NLL of its held-out rows in data units (nats per point).
        /// </summary>
        internal static CnfRun Cnf(GalleryData dataSet, int steps, long seed, string? checkpoint, IProgress<TrainingProgress>? progress, CancellationToken cancellation)
        {
            string data = dataSet.DisplayName;
            var clock = Stopwatch.StartNew();
            using var scope = NewDisposeScope();
            var (train, test) = FlowSplit(dataSet, seed);
            var flow = new ContinuousFlow(dataSet.Dim, 32, new Generator((ulong)seed));
            double before;
            using (var r = flow.LogLikelihood(test)) before = dataSet.NllToDataUnits(-r.LogLikelihood.mean().ToDoubleValue());
            var result = Trainer.Train(flow, new TensorDataStream(train, 128, seed), (x, _) => flow.NegativeLogLikelihoodLoss(x, steps: 4),
                new TrainerOptions { Steps = steps, LearningRate = 1e-2, Seed = seed, CheckpointPath = checkpoint, CheckpointEvery = checkpoint == null ? 0 : 100, Progress = progress, Cancellation = cancellation,
                    InitFrom = GalleryWeights.InitFrom, ExportPath = GalleryWeights.Export });
            using var exact = flow.LogLikelihood(test);
            using var hutchinson = flow.LogLikelihood(test, divergence: CnfDivergence.Hutchinson, seed: seed);
            var (samples, sampleNfe) = flow.Sample(2000, new Generator((ulong)seed + 3));
            return new CnfRun(data, "exact", result.Steps, before, dataSet.NllToDataUnits(-exact.LogLikelihood.mean().ToDoubleValue()),
                dataSet.NllToDataUnits(-hutchinson.LogLikelihood.mean().ToDoubleValue()), exact.FunctionEvaluations, hutchinson.FunctionEvaluations, sampleNfe,
                clock.Elapsed.TotalSeconds, dataSet.ToDataUnits(train), dataSet.ToDataUnits(samples), result.Cancelled);
        }
    }
}
