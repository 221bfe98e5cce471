using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// Transposed convolution (the adjoint of Convolution with the same parameters): output size
/// stride (H - 1) + dil (K - 1) + 1 - 2 pad. Weights are (in, out / group, KH, KW), as in Caffe.
/// </summary>
[LayerType("Deconvolution")]
public sealed class DeconvolutionLayer(LayerParameter param, LayerContext context) : BaseConvolutionLayer(param, context)
{
    public override string Type => "Deconvolution";
    protected override bool Reversed => true;

    protected override unsafe void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        for (int i = 0; i < bottom.Count; i++)
        {
            int num = bottom[i].Shape[0], inDim = bottom[i].CountFrom(1), outDim = top[i].CountFrom(1), spatial = top[i].CountFrom(2);
            fixed (float* input = bottom[i].Data, output = top[i].Data, weights = Blobs[0].Data)
            {
                nint x = (nint)input, y = (nint)output, w = (nint)weights;
                int weightCount = Blobs[0].Count;
                ForEachImage(num, (columns, n) =>
                {
                    var image = new Span<float>((float*)y + (long)n * outDim, outDim);
                    BackwardGemm(new ReadOnlySpan<float>((float*)x + (long)n * inDim, inDim), new ReadOnlySpan<float>((float*)w, weightCount), image, NumOutput, Channels, columns);
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
                    // The roles of input and output swap: columns come from the output gradient.
                    if (weightGradient) WeightGemm(gradient, new ReadOnlySpan<float>((float*)x + (long)n * inDim, inDim), weightDiff, NumOutput, Channels, columns);
                    if (dataGradient) ForwardGemm(gradient, new ReadOnlySpan<float>((float*)w, weightCount), new Span<float>((float*)dx + (long)n * inDim, inDim), NumOutput, Channels, columns);
                });
            }
        }
    }
}
