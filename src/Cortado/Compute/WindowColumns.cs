using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Cortado.Compute;

/// <summary>
/// How pooling loads one input from each of eight windows side by side, whose columns lie a
/// stride apart. A type argument, so the choice is made once a row and the loops hold no branch on it.
/// </summary>
internal unsafe interface IWindowColumns
{
    /// <summary>p[0], p[stride], ..., p[7 * stride].</summary>
    static abstract Vector256<float> Load(float* p, Vector256<int> strideLanes);
}

/// <summary>Stride 1: eight consecutive floats.</summary>
internal readonly unsafe struct AdjacentColumns : IWindowColumns
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(float* p, Vector256<int> strideLanes) => Avx.LoadVector256(p);
}

/// <summary>Stride 2: the even elements of 16 floats, so it reads one float past the last window's.</summary>
internal readonly unsafe struct EvenColumns : IWindowColumns
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(float* p, Vector256<int> strideLanes) => Interleaving.EvenLanes(p);
}

/// <summary>
/// Stride 2 for the last rows of a plane: the odd elements of the 16 floats from p[-1], so it reads
/// one float before the first window's instead of one past the last's.
/// </summary>
internal readonly unsafe struct EvenColumnsFromBefore : IWindowColumns
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(float* p, Vector256<int> strideLanes) =>
        Interleaving.Deinterleave(Avx.LoadVector256(p - 1), Avx.LoadVector256(p + 7)).Odd;
}

/// <summary>Any stride, by a gather.</summary>
internal readonly unsafe struct GatheredColumns : IWindowColumns
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(float* p, Vector256<int> strideLanes) => Avx2.GatherVector256(p, strideLanes, 4);
}
