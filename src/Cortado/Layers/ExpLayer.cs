using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>y = base^(shift + scale x) (base e when -1); dy/dx = y ln(base) scale.</summary>
[LayerType("Exp")]
public sealed class ExpLayer(LayerParameter param, LayerContext context) : NeuronLayer(param, context)
{
    public override string Type => "Exp";
    private float _inputScale, _outputScale;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.ExpParam ?? new ExpParameter();
        if (p.Base != -1f && p.Base <= 0f) throw Error($"base must be positive (or -1 for e), got {p.Base}");
        float logBase = p.Base == -1f ? 1f : MathF.Log(p.Base);
        _inputScale = p.Scale * logBase;
        _outputScale = p.Shift == 0f ? 1f : MathF.Exp(p.Shift * logBase);
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var x = bottom[0].Data;
        var y = top[0].Data;
        for (int i = 0; i < x.Length; i++) y[i] = _outputScale * MathF.Exp(_inputScale * x[i]);
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        var y = top[0].Data;
        var dy = top[0].Diff;
        var dx = bottom[0].Diff;
        for (int i = 0; i < y.Length; i++) dx[i] = dy[i] * y[i] * _inputScale;
    }
}
