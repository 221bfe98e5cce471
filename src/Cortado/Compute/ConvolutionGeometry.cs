namespace Cortado.Compute;

/// <summary>
/// The 2-D window of a convolution or pooling over one H x W plane: kernel, padding, stride
/// and dilation per axis, and the output size each implies.
/// </summary>
public readonly record struct ConvolutionGeometry(
    int Height, int Width, int KernelH, int KernelW,
    int PadH = 0, int PadW = 0, int StrideH = 1, int StrideW = 1, int DilationH = 1, int DilationW = 1)
{
    /// <summary>Convolution output height: rounded down, as in Caffe.</summary>
    public int OutputHeight => (Height + 2 * PadH - (DilationH * (KernelH - 1) + 1)) / StrideH + 1;
    public int OutputWidth => (Width + 2 * PadW - (DilationW * (KernelW - 1) + 1)) / StrideW + 1;
}
