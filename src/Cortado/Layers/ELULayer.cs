using Cortado.Compute;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>y = x for x &gt; 0, else alpha (exp(x) - 1); dy/dx = 1, or y + alpha.</summary>
[LayerType("ELU")]
public sealed class ELULayer(LayerParameter param, LayerContext context) : NeuronLayer(param, context)
{
    public override string Type => "ELU";
    private float Alpha => Param.EluParam?.Alpha ?? 1f;

    public override bool AllowsInPlace => false;

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) =>
        Backend.Map(new EluOp(Alpha), ReadData(bottom[0]), WriteData(top[0]));

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        Backend.Map(new EluGradientOp(Alpha), ReadData(bottom[0]), ReadData(top[0]), ReadDiff(top[0]), WriteDiff(bottom[0]));
    }
}
