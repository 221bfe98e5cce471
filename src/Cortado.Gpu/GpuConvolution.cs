using Cortado.Compute;

namespace Cortado.Gpu;

/// <summary>
/// Convolution and deconvolution on the device as Caffe's GPU mode computes them: per image an
/// im2col into one column buffer and a GEMM per group (cuBLAS where present), the bias added and
/// its gradient summed over the whole batch in one kernel each. Images go in order, so parameter
/// gradients add up the same way on every run.
/// </summary>
internal sealed class GpuConvolution(GpuCompute compute) : IConvolution
{
    private DeviceBuffer<float>? _columns;

    public void Forward(in ConvolutionShape shape, DeviceSpan<float> input, DeviceSpan<float> weights, DeviceSpan<float> bias, DeviceSpan<float> output)
    {
        var s = shape;
        int inDim = s.BottomChannels * s.BottomSpatial, outDim = s.TopChannels * s.TopSpatial;
        var columns = Columns(s);
        for (int n = 0; n < s.Num; n++)
        {
            var source = input.Slice(n * inDim, inDim);
            var target = output.Slice(n * outDim, outDim);
            if (s.Reversed) BackwardData(s, source, weights, target, s.TopChannels, s.BottomChannels, columns);
            else ForwardImage(s, source, weights, target, s.BottomChannels, s.TopChannels, columns);
        }
        if (!bias.IsEmpty) compute.MapChannels(new AddOp(), output, bias, new ChannelLayout(s.Num, s.TopChannels, s.TopSpatial), output);
    }

    public void Backward(in ConvolutionShape shape, DeviceSpan<float> input, DeviceSpan<float> outputDiff, DeviceSpan<float> weights,
        DeviceSpan<float> inputDiff, DeviceSpan<float> weightDiff, DeviceSpan<float> biasDiff)
    {
        var s = shape;
        int inDim = s.BottomChannels * s.BottomSpatial, outDim = s.TopChannels * s.TopSpatial;
        if (!biasDiff.IsEmpty) compute.ChannelSums(outputDiff, default, new ChannelLayout(s.Num, s.TopChannels, s.TopSpatial), biasDiff, accumulate: true);
        var columns = Columns(s);
        for (int n = 0; n < s.Num; n++)
        {
            var gradient = outputDiff.Slice(n * outDim, outDim);
            var source = input.Slice(n * inDim, inDim);
            if (s.Reversed)
            {
                // The roles of input and output swap: columns come from the output gradient.
                if (!weightDiff.IsEmpty) WeightGemm(s, gradient, source, weightDiff, s.TopChannels, s.BottomChannels, columns);
                if (!inputDiff.IsEmpty) ForwardImage(s, gradient, weights, inputDiff.Slice(n * inDim, inDim), s.TopChannels, s.BottomChannels, columns);
            }
            else
            {
                if (!weightDiff.IsEmpty) WeightGemm(s, source, gradient, weightDiff, s.BottomChannels, s.TopChannels, columns);
                if (!inputDiff.IsEmpty) BackwardData(s, gradient, weights, inputDiff.Slice(n * inDim, inDim), s.BottomChannels, s.TopChannels, columns);
            }
        }
    }

    private DeviceSpan<float> Columns(in ConvolutionShape s)
    {
        var g = s.ColumnGeometry;
        int length = (s.Reversed ? s.TopChannels : s.BottomChannels) * g.KernelH * g.KernelW * g.OutputHeight * g.OutputWidth;
        if (_columns is null || _columns.Length < length) _columns = compute.Allocate<float>(length);
        return _columns.All.Slice(0, length);
    }

    /// <summary>output(M x S) = W(M x K) columns(K x S) per group, for one image.</summary>
    private void ForwardImage(in ConvolutionShape s, DeviceSpan<float> input, DeviceSpan<float> weights, DeviceSpan<float> output,
        int inChannels, int outChannels, DeviceSpan<float> columns)
    {
        var g = s.ColumnGeometry;
        compute.Im2Col(input, inChannels, g, columns);
        int k = inChannels / s.Group * g.KernelH * g.KernelW, m = outChannels / s.Group, spatial = g.OutputHeight * g.OutputWidth;
        for (int group = 0; group < s.Group; group++)
            compute.Gemm(Transpose.No, Transpose.No, m, spatial, k, 1f, weights.Slice(group * m * k, m * k), columns.Slice(group * k * spatial, k * spatial),
                0f, output.Slice(group * m * spatial, m * spatial));
    }

    /// <summary>input gradient = col2im(W^T output gradient) for one image.</summary>
    private void BackwardData(in ConvolutionShape s, DeviceSpan<float> outputDiff, DeviceSpan<float> weights, DeviceSpan<float> inputDiff,
        int inChannels, int outChannels, DeviceSpan<float> columns)
    {
        var g = s.ColumnGeometry;
        int k = inChannels / s.Group * g.KernelH * g.KernelW, m = outChannels / s.Group, spatial = g.OutputHeight * g.OutputWidth;
        for (int group = 0; group < s.Group; group++)
            compute.Gemm(Transpose.Yes, Transpose.No, k, spatial, m, 1f, weights.Slice(group * m * k, m * k), outputDiff.Slice(group * m * spatial, m * spatial),
                0f, columns.Slice(group * k * spatial, k * spatial));
        compute.Col2Im(columns, inChannels, g, inputDiff);
    }

    /// <summary>dW += output gradient columns(input)^T for one image.</summary>
    private void WeightGemm(in ConvolutionShape s, DeviceSpan<float> input, DeviceSpan<float> outputDiff, DeviceSpan<float> weightDiff,
        int inChannels, int outChannels, DeviceSpan<float> columns)
    {
        var g = s.ColumnGeometry;
        compute.Im2Col(input, inChannels, g, columns);
        int k = inChannels / s.Group * g.KernelH * g.KernelW, m = outChannels / s.Group, spatial = g.OutputHeight * g.OutputWidth;
        for (int group = 0; group < s.Group; group++)
            compute.Gemm(Transpose.No, Transpose.Yes, m, k, spatial, 1f, outputDiff.Slice(group * m * spatial, m * spatial), columns.Slice(group * k * spatial, k * spatial),
                1f, weightDiff.Slice(group * m * k, m * k));
    }
}
