using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>y = log_base(shift + scale x) (natural log when base is -1); dy/dx = scale / ((shift + scale x) ln base).</summary>
[LayerType("Log")]
public sealed class LogLayer(LayerParameter param, LayerContext context) : NeuronLayer(param, context)
{
    public override string Type => "Log";
    public override bool AllowsInPlace => false;
    private float _scale, _shift, _baseScale;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.LogParam ?? new LogParameter();
        if (p.Base != -1f && p.Base <= 0f) throw Error($"base must be positive (or -1 for e), got {p.Base}");
        _baseScale = p.Base == -1f ? 1f : 1f / MathF.Log(p.Base);
        _scale = p.Scale;
        _shift = p.Shift;
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var x = bottom[0].Data;
        var y = top[0].Data;
        for (int i = 0; i < x.Length; i++) y[i] = MathF.Log(_shift + _scale * x[i]) * _baseScale;
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        var x = bottom[0].Data;
        var dy = top[0].Diff;
        var dx = bottom[0].Diff;
        for (int i = 0; i < x.Length; i++) dx[i] = dy[i] * _scale * _baseScale / (_shift + _scale * x[i]);
    }
}
