using Cortado.Compute;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// Picks samples by index: top[i] = bottom[permut[i]] for the indices in the second bottom (any
/// order, repeats allowed). Backward adds each top's gradient into the sample it came from.
/// </summary>
[LayerType("BatchReindex")]
public sealed class BatchReindexLayer(LayerParameter param, LayerContext context) : Layer(param, context)
{
    public override string Type => "BatchReindex";
    public override int ExactNumBottomBlobs => 2;
    public override int ExactNumTopBlobs => 1;
    public override bool AllowForceBackward(int bottomIndex) => bottomIndex == 0;
    private int _inner;

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        if (bottom[1].NumAxes != 1) throw Error($"the indices must be a 1-D blob, got {bottom[1].ShapeString}");
        var shape = bottom[0].Shape.ToArray();
        shape[0] = bottom[1].Count;
        top[0].Reshape(shape);
        _inner = bottom[0].CountFrom(1);
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        float bad = Backend.Gather(ReadData(bottom[0]), bottom[0].Shape[0], ReadData(bottom[1]), _inner, WriteData(top[0]));
        if (!float.IsNaN(bad)) throw Error($"index {bad} is not a sample of the {bottom[0].Shape[0]} in the first bottom");
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (propagateDown[1]) throw Error("cannot backpropagate to the indices");
        if (!propagateDown[0]) return;
        var dx = WriteDiff(bottom[0]);
        Backend.Fill(dx, 0f);
        Backend.ScatterAdd(ReadDiff(top[0]), ReadData(bottom[1]), _inner, dx);
    }
}
