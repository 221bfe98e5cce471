using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Cortado.Compute;

/// <summary>
/// Transposes an 8 x 8 block of floats in AVX registers: eight contiguous row loads, eight
/// contiguous column stores. Packing uses it where a panel's layout crosses the source's rows.
/// </summary>
internal static unsafe class Transpose8x8
{
    public static bool IsSupported => Avx.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run(float* src, long srcStride, float* dst, long dstStride) =>
        Store(Avx.LoadVector256(src), Avx.LoadVector256(src + srcStride), Avx.LoadVector256(src + 2 * srcStride), Avx.LoadVector256(src + 3 * srcStride),
            Avx.LoadVector256(src + 4 * srcStride), Avx.LoadVector256(src + 5 * srcStride), Avx.LoadVector256(src + 6 * srcStride),
            Avx.LoadVector256(src + 7 * srcStride), dst, dstStride);

    /// <summary>The same with row i of the block at <c>src + rowOffsets[i]</c> (rows of an implicit column matrix).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run(float* src, int* rowOffsets, float* dst, long dstStride) =>
        Store(Avx.LoadVector256(src + rowOffsets[0]), Avx.LoadVector256(src + rowOffsets[1]), Avx.LoadVector256(src + rowOffsets[2]),
            Avx.LoadVector256(src + rowOffsets[3]), Avx.LoadVector256(src + rowOffsets[4]), Avx.LoadVector256(src + rowOffsets[5]),
            Avx.LoadVector256(src + rowOffsets[6]), Avx.LoadVector256(src + rowOffsets[7]), dst, dstStride);

    /// <summary>
    /// Four rows of eight at <paramref name="src"/> become eight columns of four, contiguous at
    /// <paramref name="dst"/> (32 floats: eight k steps of a 4-row panel of packed A).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RunFourRows(float* src, long srcStride, float* dst)
    {
        FourRowColumns(Avx.LoadVector256(src), Avx.LoadVector256(src + srcStride), Avx.LoadVector256(src + 2 * srcStride),
            Avx.LoadVector256(src + 3 * srcStride), out var s0, out var s1, out var s2, out var s3);
        Avx.Store(dst, Avx.Permute2x128(s0, s1, 0x20));
        Avx.Store(dst + 8, Avx.Permute2x128(s2, s3, 0x20));
        Avx.Store(dst + 16, Avx.Permute2x128(s0, s1, 0x31));
        Avx.Store(dst + 24, Avx.Permute2x128(s2, s3, 0x31));
    }

    /// <summary>
    /// Six rows of eight at <paramref name="src"/> become eight columns of six, contiguous at
    /// <paramref name="dst"/> (48 floats: eight k steps of a 6-row panel of packed A). Each column
    /// is stored as eight floats, in order, so the next overwrites the two beyond it; the last is
    /// stored as six, so nothing past the 48 is written.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RunSixRows(float* src, long srcStride, float* dst)
    {
        var zero = Vector256<float>.Zero;
        FourRowColumns(Avx.LoadVector256(src), Avx.LoadVector256(src + srcStride), Avx.LoadVector256(src + 2 * srcStride),
            Avx.LoadVector256(src + 3 * srcStride), out var s0, out var s1, out var s2, out var s3);
        FourRowColumns(Avx.LoadVector256(src + 4 * srcStride), Avx.LoadVector256(src + 5 * srcStride), zero, zero,
            out var s4, out var s5, out var s6, out var s7);
        Avx.Store(dst, Avx.Permute2x128(s0, s4, 0x20));
        Avx.Store(dst + 6, Avx.Permute2x128(s1, s5, 0x20));
        Avx.Store(dst + 12, Avx.Permute2x128(s2, s6, 0x20));
        Avx.Store(dst + 18, Avx.Permute2x128(s3, s7, 0x20));
        Avx.Store(dst + 24, Avx.Permute2x128(s0, s4, 0x31));
        Avx.Store(dst + 30, Avx.Permute2x128(s1, s5, 0x31));
        Avx.Store(dst + 36, Avx.Permute2x128(s2, s6, 0x31));
        var last = Avx.Permute2x128(s3, s7, 0x31);
        Sse.Store(dst + 42, last.GetLower());
        Sse.StoreLow(dst + 46, last.GetUpper());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3,
        Vector256<float> r4, Vector256<float> r5, Vector256<float> r6, Vector256<float> r7, float* dst, long dstStride)
    {
        FourRowColumns(r0, r1, r2, r3, out var s0, out var s1, out var s2, out var s3);
        FourRowColumns(r4, r5, r6, r7, out var s4, out var s5, out var s6, out var s7);
        Avx.Store(dst, Avx.Permute2x128(s0, s4, 0x20));
        Avx.Store(dst + dstStride, Avx.Permute2x128(s1, s5, 0x20));
        Avx.Store(dst + 2 * dstStride, Avx.Permute2x128(s2, s6, 0x20));
        Avx.Store(dst + 3 * dstStride, Avx.Permute2x128(s3, s7, 0x20));
        Avx.Store(dst + 4 * dstStride, Avx.Permute2x128(s0, s4, 0x31));
        Avx.Store(dst + 5 * dstStride, Avx.Permute2x128(s1, s5, 0x31));
        Avx.Store(dst + 6 * dstStride, Avx.Permute2x128(s2, s6, 0x31));
        Avx.Store(dst + 7 * dstStride, Avx.Permute2x128(s3, s7, 0x31));
    }

    /// <summary>
    /// Four rows of eight interleaved: <paramref name="c0"/> holds the rows' column 0 in its low half
    /// and column 4 in its high half, <paramref name="c1"/> columns 1 and 5, and so on.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FourRowColumns(Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3,
        out Vector256<float> c0, out Vector256<float> c1, out Vector256<float> c2, out Vector256<float> c3)
    {
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        c0 = Avx.Shuffle(t0, t2, 0x44);
        c1 = Avx.Shuffle(t0, t2, 0xEE);
        c2 = Avx.Shuffle(t1, t3, 0x44);
        c3 = Avx.Shuffle(t1, t3, 0xEE);
    }
}
