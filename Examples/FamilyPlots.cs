using System.IO;
using ScottPlot;

namespace Dsl.Examples
{
    /// <summary>Density heatmaps for the flow commands (ScottPlot 5).</summary>
    internal static class FamilyPlots
    {
        /// <summary>A 560x520 heatmap of a density on [−L, L]² (rows: y from the top); returns the PNG's full path.</summary>
        public static string Density(string path, string title, double[,] density, double half)
        {
            var plot = new Plot();
            plot.Title(title);
            var heatmap = plot.Add.Heatmap(density);
            heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
            heatmap.Extent = new CoordinateRect(-half, half, -half, half);
            plot.Axes.SetLimits(-half, half, -half, half);
            plot.Add.ColorBar(heatmap);
            var full = Path.GetFullPath(path);
            var dir = Path.GetDirectoryName(full);
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            plot.SavePng(full, 560, 520);
            return full;
        }
    }
}
