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
        ParallelWork.ForRanges(x, y, (input, output) =>
        {
            fixed (float* px = input, py = output) ForwardRange(px, py, output.Length, slope);
        });
    }

    /// <summary>dx = dy where x &gt; 0, else slope * dy; <paramref name="x"/> may be the output (same sign when slope &gt;= 0).</summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, float slope, Span<float> dx)
    {
        Check(x.Length, dx.Length, dy.Length);
        ParallelWork.ForRanges(x, dy, dx, (input, gradient, output) =>
        {
            fixed (float* px = input, pdy = gradient, pdx = output) BackwardRange(px, pdy, pdx, output.Length, slope);
        });
    }

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

    /// <summary>dx = dy where x &gt; 0, else slope * dy, over one range (dy and dx may be the same memory).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BackwardRange(float* x, float* dy, float* dx, int length, float slope)
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
