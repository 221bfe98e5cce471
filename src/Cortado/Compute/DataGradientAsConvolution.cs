namespace Cortado.Compute;

/// <summary>
/// The data gradient of a stride-1 convolution is itself a convolution: of the output gradient,
/// padded by (K-1)*dilation - pad, with the kernels flipped and input and output channels swapped:
/// dX[c, i, j] = sum over o, kh, kw of W[o, c, KH-1-kh, KW-1-kw] * dYpadded[o, i + kh*d, j + kw*d].
/// Run as a convolution, it reads its columns from the image and needs no col2im (whose scattered
/// adds cost half as much as the product on CIFAR-10 quick's conv2).
/// </summary>
internal static class DataGradientAsConvolution
{
    /// <summary>Input channels per group below which col2im stays faster.</summary>
    public const int MinChannels = 16;

    /// <summary>
    /// The geometry of that convolution over the output gradient, or null where col2im is the
    /// better way: a stride above 1, padding beyond the kernel's reach, an output smaller than the
    /// input by more than 10% (a "valid" convolution, where the full one would multiply more)
    /// unless the full one runs by Winograd (2.25 or 2.78 times fewer products), or
    /// fewer than 16 input channels per group. Those become the product's rows, and each packed
    /// column of the output gradient then serves too few of them: with 8 input channels the flipped
    /// convolution took 5.3 ms per 100 16x16 images against col2im's 4.6, with 16 it took 8.4
    /// against 9.6 (`bench/run.sh conv`'s products, Zen 4).
    /// </summary>
    public static ConvolutionGeometry? Geometry(in ConvolutionShape s)
    {
        var g = s.ColumnGeometry;
        if (s.Reversed || g.StrideH != 1 || g.StrideW != 1 || s.BottomChannels / s.Group < MinChannels) return null;
        int padH = (g.KernelH - 1) * g.DilationH - g.PadH, padW = (g.KernelW - 1) * g.DilationW - g.PadW;
        if (padH < 0 || padW < 0) return null;
        var gradient = new ConvolutionGeometry(g.OutputHeight, g.OutputWidth, g.KernelH, g.KernelW, padH, padW, 1, 1, g.DilationH, g.DilationW);
        if (Winograd.Suits(new ConvolutionShape(s.Num, s.TopChannels, s.BottomChannels, s.Group, gradient, Reversed: false))) return gradient;
        if ((long)g.Height * g.Width * 10 > (long)g.OutputHeight * g.OutputWidth * 11) return null;
        return ImplicitColumns.Suits(gradient) ? gradient : null;
    }

    /// <summary>
    /// The flipped kernels, per group: W'[c][o][kh][kw] = W[o][c][KH-1-kh][KW-1-kw] for the group's
    /// input channels c and outputs o, groups one after another as the convolution's weights are.
    /// </summary>
    public static void FlipKernels(ReadOnlySpan<float> weights, in ConvolutionShape s, Span<float> flipped)
    {
        var g = s.ColumnGeometry;
        int outputs = s.TopChannels / s.Group, inputs = s.BottomChannels / s.Group, area = g.KernelH * g.KernelW;
        for (int group = 0; group < s.Group; group++)
        {
            var source = weights.Slice(group * outputs * inputs * area, outputs * inputs * area);
            var target = flipped.Slice(group * outputs * inputs * area, outputs * inputs * area);
            for (int o = 0; o < outputs; o++)
                for (int c = 0; c < inputs; c++)
                    for (int t = 0; t < area; t++)
                        target[(c * outputs + o) * area + (area - 1 - t)] = source[(o * inputs + c) * area + t];
        }
    }
}
