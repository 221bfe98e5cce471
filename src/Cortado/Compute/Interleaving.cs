using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Cortado.Compute;

/// <summary>Splitting 16 consecutive floats into their even- and odd-indexed halves, with AVX2 shuffles.</summary>
internal static class Interleaving
{
    /// <summary>Elements 0, 2, ..., 14 and 1, 3, ..., 15 of <paramref name="low"/> followed by <paramref name="high"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector256<float> Even, Vector256<float> Odd) Deinterleave(Vector256<float> low, Vector256<float> high)
    {
        // Within each 128-bit lane: (l0 l2 h0 h2 | l4 l6 h4 h6); the 64-bit permute puts the lanes in order.
        var even = Avx.Shuffle(low, high, 0b10_00_10_00);
        var odd = Avx.Shuffle(low, high, 0b11_01_11_01);
        return (Avx2.Permute4x64(even.AsDouble(), 0b11_01_10_00).AsSingle(), Avx2.Permute4x64(odd.AsDouble(), 0b11_01_10_00).AsSingle());
    }

    /// <summary>Elements 0, 2, ..., 14 of the 16 floats at <paramref name="p"/> (stride-2 windows without a gather).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector256<float> EvenLanes(float* p) => Deinterleave(Avx.LoadVector256(p), Avx.LoadVector256(p + 8)).Even;
}
