using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
namespace Cortado.Compute;

/// <summary>
/// Copies blocks of A and B into the micro-kernels' panel layout: A as MR-row panels
/// (MR values per k step), B as NR-column panels (NR values per k step), zero-padded at
/// the edges so the kernels never branch on size. Transposed operands are handled here,
/// which is why one kernel serves all four transpose cases.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>Rows of a non-transposed B packed together, each across all the block's panels.</summary>
    private const int PackGroupRows = 16;

    /// <summary>Packs rows [row0, row0+mc) and depth [k0, k0+kc) of op(A).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA(bool transposed, float* a, int lda, int row0, int k0, int mc, int kc, int mr, float* dst)
    {
        for (int i0 = 0; i0 < mc; i0 += mr)
        {
            int rows = Math.Min(mr, mc - i0);
            float* panel = dst + (long)i0 * kc;
            if (!transposed)
            {
                // Rows of A run along k; the panel wants MR rows side by side per k step.
                int done = 0;
                float* block = a + (long)(row0 + i0) * lda + k0;
                if (Transpose8x8.IsSupported && mr % 8 == 0 && rows == mr)
                {
                    done = kc & ~7;
                    for (int r0 = 0; r0 < mr; r0 += 8)
                        for (int p0 = 0; p0 < done; p0 += 8)
                            Transpose8x8.Run(block + (long)r0 * lda + p0, lda, panel + p0 * mr + r0, mr);
                }
                else if (Transpose4x4.IsSupported && mr % 2 == 0 && rows == mr)
                {
                    // Eight k steps at a time for panels of 4 or 6 rows (128 x 1600 in 27 against 36 us
                    // by 4 x 4 blocks on a Zen 4), then 4 x 4 blocks, with a 2 x 4 block for the last two of 6.
                    int start = 0;
                    if (Transpose8x8.IsSupported && mr == 4)
                        for (; start + 8 <= kc; start += 8) Transpose8x8.RunFourRows(block + start, lda, panel + start * 4);
                    else if (Transpose8x8.IsSupported && mr == 6)
                        for (; start + 8 <= kc; start += 8) Transpose8x8.RunSixRows(block + start, lda, panel + start * 6);
                    done = kc & ~3;
                    int quads = mr & ~3;
                    for (int p0 = start; p0 < done; p0 += 4)
                    {
                        for (int r0 = 0; r0 < quads; r0 += 4)
                            Transpose4x4.Run(block + (long)r0 * lda + p0, lda, panel + p0 * mr + r0, mr);
                        if (quads < mr) Transpose4x4.RunTwoRows(block + (long)quads * lda + p0, lda, panel + p0 * mr + quads, mr);
                    }
                }
                for (int r = 0; r < rows; r++)
                {
                    float* src = a + (long)(row0 + i0 + r) * lda + k0;
                    for (int p = done; p < kc; p++) panel[p * mr + r] = src[p];
                }
                for (int r = rows; r < mr; r++)
                    for (int p = 0; p < kc; p++) panel[p * mr + r] = 0f;
            }
            else
            {
                float* column = a + (long)k0 * lda + row0 + i0;
                if (rows == mr && (mr == 4 || mr == 6) && Sse.IsSupported)
                {
                    // The AVX2 kernels' panels, copied without a call per k step (a memmove of 24
                    // bytes each cost more than the copy: 128 x 128 in 3.2 against 9 us on a Zen 4).
                    for (int p = 0; p < kc; p++, column += lda)
                    {
                        Sse.Store(panel + p * mr, Sse.LoadVector128(column));
                        if (mr == 6) Sse.StoreLow(panel + p * mr + 4, Sse.LoadLow(Vector128<float>.Zero, column + 4));
                    }
                    continue;
                }
                for (int p = 0; p < kc; p++, column += lda)
                {
                    float* d = panel + p * mr;
                    new ReadOnlySpan<float>(column, rows).CopyTo(new Span<float>(d, rows));
                    for (int r = rows; r < mr; r++) d[r] = 0f;
                }
            }
        }
    }

    /// <summary>Packs depth [k0, k0+kc) and columns [col0, col0+nc) of op(B).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB(bool transposed, float* b, int ldb, int k0, int col0, int kc, int nc, int nr, float* dst)
    {
        if (!transposed)
        {
            // Sixteen rows at a time, each front to back across the panels: row by row, the writes
            // went to every panel in turn, panels a multiple of 4 KB apart (kc = 128, NR = 16) and so
            // all in one set of L1; a group writes 16 lines of each panel in a row, twice as fast
            // from L2 (128 x 1600 in 18 against 36 us on a Zen 4).
            int fullCols = nc / nr * nr;
            for (int p0 = 0; p0 < kc; p0 += PackGroupRows)
            {
                int p1 = Math.Min(kc, p0 + PackGroupRows);
                for (int j0 = 0; j0 < fullCols; j0 += nr)
                {
                    float* src = b + (long)k0 * ldb + col0 + j0;
                    float* d = dst + (long)j0 * kc;
                    for (int p = p0; p < p1; p++) CopyFloats(src + (long)p * ldb, d + p * nr, nr);
                }
                if (fullCols == nc) continue;
                int cols = nc - fullCols;
                for (int p = p0; p < p1; p++)
                {
                    float* src = b + (long)(k0 + p) * ldb + col0 + fullCols;
                    float* d = dst + (long)fullCols * kc + p * nr;
                    for (int c = 0; c < cols; c++) d[c] = src[c];
                    for (int c = cols; c < nr; c++) d[c] = 0f;
                }
            }
            return;
        }
        for (int j0 = 0; j0 < nc; j0 += nr)
        {
            int cols = Math.Min(nr, nc - j0);
            float* panel = dst + (long)j0 * kc;
            // Rows of the stored B^T run along k; the panel wants NR columns side by side per k step.
            int fullCols = Transpose8x8.IsSupported ? cols & ~7 : 0;
            int fullDepth = kc & ~7;
            for (int c0 = 0; c0 < fullCols; c0 += 8)
                for (int p0 = 0; p0 < fullDepth; p0 += 8)
                    Transpose8x8.Run(b + (long)(col0 + j0 + c0) * ldb + k0 + p0, ldb, panel + p0 * nr + c0, nr);
            for (int c = 0; c < cols; c++)
            {
                float* src = b + (long)(col0 + j0 + c) * ldb + k0;
                for (int p = c < fullCols ? fullDepth : 0; p < kc; p++) panel[p * nr + c] = src[p];
            }
            for (int c = cols; c < nr; c++)
                for (int p = 0; p < kc; p++) panel[p * nr + c] = 0f;
        }
    }

    /// <summary>
    /// Packs depth [k0, k0+kc) and columns [col0, col0+nc) of a convolution's implicit column
    /// matrix, read from the image. A panel's columns split into the same contiguous runs at every
    /// depth, so the runs are found once per panel and each is copied down the whole depth.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackImplicitB(in ImplicitColumns b, int k0, int col0, int kc, int nc, int nr, float* dst)
    {
        float* image = b.Image;
        int* rowOffsets = b.RowOffsets + k0;
        for (int j0 = 0; j0 < nc; j0 += nr)
        {
            int cols = Math.Min(nr, nc - j0);
            float* panel = dst + (long)j0 * kc;
            for (int c = 0; c < cols;)
            {
                int s = col0 + j0 + c;
                int run = Math.Min(b.Runs[s], cols - c);
                float* src = image + b.ColumnOffsets[s];
                float* d = panel + c;
                // Runs of exactly one vector (8-wide output rows, CIFAR-10 quick's conv3) skip the general
                // copy's length tests: 6.6 against 7.1 ms per batch for that layer's forward product.
                if (run == 8)
                    for (int p = 0; p < kc; p++) CopyFloats(src + rowOffsets[p], d + p * nr, 8);
                else
                    for (int p = 0; p < kc; p++) Im2Col.CopyRun(src + rowOffsets[p], d + p * nr, run);
                c += run;
            }
            for (int p = 0; p < kc && cols < nr; p++)
                new Span<float>(panel + p * nr + cols, nr - cols).Clear();
        }
    }

    /// <summary>
    /// Packs depth [k0, k0+kc) and columns [col0, col0+nc) of the transpose of a convolution's
    /// implicit column matrix (the weight gradient's B): depth runs along output positions, columns
    /// along (channel, kernel row, kernel column). Eight positions of one contiguous run are read
    /// from eight rows at once and transposed in registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackImplicitBTransposed(in ImplicitColumns b, int k0, int col0, int kc, int nc, int nr, float* dst)
    {
        for (int j0 = 0; j0 < nc; j0 += nr)
        {
            int cols = Math.Min(nr, nc - j0);
            float* panel = dst + (long)j0 * kc;
            int* rows = b.RowOffsets + col0 + j0;
            int fullCols = Transpose8x8.IsSupported ? cols & ~7 : 0;
            for (int p = 0; p < kc;)
            {
                int s = k0 + p;
                float* src = b.Image + b.ColumnOffsets[s];
                float* d = panel + p * nr;
                if (fullCols > 0 && p + 8 <= kc && b.Runs[s] >= 8)
                {
                    for (int c0 = 0; c0 < fullCols; c0 += 8) Transpose8x8.Run(src, rows + c0, d + c0, nr);
                    for (int c = fullCols; c < cols; c++)
                        for (int q = 0; q < 8; q++) d[q * nr + c] = src[rows[c] + q];
                    p += 8;
                }
                else
                {
                    for (int c = 0; c < cols; c++) d[c] = src[rows[c]];
                    p++;
                }
            }
            for (int p = 0; p < kc && cols < nr; p++)
                new Span<float>(panel + p * nr + cols, nr - cols).Clear();
        }
    }

    // Copies a multiple of 8 floats with 256-bit vectors (every kernel's NR is a multiple of 8).
    private static void CopyFloats(float* src, float* dst, int count)
    {
        for (int i = 0; i < count; i += 8)
            System.Runtime.Intrinsics.Vector256.Store(System.Runtime.Intrinsics.Vector256.Load(src + i), dst + i);
    }
}
