using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>y = 1 / (1 + exp(-x)); dy/dx = y (1 - y).</summary>
[LayerType("Sigmoid")]
public sealed class SigmoidLayer(LayerParameter param, LayerContext context) : NeuronLayer(param, context)
{
    public override string Type => "Sigmoid";

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) =>
        System.Numerics.Tensors.TensorPrimitives.Sigmoid(bottom[0].Data, top[0].Data);

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        var y = top[0].Data;
        var dy = top[0].Diff;
        var dx = bottom[0].Diff;
        for (int i = 0; i < y.Length; i++) dx[i] = dy[i] * y[i] * (1f - y[i]);
    }
}
