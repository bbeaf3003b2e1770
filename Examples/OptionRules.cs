using System;
using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Dsl.Examples
{
    /// <summary>
    /// What each option accepts, checked while the command line is parsed, so before any work starts. A rule adds a validator
    /// whose message names the option, the value and what is expected; <see cref="Program"/> prints it as one line prefixed by
    /// the command ("dsl ising: --L must be even …") with exit code 2. An invalid value is always an error, never a default.
    /// </summary>
    internal static class OptionRules
    {
        /// <summary>An integer count of at least <paramref name="min"/>.</summary>
        public static Option<int> AtLeast(this Option<int> option, int min, string why = "")
        {
            option.Validators.Add(r => Check<int>(r, option.Name, v => v >= min, "must be at least " + min + why));
            return option;
        }

        /// <summary>A long count of at least <paramref name="min"/>.</summary>
        public static Option<long> AtLeast(this Option<long> option, long min, string why = "")
        {
            option.Validators.Add(r => Check<long>(r, option.Name, v => v >= min, "must be at least " + min + why));
            return option;
        }

        /// <summary>An optional integer (absent: the command's documented default) that, when given, is at least <paramref name="min"/>.</summary>
        public static Option<int?> AtLeast(this Option<int?> option, int min, string why = "")
        {
            option.Validators.Add(r =>
            {
                if (Converted<int?>(r, out var given) && given is int value) Report(r, option.Name, value, v => v >= min, "must be at least " + min + why);
            });
            return option;
        }

        /// <summary>An integer in <paramref name="min"/>…<paramref name="max"/>.</summary>
        public static Option<int> InRange(this Option<int> option, int min, int max, string why = "")
        {
            option.Validators.Add(r => Check<int>(r, option.Name, v => v >= min && v <= max,
                "must lie in " + min + "…" + max + why));
            return option;
        }

        /// <summary>An optional integer (absent: the command's documented default) that, when given, lies in <paramref name="min"/>…<paramref name="max"/>.</summary>
        public static Option<int?> InRange(this Option<int?> option, int min, int max, string why = "")
        {
            option.Validators.Add(r =>
            {
                if (Converted<int?>(r, out var given) && given is int value) Report(r, option.Name, value, v => v >= min && v <= max, "must lie in " + min + "…" + max + why);
            });
            return option;
        }

        /// <summary>An even integer in <paramref name="min"/>…<paramref name="max"/>: the checkerboard of a periodic lattice needs an even side.</summary>
        public static Option<int> EvenInRange(this Option<int> option, int min, int max, string why)
        {
            option.Validators.Add(r => Check<int>(r, option.Name, v => v >= min && v <= max && v % 2 == 0, "must be even and lie in " + min + "…" + max + why));
            return option;
        }

        /// <summary>A multiple of <paramref name="k"/> in <paramref name="min"/>…<paramref name="max"/> (U-Net channels split into groups of 8).</summary>
        public static Option<int> MultipleOf(this Option<int> option, int k, int min, int max)
        {
            option.Validators.Add(r => Check<int>(r, option.Name, v => v >= min && v <= max && v % k == 0,
                "must be a multiple of " + k + " in " + min + "…" + max));
            return option;
        }

        /// <summary>A finite number greater than zero (rates, step sizes, temperatures, noise levels): NaN, ±∞, 0 and negatives are refused.</summary>
        public static Option<double> PositiveFinite(this Option<double> option, string why = "")
        {
            option.Validators.Add(r => Check<double>(r, option.Name, v => v > 0 && double.IsFinite(v), "must be a finite number > 0" + why));
            return option;
        }

        /// <summary>An optional rate or size (absent: the command's documented default) that, when given, is finite and greater than zero.</summary>
        public static Option<double?> PositiveFinite(this Option<double?> option, string why = "")
        {
            option.Validators.Add(r =>
            {
                if (Converted<double?>(r, out var given) && given is double value) Report(r, option.Name, value, v => v > 0 && double.IsFinite(v), "must be a finite number > 0" + why);
            });
            return option;
        }

        /// <summary>A finite number in the closed interval [<paramref name="min"/>, <paramref name="max"/>].</summary>
        public static Option<double> InRange(this Option<double> option, double min, double max, string why = "")
        {
            option.Validators.Add(r => Check<double>(r, option.Name, v => v >= min && v <= max,
                "must lie in [" + Format(min) + ", " + Format(max) + "]" + why));
            return option;
        }

        private static void Check<T>(OptionResult r, string name, Func<T, bool> ok, string expected)
        {
            if (Converted<T>(r, out var value)) Report(r, name, value, ok, expected);
        }

        private static void Report<T>(OptionResult r, string name, T value, Func<T, bool> ok, string expected)
        {
            if (!ok(value)) r.AddError(name + " " + expected + ", got " + Format(value) + ".");
        }

        /// <summary>
        /// The option's value, or false when the text did not convert ("--n x"): the parser reports that error itself, and
        /// System.CommandLine still runs the validators, whose GetValueOrDefault would then throw.
        /// </summary>
        private static bool Converted<T>(OptionResult r, out T value)
        {
            try
            {
                value = r.GetValueOrDefault<T>();
                return true;
            }
            catch (InvalidOperationException)
            {
                value = default!;
                return false;
            }
        }

        private static string Format<T>(T value) => value is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : value?.ToString() ?? "nothing";
    }
}
