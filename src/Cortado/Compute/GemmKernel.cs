using System.Runtime.Intrinsics;
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

    /// <summary>
    /// Whether the next k blocks of two large operands stored along k are prefetched while this
    /// kernel runs (see Gemm): the AVX-512 kernel, with a third as many calls a block, read 1-4% slower.
    /// </summary>
    public virtual bool PrefetchesAlongK => true;

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
        Fma.IsSupported && Avx2.IsSupported ? new GemmKernelAvx2Wide() : null,
        new GemmKernelPortable(),
    }.OfType<GemmKernel>().ToArray();

    /// <summary>
    /// The kernels of <see cref="Best"/>'s instruction set, tiled differently: on AVX2 the
    /// 6 x 16 kernel and the 4 x 24 one, which fits products of 32 or 64 rows.
    /// </summary>
    private static readonly GemmKernel[] Shapes =
        Best is GemmKernelAvx2 ? [Best, Available.OfType<GemmKernelAvx2Wide>().Single()] : [Best];

    /// <summary>
    /// The kernel for an m x n product: the one whose tiles cover C with the least padding,
    /// where a padded row or column is multiply-adds thrown away. Another shape must save
    /// more than 3% to be chosen over the first, whose larger MR streams B less often.
    /// The choice depends on the product alone, never on the thread count, so results stay
    /// identical on any number of threads.
    /// </summary>
    public static GemmKernel For(int m, int n)
    {
        var chosen = Shapes[0];
        double chosenArea = PaddedArea(chosen, m, n) * 0.97;
        for (int i = 1; i < Shapes.Length; i++)
        {
            double area = PaddedArea(Shapes[i], m, n);
            if (area < chosenArea) { chosen = Shapes[i]; chosenArea = area; }
        }
        return chosen;
    }

    private static double PaddedArea(GemmKernel kernel, int m, int n) =>
        (double)((m + kernel.MR - 1) / kernel.MR * kernel.MR) * ((n + kernel.NR - 1) / kernel.NR * kernel.NR);

    /// <summary>
    /// Writes a full tile computed into <paramref name="tile"/> (MR x NR, row-major) to the m x n part of C,
    /// eight floats at a time where the row has them: edge tiles are common (32 rows of C are five
    /// tiles of six and one of two), and storing them a float at a time cost as much as their products.
    /// </summary>
    protected void StorePartial(float* tile, float* c, int ldc, int m, int n, float beta)
    {
        var vb = Vector256.Create(beta);
        for (int i = 0; i < m; i++)
        {
            float* row = c + (long)i * ldc;
            float* t = tile + i * NR;
            int j = 0;
            if (beta == 0f)
            {
                for (; j + 8 <= n; j += 8) Vector256.Store(Vector256.Load(t + j), row + j);
                for (; j < n; j++) row[j] = t[j];
            }
            else
            {
                for (; j + 8 <= n; j += 8) Vector256.Store(Vector256.Load(t + j) + vb * Vector256.Load(row + j), row + j);
                for (; j < n; j++) row[j] = t[j] + beta * row[j];
            }
        }
    }
}
