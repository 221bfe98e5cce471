using Cortado.Compute;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>y = min(max(x, min), max); dy/dx = 1 for min &lt;= x &lt;= max, else 0. Not in place (backward needs x).</summary>
[LayerType("Clip")]
public sealed class ClipLayer(LayerParameter param, LayerContext context) : NeuronLayer(param, context)
{
    public override string Type => "Clip";
    public override bool AllowsInPlace => false;
    private float _min, _max;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.ClipParam;
        if (p == null || !p.HasMin || !p.HasMax) throw Error("clip_param needs both min and max");
        if (p.Min > p.Max) throw Error($"clip_param min {p.Min} is above max {p.Max}");
        (_min, _max) = (p.Min, p.Max);
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) =>
        Backend.Map(new ClipOp(_min, _max), ReadData(bottom[0]), WriteData(top[0]));

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (propagateDown[0]) Backend.Map(new ClipGradientOp(_min, _max), ReadData(bottom[0]), ReadDiff(top[0]), WriteDiff(bottom[0]));
    }
}
