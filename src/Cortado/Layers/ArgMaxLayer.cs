using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// Indices of the top_k largest values, per sample over all its values, or along <c>axis</c>
/// when given; with out_max_val the values too (alongside the indices, or instead of them
/// when an axis is given). Not differentiable.
/// </summary>
[LayerType("ArgMax")]
public sealed class ArgMaxLayer(LayerParameter param, LayerContext context) : Layer(param, context)
{
    public override string Type => "ArgMax";
    /// <summary>Host by nature: a sort per sample, on the host.</summary>
    public override bool RunsOnHost => true;
    public override int ExactNumBottomBlobs => 1;
    public override int ExactNumTopBlobs => 1;

    private ArgMaxParameter P => Param.ArgmaxParam ?? new ArgMaxParameter();

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = P;
        int topK = (int)p.TopK;
        if (p.HasAxis)
        {
            int axis = bottom[0].CanonicalAxis(p.Axis);
            if (topK > bottom[0].Shape[axis]) throw Error($"top_k {topK} exceeds the axis length {bottom[0].Shape[axis]}");
            var shape = bottom[0].Shape.ToArray();
            shape[axis] = topK;
            top[0].Reshape(shape);
        }
        else
        {
            if (topK > bottom[0].CountFrom(1)) throw Error($"top_k {topK} exceeds the {bottom[0].CountFrom(1)} values per sample");
            top[0].Reshape(bottom[0].Shape[0], p.OutMaxVal ? 2 : 1, topK);
        }
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = P;
        int topK = (int)p.TopK;
        var x = bottom[0].Data;
        var y = top[0].Data;
        int axis = p.HasAxis ? bottom[0].CanonicalAxis(p.Axis) : 1;
        int outer = bottom[0].CountRange(0, axis), length = p.HasAxis ? bottom[0].Shape[axis] : bottom[0].CountFrom(1);
        int inner = p.HasAxis ? bottom[0].CountFrom(axis + 1) : 1;
        var order = new int[length];
        var values = new float[length];
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int baseIndex = o * length * inner + i;
                for (int k = 0; k < length; k++) { order[k] = k; values[k] = x[baseIndex + k * inner]; }
                // Largest first; equal values keep their index order.
                Array.Sort(order, (a, b) => values[b].CompareTo(values[a]) is var c && c != 0 ? c : a.CompareTo(b));
                for (int k = 0; k < topK; k++)
                {
                    float value = x[baseIndex + order[k] * inner];
                    if (p.HasAxis) y[(o * topK + k) * inner + i] = p.OutMaxVal ? value : order[k];
                    else
                    {
                        y[o * (p.OutMaxVal ? 2 : 1) * topK + k] = order[k];
                        if (p.OutMaxVal) y[o * 2 * topK + topK + k] = value;
                    }
                }
            }
        }
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (propagateDown[0]) throw Error("has no gradient");
    }
}
