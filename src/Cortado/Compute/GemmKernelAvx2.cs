using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Cortado.Compute;

/// <summary>
/// 6 x 16 micro-kernel on AVX2 with FMA: 12 ymm accumulators, two loads of B and six
/// broadcasts of A per k step (the classic Haswell shape, 15 of the 16 ymm registers).
/// The k loop is unrolled four times: on a Zen 3 the loop's own counter and branch cost
/// about 8% of the kernel's rate when every step pays for them.
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
        if (m <= 2)
        {
            RunTwoRows(kc, a, b, c, ldc, m, n, alpha, beta);
            return;
        }
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        int p = 0;
        for (; p + 4 <= kc; p += 4, a += 4 * 6, b += 4 * 16)
        {
            Step(a, b, ref c00, ref c01, ref c10, ref c11, ref c20, ref c21, ref c30, ref c31, ref c40, ref c41, ref c50, ref c51);
            Step(a + 6, b + 16, ref c00, ref c01, ref c10, ref c11, ref c20, ref c21, ref c30, ref c31, ref c40, ref c41, ref c50, ref c51);
            Step(a + 12, b + 32, ref c00, ref c01, ref c10, ref c11, ref c20, ref c21, ref c30, ref c31, ref c40, ref c41, ref c50, ref c51);
            Step(a + 18, b + 48, ref c00, ref c01, ref c10, ref c11, ref c20, ref c21, ref c30, ref c31, ref c40, ref c41, ref c50, ref c51);
        }
        for (; p < kc; p++, a += 6, b += 16)
            Step(a, b, ref c00, ref c01, ref c10, ref c11, ref c20, ref c21, ref c30, ref c31, ref c40, ref c41, ref c50, ref c51);

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

    /// <summary>
    /// A tile of one or two rows (the last of 128 rows, a batch of 128 in an inner product layer)
    /// multiplies only the rows it has: eight accumulators instead of twelve, a third of the k steps' work.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunTwoRows(int kc, float* a, float* b, float* c, int ldc, int m, int n, float alpha, float beta)
    {
        // Even and odd k steps accumulate apart: four chains alone would wait on the FMA's latency.
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector256<float> d00 = default, d01 = default, d10 = default, d11 = default;
        int p = 0;
        for (; p + 2 <= kc; p += 2, a += 2 * 6, b += 2 * 16)
        {
            StepTwoRows(a, b, ref c00, ref c01, ref c10, ref c11);
            StepTwoRows(a + 6, b + 16, ref d00, ref d01, ref d10, ref d11);
        }
        if (p < kc) StepTwoRows(a, b, ref c00, ref c01, ref c10, ref c11);
        c00 += d00; c01 += d01; c10 += d10; c11 += d11;
        var va = Vector256.Create(alpha);
        float* tile = stackalloc float[2 * 16];
        Avx.Store(tile, c00 * va); Avx.Store(tile + 8, c01 * va);
        Avx.Store(tile + 16, c10 * va); Avx.Store(tile + 24, c11 * va);
        StorePartial(tile, c, ldc, m, n, beta);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StepTwoRows(float* a, float* b,
        ref Vector256<float> c00, ref Vector256<float> c01, ref Vector256<float> c10, ref Vector256<float> c11)
    {
        var b0 = Avx.LoadVector256(b);
        var b1 = Avx.LoadVector256(b + 8);
        Row(a, b0, b1, ref c00, ref c01);
        Row(a + 1, b0, b1, ref c10, ref c11);
    }

    /// <summary>One k step: row i of the tile gains a[i] times the 16 values of b.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step(float* a, float* b,
        ref Vector256<float> c00, ref Vector256<float> c01, ref Vector256<float> c10, ref Vector256<float> c11,
        ref Vector256<float> c20, ref Vector256<float> c21, ref Vector256<float> c30, ref Vector256<float> c31,
        ref Vector256<float> c40, ref Vector256<float> c41, ref Vector256<float> c50, ref Vector256<float> c51)
    {
        var b0 = Avx.LoadVector256(b);
        var b1 = Avx.LoadVector256(b + 8);
        Row(a, b0, b1, ref c00, ref c01);
        Row(a + 1, b0, b1, ref c10, ref c11);
        Row(a + 2, b0, b1, ref c20, ref c21);
        Row(a + 3, b0, b1, ref c30, ref c31);
        Row(a + 4, b0, b1, ref c40, ref c41);
        Row(a + 5, b0, b1, ref c50, ref c51);
    }

    /// <summary>One row of a k step: its two accumulators gain a's value times the 16 values of b.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row(float* a, Vector256<float> b0, Vector256<float> b1, ref Vector256<float> c0, ref Vector256<float> c1)
    {
        var x = Avx.BroadcastScalarToVector256(a);
        c0 = Fma.MultiplyAdd(x, b0, c0);
        c1 = Fma.MultiplyAdd(x, b1, c1);
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
