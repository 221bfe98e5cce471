using System.Runtime.Intrinsics.X86;

namespace Cortado.Compute;

/// <summary>
/// A GEMM micro-kernel: multiplies a packed MR x kc panel of A by a packed kc x NR panel of B
/// and writes C = alpha * A*B + beta * C for the m x n (at most MR x NR) tile at <c>c</c>.
/// Packed A holds MR values per k step, packed B holds NR values per k step, both zero-padded.
/// The blocking sizes keep a micro-panel of A in L1 and a packed block of B in L2.
/// </summary>
public abstract unsafe class GemmKernel
{
    public abstract string Name { get; }
    /// <summary>Rows of C per micro-tile.</summary>
    public abstract int MR { get; }
    /// <summary>Columns of C per micro-tile.</summary>
    public abstract int NR { get; }
    /// <summary>Depth of one packed block (k).</summary>
    public virtual int KC => 256;
    /// <summary>Rows of A packed at once.</summary>
    public virtual int MC => 240;
    /// <summary>Columns of B packed at once (KC x NC floats stay in L2).</summary>
    public virtual int NC => 512;

    public abstract void Run(int kc, float* a, float* b, float* c, int ldc, int m, int n, float alpha, float beta);

    /// <summary>The fastest kernel this processor runs.</summary>
    public static GemmKernel Best { get; } =
        Avx512F.IsSupported ? new GemmKernelAvx512() :
        Fma.IsSupported && Avx2.IsSupported ? new GemmKernelAvx2() :
        new GemmKernelPortable();

    /// <summary>Every kernel this processor can run, fastest first (tests check each one).</summary>
    public static IReadOnlyList<GemmKernel> Available { get; } = new GemmKernel?[]
    {
        Avx512F.IsSupported ? new GemmKernelAvx512() : null,
        Fma.IsSupported && Avx2.IsSupported ? new GemmKernelAvx2() : null,
        new GemmKernelPortable(),
    }.OfType<GemmKernel>().ToArray();

    /// <summary>Writes a full tile computed into <paramref name="tile"/> (MR x NR, row-major) to the m x n part of C.</summary>
    protected void StorePartial(float* tile, float* c, int ldc, int m, int n, float beta)
    {
        for (int i = 0; i < m; i++)
        {
            float* row = c + (long)i * ldc;
            float* t = tile + i * NR;
            if (beta == 0f) for (int j = 0; j < n; j++) row[j] = t[j];
            else for (int j = 0; j < n; j++) row[j] = t[j] + beta * row[j];
        }
    }
}
