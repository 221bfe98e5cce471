using Cortado.Compute;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>y = tanh(x); dy/dx = 1 - y^2.</summary>
[LayerType("TanH")]
public sealed class TanHLayer(LayerParameter param, LayerContext context) : NeuronLayer(param, context)
{
    public override string Type => "TanH";

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) =>
        Backend.Map(new TanhOp(), ReadData(bottom[0]), WriteData(top[0]));

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        Backend.Map(new TanhGradientOp(), ReadData(top[0]), ReadDiff(top[0]), WriteDiff(bottom[0]));
    }
}
