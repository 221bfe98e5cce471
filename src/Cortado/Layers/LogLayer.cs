using Cortado.Compute;
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

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) =>
        Backend.Map(new LogOp(_scale, _shift, _baseScale), ReadData(bottom[0]), WriteData(top[0]));

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        Backend.Map(new LogGradientOp(_scale, _shift, _baseScale), ReadData(bottom[0]), ReadDiff(top[0]), WriteDiff(bottom[0]));
    }
}
