namespace Cortado.Gpu.Kernels;

/// <summary>
/// The GEMM that stands in for cuBLAS where there is none (the emulated device, or a CUDA machine
/// without the library): C = alpha op(A) op(B) + beta C in row-major order, each thread computing
/// a 4 x 4 block of C. A's element (i, p) is a[i * aRow + p * aColumn], B's (p, j) is
/// b[p * bRow + j * bColumn], which is how the transposes reach the kernel. With beta 0, C is not
/// read, as BLAS promises.
/// </summary>
internal static class GemmKernels
{
    public const int Block = 4;

    public static void Gemm(int m, int n, int k, float alpha, Floats a, int aRow, int aColumn, Floats b, int bRow, int bColumn, float beta, Floats c)
    {
        int blocksN = (n + Block - 1) / Block, blocks = (m + Block - 1) / Block * blocksN;
        for (int block = Lane.First; block < blocks; block += Lane.Step)
        {
            int i0 = block / blocksN * Block, j0 = block % blocksN * Block;
            float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
            float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
            // Rows and columns past the edge read row/column 0 (always there) and are not stored.
            int r0 = i0, r1 = i0 + 1 < m ? i0 + 1 : 0, r2 = i0 + 2 < m ? i0 + 2 : 0, r3 = i0 + 3 < m ? i0 + 3 : 0;
            int q0 = j0, q1 = j0 + 1 < n ? j0 + 1 : 0, q2 = j0 + 2 < n ? j0 + 2 : 0, q3 = j0 + 3 < n ? j0 + 3 : 0;
            for (int p = 0; p < k; p++)
            {
                float a0 = a[r0 * aRow + p * aColumn], a1 = a[r1 * aRow + p * aColumn], a2 = a[r2 * aRow + p * aColumn], a3 = a[r3 * aRow + p * aColumn];
                float b0 = b[p * bRow + q0 * bColumn], b1 = b[p * bRow + q1 * bColumn], b2 = b[p * bRow + q2 * bColumn], b3 = b[p * bRow + q3 * bColumn];
                c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
                c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
                c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
                c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            }
            Store(c, n, m, i0, j0, alpha, beta, c00, c01, c02, c03);
            Store(c, n, m, i0 + 1, j0, alpha, beta, c10, c11, c12, c13);
            Store(c, n, m, i0 + 2, j0, alpha, beta, c20, c21, c22, c23);
            Store(c, n, m, i0 + 3, j0, alpha, beta, c30, c31, c32, c33);
        }
    }

    private static void Store(Floats c, int n, int m, int i, int j0, float alpha, float beta, float v0, float v1, float v2, float v3)
    {
        if (i >= m) return;
        int row = i * n;
        StoreOne(c, row + j0, alpha, beta, v0);
        if (j0 + 1 < n) StoreOne(c, row + j0 + 1, alpha, beta, v1);
        if (j0 + 2 < n) StoreOne(c, row + j0 + 2, alpha, beta, v2);
        if (j0 + 3 < n) StoreOne(c, row + j0 + 3, alpha, beta, v3);
    }

    private static void StoreOne(Floats c, int at, float alpha, float beta, float value) =>
        c[at] = beta == 0f ? alpha * value : alpha * value + beta * c[at];
}
