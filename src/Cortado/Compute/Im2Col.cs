namespace Cortado.Compute;

/// <summary>
/// Caffe's im2col and col2im for 2-D convolution. im2col lays out every kernel-sized window of
/// a C x H x W image as a column, giving a (C*KH*KW) x (OH*OW) matrix, so a convolution becomes
/// one GEMM; positions in the padding read as 0. col2im is its adjoint: it sums each column
/// entry back into the image position it came from (the gradient of im2col).
/// </summary>
public static class Im2Col
{
    public static void Forward(ReadOnlySpan<float> image, int channels, in ConvolutionGeometry g, Span<float> columns)
    {
        int outH = g.OutputHeight, outW = g.OutputWidth, plane = g.Height * g.Width;
        Check(image.Length, columns.Length, channels, g);
        int col = 0;
        for (int c = 0; c < channels; c++)
        {
            var channel = image.Slice(c * plane, plane);
            for (int kh = 0; kh < g.KernelH; kh++)
            {
                for (int kw = 0; kw < g.KernelW; kw++)
                {
                    int rowOffset = kh * g.DilationH - g.PadH;
                    int colOffset = kw * g.DilationW - g.PadW;
                    for (int oh = 0; oh < outH; oh++, col += outW)
                    {
                        var dst = columns.Slice(col, outW);
                        int ih = rowOffset + oh * g.StrideH;
                        if ((uint)ih >= (uint)g.Height) { dst.Clear(); continue; }
                        var src = channel.Slice(ih * g.Width, g.Width);
                        if (g.StrideW == 1)
                        {
                            // One contiguous run of the input row, with zeros where the window hangs over the padding.
                            int first = Math.Max(0, -colOffset), last = Math.Min(outW, g.Width - colOffset);
                            if (last <= first) { dst.Clear(); continue; }
                            dst[..first].Clear();
                            src.Slice(first + colOffset, last - first).CopyTo(dst[first..last]);
                            dst[last..].Clear();
                        }
                        else
                        {
                            for (int ow = 0, iw = colOffset; ow < outW; ow++, iw += g.StrideW)
                                dst[ow] = (uint)iw < (uint)g.Width ? src[iw] : 0f;
                        }
                    }
                }
            }
        }
    }

    /// <summary>Sums columns back into the image; the image is overwritten (cleared first).</summary>
    public static void Backward(ReadOnlySpan<float> columns, int channels, in ConvolutionGeometry g, Span<float> image)
    {
        int outH = g.OutputHeight, outW = g.OutputWidth, plane = g.Height * g.Width;
        Check(image.Length, columns.Length, channels, g);
        image[..(channels * plane)].Clear();
        int col = 0;
        for (int c = 0; c < channels; c++)
        {
            var channel = image.Slice(c * plane, plane);
            for (int kh = 0; kh < g.KernelH; kh++)
            {
                for (int kw = 0; kw < g.KernelW; kw++)
                {
                    int rowOffset = kh * g.DilationH - g.PadH;
                    int colOffset = kw * g.DilationW - g.PadW;
                    for (int oh = 0; oh < outH; oh++, col += outW)
                    {
                        int ih = rowOffset + oh * g.StrideH;
                        if ((uint)ih >= (uint)g.Height) continue;
                        var src = columns.Slice(col, outW);
                        var dst = channel.Slice(ih * g.Width, g.Width);
                        for (int ow = 0, iw = colOffset; ow < outW; ow++, iw += g.StrideW)
                            if ((uint)iw < (uint)g.Width) dst[iw] += src[ow];
                    }
                }
            }
        }
    }

    private static void Check(int imageLength, int columnsLength, int channels, in ConvolutionGeometry g)
    {
        if (g.OutputHeight <= 0 || g.OutputWidth <= 0)
            throw new ArgumentException($"im2col: a {g.KernelH}x{g.KernelW} kernel (dilation {g.DilationH}x{g.DilationW}) does not fit a {g.Height}x{g.Width} input padded by {g.PadH}x{g.PadW}");
        long needImage = (long)channels * g.Height * g.Width;
        long needColumns = (long)channels * g.KernelH * g.KernelW * g.OutputHeight * g.OutputWidth;
        if (imageLength < needImage || columnsLength < needColumns)
            throw new ArgumentException($"im2col: image needs {needImage} and columns {needColumns} elements, got {imageLength} and {columnsLength}");
    }
}
