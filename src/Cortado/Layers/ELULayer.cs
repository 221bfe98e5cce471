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

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var x = bottom[0].Data;
        var y = top[0].Data;
        float alpha = Alpha;
        for (int i = 0; i < x.Length; i++) y[i] = x[i] > 0f ? x[i] : alpha * (MathF.Exp(x[i]) - 1f);
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        var x = bottom[0].Data;
        var y = top[0].Data;
        var dy = top[0].Diff;
        var dx = bottom[0].Diff;
        float alpha = Alpha;
        for (int i = 0; i < x.Length; i++) dx[i] = x[i] > 0f ? dy[i] : dy[i] * (y[i] + alpha);
    }
}
