using Cortado.Compute;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// SSD's Permute layer (permute_param, field 202 of its caffe.proto): the axes in a new order, top axis
/// j being bottom axis order[j]; axes the order leaves out follow in their own order. The values move
/// line by line along the top's last axis; backward moves the gradients back the same way (a
/// permutation writes each value once, so nothing accumulates).
/// </summary>
[LayerType("Permute")]
public sealed class PermuteLayer(LayerParameter param, LayerContext context) : Layer(param, context)
{
    public override string Type => "Permute";
    public override int ExactNumBottomBlobs => 1;
    public override int ExactNumTopBlobs => 1;
    public override bool AllowsInPlace => false;

    private int[] _order = [];

    /// <summary>The full axis order, after Reshape: top axis j is bottom axis Order[j].</summary>
    public IReadOnlyList<int> Order => _order;
    private int[] _bottomStrides = [], _topShape = [];

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        int axes = bottom[0].Shape.Count;
        var given = (Param.PermuteParam?.Order ?? []).Select(a => (int)a).ToList();
        if (given.Any(a => a >= axes) || given.Distinct().Count() != given.Count)
            throw Error($"permute_param.order ({string.Join(", ", given)}) must name distinct axes of the {axes}-axis bottom");
        _order = given.Concat(Enumerable.Range(0, axes).Where(a => !given.Contains(a))).ToArray();
        _bottomStrides = new int[axes];
        for (int a = axes - 1, stride = 1; a >= 0; stride *= bottom[0].Shape[a], a--) _bottomStrides[a] = stride;
        _topShape = _order.Select(a => bottom[0].Shape[a]).ToArray();
        top[0].Reshape(_topShape);
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) => Move(ReadData(bottom[0]), WriteData(top[0]), toTop: true);

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (propagateDown[0]) Move(ReadDiff(top[0]), WriteDiff(bottom[0]), toTop: false);
    }

    /// <summary>Each line along the top's last axis, copied from (or back to) its strided place in the bottom.</summary>
    private void Move(DeviceSpan<float> from, DeviceSpan<float> to, bool toTop)
    {
        int last = _topShape.Length - 1, length = _topShape[last], stride = _bottomStrides[_order[last]];
        int lines = _topShape.Take(last).Aggregate(1, (a, b) => a * b);
        var index = new int[last];
        for (int line = 0; line < lines; line++)
        {
            int offset = 0;
            for (int a = 0; a < last; a++) offset += index[a] * _bottomStrides[_order[a]];
            // A unit stride moves the whole line as one row.
            var (rows, rowLength) = stride == 1 ? (1, length) : (length, 1);
            if (toTop) Backend.CopyRows(from.Slice(offset), stride, to.Slice(line * length), 1, rows, rowLength);
            else Backend.CopyRows(from.Slice(line * length), 1, to.Slice(offset), stride, rows, rowLength);
            for (int a = last - 1; a >= 0 && ++index[a] == _topShape[a]; a--) index[a] = 0;
        }
    }
}
