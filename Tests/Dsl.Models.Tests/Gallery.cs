using System;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace Dsl.Models.Tests
{
    /// <summary>Runs the `dsl` gallery in-process with the console captured (tests that use it join the "Console" collection).</summary>
    internal static class Gallery
    {
        /// <summary>Exit code, stdout and stderr of `dsl args…`.</summary>
        public static (int Code, string Out, string Err) Run(params string[] args)
        {
            var (stdout, stderr) = (Console.Out, Console.Error);
            var o = new StringWriter();
            var e = new StringWriter();
            Console.SetOut(o);
            Console.SetError(e);
            try { return (Dsl.Examples.Program.Main(args), o.ToString(), e.ToString()); }
            finally { Console.SetOut(stdout); Console.SetError(stderr); }
        }

        /// <summary>The JSON object that `dsl args… --json` prints as its last line; fails the test on a non-zero exit.</summary>
        public static JsonElement RunJson(params string[] args)
        {
            var (code, output, err) = Run(args.Concat(new[] { "--json" }).ToArray());
            Assert.True(code == 0, "exit " + code + ": " + err);
            using var doc = JsonDocument.Parse(output.TrimEnd().Split('\n').Last());
            return doc.RootElement.Clone();
        }
    }
}
