using System;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl
{
    /// <summary>Validation of discrete units (bits 0/1, spins ±1) that names the first offending entry.</summary>
    public static class UnitValues
    {
        /// <summary>
        /// Throws <see cref="ArgumentException"/> "<paramref name="owner"/>: argument 'x' must hold <paramref name="kind"/>;
        /// entry [r, c] is v." unless every entry of the [M, N] tensor equals <paramref name="a"/> or <paramref name="b"/>.
        /// </summary>
        public static void Require(Tensor units, double a, double b, string kind, string owner, string argument)
        {
            using var scope = NewDisposeScope();
            var bad = units.Ne(a).logical_and(units.Ne(b));
            if (!bad.any().item<bool>()) return;
            var index = bad.nonzero()[0];
            long row = index[0].item<long>(), column = index[1].item<long>();
            throw new ArgumentException(owner + ": argument '" + argument + "' must hold " + kind + "; entry [" + row + ", " + column + "] is "
                + units[row, column].ToDoubleValue().ToString(CultureInfo.InvariantCulture) + ".", argument);
        }
    }
}
