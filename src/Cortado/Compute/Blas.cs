using System.Numerics.Tensors;

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
                    for (int i = first; i < last; i++)
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

    private static void CheckSameLength(int x, int y, string operation)
    {
        if (x != y) throw new ArgumentException($"{operation}: x has {x} elements but y has {y}");
    }
}
