using System;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace Dsl.Models.Tests
{
    /// <summary>The gallery's contract: --json ends stdout with one JSON object; an unknown model is a one-line error, exit 2.</summary>
    [Collection("Console")]
    public class CliTests
    {
        private static (int Code, string Out, string Err) Run(params string[] args)
        {
            var (stdout, stderr) = (Console.Out, Console.Error);
            var o = new StringWriter();
            var e = new StringWriter();
            Console.SetOut(o);
            Console.SetError(e);
            try { return (Dsl.Examples.Program.Main(args), o.ToString(), e.ToString()); }
            finally { Console.SetOut(stdout); Console.SetError(stderr); }
        }

        [Fact]
        public void Score_check_json_reports_the_figures()
        {
            var (code, output, _) = Run("score-check", "--model", "GaussianMixture", "--n", "500", "--json", "--dtype", "float64");
            Assert.Equal(0, code);
            var last = output.TrimEnd().Split('\n').Last();
            using var doc = JsonDocument.Parse(last);
            var root = doc.RootElement;
            Assert.Equal("GaussianMixture", root.GetProperty("model").GetString());
            Assert.Equal(500, root.GetProperty("n").GetInt32());
            Assert.True(root.GetProperty("max_abs_err").GetDouble() < 1e-9);
            Assert.True(root.GetProperty("generated_ms").GetDouble() > 0);
            Assert.True(root.GetProperty("autograd_ms").GetDouble() > 0);
        }

        [Fact]
        public void Unknown_model_lists_valid_names_and_exits_2()
        {
            var (code, _, err) = Run("score-check", "--model", "Nope");
            Assert.Equal(2, code);
            Assert.Single(err.TrimEnd().Split('\n'));
            Assert.Contains("unknown model 'Nope'", err);
            Assert.Contains("GaussianMixture", err);
        }

        [Fact]
        public void Models_json_lists_every_model()
        {
            var (code, output, _) = Run("models", "--json");
            Assert.Equal(0, code);
            using var doc = JsonDocument.Parse(output.TrimEnd().Split('\n').Last());
            Assert.Equal(ModelCatalog.All.Count, doc.RootElement.GetArrayLength());
        }
    }
}
