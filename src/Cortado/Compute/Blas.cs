using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Cortado.Compute;

/// <summary>
/// The BLAS-like vocabulary layers and solvers are written in, with Caffe's names and
/// argument order (caffe_axpy, caffe_cpu_axpby, caffe_scal, caffe_cpu_dot, caffe_cpu_asum,
/// caffe_cpu_gemv). Vectorised through TensorPrimitives; nothing allocates.
/// </summary>
public static class Blas
{
    /// <summary>y = alpha * x + y.</summary>
    public static void Axpy(float alpha, ReadOnlySpan<float> x, Span<float> y)
    {
        CheckSameLength(x.Length, y.Length, nameof(Axpy));
        ParallelWork.ForRanges(x, y, (xs, ys) => TensorPrimitives.MultiplyAdd(xs, alpha, ys, ys));
    }

    /// <summary>y = alpha * x + beta * y.</summary>
    public static void Axpby(float alpha, ReadOnlySpan<float> x, float beta, Span<float> y)
    {
        CheckSameLength(x.Length, y.Length, nameof(Axpby));
        ParallelWork.ForRanges(x, y, (xs, ys) =>
        {
            ScaleInPlace(beta, ys);
            TensorPrimitives.MultiplyAdd(xs, alpha, ys, ys);
        });
    }

    /// <summary>x = alpha * x.</summary>
    public static void Scal(float alpha, Span<float> x)
    {
        if (alpha == 1f) return;
        ParallelWork.ForRanges(x, x, (_, xs) => ScaleInPlace(alpha, xs));
    }

    /// <summary>x = alpha * x on the calling thread; alpha 0 clears (so NaN and garbage in x are not read).</summary>
    internal static void ScaleInPlace(float alpha, Span<float> x)
    {
        if (alpha == 0f) x.Clear();
        else if (alpha != 1f) TensorPrimitives.Multiply(x, alpha, x);
    }

    public static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        CheckSameLength(x.Length, y.Length, nameof(Dot));
        return TensorPrimitives.Dot(x, y);
    }

    /// <summary>Sum of absolute values.</summary>
    public static float Asum(ReadOnlySpan<float> x) => TensorPrimitives.SumOfMagnitudes(x);

    /// <summary>
    /// y = alpha * op(A) * x + beta * y, with A an M x N row-major matrix: op(A) = A gives
    /// y of length M from x of length N; op(A) = A^T gives y of length N from x of length M.
    /// When beta is 0, y is not read. Rows (or, transposed, slices of y) are split among threads;
    /// each y element is summed the same way on any thread count.
    /// </summary>
    public static unsafe void Gemv(Transpose transA, int m, int n, float alpha, ReadOnlySpan<float> a, ReadOnlySpan<float> x, float beta, Span<float> y)
    {
        if ((long)m * n > a.Length) throw new ArgumentException($"gemv: A needs {(long)m * n} elements ({m} x {n}) but has {a.Length}");
        int rows = transA == Transpose.No ? m : n, cols = transA == Transpose.No ? n : m;
        if (x.Length < cols || y.Length < rows)
            throw new ArgumentException($"gemv: x needs {cols} and y {rows} elements, got {x.Length} and {y.Length}");
        fixed (float* pa = a, px = x, py = y)
        {
            nint matrix = (nint)pa, vector = (nint)px, result = (nint)py;
            bool transposed = transA == Transpose.Yes;
            ParallelWork.For(rows, cols, (_, first, last) =>
            {
                var target = new Span<float>((float*)result + first, last - first);
                ScaleInPlace(beta, target);
                if (!transposed)
                {
                    int i = first;
                    if (Vector256.IsHardwareAccelerated && System.Runtime.Intrinsics.X86.Fma.IsSupported)
                        for (; i + 4 <= last; i += 4) DotFourRows((float*)matrix + (long)i * n, n, (float*)vector, alpha, target.Slice(i - first, 4));
                    for (; i < last; i++)
                        target[i - first] += alpha * TensorPrimitives.Dot(new ReadOnlySpan<float>((float*)matrix + (long)i * n, n), new ReadOnlySpan<float>((float*)vector, n));
                }
                else
                {
                    // y[first..last] += alpha * x[i] * A[i, first..last] for each row i.
                    for (int i = 0; i < m; i++)
                    {
                        float scale = alpha * ((float*)vector)[i];
                        if (scale != 0f) TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>((float*)matrix + (long)i * n + first, last - first), scale, target, target);
                    }
                }
            });
        }
    }

    /// <summary>
    /// y[r] += alpha * (row r . x) for four rows of length n at once: x is loaded once for all four,
    /// and four independent streams keep more of the rows in flight (an inner product layer at
    /// batch 1 reads its weights from L3 or memory, so the product is bound by how fast they arrive).
    /// </summary>
    private static unsafe void DotFourRows(float* rows, int n, float* x, float alpha, Span<float> y)
    {
        float* r0 = rows, r1 = rows + n, r2 = rows + 2L * n, r3 = rows + 3L * n;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        int j = 0;
        for (; j + 8 <= n; j += 8)
        {
            var v = Vector256.Load(x + j);
            a0 = Vector256.FusedMultiplyAdd(Vector256.Load(r0 + j), v, a0);
            a1 = Vector256.FusedMultiplyAdd(Vector256.Load(r1 + j), v, a1);
            a2 = Vector256.FusedMultiplyAdd(Vector256.Load(r2 + j), v, a2);
            a3 = Vector256.FusedMultiplyAdd(Vector256.Load(r3 + j), v, a3);
        }
        float s0 = Vector256.Sum(a0), s1 = Vector256.Sum(a1), s2 = Vector256.Sum(a2), s3 = Vector256.Sum(a3);
        for (; j < n; j++)
        {
            s0 += r0[j] * x[j];
            s1 += r1[j] * x[j];
            s2 += r2[j] * x[j];
            s3 += r3[j] * x[j];
        }
        y[0] += alpha * s0;
        y[1] += alpha * s1;
        y[2] += alpha * s2;
        y[3] += alpha * s3;
    }

    private static void CheckSameLength(int x, int y, string operation)
    {
        if (x != y) throw new ArgumentException($"{operation}: x has {x} elements but y has {y}");
    }
}
