using Cortado.Compute;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>Binomial normal log likelihood: y = log(1 + exp(x)), computed stably; dy/dx = sigmoid(x).</summary>
[LayerType("BNLL")]
public sealed class BNLLLayer(LayerParameter param, LayerContext context) : NeuronLayer(param, context)
{
    public override string Type => "BNLL";

    public override bool AllowsInPlace => false;

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) =>
        Backend.Map(new BnllOp(), ReadData(bottom[0]), WriteData(top[0]));

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        Backend.Map(new BnllGradientOp(), ReadData(bottom[0]), ReadDiff(top[0]), WriteDiff(bottom[0]));
    }
}
