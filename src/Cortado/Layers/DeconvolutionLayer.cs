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

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) =>
        ForwardImages(bottom, top, (input, weights, output, columns) => BackwardGemm(input, weights, output, NumOutput, Channels, columns));

    // The roles of input and output swap: columns come from the output gradient.
    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom) =>
        BackwardImages(top, propagateDown, bottom, (input, outputDiff, weights, inputDiff, weightDiff, columns) =>
        {
            if (!weightDiff.IsEmpty) WeightGemm(outputDiff, input, weightDiff, NumOutput, Channels, columns);
            if (!inputDiff.IsEmpty) ForwardGemm(outputDiff, weights, inputDiff, NumOutput, Channels, columns);
        });
}
