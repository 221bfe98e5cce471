using Cortado.Compute;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// Crops bottom 0 to the shape of bottom 1 on the axes from <c>axis</c> on (2: spatial), at
/// the given offsets (one for all, or one per cropped axis; 0 by default).
/// </summary>
[LayerType("Crop")]
public sealed class CropLayer(LayerParameter param, LayerContext context) : Layer(param, context)
{
    public override string Type => "Crop";
    public override int ExactNumBottomBlobs => 2;
    public override int ExactNumTopBlobs => 1;
    private int[] _offsets = [], _bottomShape = [], _topShape = [];

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.CropParam ?? new CropParameter();
        int axes = bottom[0].NumAxes, start = bottom[0].CanonicalAxis(p.Axis);
        if (bottom[1].NumAxes != axes) throw Error($"both bottoms need the same number of axes, got {bottom[0].ShapeString} and {bottom[1].ShapeString}");
        if (p.Offset.Count > 1 && p.Offset.Count != axes - start) throw Error($"{p.Offset.Count} offsets for {axes - start} cropped axes; give one, or one per axis");
        var shape = bottom[0].Shape.ToArray();
        _offsets = new int[axes];
        for (int a = start; a < axes; a++)
        {
            int offset = p.Offset.Count == 0 ? 0 : (int)p.Offset[p.Offset.Count == 1 ? 0 : a - start];
            shape[a] = bottom[1].Shape[a];
            if (offset + shape[a] > bottom[0].Shape[a])
                throw Error($"crop of {shape[a]} at offset {offset} on axis {a} exceeds the bottom's size {bottom[0].Shape[a]}");
            _offsets[a] = offset;
        }
        top[0].Reshape(shape);
        (_bottomShape, _topShape) = (bottom[0].Shape.ToArray(), shape);
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) =>
        Backend.Crop(ReadData(bottom[0]), _bottomShape, WriteData(top[0]), _topShape, _offsets, toSmall: true);

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        var dx = WriteDiff(bottom[0]);
        Backend.Fill(dx, 0f);
        Backend.Crop(dx, _bottomShape, ReadDiff(top[0]), _topShape, _offsets, toSmall: false);
    }
}
