using Cortado.Compute;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// The products of Convolution and Deconvolution over any number of spatial axes (Caffe's N-D
/// path: 1-D and 3-D kernels, or a channel axis other than 1), as Caffe computes them: per image
/// (every index before the channel axis) an N-D im2col, then one GEMM per group. The "column side"
/// is the blob im2col reads: the bottom for Convolution, the top for Deconvolution, whose forward
/// is Convolution's input gradient. The 2-D layers keep the backend's tuned convolution.
/// </summary>
internal sealed class NdConvolution(ICompute backend, int channels, int numOutput, int group, bool reversed,
    (int[] Kernel, int[] Stride, int[] Pad, int[] Dilation) window)
{
    private readonly Blob _columns = new(), _ones = new();
    private ConvolutionGeometryNd _geometry = null!;

    public (int[] Kernel, int[] Stride, int[] Pad, int[] Dilation) Window => window;
    private int ColumnChannels => reversed ? numOutput : channels;
    private int OtherChannels => reversed ? channels : numOutput;
    /// <summary>Rows of one group's columns: its share of the column side's channels times the kernel.</summary>
    private int GroupRows => ColumnChannels / group * _geometry.KernelSize;
    private int ColumnLength => _geometry.OutputSize;

    /// <summary>Sizes the window for a bottom's spatial shape; returns the top's, or null when no output fits.</summary>
    public int[]? Reshape(int[] bottomSpatial)
    {
        int[] top;
        if (!reversed)
        {
            _geometry = new ConvolutionGeometryNd(bottomSpatial, window.Kernel, window.Pad, window.Stride, window.Dilation);
            top = _geometry.Output;
        }
        else
        {
            top = [.. bottomSpatial.Select((size, a) => window.Stride[a] * (size - 1) + (window.Dilation[a] * (window.Kernel[a] - 1) + 1) - 2 * window.Pad[a])];
            if (top.Any(s => s <= 0)) return null;
            _geometry = new ConvolutionGeometryNd(top, window.Kernel, window.Pad, window.Stride, window.Dilation);
        }
        if (top.Any(s => s <= 0)) return null;
        _columns.Reshape(ColumnChannels * _geometry.KernelSize, ColumnLength);
        int topSpatial = top.Aggregate(1, (p, s) => p * s);
        if (_ones.Count != topSpatial)
        {
            _ones.Reshape(topSpatial);
            backend.Fill(_ones.WriteData(backend), 1f);
        }
        return top;
    }

    private int ColumnSideSize => ColumnChannels * _geometry.InputSize;
    private int OtherSideSize => OtherChannels * ColumnLength;
    // One image of the bottom and of the top: the column side is the bottom for Convolution, the top for Deconvolution.
    private int BottomImageSize => reversed ? OtherSideSize : ColumnSideSize;
    private int TopImageSize => reversed ? ColumnSideSize : OtherSideSize;
    private int PerGroupOther => OtherChannels / group;

    public void Forward(int images, DeviceSpan<float> x, DeviceSpan<float> weights, DeviceSpan<float> bias, DeviceSpan<float> y)
    {
        var columns = _columns.WriteData(backend);
        int topSize = TopImageSize, bottomSize = BottomImageSize, perGroupOut = PerGroupOther, rows = GroupRows, length = ColumnLength;
        for (int n = 0; n < images; n++)
        {
            var image = x.Slice(n * bottomSize, bottomSize);
            var output = y.Slice(n * topSize, topSize);
            if (!reversed)
            {
                backend.Im2ColNd(image, channels, _geometry, columns);
                for (int g = 0; g < group; g++)
                    backend.Gemm(Transpose.No, Transpose.No, perGroupOut, length, rows, 1f, weights.Slice(g * perGroupOut * rows), columns.Slice(g * rows * length), 0f, output.Slice(g * perGroupOut * length));
            }
            else
            {
                for (int g = 0; g < group; g++)
                    backend.Gemm(Transpose.Yes, Transpose.No, rows, length, perGroupOut, 1f, weights.Slice(g * perGroupOut * rows), image.Slice(g * perGroupOut * length), 0f, columns.Slice(g * rows * length));
                backend.Col2ImNd(columns, numOutput, _geometry, output);
            }
            if (!bias.IsEmpty) backend.Gemm(Transpose.No, Transpose.No, numOutput, _ones.Count, 1, 1f, bias, _ones.ReadData(backend), 1f, output);
        }
    }

    /// <summary>Overwrites dx; adds into the weight and bias gradients. Empty spans are not wanted.</summary>
    public void Backward(int images, DeviceSpan<float> x, DeviceSpan<float> dy, DeviceSpan<float> weights, DeviceSpan<float> dx, DeviceSpan<float> weightDiff, DeviceSpan<float> biasDiff)
    {
        var columns = _columns.WriteData(backend);
        int topSize = TopImageSize, bottomSize = BottomImageSize, perGroupOut = PerGroupOther, rows = GroupRows, length = ColumnLength;
        for (int n = 0; n < images; n++)
        {
            var image = x.Slice(n * bottomSize, bottomSize);
            var gradient = dy.Slice(n * topSize, topSize);
            if (!biasDiff.IsEmpty) backend.Gemv(Transpose.No, numOutput, _ones.Count, 1f, gradient, _ones.ReadData(backend), 1f, biasDiff);
            if (!reversed)
            {
                if (!weightDiff.IsEmpty)
                {
                    backend.Im2ColNd(image, channels, _geometry, columns);
                    for (int g = 0; g < group; g++)
                        backend.Gemm(Transpose.No, Transpose.Yes, perGroupOut, rows, length, 1f, gradient.Slice(g * perGroupOut * length), columns.Slice(g * rows * length), 1f, weightDiff.Slice(g * perGroupOut * rows));
                }
                if (dx.IsEmpty) continue;
                for (int g = 0; g < group; g++)
                    backend.Gemm(Transpose.Yes, Transpose.No, rows, length, perGroupOut, 1f, weights.Slice(g * perGroupOut * rows), gradient.Slice(g * perGroupOut * length), 0f, columns.Slice(g * rows * length));
                backend.Col2ImNd(columns, channels, _geometry, dx.Slice(n * bottomSize, bottomSize));
            }
            else
            {
                if (weightDiff.IsEmpty && dx.IsEmpty) continue;
                backend.Im2ColNd(gradient, numOutput, _geometry, columns);
                for (int g = 0; g < group; g++)
                {
                    if (!weightDiff.IsEmpty)
                        backend.Gemm(Transpose.No, Transpose.Yes, perGroupOut, rows, length, 1f, image.Slice(g * perGroupOut * length), columns.Slice(g * rows * length), 1f, weightDiff.Slice(g * perGroupOut * rows));
                    if (!dx.IsEmpty)
                        backend.Gemm(Transpose.No, Transpose.No, perGroupOut, length, rows, 1f, weights.Slice(g * perGroupOut * rows), columns.Slice(g * rows * length), 0f, dx.Slice(n * bottomSize + g * perGroupOut * length, perGroupOut * length));
                }
            }
        }
    }
}
