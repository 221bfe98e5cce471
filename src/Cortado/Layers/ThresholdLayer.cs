using Cortado.Compute;
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
        Backend.Map(new ThresholdOp(Param.ThresholdParam?.Threshold ?? 0f), ReadData(bottom[0]), WriteData(top[0]));
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (propagateDown[0]) throw Error("has no gradient; set propagate_down: false for its bottom");
    }
}
