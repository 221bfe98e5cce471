using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>Binomial normal log likelihood: y = log(1 + exp(x)), computed stably; dy/dx = sigmoid(x).</summary>
[LayerType("BNLL")]
public sealed class BNLLLayer(LayerParameter param, LayerContext context) : NeuronLayer(param, context)
{
    public override string Type => "BNLL";

    public override bool AllowsInPlace => false;

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var x = bottom[0].Data;
        var y = top[0].Data;
        for (int i = 0; i < x.Length; i++) y[i] = x[i] > 0f ? x[i] + MathF.Log(1f + MathF.Exp(-x[i])) : MathF.Log(1f + MathF.Exp(x[i]));
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        var x = bottom[0].Data;
        var dy = top[0].Diff;
        var dx = bottom[0].Diff;
        for (int i = 0; i < x.Length; i++) dx[i] = dy[i] / (1f + MathF.Exp(-x[i]));
    }
}
