using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>y = (shift + scale x)^power; dy/dx = power scale (shift + scale x)^(power - 1).</summary>
[LayerType("Power")]
public sealed class PowerLayer(LayerParameter param, LayerContext context) : NeuronLayer(param, context)
{
    public override string Type => "Power";
    private PowerParameter P => Param.PowerParam ?? new PowerParameter();

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var x = bottom[0].Data;
        var y = top[0].Data;
        var p = P;
        for (int i = 0; i < x.Length; i++) y[i] = MathF.Pow(p.Shift + p.Scale * x[i], p.Power);
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        var x = bottom[0].Data;
        var dy = top[0].Diff;
        var dx = bottom[0].Diff;
        var p = P;
        for (int i = 0; i < x.Length; i++)
            dx[i] = p.Power == 0f || p.Scale == 0f ? 0f : dy[i] * p.Power * p.Scale * MathF.Pow(p.Shift + p.Scale * x[i], p.Power - 1f);
    }
}
