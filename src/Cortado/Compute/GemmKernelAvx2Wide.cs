using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Cortado.Compute;

/// <summary>
/// 4 x 24 micro-kernel on AVX2 with FMA: the same 12 ymm accumulators as the 6 x 16 kernel,
/// with three loads of B and four broadcasts of A per k step. It serves the products whose
/// rows are a multiple of 4 and not of 6: a 32-filter convolution (M = 32) leaves the 6-row
/// kernel a last tile of 2 rows, 11% of its multiply-adds wasted, and fills this one exactly.
/// </summary>
public sealed unsafe class GemmKernelAvx2Wide : GemmKernel
{
    public override string Name => "avx2 4x24";
    public override int MR => 4;
    public override int NR => 24;
    public override int NC => 1008;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Run(int kc, float* a, float* b, float* c, int ldc, int m, int n, float alpha, float beta)
    {
        Vector256<float> c00 = default, c01 = default, c02 = default, c10 = default, c11 = default, c12 = default;
        Vector256<float> c20 = default, c21 = default, c22 = default, c30 = default, c31 = default, c32 = default;
        int p = 0;
        for (; p + 4 <= kc; p += 4, a += 4 * 4, b += 4 * 24)
        {
            Step(a, b, ref c00, ref c01, ref c02, ref c10, ref c11, ref c12, ref c20, ref c21, ref c22, ref c30, ref c31, ref c32);
            Step(a + 4, b + 24, ref c00, ref c01, ref c02, ref c10, ref c11, ref c12, ref c20, ref c21, ref c22, ref c30, ref c31, ref c32);
            Step(a + 8, b + 48, ref c00, ref c01, ref c02, ref c10, ref c11, ref c12, ref c20, ref c21, ref c22, ref c30, ref c31, ref c32);
            Step(a + 12, b + 72, ref c00, ref c01, ref c02, ref c10, ref c11, ref c12, ref c20, ref c21, ref c22, ref c30, ref c31, ref c32);
        }
        for (; p < kc; p++, a += 4, b += 24)
            Step(a, b, ref c00, ref c01, ref c02, ref c10, ref c11, ref c12, ref c20, ref c21, ref c22, ref c30, ref c31, ref c32);

        var va = Vector256.Create(alpha);
        if (m == 4 && n == 24)
        {
            var vb = Vector256.Create(beta);
            bool readC = beta != 0f;
            Store(c, c00, c01, c02, va, vb, readC);
            Store(c + ldc, c10, c11, c12, va, vb, readC);
            Store(c + 2 * ldc, c20, c21, c22, va, vb, readC);
            Store(c + 3 * ldc, c30, c31, c32, va, vb, readC);
            return;
        }
        float* tile = stackalloc float[4 * 24];
        Avx.Store(tile, c00 * va); Avx.Store(tile + 8, c01 * va); Avx.Store(tile + 16, c02 * va);
        Avx.Store(tile + 24, c10 * va); Avx.Store(tile + 32, c11 * va); Avx.Store(tile + 40, c12 * va);
        Avx.Store(tile + 48, c20 * va); Avx.Store(tile + 56, c21 * va); Avx.Store(tile + 64, c22 * va);
        Avx.Store(tile + 72, c30 * va); Avx.Store(tile + 80, c31 * va); Avx.Store(tile + 88, c32 * va);
        StorePartial(tile, c, ldc, m, n, beta);
    }

    /// <summary>One k step: row i of the tile gains a[i] times the 24 values of b.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step(float* a, float* b,
        ref Vector256<float> c00, ref Vector256<float> c01, ref Vector256<float> c02,
        ref Vector256<float> c10, ref Vector256<float> c11, ref Vector256<float> c12,
        ref Vector256<float> c20, ref Vector256<float> c21, ref Vector256<float> c22,
        ref Vector256<float> c30, ref Vector256<float> c31, ref Vector256<float> c32)
    {
        var b0 = Avx.LoadVector256(b);
        var b1 = Avx.LoadVector256(b + 8);
        var b2 = Avx.LoadVector256(b + 16);
        var x = Avx.BroadcastScalarToVector256(a);
        c00 = Fma.MultiplyAdd(x, b0, c00); c01 = Fma.MultiplyAdd(x, b1, c01); c02 = Fma.MultiplyAdd(x, b2, c02);
        x = Avx.BroadcastScalarToVector256(a + 1);
        c10 = Fma.MultiplyAdd(x, b0, c10); c11 = Fma.MultiplyAdd(x, b1, c11); c12 = Fma.MultiplyAdd(x, b2, c12);
        x = Avx.BroadcastScalarToVector256(a + 2);
        c20 = Fma.MultiplyAdd(x, b0, c20); c21 = Fma.MultiplyAdd(x, b1, c21); c22 = Fma.MultiplyAdd(x, b2, c22);
        x = Avx.BroadcastScalarToVector256(a + 3);
        c30 = Fma.MultiplyAdd(x, b0, c30); c31 = Fma.MultiplyAdd(x, b1, c31); c32 = Fma.MultiplyAdd(x, b2, c32);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* row, Vector256<float> x0, Vector256<float> x1, Vector256<float> x2,
        Vector256<float> alpha, Vector256<float> beta, bool readC)
    {
        if (readC)
        {
            Avx.Store(row, Fma.MultiplyAdd(x0, alpha, Avx.LoadVector256(row) * beta));
            Avx.Store(row + 8, Fma.MultiplyAdd(x1, alpha, Avx.LoadVector256(row + 8) * beta));
            Avx.Store(row + 16, Fma.MultiplyAdd(x2, alpha, Avx.LoadVector256(row + 16) * beta));
        }
        else
        {
            Avx.Store(row, x0 * alpha);
            Avx.Store(row + 8, x1 * alpha);
            Avx.Store(row + 16, x2 * alpha);
        }
    }
}
