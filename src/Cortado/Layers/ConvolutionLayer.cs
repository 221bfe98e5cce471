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

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var weights = Blobs[0].Data;
        for (int i = 0; i < bottom.Count; i++)
        {
            int num = bottom[i].Shape[0], inDim = bottom[i].CountFrom(1), outDim = top[i].CountFrom(1), spatial = top[i].CountFrom(2);
            for (int n = 0; n < num; n++)
            {
                var output = top[i].Data.Slice(n * outDim, outDim);
                ForwardGemm(bottom[i].Data.Slice(n * inDim, inDim), weights, output, Channels, NumOutput);
                if (BiasTerm) AddBias(output, spatial);
            }
        }
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        var weights = Blobs[0].Data;
        for (int i = 0; i < top.Count; i++)
        {
            int num = bottom[i].Shape[0], inDim = bottom[i].CountFrom(1), outDim = top[i].CountFrom(1), spatial = top[i].CountFrom(2);
            for (int n = 0; n < num; n++)
            {
                var outputDiff = top[i].Diff.Slice(n * outDim, outDim);
                if (BiasTerm && ParamPropagateDown[1]) BiasGradient(outputDiff, spatial);
                if (ParamPropagateDown[0]) WeightGemm(bottom[i].Data.Slice(n * inDim, inDim), outputDiff, Blobs[0].Diff, Channels, NumOutput);
                if (propagateDown[i]) BackwardGemm(outputDiff, weights, bottom[i].Diff.Slice(n * inDim, inDim), Channels, NumOutput);
            }
        }
    }
}
