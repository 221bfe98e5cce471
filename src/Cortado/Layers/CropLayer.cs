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
    private int[] _offsets = [];

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
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) => Copy(bottom[0], top[0], toTop: true);

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        bottom[0].Diff.Clear();
        Copy(bottom[0], top[0], toTop: false);
    }

    // Walks the top's rows (last axis contiguous) and copies each to or from its place in the bottom.
    private void Copy(Blob big, Blob small, bool toTop)
    {
        int axes = small.NumAxes, rowLength = small.Shape[axes - 1];
        int rows = small.Count / Math.Max(rowLength, 1);
        var index = new int[axes];
        for (int r = 0; r < rows; r++)
        {
            int rest = r;
            for (int a = axes - 2; a >= 0; a--) { index[a] = rest % small.Shape[a]; rest /= small.Shape[a]; }
            int bigOffset = 0;
            for (int a = 0; a < axes - 1; a++) bigOffset = bigOffset * big.Shape[a] + index[a] + _offsets[a];
            bigOffset = bigOffset * big.Shape[axes - 1] + _offsets[axes - 1];
            if (toTop) big.Data.Slice(bigOffset, rowLength).CopyTo(small.Data.Slice(r * rowLength, rowLength));
            else small.Diff.Slice(r * rowLength, rowLength).CopyTo(big.Diff.Slice(bigOffset, rowLength));
        }
    }
}
