using Cortado.Compute;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>y = x sigmoid(beta x); dy/dx = beta y + sigmoid(beta x) (1 - beta y). Not in place (backward needs x).</summary>
[LayerType("Swish")]
public sealed class SwishLayer(LayerParameter param, LayerContext context) : NeuronLayer(param, context)
{
    public override string Type => "Swish";
    public override bool AllowsInPlace => false;
    private float Beta => Param.SwishParam?.Beta ?? 1f;

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) =>
        Backend.Map(new SwishOp(Beta), ReadData(bottom[0]), WriteData(top[0]));

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (propagateDown[0]) Backend.Map(new SwishGradientOp(Beta), ReadData(bottom[0]), ReadData(top[0]), ReadDiff(top[0]), WriteDiff(bottom[0]));
    }
}
