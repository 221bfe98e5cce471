using System.Runtime.Intrinsics;

namespace Cortado.Compute;

/// <summary>
/// 4 x 8 micro-kernel on 128-bit vectors through the cross-platform Vector128 API, for
/// processors without AVX2 (ARM's NEON included). Same packing, same results up to rounding.
/// </summary>
public sealed unsafe class GemmKernelPortable : GemmKernel
{
    public override string Name => "portable 4x8";
    public override int MR => 4;
    public override int NR => 8;

    public override void Run(int kc, float* a, float* b, float* c, int ldc, int m, int n, float alpha, float beta)
    {
        Vector128<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector128<float> c20 = default, c21 = default, c30 = default, c31 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector128.Load(b);
            var b1 = Vector128.Load(b + 4);
            var a0 = Vector128.Create(a[0]);
            c00 += a0 * b0; c01 += a0 * b1;
            var a1 = Vector128.Create(a[1]);
            c10 += a1 * b0; c11 += a1 * b1;
            var a2 = Vector128.Create(a[2]);
            c20 += a2 * b0; c21 += a2 * b1;
            var a3 = Vector128.Create(a[3]);
            c30 += a3 * b0; c31 += a3 * b1;
            a += 4;
            b += 8;
        }
        float* tile = stackalloc float[4 * 8];
        var va = Vector128.Create(alpha);
        (c00 * va).Store(tile); (c01 * va).Store(tile + 4);
        (c10 * va).Store(tile + 8); (c11 * va).Store(tile + 12);
        (c20 * va).Store(tile + 16); (c21 * va).Store(tile + 20);
        (c30 * va).Store(tile + 24); (c31 * va).Store(tile + 28);
        StorePartial(tile, c, ldc, m, n, beta);
    }
}
