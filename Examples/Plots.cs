using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ScottPlot;

namespace Dsl.Examples
{
    /// <summary>PNG figures for the gallery (ScottPlot 5): sample scatters, histograms and loss curves.</summary>
    internal static class Plots
    {
        /// <summary>
        /// A 600x600 scatter of points (markers only), one colour per series, a legend when there is more than one.
        /// Axis limits left null are fitted to the data. Returns the PNG's full path.
        /// </summary>
        public static string Scatter(string path, string title, IReadOnlyList<(string Label, double[] Xs, double[] Ys)> series,
            double? xMin = null, double? xMax = null, double? yMin = null, double? yMax = null)
        {
            var plot = new Plot();
            plot.Title(title);
            for (int i = 0; i < series.Count; i++)
            {
                var (label, xs, ys) = series[i];
                var points = plot.Add.ScatterPoints(xs, ys, plot.Add.Palette.GetColor(i).WithAlpha(0.5));
                points.MarkerSize = 3;
                points.MarkerShape = MarkerShape.FilledCircle;
                points.LegendText = label;
            }
            plot.Axes.AutoScale();
            var limits = plot.Axes.GetLimits();
            plot.Axes.SetLimits(xMin ?? limits.Left, xMax ?? limits.Right, yMin ?? limits.Bottom, yMax ?? limits.Top);
            return Save(plot, path, 600, 600, series.Count > 1);
        }

        /// <summary>
        /// A 700x450 figure of density-normalised histograms drawn as step lines, one per series, on common
        /// bin edges spanning every series' min..max. Returns the PNG's full path.
        /// </summary>
        public static string Histogram(string path, string title, IReadOnlyList<(string Label, double[] Values)> series, int bins = 60)
        {
            if (bins < 1) throw new ArgumentOutOfRangeException(nameof(bins), bins, "at least one bin");
            var plot = new Plot();
            plot.Title(title);
            plot.YLabel("density");
            var finite = series.SelectMany(s => s.Values).Where(double.IsFinite).ToArray();
            double lo = finite.Length > 0 ? finite.Min() : 0, hi = finite.Length > 0 ? finite.Max() : 1;
            if (hi <= lo) { lo -= 0.5; hi += 0.5; }
            double width = (hi - lo) / bins;

            for (int i = 0; i < series.Count; i++)
            {
                var (label, values) = series[i];
                var counts = new double[bins];
                int n = 0;
                foreach (var v in values)
                {
                    if (!double.IsFinite(v)) continue;
                    int b = System.Math.Clamp((int)((v - lo) / width), 0, bins - 1);
                    counts[b]++;
                    n++;
                }
                // Step outline: (edge_k, density_k) for each bin, closed down to zero at both ends.
                var xs = new double[bins + 3];
                var ys = new double[bins + 3];
                xs[0] = lo; ys[0] = 0;
                for (int k = 0; k < bins; k++)
                {
                    xs[k + 1] = lo + k * width;
                    ys[k + 1] = n > 0 ? counts[k] / (n * width) : 0;
                }
                xs[bins + 1] = hi; ys[bins + 1] = ys[bins];
                xs[bins + 2] = hi; ys[bins + 2] = 0;
                var line = plot.Add.ScatterLine(xs, ys, plot.Add.Palette.GetColor(i));
                line.ConnectStyle = ConnectStyle.StepHorizontal;
                line.LineWidth = 1.5f;
                line.LegendText = label;
            }
            plot.Axes.Margins(bottom: 0);
            return Save(plot, path, 700, 450, true);
        }

        /// <summary>A 700x450 line plot (training-loss curves and the like), one line per series, with a legend. Returns the PNG's full path.</summary>
        public static string Line(string path, string title, string xLabel, string yLabel, IReadOnlyList<(string Label, double[] Xs, double[] Ys)> series)
        {
            var plot = new Plot();
            plot.Title(title);
            plot.XLabel(xLabel);
            plot.YLabel(yLabel);
            for (int i = 0; i < series.Count; i++)
            {
                var (label, xs, ys) = series[i];
                var line = plot.Add.ScatterLine(xs, ys, plot.Add.Palette.GetColor(i));
                line.LineWidth = 1.5f;
                line.LegendText = label;
            }
            return Save(plot, path, 700, 450, true);
        }

        private static string Save(Plot plot, string path, int width, int height, bool legend)
        {
            if (legend) plot.ShowLegend();
            else plot.HideLegend();
            var full = Path.GetFullPath(path);
            var dir = Path.GetDirectoryName(full);
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            plot.SavePng(full, width, height);
            return full;
        }
    
        /// <summary>
        /// A grid of small grayscale images (e.g. 8×8 digits or RBM filters), <paramref name="columns"/> per row, one-pixel gaps.
        /// Each image is min–max scaled on its own when <paramref name="normalizeEach"/> (filters), else shown as given in [0, 1].
        /// </summary>
        public static string ImageGrid(string path, string title, IReadOnlyList<double[]> images, int height, int width, int columns, bool normalizeEach = false)
        {
            int rows = (images.Count + columns - 1) / columns;
            var canvas = new double[rows * (height + 1) + 1, columns * (width + 1) + 1];
            for (int r = 0; r < canvas.GetLength(0); r++)
                for (int c = 0; c < canvas.GetLength(1); c++) canvas[r, c] = double.NaN;
            for (int k = 0; k < images.Count; k++)
            {
                var image = images[k];
                double lo = normalizeEach ? image.Min() : 0, hi = normalizeEach ? image.Max() : 1;
                double span = hi > lo ? hi - lo : 1;
                int top = (k / columns) * (height + 1) + 1, left = (k % columns) * (width + 1) + 1;
                for (int y = 0; y < height; y++)
                    for (int x = 0; x < width; x++)
                        canvas[top + y, left + x] = (image[y * width + x] - lo) / span;
            }
            var plot = new Plot();
            plot.Title(title);
            var heatmap = plot.Add.Heatmap(canvas);
            heatmap.Colormap = new ScottPlot.Colormaps.Grayscale();
            heatmap.NaNCellColor = Colors.White;
            plot.Axes.Frameless();
            plot.HideGrid();
            return Save(plot, path, 40 + 7 * (columns * (width + 1) + 1), 70 + 7 * (rows * (height + 1) + 1), false);
        }
    }
}
