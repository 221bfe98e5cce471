using Cortado.Compute;
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

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) =>
        Backend.Map(new ExpOp(_inputScale, _outputScale), ReadData(bottom[0]), WriteData(top[0]));

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        Backend.Map(new ExpGradientOp(_inputScale), ReadData(top[0]), ReadDiff(top[0]), WriteDiff(bottom[0]));
    }
}
