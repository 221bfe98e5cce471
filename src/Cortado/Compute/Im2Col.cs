using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
namespace Cortado.Compute;

/// <summary>
/// Caffe's im2col and col2im for 2-D convolution. im2col lays out every kernel-sized window of
/// a C x H x W image as a column, giving a (C*KH*KW) x (OH*OW) matrix, so a convolution becomes
/// one GEMM; positions in the padding read as 0. col2im is its adjoint: it sums each column
/// entry back into the image position it came from (the gradient of im2col).
/// </summary>
public static class Im2Col
{
    /// <remarks>
    /// With <paramref name="firstRow"/> and <paramref name="rowCount"/>, only the columns of those
    /// output rows: a (C*KH*KW) x (rowCount*OW) matrix, so one image can be split among threads.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Forward(ReadOnlySpan<float> image, int channels, in ConvolutionGeometry g, Span<float> columns, int firstRow = 0, int rowCount = -1)
    {
        if (rowCount < 0) rowCount = Math.Max(0, g.OutputHeight - firstRow);
        Check(image.Length, columns.Length, channels, g, rowCount);
        if (firstRow < 0 || firstRow + rowCount > g.OutputHeight)
            throw new ArgumentException($"im2col: output rows {firstRow}..{firstRow + rowCount} are outside the {g.OutputHeight} rows");
        // Geometry in locals: the stores below could alias the struct as far as the JIT knows.
        int height = g.Height, width = g.Width, outW = g.OutputWidth, plane = height * width;
        int strideH = g.StrideH, strideW = g.StrideW;
        fixed (float* imageStart = image, columnStart = columns)
        {
            float* dst = columnStart;
            for (int c = 0; c < channels; c++)
            {
                float* channel = imageStart + (long)c * plane;
                for (int kh = 0; kh < g.KernelH; kh++)
                {
                    for (int kw = 0; kw < g.KernelW; kw++)
                    {
                        int rowOffset = kh * g.DilationH - g.PadH, colOffset = kw * g.DilationW - g.PadW;
                        var (first, last) = InsideColumns(colOffset, strideW, width, outW);
                        for (int oh = firstRow; oh < firstRow + rowCount; oh++, dst += outW)
                        {
                            int ih = rowOffset + oh * strideH;
                            if ((uint)ih >= (uint)height) { new Span<float>(dst, outW).Clear(); continue; }
                            float* src = channel + ih * width + colOffset;
                            for (int ow = 0; ow < first; ow++) dst[ow] = 0f;
                            if (strideW == 1) CopyRun(src + first, dst + first, last - first);
                            else for (int ow = first; ow < last; ow++) dst[ow] = src[ow * strideW];
                            for (int ow = last; ow < outW; ow++) dst[ow] = 0f;
                        }
                    }
                }
            }
        }
    }

    /// <summary>Sums columns back into the image; the image is overwritten (cleared first).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Backward(ReadOnlySpan<float> columns, int channels, in ConvolutionGeometry g, Span<float> image)
    {
        Check(image.Length, columns.Length, channels, g, g.OutputHeight);
        int height = g.Height, width = g.Width, outH = g.OutputHeight, outW = g.OutputWidth, plane = height * width;
        int strideH = g.StrideH, strideW = g.StrideW;
        image[..(channels * plane)].Clear();
        fixed (float* imageStart = image, columnStart = columns)
        {
            float* src = columnStart;
            for (int c = 0; c < channels; c++)
            {
                float* channel = imageStart + (long)c * plane;
                for (int kh = 0; kh < g.KernelH; kh++)
                {
                    for (int kw = 0; kw < g.KernelW; kw++)
                    {
                        int rowOffset = kh * g.DilationH - g.PadH, colOffset = kw * g.DilationW - g.PadW;
                        var (first, last) = InsideColumns(colOffset, strideW, width, outW);
                        for (int oh = 0; oh < outH; oh++, src += outW)
                        {
                            int ih = rowOffset + oh * strideH;
                            if ((uint)ih >= (uint)height) continue;
                            float* dst = channel + ih * width + colOffset;
                            if (strideW == 1) AddRun(src + first, dst + first, last - first);
                            else for (int ow = first; ow < last; ow++) dst[ow * strideW] += src[ow];
                        }
                    }
                }
            }
        }
    }

    /// <summary>The output columns [first, last) whose input, colOffset + ow * stride, lies inside the row; the rest read the zero padding.</summary>
    private static (int First, int Last) InsideColumns(int colOffset, int stride, int width, int outW)
    {
        int first = Math.Clamp((-colOffset + stride - 1) / stride, 0, outW);
        return (first, Math.Clamp((width - colOffset + stride - 1) / stride, first, outW));
    }

    // Short runs (one output row, or one run of an implicit column panel) are moved with inline vector
    // code, the last vector overlapping the one before: a library call per row costs more than the copy.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe void CopyRun(float* src, float* dst, int n)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            for (; i <= n - 8; i += 8) Vector256.Load(src + i).Store(dst + i);
            if (i < n) Vector256.Load(src + n - 8).Store(dst + n - 8);
            return;
        }
        for (; i < n; i++) dst[i] = src[i];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AddRun(float* src, float* dst, int n)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8) (Vector256.Load(dst + i) + Vector256.Load(src + i)).Store(dst + i);
        for (; i < n; i++) dst[i] += src[i];
    }

    private static void Check(int imageLength, int columnsLength, int channels, in ConvolutionGeometry g, int rows)
    {
        if (g.OutputHeight <= 0 || g.OutputWidth <= 0)
            throw new ArgumentException($"im2col: a {g.KernelH}x{g.KernelW} kernel (dilation {g.DilationH}x{g.DilationW}) does not fit a {g.Height}x{g.Width} input padded by {g.PadH}x{g.PadW}");
        long needImage = (long)channels * g.Height * g.Width;
        long needColumns = (long)channels * g.KernelH * g.KernelW * rows * g.OutputWidth;
        if (imageLength < needImage || columnsLength < needColumns)
            throw new ArgumentException($"im2col: image needs {needImage} and columns {needColumns} elements, got {imageLength} and {columnsLength}");
    }
}
