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
}
