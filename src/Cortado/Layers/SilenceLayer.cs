using Cortado.Compute;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>Consumes bottoms so they are not net outputs; passes zero gradients back.</summary>
[LayerType("Silence")]
public sealed class SilenceLayer(LayerParameter param, LayerContext context) : Layer(param, context)
{
    public override string Type => "Silence";
    public override int MinBottomBlobs => 1;
    public override int ExactNumTopBlobs => 0;

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) { }
    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) { }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        for (int i = 0; i < bottom.Count; i++) if (propagateDown[i]) Backend.Fill(WriteDiff(bottom[i]), 0f);
    }
}
