using Cortado.Compute;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>Joins bottoms along one axis (channels by default); the other axes must agree.</summary>
[LayerType("Concat")]
public sealed class ConcatLayer(LayerParameter param, LayerContext context) : Layer(param, context)
{
    public override string Type => "Concat";
    public override int MinBottomBlobs => 1;
    public override int ExactNumTopBlobs => 1;
    private int _axis;

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.ConcatParam ?? new ConcatParameter();
        _axis = p.HasConcatDim && !p.HasAxis ? (int)p.ConcatDim : bottom[0].CanonicalAxis(p.Axis);
        var shape = bottom[0].Shape.ToArray();
        for (int i = 1; i < bottom.Count; i++)
        {
            var other = bottom[i].Shape;
            if (other.Count != shape.Length) throw Error($"bottom {i} has {other.Count} axes, bottom 0 has {shape.Length}");
            for (int a = 0; a < shape.Length; a++)
                if (a != _axis && other[a] != shape[a]) throw Error($"bottom {i} ({bottom[i].ShapeString}) differs from bottom 0 ({bottom[0].ShapeString}) on axis {a}; only axis {_axis} may differ");
            shape[_axis] += other[_axis];
        }
        top[0].Reshape(shape);
        if (bottom.Count == 1) { top[0].ShareData(bottom[0]); top[0].ShareDiff(bottom[0]); }
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        if (bottom.Count == 1) return;
        int outer = top[0].CountRange(0, _axis), inner = top[0].CountFrom(_axis + 1), topAxis = top[0].Shape[_axis], offset = 0;
        var y = WriteData(top[0]);
        foreach (var b in bottom)
        {
            int size = b.Shape[_axis] * inner;
            Backend.CopyRows(ReadData(b), size, y.Slice(offset * inner), topAxis * inner, outer, size);
            offset += b.Shape[_axis];
        }
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (bottom.Count == 1) return;
        int outer = top[0].CountRange(0, _axis), inner = top[0].CountFrom(_axis + 1), topAxis = top[0].Shape[_axis], offset = 0;
        var dy = ReadDiff(top[0]);
        for (int i = 0; i < bottom.Count; i++)
        {
            int size = bottom[i].Shape[_axis] * inner;
            if (propagateDown[i]) Backend.CopyRows(dy.Slice(offset * inner), topAxis * inner, WriteDiff(bottom[i]), size, outer, size);
            offset += bottom[i].Shape[_axis];
        }
    }
}
