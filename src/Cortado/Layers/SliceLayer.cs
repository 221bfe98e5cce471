using Cortado.Compute;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>Cuts one bottom along an axis into several tops, at slice_point positions or into equal parts.</summary>
[LayerType("Slice")]
public sealed class SliceLayer(LayerParameter param, LayerContext context) : Layer(param, context)
{
    public override string Type => "Slice";
    public override int ExactNumBottomBlobs => 1;
    public override int MinTopBlobs => 1;
    private int _axis;
    private int[] _sizes = [];

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.SliceParam ?? new SliceParameter();
        _axis = p.HasSliceDim && !p.HasAxis ? (int)p.SliceDim : bottom[0].CanonicalAxis(p.Axis);
        int length = bottom[0].Shape[_axis];
        if (p.SlicePoint.Count > 0)
        {
            if (p.SlicePoint.Count != top.Count - 1) throw Error($"{p.SlicePoint.Count} slice points for {top.Count} tops; give one fewer than the tops");
            var points = new[] { 0 }.Concat(p.SlicePoint.Select(v => (int)v)).Append(length).ToArray();
            _sizes = new int[top.Count];
            for (int i = 0; i < top.Count; i++)
            {
                _sizes[i] = points[i + 1] - points[i];
                if (_sizes[i] <= 0) throw Error($"slice points must increase within the axis length {length}, got {string.Join(", ", p.SlicePoint)}");
            }
        }
        else
        {
            if (length % top.Count != 0) throw Error($"axis {_axis} of length {length} does not divide into {top.Count} equal slices");
            _sizes = Enumerable.Repeat(length / top.Count, top.Count).ToArray();
        }
        for (int i = 0; i < top.Count; i++)
        {
            var shape = bottom[0].Shape.ToArray();
            shape[_axis] = _sizes[i];
            top[i].Reshape(shape);
        }
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        int outer = bottom[0].CountRange(0, _axis), inner = bottom[0].CountFrom(_axis + 1), axisLength = bottom[0].Shape[_axis], offset = 0;
        var x = ReadData(bottom[0]);
        for (int i = 0; i < top.Count; i++)
        {
            int size = _sizes[i] * inner;
            Backend.CopyRows(x.Slice(offset * inner), axisLength * inner, WriteData(top[i]), size, outer, size);
            offset += _sizes[i];
        }
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        int outer = bottom[0].CountRange(0, _axis), inner = bottom[0].CountFrom(_axis + 1), axisLength = bottom[0].Shape[_axis], offset = 0;
        var dx = WriteDiff(bottom[0]);
        for (int i = 0; i < top.Count; i++)
        {
            int size = _sizes[i] * inner;
            Backend.CopyRows(ReadDiff(top[i]), size, dx.Slice(offset * inner), axisLength * inner, outer, size);
            offset += _sizes[i];
        }
    }
}
