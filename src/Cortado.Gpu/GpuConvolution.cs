using Cortado.Compute;

namespace Cortado.Gpu;

/// <summary>
/// Convolution and deconvolution on the device with one GEMM per group for a whole chunk of
/// images: the chunk's im2col lies side by side in one column buffer, the product comes out as
/// (channels, images, positions) and one kernel swaps it into the blob's (images, channels,
/// positions). A per-image product (Caffe's GPU mode) is too narrow to fill a GPU at small image
/// sizes. Chunks are as many images as fit <see cref="ColumnBudget"/>; the bias is added and its
/// gradient summed over the whole batch in one kernel each. "Input side" and "output side" are the
/// column geometry's (the top is the input side of a deconvolution).
/// </summary>
internal sealed class GpuConvolution(GpuCompute compute) : IConvolution
{
    /// <summary>Floats in each of the column and product buffers (64 MB): large enough for whole batches of small images.</summary>
    private const int ColumnBudget = 1 << 24;

    private DeviceBuffer<float>? _columns, _products;

    public void Forward(in ConvolutionShape shape, DeviceSpan<float> input, DeviceSpan<float> weights, DeviceSpan<float> bias, DeviceSpan<float> output, bool rectify = false)
    {
        var s = shape;
        int inDim = s.BottomChannels * s.BottomSpatial, outDim = s.TopChannels * s.TopSpatial;
        var (inSide, outSide) = Sides(s);
        int chunk = ChunkSize(s);
        for (int first = 0; first < s.Num; first += chunk)
        {
            int count = Math.Min(chunk, s.Num - first);
            var source = input.Slice(first * inDim, count * inDim);
            var target = output.Slice(first * outDim, count * outDim);
            // A deconvolution's forward pass is a convolution's backward-data product.
            if (s.Reversed) DataGradient(s, source, weights, target, inSide, outSide, count);
            else Product(s, source, weights, target, inSide, outSide, count);
        }
        if (!bias.IsEmpty) compute.MapChannels(new AddOp(), output, bias, new ChannelLayout(s.Num, s.TopChannels, s.TopSpatial), output);
        if (rectify) compute.ReluForward(output, 0f, output);
    }

    public void Backward(in ConvolutionShape shape, DeviceSpan<float> input, DeviceSpan<float> outputDiff, DeviceSpan<float> weights,
        DeviceSpan<float> inputDiff, DeviceSpan<float> weightDiff, DeviceSpan<float> biasDiff, bool rectifyInputGradient = false)
    {
        var s = shape;
        int inDim = s.BottomChannels * s.BottomSpatial, outDim = s.TopChannels * s.TopSpatial;
        if (!biasDiff.IsEmpty) compute.ChannelSums(outputDiff, default, new ChannelLayout(s.Num, s.TopChannels, s.TopSpatial), biasDiff, accumulate: true);
        var (inSide, outSide) = Sides(s);
        int chunk = ChunkSize(s);
        for (int first = 0; first < s.Num; first += chunk)
        {
            int count = Math.Min(chunk, s.Num - first);
            var gradient = outputDiff.Slice(first * outDim, count * outDim);
            var source = input.Slice(first * inDim, count * inDim);
            var sourceDiff = inputDiff.IsEmpty ? default : inputDiff.Slice(first * inDim, count * inDim);
            if (s.Reversed)
            {
                // The roles swap: the columns come from the top's gradient, and the bottom's is their product.
                if (!weightDiff.IsEmpty) WeightGradient(s, gradient, source, weightDiff, inSide, outSide, count);
                if (!inputDiff.IsEmpty) Product(s, gradient, weights, sourceDiff, inSide, outSide, count);
            }
            else
            {
                if (!weightDiff.IsEmpty) WeightGradient(s, source, gradient, weightDiff, inSide, outSide, count);
                if (!inputDiff.IsEmpty) DataGradient(s, gradient, weights, sourceDiff, inSide, outSide, count);
            }
        }
        if (rectifyInputGradient && !inputDiff.IsEmpty) compute.ReluBackward(input, inputDiff, 0f, inputDiff);
    }

    /// <summary>Channels on the column geometry's input side and output side.</summary>
    private static (int In, int Out) Sides(in ConvolutionShape s) => s.Reversed ? (s.TopChannels, s.BottomChannels) : (s.BottomChannels, s.TopChannels);

    private static int ChunkSize(in ConvolutionShape s)
    {
        var g = s.ColumnGeometry;
        var (inSide, outSide) = Sides(s);
        long spatial = (long)g.OutputHeight * g.OutputWidth;
        long perImage = Math.Max(inSide * g.KernelH * g.KernelW, outSide) * spatial;
        return (int)Math.Clamp(ColumnBudget / Math.Max(perImage, 1), 1, Math.Max(s.Num, 1));
    }

    private static DeviceSpan<float> Ensure(GpuCompute compute, ref DeviceBuffer<float>? buffer, long length)
    {
        if (buffer is null || buffer.Length < length) buffer = compute.Allocate<float>(checked((int)length));
        return buffer.All.Slice(0, (int)length);
    }

    /// <summary>output (images, M, S) = W (M x K) columns(input) (K x images S), per group.</summary>
    private void Product(in ConvolutionShape s, DeviceSpan<float> input, DeviceSpan<float> weights, DeviceSpan<float> output, int inChannels, int outChannels, int images)
    {
        var g = s.ColumnGeometry;
        int k = inChannels / s.Group * g.KernelH * g.KernelW, m = outChannels / s.Group, width = images * g.OutputHeight * g.OutputWidth;
        var columns = Ensure(compute, ref _columns, (long)inChannels * g.KernelH * g.KernelW * width);
        compute.Im2Col(input, inChannels, images, g, columns);
        // One image needs no reordering: the product is already in the blob's order.
        var products = images == 1 ? output : Ensure(compute, ref _products, (long)outChannels * width);
        for (int group = 0; group < s.Group; group++)
            compute.Gemm(Transpose.No, Transpose.No, m, width, k, 1f, weights.Slice(group * m * k, m * k), columns.Slice(group * k * width, k * width),
                0f, products.Slice(group * m * width, m * width));
        if (images > 1) compute.SwapOuter(products, outChannels, images, width / images, output);
    }

    /// <summary>The output side's gradient (images, M, S) as the product's (M, images S), reordered in the product buffer (or itself, for one image).</summary>
    private DeviceSpan<float> ProductOrder(DeviceSpan<float> outputDiff, int outChannels, int images, int spatial)
    {
        if (images == 1) return outputDiff;
        var ordered = Ensure(compute, ref _products, (long)outChannels * images * spatial);
        compute.SwapOuter(outputDiff, images, outChannels, spatial, ordered);
        return ordered;
    }

    /// <summary>input gradient = col2im(W^T output gradient), per group.</summary>
    private void DataGradient(in ConvolutionShape s, DeviceSpan<float> outputDiff, DeviceSpan<float> weights, DeviceSpan<float> inputDiff, int inChannels, int outChannels, int images)
    {
        var g = s.ColumnGeometry;
        int spatial = g.OutputHeight * g.OutputWidth;
        int k = inChannels / s.Group * g.KernelH * g.KernelW, m = outChannels / s.Group, width = images * spatial;
        var gradient = ProductOrder(outputDiff, outChannels, images, spatial);
        var columns = Ensure(compute, ref _columns, (long)inChannels * g.KernelH * g.KernelW * width);
        for (int group = 0; group < s.Group; group++)
            compute.Gemm(Transpose.Yes, Transpose.No, k, width, m, 1f, weights.Slice(group * m * k, m * k), gradient.Slice(group * m * width, m * width),
                0f, columns.Slice(group * k * width, k * width));
        compute.Col2Im(columns, inChannels, images, g, inputDiff);
    }

    /// <summary>dW += output gradient (M x images S) columns(input)^T, per group.</summary>
    private void WeightGradient(in ConvolutionShape s, DeviceSpan<float> input, DeviceSpan<float> outputDiff, DeviceSpan<float> weightDiff, int inChannels, int outChannels, int images)
    {
        var g = s.ColumnGeometry;
        int spatial = g.OutputHeight * g.OutputWidth;
        int k = inChannels / s.Group * g.KernelH * g.KernelW, m = outChannels / s.Group, width = images * spatial;
        var gradient = ProductOrder(outputDiff, outChannels, images, spatial);
        var columns = Ensure(compute, ref _columns, (long)inChannels * g.KernelH * g.KernelW * width);
        compute.Im2Col(input, inChannels, images, g, columns);
        for (int group = 0; group < s.Group; group++)
            compute.Gemm(Transpose.No, Transpose.Yes, m, k, width, 1f, gradient.Slice(group * m * width, m * width), columns.Slice(group * k * width, k * width),
                1f, weightDiff.Slice(group * m * k, m * k));
    }
}
