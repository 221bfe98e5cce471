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

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var weights = Blobs[0].Data;
        for (int i = 0; i < bottom.Count; i++)
        {
            int num = bottom[i].Shape[0], inDim = bottom[i].CountFrom(1), outDim = top[i].CountFrom(1), spatial = top[i].CountFrom(2);
            for (int n = 0; n < num; n++)
            {
                var output = top[i].Data.Slice(n * outDim, outDim);
                BackwardGemm(bottom[i].Data.Slice(n * inDim, inDim), weights, output, NumOutput, Channels);
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
                // The roles of input and output swap: columns come from the output gradient.
                if (ParamPropagateDown[0]) WeightGemm(outputDiff, bottom[i].Data.Slice(n * inDim, inDim), Blobs[0].Diff, NumOutput, Channels);
                if (propagateDown[i]) ForwardGemm(outputDiff, weights, bottom[i].Diff.Slice(n * inDim, inDim), NumOutput, Channels);
            }
        }
    }
}
