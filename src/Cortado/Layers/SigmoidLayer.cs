using Cortado.Compute;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>y = 1 / (1 + exp(-x)); dy/dx = y (1 - y).</summary>
[LayerType("Sigmoid")]
public sealed class SigmoidLayer(LayerParameter param, LayerContext context) : NeuronLayer(param, context)
{
    public override string Type => "Sigmoid";

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) =>
        Backend.Map(new SigmoidOp(), ReadData(bottom[0]), WriteData(top[0]));

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        Backend.Map(new SigmoidGradientOp(), ReadData(top[0]), ReadDiff(top[0]), WriteDiff(bottom[0]));
    }
}
