using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;

namespace Dsl.Generators.Model
{
    /// <summary>An immutable array with structural equality, so pipeline models compare by value and cache.</summary>
    public readonly struct EquatableArray<T> : IEquatable<EquatableArray<T>>, IEnumerable<T>
        where T : IEquatable<T>
    {
        private readonly T[]? items;

        /// <summary>Wraps a copy of <paramref name="items"/>.</summary>
        public EquatableArray(IEnumerable<T> items) { this.items = items.ToArray(); }

        /// <summary>The empty array.</summary>
        public static EquatableArray<T> Empty => new EquatableArray<T>(Array.Empty<T>());

        /// <summary>Number of items.</summary>
        public int Count => items?.Length ?? 0;

        /// <summary>The item at <paramref name="index"/>.</summary>
        public T this[int index] => items![index];

        /// <inheritdoc/>
        public bool Equals(EquatableArray<T> other)
        {
            var a = items ?? Array.Empty<T>();
            var b = other.items ?? Array.Empty<T>();
            if (a.Length != b.Length) return false;
            for (int i = 0; i < a.Length; i++)
                if (!EqualityComparer<T>.Default.Equals(a[i], b[i])) return false;
            return true;
        }

        /// <inheritdoc/>
        public override bool Equals(object? obj) => obj is EquatableArray<T> other && Equals(other);

        /// <inheritdoc/>
        public override int GetHashCode()
        {
            int h = 19;
            if (items != null)
                foreach (var item in items) h = h * 31 + (item?.GetHashCode() ?? 0);
            return h;
        }

        /// <inheritdoc/>
        public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)(items ?? Array.Empty<T>())).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>Conversions to <see cref="EquatableArray{T}"/>.</summary>
    public static class EquatableArray
    {
        /// <summary>Copies a sequence into an equatable array.</summary>
        public static EquatableArray<T> ToEquatableArray<T>(this IEnumerable<T> items) where T : IEquatable<T> => new EquatableArray<T>(items);
    }
}
