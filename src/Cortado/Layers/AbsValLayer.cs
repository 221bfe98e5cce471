using Cortado.Compute;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>y = |x|; dy/dx = sign(x). Not in place (backward needs x).</summary>
[LayerType("AbsVal")]
public sealed class AbsValLayer(LayerParameter param, LayerContext context) : NeuronLayer(param, context)
{
    public override string Type => "AbsVal";

    public override bool AllowsInPlace => false;

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) =>
        Backend.Map(new AbsOp(), ReadData(bottom[0]), WriteData(top[0]));

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        Backend.Map(new AbsGradientOp(), ReadData(bottom[0]), ReadDiff(top[0]), WriteDiff(bottom[0]));
    }
}
