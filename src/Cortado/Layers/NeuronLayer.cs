using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>Base of elementwise layers: one bottom, one top of the same shape (in place allowed).</summary>
public abstract class NeuronLayer(LayerParameter param, LayerContext context) : Layer(param, context)
{
    public override int ExactNumBottomBlobs => 1;
    public override int ExactNumTopBlobs => 1;
    public override bool AllowsInPlace => true;

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) => top[0].ReshapeLike(bottom[0]);
}
