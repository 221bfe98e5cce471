using Cortado.Compute;
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
        var p = P;
        Backend.Map(new PowerOp(p.Power, p.Scale, p.Shift), ReadData(bottom[0]), WriteData(top[0]));
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        var p = P;
        Backend.Map(new PowerGradientOp(p.Power, p.Scale, p.Shift), ReadData(bottom[0]), ReadDiff(top[0]), WriteDiff(bottom[0]));
    }
}
