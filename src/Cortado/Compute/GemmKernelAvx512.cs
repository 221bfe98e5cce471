using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Cortado.Compute;

/// <summary>
/// 8 x 32 micro-kernel on AVX-512: 16 zmm accumulators, two loads of B and eight broadcasts
/// of A per k step, 16 fused multiply-adds.
/// </summary>
public sealed unsafe class GemmKernelAvx512 : GemmKernel
{
    public override string Name => "avx512 8x32";
    public override int MR => 8;
    public override int NR => 32;
    public override bool PrefetchesAlongK => false;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Run(int kc, float* a, float* b, float* c, int ldc, int m, int n, float alpha, float beta)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Avx512F.LoadVector512(b);
            var b1 = Avx512F.LoadVector512(b + 16);
            var a0 = Vector512.Create(a[0]);
            c00 = Avx512F.FusedMultiplyAdd(a0, b0, c00); c01 = Avx512F.FusedMultiplyAdd(a0, b1, c01);
            var a1 = Vector512.Create(a[1]);
            c10 = Avx512F.FusedMultiplyAdd(a1, b0, c10); c11 = Avx512F.FusedMultiplyAdd(a1, b1, c11);
            var a2 = Vector512.Create(a[2]);
            c20 = Avx512F.FusedMultiplyAdd(a2, b0, c20); c21 = Avx512F.FusedMultiplyAdd(a2, b1, c21);
            var a3 = Vector512.Create(a[3]);
            c30 = Avx512F.FusedMultiplyAdd(a3, b0, c30); c31 = Avx512F.FusedMultiplyAdd(a3, b1, c31);
            var a4 = Vector512.Create(a[4]);
            c40 = Avx512F.FusedMultiplyAdd(a4, b0, c40); c41 = Avx512F.FusedMultiplyAdd(a4, b1, c41);
            var a5 = Vector512.Create(a[5]);
            c50 = Avx512F.FusedMultiplyAdd(a5, b0, c50); c51 = Avx512F.FusedMultiplyAdd(a5, b1, c51);
            var a6 = Vector512.Create(a[6]);
            c60 = Avx512F.FusedMultiplyAdd(a6, b0, c60); c61 = Avx512F.FusedMultiplyAdd(a6, b1, c61);
            var a7 = Vector512.Create(a[7]);
            c70 = Avx512F.FusedMultiplyAdd(a7, b0, c70); c71 = Avx512F.FusedMultiplyAdd(a7, b1, c71);
            a += 8;
            b += 32;
        }

        var va = Vector512.Create(alpha);
        if (m == 8 && n == 32)
        {
            var vb = Vector512.Create(beta);
            bool readC = beta != 0f;
            Store(c, c00, c01, va, vb, readC); Store(c + ldc, c10, c11, va, vb, readC);
            Store(c + 2 * ldc, c20, c21, va, vb, readC); Store(c + 3 * ldc, c30, c31, va, vb, readC);
            Store(c + 4 * ldc, c40, c41, va, vb, readC); Store(c + 5 * ldc, c50, c51, va, vb, readC);
            Store(c + 6 * ldc, c60, c61, va, vb, readC); Store(c + 7 * ldc, c70, c71, va, vb, readC);
            return;
        }
        float* tile = stackalloc float[8 * 32];
        Avx512F.Store(tile, c00 * va); Avx512F.Store(tile + 16, c01 * va);
        Avx512F.Store(tile + 32, c10 * va); Avx512F.Store(tile + 48, c11 * va);
        Avx512F.Store(tile + 64, c20 * va); Avx512F.Store(tile + 80, c21 * va);
        Avx512F.Store(tile + 96, c30 * va); Avx512F.Store(tile + 112, c31 * va);
        Avx512F.Store(tile + 128, c40 * va); Avx512F.Store(tile + 144, c41 * va);
        Avx512F.Store(tile + 160, c50 * va); Avx512F.Store(tile + 176, c51 * va);
        Avx512F.Store(tile + 192, c60 * va); Avx512F.Store(tile + 208, c61 * va);
        Avx512F.Store(tile + 224, c70 * va); Avx512F.Store(tile + 240, c71 * va);
        StorePartial(tile, c, ldc, m, n, beta);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* row, Vector512<float> x0, Vector512<float> x1, Vector512<float> alpha, Vector512<float> beta, bool readC)
    {
        if (readC)
        {
            Avx512F.Store(row, Avx512F.FusedMultiplyAdd(x0, alpha, Avx512F.LoadVector512(row) * beta));
            Avx512F.Store(row + 16, Avx512F.FusedMultiplyAdd(x1, alpha, Avx512F.LoadVector512(row + 16) * beta));
        }
        else
        {
            Avx512F.Store(row, x0 * alpha);
            Avx512F.Store(row + 16, x1 * alpha);
        }
    }
}
