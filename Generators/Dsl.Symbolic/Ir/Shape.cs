using System;
using System.Collections.Generic;
using System.Linq;

namespace Dsl.Symbolic.Ir
{
    /// <summary>
    /// The static shape of one sample's value: rank 0 (Scalar), 1 (Vec[K]) or 2 (Mat[K,D]) with symbolic
    /// dimensions ("K", "D", or the literal "1"), plus whether it is batched (depends on x, so carries a
    /// leading N at run time) or not (parameters and constants).
    /// Broadcasting is numpy's, trailing-aligned: a Vec[D] meets a Mat[K,D] along each row.
    /// </summary>
    public sealed class Shape : IEquatable<Shape>
    {
        /// <summary>The literal singleton dimension.</summary>
        public const string One = "1";

        private readonly string[] dims;

        private Shape(string[] dims, bool batched)
        {
            this.dims = dims;
            Batched = batched;
        }

        /// <summary>An unbatched scalar.</summary>
        public static readonly Shape Scalar = new Shape(new string[0], false);

        /// <summary>Creates a shape from dimension symbols.</summary>
        public static Shape Of(bool batched, params string[] dims)
        {
            if (dims.Length > 2) throw new ShapeException("rank " + dims.Length + " is above the supported rank 2 (Mat)");
            return new Shape((string[])dims.Clone(), batched);
        }

        /// <summary>Dimension symbols, outermost first.</summary>
        public IReadOnlyList<string> Dims => dims;

        /// <summary>Per-sample rank: 0, 1 or 2.</summary>
        public int Rank => dims.Length;

        /// <summary>True when the value depends on the batch (carries a leading N at run time).</summary>
        public bool Batched { get; }

        /// <summary>The last dimension; throws for a scalar.</summary>
        public string Last => dims.Length == 0 ? throw new ShapeException("a Scalar has no last axis") : dims[dims.Length - 1];

        /// <summary>This shape as batched (or not).</summary>
        public Shape WithBatched(bool batched) => batched == Batched ? this : new Shape(dims, batched);

        /// <summary>The shape with its last axis removed (the result of a reduction over it).</summary>
        public Shape DropLast()
        {
            if (dims.Length == 0) throw new ShapeException("cannot reduce a Scalar");
            return new Shape(dims.Take(dims.Length - 1).ToArray(), Batched);
        }

        /// <summary>The shape with its second-to-last axis removed (a sum over the rows of a Mat).</summary>
        public Shape DropRows()
        {
            if (dims.Length != 2) throw new ShapeException("a sum over rows needs a Mat, got " + this);
            return new Shape(new[] { dims[1] }, Batched);
        }

        /// <summary>The shape with a trailing singleton axis added.</summary>
        public Shape AppendOne() => Of(Batched, dims.Concat(new[] { One }).ToArray());

        /// <summary>Numpy broadcasting of two shapes, trailing-aligned; null when incompatible.</summary>
        public static Shape? TryBroadcast(Shape a, Shape b)
        {
            int rank = System.Math.Max(a.Rank, b.Rank);
            var result = new string[rank];
            for (int i = 0; i < rank; i++)
            {
                string? da = i < a.Rank ? a.dims[a.Rank - 1 - i] : null;
                string? db = i < b.Rank ? b.dims[b.Rank - 1 - i] : null;
                string d;
                if (da == null) d = db!;
                else if (db == null) d = da;
                else if (da == db) d = da;
                else if (da == One) d = db;
                else if (db == One) d = da;
                else return null;
                result[rank - 1 - i] = d;
            }
            return new Shape(result, a.Batched || b.Batched);
        }

        /// <summary>True when this shape broadcasts to <paramref name="target"/> without changing the target.</summary>
        public bool BroadcastsTo(Shape target)
        {
            var merged = TryBroadcast(this, target);
            return merged != null && merged.SameDims(target);
        }

        /// <summary>Equal dimension lists (ignoring batching).</summary>
        public bool SameDims(Shape other) => dims.SequenceEqual(other.dims);

        /// <summary>The DSL type name: Scalar, Vec[K] or Mat[K,D].</summary>
        public override string ToString()
        {
            switch (Rank)
            {
                case 0: return "Scalar";
                case 1: return "Vec[" + dims[0] + "]";
                default: return "Mat[" + dims[0] + "," + dims[1] + "]";
            }
        }

        /// <inheritdoc/>
        public bool Equals(Shape? other) => other != null && other.Batched == Batched && SameDims(other);

        /// <inheritdoc/>
        public override bool Equals(object? obj) => Equals(obj as Shape);

        /// <inheritdoc/>
        public override int GetHashCode()
        {
            int h = Batched ? 17 : 3;
            foreach (var d in dims) h = h * 31 + StringComparer.Ordinal.GetHashCode(d);
            return h;
        }
    }

    /// <summary>A shape rule was broken; the message names both shapes.</summary>
    public sealed class ShapeException : Exception
    {
        /// <summary>Creates the exception.</summary>
        public ShapeException(string message) : base(message) { }
    }
}
