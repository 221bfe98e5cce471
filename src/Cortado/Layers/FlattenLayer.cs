using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>Merges axes [axis, end_axis] into one; the data are not moved (the top shares the bottom's buffers).</summary>
[LayerType("Flatten")]
public sealed class FlattenLayer(LayerParameter param, LayerContext context) : Layer(param, context)
{
    public override string Type => "Flatten";
    public override int ExactNumBottomBlobs => 1;
    public override int ExactNumTopBlobs => 1;

    public override bool AllowsInPlace => false;

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.FlattenParam ?? new FlattenParameter();
        int start = bottom[0].CanonicalAxis(p.Axis), end = bottom[0].CanonicalAxis(p.EndAxis);
        var shape = bottom[0].Shape.Take(start).Append(bottom[0].CountRange(start, end + 1)).Concat(bottom[0].Shape.Skip(end + 1)).ToArray();
        top[0].Reshape(shape);
        top[0].ShareData(bottom[0]);
        top[0].ShareDiff(bottom[0]);
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) { }
    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom) { }
}
