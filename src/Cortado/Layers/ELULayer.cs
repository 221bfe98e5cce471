using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>y = x for x &gt; 0, else alpha (exp(x) - 1); dy/dx = 1, or y + alpha.</summary>
[LayerType("ELU")]
public sealed class ELULayer(LayerParameter param, LayerContext context) : NeuronLayer(param, context)
{
    public override string Type => "ELU";
    private float Alpha => Param.EluParam?.Alpha ?? 1f;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        if (ReferenceEquals(bottom[0], top[0])) throw Error("cannot work in place (top and bottom are the same blob)");
    }

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
