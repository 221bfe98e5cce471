using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Cortado.Compute;

/// <summary>
/// Transposes 4 x 4 and 2 x 4 blocks of floats in SSE registers, for packing A into panels
/// of 4 or 6 rows (the AVX2 kernels'), where the 8 x 8 transpose does not divide the panel.
/// </summary>
internal static unsafe class Transpose4x4
{
    public static bool IsSupported => Sse.IsSupported;

    /// <summary>Four rows of four at <paramref name="src"/> become four rows of four at <paramref name="dst"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run(float* src, long srcStride, float* dst, long dstStride)
    {
        var r0 = Sse.LoadVector128(src);
        var r1 = Sse.LoadVector128(src + srcStride);
        var r2 = Sse.LoadVector128(src + 2 * srcStride);
        var r3 = Sse.LoadVector128(src + 3 * srcStride);
        var t0 = Sse.UnpackLow(r0, r1);
        var t1 = Sse.UnpackLow(r2, r3);
        var t2 = Sse.UnpackHigh(r0, r1);
        var t3 = Sse.UnpackHigh(r2, r3);
        Sse.Store(dst, Sse.MoveLowToHigh(t0, t1));
        Sse.Store(dst + dstStride, Sse.MoveHighToLow(t1, t0));
        Sse.Store(dst + 2 * dstStride, Sse.MoveLowToHigh(t2, t3));
        Sse.Store(dst + 3 * dstStride, Sse.MoveHighToLow(t3, t2));
    }

    /// <summary>Two rows of four at <paramref name="src"/> become four rows of two at <paramref name="dst"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RunTwoRows(float* src, long srcStride, float* dst, long dstStride)
    {
        var r0 = Sse.LoadVector128(src);
        var r1 = Sse.LoadVector128(src + srcStride);
        var low = Sse.UnpackLow(r0, r1);
        var high = Sse.UnpackHigh(r0, r1);
        Sse.StoreLow(dst, low);
        Sse.StoreHigh(dst + dstStride, low);
        Sse.StoreLow(dst + 2 * dstStride, high);
        Sse.StoreHigh(dst + 3 * dstStride, high);
    }
}
