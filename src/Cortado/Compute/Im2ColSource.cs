using System.Runtime.CompilerServices;

namespace Cortado.Compute;

/// <summary>
/// The column matrix of an image (im2col's (C*KH*KW) x (OH*OW) matrix) as the B operand of a
/// GEMM, without building it: the GEMM packs its panels straight from the image, one row of the
/// column matrix at a time through a buffer that stays in L1. This saves writing the column
/// matrix (larger than L2 for a mid-size convolution) and reading it back to pack it.
/// <see cref="RowOffset"/> and <see cref="ColumnOffset"/> select a block of the matrix: a group's
/// rows, or a block of output rows.
/// </summary>
internal readonly unsafe struct Im2ColSource(float* image, ConvolutionGeometry geometry, int rowOffset, int columnOffset)
{
    private readonly float* _image = image;
    public ConvolutionGeometry Geometry { get; } = geometry;
    public int RowOffset { get; } = rowOffset;
    public int ColumnOffset { get; } = columnOffset;

    /// <summary>Packs rows [k0, k0 + kc) and columns [col0, col0 + nc) of the block into NR-wide panels, as <see cref="GemmPacking.PackB"/> does.</summary>
    public void Pack(int k0, int col0, int kc, int nc, int nr, float* dst)
    {
        float* row = stackalloc float[nc + nr];
        int fullCols = nc / nr * nr;
        for (int p = 0; p < kc; p++)
        {
            Row(RowOffset + k0 + p, ColumnOffset + col0, nc, row);
            for (int j0 = 0; j0 < fullCols; j0 += nr)
                for (int i = 0; i < nr; i += 8)
                    System.Runtime.Intrinsics.Vector256.Store(System.Runtime.Intrinsics.Vector256.Load(row + j0 + i), dst + (long)j0 * kc + p * nr + i);
            if (fullCols < nc)
            {
                float* d = dst + (long)fullCols * kc + p * nr;
                int cols = nc - fullCols;
                for (int c = 0; c < cols; c++) d[c] = row[fullCols + c];
                for (int c = cols; c < nr; c++) d[c] = 0f;
            }
        }
    }

    /// <summary>Columns [first, first + count) of row <paramref name="r"/> of the column matrix: (channel, kh, kw) = r, output position = column.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Row(int r, int first, int count, float* dst)
    {
        var g = Geometry;
        int kw = r % g.KernelW, kh = r / g.KernelW % g.KernelH, channel = r / (g.KernelW * g.KernelH);
        float* plane = _image + (long)channel * g.Height * g.Width;
        int rowOffset = kh * g.DilationH - g.PadH, colOffset = kw * g.DilationW - g.PadW, outW = g.OutputWidth;
        var (inside, insideEnd) = Im2Col.InsideColumns(colOffset, g.StrideW, g.Width, outW);
        int oh = first / outW, ow = first % outW, done = 0;
        while (done < count)
        {
            int run = Math.Min(outW - ow, count - done);
            float* target = dst + done;
            int ih = rowOffset + oh * g.StrideH;
            if ((uint)ih >= (uint)g.Height) new Span<float>(target, run).Clear();
            else
            {
                float* source = plane + ih * g.Width + colOffset;
                int end = ow + run;
                int a = Math.Clamp(inside, ow, end), b = Math.Clamp(insideEnd, a, end);
                for (int x = ow; x < a; x++) target[x - ow] = 0f;
                if (g.StrideW == 1) new ReadOnlySpan<float>(source + a, b - a).CopyTo(new Span<float>(target + a - ow, b - a));
                else for (int x = a; x < b; x++) target[x - ow] = source[x * g.StrideW];
                for (int x = b; x < end; x++) target[x - ow] = 0f;
            }
            done += run;
            ow = 0;
            oh++;
        }
    }
}
