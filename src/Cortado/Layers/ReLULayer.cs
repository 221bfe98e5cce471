using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>y = max(0, x) + negative_slope * min(0, x); dy/dx = 1 for x &gt; 0, else negative_slope.</summary>
[LayerType("ReLU")]
public sealed class ReLULayer(LayerParameter param, LayerContext context) : NeuronLayer(param, context)
{
    public override string Type => "ReLU";
    private float Slope => Param.ReluParam?.NegativeSlope ?? 0f;

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        Backend.ReluForward(ReadData(bottom[0]), Slope, WriteData(top[0]));
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        // In place, bottom data is the output; its sign is the input's whenever slope >= 0.
        Backend.ReluBackward(ReadData(bottom[0]), ReadDiff(top[0]), Slope, WriteDiff(bottom[0]));
    }
}
