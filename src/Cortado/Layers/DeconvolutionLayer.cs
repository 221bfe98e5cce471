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
}
