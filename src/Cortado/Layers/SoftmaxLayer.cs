using Cortado.Compute;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// y = exp(x - max) / sum exp(x - max) along <c>axis</c> (channels), independently for every
/// other position; dx = (dy - sum(dy y)) y.
/// </summary>
[LayerType("Softmax")]
public sealed class SoftmaxLayer(LayerParameter param, LayerContext context) : Layer(param, context)
{
    public override string Type => "Softmax";
    public override int ExactNumBottomBlobs => 1;
    public override int ExactNumTopBlobs => 1;
    private int _outer, _channels, _inner;

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        int axis = bottom[0].CanonicalAxis(Param.SoftmaxParam?.Axis ?? 1);
        (_outer, _channels, _inner) = (bottom[0].CountRange(0, axis), bottom[0].Shape[axis], bottom[0].CountFrom(axis + 1));
        top[0].ReshapeLike(bottom[0]);
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) =>
        Backend.Softmax(ReadData(bottom[0]), WriteData(top[0]), new ChannelLayout(_outer, _channels, _inner));

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        Backend.SoftmaxBackward(ReadData(top[0]), ReadDiff(top[0]), WriteDiff(bottom[0]), new ChannelLayout(_outer, _channels, _inner));
    }
}
