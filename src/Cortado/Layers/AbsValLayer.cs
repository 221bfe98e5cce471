using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>y = |x|; dy/dx = sign(x). Not in place (backward needs x).</summary>
[LayerType("AbsVal")]
public sealed class AbsValLayer(LayerParameter param, LayerContext context) : NeuronLayer(param, context)
{
    public override string Type => "AbsVal";

    public override bool AllowsInPlace => false;

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) => Backend.Abs(bottom[0].Data, top[0].Data);

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        var x = bottom[0].Data;
        var dy = top[0].Diff;
        var dx = bottom[0].Diff;
        for (int i = 0; i < x.Length; i++) dx[i] = x[i] > 0f ? dy[i] : x[i] < 0f ? -dy[i] : 0f;
    }
}
