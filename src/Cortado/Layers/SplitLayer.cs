using Cortado.Compute;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>Copies one blob to several readers (inserted by the net); backward sums their gradients.</summary>
[LayerType("Split")]
public sealed class SplitLayer(LayerParameter param, LayerContext context) : Layer(param, context)
{
    public override string Type => "Split";
    public override bool AllowsInPlace => false;
    public override int ExactNumBottomBlobs => 1;
    public override int MinTopBlobs => 1;

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        foreach (var t in top)
        {
            t.ReshapeLike(bottom[0]);
            t.ShareData(bottom[0]);
        }
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) { }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        var dx = WriteDiff(bottom[0]);
        Backend.Copy(ReadDiff(top[0]), dx);
        for (int i = 1; i < top.Count; i++) Backend.Axpy(1f, ReadDiff(top[i]), dx);
    }
}
