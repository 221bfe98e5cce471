using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Cortado.Compute;

/// <summary>
/// The (leaky) rectifier, y = x &gt; 0 ? x : slope * x, and its gradient, vectorised and split
/// across threads. A NaN input gives NaN (slope * NaN), as Caffe's ReLU does, so a diverging
/// net still shows its NaN downstream.
/// </summary>
public static unsafe class Rectifier
{
    public static void Forward(ReadOnlySpan<float> x, float slope, Span<float> y)
    {
        Check(x.Length, y.Length, x.Length);
        fixed (float* px = x, py = y)
        {
            nint source = (nint)px, target = (nint)py;
            ParallelWork.For(x.Length, 1, (_, start, end) => ForwardRange((float*)source + start, (float*)target + start, end - start, slope));
        }
    }

    /// <summary>dx = dy where x &gt; 0, else slope * dy; <paramref name="x"/> may be the output (same sign when slope &gt;= 0).</summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, float slope, Span<float> dx)
    {
        Check(x.Length, dx.Length, dy.Length);
        fixed (float* px = x, pdy = dy, pdx = dx)
        {
            nint input = (nint)px, gradient = (nint)pdy, target = (nint)pdx;
            ParallelWork.For(x.Length, 1, (_, start, end) =>
                BackwardRange((float*)input + start, (float*)gradient + start, (float*)target + start, end - start, slope));
        }
    }

    /// <summary>One contiguous run, on the calling thread (used inside fused layer loops).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ForwardRange(float* x, float* y, int length, float slope)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var vslope = Vector256.Create(slope);
            for (; i <= length - 8; i += 8)
            {
                var v = Vector256.Load(x + i);
                Vector256.ConditionalSelect(Vector256.GreaterThan(v, Vector256<float>.Zero), v, v * vslope).Store(y + i);
            }
        }
        for (; i < length; i++) y[i] = x[i] > 0f ? x[i] : slope * x[i];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardRange(float* x, float* dy, float* dx, int length, float slope)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var vslope = Vector256.Create(slope);
            for (; i <= length - 8; i += 8)
            {
                var g = Vector256.Load(dy + i);
                Vector256.ConditionalSelect(Vector256.GreaterThan(Vector256.Load(x + i), Vector256<float>.Zero), g, g * vslope).Store(dx + i);
            }
        }
        for (; i < length; i++) dx[i] = x[i] > 0f ? dy[i] : slope * dy[i];
    }

    private static void Check(int x, int y, int dy)
    {
        if (x != y || x != dy) throw new ArgumentException($"rectifier: spans differ in length ({x}, {y}, {dy})");
    }
}
