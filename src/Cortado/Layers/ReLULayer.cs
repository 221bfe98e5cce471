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
        var x = bottom[0].Data;
        var y = top[0].Data;
        float slope = Slope;
        for (int i = 0; i < x.Length; i++) y[i] = x[i] > 0f ? x[i] : slope * x[i];
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        // In place, bottom data is the output; its sign is the input's whenever slope >= 0.
        var x = bottom[0].Data;
        var dy = top[0].Diff;
        var dx = bottom[0].Diff;
        float slope = Slope;
        for (int i = 0; i < x.Length; i++) dx[i] = x[i] > 0f ? dy[i] : slope * dy[i];
    }
}
