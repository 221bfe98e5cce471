using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// 2-D convolution: top(n, o) = sum_c W(o, c) * bottom(n, c) + b(o), with Caffe's padding,
/// stride, dilation and groups; output size (H + 2 pad - (dil (K - 1) + 1)) / stride + 1,
/// rounded down. Computed per image as im2col then one GEMM per group.
/// </summary>
[LayerType("Convolution")]
public sealed class ConvolutionLayer(LayerParameter param, LayerContext context) : BaseConvolutionLayer(param, context)
{
    public override string Type => "Convolution";
    protected override bool Reversed => false;

    protected override unsafe void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        for (int i = 0; i < bottom.Count; i++)
        {
            int num = bottom[i].Shape[0], inDim = bottom[i].CountFrom(1), outDim = top[i].CountFrom(1), spatial = top[i].CountFrom(2);
            fixed (float* input = bottom[i].Data, output = top[i].Data, weights = Blobs[0].Data)
            {
                nint x = (nint)input, y = (nint)output, w = (nint)weights;
                int weightCount = Blobs[0].Count;
                if (SplitRows(num))
                {
                    int width = ColumnGeometry.OutputWidth;
                    for (int n = 0; n < num; n++)
                    {
                        int image = n;
                        ForEachRowBlock((columns, firstRow, rowCount) =>
                        {
                            var target = new Span<float>((float*)y + (long)image * outDim, outDim);
                            ForwardRows(new ReadOnlySpan<float>((float*)x + (long)image * inDim, inDim), new ReadOnlySpan<float>((float*)w, weightCount), target, Channels, NumOutput, columns, firstRow, rowCount);
                            if (BiasTerm) AddBias(target, spatial, firstRow * width, rowCount * width);
                        });
                    }
                    continue;
                }
                ForEachImage(num, (columns, n) =>
                {
                    var image = new Span<float>((float*)y + (long)n * outDim, outDim);
                    ForwardGemm(new ReadOnlySpan<float>((float*)x + (long)n * inDim, inDim), new ReadOnlySpan<float>((float*)w, weightCount), image, Channels, NumOutput, columns);
                    if (BiasTerm) AddBias(image, spatial);
                });
            }
        }
    }

    protected override unsafe void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        for (int i = 0; i < top.Count; i++)
        {
            int num = bottom[i].Shape[0], inDim = bottom[i].CountFrom(1), outDim = top[i].CountFrom(1), spatial = top[i].CountFrom(2);
            bool weightGradient = ParamPropagateDown[0], biasGradient = BiasTerm && ParamPropagateDown[1], dataGradient = propagateDown[i];
            fixed (float* input = bottom[i].Data, inputDiff = dataGradient ? bottom[i].Diff : Span<float>.Empty, outputDiff = top[i].Diff, weights = Blobs[0].Data)
            {
                nint x = (nint)input, dx = (nint)inputDiff, dy = (nint)outputDiff, w = (nint)weights;
                int weightCount = Blobs[0].Count;
                ForEachImageAccumulating(num, (columns, weightDiff, biasDiff, n) =>
                {
                    var gradient = new ReadOnlySpan<float>((float*)dy + (long)n * outDim, outDim);
                    if (biasGradient) BiasGradient(gradient, spatial, biasDiff);
                    if (weightGradient) WeightGemm(new ReadOnlySpan<float>((float*)x + (long)n * inDim, inDim), gradient, weightDiff, Channels, NumOutput, columns);
                    if (dataGradient) BackwardGemm(gradient, new ReadOnlySpan<float>((float*)w, weightCount), new Span<float>((float*)dx + (long)n * inDim, inDim), Channels, NumOutput, columns);
                });
            }
        }
    }
}
