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
        var r0 = Avx.LoadVector256(src);
        var r1 = Avx.LoadVector256(src + srcStride);
        var r2 = Avx.LoadVector256(src + 2 * srcStride);
        var r3 = Avx.LoadVector256(src + 3 * srcStride);
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        // Each s holds column j in its low half and column j + 4 in its high half.
        var s0 = Avx.Shuffle(t0, t2, 0x44);
        var s1 = Avx.Shuffle(t0, t2, 0xEE);
        var s2 = Avx.Shuffle(t1, t3, 0x44);
        var s3 = Avx.Shuffle(t1, t3, 0xEE);
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
        var t0 = Avx.UnpackLow(Avx.LoadVector256(src), Avx.LoadVector256(src + srcStride));
        var t1 = Avx.UnpackHigh(Avx.LoadVector256(src), Avx.LoadVector256(src + srcStride));
        var r2 = Avx.LoadVector256(src + 2 * srcStride);
        var r3 = Avx.LoadVector256(src + 3 * srcStride);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var r4 = Avx.LoadVector256(src + 4 * srcStride);
        var r5 = Avx.LoadVector256(src + 5 * srcStride);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var s0 = Avx.Shuffle(t0, t2, 0x44);
        var s1 = Avx.Shuffle(t0, t2, 0xEE);
        var s2 = Avx.Shuffle(t1, t3, 0x44);
        var s3 = Avx.Shuffle(t1, t3, 0xEE);
        var s4 = Avx.Shuffle(t4, zero, 0x44);
        var s5 = Avx.Shuffle(t4, zero, 0xEE);
        var s6 = Avx.Shuffle(t5, zero, 0x44);
        var s7 = Avx.Shuffle(t5, zero, 0xEE);
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
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);

        var s0 = Avx.Shuffle(t0, t2, 0x44);
        var s1 = Avx.Shuffle(t0, t2, 0xEE);
        var s2 = Avx.Shuffle(t1, t3, 0x44);
        var s3 = Avx.Shuffle(t1, t3, 0xEE);
        var s4 = Avx.Shuffle(t4, t6, 0x44);
        var s5 = Avx.Shuffle(t4, t6, 0xEE);
        var s6 = Avx.Shuffle(t5, t7, 0x44);
        var s7 = Avx.Shuffle(t5, t7, 0xEE);

        Avx.Store(dst, Avx.Permute2x128(s0, s4, 0x20));
        Avx.Store(dst + dstStride, Avx.Permute2x128(s1, s5, 0x20));
        Avx.Store(dst + 2 * dstStride, Avx.Permute2x128(s2, s6, 0x20));
        Avx.Store(dst + 3 * dstStride, Avx.Permute2x128(s3, s7, 0x20));
        Avx.Store(dst + 4 * dstStride, Avx.Permute2x128(s0, s4, 0x31));
        Avx.Store(dst + 5 * dstStride, Avx.Permute2x128(s1, s5, 0x31));
        Avx.Store(dst + 6 * dstStride, Avx.Permute2x128(s2, s6, 0x31));
        Avx.Store(dst + 7 * dstStride, Avx.Permute2x128(s3, s7, 0x31));
    }
}
