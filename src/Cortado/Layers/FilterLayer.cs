using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// Keeps the samples whose selector is non-zero: bottoms 0 .. k-1 are filtered, the last bottom
/// is the selector (N, or N x 1 x ...), and top i holds bottom i's selected samples in order, so
/// its first dimension depends on the data. Backward copies each kept sample's gradient back and
/// gives the others zero. Host by nature, as in Caffe: the selector is read on the host to size the
/// tops, and at set-up (before any data) the tops take the full batch, as Caffe's first reshape does.
/// </summary>
[LayerType("Filter")]
public sealed class FilterLayer(LayerParameter param, LayerContext context) : Layer(param, context)
{
    public override string Type => "Filter";
    public override bool RunsOnHost => true;
    public override int MinBottomBlobs => 2;
    public override int MinTopBlobs => 1;
    public override bool AllowForceBackward(int bottomIndex) => bottomIndex != Param.Bottom.Count - 1;
    private readonly List<int> _kept = [];
    private bool _firstReshape = true;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        if (top.Count != bottom.Count - 1)
            throw Error($"needs one top per filtered bottom ({bottom.Count - 1}, the last bottom being the selector), got {top.Count}");
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var selector = bottom[^1];
        for (int a = 1; a < selector.NumAxes; a++)
            if (selector.Shape[a] != 1) throw Error($"the selector (last bottom) must be N or N x 1 x ..., one value per sample, got {selector.ShapeString}");
        int num = selector.NumAxes == 0 ? 0 : selector.Shape[0];
        for (int b = 0; b < bottom.Count - 1; b++)
            if (bottom[b].NumAxes == 0 || bottom[b].Shape[0] != num)
                throw Error($"bottom {b} ({bottom[b].ShapeString}) must have the selector's {num} samples in its first dimension");

        _kept.Clear();
        var flags = selector.HostData;
        for (int n = 0; n < num; n++)
            if (flags[n] != 0f) _kept.Add(n);
        int kept = _firstReshape ? num : _kept.Count;
        _firstReshape = false;
        for (int t = 0; t < top.Count; t++)
        {
            var shape = bottom[t].Shape.ToArray();
            shape[0] = kept;
            top[t].Reshape(shape);
        }
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        for (int t = 0; t < top.Count; t++)
        {
            int inner = bottom[t].CountFrom(1);
            var from = bottom[t].HostData;
            var to = top[t].Data;
            for (int k = 0; k < _kept.Count; k++) from.Slice(_kept[k] * inner, inner).CopyTo(to.Slice(k * inner, inner));
        }
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (propagateDown[^1]) throw Error("cannot backpropagate to the selector (last bottom)");
        for (int t = 0; t < top.Count; t++)
        {
            if (!propagateDown[t]) continue;
            int inner = bottom[t].CountFrom(1);
            var from = top[t].HostDiff;
            var to = bottom[t].Diff;
            to.Clear();
            for (int k = 0; k < _kept.Count; k++) from.Slice(k * inner, inner).CopyTo(to.Slice(_kept[k] * inner, inner));
        }
    }
}
