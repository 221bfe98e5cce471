using System.Runtime.InteropServices;

namespace Cortado.Compute;

/// <summary>
/// Per-thread packing buffers for GEMM, 64-byte aligned so that every packed vector load
/// stays within one cache line. Allocated once per thread and grown when a kernel needs more.
/// </summary>
internal sealed unsafe class GemmWorkspace : IDisposable
{
    [ThreadStatic] private static GemmWorkspace? _current;

    private float* _a, _b;
    private long _aCapacity, _bCapacity;

    /// <summary>Buffers for the kernel's blocks, with B packed <paramref name="columnBlock"/> columns at a time.</summary>
    public static GemmWorkspace ForThisThread(GemmKernel kernel, int columnBlock) =>
        ForThisThread((long)RoundUp(kernel.MC, kernel.MR) * kernel.KC, (long)RoundUp(columnBlock, kernel.NR) * kernel.KC);

    /// <summary>Buffers of at least these many floats for packed A and packed B.</summary>
    public static GemmWorkspace ForThisThread(long aFloats, long bFloats)
    {
        var workspace = _current ??= new GemmWorkspace();
        workspace.Ensure(aFloats, bFloats);
        return workspace;
    }

    public float* A => _a;
    public float* B => _b;

    private void Ensure(long aNeeded, long bNeeded)
    {
        if (aNeeded > _aCapacity) { Free(ref _a); _a = Allocate(aNeeded); _aCapacity = aNeeded; }
        if (bNeeded > _bCapacity) { Free(ref _b); _b = Allocate(bNeeded); _bCapacity = bNeeded; }
    }

    /// <summary>The smallest multiple of <paramref name="multiple"/> not below <paramref name="value"/>: whole micro-panels.</summary>
    internal static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    private static float* Allocate(long floats) => (float*)NativeMemory.AlignedAlloc((nuint)(floats * sizeof(float)), 64);

    private static void Free(ref float* pointer)
    {
        if (pointer != null) NativeMemory.AlignedFree(pointer);
        pointer = null;
    }

    public void Dispose()
    {
        Free(ref _a);
        Free(ref _b);
    }

    ~GemmWorkspace() => Dispose();
}
