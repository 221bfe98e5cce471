using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Cortado.Compute;

/// <summary>
/// 6 x 16 micro-kernel on AVX2 with FMA: 12 ymm accumulators, two loads of B and six
/// broadcasts of A per k step (the classic Haswell shape, 15 of the 16 ymm registers).
/// </summary>
public sealed unsafe class GemmKernelAvx2 : GemmKernel
{
    public override string Name => "avx2 6x16";
    public override int MR => 6;
    public override int NR => 16;
    public override int NC => 1024;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Run(int kc, float* a, float* b, float* c, int ldc, int m, int n, float alpha, float beta)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Avx.LoadVector256(b);
            var b1 = Avx.LoadVector256(b + 8);
            var a0 = Avx.BroadcastScalarToVector256(a);
            c00 = Fma.MultiplyAdd(a0, b0, c00); c01 = Fma.MultiplyAdd(a0, b1, c01);
            var a1 = Avx.BroadcastScalarToVector256(a + 1);
            c10 = Fma.MultiplyAdd(a1, b0, c10); c11 = Fma.MultiplyAdd(a1, b1, c11);
            var a2 = Avx.BroadcastScalarToVector256(a + 2);
            c20 = Fma.MultiplyAdd(a2, b0, c20); c21 = Fma.MultiplyAdd(a2, b1, c21);
            var a3 = Avx.BroadcastScalarToVector256(a + 3);
            c30 = Fma.MultiplyAdd(a3, b0, c30); c31 = Fma.MultiplyAdd(a3, b1, c31);
            var a4 = Avx.BroadcastScalarToVector256(a + 4);
            c40 = Fma.MultiplyAdd(a4, b0, c40); c41 = Fma.MultiplyAdd(a4, b1, c41);
            var a5 = Avx.BroadcastScalarToVector256(a + 5);
            c50 = Fma.MultiplyAdd(a5, b0, c50); c51 = Fma.MultiplyAdd(a5, b1, c51);
            a += 6;
            b += 16;
        }

        var va = Vector256.Create(alpha);
        if (m == 6 && n == 16)
        {
            var vb = Vector256.Create(beta);
            bool readC = beta != 0f;
            Store(c, c00, c01, va, vb, readC); Store(c + ldc, c10, c11, va, vb, readC);
            Store(c + 2 * ldc, c20, c21, va, vb, readC); Store(c + 3 * ldc, c30, c31, va, vb, readC);
            Store(c + 4 * ldc, c40, c41, va, vb, readC); Store(c + 5 * ldc, c50, c51, va, vb, readC);
            return;
        }
        float* tile = stackalloc float[6 * 16];
        Avx.Store(tile, c00 * va); Avx.Store(tile + 8, c01 * va);
        Avx.Store(tile + 16, c10 * va); Avx.Store(tile + 24, c11 * va);
        Avx.Store(tile + 32, c20 * va); Avx.Store(tile + 40, c21 * va);
        Avx.Store(tile + 48, c30 * va); Avx.Store(tile + 56, c31 * va);
        Avx.Store(tile + 64, c40 * va); Avx.Store(tile + 72, c41 * va);
        Avx.Store(tile + 80, c50 * va); Avx.Store(tile + 88, c51 * va);
        StorePartial(tile, c, ldc, m, n, beta);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* row, Vector256<float> x0, Vector256<float> x1, Vector256<float> alpha, Vector256<float> beta, bool readC)
    {
        if (readC)
        {
            Avx.Store(row, Fma.MultiplyAdd(x0, alpha, Avx.LoadVector256(row) * beta));
            Avx.Store(row + 8, Fma.MultiplyAdd(x1, alpha, Avx.LoadVector256(row + 8) * beta));
        }
        else
        {
            Avx.Store(row, x0 * alpha);
            Avx.Store(row + 8, x1 * alpha);
        }
    }
}
