using System;
using System.Collections.Generic;
using System.Linq;

namespace Dsl.Symbolic.Ir
{
    /// <summary>A dense float64 value of one sample: dims (rank 0–2) and row-major data.</summary>
    public sealed class DenseValue
    {
        /// <summary>Creates a value; data length must equal the product of dims.</summary>
        public DenseValue(int[] dims, double[] data)
        {
            if (dims.Aggregate(1, (p, d) => p * d) != data.Length) throw new ArgumentException("data length does not match the dims");
            Dims = dims;
            Data = data;
        }

        /// <summary>A scalar.</summary>
        public static DenseValue Of(double v) => new DenseValue(new int[0], new[] { v });

        /// <summary>Dimensions.</summary>
        public int[] Dims { get; }

        /// <summary>Row-major entries.</summary>
        public double[] Data { get; }

        /// <summary>The single entry of a scalar.</summary>
        public double Scalar => Dims.Length == 0 ? Data[0] : throw new InvalidOperationException("not a scalar");
    }

    /// <summary>
    /// Evaluates an expression for one sample in float64 with plain loops: the independent reference for
    /// the calculus tests (finite differences need no TorchSharp) and the semantics the emitter must match.
    /// </summary>
    public sealed class Evaluator
    {
        private readonly Dictionary<string, DenseValue> parameters;
        private readonly Dictionary<string, double> hypers;
        private readonly Dictionary<string, int> sizes;

        /// <summary>Creates an evaluator with parameter values, hyperparameters and dimension sizes.</summary>
        public Evaluator(Dictionary<string, DenseValue> parameters, Dictionary<string, double> hypers, Dictionary<string, int> sizes)
        {
            this.parameters = parameters;
            this.hypers = hypers;
            this.sizes = sizes;
        }

        /// <summary>Evaluates <paramref name="root"/> at input <paramref name="x"/>.</summary>
        public DenseValue Evaluate(Node root, double[] x) => Evaluate(root, x, new Dictionary<string, double>());

        /// <summary>Evaluates <paramref name="root"/> at input <paramref name="x"/> with conditioning inputs such as σ.</summary>
        public DenseValue Evaluate(Node root, double[] x, Dictionary<string, double> conditions)
        {
            var values = new Dictionary<Node, DenseValue>();
            foreach (var n in Topology.Order(new[] { root }))
                values[n] = Compute(n, x, conditions, values);
            return values[root];
        }

        private DenseValue Compute(Node n, double[] x, Dictionary<string, double> conditions, Dictionary<Node, DenseValue> v)
        {
            switch (n.Op)
            {
                case Op.Input: return new DenseValue(new[] { x.Length }, (double[])x.Clone());
                case Op.Condition: return DenseValue.Of(conditions[n.Name!]);
                case Op.Neighbors:
                    {
                        var a = v[n.A].Data;
                        int side = (int)System.Math.Round(v[n.B].Scalar);
                        if (side * side != a.Length) throw new ArgumentException("LatticeNeighbours: " + a.Length + " sites are not an L×L lattice with L = " + side);
                        var y = new double[a.Length];
                        for (int r = 0; r < side; r++)
                            for (int c = 0; c < side; c++)
                                y[r * side + c] = a[((r + 1) % side) * side + c] + a[((r + side - 1) % side) * side + c]
                                    + a[r * side + (c + 1) % side] + a[r * side + (c + side - 1) % side];
                        return new DenseValue(new[] { a.Length }, y);
                    }
                case Op.Roll:
                    {
                        var a = v[n.A].Data;
                        int side = (int)System.Math.Round(v[n.B].Scalar);
                        if (side * side != a.Length) throw new ArgumentException("Roll: " + a.Length + " sites are not an L×L lattice with L = " + side);
                        int dr = (int)n.Args[2].Value, dc = (int)n.Args[3].Value;
                        var y = new double[a.Length];
                        for (int r = 0; r < side; r++)
                            for (int c = 0; c < side; c++)
                                y[r * side + c] = a[(((r - dr) % side + side) % side) * side + ((c - dc) % side + side) % side];
                        return new DenseValue(new[] { a.Length }, y);
                    }
                case Op.Param: return parameters[n.Name!];
                case Op.Hyper: return DenseValue.Of(hypers[n.Name!]);
                case Op.Const: return DenseValue.Of(n.Value);
                case Op.DimSize: return DenseValue.Of(Size(n.Name!));
                case Op.Selector:
                    {
                        int rows = Size(n.Shape.Dims[0]), cols = Size(n.Shape.Dims[1]);
                        long offset = SizeExpr.Evaluate(n.Name!, s => sizes[s]);
                        var r = new double[rows * cols];
                        for (int i = 0; i < rows; i++)
                            if (i + offset >= 0 && i + offset < cols) r[i * cols + (int)(i + offset)] = 1;
                        return new DenseValue(new[] { rows, cols }, r);
                    }
                case Op.Add: return Zip(v[n.A], v[n.B], (a, b) => a + b);
                case Op.Sub: return Zip(v[n.A], v[n.B], (a, b) => a - b);
                case Op.Mul: return Zip(v[n.A], v[n.B], (a, b) => a * b);
                case Op.Div: return Zip(v[n.A], v[n.B], (a, b) => a / b);
                case Op.WhereGt:
                    return ZipAll(n.Args.Select(a => v[a]).ToArray(), e => e[0] > e[1] ? e[2] : e[3]);   // a tie and a NaN in l or r take b
                case Op.SumLast: return ReduceLast(v[n.A], row => row.Sum());
                case Op.LogSumExp:
                    return ReduceLast(v[n.A], row => { double m = row.Max(); return m + System.Math.Log(row.Sum(r => System.Math.Exp(r - m))); });
                case Op.SumRows:
                    {
                        var a = v[n.A];
                        int k = a.Dims[0], d = a.Dims[1];
                        var r = new double[d];
                        for (int i = 0; i < k; i++) for (int j = 0; j < d; j++) r[j] += a.Data[i * d + j];
                        return new DenseValue(new[] { d }, r);
                    }
                case Op.MatVec:
                    {
                        var w = v[n.A]; var u = v[n.B];
                        int k = w.Dims[0], l = w.Dims[1];
                        var r = new double[k];
                        for (int i = 0; i < k; i++) for (int j = 0; j < l; j++) r[i] += w.Data[i * l + j] * u.Data[j];
                        return new DenseValue(new[] { k }, r);
                    }
                case Op.MatMul:
                    {
                        var a = v[n.A]; var b = v[n.B];
                        int k = a.Dims[0], l = a.Dims[1], d = b.Dims[1];
                        var r = new double[k * d];
                        for (int i = 0; i < k; i++) for (int m = 0; m < l; m++) for (int j = 0; j < d; j++) r[i * d + j] += a.Data[i * l + m] * b.Data[m * d + j];
                        return new DenseValue(new[] { k, d }, r);
                    }
                case Op.Transpose:
                    {
                        var a = v[n.A];
                        int k = a.Dims[0], d = a.Dims[1];
                        var r = new double[k * d];
                        for (int i = 0; i < k; i++) for (int j = 0; j < d; j++) r[j * k + i] = a.Data[i * d + j];
                        return new DenseValue(new[] { d, k }, r);
                    }
                case Op.Diagonal:
                    {
                        var a = v[n.A];
                        int d = a.Dims[0];
                        return new DenseValue(new[] { d }, Enumerable.Range(0, d).Select(i => a.Data[i * d + i]).ToArray());
                    }
                case Op.LogDet:
                    {
                        var a = v[n.A];
                        var (lu, _, _) = Lu(a);
                        int d = a.Dims[0];
                        double sum = 0;
                        for (int i = 0; i < d; i++) sum += System.Math.Log(System.Math.Abs(lu[i * d + i]));
                        return DenseValue.Of(sum);
                    }
                case Op.Inverse:
                    {
                        var a = v[n.A];
                        int d = a.Dims[0];
                        var r = new double[d * d];
                        for (int j = 0; j < d; j++)
                        {
                            var e = new double[d];
                            e[j] = 1;
                            var col = LuSolve(a, e);
                            for (int i = 0; i < d; i++) r[i * d + j] = col[i];
                        }
                        return new DenseValue(new[] { d, d }, r);
                    }
                case Op.Solve:
                    {
                        var a = v[n.A];
                        return new DenseValue(new[] { a.Dims[0] }, LuSolve(a, (double[])v[n.B].Data.Clone()));
                    }
                case Op.Unsqueeze:
                    {
                        var a = v[n.A];
                        return new DenseValue(a.Dims.Concat(new[] { 1 }).ToArray(), a.Data);
                    }
                case Op.Broadcast:
                    {
                        var dims = n.Shape.Dims.Select(Size).ToArray();
                        var zero = new DenseValue(dims, new double[dims.Aggregate(1, (p, d) => p * d)]);
                        return Zip(v[n.A], zero, (a, _) => a);
                    }
                default:
                    {
                        var a = v[n.A];
                        return new DenseValue(a.Dims, a.Data.Select(e => Graph.Fold(n.Op, e, n.Value)).ToArray());
                    }
            }
        }

        /// <summary>PA = LU with partial pivoting of a square matrix: the packed factors (unit-lower L below the diagonal), the row permutation.</summary>
        private static (double[] Lu, int[] Perm, int D) Lu(DenseValue a)
        {
            int d = a.Dims[0];
            var lu = (double[])a.Data.Clone();
            var perm = Enumerable.Range(0, d).ToArray();
            for (int k = 0; k < d; k++)
            {
                int p = k;
                for (int i = k + 1; i < d; i++) if (System.Math.Abs(lu[i * d + k]) > System.Math.Abs(lu[p * d + k])) p = i;
                if (p != k)
                {
                    for (int j = 0; j < d; j++) { var t = lu[k * d + j]; lu[k * d + j] = lu[p * d + j]; lu[p * d + j] = t; }
                    var tp = perm[k]; perm[k] = perm[p]; perm[p] = tp;
                }
                for (int i = k + 1; i < d; i++)
                {
                    double f = lu[i * d + k] / lu[k * d + k];
                    lu[i * d + k] = f;
                    for (int j = k + 1; j < d; j++) lu[i * d + j] -= f * lu[k * d + j];
                }
            }
            return (lu, perm, d);
        }

        /// <summary>A⁻¹ b by the LU factors of A.</summary>
        private static double[] LuSolve(DenseValue a, double[] b)
        {
            var (lu, perm, d) = Lu(a);
            var y = new double[d];
            for (int i = 0; i < d; i++)
            {
                double s = b[perm[i]];
                for (int j = 0; j < i; j++) s -= lu[i * d + j] * y[j];
                y[i] = s;
            }
            var x = new double[d];
            for (int i = d - 1; i >= 0; i--)
            {
                double s = y[i];
                for (int j = i + 1; j < d; j++) s -= lu[i * d + j] * x[j];
                x[i] = s / lu[i * d + i];
            }
            return x;
        }

        private int Size(string symbol) => symbol == Shape.One ? 1 : sizes.TryGetValue(symbol, out var n) ? n : (int)SizeExpr.Evaluate(symbol, s => sizes[s]);

        private static DenseValue ReduceLast(DenseValue a, Func<double[], double> f)
        {
            int last = a.Dims[a.Dims.Length - 1];
            int rows = a.Data.Length / last;
            var r = new double[rows];
            for (int i = 0; i < rows; i++) r[i] = f(a.Data.Skip(i * last).Take(last).ToArray());
            return new DenseValue(a.Dims.Take(a.Dims.Length - 1).ToArray(), r);
        }

        /// <summary>Elementwise with numpy broadcasting, trailing-aligned.</summary>
        private static DenseValue Zip(DenseValue a, DenseValue b, Func<double, double, double> f)
        {
            int rank = System.Math.Max(a.Dims.Length, b.Dims.Length);
            int[] Pad(int[] d) => Enumerable.Repeat(1, rank - d.Length).Concat(d).ToArray();
            var da = Pad(a.Dims); var db = Pad(b.Dims);
            var dims = new int[rank];
            for (int i = 0; i < rank; i++)
            {
                if (da[i] != db[i] && da[i] != 1 && db[i] != 1) throw new ArgumentException("dims do not broadcast");
                dims[i] = System.Math.Max(da[i], db[i]);
            }
            int total = dims.Aggregate(1, (p, d) => p * d);
            var r = new double[total];
            var idx = new int[rank];
            for (int flat = 0; flat < total; flat++)
            {
                int rem = flat;
                for (int i = rank - 1; i >= 0; i--) { idx[i] = rem % dims[i]; rem /= dims[i]; }
                r[flat] = f(a.Data[Offset(idx, da)], b.Data[Offset(idx, db)]);
            }
            return new DenseValue(dims, r);
        }

        /// <summary>Elementwise over any number of operands with numpy broadcasting, trailing-aligned.</summary>
        private static DenseValue ZipAll(DenseValue[] operands, Func<double[], double> f)
        {
            int rank = operands.Max(o => o.Dims.Length);
            var padded = operands.Select(o => Enumerable.Repeat(1, rank - o.Dims.Length).Concat(o.Dims).ToArray()).ToArray();
            var dims = new int[rank];
            for (int i = 0; i < rank; i++)
            {
                dims[i] = padded.Max(d => d[i]);
                if (padded.Any(d => d[i] != 1 && d[i] != dims[i])) throw new ArgumentException("dims do not broadcast");
            }
            int total = dims.Aggregate(1, (p, d) => p * d);
            var r = new double[total];
            var idx = new int[rank];
            var e = new double[operands.Length];
            for (int flat = 0; flat < total; flat++)
            {
                int rem = flat;
                for (int i = rank - 1; i >= 0; i--) { idx[i] = rem % dims[i]; rem /= dims[i]; }
                for (int k = 0; k < operands.Length; k++) e[k] = operands[k].Data[Offset(idx, padded[k])];
                r[flat] = f(e);
            }
            return new DenseValue(dims, r);
        }

        private static int Offset(int[] idx, int[] dims)
        {
            int o = 0;
            for (int i = 0; i < dims.Length; i++) o = o * dims[i] + (dims[i] == 1 ? 0 : idx[i]);
            return o;
        }
    }
}
