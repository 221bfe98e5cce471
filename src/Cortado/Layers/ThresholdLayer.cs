using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>y = 1 where x &gt; threshold, else 0. Not differentiable: it has no backward.</summary>
[LayerType("Threshold")]
public sealed class ThresholdLayer(LayerParameter param, LayerContext context) : NeuronLayer(param, context)
{
    public override string Type => "Threshold";

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        float threshold = Param.ThresholdParam?.Threshold ?? 0f;
        var x = bottom[0].Data;
        var y = top[0].Data;
        for (int i = 0; i < x.Length; i++) y[i] = x[i] > threshold ? 1f : 0f;
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (propagateDown[0]) throw Error("has no gradient; set propagate_down: false for its bottom");
    }
}
