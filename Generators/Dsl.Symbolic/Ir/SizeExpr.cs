using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace Dsl.Symbolic.Ir
{
    /// <summary>
    /// Size expressions: the dimension strings of a <see cref="Shape"/> are integer-linear combinations of size names, such as
    /// "D", "2*D", "D+1", "K+D" or "3". Every dimension the IR builds is canonical (terms by name in ordinal order, a coefficient
    /// written only when it is not ±1, the constant last), so two sizes are equal exactly when their strings are: "D*2" and
    /// "2*D" are one size, and so are "D+D" and "2*D". A slice x[a..b] of a Vec[2*D] has the size b − a computed here.
    /// </summary>
    public static class SizeExpr
    {
        /// <summary>The canonical form of <paramref name="text"/>; throws <see cref="ShapeException"/> when it is not a size expression.</summary>
        public static string Canonical(string text) => Render(Parse(text));

        /// <summary>True when <paramref name="text"/> is a size expression (names, integers, +, −, and * by an integer).</summary>
        public static bool TryCanonical(string text, out string canonical)
        {
            try { canonical = Canonical(text); return true; }
            catch (ShapeException) { canonical = ""; return false; }
        }

        /// <summary>a + b.</summary>
        public static string Add(string a, string b) => Render(Combine(Parse(a), Parse(b), 1));

        /// <summary>a − b.</summary>
        public static string Sub(string a, string b) => Render(Combine(Parse(a), Parse(b), -1));

        /// <summary>k·a for an integer k.</summary>
        public static string Scale(string a, long k) => Render(Parse(a).ToDictionary(kv => kv.Key, kv => kv.Value * k));

        /// <summary>The integer <paramref name="value"/> as a size.</summary>
        public static string Of(long value) => value.ToString(CultureInfo.InvariantCulture);

        /// <summary>The value when the size names no symbol (a literal size such as "3").</summary>
        public static long? Constant(string size)
        {
            var terms = Parse(size);
            if (terms.Keys.Any(k => k.Length > 0)) return null;
            return terms.TryGetValue("", out var c) ? c : 0;
        }

        /// <summary>The size names the expression reads, in ordinal order.</summary>
        public static IReadOnlyList<string> Symbols(string size) => Parse(size).Keys.Where(k => k.Length > 0).OrderBy(k => k, StringComparer.Ordinal).ToList();

        /// <summary>
        /// True when <paramref name="a"/> ≤ <paramref name="b"/> for every assignment of sizes ≥ 1 (b − a has a non-negative constant
        /// and non-negative coefficients); false when that cannot be shown (it may still hold for some sizes).
        /// </summary>
        public static bool ProvablyAtMost(string a, string b)
        {
            var d = Combine(Parse(b), Parse(a), -1);
            long constant = d.TryGetValue("", out var c) ? c : 0;
            long minimum = constant + d.Where(kv => kv.Key.Length > 0).Sum(kv => kv.Value);   // every size at its least, 1
            return d.Where(kv => kv.Key.Length > 0).All(kv => kv.Value >= 0) && minimum >= 0;
        }

        /// <summary>
        /// The C# long expression of <paramref name="size"/>, with each name written by <paramref name="symbol"/> (e.g. "size_D"):
        /// "2*D-1" becomes "(2L * size_D - 1L)", "2*D" becomes "(2L * size_D)", "D" stays "size_D".
        /// </summary>
        public static string ToCode(string size, Func<string, string> symbol)
        {
            var terms = Parse(size);
            var constant = terms.TryGetValue("", out var c) ? c : 0;
            var parts = new List<string>();
            foreach (var kv in terms.Where(kv => kv.Key.Length > 0).OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                string term = kv.Value == 1 || kv.Value == -1 ? symbol(kv.Key) : Math.Abs(kv.Value).ToString(CultureInfo.InvariantCulture) + "L * " + symbol(kv.Key);
                parts.Add((kv.Value < 0 ? "- " : parts.Count == 0 ? "" : "+ ") + term);
            }
            if (constant != 0 || parts.Count == 0)
                parts.Add((constant < 0 ? "- " : parts.Count == 0 ? "" : "+ ") + Math.Abs(constant).ToString(CultureInfo.InvariantCulture) + "L");
            var text = string.Join(" ", parts);
            if (text.StartsWith("- ", StringComparison.Ordinal)) text = "-" + text.Substring(2);
            return parts.Count == 1 && text.IndexOf(' ') < 0 && !text.StartsWith("-", StringComparison.Ordinal) ? text : "(" + text + ")";
        }

        /// <summary>The value of <paramref name="size"/> for the given sizes of its names.</summary>
        public static long Evaluate(string size, Func<string, long> symbol)
        {
            var terms = Parse(size);
            return terms.Sum(kv => kv.Key.Length == 0 ? kv.Value : kv.Value * symbol(kv.Key));
        }

        private static Dictionary<string, long> Combine(Dictionary<string, long> a, Dictionary<string, long> b, long sign)
        {
            var r = new Dictionary<string, long>(a, StringComparer.Ordinal);
            foreach (var kv in b) r[kv.Key] = (r.TryGetValue(kv.Key, out var v) ? v : 0) + sign * kv.Value;
            return r;
        }

        /// <summary>Terms by name ("" for the constant).</summary>
        private static Dictionary<string, long> Parse(string text)
        {
            var terms = new Dictionary<string, long>(StringComparer.Ordinal);
            int i = 0;
            string s = text.Replace(" ", "");
            if (s.Length == 0) throw new ShapeException("an empty size");
            while (i < s.Length)
            {
                long sign = 1;
                if (s[i] == '+' || s[i] == '-') { sign = s[i] == '-' ? -1 : 1; i++; }
                else if (i > 0) throw new ShapeException("the size \"" + text + "\" is not a sum of terms such as 2*D");
                long coefficient = 1;
                string name = "";
                bool any = false;
                while (true)
                {
                    if (i < s.Length && char.IsDigit(s[i]))
                    {
                        int start = i;
                        while (i < s.Length && char.IsDigit(s[i])) i++;
                        coefficient *= long.Parse(s.Substring(start, i - start), CultureInfo.InvariantCulture);
                        any = true;
                    }
                    else if (i < s.Length && (char.IsLetter(s[i]) || s[i] == '_'))
                    {
                        if (name.Length > 0) throw new ShapeException("the size \"" + text + "\" multiplies two sizes; sizes are linear");
                        int start = i;
                        while (i < s.Length && (char.IsLetterOrDigit(s[i]) || s[i] == '_')) i++;
                        name = s.Substring(start, i - start);
                        any = true;
                    }
                    else throw new ShapeException("the size \"" + text + "\" is not a sum of terms such as 2*D");
                    if (i < s.Length && s[i] == '*') { i++; continue; }
                    break;
                }
                if (!any) throw new ShapeException("the size \"" + text + "\" is not a sum of terms such as 2*D");
                terms[name] = (terms.TryGetValue(name, out var v) ? v : 0) + sign * coefficient;
            }
            return terms;
        }

        private static string Render(Dictionary<string, long> terms)
        {
            var sb = new StringBuilder();
            foreach (var kv in terms.Where(kv => kv.Key.Length > 0 && kv.Value != 0).OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                if (kv.Value < 0) sb.Append('-');
                else if (sb.Length > 0) sb.Append('+');
                long m = Math.Abs(kv.Value);
                if (m != 1) sb.Append(m.ToString(CultureInfo.InvariantCulture)).Append('*');
                sb.Append(kv.Key);
            }
            long constant = terms.TryGetValue("", out var c) ? c : 0;
            if (constant != 0 || sb.Length == 0)
            {
                if (constant < 0) sb.Append('-');
                else if (sb.Length > 0) sb.Append('+');
                sb.Append(Math.Abs(constant).ToString(CultureInfo.InvariantCulture));
            }
            return sb.ToString();
        }
    }
}
