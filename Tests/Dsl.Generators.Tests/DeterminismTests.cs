using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Dsl.Generators.Tests
{
    /// <summary>
    /// The generated text is a function of the source alone: the same under the invariant culture, under a hostile
    /// culture (decimal comma, dot grouping, U+2212 minus sign, other NaN/∞ symbols) and under real cultures where
    /// the runtime has them (de-DE, tr-TR: the dotless i; fa-IR); line endings are \n only.
    /// </summary>
    public class DeterminismTests
    {
        private static CultureInfo Hostile()
        {
            var c = (CultureInfo)CultureInfo.InvariantCulture.Clone();
            var n = c.NumberFormat;
            n.NumberDecimalSeparator = ","; n.NumberGroupSeparator = "."; n.NegativeSign = "\u2212"; n.PositiveSign = "\u002B";
            n.NaNSymbol = "NeuN"; n.PositiveInfinitySymbol = "\u221E"; n.NegativeInfinitySymbol = "-\u221E";
            n.PercentDecimalSeparator = ","; n.CurrencyDecimalSeparator = ",";
            return c;
        }

        private static IEnumerable<CultureInfo> Cultures()
        {
            yield return CultureInfo.InvariantCulture;
            yield return Hostile();
            foreach (var name in new[] { "de-DE", "tr-TR", "fa-IR" })
            {
                CultureInfo? real = null;
                try { real = CultureInfo.GetCultureInfo(name, predefinedOnly: true); }
                catch (CultureNotFoundException) { }   // invariant-globalization builds have only the invariant culture
                if (real != null) yield return real;
            }
        }

        private static IReadOnlyDictionary<string, string> GenerateUnder(CultureInfo culture)
        {
            var (saved, savedUi) = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
            try
            {
                CultureInfo.CurrentCulture = culture;
                CultureInfo.CurrentUICulture = culture;
                return GeneratorFixture.Run(GeneratorFixture.ModelSources().ToArray()).Sources;
            }
            finally
            {
                CultureInfo.CurrentCulture = saved;
                CultureInfo.CurrentUICulture = savedUi;
            }
        }

        [Fact]
        public void Generated_text_is_identical_across_cultures_and_runs()
        {
            var reference = GenerateUnder(CultureInfo.InvariantCulture);
            Assert.True(reference.Count >= 20, "too few generated files: " + reference.Count);
            foreach (var culture in Cultures())
            {
                var other = GenerateUnder(culture);
                Assert.Equal(reference.Keys.OrderBy(k => k, StringComparer.Ordinal), other.Keys.OrderBy(k => k, StringComparer.Ordinal));
                foreach (var (hint, text) in reference)
                {
                    if (other[hint] == text) continue;
                    var a = text.Split('\n'); var b = other[hint].Split('\n');
                    int line = Enumerable.Range(0, System.Math.Min(a.Length, b.Length)).FirstOrDefault(i => a[i] != b[i]);
                    Assert.Fail($"{hint} differs under culture '{culture.Name}' (decimal '{culture.NumberFormat.NumberDecimalSeparator}') at line {line + 1}:\n  {a[line]}\n  {b[line]}");
                }
            }
        }

        [Fact]
        public void Line_endings_are_normalised_whatever_the_input_uses()
        {
            var lf = GeneratorFixture.Run(GeneratorFixture.ModelSources().ToArray()).Sources;
            var crlf = GeneratorFixture.Run(GeneratorFixture.ModelSources().Select(s => s.Replace("\r\n", "\n").Replace("\n", "\r\n")).ToArray()).Sources;
            Assert.Equal(lf.OrderBy(p => p.Key, StringComparer.Ordinal), crlf.OrderBy(p => p.Key, StringComparer.Ordinal));
            Assert.All(lf.Values, text =>
            {
                Assert.DoesNotContain("\r", text);
                Assert.EndsWith("\n", text);
                Assert.DoesNotContain("\t", text);
            });
        }
    }
}
